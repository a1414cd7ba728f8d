package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/stix"
)

// TestImportHandlingAfterObjects: STIX gives a bundle's objects no order,
// and tools that rewrite bundles often sort them (indicator before
// x-mosaic-handling). `mosaic import` sends each batch with the handling
// objects that name its objects wherever they are in the file, so the
// TLP:RED, originator-only objects do not go in under the batch's
// parameters (the cell), even one object per batch.
func TestImportHandlingAfterObjects(t *testing.T) {
	env, _ := interopServer(t, "sqlite")
	ind := `{"type":"indicator","spec_version":"2.1","id":"indicator--6b1b2a4e-0000-4000-8000-000000000001","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"vendor","pattern":"[ipv4-addr:value = '203.0.113.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z","created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"}`
	h := `{"type":"x-mosaic-handling","spec_version":"2.1","id":"x-mosaic-handling--6b1b2a4e-0000-4000-8000-000000000009","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","extensions":{"` + stix.HandlingExtensionID + `":{"extension_type":"new-sdo"}},"object_versions":[{"id":"indicator--6b1b2a4e-0000-4000-8000-000000000001","modified":"2026-10-01T00:00:00.000Z"}],"tlp":"red","audience":["originator"],"orcon":true}`
	ind2 := strings.NewReplacer("000000000001", "000000000002", "203.0.113.7", "203.0.113.8").Replace(ind)
	h2 := strings.Replace(h, `}],"tlp"`, `},{"id":"indicator--6b1b2a4e-0000-4000-8000-000000000002","modified":"2026-10-01T00:00:00.000Z"}],"tlp"`, 1)
	file := filepath.Join(t.TempDir(), "sorted.json")
	if err := os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--6b1b2a4e-0000-4000-8000-00000000000b","objects":[`+ind+`,`+ind2+`,`+h2+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, env, "", "import", "--audience", "cell", "--batch", "1", file)
	got := mustRun(t, env, "", "get", "indicator--6b1b2a4e-0000-4000-8000-000000000001")
	if !strings.Contains(got, `"tlp": "red"`) {
		t.Errorf("import %q: the handling object after the object was dropped; stored as:\n%s", out, got)
	}
	// One that names nothing of the file is not sent, and the importer
	// says so.
	stray := strings.Replace(h, "000000000001\",\"modified\"", "0000000000ff\",\"modified\"", 1)
	if err := os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--6b1b2a4e-0000-4000-8000-00000000000c","objects":[`+ind2+`,`+stray+`]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := runCmd(t, env, "", "import", file); code != 0 || !strings.Contains(errs, "1 handling objects name no object of the file") {
		t.Errorf("a stray handling object: exit %d, %s", code, errs)
	}
}
