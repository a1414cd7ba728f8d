//go:build !unix

package secretfile

import "io/fs"

// ownedByMe cannot tell an owner here; the mode check stands alone.
func ownedByMe(fs.FileInfo) bool { return true }
