package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic/config"
	"mosaic/deconflict"
	"mosaic/postgres/pgtest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// selectorLine writes selector k the way an analyst might, with or without
// a type prefix, in odd case; it returns the line and the selector it
// normalises to.
func selectorLine(k int) (string, deconflict.Selector) {
	sum := sha256.Sum256(fmt.Appendf(nil, "sample %d", k))
	switch k % 6 {
	case 0:
		v := fmt.Sprintf("203.0.%d.%d", k/250%250, k%250)
		return "ip:" + v, deconflict.Selector{Type: deconflict.IPv4, Value: v}
	case 1:
		v := fmt.Sprintf("c2-%d.fernwood-test.example", k)
		return strings.ToUpper(v), deconflict.Selector{Type: deconflict.Domain, Value: v}
	case 2:
		v := hex.EncodeToString(sum[:])
		return strings.ToUpper(v), deconflict.Selector{Type: deconflict.SHA256, Value: v}
	case 3:
		v := fmt.Sprintf("+3197%08d", k)
		return "phone:" + v[:3] + " " + v[3:5] + " " + v[5:], deconflict.Selector{Type: deconflict.Phone, Value: v}
	case 4:
		v := fmt.Sprintf("operator%d@mailbox-test.example", k)
		return v, deconflict.Selector{Type: deconflict.Email, Value: v}
	default:
		v := fmt.Sprintf("telegram:quietfox%d", k)
		return "account:Telegram:@QuietFox" + fmt.Sprint(k), deconflict.Selector{Type: deconflict.Account, Value: v}
	}
}

// writeSelectors writes selectors first..first+n-1 to a file and returns
// it with the selectors, and the written forms.
func writeSelectors(t *testing.T, dir, name string, first, n int) (string, []deconflict.Selector, []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# selectors of " + name + "\n")
	var sels []deconflict.Selector
	var lines []string
	for k := first; k < first+n; k++ {
		line, s := selectorLine(k)
		b.WriteString(line + "\n")
		sels = append(sels, s)
		lines = append(lines, line)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, sels, lines
}

// leaks returns the selectors found in text in any plausible encoding:
// as normalised, as written, as the VOPRF input, each as text, hex and
// base64, compared without regard to case. Needles are looked up by their
// first eight bytes in one pass over the text, since thousands of
// substring searches over a database file would take minutes.
func leaks(text string, sels []deconflict.Selector, written []string) []string {
	const w = 8
	needles := map[string][]string{} // first w bytes → needles
	add := func(v string) {
		for _, enc := range []string{v, hex.EncodeToString([]byte(v)), base64.StdEncoding.EncodeToString([]byte(v))} {
			enc = strings.ToLower(enc)
			if len(enc) >= w {
				needles[enc[:w]] = append(needles[enc[:w]], enc)
			}
		}
	}
	for _, s := range sels {
		add(s.Value)
		add(string(s.Input()))
	}
	for _, l := range written {
		add(l)
	}
	lower := strings.ToLower(text)
	var found []string
	for i := 0; i+w <= len(lower); i++ {
		for _, n := range needles[lower[i:i+w]] {
			if strings.HasPrefix(lower[i:], n) {
				found = append(found, n)
			}
		}
	}
	return found
}

func scanDir(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		b.Write(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestDeconflictEndToEnd registers thousands of selectors from two
// organisations through the real CLI against a real server, on SQLite and
// (with MOSAIC_TEST_POSTGRES) PostgreSQL, checks that exactly the
// overlapping ones make hits on both sides, and scans the data directory,
// the database dump and the server's log for every selector.
func TestDeconflictEndToEnd(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			dsn := ""
			if store == "postgres" {
				dsn = pgtest.DSN(t)
			}
			testDeconflictEndToEnd(t, dsn)
		})
	}
}

func testDeconflictEndToEnd(t *testing.T, dsn string) {
	dir, work := t.TempDir(), t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	if dsn != "" {
		data = []string{"MOSAIC_DB=" + dsn}
	}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wiv2017", "--contact", "liaison-desk@pa.example")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wpg", "--contact", "+31 70 555 0100")
	mustRun(t, data, "", "org", "add", "pc", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	mustRun(t, data, "", "user", "add", "bob", "--org", "pb", "--role", "liaison")
	mustRun(t, data, "", "user", "add", "carol", "--org", "pc", "--role", "analyst")
	tokA := strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice"))
	tokB := strings.TrimSpace(mustRun(t, data, "", "token", "create", "bob"))
	tokC := strings.TrimSpace(mustRun(t, data, "", "token", "create", "carol"))

	logs := &lockedBuffer{}
	c := config.Default()
	c.Addr, c.Data, c.DB = "127.0.0.1:0", dir, dsn
	if dsn != "" {
		c.DeconflictKey = filepath.Join(work, "oprf.key")
	}
	m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	const n, overlap = 2400, 600
	fileA, selsA, linesA := writeSelectors(t, work, "a.txt", 0, n)
	fileB, selsB, linesB := writeSelectors(t, work, "b.txt", n-overlap, n)
	pins := filepath.Join(work, "pins.json")
	as := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokA}
	bs := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokB}
	cs := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokC}

	// Nothing works before the evaluator is pinned.
	if _, errs, code := runCmd(t, as, "", "deconflict", "register", "--file", fileA, "--ref", "CASE-A", "--pins", pins); code == 0 || !strings.Contains(errs, "pin") {
		t.Fatalf("register before pin: exit %d, %s", code, errs)
	}
	out := mustRun(t, as, "", "deconflict", "pin", "--pins", pins)
	if !strings.Contains(out, "fingerprint") {
		t.Errorf("pin: %s", out)
	}
	out = mustRun(t, as, "", "deconflict", "register", "--file", fileA, "--ref", "CASE-A", "--expires", "30d", "--pins", pins)
	if !strings.Contains(out, fmt.Sprintf("registered %d selectors", n)) || !strings.Contains(out, "; 0 hits") {
		t.Fatalf("A registers:\n%s", out)
	}
	out = mustRun(t, bs, "", "deconflict", "register", "--file", fileB, "--ref", "OP-B", "--pins", pins)
	if !strings.Contains(out, fmt.Sprintf("; %d hits", overlap)) {
		t.Fatalf("B registers:\n%s", firstLines(out, 5))
	}
	// Exactly the overlapping lines (the first `overlap` of B's file,
	// lines 2 to overlap+1 after the comment) are reported.
	for i := range n {
		tag := fmt.Sprintf("%s:%d ", fileB, i+2)
		if got, want := strings.Contains(out, tag), i < overlap; got != want {
			t.Fatalf("line %d of B's file: reported %v, want %v", i+2, got, want)
		}
	}
	// Both sides see every hit, with their own reference and the other's
	// contact.
	for _, tc := range []struct {
		env        []string
		ref, other string
		never      string
	}{
		{as, "CASE-A", "+31 70 555 0100", "OP-B"},
		{bs, "OP-B", "liaison-desk@pa.example", "CASE-A"},
	} {
		out := mustRun(t, tc.env, "", "deconflict", "hits", "--pins", pins)
		rows := strings.Split(strings.TrimSpace(out), "\n")
		if len(rows) != overlap+1 || !strings.Contains(rows[1], tc.ref) || !strings.Contains(rows[1], tc.other) {
			t.Errorf("hits of %s: %d rows, first %q", tc.ref, len(rows)-1, rows[min(1, len(rows)-1)])
		}
		if strings.Contains(out, tc.never) {
			t.Errorf("hits of %s show the other side's reference", tc.ref)
		}
	}
	// A third partner checking (without registering) makes hits for both.
	fileC, selsC, linesC := writeSelectors(t, work, "c.txt", n-overlap-5, 10)
	out = mustRun(t, cs, "", "deconflict", "check", "--file", fileC, "--pins", pins)
	if !strings.Contains(out, "; 15 hits") { // 10 with pa, 5 with pb
		t.Errorf("C checks:\n%s", out)
	}
	if out := mustRun(t, as, "", "deconflict", "hits", "--pins", pins); strings.Count(out, "\n") != overlap+1+10 {
		t.Errorf("A's hits after C's check: %d rows", strings.Count(out, "\n")-1)
	}
	// Each organisation's hits are numbered among its own, newest first:
	// B's are not counted in A's numbers, nor A's with C in B's.
	for _, tc := range []struct {
		who string
		env []string
		n   int
	}{{"A", as, overlap + 10}, {"B", bs, overlap + 5}, {"C", cs, 15}} {
		if ids := hitColumn(t, mustRun(t, tc.env, "", "deconflict", "hits", "--pins", pins)); len(ids) != tc.n || ids[0] != strconv.Itoa(tc.n) || ids[tc.n-1] != "1" {
			t.Errorf("%s's hits numbered %v…, want %d down to 1", tc.who, ids[:min(3, len(ids))], tc.n)
		}
	}
	if ids := hitColumn(t, out); len(ids) != 15 || ids[0] != "1" || ids[14] != "15" {
		t.Errorf("C's check numbered its hits %v, want 1 to 15", ids)
	}
	out = mustRun(t, as, "", "deconflict", "list", "--pins", pins)
	if !strings.Contains(out, "CASE-A") || !strings.Contains(out, "400") {
		t.Errorf("list:\n%s", out)
	}

	// A file with bad lines sends nothing, unless asked.
	bad := filepath.Join(work, "bad.txt")
	os.WriteFile(bad, []byte("192.0.2.77\njust-a-word\nmd5:123\n"), 0o600)
	_, errs, code := runCmd(t, as, "", "deconflict", "register", "--file", bad, "--ref", "BAD", "--pins", pins)
	if code == 0 || !strings.Contains(errs, "bad.txt:2:") || !strings.Contains(errs, "bad.txt:3:") || !strings.Contains(errs, "nothing sent") {
		t.Errorf("bad file: exit %d\n%s", code, errs)
	}
	if out := mustRun(t, as, "", "deconflict", "list", "--pins", pins); strings.Contains(out, "BAD") {
		t.Error("a file with errors was registered")
	}
	out = mustRun(t, as, "", "deconflict", "register", "--file", bad, "--ref", "BAD", "--skip-bad", "--pins", pins)
	if !strings.Contains(out, "registered 1 selectors") {
		t.Errorf("--skip-bad: %s", out)
	}
	out = mustRun(t, as, "", "deconflict", "remove", "--ref", "BAD", "--pins", pins)
	if !strings.Contains(out, "removed 1") {
		t.Errorf("remove: %s", out)
	}
	out = mustRun(t, as, "", "deconflict", "budget", "--pins", pins)
	if !strings.Contains(out, fmt.Sprintf("%d of 100000 evaluations", n+1)) {
		t.Errorf("budget: %s", out)
	}

	// Rotation: a new epoch, pinned because the pinned key signed it; the
	// partner re-registers its own files, and matching works again.
	key := c.DeconflictKey
	if key == "" {
		key = filepath.Join(dir, "deconflict-oprf.key")
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st, err)
	}
	time.Sleep(20 * time.Millisecond)
	mustRun(t, nil, "", "oprfd", "rotate", "--key", key)
	_, errs, code = runCmd(t, as, "", "deconflict", "rotate", "--file", fileA, "--ref", "CASE-A", "--pins", pins)
	if code != 0 || !strings.Contains(errs, "pinned epoch 2") {
		t.Fatalf("rotate: exit %d, %s", code, errs)
	}
	out = mustRun(t, bs, "", "deconflict", "check", "--file", fileB, "--pins", pins)
	if !strings.Contains(out, "epoch 2") || !strings.Contains(out, fmt.Sprintf("; %d hits", overlap)) {
		t.Errorf("check in epoch 2:\n%s", firstLines(out, 3))
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	all := append(append(append([]deconflict.Selector{}, selsA...), selsB...), selsC...)
	written := append(append(append([]string{}, linesA...), linesB...), linesC...)
	// The scanner must see what it looks for: the partner's own file is
	// full of it.
	if raw, _ := os.ReadFile(fileA); len(leaks(string(raw), all, written)) < n {
		t.Fatal("the leak scanner does not find the selectors in their own file")
	}
	if found := leaks(logs.String(), all, written); len(found) > 0 {
		t.Errorf("the server log holds %d selectors, e.g. %v", len(found), found[0])
	}
	if found := leaks(scanDir(t, dir), all, written); len(found) > 0 {
		t.Errorf("the data directory holds %d selectors, e.g. %v", len(found), found[0])
	}
	var dump string
	if dsn != "" {
		dump = pgDump(t, dsn)
		if found := leaks(dump, all, written); len(found) > 0 {
			t.Errorf("the database dump holds %d selectors, e.g. %v", len(found), found[0])
		}
	}
	// The key is in its key file only, never in the database.
	kf, err := deconflict.LoadKeyFile(key)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{kf.Signer.Seed()}
	for _, ek := range kf.Epochs {
		raw, _ := ek.Key.MarshalBinary()
		secrets = append(secrets, raw)
	}
	db := dump
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != key {
			raw, _ := os.ReadFile(path)
			db += string(raw)
		}
		return nil
	})
	for _, sec := range secrets {
		for _, enc := range []string{string(sec), hex.EncodeToString(sec), base64.StdEncoding.EncodeToString(sec)} {
			if strings.Contains(db, enc) || strings.Contains(logs.String(), enc) {
				t.Error("a key of the evaluator is in the database or the log")
			}
		}
	}
	if !strings.Contains(logs.String(), "deconfliction") {
		t.Error("the server log does not mention deconfliction at all: is it the right log?")
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// pgDump dumps the test schema named in dsn's search_path.
func pgDump(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	out, err := exec.Command("pg_dump", "--schema="+schema, "--dbname="+u.String()).Output()
	if err != nil {
		t.Skipf("pg_dump: %v", err)
	}
	if !strings.Contains(string(out), "deconfliction_registrations") {
		t.Fatal("the dump has no deconfliction tables")
	}
	return string(out)
}

// TestOPRFD runs the evaluator as its own process (in-process here, with
// its own key file and address) and the server in front of it, which never
// sees the key.
func TestOPRFD(t *testing.T) {
	work, dir := t.TempDir(), t.TempDir()
	key, secret := filepath.Join(work, "oprfd.key"), filepath.Join(work, "oprfd.secret")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var oerr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"oprfd", "--key", key, "--secret-file", secret, "--addr", addr}, env{stdout: &bytes.Buffer{}, stderr: &oerr})
	}()
	defer func() {
		cancel()
		<-done
	}()
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i == 200 {
			t.Fatal("oprfd did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("oprfd key file: %v %v", st, err)
	}
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wiv2017")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	mustRun(t, data, "", "user", "add", "bob", "--org", "pb", "--role", "analyst")
	tokA := strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice"))
	tokB := strings.TrimSpace(mustRun(t, data, "", "token", "create", "bob"))
	m := startServer(t, dir, func(c *config.Config) {
		c.DeconflictEvaluator, c.DeconflictEvaluatorSecret = "http://"+addr, secret
	})
	fileA, _, _ := writeSelectors(t, work, "a.txt", 0, 50)
	fileB, _, _ := writeSelectors(t, work, "b.txt", 40, 50)
	pins := filepath.Join(work, "pins.json")
	as := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokA}
	bs := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokB}
	kf, err := deconflict.LoadKeyFile(key)
	if err != nil {
		t.Fatal(err)
	}
	// Pinning with the fingerprint the evaluator's operator gives out.
	mustRun(t, as, "", "deconflict", "pin", "--fingerprint", kf.Fingerprint(), "--pins", pins)
	mustRun(t, as, "", "deconflict", "register", "--file", fileA, "--ref", "A", "--pins", pins)
	if out := mustRun(t, bs, "", "deconflict", "register", "--file", fileB, "--ref", "B", "--pins", pins); !strings.Contains(out, "; 10 hits") {
		t.Errorf("B:\n%s", out)
	}
	// The server's data directory has no key.
	if _, err := os.Stat(filepath.Join(dir, "deconflict-oprf.key")); err == nil {
		t.Error("the server made a key of its own")
	}
	// The evaluator answers nobody without the secret.
	if out, _, _ := runCmd(t, nil, "", "oprfd"); out != "" {
		t.Errorf("oprfd without flags printed %q", out)
	}
	rec := &deconflict.RemoteEvaluator{URL: "http://" + addr, Secret: "wrong-secret-wrong-secret-wrong-secret"}
	if _, err := rec.Evaluate(context.Background(), 1, [][]byte{make([]byte, 32)}); err == nil {
		t.Error("oprfd evaluated for a caller without the secret")
	}
}

// hitColumn returns the first column of a table of hits, its header aside.
func hitColumn(t *testing.T, out string) []string {
	t.Helper()
	var ids []string
	sc := bufio.NewScanner(strings.NewReader(out))
	header := true
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case header:
			header = len(f) == 0 || f[0] != "HIT"
		case len(f) > 0 && f[0] != "the": // the table's closing remark
			ids = append(ids, f[0])
		}
	}
	return ids
}
