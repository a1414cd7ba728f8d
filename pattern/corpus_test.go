// The corpus tests are an external test package so that importing demo
// stays possible whatever demo comes to import: package stix, for one, will
// import this package to validate indicators, and an internal test that
// imports a package building on stix would be an import cycle.
package pattern_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic/demo"
	"mosaic/pattern"
)

// stixPatterns returns the patterns of the indicators (pattern_type "stix")
// in a STIX bundle, keyed by a name for t.Run.
func stixPatterns(t *testing.T, name string, bundle []byte) map[string]string {
	t.Helper()
	var b struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out := map[string]string{}
	for _, o := range b.Objects {
		pat, ok := o["pattern"].(string)
		if !ok || o["pattern_type"] != "stix" {
			continue
		}
		id, _ := o["id"].(string)
		out[name+"/"+id] = pat
	}
	return out
}

// TestExampleFiles parses every STIX pattern of the OASIS examples that
// package stix keeps as test data.
func TestExampleFiles(t *testing.T) {
	patterns := map[string]string{}
	err := filepath.WalkDir("../stix/testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for k, v := range stixPatterns(t, filepath.Base(path), data) {
			patterns[k] = v
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(patterns) < 15 {
		t.Fatalf("found %d patterns in ../stix/testdata, want the 19 of the examples", len(patterns))
	}
	checkCorpus(t, patterns)
}

// TestDemoPatterns parses every pattern of the demo data set.
func TestDemoPatterns(t *testing.T) {
	patterns := map[string]string{}
	for i, b := range demo.Batches(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)) {
		for k, v := range stixPatterns(t, fmt.Sprintf("batch %d", i), b.Bundle) {
			patterns[k] = v
		}
	}
	if len(patterns) < 50 {
		t.Fatalf("found %d patterns in the demo data set, want its indicators", len(patterns))
	}
	checkCorpus(t, patterns)
}

// checkCorpus parses each pattern, checks the round trip through String,
// and that each names at least one observable, as every pattern in these
// sets compares some string with =.
func checkCorpus(t *testing.T, patterns map[string]string) {
	t.Helper()
	for name, s := range patterns {
		p, err := pattern.Parse(s)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", name, s, err)
			continue
		}
		if again, err := pattern.Parse(p.String()); err != nil || again.String() != p.String() {
			t.Errorf("%s: %q does not read back: %v", name, p.String(), err)
		}
		if strings.Contains(s, "= '") && len(p.Equalities()) == 0 {
			t.Errorf("%s: no equalities in %q", name, s)
		}
	}
}
