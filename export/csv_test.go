package export_test

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

func TestCSV(t *testing.T) {
	header := []string{"id", "type", "name", "observable_type", "hash_algorithm", "observable", "tlp", "originator", "audience", "created", "modified", "valid_until", "revoked", "labels"}
	const created = "2026-10-01T00:00:00.000Z"
	file := json.RawMessage(`{"type":"file","spec_version":"2.1","id":"file--` + uuid(3) + `","name":"x.exe","hashes":{"SHA-256":"AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899","MD5":"D41D8CD98F00B204E9800998ECF8427E"}}`)
	report := json.RawMessage(`{"type":"report","spec_version":"2.1","id":"report--` + uuid(4) + `","created":"` + created + `","modified":"` + created + `","name":"Marsh, \"lock\"","published":"` + created + `","object_refs":["file--` + uuid(3) + `"]}`)
	compartments := stored(report, mosaic.TLPAmberStrict, "pb")
	compartments.Envelope.Audience = mosaic.Audience{Compartments: []string{"op-a", "op-b"}}
	for _, tc := range []struct {
		name        string
		objs        []mosaic.StoredObject
		want        [][]string // rows after the header
		wantSummary string
	}{{
		name:        "empty",
		wantSummary: "exported 0 rows",
	}, {
		name: "a row per observable",
		objs: []mosaic.StoredObject{stored(indicator(1, "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'EVIL.example.com'] OR [ipv4-addr:value = '198.51.100.7']",
			`,"labels":["malicious-activity","c2"],"valid_until":"2027-01-01T00:00:00Z"`), mosaic.TLPGreen, "pa")},
		want: [][]string{
			{"indicator--" + uuid(1), "indicator", "i1", "ip", "", "198.51.100.7", "TLP:GREEN", "pa", "cell", created, created, "2027-01-01T00:00:00Z", "false", "malicious-activity;c2"},
			{"indicator--" + uuid(1), "indicator", "i1", "domain", "", "evil.example.com", "TLP:GREEN", "pa", "cell", created, created, "2027-01-01T00:00:00Z", "false", "malicious-activity;c2"},
		},
		wantSummary: "exported 2 rows",
	}, {
		// A hash row names its algorithm; the algorithms come sorted.
		name: "hashes of an SCO",
		objs: []mosaic.StoredObject{stored(file, mosaic.TLPRed, "pa")},
		want: [][]string{
			{"file--" + uuid(3), "file", "x.exe", "hash", "MD5", "d41d8cd98f00b204e9800998ecf8427e", "TLP:RED", "pa", "cell", "", "", "", "false", ""},
			{"file--" + uuid(3), "file", "x.exe", "hash", "SHA-256", "aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899", "TLP:RED", "pa", "cell", "", "", "", "false", ""},
		},
		wantSummary: "exported 2 rows",
	}, {
		// What a pattern does not name by equality is no observable, and
		// a revoked object is still a row: CSV is a record of what is
		// held, not a blocklist.
		name: "objects without observables",
		objs: []mosaic.StoredObject{
			compartments,
			stored(indicator(2, "[ipv4-addr:value != '203.0.113.1']", `,"revoked":true`), mosaic.TLPClear, "pa"),
		},
		want: [][]string{
			{"report--" + uuid(4), "report", `Marsh, "lock"`, "", "", "", "TLP:AMBER+STRICT", "pb", "compartment:op-a,compartment:op-b", created, created, "", "false", ""},
			{"indicator--" + uuid(2), "indicator", "i2", "", "", "", "TLP:CLEAR", "pa", "cell", created, created, "", "true", ""},
		},
		wantSummary: "exported 2 rows",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, summary := write(t, "csv", tc.objs...)
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, out)
			}
			if diff := cmp.Diff(append([][]string{header}, tc.want...), rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if summary != tc.wantSummary {
				t.Errorf("summary %q, want %q", summary, tc.wantSummary)
			}
		})
	}
}
