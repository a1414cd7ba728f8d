package export_test

import (
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"mosaic"
)

// TestCSVInjection: names and labels that a spreadsheet would read as a
// formula leave the CSV export as text (OWASP's CSV injection advice).
func TestCSVInjection(t *testing.T) {
	for i, name := range []string{`=HYPERLINK("http://evil.example","x")`, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"} {
		label := `,"labels":["=cmd|' /C calc'!A0","plain"]`
		o := stored(indicator(i+1, "[ipv4-addr:value = '198.51.100.1']", label), mosaic.TLPAmber, "pa")
		q, _ := json.Marshal(name)
		o.Object = []byte(strings.Replace(string(o.Object), `"name":"i`+strconv.Itoa(i+1)+`"`, `"name":`+string(q), 1))
		out, _ := write(t, "csv", o)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%q: %v %q", name, err, out)
		}
		if got := rows[1][2]; got != "'"+name {
			t.Errorf("name %q written as %q", name, got)
		}
		if got := rows[1][13]; got != "'=cmd|' /C calc'!A0;plain" {
			t.Errorf("labels written as %q", got)
		}
		// Values that start otherwise are written as they are.
		if rows[1][5] != "198.51.100.1" || rows[1][6] != "TLP:AMBER" {
			t.Errorf("row %q", rows[1])
		}
	}
}
