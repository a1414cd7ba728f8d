package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/export"
)

// now is the time of every test export.
var now = time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)

func uuid(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

// indicator returns indicator n with a STIX pattern; extra is more
// properties, each starting with a comma.
func indicator(n int, pattern, extra string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"i%d","pattern":%q,"pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"%s}`,
		uuid(n), n, pattern, extra))
}

// stored is obj as originator's contribution under tlp, shared with the
// cell.
func stored(obj json.RawMessage, tlp mosaic.TLP, originator string) mosaic.StoredObject {
	return mosaic.StoredObject{Object: obj, Envelope: mosaic.Envelope{
		Originator: originator, TLP: tlp, Audience: mosaic.Audience{Cell: true}, ORCON: true, LegalBasis: "wpg", ReviewBy: "2027-01-01",
	}}
}

// write exports objs in format at now.
func write(t testing.TB, format string, objs ...mosaic.StoredObject) (out, summary string) {
	t.Helper()
	var buf bytes.Buffer
	w, err := export.New(format, &buf, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := w.Object(o); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
	}
	summary, err = w.End()
	if err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return buf.String(), summary
}

func TestFormats(t *testing.T) {
	want := []string{"csv", "domain", "hash", "ip", "misp", "stix", "url"}
	if diff := cmp.Diff(want, export.Formats()); diff != "" {
		t.Errorf("Formats() (-want +got):\n%s", diff)
	}
	for _, f := range export.Formats() {
		if _, err := export.New(f, &bytes.Buffer{}, now); err != nil {
			t.Errorf("New(%q): %v", f, err)
		}
	}
}

func TestNewUnknownFormat(t *testing.T) {
	for _, format := range []string{"xml", "", "STIX", "ipv4"} {
		w, err := export.New(format, &bytes.Buffer{}, now)
		var me *mosaic.Error
		if w != nil || !errors.As(err, &me) || me.Code != mosaic.CodeInvalid {
			t.Fatalf("New(%q) = %v, %v; want a CodeInvalid *mosaic.Error", format, w, err)
		}
		// The caller shows the message: it names what was asked for and
		// every format there is.
		for _, s := range append(export.Formats(), fmt.Sprintf("%q", format)) {
			if !strings.Contains(me.Message, s) {
				t.Errorf("New(%q) message %q does not name %s", format, me.Message, s)
			}
		}
	}
}

// failing is an io.Writer that takes nothing.
type failing struct{}

var errFull = errors.New("disk full")

func (failing) Write([]byte) (int, error) { return 0, errFull }

// TestWriteError: every format reports, by End at the latest, that its
// output could not be written, since the writes are buffered until then.
func TestWriteError(t *testing.T) {
	for _, format := range export.Formats() {
		t.Run(format, func(t *testing.T) {
			w, err := export.New(format, failing{}, now)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Begin()
			if err == nil {
				err = w.Object(stored(indicator(1, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPGreen, "pa"))
			}
			if err == nil {
				_, err = w.End()
			}
			if !errors.Is(err, errFull) {
				t.Errorf("error %v, want %v", err, errFull)
			}
		})
	}
}

func TestObjectNotJSON(t *testing.T) {
	for _, format := range export.Formats() {
		w, err := export.New(format, &bytes.Buffer{}, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Begin(); err != nil {
			t.Fatal(err)
		}
		if err := w.Object(stored(json.RawMessage(`{"type":`), mosaic.TLPGreen, "pa")); err == nil {
			t.Errorf("%s: Object of malformed JSON gave no error", format)
		}
	}
}
