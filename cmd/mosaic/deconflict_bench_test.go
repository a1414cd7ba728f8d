package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"mosaic/config"
)

// BenchmarkRegister100k registers 100,000 selectors end to end: the real
// CLI (parse, normalise, blind, verify, finalise, in batches of 1,000)
// against a real server with its in-process evaluator and SQLite, on the
// same machine. MOSAIC_BENCH_SELECTORS changes the count.
func BenchmarkRegister100k(b *testing.B) {
	n := 100_000
	if s := os.Getenv("MOSAIC_BENCH_SELECTORS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir, work := b.TempDir(), b.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(b, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wiv2017")
	mustRun(b, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	tok := strings.TrimSpace(mustRun(b, data, "", "token", "create", "alice"))
	c := config.Default()
	c.Addr, c.Data = "127.0.0.1:0", dir
	c.DeconflictDailyBudget = 100 * n
	m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	var sb strings.Builder
	for k := range n {
		line, _ := selectorLine(k)
		sb.WriteString(line + "\n")
	}
	file := filepath.Join(work, "selectors.txt")
	os.WriteFile(file, []byte(sb.String()), 0o600)
	pins := filepath.Join(work, "pins.json")
	env := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok}
	mustRun(b, env, "", "deconflict", "pin", "--pins", pins)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		start, cpu := time.Now(), cpuTime()
		out := mustRun(b, env, "", "deconflict", "register", "--file", file, "--ref", fmt.Sprint("R", i), "--pins", pins)
		if !strings.Contains(out, fmt.Sprintf("registered %d selectors", n)) {
			b.Fatalf("register: %s", out)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "selectors/s")
		// CPU time of client and server together: on a shared machine the
		// wall time says more about the neighbours than about Mosaic.
		b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s")
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
