package stix

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
)

// benchBundle builds a bundle of n typical indicators of about 600 bytes.
func benchBundle(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-17d4-4cbf-938f-98ee46b3cd3f",`+
			`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-29T14:09:00.000Z",`+
			`"modified":"2016-04-29T14:09:00.000Z","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],`+
			`"name":"Malicious IP address %d","description":"This address is used as a command and control server by the group.",`+
			`"indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '198.51.%d.%d']","pattern_type":"stix",`+
			`"valid_from":"2016-04-29T14:09:00.000Z","labels":["c2"],"confidence":80,`+
			`"external_references":[{"source_name":"example","url":"https://example.com/reports/%d"}]}`,
			i, i, i/256%256, i%256, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkDecodeBundle decodes 10,000 indicators; ns/object is the figure
// that matters for ingest throughput. Run it with -cpu 1 for the cost on
// one core.
func BenchmarkDecodeBundle(b *testing.B) {
	const n = 10_000
	body := benchBundle(n)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		objs, err := DecodeBundle(body, DefaultLimits())
		if err != nil || len(objs) != n {
			b.Fatalf("got %d objects, %v", len(objs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
}

// BenchmarkStdlibBaseline does the least encoding/json would do for the
// same objects (decode with UseNumber, encode, hash, no checks), as a yard
// stick for BenchmarkDecodeBundle on the machine at hand.
func BenchmarkStdlibBaseline(b *testing.B) {
	const n = 10_000
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(benchBundle(n), &bundle); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, raw := range bundle.Objects {
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			var m map[string]any
			if err := d.Decode(&m); err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			e := json.NewEncoder(&buf)
			e.SetEscapeHTML(false)
			if err := e.Encode(m); err != nil {
				b.Fatal(err)
			}
			sha256.Sum256(buf.Bytes())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
}

// BenchmarkSchema measures the schema step alone (checkSchema on decoded
// indicators of benchBundle), and for comparison the library's own
// validation of the same objects.
func BenchmarkSchema(b *testing.B) {
	const n = 1000
	var bundle struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(benchBundle(n), &bundle); err != nil {
		b.Fatal(err)
	}
	checkers := make([]*checker, n)
	for i, raw := range bundle.Objects {
		o, probs := DecodeObject(raw, Limits{})
		if len(probs) > 0 {
			b.Fatal(probs)
		}
		checkers[i] = &checker{props: o.Props, typ: o.Type, spec: types[o.Type], cat: catOf(o.Type)}
	}
	s := stixSchemas().byType["indicator"]
	b.Run("checkSchema", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range checkers {
				c.checkSchema()
				if len(c.probs) > 0 {
					b.Fatal(c.probs)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
	})
	b.Run("library", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range checkers {
				if err := s.lib.Validate(c.props); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/object")
	})
}
