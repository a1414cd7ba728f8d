package mosaic_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// imports returns, for each non-test Go file that matches one of the
// patterns (relative to the module root), the paths it imports.
func imports(t *testing.T, patterns ...string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	fset := token.NewFileSet()
	for _, pat := range patterns {
		files, err := filepath.Glob(pat)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no files (%v)", pat, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				out[name] = append(out[name], path)
			}
		}
	}
	return out
}

// thirdParty reports whether path is outside the standard library.
func thirdParty(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return strings.Contains(first, ".")
}

// TestStandardLibraryOnly keeps the bottom of the import graph free of
// dependencies. The domain package (mosaic) imports the standard library
// only, so every other package can build on it without pulling in a
// database, HTTP or a file format; so do pattern, which stix validates
// indicators with, and jcs, the canonical JSON any package may compare
// with.
func TestStandardLibraryOnly(t *testing.T) {
	for name, paths := range imports(t, "*.go", "pattern/*.go", "jcs/*.go") {
		for _, path := range paths {
			if thirdParty(path) || path == "mosaic" || strings.HasPrefix(path, "mosaic/") {
				t.Errorf("%s imports %s; it may import the standard library only", name, path)
			}
		}
	}
}

// TestLayers keeps the layers apart: the doors reach content only through
// the content service (which alone audits reads and calls ingest), no
// door or service talks to a database package, the error map does not
// depend on the gate, and neither the content service nor the rules know
// HTTP. The web UI, its browser-test client and its sessions use no
// third-party code.
func TestLayers(t *testing.T) {
	stores := []string{"mosaic/sqlstore", "mosaic/sqlite", "mosaic/postgres", "database/sql"}
	doors := append([]string{"mosaic/audit", "mosaic/ingest", "mosaic/api"}, stores...)
	for _, tc := range []struct {
		files      []string
		banned     []string
		thirdParty bool // may import outside the standard library
	}{
		{[]string{"api/*.go"}, append([]string{"mosaic/audit", "mosaic/ingest"}, stores...), true},
		{[]string{"taxii/*.go", "deconflict/*.go", "feed/*.go"}, doors, true},
		{[]string{"web/*.go", "web/cdp/*.go"}, doors, false},
		{[]string{"web/session/*.go"}, append([]string{"mosaic/web"}, doors...), false},
		{[]string{"problem/*.go"}, []string{"mosaic/gate"}, true},
		{[]string{"content/*.go"}, append([]string{"net/http", "mosaic/api", "mosaic/web"}, stores...), true},
		{[]string{"policy/*.go"}, []string{"net/http", "mosaic/content"}, false},
		{[]string{"export/*.go"}, []string{"net/http", "mosaic/api"}, true},
	} {
		for name, paths := range imports(t, tc.files...) {
			for _, path := range paths {
				if slices.Contains(tc.banned, path) || (!tc.thirdParty && thirdParty(path)) {
					t.Errorf("%s imports %s", name, path)
				}
			}
		}
	}
}
