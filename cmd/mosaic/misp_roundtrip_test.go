package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// mixedTLPFile is a red event with amber attributes and objects: MISP
// reads an attribute's own tlp tag before its event's, and so must the
// import, or Mosaic's own MISP export (which writes such tags) does not
// import back unchanged.
const mixedTLPFile = "../../misp/testdata/mixed-tlp.json"

// TestMISPRoundTrip imports every MISP event of the test data, exports
// everything as MISP and imports the export again as the same
// organisation under the same envelope: nothing may be new or changed.
func TestMISPRoundTrip(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { testMISPRoundTrip(t, store) })
	}
}

var mispImportLine = regexp.MustCompile(`: MISP event: (\d+) new, (\d+) new versions, (\d+) unchanged;`)

func testMISPRoundTrip(t *testing.T, store string) {
	env, _ := interopServer(t, store)
	files := append(globAll(t, interopMISP), mixedTLPFile)
	// The audience of the report: with originator, a changed
	// object is refused (409) rather than stored as a new version.
	envelope := []string{"--audience", "originator"}
	for _, file := range files {
		mustRun(t, env, "", append(append([]string{"import"}, envelope...), file)...)
	}
	out := filepath.Join(t.TempDir(), "export-misp.json")
	mustRun(t, env, "", "export", "--format", "misp", "-o", out)
	stdout, stderr, code := runCmd(t, env, "", append(append([]string{"import"}, envelope...), out)...)
	if code != 0 {
		t.Fatalf("import of the MISP export: exit %d\n%s\n%s", code, stdout, stderr)
	}
	lines := mispImportLine.FindAllStringSubmatch(stdout, -1)
	if len(lines) < len(files) {
		t.Fatalf("import of the MISP export: %d events, want at least %d:\n%s", len(lines), len(files), stdout)
	}
	unchanged := 0
	for _, m := range lines {
		if m[1] != "0" || m[2] != "0" {
			t.Errorf("import of the MISP export changed something: %s", strings.TrimPrefix(m[0], ": "))
		}
		n, _ := strconv.Atoi(m[3])
		unchanged += n
	}
	if unchanged == 0 {
		t.Errorf("import of the MISP export found nothing it already had:\n%s", stdout)
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
}

// TestMISPImportNamesDroppedAttribute imports a file object whose ssdeep
// hash has a line break: the object is stored with its other attributes,
// and the import names the attribute it left out.
func TestMISPImportNamesDroppedAttribute(t *testing.T) {
	env, _ := interopServer(t, "sqlite")
	file := filepath.Join(t.TempDir(), "bad-ssdeep.json")
	doc := `{"Event": {"uuid": "5a8c3f1e-7b2d-4c9a-8e6f-1d2b3c4d5e60", "info": "bad ssdeep", "timestamp": "1790812800",
  "Tag": [{"name": "tlp:green"}],
  "Object": [{"uuid": "9ec07152-bf61-40de-83a3-516f708192a0", "name": "file", "meta-category": "file", "timestamp": "1790812800",
    "Attribute": [
      {"uuid": "b0e29374-d183-4201-a5c5-738192b3c4d0", "type": "md5", "object_relation": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "to_ids": true},
      {"uuid": "d204b596-f3a5-4423-87e7-95a314d5e6f0", "type": "ssdeep", "object_relation": "ssdeep", "value": "96:s4Ud1Lj96tHHlZDrwciQmA:\r\n96:s4Ud1Lj96tHHl", "to_ids": true}
    ]}]}}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCmd(t, env, "", "import", file)
	if code != 0 || !strings.Contains(stdout, "MISP event: 5 new, 0 new versions, 0 unchanged; 1 parts not mapped to STIX") ||
		!strings.Contains(stderr, "not mapped: attribute d204b596-f3a5-4423-87e7-95a314d5e6f0 (object_relation: ssdeep) of object 9ec07152-bf61-40de-83a3-516f708192a0 (name: file): ") {
		t.Errorf("import: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out := mustRun(t, env, "", "export", "--format", "csv", "--type", "file")
	if !strings.Contains(out, "0749bae92ca336a02c83d126e04ec628") {
		t.Errorf("the file object is not stored:\n%s", out)
	}
}
