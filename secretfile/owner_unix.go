//go:build unix

package secretfile

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByMe reports whether the process's user owns the file.
func ownedByMe(st fs.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return !ok || int(sys.Uid) == os.Getuid()
}
