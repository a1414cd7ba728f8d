// Package export writes stored objects in the formats partners and
// stakeholders take away from Mosaic: a STIX 2.1 bundle with each object's
// envelope (in Mosaic's extension, or beside a third party's object in a
// handling object), CSV, blocklists of IP addresses, domains, URLs or
// hashes, and MISP event JSON.
//
// The writers see only the objects they are handed: which objects a
// reader may take out is decided before, by the store's visibility policy.
// They depend on neither HTTP nor the API, so the command line client and
// the server write the same files.
package export

import (
	"bufio"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"mosaic"
)

// Writer writes one export. Call Begin once, Object for each object in the
// order they should appear, and End once; a Writer is not safe for
// concurrent use and is not reused.
//
// Object returns an error when an object is not the JSON of a STIX object;
// the output is then incomplete and should be thrown away.
type Writer interface {
	Begin() error
	Object(o mosaic.StoredObject) error
	// End completes the export, flushes it to the io.Writer given to New
	// and returns a summary for the person who asked, one or more lines
	// without a final newline.
	End() (summary string, err error)
}

// bufferSize is the buffer New puts in front of its io.Writer, so that the
// many small writes of an export become few large ones.
const bufferSize = 64 << 10

var formats = map[string]func(w *bufio.Writer, now time.Time, o options) Writer{
	"stix":   func(w *bufio.Writer, _ time.Time, o options) Writer { return newSTIX(w, o) },
	"csv":    func(w *bufio.Writer, _ time.Time, _ options) Writer { return newCSV(w) },
	"ip":     blocklist("ip"),
	"domain": blocklist("domain"),
	"url":    blocklist("url"),
	"hash":   blocklist("hash"),
	"misp":   func(w *bufio.Writer, _ time.Time, _ options) Writer { return newMISP(w) },
}

// options are what Option values set.
type options struct {
	handling io.Writer
}

// Option changes the Writer New makes.
type Option func(*options)

// HandlingTo makes a STIX export write its handling objects to w, as a
// bundle of their own with Mosaic's identity, the handling object's
// extension definition and the TLP marking definitions they name, instead
// of into the export: the export then holds the objects alone, exactly as
// they are stored.
func HandlingTo(w io.Writer) Option {
	return func(o *options) { o.handling = w }
}

// New returns a Writer of format (one of Formats) that writes to w:
//
//   - "stix": a STIX 2.1 bundle under a fresh id. An object its
//     originator made (mosaic.StoredObject.ByOriginator) carries its
//     envelope in Mosaic's extension; anyone else's is written exactly as
//     stored, its handling in a handling object (stix.HandlingObject)
//     immediately before it, shared by the consecutive objects handled
//     alike, at most stix.MaxHandlingNames of them (or, with HandlingTo, in
//     a bundle of their own). Mosaic's identity, its extension definitions
//     and the TLP 2.0 marking definitions named are included. Of several
//     contributions with one id and version only the first is written,
//     since a bundle may hold one. The summary counts, and warns of, the
//     objects handled above TLP:CLEAR that leave without a TLP marking of
//     their own;
//   - "csv": a header and one row per object and observable (one row for
//     an object without observables), with each object's TLP and
//     originator;
//   - "ip", "domain", "url", "hash": a blocklist, one normalised value per
//     line, sorted, each once, from what indicators' STIX patterns name by
//     equality and from SCOs, leaving out objects that are revoked or
//     whose valid_until is not after now; its header names the strictest
//     TLP among all the objects that name an entry, whatever their order,
//     since a line has no room for one. The entries are held until End,
//     which sorts them;
//   - "misp": MISP event JSON as MISP's search answers it, one event per
//     report and one for the objects outside reports, each attribute
//     tagged with its object's TLP where it differs from its event's. It
//     holds every object until End, since events group them.
//
// Writes to w are buffered; a *bufio.Writer of at least 64 KiB is written
// to directly. An unknown format, or an option the format does not take,
// gives a CodeInvalid *mosaic.Error that says so.
func New(format string, w io.Writer, now time.Time, opts ...Option) (Writer, error) {
	mk, ok := formats[format]
	if !ok {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "export format %q is not one of %s", format, strings.Join(Formats(), ", "))
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.handling != nil && format != "stix" {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "handling objects are written by the stix format only, not by %s", format)
	}
	return mk(bufio.NewWriterSize(w, bufferSize), now, o), nil
}

// Formats returns the names New accepts, sorted.
func Formats() []string {
	return slices.Sorted(maps.Keys(formats))
}
