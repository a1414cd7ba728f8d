// Command mosaicload puts a real mosaic serve process under the worst load
// its limits allow and reports the process's peak resident memory:
//
//   - 16 listings of 1,000 objects of about 4 KiB (pages near the store's
//     4 MiB cap), two from each of eight users, whose clients never read
//     the answer, so that every page stays in memory until its write
//     deadline;
//   - 10 uploads from five users (two each, their limit): first two of
//     16 MiB and 50,000 objects, which are decoded and stored together,
//     then eight of 32 MiB and 100,000 objects (the largest body and
//     bundle), which are read while those are decoded, wait holding their
//     bodies, and are decoded one at a time (a body above 16 MiB takes
//     both storing turns).
//
// It builds the mosaic command (or takes --bin), seeds a fresh SQLite data
// directory, starts the server, and samples /proc/PID/status (Linux only)
// every 100 ms. The figures are in BENCHMARKS.md:
//
//	go run ./cmd/mosaicload
//
// --scale divides every size, for a quick run (the test uses it); flags
// after -- go to mosaic serve (go run ./cmd/mosaicload -- --memory-limit 0).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/sqlite"
)

func main() {
	var c Config
	flag.StringVar(&c.Bin, "bin", "", "the mosaic command to run (default: build it)")
	flag.IntVar(&c.Scale, "scale", 1, "divide every size by this, for a quick run")
	flag.Float64Var(&c.LimitMB, "limit", 1024, "fail when the peak resident memory reaches this many MB")
	serverLog := flag.String("log", "", "write the server's log to this file")
	flag.StringVar(&c.Keep, "keep", "", "leave the data directory here (it must not exist), to look at it after the run")
	flag.Parse()
	c.Flags = flag.Args() // for mosaic serve, after --
	r, err := Run(context.Background(), c, os.Stdout)
	if *serverLog != "" {
		if err := os.WriteFile(*serverLog, []byte(r.ServerLog), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, "mosaicload:", err)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mosaicload:", err)
		os.Exit(1)
	}
	if r.PeakMB >= c.LimitMB {
		fmt.Fprintf(os.Stderr, "mosaicload: peak resident memory %.0f MB, the limit is %.0f MB\n", r.PeakMB, c.LimitMB)
		os.Exit(1)
	}
}

// Config says what to run.
type Config struct {
	Bin     string
	Scale   int
	LimitMB float64
	// Flags are passed to mosaic serve.
	Flags []string
	// Keep, when set, is where the data directory is left.
	Keep string
}

// Result is what a run measured.
type Result struct {
	PeakMB    float64 // the server's VmHWM
	Uploads   int     // uploads stored (201)
	Listings  int     // listings whose answer had begun when they were let go
	IdleMB    float64 // resident memory before the load
	Objects   int     // objects stored by the load
	Duration  time.Duration
	Timeline  []Sample
	ServerLog string
}

// Sample is the server's resident memory at one moment of the run.
type Sample struct {
	At    time.Duration
	RSSMB float64
	What  string
}

// The load: what the limits of a default configuration allow at once.
const (
	bodyBytes       = 32 << 20 // max_body_bytes
	bundleObjects   = 100_000  // max_bundle_objects
	uploads         = 10       // gate.MaxReading + gate.MaxStoring
	uploaders       = 5        // two uploads each: the per-user limit
	listings        = 16
	listers         = 8
	pageObjects     = 1000 // max_page_size
	pageObjectBytes = 3800 // so that a page of 1,000 comes near the store's 4 MiB cap
)

// Run seeds a data directory, starts the server and loads it.
func Run(ctx context.Context, c Config, log io.Writer) (Result, error) {
	var res Result
	if c.Scale < 1 {
		c.Scale = 1
	}
	dir, err := os.MkdirTemp("", "mosaicload-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	if c.Bin == "" {
		fmt.Fprintln(log, "building mosaic")
		c.Bin = filepath.Join(dir, "mosaic")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", c.Bin, "mosaic/cmd/mosaic").CombinedOutput(); err != nil {
			return res, fmt.Errorf("go build: %v\n%s", err, out)
		}
	}
	data := filepath.Join(dir, "data")
	if c.Keep != "" {
		data = c.Keep
	}
	tokens, err := seed(ctx, data)
	if err != nil {
		return res, err
	}
	srv, err := start(ctx, c.Bin, data, c.Flags)
	if err != nil {
		return res, err
	}
	defer srv.stop()
	begin := time.Now()

	// The listings need a thousand objects every lister can see, as
	// large as a page of a thousand may hold.
	pageObj := max(pageObjectBytes/c.Scale, 256)
	fmt.Fprintf(log, "seeding %d objects of %d bytes\n", pageObjects, pageObj)
	if code, body, err := post(ctx, srv.url, tokens["seed"], bundle("seed", 0, pageObjects, pageObj)); err != nil || code != http.StatusCreated {
		return res, fmt.Errorf("seeding: status %d, %v: %s", code, err, body)
	}
	n, size, err := page(ctx, srv.url, tokens["lister0"])
	if err != nil {
		return res, err
	}
	fmt.Fprintf(log, "a listing's page: %d objects, %d bytes\n", n, size)
	res.IdleMB = srv.rss()

	samples := srv.sample(100 * time.Millisecond)
	mark := func(what string) {
		s := Sample{At: time.Since(begin), RSSMB: srv.rss(), What: what}
		samples.add(s)
		fmt.Fprintf(log, "%6.1fs  %4.0f MB  %s\n", s.At.Seconds(), s.RSSMB, what)
	}
	mark("seeded; load starts")

	// Listings whose clients never read: each page is rendered and then
	// held until the server gives up writing it.
	stalled := make([]net.Conn, 0, listings)
	for i := range listings {
		user := fmt.Sprintf("lister%d", i%listers)
		conn, err := stall(srv.url, tokens[user], fmt.Sprintf("/api/v1/objects?limit=%d", pageObjects))
		if err != nil {
			return res, fmt.Errorf("listing %d: %w", i, err)
		}
		stalled = append(stalled, conn)
	}
	defer func() {
		for _, conn := range stalled {
			conn.Close()
		}
	}()
	mark(fmt.Sprintf("%d listings asked for, none read", listings))

	// Two uploads of half the largest size first, which are decoded
	// together (gate.LargeBody), then eight of the largest, which are
	// read while those are decoded and then wait for both storing turns,
	// and are decoded one at a time.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range uploads {
		objs, size := bundleObjects/c.Scale, bodyBytes/c.Scale
		if i < 2 {
			objs, size = objs/2, size/2
		} else if i == 2 {
			time.Sleep(time.Second)
			mark("2 uploads of half the size being decoded")
		}
		body := pad(bundle(fmt.Sprintf("u%d", i), i+1, objs, 0), size)
		fmt.Fprintf(log, "upload %d: %d objects, %d bytes\n", i, objs, len(body))
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, msg, err := post(ctx, srv.url, tokens[fmt.Sprintf("uploader%d", i%uploaders)], body)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || code != http.StatusCreated {
				errs = append(errs, fmt.Errorf("upload %d: status %d, %v: %.300s", i, code, err, msg))
				return
			}
			res.Uploads++
			res.Objects += objs
		}()
	}
	wg.Wait()
	mark(fmt.Sprintf("%d uploads stored", res.Uploads))
	// Every answer must have begun: a listing the server refused would
	// have measured nothing.
	for i, conn := range stalled {
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || !strings.Contains(line, " 200 ") {
			errs = append(errs, fmt.Errorf("listing %d: %q, %v", i, line, err))
			continue
		}
		res.Listings++
	}
	samples.stop()
	res.Timeline = samples.all()
	res.PeakMB = srv.peak()
	res.Duration = time.Since(begin)
	res.ServerLog = srv.log.String()
	fmt.Fprintf(log, "peak resident memory %.0f MB (idle %.0f MB); %d of %d uploads stored, %d of %d listings answered; %.0fs\n",
		res.PeakMB, res.IdleMB, res.Uploads, uploads, res.Listings, listings, res.Duration.Seconds())
	return res, errors.Join(errs...)
}

// seed makes the organisations, users and tokens of the load, straight in
// the store, as an operator would with the CLI, and returns each user's token.
func seed(ctx context.Context, data string) (map[string]string, error) {
	s, err := sqlite.Open(ctx, data, nil)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	a := mosaic.AuditEntry{Action: "mosaicload.seed"}
	if err := s.CreateOrg(ctx, &mosaic.Organisation{Name: "load", FullName: "Load", Kind: mosaic.Partner, LegalRegime: "wbni"}, a); err != nil {
		return nil, err
	}
	users := []string{"seed"}
	for i := range uploaders {
		users = append(users, fmt.Sprintf("uploader%d", i))
	}
	for i := range listers {
		users = append(users, fmt.Sprintf("lister%d", i))
	}
	tokens := map[string]string{}
	for _, name := range users {
		if err := s.CreateUser(ctx, &mosaic.User{Name: name, Org: "load", Role: mosaic.Analyst}, "", a); err != nil {
			return nil, err
		}
		token, hash := credential.NewToken()
		if _, err := s.CreateToken(ctx, name, hash, "", time.Now().Add(24*time.Hour), false, a); err != nil {
			return nil, err
		}
		tokens[name] = token
	}
	return tokens, nil
}

// bundle is n indicators shared with the cell, each with a description of
// about descBytes; batch keeps ids apart between bundles.
func bundle(name string, batch, n, descBytes int) []byte {
	var b bytes.Buffer
	b.Grow(n * (360 + descBytes))
	fmt.Fprintf(&b, `{"type":"bundle","id":"bundle--%08x-0000-4000-8000-000000000000","objects":[`, batch)
	desc := strings.Repeat("lorem ipsum ", descBytes/12)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-%04x-4000-8000-%012x","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"%s %d","description":"%s","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
			batch, i>>16, i, name, i, desc, batch%250, (i>>8)%250, i%250)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// pad fills a bundle up to size bytes with white space inside it, which the
// server must read and the decoder skip: the body is as large as the
// limit allows.
func pad(body []byte, size int) []byte {
	if len(body) >= size {
		return body
	}
	out := make([]byte, 0, size)
	out = append(out, body[:len(body)-1]...)
	out = append(out, bytes.Repeat([]byte{' '}, size-len(body))...)
	return append(out, body[len(body)-1])
}

// page reads a listing of a thousand objects as an honest client does and
// returns how many objects and bytes it had.
func page(ctx context.Context, base, token string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/api/v1/objects?limit=%d", base, pageObjects), nil)
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("listing: status %d, %v", resp.StatusCode, err)
	}
	var p struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return 0, 0, fmt.Errorf("listing: %w", err)
	}
	return len(p.Objects), len(b), nil
}

func post(ctx context.Context, base, token string, body []byte) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v1/bundles?audience=cell", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(msg), nil
}

// stall sends a GET and reads nothing, with the smallest receive buffer
// the kernel allows, so that the server cannot hand the answer off.
func stall(base, token, path string) (net.Conn, error) {
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return nil, err
	}
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	_, err = fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", path, host, token)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

type server struct {
	cmd *exec.Cmd
	url string
	log *bytes.Buffer
	mu  sync.Mutex
}

var servingURL = regexp.MustCompile(`url=(http://\S+)`)

func start(ctx context.Context, bin, data string, flags []string) (*server, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, log: &bytes.Buffer{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
		}
	}()
	select {
	case s.url = <-found:
		return s, nil
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("mosaic serve did not start: %s", s.log)
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func (s *server) rss() float64  { return s.status("VmRSS:") }
func (s *server) peak() float64 { return s.status("VmHWM:") }

// status reads one of the process's memory figures, in MB.
func (s *server) status(field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

type sampler struct {
	mu      sync.Mutex
	samples []Sample
	done    chan struct{}
	stopped chan struct{}
}

// sample records the server's resident memory every interval.
func (s *server) sample(interval time.Duration) *sampler {
	sm := &sampler{done: make(chan struct{}), stopped: make(chan struct{})}
	begin := time.Now()
	go func() {
		defer close(sm.stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-sm.done:
				return
			case <-t.C:
				sm.add(Sample{At: time.Since(begin), RSSMB: s.rss()})
			}
		}
	}()
	return sm
}

func (sm *sampler) add(s Sample) {
	sm.mu.Lock()
	sm.samples = append(sm.samples, s)
	sm.mu.Unlock()
}

func (sm *sampler) stop() { close(sm.done); <-sm.stopped }

func (sm *sampler) all() []Sample {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return append([]Sample(nil), sm.samples...)
}
