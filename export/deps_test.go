package export_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHTTP keeps the writers usable wherever Mosaic writes a file: the
// command line client and the server's releases alike. Neither the API
// nor anything that speaks HTTP may be among the package's dependencies,
// direct or not.
func TestNoHTTP(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "mosaic/api" || strings.Contains(dep, "http") {
			t.Errorf("package export depends on %s", dep)
		}
	}
}
