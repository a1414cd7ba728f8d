package deconflict_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/deconflict"
	"mosaic/gate"
	"mosaic/ingest"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
)

var bg = context.Background()

// server is a Mosaic store with the deconfliction handler in front of it.
type server struct {
	t       *testing.T
	dir     string
	clock   *storetest.Clock
	store   *sqlstore.Store
	audit   *audit.Log
	ev      deconflict.Evaluator
	h       *deconflict.Handler
	http    *httptest.Server
	logs    *syncBuffer
	tokens  map[string]string // user → API token
	options deconflict.Options
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// users: analysts of partners pa, pb, pc, pd; a stakeholder; an admin.
var users = []struct{ name, org string }{
	{"pa-analyst", "pa"}, {"pb-analyst", "pb"}, {"pc-analyst", "pc"}, {"pd-analyst", "pd"},
	{"sh-user", "sh"}, {"pa-admin", "pa"},
}

func newServer(t *testing.T, o deconflict.Options) *server {
	t.Helper()
	s := &server{t: t, dir: t.TempDir(), clock: storetest.NewClock(storetest.Epoch), logs: &syncBuffer{}, tokens: map[string]string{}, options: o}
	s.open()
	a := mosaic.AuditEntry{Time: storetest.Epoch, User: "test", Action: "setup", Decision: mosaic.Allowed}
	for _, org := range []mosaic.Organisation{
		{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wiv2017", Contact: "liaison@pa.example"},
		{Name: "pb", FullName: "B", Kind: mosaic.Partner, LegalRegime: "wpg", Contact: "desk@pb.example"},
		{Name: "pc", FullName: "C", Kind: mosaic.Partner, LegalRegime: "wbni", Contact: "+31 70 000 0000"},
		{Name: "pd", FullName: "D", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "sh", FullName: "S", Kind: mosaic.Stakeholder, Sectors: []string{"healthcare"}},
	} {
		if err := s.store.CreateOrg(bg, &org, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		role := mosaic.Analyst
		if u.org == "sh" {
			role = mosaic.StakeholderViewer
		}
		if strings.HasSuffix(u.name, "admin") {
			role = mosaic.Admin
		}
		if err := s.store.CreateUser(bg, &mosaic.User{Name: u.name, Org: u.org, Role: role}, "", a); err != nil {
			t.Fatal(err)
		}
		tok, hash := credential.NewToken()
		if _, err := s.store.CreateToken(bg, u.name, hash, "test", storetest.Epoch.Add(365*24*time.Hour), false, a); err != nil {
			t.Fatal(err)
		}
		s.tokens[u.name] = tok
	}
	return s
}

// open opens (or reopens) the store in s.dir and serves the handler.
func (s *server) open() {
	t := s.t
	st, err := sqlite.Open(bg, s.dir, s.clock)
	if err != nil {
		t.Fatal(err)
	}
	s.store = st
	log := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s.audit = audit.New(st, 10*time.Millisecond, log)
	if s.ev == nil {
		kf, _, err := deconflict.OpenKeyFile(filepath.Join(s.dir, "oprf.key"), s.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if s.ev, err = deconflict.NewLocalEvaluator(kf); err != nil {
			t.Fatal(err)
		}
	}
	o := s.options
	o.Store, o.Evaluator, o.Clock, o.Log = st, s.ev, s.clock, log
	o.Audit = content.New(st, ingest.Config{}, s.audit, s.clock)
	o.Gate = gate.New(st, s.clock, gate.Limits{RatePerSecond: 10000, RateBurst: 10000})
	s.h = deconflict.NewHandler(o)
	if _, err := s.h.SyncEpochs(bg); err != nil {
		t.Fatal(err)
	}
	s.http = httptest.NewServer(s.h)
	t.Cleanup(s.close)
}

func (s *server) close() {
	if s.http == nil {
		return
	}
	s.http.Close()
	s.audit.Close(bg)
	s.store.Close()
	s.http = nil
}

// sent is what a client sent, request by request.
type sent struct {
	mu     sync.Mutex
	bodies []string
}

func (s *sent) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.bodies, "\n")
}

// partner is one user's client, its pins, and a log of what it sent.
type partner struct {
	*deconflict.Client
	org  string
	sent *sent
	b    *deconflict.Blinder
	// tamper, when set, may change the evaluation before the client sees it.
	tamper func(*deconflict.EvaluateResponse)
}

func (s *server) partner(user string) *partner {
	t := s.t
	org := ""
	for _, u := range users {
		if u.name == user {
			org = u.org
		}
	}
	p := &partner{org: org, sent: &sent{}}
	p.Client = &deconflict.Client{BaseURL: s.http.URL, Token: s.tokens[user]}
	p.Send = func(r *http.Request) (*http.Response, error) {
		line := r.Method + " " + r.URL.String()
		if r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			line += " " + string(b)
		}
		p.sent.mu.Lock()
		p.sent.bodies = append(p.sent.bodies, line)
		p.sent.mu.Unlock()
		resp, err := s.http.Client().Do(r)
		if err != nil || p.tamper == nil || !strings.HasSuffix(r.URL.Path, "/evaluate") || resp.StatusCode != 200 {
			return resp, err
		}
		var er deconflict.EvaluateResponse
		raw, _ := io.ReadAll(resp.Body)
		if err := jsonUnmarshal(raw, &er); err != nil {
			t.Fatal(err)
		}
		p.tamper(&er)
		resp.Body = io.NopCloser(bytes.NewReader(jsonMarshal(er)))
		return resp, nil
	}
	return p
}

// blinder pins the server's evaluator (as mosaic deconflict pin does) and
// returns a Blinder for the current epoch.
func (p *partner) blinder(t *testing.T, pinsPath string) *deconflict.Blinder {
	t.Helper()
	pins, err := deconflict.LoadPins(pinsPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := p.Epochs(bg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pins.Servers[p.BaseURL]; !ok {
		if _, err := pins.Pin(p.BaseURL, recs, "", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	cur, _, err := pins.Accept(p.BaseURL, recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := pins.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := deconflict.NewBlinder(cur)
	if err != nil {
		t.Fatal(err)
	}
	p.b = b
	return b
}

func (p *partner) run(t *testing.T, sels []deconflict.Selector, ref string, check bool) ([]deconflict.HitView, error) {
	t.Helper()
	if p.b == nil {
		p.blinder(t, filepath.Join(t.TempDir(), "pins.json"))
	}
	o := deconflict.RunOptions{Org: p.org, Ref: ref, Check: check, BatchSize: 100}
	if !check {
		o.Expires = storetest.Epoch.Add(90 * 24 * time.Hour)
	}
	batches, err := p.Run(bg, p.b, sels, o)
	var hits []deconflict.HitView
	for _, b := range batches {
		hits = append(hits, b.Hits...)
	}
	return hits, err
}

// selectors makes n distinctive selectors of several types, numbered from
// first.
func selectors(first, n int) []deconflict.Selector {
	out := make([]deconflict.Selector, n)
	for i := range n {
		k := first + i
		switch k % 4 {
		case 0:
			out[i] = deconflict.Selector{Type: deconflict.IPv4, Value: fmt.Sprintf("198.51.%d.%d", k/250%250, k%250)}
		case 1:
			out[i] = deconflict.Selector{Type: deconflict.Domain, Value: fmt.Sprintf("host%d.marshlock-test.example", k)}
		case 2:
			out[i] = deconflict.Selector{Type: deconflict.Email, Value: fmt.Sprintf("courier%d@mail.example", k)}
		default:
			out[i] = deconflict.Selector{Type: deconflict.Account, Value: fmt.Sprintf("telegram:handle%dxyz", k)}
		}
	}
	return out
}

// encodings are the ways a selector could show up in bytes somebody sees.
func encodings(s deconflict.Selector) []string {
	v := s.Value
	return []string{v, strings.ToUpper(v), hex.EncodeToString([]byte(v)), strings.ToUpper(hex.EncodeToString([]byte(v))),
		base64.StdEncoding.EncodeToString([]byte(v)), string(s.Input()), base64.StdEncoding.EncodeToString(s.Input())}
}

func assertNoSelector(t *testing.T, where, text string, sels []deconflict.Selector) {
	t.Helper()
	for _, s := range sels {
		for _, enc := range encodings(s) {
			if strings.Contains(text, enc) {
				t.Fatalf("%s contains selector %v (as %q)", where, s, enc)
			}
		}
	}
}

func TestRegisterAndCheck(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	a, b, c, d := s.partner("pa-analyst"), s.partner("pb-analyst"), s.partner("pc-analyst"), s.partner("pd-analyst")
	selsA := selectors(0, 300)   // 0..299
	selsB := selectors(250, 100) // 250..349: 50 overlap with A
	selsC := selectors(290, 20)  // 290..309: 10 with A, 20 with B
	if hits, err := a.run(t, selsA, "CASE-A", false); err != nil || len(hits) != 0 {
		t.Fatalf("A registers: %d hits, %v", len(hits), err)
	}
	hits, err := b.run(t, selsB, "CASE-B", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 50 {
		t.Fatalf("B's registration: %d hits, want 50", len(hits))
	}
	for _, h := range hits {
		if h.OtherOrg != "pa" || h.OtherContact != "liaison@pa.example" || h.YourRef != "CASE-B" || h.Kind != "register" {
			t.Fatalf("B's hit %+v", h)
		}
		if got := selsB[*h.Index]; got.Type != deconflict.Type(h.Type) {
			t.Fatalf("hit index %d is a %s, hit says %s", *h.Index, got.Type, h.Type)
		}
	}
	// A check is a hit for both sides too.
	hits, err = c.run(t, selsC, "probe", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 30 {
		t.Fatalf("C's check: %d hits, want 30 (10 with pa, 20 with pb)", len(hits))
	}
	// A sees both hits on its registrations, with its own reference and
	// the other side's contact, never the other side's reference.
	for _, tc := range []struct {
		p     *partner
		want  map[string]int // other org → hits
		ref   string
		never []string
	}{
		{a, map[string]int{"pb": 50, "pc": 10}, "CASE-A", []string{"CASE-B", "probe"}},
		{b, map[string]int{"pa": 50, "pc": 20}, "CASE-B", []string{"CASE-A", "probe"}},
		{c, map[string]int{"pa": 10, "pb": 20}, "probe", []string{"CASE-A", "CASE-B"}},
		{d, map[string]int{}, "", []string{"CASE-A", "CASE-B", "probe"}},
	} {
		got, err := tc.p.Hits(bg)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, h := range got {
			count[h.OtherOrg]++
			if h.YourRef != tc.ref {
				t.Errorf("%s sees a hit with ref %q, want %q", tc.p.org, h.YourRef, tc.ref)
			}
		}
		if fmt.Sprint(count) != fmt.Sprint(tc.want) {
			t.Errorf("%s sees hits with %v, want %v", tc.p.org, count, tc.want)
		}
		raw := fmt.Sprintf("%+v", got)
		for _, ref := range tc.never {
			if strings.Contains(raw, ref) {
				t.Errorf("%s sees another side's reference %q", tc.p.org, ref)
			}
		}
	}
	// D's own check of things nobody holds tells it nothing.
	if hits, err := d.run(t, selectors(5000, 10), "", true); err != nil || len(hits) != 0 {
		t.Errorf("D: %d hits, %v", len(hits), err)
	}
	// The registrations list and removal.
	gs, err := a.Registrations(bg)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, g := range gs {
		total += g.Count
	}
	if total != 300 {
		t.Errorf("A lists %d registrations, want 300: %+v", total, gs)
	}
	if n, err := a.Remove(bg, "CASE-A"); err != nil || n != 300 {
		t.Errorf("Remove = %d, %v", n, err)
	}
	if hits, _ := d.run(t, selsA[:10], "", true); len(hits) != 0 {
		t.Errorf("removed registrations still hit: %d", len(hits))
	}

	// Nothing any client sent holds a selector, and neither do the
	// server's logs, its audit log or its database file.
	all := slices.Concat(selsA, selsB, selsC)
	for _, p := range []*partner{a, b, c, d} {
		assertNoSelector(t, p.org+"'s requests", p.sent.all(), all)
	}
	s.audit.Flush(bg)
	entries, _ := s.store.AuditEntries(bg, 0, 100000)
	assertNoSelector(t, "the audit log", fmt.Sprintf("%+v", entries), all)
	assertNoSelector(t, "the server log", s.logs.String(), all)
	hitsAudited := 0
	for _, e := range entries {
		if e.Action == "deconfliction.hit" {
			hitsAudited++
		}
	}
	if hitsAudited != 80 {
		t.Errorf("%d hits audited, want 80", hitsAudited)
	}
	s.close()
	db := readDir(t, s.dir)
	assertNoSelector(t, "the data directory", db, all)
}

func TestNotForEveryone(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	for _, user := range []string{"sh-user", "pa-admin"} {
		p := s.partner(user)
		_, err := p.Hits(bg)
		var ae *deconflict.APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
			t.Errorf("%s: %v, want 403", user, err)
		}
	}
	p := s.partner("pa-analyst")
	p.Token = "wrong"
	if _, err := p.Epochs(bg); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad token: %v", err)
	}
}

func TestCoordinatorMode(t *testing.T) {
	s := newServer(t, deconflict.Options{Coordinator: "pd"})
	a, b, d := s.partner("pa-analyst"), s.partner("pb-analyst"), s.partner("pd-analyst")
	if _, err := a.run(t, selectors(0, 10), "A-1", false); err != nil {
		t.Fatal(err)
	}
	hits, err := b.run(t, selectors(5, 10), "B-1", false)
	if err != nil || len(hits) != 0 {
		t.Fatalf("B is told of %d hits (%v) in coordinator mode", len(hits), err)
	}
	for _, p := range []*partner{a, b} {
		if got, _ := p.Hits(bg); len(got) != 0 {
			t.Errorf("%s sees %d hits in coordinator mode", p.org, len(got))
		}
	}
	got, err := d.Hits(bg)
	if err != nil || len(got) != 5 {
		t.Fatalf("coordinator sees %d hits, %v; want 5", len(got), err)
	}
	if s := got[0].Sides; len(s) != 2 || s[0].Org != "pb" || s[0].Ref != "B-1" || s[1].Org != "pa" || s[1].Ref != "A-1" || s[1].Contact != "liaison@pa.example" {
		t.Errorf("coordinator's view: %+v", got[0])
	}
}

func TestBudget(t *testing.T) {
	s := newServer(t, deconflict.Options{DailyBudget: 250, MaxBatch: 100})
	a := s.partner("pa-analyst")
	if _, err := a.run(t, selectors(0, 200), "A", false); err != nil {
		t.Fatal(err)
	}
	// A restart keeps the day's count: it is in the database.
	s.close()
	s.open()
	a = s.partner("pa-analyst")
	_, err := a.run(t, selectors(200, 100), "A", false)
	var ae *deconflict.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusTooManyRequests {
		t.Fatalf("over budget: %v, want 429", err)
	}
	if ae.Problem.Type != deconflict.ProblemTypeBase+"rate-limited" {
		t.Errorf("problem type %q", ae.Problem.Type)
	}
	// 09:00 UTC: the budget comes back at midnight, 15 hours on.
	if ae.RetryAfter != "54000" {
		t.Errorf("Retry-After = %q, want 54000", ae.RetryAfter)
	}
	if b, _ := a.Budget(bg); b.Evaluate.Used != 200 || b.Evaluate.Limit != 250 || b.Submit.Used != 200 {
		t.Errorf("budget %+v", b)
	}
	// Another organisation's budget is its own.
	if _, err := s.partner("pb-analyst").run(t, selectors(0, 100), "B", true); err != nil {
		t.Errorf("pb: %v", err)
	}
	s.audit.Flush(bg)
	entries, _ := s.store.AuditEntries(bg, 0, 100000)
	denied := 0
	for _, e := range entries {
		if e.Action == "deconfliction.evaluate" && e.Decision == mosaic.Denied && e.Org == "pa" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d refused evaluations audited, want 1", denied)
	}
	s.clock.Add(15 * time.Hour)
	if _, err := a.run(t, selectors(200, 100), "A", false); err != nil {
		t.Errorf("next day: %v", err)
	}
	// Tokens from elsewhere (from the key itself) are bounded too:
	// registering and checking without evaluating spends the submit pool.
	var toks []mosaic.DeconflictionToken
	for i := range 100 {
		toks = append(toks, mosaic.DeconflictionToken{Type: "ipv4", Token: bytes.Repeat([]byte{byte(i)}, 32)})
	}
	for i := 0; ; i++ {
		_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Tokens: toks}, true)
		if errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests {
			if i != 1 {
				t.Errorf("unevaluated checks refused after %d requests of 100, want 1 (100 of 250 spent by the registration)", i)
			}
			break
		}
		if err != nil || i > 3 {
			t.Fatalf("check %d: %v", i, err)
		}
	}
}

// Requests that must be refused are refused clearly, are audited, and
// leave nothing stored.
func TestRefusals(t *testing.T) {
	s := newServer(t, deconflict.Options{MaxBatch: 50})
	a, b := s.partner("pa-analyst"), s.partner("pb-analyst")
	blind := a.blinder(t, filepath.Join(t.TempDir(), "pins.json"))
	p, err := blind.Blind(selectors(0, 10))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := a.Evaluate(bg, blind.Epoch(), p.Elements)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := blind.Finalize(p, ev.Evaluation)
	if err != nil {
		t.Fatal(err)
	}
	exp := storetest.Epoch.Add(24 * time.Hour)
	identity := make([]byte, 32)
	cases := []struct {
		name   string
		do     func() error
		status int
	}{
		{"oversized evaluation", func() error {
			_, err := a.Evaluate(bg, 1, slices.Repeat(p.Elements[:1], 51))
			return err
		}, 413},
		{"oversized registration", func() error {
			_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Ref: "X", Expires: exp, Tokens: slices.Repeat(toks[:1], 51)}, false)
			return err
		}, 413},
		{"identity element", func() error {
			_, err := a.Evaluate(bg, 1, [][]byte{p.Elements[0], identity})
			return err
		}, 400},
		{"garbage element", func() error {
			_, err := a.Evaluate(bg, 1, [][]byte{bytes.Repeat([]byte{0xff}, 32)})
			return err
		}, 400},
		{"short token", func() error {
			_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Ref: "X", Expires: exp, Tokens: []mosaic.DeconflictionToken{{Type: "ipv4", Token: []byte("abc")}}}, false)
			return err
		}, 400},
		{"unknown type", func() error {
			_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Ref: "X", Expires: exp, Tokens: []mosaic.DeconflictionToken{{Type: "ssn", Token: toks[0].Token}}}, false)
			return err
		}, 400},
		{"old epoch", func() error {
			_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 7, Ref: "X", Expires: exp, Tokens: toks}, false)
			return err
		}, 400},
		{"no expiry", func() error {
			_, err := a.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Ref: "X", Tokens: toks}, false)
			return err
		}, 400},
		{"another organisation's request", func() error {
			// pa's request, sent with pb's token.
			_, err := b.Submit(bg, deconflict.SubmitRequest{Org: "pa", Epoch: 1, Ref: "X", Expires: exp, Tokens: toks}, false)
			return err
		}, 403},
		{"replayed request", func() error {
			body := fmt.Sprintf(`{"org":"pa","request_id":"%032x","epoch":1,"ref":"X","expires":%q,"tokens":[{"type":"ipv4","token":%q}]}`,
				42, exp.Format(time.RFC3339), base64.StdEncoding.EncodeToString(toks[0].Token))
			if st := rawPost(t, s, "pa-analyst", "registrations", body); st != 201 {
				t.Fatalf("first request: %d", st)
			}
			if _, err := a.Remove(bg, "X"); err != nil {
				t.Fatal(err)
			}
			if st := rawPost(t, s, "pa-analyst", "registrations", body); st != 409 {
				return fmt.Errorf("replay: status %d", st)
			}
			return &deconflict.APIError{Status: 409}
		}, 409},
		{"unknown field", func() error {
			if st := rawPost(t, s, "pa-analyst", "evaluate", `{"epoch":1,"elements":[],"selector":"192.0.2.1"}`); st != 400 {
				return fmt.Errorf("status %d", st)
			}
			return &deconflict.APIError{Status: 400}
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			var ae *deconflict.APIError
			if !errors.As(err, &ae) || ae.Status != tc.status {
				t.Fatalf("err = %v, want status %d", err, tc.status)
			}
		})
	}
	if gs, _ := a.Registrations(bg); len(gs) != 0 {
		t.Errorf("refused requests stored registrations: %+v", gs)
	}
	if bud, _ := a.Budget(bg); bud.Evaluate.Used != 10 {
		t.Errorf("refused evaluations cost budget: used %d, want 10", bud.Evaluate.Used)
	}
	s.audit.Flush(bg)
	entries, _ := s.store.AuditEntries(bg, 0, 100000)
	denied := 0
	for _, e := range entries {
		if e.Decision == mosaic.Denied && strings.HasPrefix(e.Action, "deconfliction.") {
			denied++
		}
	}
	if denied < len(cases)-1 {
		t.Errorf("%d refusals audited, want at least %d", denied, len(cases)-1)
	}
	if strings.Contains(s.logs.String(), "192.0.2.1") || strings.Contains(fmt.Sprint(entries), "192.0.2.1") {
		t.Error("a value sent in an unknown field reached the log")
	}
}

func rawPost(t *testing.T, s *server, user, path, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.http.URL+deconflict.Prefix+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("error answer of type %q", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode
}

// A tampered evaluation is refused by the client, and nothing is sent on.
func TestTamperedEvaluation(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	a := s.partner("pa-analyst")
	a.tamper = func(er *deconflict.EvaluateResponse) { er.Proof[0] ^= 0x01 }
	_, err := a.run(t, selectors(0, 5), "A", false)
	if !errors.Is(err, deconflict.ErrProof) {
		t.Fatalf("err = %v, want ErrProof", err)
	}
	for _, line := range a.sent.bodies {
		if strings.Contains(line, "/registrations") {
			t.Errorf("tokens were sent after a failed proof: %s", line[:60])
		}
	}
}

// An evaluator whose key changed without a new epoch is refused by a
// client that pinned the old key, before it sends anything to evaluate.
// (TestPins covers the same signing key signing another key for a pinned
// epoch.)
func TestPinnedKeyChange(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	a := s.partner("pa-analyst")
	pins := filepath.Join(t.TempDir(), "pins.json")
	a.blinder(t, pins)
	// Another evaluator, also in epoch 1, as a store operator who swapped
	// the key would present it.
	other := newServer(t, deconflict.Options{})
	recs, err := other.partner("pa-analyst").Epochs(bg)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := deconflict.LoadPins(pins)
	if _, _, err := p.Accept(a.BaseURL, recs); !errors.Is(err, deconflict.ErrKeyChanged) {
		t.Fatalf("Accept = %v, want ErrKeyChanged", err)
	}
}

// The store refuses to publish another key under an epoch it has.
func TestStoreRefusesChangedEpochKey(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	s.close()
	s.ev = nil
	if err := removeKey(s.dir); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(bg, s.dir, s.clock)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	kf, _, _ := deconflict.OpenKeyFile(filepath.Join(s.dir, "oprf.key"), s.clock.Now())
	ev, _ := deconflict.NewLocalEvaluator(kf)
	h := deconflict.NewHandler(deconflict.Options{Store: st, Evaluator: ev, Clock: s.clock})
	if _, err := h.SyncEpochs(bg); mosaic.ErrorCode(err) != mosaic.CodeConflict {
		t.Errorf("SyncEpochs with a changed key: %v, want CodeConflict", err)
	}
}

func TestWrongMethodIs405(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "registrations", "POST, GET, DELETE"},
		{"DELETE", "hits", "GET"},
	} {
		req, _ := http.NewRequest(tc.method, s.http.URL+deconflict.Prefix+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+s.tokens["pa-analyst"])
		resp, err := s.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want 405, %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), tc.allow)
		}
	}
}

func TestAnswersCarryARequestID(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	req, _ := http.NewRequest("GET", s.http.URL+deconflict.Prefix+"budget", nil)
	req.Header.Set("Authorization", "Bearer "+s.tokens["pa-analyst"])
	for _, auth := range []string{"Bearer " + s.tokens["pa-analyst"], "Bearer wrong"} {
		req.Header.Set("Authorization", auth)
		resp, err := s.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if id := resp.Header.Get("X-Request-Id"); len(id) != 16 {
			t.Errorf("%s: %d with X-Request-Id %q", auth[:10], resp.StatusCode, id)
		}
	}
}
