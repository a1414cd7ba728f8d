package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"
)

// BenchmarkIngestHTTP posts bundles of 10,000 indicators to the API over
// loopback HTTP, as mosaic import does, and reports objects per second.
func BenchmarkIngestHTTP(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, stores[name])
			seed(b, h)
			const n = 10_000
			var elapsed time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				objs := make([]string, n)
				for j := range n {
					objs[j] = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-%04x-4000-8000-000000000000","created":"2026-10-01T08:00:00.000Z","modified":"2026-10-01T08:00:00.000Z","name":"MarshLock C2 server %d","description":"Command and control server of the MarshLock ransomware seen in intrusions at healthcare providers; block at the perimeter and search proxy logs for earlier contact.","indicator_types":["malicious-activity"],"pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-10-01T08:00:00Z","labels":["ransomware","healthcare"],"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`,
						i, j, j, i%250, j>>8, j&255)
				}
				body := bundle(objs...)
				b.StartTimer()
				start := time.Now()
				r := h.do("pa-analyst", "POST", "/api/v1/bundles", url.Values{"audience": {"cell"}}, "application/json", body)
				elapsed += time.Since(start)
				var res struct{ New int }
				json.Unmarshal(r.body, &res)
				if r.status != 201 || res.New != n {
					b.Fatalf("%d %.300s", r.status, r.body)
				}
			}
			b.ReportMetric(float64(b.N*n)/elapsed.Seconds(), "objects/s")
		})
	}
}
