package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestModes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := Create(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := Create(path, []byte("two")); err == nil {
		t.Error("Create replaced an existing file")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %04o, want 0600", st.Mode().Perm())
	}
	if err := Write(path, []byte("three")); err != nil {
		t.Fatal(err)
	}
	if b, err := Read(path); err != nil || string(b) != "three" {
		t.Errorf("read %q, %v", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after Write %04o, want 0600", st.Mode().Perm())
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660} {
		os.Chmod(path, mode)
		if _, err := Read(path); !errors.Is(err, ErrMode) {
			t.Errorf("mode %04o: %v, want ErrMode", mode, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".key-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// A name that is not a regular file is refused, so that a key file cannot
// be a link to a pipe or a device.
func TestNotRegular(t *testing.T) {
	if _, err := Read(t.TempDir()); err == nil {
		t.Error("a directory was read as a key file")
	}
}
