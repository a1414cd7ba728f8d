package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/storetest"
)

// TestExportLeaksNothing: what one partner keeps to itself, or shares with
// a compartment another is not in, reaches none of the other's exports, in
// any format, and leaves them exactly as they were.
func TestExportLeaksNothing(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	mustRun(t, data, "", "user", "add", "bob", "--org", "pb", "--role", "analyst")
	mustRun(t, data, "", "compartment", "add", "op-b")
	mustRun(t, data, "", "compartment", "add-member", "op-b", "--org", "pb")
	alice := []string{"MOSAIC_TOKEN=" + strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice"))}
	bob := []string{"MOSAIC_TOKEN=" + strings.TrimSpace(mustRun(t, data, "", "token", "create", "bob"))}
	m := startServer(t, dir)
	for _, e := range []*[]string{&alice, &bob} {
		*e = append(*e, "MOSAIC_URL="+m.URL())
	}

	n := 0
	bundle := func(pattern, name string) string {
		n++
		id := "indicator--" + storetest.UUID(n)
		report := "report--" + storetest.UUID(n)
		f := filepath.Join(t.TempDir(), "b.json")
		body := fmt.Sprintf(`{"type":"bundle","id":"bundle--%s","objects":[
			{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":%q,"pattern":%q,"pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"},
			{"type":"report","spec_version":"2.1","id":%q,"created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":%q,"published":"2026-10-01T00:00:00Z","object_refs":[%q]}]}`,
			storetest.UUID(n), id, name, pattern, report, name+" report", id)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// What alice may see: her own, and bob's shared with the cell.
	mustRun(t, alice, "", "import", "--audience", "cell", bundle("[ipv4-addr:value = '198.51.100.1'] OR [domain-name:value = 'seen.example']", "seen"))
	mustRun(t, bob, "", "import", "--audience", "cell", bundle("[url:value = 'http://shared.example/x']", "shared"))

	formats := []string{"stix", "misp", "csv", "ip", "domain", "url", "hash"}
	export := func() map[string]string {
		out := map[string]string{}
		for _, f := range formats {
			out[f] = mustRun(t, alice, "", "export", "--format", f)
		}
		return out
	}
	before := export()

	// What she may not: bob's own, and bob's compartment's.
	hidden := []string{"198.51.100.66", "hidden-own.example", "203.0.113.77", "hidden-comp.example",
		"aabbccddeeff00112233445566778899aabbccddeeff00112233445566778866", "ownword", "compword",
		storetest.UUID(n + 1), storetest.UUID(n + 2)}
	mustRun(t, bob, "", "import", "--audience", "originator", bundle(
		"[ipv4-addr:value = '198.51.100.66'] OR [domain-name:value = 'hidden-own.example'] OR [file:hashes.'SHA-256' = 'aabbccddeeff00112233445566778899aabbccddeeff00112233445566778866']", "ownword"))
	mustRun(t, bob, "", "import", "--audience", "compartment:op-b", bundle(
		"[ipv4-addr:value = '203.0.113.77'] OR [domain-name:value = 'hidden-comp.example']", "compword"))

	after := export()
	for _, f := range formats {
		for _, h := range hidden {
			if strings.Contains(strings.ToLower(after[f]), h) {
				t.Errorf("%s export shows %s", f, h)
			}
		}
		// Nothing else changes either, not even a count in a header.
		if stable(after[f]) != stable(before[f]) {
			t.Errorf("%s export changed when hidden objects arrived:\nbefore:\n%s\nafter:\n%s", f, before[f], after[f])
		}
	}
	// The exports did hold what alice may see.
	for f, want := range map[string]string{"ip": "198.51.100.1", "domain": "seen.example", "url": "http://shared.example/x", "stix": "shared report", "misp": "shared report", "csv": "seen.example"} {
		if !strings.Contains(after[f], want) {
			t.Errorf("%s export lacks %s:\n%s", f, want, after[f])
		}
	}
	// Bob's own export does hold them: the test data is not at fault.
	if out := mustRun(t, bob, "", "export", "--format", "ip"); !strings.Contains(out, "198.51.100.66") || !strings.Contains(out, "203.0.113.77") {
		t.Errorf("bob's export:\n%s", out)
	}
}

// stable drops what differs between two exports of the same content: the
// time of the export and the ids made for the export itself.
func stable(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		l := strings.ToLower(line)
		if strings.Contains(l, "exported") || strings.Contains(l, "bundle--") || strings.Contains(l, "generated") || strings.Contains(l, `"timestamp"`) || strings.Contains(l, `"date"`) || strings.Contains(l, `"publish_timestamp"`) {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
