// Package storetest is the conformance suite every store passes:
// SQLite and PostgreSQL run the same tests (see the sqlite and postgres
// packages' tests), so the product behaves the same on both.
package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/search"
	"mosaic/stix"
	"mosaic/web/session"
)

// Store is what the suite checks: everything Mosaic keeps of its domain,
// and the web UI's sessions.
type Store interface {
	mosaic.Store
	session.Store
}

// Opener returns a new, empty store that lives until the test ends.
type Opener func(t testing.TB, clock mosaic.Clock) Store

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Epoch is when test clocks start.
var Epoch = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("Directory", func(t *testing.T) { testDirectory(t, open) })
	t.Run("Tokens", func(t *testing.T) { testTokens(t, open) })
	t.Run("ReadOnlyTokens", func(t *testing.T) { testReadOnlyTokens(t, open) })
	t.Run("Approvals", func(t *testing.T) { testApprovals(t, open) })
	t.Run("Ingest", func(t *testing.T) { testIngest(t, open) })
	t.Run("IngestLeavesRecords", func(t *testing.T) { testIngestLeavesRecords(t, open) })
	t.Run("ByOriginator", func(t *testing.T) { testByOriginator(t, open) })
	t.Run("Reshare", func(t *testing.T) { testReshare(t, open) })
	t.Run("Versions", func(t *testing.T) { testVersions(t, open) })
	t.Run("VersionFilters", func(t *testing.T) { testVersionFilters(t, open) })
	t.Run("VersionsBounded", func(t *testing.T) { testVersionsBounded(t, open) })
	t.Run("Visibility", func(t *testing.T) { testVisibility(t, open) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open) })
	t.Run("Search", func(t *testing.T) { testSearch(t, open) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, open) })
	t.Run("Stats", func(t *testing.T) { testStats(t, open) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("ConcurrentReads", func(t *testing.T) { testConcurrentReads(t, open) })
	t.Run("CommitOrder", func(t *testing.T) { testCommitOrder(t, open) })
	t.Run("AddedAfter", func(t *testing.T) { testAddedAfter(t, open) })
	t.Run("Statuses", func(t *testing.T) { testStatuses(t, open) })
	t.Run("Feeds", func(t *testing.T) { testFeeds(t, open) })
	t.Run("Deconfliction", func(t *testing.T) { testDeconfliction(t, open) })
	t.Run("Web", func(t *testing.T) { testWeb(t, open) })
	t.Run("Releases", func(t *testing.T) { testReleases(t, open) })
	t.Run("ReleasesLarge", func(t *testing.T) { testReleasesLarge(t, open) })
	t.Run("ReleaseAdviceDeadline", func(t *testing.T) { testReleaseAdviceDeadline(t, open) })
	t.Run("FeedbackPicture", func(t *testing.T) { testFeedbackPicture(t, open) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open) })
	t.Run("LiaisonAway", func(t *testing.T) { testLiaisonAway(t, open) })
}

// Record builds a record from a STIX object's JSON the way ingest does.
func Record(t testing.TB, obj string, env mosaic.Envelope) mosaic.Record {
	t.Helper()
	o, probs := stix.DecodeObject([]byte(obj), stix.DefaultLimits())
	if len(probs) > 0 {
		t.Fatalf("test object invalid: %v\n%s", probs, obj)
	}
	if o.HasTLP {
		env.TLP = o.TLP
	}
	if env.TLP == "" {
		env.TLP = mosaic.TLPAmber
	}
	if env.LegalBasis == "" {
		env.LegalBasis = "wbni"
	}
	if env.ReviewBy == "" {
		env.ReviewBy = "2027-11-01"
	}
	words, obs := search.ObjectTerms(o.Type, o.Props)
	createdBy, _ := o.Props["created_by_ref"].(string)
	return mosaic.Record{ID: o.ID, Type: o.Type, CreatedKey: o.CreatedKey, ModifiedKey: o.ModifiedKey, Envelope: env, CreatedBy: createdBy,
		Object: o.Canonical, Hash: o.Hash, Words: words, Observables: obs}
}

// Indicator returns an indicator's JSON; n makes the id, modified the
// version.
func Indicator(n int, modified, name, pattern string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":%q,`+
		`"name":%q,"pattern":%q,"pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, UUID(n), modified, name, pattern)
}

// UUID returns a valid version-4 UUID derived from n.
func UUID(n int) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n)
}

// World is a small population: three partners (one in a compartment), a
// stakeholder, an auditor and an admin.
type World struct {
	Store                         Store
	Clock                         *Clock
	A, B, C                       mosaic.Viewer // analysts of partners a, b, c
	ALiaison                      mosaic.Viewer
	Stakeholder, Auditor, Granted mosaic.Viewer
	Admin                         mosaic.Viewer
	Orgs                          map[string]mosaic.Organisation
}

// NewWorld builds a World: partners pa, pb, pc; compartment "ops" with
// organisation pa and pb's analyst by name, compartment "other" with
// organisation pc and pb's analyst by name; stakeholder org sh; oversight
// org ov.
func NewWorld(t testing.TB, open Opener) *World {
	t.Helper()
	ctx := context.Background()
	clock := NewClock(Epoch)
	s := open(t, clock)
	w := &World{Store: s, Clock: clock, Orgs: map[string]mosaic.Organisation{}}
	a := mosaic.AuditEntry{Time: Epoch, User: "test", Action: "setup", Decision: mosaic.Allowed}
	for _, o := range []mosaic.Organisation{
		{Name: "pa", FullName: "Partner A", Kind: mosaic.Partner, LegalRegime: "wiv2017"},
		{Name: "pb", FullName: "Partner B", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "pc", FullName: "Partner C", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "sh", FullName: "Stakeholder", Kind: mosaic.Stakeholder, Sectors: []string{"healthcare"}},
		{Name: "ov", FullName: "Oversight", Kind: mosaic.Oversight},
	} {
		if err := s.CreateOrg(ctx, &o, a); err != nil {
			t.Fatal(err)
		}
		w.Orgs[o.Name] = o
	}
	viewer := func(name, org string, role mosaic.Role, grant bool) mosaic.Viewer {
		u := mosaic.User{Name: name, Org: org, Role: role, ContentGrant: grant}
		if err := s.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
		o := w.Orgs[org]
		return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: role, ContentGrant: grant}
	}
	w.A = viewer("pa-analyst", "pa", mosaic.Analyst, false)
	w.ALiaison = viewer("pa-liaison", "pa", mosaic.Liaison, false)
	w.B = viewer("pb-analyst", "pb", mosaic.Analyst, false)
	w.C = viewer("pc-analyst", "pc", mosaic.Analyst, false)
	w.Stakeholder = viewer("sh-user", "sh", mosaic.StakeholderViewer, false)
	w.Auditor = viewer("ov-auditor", "ov", mosaic.Auditor, false)
	w.Granted = viewer("ov-granted", "ov", mosaic.Auditor, true)
	w.Admin = viewer("pc-admin", "pc", mosaic.Admin, false)
	for _, c := range []string{"ops", "other"} {
		if err := s.CreateCompartment(ctx, &mosaic.Compartment{Name: c}, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddMember(ctx, "ops", "pa", "", a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "ops", "", "pb-analyst", a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "other", "pc", "", a); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, "other", "", "pb-analyst", a); err != nil {
		t.Fatal(err)
	}
	return w
}

// Ingest stores recs for v and fails the test on error.
func (w *World) Ingest(t testing.TB, v mosaic.Viewer, recs ...mosaic.Record) mosaic.IngestResult {
	t.Helper()
	res, err := w.Store.Ingest(context.Background(), v, recs, mosaic.NewAuditEntry(v, w.Clock.Now(), "objects.ingest"))
	if err != nil {
		t.Fatalf("Ingest: %v", err)
	}
	return res
}

// IDs lists every visible object's id and originator as "id@org", in
// listing order, paging through with page size n.
func (w *World) IDs(t testing.TB, v mosaic.Viewer, f mosaic.ObjectFilter, n int) []string {
	t.Helper()
	f.Limit = n
	var out []string
	for range 100000 {
		page, err := w.Store.Objects(context.Background(), v, f)
		if err != nil {
			t.Fatalf("Objects: %v", err)
		}
		for _, o := range page.Objects {
			out = append(out, objectID(o.Object)+"@"+o.Envelope.Originator)
		}
		if page.Next == 0 {
			return out
		}
		f.Before = page.Next
	}
	t.Fatal("pagination does not end")
	return nil
}

func objectID(obj []byte) string {
	s := string(obj)
	i := strings.Index(s, `"id":"`)
	if i < 0 {
		return ""
	}
	s = s[i+6:]
	return s[:strings.IndexByte(s, '"')]
}

func stixTimeKey(s string) (string, error) { return stix.TimeKey(s) }
