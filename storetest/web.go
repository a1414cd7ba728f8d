package storetest

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

func testWeb(t *testing.T, open Opener) {
	t.Run("Sessions", func(t *testing.T) { testSessions(t, open) })
	t.Run("Picture", func(t *testing.T) { testPicture(t, open) })
	t.Run("ThreatLevels", func(t *testing.T) { testThreatLevels(t, open) })
}

func testSessions(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	h1 := sha256.Sum256([]byte("first"))
	signIn := mosaic.NewAuditEntry(w.A, w.Clock.Now(), "web.sign-in")
	ws, err := s.CreateSession(bg, h1, w.A.User, "csrf-1", w.Clock.Now().Add(time.Hour), signIn)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.PreviousVisit.IsZero() || ws.SinceSeq != 0 || ws.CSRF != "csrf-1" {
		t.Errorf("first session = %+v, want no previous visit", ws)
	}
	got, v, err := s.Session(bg, h1, w.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(w.A, v); diff != "" {
		t.Errorf("session viewer (-want +got):\n%s", diff)
	}
	if got.User != w.A.User || got.CSRF != "csrf-1" || !got.Expires.Equal(w.Clock.Now().Add(time.Hour)) {
		t.Errorf("Session = %+v", got)
	}
	_, _, err = s.Session(bg, sha256.Sum256([]byte("nobody")), w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	_, err = s.CreateSession(bg, sha256.Sum256([]byte("x")), "no-such-user", "c", w.Clock.Now().Add(time.Hour), setup())
	wantCode(t, err, mosaic.CodeNotFound)

	// The second sign-in sees the first as its previous visit, and the
	// records stored since.
	first := w.Clock.Now()
	w.Ingest(t, w.A, Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "one", "[ipv4-addr:value = '10.0.0.1']"), mosaic.Envelope{}))
	w.Clock.Add(2 * time.Hour)
	h2 := sha256.Sum256([]byte("second"))
	ws2, err := s.CreateSession(bg, h2, w.A.User, "csrf-2", w.Clock.Now().Add(time.Hour), signIn)
	if err != nil {
		t.Fatal(err)
	}
	if !ws2.PreviousVisit.Equal(first) {
		t.Errorf("previous visit %v, want %v", ws2.PreviousVisit, first)
	}
	// The first session has expired by now.
	_, _, err = s.Session(bg, h1, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	got, _, err = s.Session(bg, h2, w.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !got.PreviousVisit.Equal(first) || got.SinceSeq != ws2.SinceSeq {
		t.Errorf("stored session %+v, want previous visit %v", got, first)
	}

	// A disabled user's sessions end.
	u, err := s.User(bg, w.A.User)
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := s.UpdateUser(bg, u, nil, setup()); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(bg, h2, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	u.Disabled = false
	if err := s.UpdateUser(bg, u, nil, setup()); err != nil {
		t.Fatal(err)
	}
	// Enabling the user again does not bring the old session back.
	_, _, err = s.Session(bg, h2, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)

	// A password reset (either way) and a new role end the user's sessions;
	// other changes do not.
	newSession := func(name string) [32]byte {
		t.Helper()
		h := sha256.Sum256([]byte(name))
		if _, err := s.CreateSession(bg, h, w.A.User, "csrf-"+name, w.Clock.Now().Add(time.Hour), signIn); err != nil {
			t.Fatal(err)
		}
		return h
	}
	h3 := newSession("third")
	u.DisplayName = "Someone else"
	if err := s.UpdateUser(bg, u, nil, setup()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(bg, h3, w.Clock.Now()); err != nil {
		t.Errorf("session after a new display name: %v", err)
	}
	if err := s.SetPassword(bg, w.A.User, "new hash", setup()); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(bg, h3, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	h4 := newSession("fourth")
	hash := "another hash"
	if err := s.UpdateUser(bg, u, &hash, setup()); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(bg, h4, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	h5 := newSession("fifth")
	u.Role = mosaic.Liaison
	if err := s.UpdateUser(bg, u, nil, setup()); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(bg, h5, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	// Another user's session is not touched.
	hb := sha256.Sum256([]byte("b"))
	if _, err := s.CreateSession(bg, hb, w.B.User, "csrf-b", w.Clock.Now().Add(time.Hour), signIn); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(bg, w.A.User, "yet another hash", setup()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Session(bg, hb, w.Clock.Now()); err != nil {
		t.Errorf("another user's session after a password reset: %v", err)
	}
	u.Role = mosaic.Analyst
	if err := s.UpdateUser(bg, u, nil, setup()); err != nil {
		t.Fatal(err)
	}
	h2 = newSession("sixth")

	if err := s.DeleteSession(bg, h2, mosaic.NewAuditEntry(w.A, w.Clock.Now(), "web.sign-out")); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Session(bg, h2, w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	if err := s.DeleteSession(bg, h2, setup()); err != nil {
		t.Errorf("signing out twice: %v", err)
	}
	entries, err := s.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		count[e.Action]++
	}
	if count["web.sign-in"] != 7 || count["web.sign-out"] != 1 {
		t.Errorf("audit actions %v, want seven sign-ins and one sign-out", count)
	}
}

func identity(n int, sectors string) string {
	return fmt.Sprintf(`{"type":"identity","spec_version":"2.1","id":"identity--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Victim %d","identity_class":"organization","sectors":%s}`, UUID(n), n, sectors)
}

func sdo(typ string, n int, created string) string {
	return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":"%s--%s","created":%q,"modified":%q,"name":"%s %d"}`, typ, typ, UUID(n), created, created, typ, n)
}

func relationship(n int, relType, source, target, created string) string {
	return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--%s","created":%q,"modified":%q,"relationship_type":%q,"source_ref":%q,"target_ref":%q}`,
		UUID(n), created, created, relType, source, target)
}

func testPicture(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	now := w.Clock.Now() // 2026-11-01T09:00Z
	hoursAgo := func(h int) string { return now.Add(-time.Duration(h) * time.Hour).Format("2006-01-02T15:04:05.000Z") }
	cell := mosaic.Envelope{Audience: mosaic.Audience{Cell: true}}
	own := mosaic.Envelope{}
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}}
	hospital, bank := "identity--"+UUID(100), "identity--"+UUID(101)
	w.Ingest(t, w.A,
		// Sectors outside the STIX vocabulary count nowhere, and a sector
		// named twice counts once.
		Record(t, identity(100, `["healthcare", "made-up\"><a href=x>", "healthcare", "Healthcare"]`), cell),
		Record(t, identity(101, `["financial-services"]`), own),
		Record(t, sdo("campaign", 1, hoursAgo(2)), cell),   // day
		Record(t, sdo("campaign", 2, hoursAgo(50)), cell),  // week
		Record(t, sdo("campaign", 3, hoursAgo(400)), cell), // month
		Record(t, sdo("campaign", 4, hoursAgo(800)), cell), // too old
		Record(t, sdo("incident", 5, hoursAgo(1)), own),
		Record(t, sdo("incident", 6, hoursAgo(1)), ops),
		Record(t, relationship(10, "targets", "campaign--"+UUID(1), hospital, hoursAgo(2)), cell),
		// Saying it twice counts once.
		Record(t, relationship(11, "targets", "campaign--"+UUID(1), hospital, hoursAgo(2)), cell),
		// An incident concerns the sector of any identity it relates to.
		Record(t, relationship(12, "related-to", "incident--"+UUID(5), bank, hoursAgo(1)), own),
		// The bank identity is pa's alone: a relationship shared wider must
		// not show its sector.
		Record(t, relationship(13, "targets", "campaign--"+UUID(2), bank, hoursAgo(50)), cell),
		// Campaigns "use" things without targeting them.
		Record(t, relationship(14, "uses", "campaign--"+UUID(3), hospital, hoursAgo(400)), cell),
		// An exploited vulnerability counts at the time of the relationship
		// that says so, once, however old the vulnerability is.
		Record(t, sdo("vulnerability", 30, hoursAgo(2000)), cell),
		Record(t, relationship(15, "targets", "campaign--"+UUID(1), "vulnerability--"+UUID(30), hoursAgo(30)), cell),
		Record(t, relationship(16, "targets", "campaign--"+UUID(2), "vulnerability--"+UUID(30), hoursAgo(30)), cell),
		Record(t, relationship(17, "related-to", "campaign--"+UUID(3), "vulnerability--"+UUID(31), hoursAgo(30)), cell),
	)
	// A new version changes no count.
	w.Ingest(t, w.A, Record(t, fmt.Sprintf(`{"type":"campaign","spec_version":"2.1","id":"campaign--%s","created":%q,"modified":%q,"name":"campaign 1 renamed"}`, UUID(1), hoursAgo(2), hoursAgo(1)), cell))

	type counts struct {
		ByType   map[string]mosaic.PictureCount
		BySector map[string]map[string]mosaic.PictureCount
	}
	zero := func(extra map[string]mosaic.PictureCount) map[string]mosaic.PictureCount {
		m := map[string]mosaic.PictureCount{}
		for _, typ := range mosaic.PictureTypes {
			m[typ] = extra[typ]
		}
		return m
	}
	cellCampaigns := mosaic.PictureCount{Day: 1, Week: 2, Month: 3}
	exploited := mosaic.PictureCount{Week: 1, Month: 1}
	for _, tc := range []struct {
		name string
		v    mosaic.Viewer
		want counts
	}{
		{"originator", w.A, counts{
			ByType: zero(map[string]mosaic.PictureCount{"campaign": cellCampaigns, "incident": {Day: 2, Week: 2, Month: 2}, mosaic.PictureExploited: exploited}),
			BySector: map[string]map[string]mosaic.PictureCount{
				"healthcare":         {"campaign": {Day: 1, Week: 1, Month: 1}},
				"financial-services": {"incident": {Day: 1, Week: 1, Month: 1}},
			}}},
		{"compartment member by name", w.B, counts{
			ByType:   zero(map[string]mosaic.PictureCount{"campaign": cellCampaigns, "incident": {Day: 1, Week: 1, Month: 1}, mosaic.PictureExploited: exploited}),
			BySector: map[string]map[string]mosaic.PictureCount{"healthcare": {"campaign": {Day: 1, Week: 1, Month: 1}}}}},
		{"cell only", w.C, counts{
			ByType:   zero(map[string]mosaic.PictureCount{"campaign": cellCampaigns, mosaic.PictureExploited: exploited}),
			BySector: map[string]map[string]mosaic.PictureCount{"healthcare": {"campaign": {Day: 1, Week: 1, Month: 1}}}}},
		{"stakeholder", w.Stakeholder, counts{ByType: zero(nil), BySector: map[string]map[string]mosaic.PictureCount{}}},
		{"auditor", w.Auditor, counts{ByType: zero(nil), BySector: map[string]map[string]mosaic.PictureCount{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.Picture(bg, tc.v, now, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, counts{p.ByType, p.BySector}); diff != "" {
				t.Errorf("picture (-want +got):\n%s", diff)
			}
			var month int64
			for _, n := range p.Daily["campaign"] {
				month += n
			}
			if month != tc.want.ByType["campaign"].Month || len(p.Daily["campaign"]) != mosaic.PictureDays {
				t.Errorf("daily campaigns %v, want %d in all", p.Daily["campaign"], tc.want.ByType["campaign"].Month)
			}
			if p.New != 0 {
				t.Errorf("new = %d without a previous visit", p.New)
			}
		})
	}
	// The daily series ends today.
	p, err := s.Picture(bg, w.C, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := p.Daily["campaign"]; d[mosaic.PictureDays-1] != 1 || d[mosaic.PictureDays-3] != 1 || d[mosaic.PictureDays-1-16] != 1 {
		t.Errorf("daily campaigns %v", d)
	}

	// Relationships are listed from both ends, as far as the viewer may see
	// them.
	for _, tc := range []struct {
		v    mosaic.Viewer
		id   string
		want []string
	}{
		{w.A, bank, []string{"relationship--" + UUID(13), "relationship--" + UUID(12)}},
		{w.C, bank, []string{"relationship--" + UUID(13)}},
		{w.Stakeholder, bank, nil},
		{w.C, "campaign--" + UUID(1), []string{"relationship--" + UUID(15), "relationship--" + UUID(11), "relationship--" + UUID(10)}},
	} {
		rels, err := s.Relationships(bg, tc.v, tc.id, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range rels {
			got = append(got, objectID(o.Object))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: relationships of %s (-want +got):\n%s", tc.v.User, tc.id, diff)
		}
	}

	// New since the last visit: only what the viewer may see.
	for _, v := range []mosaic.Viewer{w.A, w.C} {
		if _, err := s.CreateSession(bg, sha256.Sum256([]byte(v.User)), v.User, "c", now.Add(time.Hour), setup()); err != nil {
			t.Fatal(err)
		}
	}
	w.Clock.Add(time.Minute)
	w.Ingest(t, w.A, Record(t, sdo("campaign", 20, hoursAgo(0)), cell), Record(t, sdo("campaign", 21, hoursAgo(0)), own))
	for _, tc := range []struct {
		v    mosaic.Viewer
		want int64
	}{{w.A, 2}, {w.C, 1}} {
		ws, err := s.CreateSession(bg, sha256.Sum256([]byte(tc.v.User+"2")), tc.v.User, "c", now.Add(time.Hour), setup())
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Picture(bg, tc.v, w.Clock.Now(), ws.SinceSeq)
		if err != nil {
			t.Fatal(err)
		}
		if p.New != tc.want || p.NewCapped {
			t.Errorf("%s: new = %d (capped %v), want %d", tc.v.User, p.New, p.NewCapped, tc.want)
		}
	}
}

func testThreatLevels(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	set := func(v mosaic.Viewer, sector string, level mosaic.ThreatLevel, reason string) error {
		return s.SetThreatLevel(bg, v, sector, level, reason, mosaic.NewAuditEntry(v, w.Clock.Now(), "threat-levels.set"))
	}
	wantCode(t, set(w.Stakeholder, "healthcare", mosaic.ThreatHigh, "because"), mosaic.CodeForbidden)
	wantCode(t, set(w.Granted, "healthcare", mosaic.ThreatHigh, "because"), mosaic.CodeForbidden)
	wantCode(t, set(w.A, "pirates", mosaic.ThreatHigh, "because"), mosaic.CodeInvalid)
	wantCode(t, set(w.A, "healthcare", "dire", "because"), mosaic.CodeInvalid)
	wantCode(t, set(w.A, "healthcare", mosaic.ThreatHigh, "  "), mosaic.CodeInvalid)
	if err := set(w.A, "healthcare", mosaic.ThreatSubstantial, "Ransomware campaign against hospitals."); err != nil {
		t.Fatal(err)
	}
	w.Clock.Add(time.Hour)
	if err := set(w.B, "healthcare", mosaic.ThreatHigh, "Two hospitals hit this week."); err != nil {
		t.Fatal(err)
	}
	if err := set(w.B, "energy", mosaic.ThreatModerate, "Scanning of grid operators."); err != nil {
		t.Fatal(err)
	}
	levels := func(v mosaic.Viewer, sector string) []string {
		t.Helper()
		got, err := s.ThreatLevels(bg, v, sector, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range got {
			out = append(out, fmt.Sprintf("%s %s %s@%s %s", l.Sector, l.Level, l.User, l.Org, l.Set.Format(time.RFC3339)))
		}
		return out
	}
	want := []string{"energy moderate pb-analyst@pb 2026-11-01T10:00:00Z", "healthcare high pb-analyst@pb 2026-11-01T10:00:00Z"}
	if diff := cmp.Diff(want, levels(w.C, "")); diff != "" {
		t.Errorf("current levels (-want +got):\n%s", diff)
	}
	want = []string{"healthcare high pb-analyst@pb 2026-11-01T10:00:00Z", "healthcare substantial pa-analyst@pa 2026-11-01T09:00:00Z"}
	if diff := cmp.Diff(want, levels(w.Granted, "healthcare")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got := levels(w.Stakeholder, ""); len(got) != 0 {
		t.Errorf("a stakeholder sees levels %v", got)
	}

	// The current levels are the ones kept as they are set, not a look
	// over the whole history: a history row written around SetThreatLevel
	// is in the sector's history but does not become current.
	if db, ok := s.(interface{ DB() *sql.DB }); ok {
		if _, err := db.DB().ExecContext(bg, `INSERT INTO threat_levels (sector, level, reason, user_id, org, set_at)
			SELECT sector, 'critical', 'not through the store', user_id, org, set_at FROM threat_levels WHERE sector = 'energy'`); err != nil {
			t.Fatal(err)
		}
		want = []string{"energy moderate pb-analyst@pb 2026-11-01T10:00:00Z", "healthcare high pb-analyst@pb 2026-11-01T10:00:00Z"}
		if diff := cmp.Diff(want, levels(w.C, "")); diff != "" {
			t.Errorf("current levels read from the history (-want +got):\n%s", diff)
		}
		if got := levels(w.C, "energy"); len(got) != 2 {
			t.Errorf("energy's history %v, want two settings", got)
		}
	}
}
