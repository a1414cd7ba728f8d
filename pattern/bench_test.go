package pattern

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// feedMix returns patterns in the proportions of a typical indicator feed:
// single equalities on addresses, domains, URLs and hashes dominate, with
// a few two-hash patterns and 1 in 20 complex ones (sets, MATCHES,
// qualifiers, FOLLOWEDBY).
func feedMix() (simple, complex, mix []string) {
	complex = []string{
		`[email-message:from_ref.value MATCHES '.+\\@example\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`,
		`([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`,
		`[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`,
		`[network-traffic:dst_port IN (443, 6443, 8443) AND network-traffic:src_packets != 0] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z'`,
		`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0 AND file:size < 1048576]`,
	}
	for i := range 1000 {
		var p string
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		switch r := i % 100; {
		case r < 40:
			p = fmt.Sprintf("[ipv4-addr:value = '198.51.%d.%d']", i/250, i%250)
		case r < 60:
			p = fmt.Sprintf("[domain-name:value = 'cdn-%d.update-check.example.net']", i)
		case r < 75:
			p = fmt.Sprintf("[url:value = 'http://cdn-%d.example.net/gate.php?id=%d']", i, i*7)
		case r < 90:
			p = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", hex.EncodeToString(sum[:]))
		case r < 95:
			p = fmt.Sprintf("[file:hashes.MD5 = '%s' OR file:hashes.'SHA-1' = '%s']", hex.EncodeToString(sum[:16]), hex.EncodeToString(sum[:20]))
		default:
			p = complex[i%len(complex)]
		}
		mix = append(mix, p)
		if i%100 < 40 {
			simple = append(simple, p)
		}
	}
	return simple, complex, mix
}

// BenchmarkParse parses one pattern per operation; ns/op is the time per
// pattern.
func BenchmarkParse(b *testing.B) {
	simple, complex, mix := feedMix()
	for _, bm := range []struct {
		name     string
		patterns []string
	}{
		{"simple", simple},
		{"complex", complex},
		{"mix", mix},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := Parse(bm.patterns[n%len(bm.patterns)]); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "patterns/s")
		})
	}
}

// BenchmarkParseEqualities is what ingest does with each indicator: parse
// its pattern and take the observables for correlation.
func BenchmarkParseEqualities(b *testing.B) {
	_, _, mix := feedMix()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p, err := Parse(mix[n%len(mix)])
		if err != nil {
			b.Fatal(err)
		}
		p.Equalities()
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "patterns/s")
}
