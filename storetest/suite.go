package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/policy"
)

var bg = context.Background()

func setup() mosaic.AuditEntry {
	return mosaic.AuditEntry{Time: Epoch, User: "test", Action: "setup", Decision: mosaic.Allowed}
}

func wantCode(t testing.TB, err error, code mosaic.Code) {
	t.Helper()
	if got := mosaic.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func testDirectory(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	wantCode(t, s.CreateOrg(bg, &mosaic.Organisation{Name: "pa", FullName: "again", Kind: mosaic.Partner, LegalRegime: "wpg"}, setup()), mosaic.CodeConflict)
	for _, o := range []mosaic.Organisation{
		{Name: "Bad Name", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "nolaw", Kind: mosaic.Partner},
		{Name: "nosector", Kind: mosaic.Stakeholder},
		{Name: "badsector", Kind: mosaic.Stakeholder, Sectors: []string{"pirates"}},
		{Name: "kindless", Kind: "club"},
	} {
		wantCode(t, s.CreateOrg(bg, &o, setup()), mosaic.CodeInvalid)
	}
	// Roles must fit the organisation.
	wantCode(t, s.CreateUser(bg, &mosaic.User{Name: "sh-analyst", Org: "sh", Role: mosaic.Analyst}, "", setup()), mosaic.CodeInvalid)
	wantCode(t, s.CreateUser(bg, &mosaic.User{Name: "xy", Org: "nowhere", Role: mosaic.Analyst}, "", setup()), mosaic.CodeNotFound)
	wantCode(t, s.CreateUser(bg, &mosaic.User{Name: "pa-analyst", Org: "pa", Role: mosaic.Analyst}, "", setup()), mosaic.CodeConflict)

	o, err := s.Org(bg, "sh")
	if err != nil {
		t.Fatal(err)
	}
	if o.Kind != mosaic.Stakeholder || !slices.Equal(o.Sectors, []string{"healthcare"}) {
		t.Errorf("Org(sh) = %+v", o)
	}
	o.Contact = "desk@sh.example"
	if err := s.UpdateOrg(bg, o, setup()); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Org(bg, "sh"); o.Contact != "desk@sh.example" {
		t.Errorf("contact not updated: %+v", o)
	}
	pa, _ := s.Org(bg, "pa")
	pa.DefaultAudience = mosaic.Audience{Cell: true}
	if err := s.UpdateOrg(bg, pa, setup()); err != nil {
		t.Fatal(err)
	}
	if pa, _ := s.Org(bg, "pa"); !pa.DefaultAudience.Cell {
		t.Errorf("default audience not updated: %+v", pa)
	}
	// A default audience must be one the organisation can use.
	pa.DefaultAudience = mosaic.Audience{Compartments: []string{"other"}}
	wantCode(t, s.UpdateOrg(bg, pa, setup()), mosaic.CodeInvalid)
	pa.DefaultAudience = mosaic.Audience{Compartments: []string{"ops"}}
	if err := s.UpdateOrg(bg, pa, setup()); err != nil {
		t.Errorf("default audience of a compartment pa is in: %v", err)
	}
	_, err = s.Org(bg, "nowhere")
	wantCode(t, err, mosaic.CodeNotFound)

	users, err := s.Users(bg, "pa")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Name)
	}
	if diff := cmp.Diff([]string{"pa-analyst", "pa-liaison"}, names); diff != "" {
		t.Errorf("Users(pa) (-want +got):\n%s", diff)
	}

	// Compartments: only partner staff who read content may be members.
	wantCode(t, s.AddMember(bg, "ops", "sh", "", setup()), mosaic.CodeInvalid)
	wantCode(t, s.AddMember(bg, "ops", "", "sh-user", setup()), mosaic.CodeInvalid)
	wantCode(t, s.AddMember(bg, "ops", "", "pc-admin", setup()), mosaic.CodeInvalid)
	wantCode(t, s.AddMember(bg, "ops", "pa", "", setup()), mosaic.CodeConflict)
	wantCode(t, s.AddMember(bg, "nope", "pa", "", setup()), mosaic.CodeNotFound)
	c, err := s.Compartment(bg, "ops")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Orgs, []string{"pa"}) || !slices.Equal(c.Users, []string{"pb-analyst"}) {
		t.Errorf("ops members = %v %v", c.Orgs, c.Users)
	}
	for _, tc := range []struct {
		v    mosaic.Viewer
		want []string
	}{{w.A, []string{"ops"}}, {w.ALiaison, []string{"ops"}}, {w.B, []string{"ops", "other"}}, {w.C, []string{"other"}}, {w.Stakeholder, nil}} {
		got, err := s.Memberships(bg, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Memberships(%s) = %v, want %v", tc.v.User, got, tc.want)
		}
	}
	if err := s.RemoveMember(bg, "ops", "", "pb-analyst", setup()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.RemoveMember(bg, "ops", "", "pb-analyst", setup()), mosaic.CodeNotFound)
	if got, _ := s.Memberships(bg, w.B); !slices.Equal(got, []string{"other"}) {
		t.Errorf("after removal pb-analyst is still in %v", got)
	}

	// Passwords.
	if err := s.SetPassword(bg, "pa-analyst", "hash", setup()); err != nil {
		t.Fatal(err)
	}
	if h, err := s.PasswordHash(bg, "pa-analyst"); err != nil || h != "hash" {
		t.Errorf("PasswordHash = %q, %v", h, err)
	}
	wantCode(t, s.SetPassword(bg, "ghost", "hash", setup()), mosaic.CodeNotFound)
}

func testTokens(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	h := func(b byte) [32]byte { return [32]byte{b, 1, 2, 3} }
	tok, err := s.CreateToken(bg, "pa-analyst", h(1), "ci", w.Clock.Now().Add(time.Hour), false, setup())
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Authenticate(bg, h(1), w.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if v != w.A {
		t.Errorf("Authenticate = %+v, want %+v", v, w.A)
	}
	_, err = s.Authenticate(bg, h(2), w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	_, err = s.Authenticate(bg, h(1), w.Clock.Now().Add(time.Hour))
	wantCode(t, err, mosaic.CodeUnauth)
	_, err = s.CreateToken(bg, "pa-analyst", h(3), "", w.Clock.Now().Add(-time.Second), false, setup())
	wantCode(t, err, mosaic.CodeInvalid)
	_, err = s.CreateToken(bg, "ghost", h(3), "", w.Clock.Now().Add(time.Hour), false, setup())
	wantCode(t, err, mosaic.CodeNotFound)
	// Every user may make tokens: a label cannot be made to fill the store.
	_, err = s.CreateToken(bg, "pa-analyst", h(3), strings.Repeat("x", mosaic.MaxTokenLabel+1), w.Clock.Now().Add(time.Hour), false, setup())
	wantCode(t, err, mosaic.CodeInvalid)
	_, err = s.CreateToken(bg, "pa-analyst", h(3), "\xff", w.Clock.Now().Add(time.Hour), false, setup())
	wantCode(t, err, mosaic.CodeInvalid)

	if err := s.RevokeToken(bg, tok.ID, setup()); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(bg, h(1), w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	wantCode(t, s.RevokeToken(bg, tok.ID, setup()), mosaic.CodeNotFound)
	ts, err := s.Tokens(bg, "pa-analyst")
	if err != nil || len(ts) != 1 || ts[0].Revoked == nil || ts[0].Label != "ci" {
		t.Errorf("Tokens = %+v, %v", ts, err)
	}

	// A disabled user's tokens stop working.
	if _, err := s.CreateToken(bg, "pb-analyst", h(4), "", w.Clock.Now().Add(time.Hour), false, setup()); err != nil {
		t.Fatal(err)
	}
	u, _ := s.User(bg, "pb-analyst")
	u.Disabled = true
	newHash := "new-hash"
	if err := s.UpdateUser(bg, u, &newHash, setup()); err != nil {
		t.Fatal(err)
	}
	_, err = s.Authenticate(bg, h(4), w.Clock.Now())
	wantCode(t, err, mosaic.CodeUnauth)
	if got, _ := s.PasswordHash(bg, "pb-analyst"); got != newHash {
		t.Errorf("password hash %q after UpdateUser, want %q", got, newHash)
	}
}

func env(aud mosaic.Audience) mosaic.Envelope {
	return mosaic.Envelope{Audience: aud, ORCON: true}
}

var (
	originator = mosaic.Audience{}
	cell       = mosaic.Audience{Cell: true}
	ops        = mosaic.Audience{Compartments: []string{"ops"}}
)

func testIngest(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	r1 := Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "one", "[ipv4-addr:value = '198.51.100.1']"), env(cell))
	r2 := Record(t, Indicator(2, "2026-10-01T00:00:00.000Z", "two", "[ipv4-addr:value = '198.51.100.2']"), env(cell))
	if got, want := w.Ingest(t, w.A, r1, r2), (mosaic.IngestResult{New: 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("first ingest = %+v, want %+v", got, want)
	}
	// Identical again: a no-op, also when the default envelope differs.
	r1o := r1
	r1o.Envelope = env(originator)
	if got, want := w.Ingest(t, w.A, r1o, r2), (mosaic.IngestResult{Unchanged: 2}); !reflect.DeepEqual(got, want) {
		t.Errorf("resubmission = %+v, want %+v", got, want)
	}
	// An explicitly different envelope under the same key conflicts.
	r1x := r1o
	r1x.Explicit.Audience = true
	_, err := s.Ingest(bg, w.A, []mosaic.Record{r1x}, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest"))
	wantCode(t, err, mosaic.CodeConflict)
	// Different content under the same key conflicts, and nothing of the
	// batch is stored.
	changed := Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "one, changed", "[ipv4-addr:value = '198.51.100.1']"), env(cell))
	fresh := Record(t, Indicator(3, "2026-10-01T00:00:00.000Z", "three", "[ipv4-addr:value = '198.51.100.3']"), env(cell))
	_, err = s.Ingest(bg, w.A, []mosaic.Record{fresh, changed}, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest"))
	wantCode(t, err, mosaic.CodeConflict)
	if e := err.(*mosaic.Error); len(e.Problems) != 1 || e.Problems[0].Object != changed.ID {
		t.Errorf("conflict problems = %+v, want one naming %s", e.Problems, changed.ID)
	}
	_, err = s.Object(bg, w.A, fresh.ID, false)
	wantCode(t, err, mosaic.CodeNotFound)
	// Another organisation may hold the same id with other content: records
	// are per originator, and nothing about a's records shows in b's answer.
	if got, want := w.Ingest(t, w.B, changed), (mosaic.IngestResult{New: 1}); !reflect.DeepEqual(got, want) {
		t.Errorf("other originator = %+v, want %+v", got, want)
	}
	// Policy at the door.
	_, err = s.Ingest(bg, w.Stakeholder, []mosaic.Record{fresh}, mosaic.NewAuditEntry(w.Stakeholder, Epoch, "objects.ingest"))
	wantCode(t, err, mosaic.CodeForbidden)
	_, err = s.Ingest(bg, w.Admin, []mosaic.Record{fresh}, mosaic.NewAuditEntry(w.Admin, Epoch, "objects.ingest"))
	wantCode(t, err, mosaic.CodeForbidden)
	red := Record(t, Indicator(4, "2026-10-01T00:00:00.000Z", "red", "[ipv4-addr:value = '198.51.100.4']"), env(cell))
	red.Envelope.TLP = mosaic.TLPRed
	_, err = s.Ingest(bg, w.A, []mosaic.Record{red}, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest"))
	wantCode(t, err, mosaic.CodeInvalid)
	// Sharing into a compartment one is not in reads exactly like sharing
	// into one that does not exist.
	inOther := Record(t, Indicator(5, "2026-10-01T00:00:00.000Z", "x", "[ipv4-addr:value = '198.51.100.5']"), env(mosaic.Audience{Compartments: []string{"other"}}))
	inNone := Record(t, Indicator(5, "2026-10-01T00:00:00.000Z", "x", "[ipv4-addr:value = '198.51.100.5']"), env(mosaic.Audience{Compartments: []string{"zz-nonexistent"}}))
	_, err1 := s.Ingest(bg, w.A, []mosaic.Record{inOther}, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest"))
	_, err2 := s.Ingest(bg, w.A, []mosaic.Record{inNone}, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest"))
	wantCode(t, err1, mosaic.CodeInvalid)
	wantCode(t, err2, mosaic.CodeInvalid)
	if m1, m2 := mosaic.ErrorMessage(err1), mosaic.ErrorMessage(err2); m1 != fmt.Sprintf("audience compartment:%s: no such compartment among yours", "other") || m2 != fmt.Sprintf("audience compartment:%s: no such compartment among yours", "zz-nonexistent") {
		t.Errorf("messages differ beyond the name: %q, %q", m1, m2)
	}
	// Any JSON string is content, NUL characters included (PostgreSQL's
	// text columns refuse them; objects are stored as bytes).
	nulJSON := strings.NewReplacer(`"name":"nul"`, `"name":"nul\u0000byte","description":"x\u0000y"`, `a.example/`, `a.example/\u0000`).
		Replace(Indicator(6, "2026-10-01T00:00:00.000Z", "nul", "[url:value = 'http://a.example/']"))
	nul := Record(t, nulJSON, env(cell))
	w.Ingest(t, w.A, nul)
	if got, err := s.Object(bg, w.C, nul.ID, false); err != nil || string(got[0].Object) != string(nul.Object) {
		t.Errorf("object with NUL: %v %v", err, got)
	}
	// A large object with many observables is stored alike on both stores
	// (PostgreSQL's tsvector holds at most 1 MB).
	var many strings.Builder
	for i := range 60000 {
		fmt.Fprintf(&many, "10.%d.%d.%d ", i>>16, (i>>8)&255, i&255)
	}
	big := Record(t, strings.Replace(Indicator(7, "2026-10-01T00:00:00.000Z", "big", "[ipv4-addr:value = '10.9.9.9']"), `"name":"big"`, `"name":"big","description":"`+many.String()+`"`, 1), env(cell))
	w.Ingest(t, w.A, big)
	if got := w.IDs(t, w.C, mosaic.ObjectFilter{Query: "10.0.0.5"}, 10); len(got) != 1 {
		t.Errorf("search in a large object: %v", got)
	}
	// The stored object is the canonical JSON, byte for byte.
	got, err := s.Object(bg, w.A, r1.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].Object) != string(r1.Object) {
		t.Errorf("stored object differs:\n got %s\nwant %s", got[0].Object, r1.Object)
	}
	e := got[0].Envelope
	if e.Originator != "pa" || !e.Audience.Cell || e.TLP != mosaic.TLPAmber || !e.ORCON || e.LegalBasis != "wbni" || e.ReviewBy != "2027-11-01" || !e.Added.Equal(Epoch) {
		t.Errorf("envelope = %+v", e)
	}
}

func testVersions(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	v1 := Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "v1", "[domain-name:value = 'a.example']"), env(cell))
	v2 := Record(t, Indicator(1, "2026-10-02T00:00:00.500Z", "v2", "[domain-name:value = 'a.example']"), env(cell))
	v3 := Record(t, Indicator(1, "2026-10-03T00:00:00.000Z", "v3", "[domain-name:value = 'a.example']"), env(originator))
	if got, want := w.Ingest(t, w.A, v2, v1), (mosaic.IngestResult{New: 1, NewVersions: 1}); !reflect.DeepEqual(got, want) {
		t.Errorf("versions out of order = %+v, want %+v", got, want)
	}
	// The same instant written with other fraction digits is the same key.
	same := Record(t, Indicator(1, "2026-10-02T00:00:00.500000Z", "v2", "[domain-name:value = 'a.example']"), env(cell))
	if same.ModifiedKey != v2.ModifiedKey {
		t.Fatalf("keys of equal instants differ: %q %q", same.ModifiedKey, v2.ModifiedKey)
	}
	w.Ingest(t, w.A, v3)
	name := func(v mosaic.Viewer, all bool) []string {
		objs, err := s.Object(bg, v, v1.ID, all)
		if err != nil {
			t.Fatalf("Object(%s): %v", v.User, err)
		}
		var out []string
		for _, o := range objs {
			out = append(out, nameOf(o.Object))
		}
		return out
	}
	// Its originator sees v3 as the newest; the cell sees v2, the newest it
	// may see.
	if diff := cmp.Diff([]string{"v3"}, name(w.ALiaison, false)); diff != "" {
		t.Errorf("originator latest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v3", "v2", "v1"}, name(w.A, true)); diff != "" {
		t.Errorf("originator all (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v2"}, name(w.C, false)); diff != "" {
		t.Errorf("cell latest (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"v2", "v1"}, name(w.C, true)); diff != "" {
		t.Errorf("cell all (-want +got):\n%s", diff)
	}
	// Lists show one entry per (id, originator): the newest visible.
	if got := w.IDs(t, w.C, mosaic.ObjectFilter{}, 10); len(got) != 1 {
		t.Errorf("cell list = %v, want one entry", got)
	}
	page, _ := s.Objects(bg, w.C, mosaic.ObjectFilter{Limit: 10})
	if len(page.Objects) != 1 || nameOf(page.Objects[0].Object) != "v2" {
		t.Errorf("cell list shows %v", page.Objects)
	}
	page, _ = s.Objects(bg, w.A, mosaic.ObjectFilter{Limit: 10})
	if len(page.Objects) != 1 || nameOf(page.Objects[0].Object) != "v3" {
		t.Errorf("originator list shows %v", page.Objects)
	}
	// The same id from two originators: two entries, each with its envelope;
	// the get answer orders equal versions by originator.
	other := Record(t, Indicator(1, "2026-10-03T00:00:00.000Z", "v3 by b", "[domain-name:value = 'a.example']"), env(cell))
	w.Ingest(t, w.B, other)
	if got := w.IDs(t, w.A, mosaic.ObjectFilter{}, 10); len(got) != 2 {
		t.Errorf("a's list = %v, want two contributions", got)
	}
	objs, _ := s.Object(bg, w.A, v1.ID, true)
	var origs []string
	for _, o := range objs {
		origs = append(origs, o.Envelope.Originator+":"+nameOf(o.Object))
	}
	if diff := cmp.Diff([]string{"pa:v3", "pb:v3 by b", "pa:v2", "pa:v1"}, origs); diff != "" {
		t.Errorf("contributions (-want +got):\n%s", diff)
	}
}

func testVisibility(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	recs := map[string]mosaic.Record{
		"own":   Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "own", "[ipv4-addr:value = '192.0.2.1']"), env(originator)),
		"cell":  Record(t, Indicator(2, "2026-10-01T00:00:00.000Z", "cell", "[ipv4-addr:value = '192.0.2.2']"), env(cell)),
		"ops":   Record(t, Indicator(3, "2026-10-01T00:00:00.000Z", "ops", "[ipv4-addr:value = '192.0.2.3']"), env(ops)),
		"multi": Record(t, Indicator(4, "2026-10-01T00:00:00.000Z", "multi", "[ipv4-addr:value = '192.0.2.4']"), env(mosaic.Audience{Compartments: []string{"ops", "other"}})),
	}
	w.Ingest(t, w.A, recs["own"], recs["cell"], recs["ops"])
	w.Ingest(t, w.B, recs["multi"])
	want := map[string][]string{
		w.A.User:           {"own", "cell", "ops", "multi"},
		w.ALiaison.User:    {"own", "cell", "ops", "multi"},
		w.B.User:           {"cell", "ops", "multi"},
		w.C.User:           {"cell", "multi"},
		w.Stakeholder.User: nil,
		w.Auditor.User:     nil,
		w.Granted.User:     {"cell"},
		w.Admin.User:       nil,
	}
	for _, v := range []mosaic.Viewer{w.A, w.ALiaison, w.B, w.C, w.Stakeholder, w.Auditor, w.Granted, w.Admin} {
		var got []string
		for _, n := range []string{"own", "cell", "ops", "multi"} {
			_, err := s.Object(bg, v, recs[n].ID, false)
			switch mosaic.ErrorCode(err) {
			case "":
				got = append(got, n)
			case mosaic.CodeNotFound:
				if want := "object " + recs[n].ID + " not found"; mosaic.ErrorMessage(err) != want {
					t.Errorf("hidden object message %q, want %q", mosaic.ErrorMessage(err), want)
				}
			default:
				t.Fatalf("Object: %v", err)
			}
		}
		if diff := cmp.Diff(want[v.User], got); diff != "" {
			t.Errorf("%s sees (-want +got):\n%s", v.User, diff)
		}
		// The policy's explanation of one decision agrees with its SQL.
		memberships, err := s.Memberships(bg, v)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"own", "cell", "ops", "multi"} {
			e := recs[n].Envelope
			e.Originator = map[string]string{"multi": "pb"}[n]
			if e.Originator == "" {
				e.Originator = "pa"
			}
			if d := policy.Explain(v, e, memberships); d.Allowed != slices.Contains(got, n) {
				t.Errorf("%s, %s: Explain says %v (%s), the store %v", v.User, n, d.Allowed, d.Reason, slices.Contains(got, n))
			}
		}
		page, err := s.Objects(bg, v, mosaic.ObjectFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Objects) != len(want[v.User]) {
			t.Errorf("%s lists %d objects, want %d", v.User, len(page.Objects), len(want[v.User]))
		}
		st, err := s.Stats(bg, v)
		if err != nil {
			t.Fatal(err)
		}
		if st.Total != int64(len(want[v.User])) {
			t.Errorf("%s stats total %d, want %d", v.User, st.Total, len(want[v.User]))
		}
	}
	// The envelope names only the compartments the viewer is in, unless the
	// viewer's organisation is the originator.
	for _, tc := range []struct {
		v    mosaic.Viewer
		want []string
	}{{w.A, []string{"ops"}}, {w.C, []string{"other"}}, {w.B, []string{"ops", "other"}}} {
		objs, err := s.Object(bg, tc.v, recs["multi"].ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := objs[0].Envelope.Audience.Compartments; !slices.Equal(got, tc.want) {
			t.Errorf("%s sees compartments %v, want %v", tc.v.User, got, tc.want)
		}
	}
	// Membership is read at query time: leaving a compartment hides it.
	if err := s.RemoveMember(bg, "ops", "", "pb-analyst", setup()); err != nil {
		t.Fatal(err)
	}
	_, err := s.Object(bg, w.B, recs["ops"].ID, false)
	wantCode(t, err, mosaic.CodeNotFound)
}

func testFilters(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	mal := `{"type":"malware","spec_version":"2.1","id":"malware--` + UUID(9) + `","created":"2026-09-01T00:00:00.000Z","modified":"2026-09-05T00:00:00.000Z","name":"Blackfin","is_family":true,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}`
	ip := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + UUID(10) + `","value":"203.0.113.9"}`
	w.Ingest(t, w.A,
		Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "i1", "[ipv4-addr:value = '192.0.2.1']"), env(cell)),
		Record(t, Indicator(2, "2026-10-05T00:00:00.000Z", "i2", "[ipv4-addr:value = '192.0.2.2']"), env(ops)),
		Record(t, mal, env(originator)),
		Record(t, ip, env(cell)),
	)
	w.Ingest(t, w.B, Record(t, Indicator(3, "2026-10-03T00:00:00.000Z", "i3", "[ipv4-addr:value = '192.0.2.3']"), env(cell)))
	id := func(n int, typ string) string { return typ + "--" + UUID(n) }
	for _, tc := range []struct {
		name string
		v    mosaic.Viewer
		f    mosaic.ObjectFilter
		want []string
	}{
		{"all", w.A, mosaic.ObjectFilter{}, []string{id(3, "indicator") + "@pb", id(10, "ipv4-addr") + "@pa", id(9, "malware") + "@pa", id(2, "indicator") + "@pa", id(1, "indicator") + "@pa"}},
		{"type", w.A, mosaic.ObjectFilter{Types: []string{"malware", "ipv4-addr"}}, []string{id(10, "ipv4-addr") + "@pa", id(9, "malware") + "@pa"}},
		{"originator", w.A, mosaic.ObjectFilter{Originators: []string{"pb"}}, []string{id(3, "indicator") + "@pb"}},
		{"tlp", w.A, mosaic.ObjectFilter{TLPs: []mosaic.TLP{mosaic.TLPRed}}, []string{id(9, "malware") + "@pa"}},
		{"audience cell", w.A, mosaic.ObjectFilter{Audience: "cell"}, []string{id(3, "indicator") + "@pb", id(10, "ipv4-addr") + "@pa", id(1, "indicator") + "@pa"}},
		{"audience originator", w.A, mosaic.ObjectFilter{Audience: "originator"}, []string{id(9, "malware") + "@pa"}},
		{"audience compartment", w.B, mosaic.ObjectFilter{Audience: "compartment:ops"}, []string{id(2, "indicator") + "@pa"}},
		{"compartment not mine", w.C, mosaic.ObjectFilter{Audience: "compartment:ops"}, nil},
		{"compartment unknown", w.C, mosaic.ObjectFilter{Audience: "compartment:zz-none"}, nil},
		{"modified after", w.A, mosaic.ObjectFilter{ModifiedAfter: "20261002"}, []string{id(3, "indicator") + "@pb", id(2, "indicator") + "@pa"}},
		{"modified before", w.A, mosaic.ObjectFilter{ModifiedBefore: "20261002"}, []string{id(9, "malware") + "@pa", id(1, "indicator") + "@pa"}},
		{"created before excludes SCOs", w.A, mosaic.ObjectFilter{CreatedBefore: "20261001"}, []string{id(9, "malware") + "@pa"}},
		{"created after", w.A, mosaic.ObjectFilter{CreatedAfter: "20260902"}, []string{id(3, "indicator") + "@pb", id(2, "indicator") + "@pa", id(1, "indicator") + "@pa"}},
		{"combined", w.C, mosaic.ObjectFilter{Types: []string{"indicator"}, Originators: []string{"pa", "pb"}}, []string{id(3, "indicator") + "@pb", id(1, "indicator") + "@pa"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := w.IDs(t, tc.v, tc.f, 2)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func testSearch(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	obj := func(n int, name, desc, pattern string) string {
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":%q,"description":%q,"pattern":%q,"pattern_type":"stix","valid_from":"2026-10-01T00:00:00.000Z","labels":["ransomware"]}`,
			UUID(n), name, desc, pattern)
	}
	w.Ingest(t, w.A,
		Record(t, obj(1, "Blackfin loader", "Seen at a hospital in Utrecht.", "[ipv4-addr:value = '198.51.100.7']"), env(cell)),
		Record(t, obj(2, "Blackfin C2", "Command server evil.example.com behind a CDN", "[domain-name:value = 'evil.example.com']"), env(cell)),
		Record(t, obj(3, "Phishing kit", "Mails from bank-login.test", "[url:value = 'https://bank-login.test/x']"), env(originator)),
		Record(t, obj(4, "Hash", "sample", "[file:hashes.'SHA-256' = 'AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899']"), env(cell)),
		Record(t, `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--`+UUID(5)+`","value":"198.51.100.70"}`, env(cell)),
	)
	id := func(n int) string { return "indicator--" + UUID(n) + "@pa" }
	for _, tc := range []struct {
		q    string
		v    mosaic.Viewer
		want []string
	}{
		{"blackfin", w.C, []string{id(2), id(1)}},
		{"BLACK", w.C, []string{id(2), id(1)}},
		{"blackfin utrecht", w.C, []string{id(1)}},
		{"hosp", w.C, []string{id(1)}},
		{"c2", w.C, []string{id(2)}}, // short words match whole words only
		{"c", w.C, nil},
		{"198.51.100.7", w.C, []string{id(1)}},
		{"198.51.100.70", w.C, []string{"ipv4-addr--" + UUID(5) + "@pa"}},
		{"evil.example.com", w.C, []string{id(2)}},
		{"EVIL.example.COM.", w.C, []string{id(2)}},
		{"aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899", w.C, []string{id(4)}},
		{"AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899", w.C, []string{id(4)}},
		{"ransomware", w.C, []string{id(4), id(2), id(1)}},
		{"phishing", w.C, nil},
		{"phishing", w.A, []string{id(3)}},
		{"bank-login.test", w.A, []string{id(3)}},
		{"https://BANK-LOGIN.test/x", w.A, []string{id(3)}},
		{`"blackfin" OR * NEAR(x) -- ; DROP TABLE records`, w.C, nil},
		{`blackfin"`, w.C, []string{id(2), id(1)}},
		{`*`, w.C, nil},
		{`'`, w.C, nil},
		{"nothingmatches", w.C, nil},
		{"blackfin", w.Stakeholder, nil},
	} {
		t.Run(tc.q, func(t *testing.T) {
			got := w.IDs(t, tc.v, mosaic.ObjectFilter{Query: tc.q}, 1)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func testPagination(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	var recs []mosaic.Record
	var want []string
	for i := 1; i <= 57; i++ {
		aud := cell
		if i%3 == 0 {
			aud = originator
		}
		recs = append(recs, Record(t, Indicator(i, "2026-10-01T00:00:00.000Z", fmt.Sprintf("n%d", i), fmt.Sprintf("[ipv4-addr:value = '10.0.0.%d']", i)), env(aud)))
		if i%3 != 0 {
			want = append([]string{"indicator--" + UUID(i) + "@pa"}, want...)
		}
	}
	w.Ingest(t, w.A, recs[:30]...)
	w.Ingest(t, w.A, recs[30:]...)
	for _, n := range []int{1, 7, 38, 100} {
		got := w.IDs(t, w.C, mosaic.ObjectFilter{}, n)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("page size %d (-want +got):\n%s", n, diff)
		}
	}
	// A page that ends exactly at the last object has no next cursor.
	page, err := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Limit: len(want)})
	if err != nil || page.Next != 0 || len(page.Objects) != len(want) {
		t.Errorf("exact page: next=%d len=%d err=%v", page.Next, len(page.Objects), err)
	}
	// Writes between pages neither repeat nor skip what was there before.
	first, _ := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Limit: 10})
	w.Ingest(t, w.A, Record(t, Indicator(999, "2026-10-01T00:00:00.000Z", "late", "[ipv4-addr:value = '10.0.9.9']"), env(cell)))
	rest := w.IDs(t, w.C, mosaic.ObjectFilter{Before: first.Next}, 10)
	if diff := cmp.Diff(want[10:], rest); diff != "" {
		t.Errorf("after a concurrent write (-want +got):\n%s", diff)
	}
}

func testStats(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	mk := func(n int, mod string, aud mosaic.Audience, tlp mosaic.TLP) mosaic.Record {
		r := Record(t, Indicator(n, mod, fmt.Sprintf("n%d", n), "[ipv4-addr:value = '10.0.0.1']"), env(aud))
		r.Envelope.TLP = tlp
		return r
	}
	w.Ingest(t, w.A,
		mk(1, "2026-10-01T00:00:00.000Z", cell, mosaic.TLPGreen),
		mk(1, "2026-10-02T00:00:00.000Z", cell, mosaic.TLPAmber), // new head, same audience
		mk(2, "2026-10-01T00:00:00.000Z", cell, mosaic.TLPClear),
		mk(2, "2026-10-02T00:00:00.000Z", originator, mosaic.TLPRed), // chain spans audiences
		mk(3, "2026-10-05T00:00:00.000Z", ops, mosaic.TLPAmberStrict),
		mk(3, "2026-10-03T00:00:00.000Z", ops, mosaic.TLPGreen), // older version arrives later
	)
	w.Ingest(t, w.B, mk(1, "2026-10-02T00:00:00.000Z", cell, mosaic.TLPAmber))
	for _, tc := range []struct {
		v    mosaic.Viewer
		want mosaic.Stats
	}{
		{w.A, mosaic.Stats{Total: 4, ByType: map[string]int64{"indicator": 4}, ByTLP: map[mosaic.TLP]int64{"amber": 2, "red": 1, "amber+strict": 1}, ByOriginator: map[string]int64{"pa": 3, "pb": 1}}},
		{w.B, mosaic.Stats{Total: 4, ByType: map[string]int64{"indicator": 4}, ByTLP: map[mosaic.TLP]int64{"amber": 2, "clear": 1, "amber+strict": 1}, ByOriginator: map[string]int64{"pa": 3, "pb": 1}}},
		{w.C, mosaic.Stats{Total: 3, ByType: map[string]int64{"indicator": 3}, ByTLP: map[mosaic.TLP]int64{"amber": 2, "clear": 1}, ByOriginator: map[string]int64{"pa": 2, "pb": 1}}},
		{w.Stakeholder, mosaic.Stats{ByType: map[string]int64{}, ByTLP: map[mosaic.TLP]int64{}, ByOriginator: map[string]int64{}}},
	} {
		got, err := w.Store.Stats(bg, tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Stats(%s) (-want +got):\n%s", tc.v.User, diff)
		}
		// Stats agree with the listing.
		if n := len(w.IDs(t, tc.v, mosaic.ObjectFilter{}, 100)); int64(n) != got.Total {
			t.Errorf("%s: stats total %d, list has %d", tc.v.User, got.Total, n)
		}
	}
}

func testAudit(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	before, err := s.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	r := Record(t, Indicator(1, "2026-10-01T00:00:00.000Z", "n", "[ipv4-addr:value = '10.0.0.1']"), env(cell))
	a := mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest")
	a.ObjectIDs = []string{r.ID}
	if _, err := s.Ingest(bg, w.A, []mosaic.Record{r}, a); err != nil {
		t.Fatal(err)
	}
	// A failed change leaves no audit entry of its own: it happened in the
	// transaction that was rolled back.
	bad := r
	bad.Hash[0] ^= 1
	if _, err := s.Ingest(bg, w.A, []mosaic.Record{bad}, a); err == nil {
		t.Fatal("conflicting ingest succeeded")
	}
	if err := s.AppendAudit(bg, []mosaic.AuditEntry{{Time: Epoch, User: "pa-analyst", Org: "pa", Action: "objects.get", ObjectIDs: []string{r.ID, "x--y"}, Decision: mosaic.NotFound}}); err != nil {
		t.Fatal(err)
	}
	after, err := s.AuditEntries(bg, before[len(before)-1].Seq, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range after {
		got = append(got, fmt.Sprintf("%s %s %s %v %s", e.User, e.Org, e.Action, e.ObjectIDs, e.Decision))
	}
	want := []string{
		"pa-analyst pa objects.ingest [" + r.ID + "] allow",
		"pa-analyst pa objects.get [" + r.ID + " x--y] not-found",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
	if !after[0].Time.Equal(Epoch) {
		t.Errorf("audit time %v, want %v", after[0].Time, Epoch)
	}
}

func nameOf(obj []byte) string {
	s := string(obj)
	const k = `"name":"`
	for i := 0; i+len(k) < len(s); i++ {
		if s[i:i+len(k)] == k {
			rest := s[i+len(k):]
			for j := 0; j < len(rest); j++ {
				if rest[j] == '"' {
					return rest[:j]
				}
			}
		}
	}
	return ""
}

// testConcurrent submits identical objects and new versions of the same
// chains from many goroutines at once: every submission succeeds, each
// chain ends with one newest version, and the counts agree with the list.
func testConcurrent(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Go(func() {
			for round := range 10 {
				var recs []mosaic.Record
				for n := range 20 {
					// The same objects from every goroutine, and a version of
					// its own per goroutine and round.
					recs = append(recs,
						Record(t, Indicator(n, "2026-10-01T00:00:00.000Z", "same", "[ipv4-addr:value = '10.0.0.1']"), env(cell)),
						Record(t, Indicator(n, fmt.Sprintf("2026-10-02T00:%02d:%02d.000Z", g, round), "version", "[ipv4-addr:value = '10.0.0.1']"), env(cell)))
				}
				if _, err := w.Store.Ingest(bg, w.A, recs, mosaic.NewAuditEntry(w.A, Epoch, "objects.ingest")); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent ingest: %v", err)
	}
	ids := w.IDs(t, w.C, mosaic.ObjectFilter{}, 100)
	if len(ids) != 20 {
		t.Errorf("list shows %d entries for 20 chains: %v", len(ids), ids)
	}
	page, _ := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Limit: 100})
	for _, o := range page.Objects {
		if !strings.Contains(string(o.Object), `"modified":"2026-10-02T00:07:09.000Z"`) {
			t.Errorf("not the newest version: %s", o.Object)
		}
	}
	st, err := w.Store.Stats(bg, w.C)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 20 || st.ByTLP[mosaic.TLPAmber] != 20 {
		t.Errorf("stats after concurrent ingest: %+v", st)
	}
}

// testConcurrentReads runs many more readers than a store has connections,
// with pages that leave rows unread: they must all finish.
func testConcurrentReads(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	var recs []mosaic.Record
	for n := range 50 {
		recs = append(recs, Record(t, Indicator(n, "2026-10-01T00:00:00.000Z", "reader", "[ipv4-addr:value = '10.0.0.1']"), env(cell)))
	}
	w.Ingest(t, w.A, recs...)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for g := range 32 {
			wg.Go(func() {
				v := []mosaic.Viewer{w.A, w.B, w.C}[g%3]
				for range 20 {
					if _, err := w.Store.Objects(bg, v, mosaic.ObjectFilter{Limit: 2}); err != nil {
						t.Error(err)
						return
					}
					if _, err := w.Store.Objects(bg, v, mosaic.ObjectFilter{Limit: 3, Query: "reader"}); err != nil {
						t.Error(err)
						return
					}
					if _, err := w.Store.Object(bg, v, recs[g].ID, true); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("concurrent readers did not finish: the connection pool starves")
	}
}

func testVersionFilters(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	mk := func(n int, mod string, aud mosaic.Audience) mosaic.Record {
		return Record(t, Indicator(n, mod, fmt.Sprintf("n%d %s", n, mod[5:10]), "[ipv4-addr:value = '10.0.0.1']"), env(aud))
	}
	w.Ingest(t, w.A, mk(1, "2026-10-01T00:00:00.000Z", cell), mk(2, "2026-10-01T00:00:00.000Z", cell))
	w.Ingest(t, w.A, mk(1, "2026-10-02T00:00:00.000Z", cell), mk(1, "2026-10-03T00:00:00.000Z", originator))
	w.Ingest(t, w.B, mk(1, "2026-10-02T00:00:00.000Z", cell))
	key := func(mod string) string {
		k, err := stixTimeKey(mod)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	names := func(v mosaic.Viewer, f mosaic.ObjectFilter) []string {
		f.Limit = 100
		page, err := w.Store.Objects(bg, v, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range page.Objects {
			out = append(out, nameOf(o.Object)+"@"+o.Envelope.Originator)
		}
		return out
	}
	id1 := "indicator--" + UUID(1)
	for _, tc := range []struct {
		name string
		v    mosaic.Viewer
		f    mosaic.ObjectFilter
		want []string
	}{
		{"last, newest first", w.C, mosaic.ObjectFilter{IDs: []string{id1}}, []string{"n1 10-02@pb", "n1 10-02@pa"}},
		{"last for the originator", w.A, mosaic.ObjectFilter{IDs: []string{id1}}, []string{"n1 10-02@pb", "n1 10-03@pa"}},
		{"first", w.C, mosaic.ObjectFilter{IDs: []string{id1}, Versions: []string{mosaic.VersionFirst}, Ascending: true}, []string{"n1 10-01@pa", "n1 10-02@pb"}},
		{"all, in commit order", w.C, mosaic.ObjectFilter{IDs: []string{id1}, Versions: []string{mosaic.VersionAll}, Ascending: true}, []string{"n1 10-01@pa", "n1 10-02@pa", "n1 10-02@pb"}},
		{"all for the originator", w.A, mosaic.ObjectFilter{IDs: []string{id1}, Versions: []string{mosaic.VersionAll}, Ascending: true}, []string{"n1 10-01@pa", "n1 10-02@pa", "n1 10-03@pa", "n1 10-02@pb"}},
		{"a timestamp", w.C, mosaic.ObjectFilter{IDs: []string{id1}, Versions: []string{key("2026-10-02T00:00:00Z")}, Ascending: true}, []string{"n1 10-02@pa", "n1 10-02@pb"}},
		{"first and last", w.C, mosaic.ObjectFilter{Versions: []string{mosaic.VersionFirst, mosaic.VersionLast}, Ascending: true, Originators: []string{"pa"}}, []string{"n1 10-01@pa", "n2 10-01@pa", "n1 10-02@pa"}},
		{"a hidden version is no timestamp match", w.C, mosaic.ObjectFilter{IDs: []string{id1}, Versions: []string{key("2026-10-03T00:00:00Z")}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, names(tc.v, tc.f)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// Ascending pages continue with After; AddedAfter keeps later records.
	var all []mosaic.StoredObject
	f := mosaic.ObjectFilter{Ascending: true, Versions: []string{mosaic.VersionAll}, Limit: 1}
	for {
		page, err := w.Store.Objects(bg, w.C, f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Objects...)
		if page.Next == 0 {
			break
		}
		f.After = page.Next
	}
	if len(all) != 4 {
		t.Fatalf("paged through %d records, want 4", len(all))
	}
	// Records 0 and 1 came in one batch and share their added time; the
	// others each in a batch of their own.
	for i := 1; i < len(all); i++ {
		sameBatch := i == 1
		if all[i].Seq <= all[i-1].Seq || sameBatch != all[i].Envelope.Added.Equal(all[i-1].Envelope.Added) || all[i].Envelope.Added.Before(all[i-1].Envelope.Added) {
			t.Errorf("record %d is not after record %d in commit order: %v, %v", i, i-1, all[i-1].Envelope.Added, all[i].Envelope.Added)
		}
	}
	later, err := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Ascending: true, Versions: []string{mosaic.VersionAll}, Limit: 10, AddedAfter: all[1].Envelope.Added.UnixMicro()})
	if err != nil || len(later.Objects) != 2 {
		t.Errorf("added after the second record: %d records, %v", len(later.Objects), err)
	}
}

// testCommitOrder polls for records added after the last one seen while
// two organisations write: every record is seen once, none is skipped.
func testCommitOrder(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	const batches, per = 12, 20
	var wg sync.WaitGroup
	for g, v := range []mosaic.Viewer{w.A, w.B} {
		wg.Go(func() {
			for b := range batches {
				var recs []mosaic.Record
				for i := range per {
					n := (g*batches+b)*per + i + 1
					recs = append(recs, Record(t, Indicator(n, "2026-10-01T00:00:00.000Z", "poll", "[ipv4-addr:value = '10.0.0.1']"), env(cell)))
				}
				if _, err := w.Store.Ingest(bg, v, recs, mosaic.NewAuditEntry(v, Epoch, "objects.ingest")); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	// The poller pages with the cursor while there is more, and then asks
	// for what was added after the last record it got, as a TAXII client
	// does with next and added_after. Records of one batch share their
	// added time, so added_after alone could not resume inside a batch.
	seen := map[string]int{}
	var after, last int64
	poll := func() {
		var pos int64
		for {
			page, err := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Ascending: true, AddedAfter: after, After: pos, Limit: 7})
			if err != nil {
				t.Error(err)
				return
			}
			for _, o := range page.Objects {
				seen[objectID(o.Object)]++
				if a := o.Envelope.Added.UnixMicro(); a < last {
					t.Errorf("added went back: %d after %d", a, last)
				} else {
					last = a
				}
			}
			if page.Next == 0 {
				after = last
				return
			}
			pos = page.Next
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		poll()
	}
	poll()
	if len(seen) != 2*batches*per {
		t.Errorf("the poller saw %d records of %d", len(seen), 2*batches*per)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
}

func testStatuses(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	st := mosaic.UploadStatus{ID: UUID(5), User: "pa-analyst", Created: Epoch, Total: 2, Success: 1, Failure: 1,
		Successes: []mosaic.StatusDetail{{ID: "indicator--" + UUID(1), Version: "2026-10-01T00:00:00.000Z"}},
		Failures:  []mosaic.StatusDetail{{ID: "indicator--" + UUID(2), Version: "2026-10-01T00:00:00.000Z", Message: "conflict"}}}
	if err := w.Store.PutStatus(bg, st); err != nil {
		t.Fatal(err)
	}
	got, err := w.Store.Status(bg, UUID(5), "pa-analyst")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st, got); diff != "" {
		t.Errorf("status (-put +got):\n%s", diff)
	}
	// Nobody else reads it, and to them it does not exist.
	_, err = w.Store.Status(bg, UUID(5), "pb-analyst")
	wantCode(t, err, mosaic.CodeNotFound)
}

// testAddedAfter checks "added after t" against the listing without it,
// for t at, just before and just after every record's added time, with
// records stored in batches at different times and some hidden from the
// viewer.
func testAddedAfter(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	n := 0
	for b := range 9 {
		var recs []mosaic.Record
		for i := range 1 + b%4 {
			n++
			aud := cell
			if i == 1 {
				aud = mosaic.Audience{} // the originator only
			}
			recs = append(recs, Record(t, Indicator(n, "2026-10-01T00:00:00.000Z", "added", "[ipv4-addr:value = '10.0.0.2']"), env(aud)))
		}
		w.Ingest(t, w.A, recs...)
		if b%3 != 0 {
			w.Clock.Add(time.Duration(b) * time.Second)
		}
	}
	all, err := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Ascending: true, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Objects) == 0 || len(all.Objects) == n {
		t.Fatalf("%d of %d records visible; the test needs some hidden", len(all.Objects), n)
	}
	for _, o := range all.Objects {
		at := o.Envelope.Added.UnixMicro()
		for _, after := range []int64{at - 1, at, at + 1} {
			var want []string
			for _, p := range all.Objects {
				if p.Envelope.Added.UnixMicro() > after {
					want = append(want, objectID(p.Object))
				}
			}
			page, err := w.Store.Objects(bg, w.C, mosaic.ObjectFilter{Ascending: true, AddedAfter: after, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Objects {
				got = append(got, objectID(p.Object))
			}
			if !slices.Equal(got, want) {
				t.Errorf("added after %d: got %v, want %v", after, got, want)
			}
		}
	}
}

// testVersionsBounded: reading an object reads each originator's newest
// visible version and, for all versions, at most MaxVersions more, however
// many a contributor stored.
func testVersionsBounded(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	const stored = mosaic.MaxVersions + 20
	recs := make([]mosaic.Record, stored)
	for i := range recs {
		mod := Epoch.Add(time.Duration(i) * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
		recs[i] = Record(t, Indicator(1, mod, fmt.Sprintf("v%d", i), "[domain-name:value = 'a.example']"), env(cell))
	}
	w.Ingest(t, w.A, recs...)
	// pb's own contribution, older than most of pa's, which only pb sees.
	own := Record(t, Indicator(1, Epoch.Add(time.Second/2).UTC().Format("2006-01-02T15:04:05.000Z"), "pb", "[domain-name:value = 'a.example']"), env(originator))
	w.Ingest(t, w.B, own)
	count := func(v mosaic.Viewer, all bool) (int, string, bool) {
		objs, err := s.Object(bg, v, recs[0].ID, all)
		if err != nil {
			t.Fatalf("Object(%s, %v): %v", v.User, all, err)
		}
		hasPB := false
		for _, o := range objs {
			hasPB = hasPB || nameOf(o.Object) == "pb"
		}
		return len(objs), nameOf(objs[0].Object), hasPB
	}
	newest := fmt.Sprintf("v%d", stored-1)
	if n, first, _ := count(w.A, false); n != 1 || first != newest {
		t.Errorf("pa, newest: %d versions, first %s; want 1, %s", n, first, newest)
	}
	if n, first, pb := count(w.B, false); n != 2 || first != newest || !pb {
		t.Errorf("pb, newest of each: %d versions, first %s, its own included %v; want 2, %s, true", n, first, pb, newest)
	}
	if n, first, pb := count(w.B, true); n != mosaic.MaxVersions+2 || first != newest || !pb {
		t.Errorf("pb, all: %d versions, first %s, its own included %v; want %d, %s, true", n, first, pb, mosaic.MaxVersions+2, newest)
	}
}
