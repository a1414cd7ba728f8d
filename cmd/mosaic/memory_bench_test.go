package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic/benchdata"
)

// BenchmarkServeMemory runs a real mosaic serve process on the benchmark
// corpus (1,000,000 objects by default), loads it with concurrent listings
// and searches from every benchmark user, and reports the process's peak
// resident memory (VmHWM) and the requests served per second.
func BenchmarkServeMemory(b *testing.B) {
	bin, err := buildBinary()
	if err != nil {
		b.Fatal(err)
	}
	spec := benchdata.SpecFromEnv()
	s, f := benchdata.OpenSQLite(b, spec)
	s.Close() // the server process opens it itself
	// The per-user rate limit would measure itself; lift it.
	cmd, base := startProcessB(b, bin, benchdata.Dir(spec), "--rate-per-second", "1000000", "--rate-burst", "1000000")
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	queries := []url.Values{
		{"limit": {"100"}},
		{"limit": {"100"}, "type": {"indicator"}},
		{"limit": {"100"}, "q": {f.Common}},
		{"limit": {"100"}, "q": {"ransomware hospital"}},
		{"limit": {"1000"}, "audience": {"cell"}},
		{"limit": {"100"}, "q": {f.Rare[0]}},
	}
	const clients = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	done, failed := 0, 0
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := f.Users[c%len(f.Users)]
			for i := c; i < b.N*clients; i += clients {
				req, _ := http.NewRequest("GET", base+"/api/v1/objects?"+queries[i%len(queries)].Encode(), nil)
				req.Header.Set("Authorization", "Bearer "+f.Tokens[user])
				resp, err := http.DefaultClient.Do(req)
				ok := err == nil && resp.StatusCode == 200
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mu.Lock()
				done++
				if !ok {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if failed > 0 {
		b.Errorf("%d of %d requests failed", failed, done)
	}
	b.ReportMetric(float64(done)/elapsed.Seconds(), "req/s")
	b.ReportMetric(peakRSS(b, cmd.Process.Pid), "peak-rss-MB")
}

// peakRSS reads a process's peak resident set size in MB.
func peakRSS(b *testing.B, pid int) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}
