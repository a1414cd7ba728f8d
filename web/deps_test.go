package web_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps the UI on the standard library and Mosaic's own
// domain packages: no third-party code (the browser test's DevTools client
// included), and no store implementation, so that every read goes through
// mosaic.Store and its policy.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("cdp/*.go")
	fset := token.NewFileSet()
	for _, name := range append(files, more...) {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case path == "mosaic/sqlstore", path == "mosaic/sqlite", path == "mosaic/postgres", path == "mosaic/api":
				t.Errorf("%s imports %s: the UI reads through mosaic.Store", name, path)
			case first == "mosaic":
			case strings.Contains(first, "."):
				t.Errorf("%s imports %s, which is not in the standard library", name, path)
			}
		}
	}
}
