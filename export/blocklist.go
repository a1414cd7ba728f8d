package export

import (
	"bufio"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/stix"
	"mosaic/warninglist"
)

// blocklistWriter writes one value per line for a firewall or DNS
// blocklist: the observables of one kind, each once (an address block
// without its host bits), from objects that are not revoked and whose
// valid_until has not passed. Plain text has no
// place for a TLP per line, so the header names the most restrictive TLP
// among the entries; the reader selects by TLP what may go further.
type blocklistWriter struct {
	w      *bufio.Writer
	kind   string
	now    time.Time
	values []string
	seen   map[string]bool
	tlp    mosaic.TLP
	stale  int
	// broad and warned count the values left out as too broad to block
	// or on a warning list; firstOut names a few of them.
	broad, warned int
	firstOut      []string
}

func blocklist(kind string) func(*bufio.Writer, time.Time, options) Writer {
	return func(w *bufio.Writer, now time.Time, _ options) Writer {
		return &blocklistWriter{w: w, kind: kind, now: now, seen: map[string]bool{}, tlp: mosaic.TLPClear}
	}
}

// Begin writes nothing: the header counts the entries, known at the end.
func (b *blocklistWriter) Begin() error { return nil }

func (b *blocklistWriter) Object(o mosaic.StoredObject) error {
	x, err := readFlat(o.Object)
	if err != nil {
		return err
	}
	if x.Revoked || expired(x.ValidUntil, b.now) {
		b.stale++
		return nil
	}
	for _, ob := range x.observables {
		if ob.Kind != b.kind {
			continue
		}
		// Every object that names a value counts toward the header's TLP,
		// not only the first: the header then does not depend on the
		// order objects come in, and never says less than one of them.
		if o.Envelope.TLP.Rank() > b.tlp.Rank() {
			b.tlp = o.Envelope.TLP
		}
		v := ob.Value
		if b.kind == "ip" {
			v = masked(v)
		}
		if b.seen[v] {
			continue
		}
		b.seen[v] = true
		if why, ok := warninglist.Reason(b.kind, v); ok {
			if b.kind == "ip" && warninglist.TooBroad(v) {
				b.broad++
			} else {
				b.warned++
			}
			b.leaveOut(why)
			continue
		}
		b.values = append(b.values, v)
	}
	return nil
}

// masked writes an address block without host bits, as a firewall reads
// it: 11.22.33.44/16 is 11.22.0.0/16. An address, or a block without host
// bits, is written as it is.
func masked(v string) string {
	if p, err := netip.ParsePrefix(v); err == nil && p.Masked() != p {
		return p.Masked().String()
	}
	return v
}

// leaveOut notes a value left out, naming the first few in the summary.
func (b *blocklistWriter) leaveOut(what string) {
	if len(b.firstOut) < 5 {
		b.firstOut = append(b.firstOut, what)
	}
}

// expired reports whether validUntil is at or before now. A valid_until
// that cannot be read (ingest refuses those) names no expiry, so it
// expires nothing.
func expired(validUntil string, now time.Time) bool {
	if validUntil == "" {
		return false
	}
	k, err := stix.TimeKey(validUntil)
	if err != nil {
		return false
	}
	t, err := stix.KeyTime(k)
	return err == nil && !t.After(now)
}

func (b *blocklistWriter) End() (string, error) {
	slices.Sort(b.values)
	fmt.Fprintf(b.w, "# Mosaic %s blocklist, %d entries, exported %s\n", b.kind, len(b.values), b.now.UTC().Format(time.RFC3339))
	if len(b.values) > 0 {
		fmt.Fprintf(b.w, "# %s: the most restrictive TLP among the entries; share no further than it allows\n", b.tlp.Label())
	}
	for _, v := range b.values {
		b.w.WriteString(v)
		b.w.WriteByte('\n')
	}
	msg := fmt.Sprintf("exported %d %s entries", len(b.values), b.kind)
	if b.stale > 0 {
		msg += fmt.Sprintf(" (%d revoked or expired objects left out)", b.stale)
	}
	if b.broad+b.warned > 0 {
		msg += fmt.Sprintf("\nleft out %d entries too broad to block and %d on a warning list of values never to block: %s", b.broad, b.warned, strings.Join(b.firstOut, "; "))
		if n := b.broad + b.warned - len(b.firstOut); n > 0 {
			msg += fmt.Sprintf("; and %d more", n)
		}
	}
	return msg, b.w.Flush()
}
