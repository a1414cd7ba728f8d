package feed

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// maxSecretBytes bounds a token file: a token or password, not a document.
const maxSecretBytes = 4096

// ReadSecret reads the remote token or password from path: the first line,
// without surrounding white space. The file must be readable by its owner
// only (as ssh asks of a private key), since whoever can read it can read
// the remote collection as the feed does. An empty path gives no secret.
func ReadSecret(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return "", fmt.Errorf("token file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("token file %s is readable by others (mode %04o); make it readable by its owner only: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	buf, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if len(buf) > maxSecretBytes {
		return "", fmt.Errorf("token file %s is longer than %d bytes; it should hold the token alone", path, maxSecretBytes)
	}
	line, _, _ := strings.Cut(string(buf), "\n")
	secret := strings.TrimSpace(line)
	if secret == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return secret, nil
}
