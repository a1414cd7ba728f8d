package deconflict

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudflare/circl/oprf"
)

// BenchmarkEvaluator compares, in the same run and on one core, circl's
// bare batch Evaluate of already decoded elements with the evaluator's
// whole path: decoding and checking the request's elements, evaluating
// with the batch proof, and encoding the answer. The goal is at least 80%
// of circl's throughput.
func BenchmarkEvaluator(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ev, rec := newEvaluator(b)
			bl, _ := NewBlinder(rec)
			sels := make([]Selector, n)
			for i := range sels {
				sels[i] = Selector{IPv4, fmt.Sprintf("10.0.%d.%d", i/256, i%256)}
			}
			p, err := bl.Blind(sels)
			if err != nil {
				b.Fatal(err)
			}
			elems, _ := DecodeElements(p.Elements)
			bare := oprf.NewVerifiableServer(Suite, ev.kf.Current().Key)
			req := &oprf.EvaluationRequest{Elements: elems}
			var tBare, tOurs time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := bare.Evaluate(req); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if _, err := ev.Evaluate(context.Background(), rec.Epoch, p.Elements); err != nil {
					b.Fatal(err)
				}
				tBare, tOurs = tBare+mid.Sub(start), tOurs+time.Since(mid)
			}
			b.ReportMetric(float64(b.N*n)/tBare.Seconds(), "circl-elements/s")
			b.ReportMetric(float64(b.N*n)/tOurs.Seconds(), "mosaic-elements/s")
			b.ReportMetric(100*tBare.Seconds()/tOurs.Seconds(), "%-of-circl")
		})
	}
}

// BenchmarkClient is the partner's side per batch of 1000: blinding,
// verifying the proof and finalising.
func BenchmarkClient(b *testing.B) {
	ev, rec := newEvaluator(b)
	bl, _ := NewBlinder(rec)
	sels := make([]Selector, 1000)
	for i := range sels {
		sels[i] = Selector{Domain, fmt.Sprintf("host%d.example", i)}
	}
	var tBlind, tFinal time.Duration
	for b.Loop() {
		start := time.Now()
		p, err := bl.Blind(sels)
		if err != nil {
			b.Fatal(err)
		}
		tBlind += time.Since(start)
		b.StopTimer()
		e, err := ev.Evaluate(context.Background(), rec.Epoch, p.Elements)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start = time.Now()
		if _, err := bl.Finalize(p, e); err != nil {
			b.Fatal(err)
		}
		tFinal += time.Since(start)
	}
	b.ReportMetric(float64(b.N*len(sels))/tBlind.Seconds(), "blind-elements/s")
	b.ReportMetric(float64(b.N*len(sels))/tFinal.Seconds(), "finalize-elements/s")
}

// BenchmarkFullEvaluate is what a key holder pays per guess: the cost of
// enumerating a selector space offline (docs/deconfliction.md).
func BenchmarkFullEvaluate(b *testing.B) {
	ev, _ := newEvaluator(b)
	srv := oprf.NewVerifiableServer(Suite, ev.kf.Current().Key)
	in := Selector{IPv4, "192.0.2.1"}.Input()
	for b.Loop() {
		if _, err := srv.FullEvaluate(in); err != nil {
			b.Fatal(err)
		}
	}
}
