package export_test

import (
	"fmt"
	"io"
	"testing"

	"mosaic"
	"mosaic/export"
)

// benchObjects are 10,000 indicators, as a large export holds them: one
// observable each, of every blocklist kind in turn, under every TLP.
var benchObjects = func() []mosaic.StoredObject {
	objs := make([]mosaic.StoredObject, 10_000)
	for i := range objs {
		var pat string
		switch i % 4 {
		case 0:
			pat = fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", i>>16&255, i>>8&255, i&255)
		case 1:
			pat = fmt.Sprintf("[domain-name:value = 'host%d.example.com']", i)
		case 2:
			pat = fmt.Sprintf("[url:value = 'https://host%d.example.com/path?q=%d']", i, i)
		case 3:
			pat = fmt.Sprintf("[file:hashes.'SHA-256' = '%064x']", i)
		}
		tlp := mosaic.TLPLevels[i%len(mosaic.TLPLevels)]
		objs[i] = stored(indicator(i+1, pat, `,"labels":["malicious-activity"],"valid_until":"2027-10-01T00:00:00Z"`), tlp, "pa")
	}
	return objs
}()

func benchmarkFormat(b *testing.B, format string) { benchmarkObjects(b, format, benchObjects) }

// runs returns benchObjects handled as uploads are: each run of 500 shares
// one handling; own marks them as their originator's own objects.
func runs(own bool) []mosaic.StoredObject {
	out := make([]mosaic.StoredObject, len(benchObjects))
	for i, o := range benchObjects {
		o.Envelope.TLP = mosaic.TLPLevels[i/500%len(mosaic.TLPLevels)]
		o.ByOriginator = own
		out[i] = o
	}
	return out
}

func benchmarkObjects(b *testing.B, format string, benchObjects []mosaic.StoredObject) {
	b.ReportAllocs()
	var bytes int64
	for b.Loop() {
		cw := &countingWriter{}
		w, err := export.New(format, cw, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Begin(); err != nil {
			b.Fatal(err)
		}
		for _, o := range benchObjects {
			if err := w.Object(o); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := w.End(); err != nil {
			b.Fatal(err)
		}
		bytes = cw.n
	}
	b.SetBytes(bytes)
	b.ReportMetric(float64(len(benchObjects))*float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// countingWriter measures the output, for the MB/s figure.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return io.Discard.Write(p)
}

// BenchmarkSTIX writes a bundle of 10,000 third parties' indicators, each
// handled unlike the one before it: a handling object for every object,
// the worst case.
func BenchmarkSTIX(b *testing.B) { benchmarkFormat(b, "stix") }

// BenchmarkSTIXRuns writes them as uploads leave them: runs of 500 handled
// alike, one handling object each.
func BenchmarkSTIXRuns(b *testing.B) { benchmarkObjects(b, "stix", runs(false)) }

// BenchmarkSTIXOwn writes them as their originator's own objects, each
// with its envelope added.
func BenchmarkSTIXOwn(b *testing.B) { benchmarkObjects(b, "stix", runs(true)) }

// BenchmarkCSV writes the CSV rows of 10,000 indicators, each pattern
// parsed for its observables.
func BenchmarkCSV(b *testing.B) { benchmarkFormat(b, "csv") }

// BenchmarkBlocklist writes the IP blocklist of 10,000 indicators.
func BenchmarkBlocklist(b *testing.B) { benchmarkFormat(b, "ip") }
