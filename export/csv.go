package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"mosaic"
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
		obs = []observable{{}}
	}
	for _, ob := range obs {
		c.rows++
		if err := c.w.Write([]string{x.ID, x.Type, x.Name, ob.kind, ob.alg, ob.value, o.Envelope.TLP.Label(), o.Envelope.Originator, o.Envelope.Audience.String(),
			x.Created, x.Modified, x.ValidUntil, strconv.FormatBool(x.Revoked), strings.Join(x.Labels, ";")}); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) End() (string, error) {
	// csv.Writer.Flush flushes the bufio.Writer under it as well.
	c.w.Flush()
	return fmt.Sprintf("exported %d rows", c.rows), c.w.Error()
}
