package content_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/ingest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

var bg = context.Background()

// log keeps the audit entries the service writes, and refuses them when
// broken, as package audit's Log does while the database cannot be written.
type log struct {
	mu      sync.Mutex
	entries []mosaic.AuditEntry
	broken  bool
}

func (l *log) Record(e mosaic.AuditEntry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.broken {
		return mosaic.Errorf(mosaic.CodeUnavailable, "the audit log cannot be written")
	}
	l.entries = append(l.entries, e)
	return nil
}

// take returns the entries written since the last take.
func (l *log) take() []mosaic.AuditEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.entries
	l.entries = nil
	return out
}

func (l *log) setBroken(b bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.broken = b
}

type env struct {
	w   *storetest.World
	log *log
	svc *content.Service
}

func newEnv(t testing.TB) *env {
	w := storetest.NewWorld(t, func(t testing.TB, clock mosaic.Clock) storetest.Store {
		s, err := sqlite.Open(bg, t.TempDir(), clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
	l := &log{}
	cfg := ingest.Config{DefaultTLP: mosaic.TLPAmber, LegalBases: map[string]time.Duration{"wiv2017": time.Hour * 24 * 365, "wpg": time.Hour * 24 * 365, "wbni": time.Hour * 24 * 365}, Limits: stix.DefaultLimits()}
	return &env{w: w, log: l, svc: content.New(w.Store, cfg, l, w.Clock)}
}

func ind(n int, pattern string) string {
	return storetest.Indicator(n, "2026-10-01T00:00:00.000Z", "Beacon", pattern)
}

func id(n int) string { return "indicator--" + storetest.UUID(n) }

var (
	cell   = mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen, ORCON: true, LegalBasis: "wiv2017", ReviewBy: "2030-01-01"}
	own    = mosaic.Envelope{TLP: mosaic.TLPAmber, ORCON: true, LegalBasis: "wiv2017", ReviewBy: "2030-01-01"}
	access = content.Access{Action: "test.read", Detail: "q=x"}
)

// want checks that the log holds exactly one entry, of action by v with
// ids and decision d.
func (e *env) want(t *testing.T, v mosaic.Viewer, action string, ids []string, d mosaic.Decision) {
	t.Helper()
	got := e.log.take()
	if len(got) != 1 {
		t.Fatalf("%d audit entries, want 1: %+v", len(got), got)
	}
	g := got[0]
	if g.User != v.User || g.Action != action || g.Decision != d || !slices.Equal(g.ObjectIDs, ids) {
		t.Errorf("audit entry %s %s %v %v, want %s %s %v %v", g.User, g.Action, g.ObjectIDs, g.Decision, v.User, action, ids, d)
	}
}

func TestReadsAreAudited(t *testing.T) {
	e := newEnv(t)
	w := e.w
	w.Ingest(t, w.A, storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.7']"), cell), storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.7']"), own))

	p, err := e.svc.List(bg, w.B, mosaic.ObjectFilter{Limit: 10}, access)
	if err != nil || len(p.Objects) != 1 {
		t.Fatalf("List = %d objects, %v", len(p.Objects), err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Allowed)

	if _, err := e.svc.Get(bg, w.B, id(1), false, access); err != nil {
		t.Fatal(err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Allowed)

	// Hidden and missing read alike, and are audited alike.
	_, hidden := e.svc.Get(bg, w.B, id(2), false, access)
	e.want(t, w.B, "test.read", []string{id(2)}, mosaic.NotFound)
	_, missing := e.svc.Get(bg, w.B, id(3), false, access)
	e.want(t, w.B, "test.read", []string{id(3)}, mosaic.NotFound)
	if mosaic.ErrorCode(hidden) != mosaic.CodeNotFound || strings.ReplaceAll(hidden.Error(), storetest.UUID(2), "X") != strings.ReplaceAll(missing.Error(), storetest.UUID(3), "X") {
		t.Errorf("hidden %v, missing %v", hidden, missing)
	}

	if _, err := e.svc.Stats(bg, w.B, access); err != nil {
		t.Fatal(err)
	}
	e.want(t, w.B, "test.read", nil, mosaic.Allowed)

	// A stakeholder reads nothing, and is audited reading nothing.
	p, err = e.svc.List(bg, w.Stakeholder, mosaic.ObjectFilter{Limit: 10}, access)
	if err != nil || len(p.Objects) != 0 {
		t.Fatalf("a stakeholder lists %d objects, %v", len(p.Objects), err)
	}
	e.want(t, w.Stakeholder, "test.read", []string{}, mosaic.Allowed)

	// A read without a name for the audit log is a programming error,
	// not a read nobody accounts for.
	if _, err := e.svc.List(bg, w.A, mosaic.ObjectFilter{Limit: 10}, content.Access{}); mosaic.ErrorCode(err) != mosaic.CodeInternal {
		t.Errorf("a read without an action: %v", err)
	}
	if _, err := e.svc.Get(bg, w.A, "not an id", false, access); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("a malformed id: %v", err)
	}
}

// Every read fails while the audit log cannot take its entry: nothing is
// handed out that nobody can account for.
func TestReadsFailClosed(t *testing.T) {
	e := newEnv(t)
	w := e.w
	w.Ingest(t, w.A, storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.7']"), cell), storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.7']"), cell))
	e.log.setBroken(true)
	reads := map[string]func() error{
		"List":   func() error { _, err := e.svc.List(bg, w.B, mosaic.ObjectFilter{Limit: 10}, access); return err },
		"Get":    func() error { _, err := e.svc.Get(bg, w.B, id(1), false, access); return err },
		"Get404": func() error { _, err := e.svc.Get(bg, w.B, id(9), false, access); return err },
		"ListObject": func() error {
			_, err := e.svc.ListObject(bg, w.B, id(1), mosaic.ObjectFilter{Limit: 10}, access)
			return err
		},
		"Exists": func() error {
			_, err := e.svc.Exists(bg, w.B, id(1), mosaic.ObjectFilter{}, access, mosaic.Denied)
			return err
		},
		"Stats": func() error { _, err := e.svc.Stats(bg, w.B, access); return err },
		"Follow": func() error {
			_, err := e.svc.Follow(bg, w.B, 0, 10, access)
			return err
		},
		"Correlations": func() error {
			_, err := e.svc.Correlations(bg, w.B, id(1), 10, 0, access)
			return err
		},
		"View": func() error { _, err := e.svc.View(bg, w.B, id(1), 10, 10, access); return err },
		"Picture": func() error {
			_, err := e.svc.Picture(bg, w.B, w.Clock.Now(), 0, 10, access)
			return err
		},
		"ThreatLevels": func() error {
			_, err := e.svc.ThreatLevels(bg, w.B, "healthcare", 10, access)
			return err
		},
		"Audit": func() error { return e.svc.Audit(w.B, access, nil, mosaic.Allowed) },
	}
	for name, read := range reads {
		if err := read(); mosaic.ErrorCode(err) != mosaic.CodeUnavailable {
			t.Errorf("%s with a broken audit log: %v, want CodeUnavailable", name, err)
		}
	}
	e.log.setBroken(false)
	for name, read := range reads {
		if err := read(); err != nil && name != "Get404" {
			t.Errorf("%s with the log back: %v", name, err)
		}
	}
}

func TestListObjectAndExists(t *testing.T) {
	e := newEnv(t)
	w := e.w
	w.Ingest(t, w.A, storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.7']"), cell), storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.8']"), own))

	// There, but every version filtered out: an empty page, not "not found".
	p, err := e.svc.ListObject(bg, w.B, id(1), mosaic.ObjectFilter{Types: []string{"malware"}, Limit: 10}, access)
	if err != nil || len(p.Objects) != 0 {
		t.Fatalf("filtered out: %d objects, %v", len(p.Objects), err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Allowed)
	// Outside the scope (another originator's collection): not found.
	_, err = e.svc.ListObject(bg, w.B, id(1), mosaic.ObjectFilter{Originators: []string{"pb"}, Limit: 10}, access)
	if mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("out of scope: %v", err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.NotFound)
	// Hidden: not found, whatever the filters.
	_, err = e.svc.ListObject(bg, w.B, id(2), mosaic.ObjectFilter{Limit: 10}, access)
	if mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("hidden: %v", err)
	}
	e.want(t, w.B, "test.read", []string{id(2)}, mosaic.NotFound)

	// Exists records the door's decision on a found object.
	if ok, err := e.svc.Exists(bg, w.B, id(1), mosaic.ObjectFilter{}, access, mosaic.Denied); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Denied)
	if ok, err := e.svc.Exists(bg, w.B, id(2), mosaic.ObjectFilter{}, access, mosaic.Denied); ok || err != nil {
		t.Fatalf("Exists of a hidden object = %v, %v", ok, err)
	}
	e.want(t, w.B, "test.read", []string{id(2)}, mosaic.NotFound)
}

// A page tells when the record after it was added, without showing it or
// auditing it as read.
func TestPageLooksAhead(t *testing.T) {
	e := newEnv(t)
	w := e.w
	w.Ingest(t, w.A, storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.1']"), cell), storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.2']"), cell))
	w.Clock.Add(time.Minute)
	w.Ingest(t, w.A, storetest.Record(t, ind(3, "[ipv4-addr:value = '198.51.100.3']"), cell))
	p, err := e.svc.List(bg, w.B, mosaic.ObjectFilter{Ascending: true, Limit: 1}, access)
	if err != nil || len(p.Objects) != 1 || p.Next == 0 {
		t.Fatalf("first page: %d objects, next %d, %v", len(p.Objects), p.Next, err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Allowed)
	if !p.NextAdded.Equal(p.Objects[0].Envelope.Added) {
		t.Errorf("the next record of the same batch was added %v, the page's last %v", p.NextAdded, p.Objects[0].Envelope.Added)
	}
	p, _ = e.svc.List(bg, w.B, mosaic.ObjectFilter{Ascending: true, After: p.Next, Limit: 1}, access)
	e.log.take()
	if len(p.Objects) != 1 || !p.NextAdded.After(p.Objects[0].Envelope.Added) {
		t.Errorf("second page: %d objects, next added %v", len(p.Objects), p.NextAdded)
	}
	p, _ = e.svc.List(bg, w.B, mosaic.ObjectFilter{Ascending: true, After: p.Next, Limit: 1}, access)
	e.log.take()
	if len(p.Objects) != 1 || p.Next != 0 || !p.NextAdded.IsZero() {
		t.Errorf("last page: %d objects, next %d, next added %v", len(p.Objects), p.Next, p.NextAdded)
	}
}

func TestFollowAuditsOnlyWhatItShows(t *testing.T) {
	e := newEnv(t)
	w := e.w
	at, err := e.svc.Newest(bg, w.B)
	if err != nil || at != 0 {
		t.Fatalf("Newest of nothing = %d, %v", at, err)
	}
	if objs, err := e.svc.Follow(bg, w.B, at, 10, access); err != nil || len(objs) != 0 {
		t.Fatalf("Follow = %d, %v", len(objs), err)
	}
	if got := e.log.take(); len(got) != 0 {
		t.Errorf("an empty poll was audited: %+v", got)
	}
	w.Ingest(t, w.A, storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.1']"), cell), storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.2']"), own))
	objs, err := e.svc.Follow(bg, w.B, at, 10, access)
	if err != nil || len(objs) != 1 {
		t.Fatalf("Follow = %d, %v", len(objs), err)
	}
	e.want(t, w.B, "test.read", []string{id(1)}, mosaic.Allowed)
	if at, _ = e.svc.Newest(bg, w.B); at != objs[0].Seq {
		t.Errorf("Newest = %d, want the position of the one record B sees, %d", at, objs[0].Seq)
	}
}

func TestCorrelationsAndView(t *testing.T) {
	e := newEnv(t)
	w := e.w
	rel := `{"type":"relationship","spec_version":"2.1","id":"relationship--` + storetest.UUID(10) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"` + id(1) + `","target_ref":"` + id(3) + `"}`
	w.Ingest(t, w.A,
		storetest.Record(t, ind(1, "[ipv4-addr:value = '198.51.100.7']"), cell),
		storetest.Record(t, ind(2, "[ipv4-addr:value = '198.51.100.7']"), cell),
		// Shares the address, but only pa may see it.
		storetest.Record(t, ind(3, "[ipv4-addr:value = '198.51.100.7']"), own),
		storetest.Record(t, rel, cell))
	c, err := e.svc.Correlations(bg, w.B, id(1), 10, 0, access)
	if err != nil || len(c.Objects) != 1 || stix.ReadHead(c.Objects[0].Object).ID != id(2) || len(c.Objects[0].Shared) != 1 {
		t.Fatalf("Correlations = %+v, %v", c, err)
	}
	e.want(t, w.B, "test.read", []string{id(1), id(2)}, mosaic.Allowed)
	if _, err := e.svc.Correlations(bg, w.B, id(3), 10, 0, access); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("correlations of a hidden object: %v", err)
	}
	e.want(t, w.B, "test.read", []string{id(3)}, mosaic.NotFound)

	v, err := e.svc.View(bg, w.B, id(1), 10, 10, access)
	if err != nil {
		t.Fatal(err)
	}
	// The relationship is B's to see; its other end is not, and is not
	// named.
	if len(v.Versions) != 1 || len(v.Relationships) != 1 || len(v.Ends) != 0 || len(v.Correlations) != 1 {
		t.Errorf("View for B = %d versions, %d relationships, ends %v, %d correlations", len(v.Versions), len(v.Relationships), v.Ends, len(v.Correlations))
	}
	e.want(t, w.B, "test.read", []string{id(1), "relationship--" + storetest.UUID(10), id(2)}, mosaic.Allowed)
	v, err = e.svc.View(bg, w.A, id(1), 10, 10, access)
	if err != nil || len(v.Ends) != 1 || len(v.Correlations) != 2 {
		t.Fatalf("View for A = ends %v, %d correlations, %v", v.Ends, len(v.Correlations), err)
	}
	e.log.take()
}

func TestContributionRefusalsAreAudited(t *testing.T) {
	e := newEnv(t)
	w := e.w
	write := content.Access{Action: "objects.ingest", Detail: "test"}
	bundle := []byte(`{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` + ind(1, "[ipv4-addr:value = '198.51.100.7']") + `]}`)
	if _, _, err := e.svc.Contribute(bg, w.Stakeholder, bundle, mosaic.EnvelopeDefaults{}, write); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Fatalf("a stakeholder contributes: %v", err)
	}
	e.want(t, w.Stakeholder, "objects.ingest", nil, mosaic.Denied)
	if err := e.svc.MayContribute(w.Granted, write); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Fatalf("an auditor may contribute: %v", err)
	}
	e.want(t, w.Granted, "objects.ingest", nil, mosaic.Denied)
	if _, _, err := e.svc.Contribute(bg, w.A, []byte(`{"type":"bundle"}`), mosaic.EnvelopeDefaults{}, write); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Fatalf("a broken bundle: %v", err)
	}
	got := e.log.take()
	if len(got) != 1 || got[0].Decision != mosaic.Failed || !strings.HasPrefix(got[0].Detail, "test: ") {
		t.Errorf("a refused bundle is audited as %+v", got)
	}
	if _, _, err := e.svc.ContributeMISP(bg, w.A, []byte(`{"not":"an event"}`), mosaic.EnvelopeDefaults{}, write); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Fatalf("not a MISP event: %v", err)
	}
	e.want(t, w.A, "objects.ingest", nil, mosaic.Failed)
	// A client that went away is no error of the server's.
	gone, cancel := context.WithCancel(bg)
	cancel()
	if _, _, err := e.svc.Contribute(gone, w.A, bundle, mosaic.EnvelopeDefaults{}, write); !mosaic.ClientGone(err) {
		t.Fatalf("an upload whose client went away: %v", err)
	}
	e.want(t, w.A, "objects.ingest", nil, mosaic.Canceled)
	// What is stored the store audits itself, in its transaction.
	res, ids, err := e.svc.Contribute(bg, w.A, bundle, mosaic.EnvelopeDefaults{}, write)
	if err != nil || res.New != 1 || !slices.Equal(ids, []string{id(1)}) {
		t.Fatalf("Contribute = %+v %v %v", res, ids, err)
	}
	if got := e.log.take(); len(got) != 0 {
		t.Errorf("a stored bundle was audited as a read too: %+v", got)
	}
	added, err := e.svc.AddedTimes(bg, w.A, []string{id(1), id(2)})
	if err != nil || len(added) != 1 || added[id(1)].IsZero() {
		t.Errorf("AddedTimes = %v, %v", added, err)
	}
	// Only one's own organisation's records count.
	if added, _ := e.svc.AddedTimes(bg, w.B, []string{id(1)}); len(added) != 0 {
		t.Errorf("B learns when A stored %v", added)
	}
}
