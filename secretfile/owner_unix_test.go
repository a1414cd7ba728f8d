//go:build unix

package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A key file another user owns is refused: that user could change it.
func TestOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := Create(path, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Skipf("cannot give the file to another user here (%v)", err)
	}
	if _, err := Read(path); !errors.Is(err, ErrOwner) {
		t.Errorf("a file of another user's: %v, want ErrOwner", err)
	}
}
