package stix

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

// FuzzDecodeBundle feeds arbitrary bodies to DecodeBundle. It must not
// panic; whatever it accepts must be valid JSON that encoding/json reads
// the same way; and each accepted object's canonical form must decode to
// itself.
func FuzzDecodeBundle(f *testing.F) {
	for _, body := range examples(f) {
		f.Add(body)
	}
	f.Add(bundleOf(indicator, set(indicator, "extensions", `{"`+ExtensionID+`":{"extension_type":"property-extension","audience":["compartment:a"],"orcon":false,"review_by":"2027-01-31"}}`)))
	f.Add(bundleOf(set(indicator, "description", `"<&>\u2028 é \ud83d\ude00 \u0000"`)))
	f.Add(bundleOf(set(indicator, "x_deep", deep(40))))
	f.Add(bundleOf(strings.Replace(indicator, `"name"`, `"name":"a","name"`, 1)))
	f.Add([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","spec_version":"2.0","objects":[]}`))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"x-foo","id":"x-foo--5d0092c5-5f74-4287-9642-33f4c354e56d","a_b_c":[1.5e3,-0,true,null,{}]}]}`))
	f.Add(bundleOf(set(indicator, "x_numbers", `[1e308,1e309,-2.5E-324,5e-324,0e99999,`+strings.Repeat("7", 310)+`]`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{MaxObjects: 50, MaxDepth: 12, MaxStringBytes: 4096, MaxObjectBytes: 1 << 16}
		objs, err := DecodeBundle(body, lim)
		if err != nil {
			var e *mosaic.Error
			if !errors.As(err, &e) || len(e.Problems) == 0 || e.Code == mosaic.CodeInternal {
				t.Fatalf("error %v is not a *mosaic.Error with problems", err)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that encoding/json rejects")
		}
		for _, o := range objs {
			// I-JSON: every number accepted is a double, not Infinity or a
			// non-zero number read as 0.
			if n, ok := finiteNumbers(o.Props); !ok {
				t.Fatalf("%s: accepted the number %s, which a double cannot hold", o.ID, truncate(n, 60))
			}
			again, probs := DecodeObject(o.Canonical, lim)
			if len(probs) > 0 {
				t.Fatalf("%s: canonical form has problems: %v\n%s", o.ID, probs, o.Canonical)
			}
			if !bytes.Equal(again.Canonical, o.Canonical) {
				t.Fatalf("%s: canonical form is not stable:\n%s\n%s", o.ID, o.Canonical, again.Canonical)
			}
			// encoding/json must read the canonical form as we read the
			// object, and write it back as it is.
			d := json.NewDecoder(bytes.NewReader(o.Canonical))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				t.Fatalf("%s: encoding/json cannot read the canonical form: %v", o.ID, err)
			}
			if diff := cmp.Diff(m, o.Props); diff != "" {
				t.Fatalf("%s: Props differ from encoding/json's reading (-json +got):\n%s", o.ID, diff)
			}
			var buf bytes.Buffer
			e := json.NewEncoder(&buf)
			e.SetEscapeHTML(false)
			if err := e.Encode(m); err != nil {
				t.Fatal(err)
			}
			if got := bytes.TrimSuffix(buf.Bytes(), []byte("\n")); !bytes.Equal(got, o.Canonical) {
				t.Fatalf("%s: canonical form differs from encoding/json's:\n%s\n%s", o.ID, o.Canonical, got)
			}
		}
	})
}

// FuzzDecodeObject checks single objects the same way, starting from
// objects rather than bundles, which lets the fuzzer reach the STIX rules
// sooner.
func FuzzDecodeObject(f *testing.F) {
	for _, body := range examples(f) {
		objs, err := DecodeBundle(body, Limits{})
		if err != nil {
			f.Fatal(err)
		}
		for _, o := range objs {
			f.Add([]byte(o.Canonical))
		}
	}
	f.Add([]byte(indicator))
	f.Fuzz(func(t *testing.T, raw []byte) {
		o, probs := DecodeObject(raw, Limits{})
		if len(probs) > 0 {
			return
		}
		again, probs := DecodeObject(o.Canonical, Limits{})
		if len(probs) > 0 || !bytes.Equal(again.Canonical, o.Canonical) {
			t.Fatalf("canonical form not stable: %v\n%s\n%s", probs, o.Canonical, again.Canonical)
		}
		withEnv, err := WithEnvelope(o.Canonical, mosaic.Envelope{Originator: "acme", TLP: mosaic.TLPRed})
		if err != nil {
			t.Fatal(err)
		}
		if back, probs := DecodeObject(withEnv, Limits{}); len(probs) > 0 || !bytes.Equal(back.Canonical, o.Canonical) {
			t.Fatalf("envelope round trip: %v\n%s", probs, withEnv)
		}
	})
}

// FuzzTimeKey checks that whatever TimeKey accepts, KeyTime reads back:
// to the same second, or for a leap second to the one time.Date makes of
// it, a second later.
func FuzzTimeKey(f *testing.F) {
	f.Add("2016-04-29T14:09:00.000Z")
	f.Add("0001-01-01T00:00:00Z")
	f.Add("9999-12-31T23:59:59.999999999999Z")
	f.Add("2016-12-31T23:59:60.5Z")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := TimeKey(s)
		if err != nil {
			return
		}
		tm, err := KeyTime(k)
		if err != nil {
			t.Fatalf("KeyTime(%q): %v", k, err)
		}
		if s[17:19] == "60" {
			tm = tm.Add(-time.Second)
			s = s[:17] + "59" + s[19:]
		}
		if got := FormatTime(tm); got[:19] != s[:19] {
			t.Fatalf("%s became %s", s, got)
		}
	})
}

// FuzzReadHead: ReadHead reads anything without panicking, and what it
// reads of a valid object is what encoding/json reads.
func FuzzReadHead(f *testing.F) {
	f.Add([]byte(`{"type":"indicator","id":"indicator--1","created":"2026-01-01T00:00:00Z","x":{"id":"no"}}`))
	f.Add([]byte(`{"id":"a\"b","modified":"\u0041"}`))
	f.Add([]byte(`{"id":`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		h := ReadHead(raw)
		var want map[string]any
		if json.Unmarshal(raw, &want) != nil || !utf8.Valid(raw) {
			return
		}
		for _, c := range []struct {
			got, key string
		}{{h.ID, "id"}, {h.Type, "type"}, {h.Created, "created"}, {h.Modified, "modified"}} {
			if s, ok := want[c.key].(string); ok && s != c.got {
				t.Fatalf("ReadHead(%q) = %+v; encoding/json reads %s %q", raw, h, c.key, s)
			}
		}
	})
}
