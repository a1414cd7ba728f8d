package deconflict

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/cloudflare/circl/oprf"
)

// BenchmarkSuites compares the two suites the issue allows on what the
// evaluator does per batch (evaluate and prove) and what the client does
// (blind, verify, finalise). Suite (deconflict.go) records the choice and
// the figures.
func BenchmarkSuites(b *testing.B) {
	for _, s := range []oprf.Suite{oprf.SuiteRistretto255, oprf.SuiteP256} {
		key, err := oprf.GenerateKey(s, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		srv := oprf.NewVerifiableServer(s, key)
		cl := oprf.NewVerifiableClient(s, key.Public())
		const n = 100
		inputs := make([][]byte, n)
		for i := range inputs {
			inputs[i] = fmt.Appendf(nil, "ipv4\x00192.0.2.%d", i)
		}
		b.Run(s.Identifier()+"/evaluate", func(b *testing.B) {
			_, req, _ := cl.Blind(inputs)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := srv.Evaluate(req); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "elements/s")
		})
		b.Run(s.Identifier()+"/client", func(b *testing.B) {
			_, req, _ := cl.Blind(inputs)
			ev, _ := srv.Evaluate(req)
			for b.Loop() {
				fin, _, _ := cl.Blind(inputs)
				if _, err := cl.Finalize(fin, ev); err == nil {
					// A stale evaluation must not verify; the cost measured
					// is the same as for a fresh one.
					b.Fatal("stale evaluation verified")
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "elements/s")
		})
	}
}
