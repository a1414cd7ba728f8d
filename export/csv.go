package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"mosaic"
	"mosaic/blockable"
)

// csvHeader names the columns of the CSV format.
var csvHeader = []string{"id", "type", "name", "observable_type", "hash_algorithm", "observable", "tlp", "originator", "audience", "created", "modified", "valid_until", "revoked", "labels"}

// csvWriter writes one row per object and observable (one row for an
// object without observables), with the TLP and originator of each.
type csvWriter struct {
	w    *csv.Writer
	rows int
}

// newCSV writes through w itself: csv.NewWriter takes a *bufio.Writer as
// large as its own buffer as it is.
func newCSV(w *bufio.Writer) *csvWriter { return &csvWriter{w: csv.NewWriter(w)} }

func (c *csvWriter) Begin() error { return c.w.Write(csvHeader) }

func (c *csvWriter) Object(o mosaic.StoredObject) error {
	x, err := readFlat(o.Object)
	if err != nil {
		return err
	}
	obs := x.observables
	if len(obs) == 0 {
		obs = []blockable.Value{{}}
	}
	for _, ob := range obs {
		c.rows++
		row := []string{x.ID, x.Type, x.Name, ob.Kind, ob.Alg, ob.Value, o.Envelope.TLP.Label(), o.Envelope.Originator, o.Envelope.Audience.String(),
			x.Created, x.Modified, x.ValidUntil, strconv.FormatBool(x.Revoked), labels(x.Labels)}
		for i := range row {
			row[i] = cell(row[i])
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// labels writes an object's labels in one cell, each escaped (cell) and
// joined with ";".
func labels(ls []string) string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = cell(l)
	}
	return strings.Join(out, ";")
}

// cell keeps a spreadsheet from reading a value as a formula (CSV
// injection). Contributors write names and labels, so a formula there
// would run on the machine of whoever opens the export.
//
// Each part of a cell that would start a formula gets a leading
// apostrophe, as OWASP recommends: spreadsheets show the part as text and
// hide the apostrophe. The parts are the cell itself and the text after
// each ";" or "," in it, since a spreadsheet whose list separator is ";"
// (Excel in Dutch, German or French) splits the line at every ";", and
// labels are joined with ";". A part starts a formula if its first
// character is a trigger (=, +, -, @, a tab, a carriage return, or the
// fullwidth ＝, ＋, －, ＠), or if the first character after the white
// space and double quotes it starts with is one: " =1+1" and "\"=1+1" are
// formulas to some spreadsheets. A trigger elsewhere ("foo-bar", "a=b")
// is left alone. The apostrophe goes at the start of the part, before its
// white space or quotes; encoding/csv quotes what needs quoting.
func cell(v string) string {
	var b strings.Builder
	last := 0 // v[:last] is in b
	for i := 0; i < len(v); i++ {
		if i > 0 && v[i-1] != ';' && v[i-1] != ',' || !formula(v[i:]) {
			continue
		}
		b.WriteString(v[last:i])
		b.WriteByte('\'')
		last = i
	}
	if b.Len() == 0 {
		return v
	}
	b.WriteString(v[last:])
	return b.String()
}

// formula reports whether a part of a cell starts a formula (cell).
func formula(part string) bool {
	for _, r := range part {
		switch {
		case strings.ContainsRune("=+-@\t\r＝＋－＠", r):
			return true
		case r != '"' && !unicode.IsSpace(r):
			return false
		}
	}
	return false
}

func (c *csvWriter) End() (string, error) {
	// csv.Writer.Flush flushes the bufio.Writer under it as well.
	c.w.Flush()
	return fmt.Sprintf("exported %d rows", c.rows), c.w.Error()
}
