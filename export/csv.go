package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

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
			x.Created, x.Modified, x.ValidUntil, strconv.FormatBool(x.Revoked), strings.Join(x.Labels, ";")}
		for i := range row {
			row[i] = cell(row[i])
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	return nil
}

// cell keeps a spreadsheet from reading a value as a formula (CSV
// injection): a value that starts with =, +, -, @, a tab or a carriage
// return gets a leading apostrophe, as OWASP recommends. Spreadsheets show
// the value as text and hide the apostrophe; encoding/csv quotes what
// needs quoting. Contributors write names and labels, so a formula there
// would run on the machine of whoever opens the export.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (c *csvWriter) End() (string, error) {
	// csv.Writer.Flush flushes the bufio.Writer under it as well.
	c.w.Flush()
	return fmt.Sprintf("exported %d rows", c.rows), c.w.Error()
}
