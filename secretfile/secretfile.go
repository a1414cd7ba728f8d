// Package secretfile reads and writes the files that hold Mosaic's keys
// and secrets (the deconfliction evaluator's keys, the release keys):
// files of mode 0600 outside the database, refused when anyone but their
// owner may read or write them, and replaced whole, so that a crash leaves
// the old file or the new and the secret is never readable by others, not
// even for a moment.
package secretfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrMode is returned for a file others may read or write.
var ErrMode = errors.New("key file must be readable by its owner only (chmod 600)")

// ErrOwner is returned for a file another user owns.
var ErrOwner = errors.New("key file must be owned by the user Mosaic runs as")

// Read returns the file at path, refusing one whose mode lets anyone but
// its owner read or write it, or that another user owns. The checks are
// made on the file opened, not on the name, so that the file cannot be
// swapped between the check and the read.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o: %w", path, st.Mode().Perm(), ErrMode)
	}
	if !ownedByMe(st) {
		return nil, fmt.Errorf("%s: %w", path, ErrOwner)
	}
	return io.ReadAll(f)
}

// Create writes a new file of mode 0600 at path; it fails if path exists.
func Create(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if err := Write(path, b); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// Write replaces the file at path with b, through a temporary file of
// mode 0600 in the same directory, synced before it is renamed.
func Write(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
