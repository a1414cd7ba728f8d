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

// BenchmarkListHTTP reads pages of 100 from GET /api/v1/objects over
// loopback HTTP, as a client pages through a listing, on 20,000 indicators
// shared with the cell and 20,000 the reader may not see: the whole path of
// a listing through the door and the content service (parameters, the
// listing turn, the store's query under the reader's policy, the audit
// entry, the sealed cursor and the JSON answer).
func BenchmarkListHTTP(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			h := newHarness(b, stores[name])
			seed(b, h)
			const n = 20_000
			for _, aud := range []string{"cell", "originator"} {
				for lo := 0; lo < n; lo += 5000 {
					objs := make([]string, 0, 5000)
					for j := lo; j < lo+5000; j++ {
						k := j
						if aud == "originator" {
							k += n
						}
						objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-10-01T08:00:00.000Z","modified":"2026-10-01T08:00:00.000Z","name":"MarshLock C2 server %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-10-01T08:00:00Z","labels":["ransomware"]}`,
							k, k, k>>16&255, k>>8&255, k&255))
					}
					if r := h.do("pa-analyst", "POST", "/api/v1/bundles", url.Values{"audience": {aud}}, "application/json", bundle(objs...)); r.status != 201 {
						b.Fatalf("%d %.300s", r.status, r.body)
					}
				}
			}
			for _, q := range []url.Values{
				{"limit": {"100"}},
				{"limit": {"100"}, "type": {"indicator"}, "tlp": {"amber"}},
				{"limit": {"100"}, "q": {"marshlock"}},
			} {
				b.Run(q.Encode(), func(b *testing.B) {
					cursor := ""
					for range b.N {
						qv := url.Values{}
						for k, v := range q {
							qv[k] = v
						}
						if cursor != "" {
							qv.Set("cursor", cursor)
						}
						var page struct {
							Objects []json.RawMessage
							Next    string
						}
						if r := h.get("pb-analyst", "/api/v1/objects", qv, &page); r.status != 200 || len(page.Objects) == 0 {
							b.Fatalf("%d %.300s", r.status, r.body)
						}
						cursor = page.Next
					}
				})
			}
		})
	}
}
