package storetest

import (
	"crypto/sha256"
	"slices"
	"testing"

	"mosaic"
)

func testApprovals(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	// An approving liaison of pa, as the operator's command line makes one.
	if err := s.SetApprover(bg, w.ALiaison.User, true, setup()); err != nil {
		t.Fatal(err)
	}
	u, err := s.User(bg, w.ALiaison.User)
	if err != nil || !u.Approver {
		t.Fatalf("approver not set: %+v %v", u, err)
	}
	wantCode(t, s.SetApprover(bg, w.A.User, true, setup()), mosaic.CodeInvalid) // analysts do not approve
	wantCode(t, s.SetApprover(bg, "ghost", true, setup()), mosaic.CodeNotFound) // nobody
	if v, err := s.Authenticate(bg, sha256.Sum256([]byte("none")), w.Clock.Now()); err == nil {
		t.Fatalf("Authenticate without a token: %+v", v)
	}

	ask := func(r mosaic.ChangeRequest) mosaic.ChangeRequest {
		t.Helper()
		r.RequestedBy = w.Admin.User
		if err := s.RequestChange(bg, &r, setup()); err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 || r.Status != mosaic.RequestPending || !r.Expires.After(r.Requested) {
			t.Fatalf("stored request %+v", r)
		}
		return r
	}
	code := sha256.Sum256([]byte("one-time"))
	newUser := ask(mosaic.ChangeRequest{Kind: mosaic.ChangeUserCreate, Org: "pa", Subject: "pa-new",
		Change: mosaic.Change{User: &mosaic.User{Name: "pa-new", Org: "pa", Role: mosaic.Analyst}}, Summary: "create pa-new"})
	grant := ask(mosaic.ChangeRequest{Kind: mosaic.ChangeUserUpdate, Subject: w.Auditor.User,
		Change: mosaic.Change{User: &mosaic.User{Name: w.Auditor.User, ContentGrant: true}, Fields: []string{"content_grant"}}, Summary: "grant"})
	member := ask(mosaic.ChangeRequest{Kind: mosaic.ChangeMemberAdd, Org: "pc", Subject: "ops",
		Change: mosaic.Change{Compartment: "ops", MemberOrg: "pc"}, Summary: "pc into ops"})
	audience := ask(mosaic.ChangeRequest{Kind: mosaic.ChangeOrgUpdate, Org: "pb", Subject: "pb",
		Change: mosaic.Change{Org: &mosaic.Organisation{Name: "pb", DefaultAudience: mosaic.Audience{Cell: true}}}, Summary: "pb to the cell"})
	bad := mosaic.ChangeRequest{Kind: mosaic.ChangeMemberAdd, Org: "nowhere", RequestedBy: w.Admin.User, Summary: "x"}
	wantCode(t, s.RequestChange(bg, &bad, setup()), mosaic.CodeNotFound)

	// Who decides what: pa's approver sees pa's requests and those of any
	// partner, not pb's or pc's.
	rs, err := s.ChangeRequests(bg, mosaic.RequestFilter{DecidableBy: "pa", Pending: true, Now: w.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []int64{grant.ID, newUser.ID}) {
		t.Errorf("pa's approver sees requests %v, want %v", ids, []int64{grant.ID, newUser.ID})
	}
	if rs, _ := s.ChangeRequests(bg, mosaic.RequestFilter{RequestedBy: w.A.User}); len(rs) != 0 {
		t.Errorf("pa-analyst asked for %d requests", len(rs))
	}
	if rs, _ := s.ChangeRequests(bg, mosaic.RequestFilter{}); len(rs) != 4 {
		t.Errorf("%d requests in all, want 4", len(rs))
	}

	// Approving applies the change in the same transaction; a new user
	// gets the one-time code.
	got, coded, err := s.DecideChange(bg, newUser.ID, w.ALiaison.User, true, "", code, setup())
	if err != nil || !coded || got.Status != mosaic.RequestApproved || got.DecidedBy != w.ALiaison.User || got.Decided == nil {
		t.Fatalf("approve a new user: %+v %v %v", got, coded, err)
	}
	if u, err := s.User(bg, "pa-new"); err != nil || u.Role != mosaic.Analyst {
		t.Fatalf("approved user: %+v %v", u, err)
	}
	_, _, err = s.DecideChange(bg, newUser.ID, w.ALiaison.User, true, "", code, setup())
	wantCode(t, err, mosaic.CodeConflict)
	if _, coded, err := s.DecideChange(bg, grant.ID, w.ALiaison.User, false, "not now", code, setup()); err != nil || coded {
		t.Fatalf("refuse: %v %v", coded, err)
	}
	if u, _ := s.User(bg, w.Auditor.User); u.ContentGrant {
		t.Error("a refused grant was given")
	}
	if r, _ := s.ChangeRequest(bg, grant.ID); r.Status != mosaic.RequestRefused || r.Reason != "not now" {
		t.Errorf("refused request %+v", r)
	}
	// A new member needs the agreement of every organisation concerned,
	// worked out when it is decided: ops has pa, and a user of pb. The
	// store records each organisation's agreement once; the last makes
	// the change. (Who may agree for an organisation is the policy's.)
	got, _, err = s.DecideChange(bg, member.ID, w.ALiaison.User, true, "", code, setup())
	if err != nil || got.Status != mosaic.RequestPending || len(got.Consents) != 3 {
		t.Fatalf("pa agrees to pc joining ops: %+v %v", got, err)
	}
	if c, _ := s.Compartment(bg, "ops"); slices.Contains(c.Orgs, "pc") {
		t.Errorf("a member with one agreement of three: %+v", c)
	}
	_, _, err = s.DecideChange(bg, member.ID, w.ALiaison.User, true, "", code, setup())
	wantCode(t, err, mosaic.CodeConflict)
	for _, u := range []string{w.B.User, w.C.User} {
		if got, _, err = s.DecideChange(bg, member.ID, u, true, "", code, setup()); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := s.Compartment(bg, "ops"); got.Status != mosaic.RequestApproved || !slices.Contains(c.Orgs, "pc") {
		t.Errorf("approved member missing: %s %+v", got.Status, c)
	}
	if r, _ := s.ChangeRequest(bg, member.ID); len(r.Consents) != 3 || r.Consents[0].DecidedBy != w.ALiaison.User {
		t.Errorf("consents as stored: %+v", r.Consents)
	}
	if _, _, err := s.DecideChange(bg, audience.ID, w.ALiaison.User, true, "", code, setup()); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.Org(bg, "pb"); !o.DefaultAudience.Cell {
		t.Errorf("approved default audience missing: %+v", o)
	}
	_, err = s.ChangeRequest(bg, 9999)
	wantCode(t, err, mosaic.CodeNotFound)

	// Codes: checked without being used up, used once, and only the right
	// one, for the right user, before it expires.
	wantCode(t, s.CheckPasswordCode(bg, "pa-new", sha256.Sum256([]byte("wrong"))), mosaic.CodeUnauth)
	wantCode(t, s.CheckPasswordCode(bg, w.A.User, code), mosaic.CodeUnauth)
	wantCode(t, s.CheckPasswordCode(bg, "ghost", code), mosaic.CodeUnauth)
	if err := s.CheckPasswordCode(bg, "pa-new", code); err != nil {
		t.Fatal(err)
	}
	if err := s.RedeemPasswordCode(bg, "pa-new", code, "hash-1", setup()); err != nil {
		t.Fatal(err)
	}
	if h, _ := s.PasswordHash(bg, "pa-new"); h != "hash-1" {
		t.Errorf("password hash %q", h)
	}
	wantCode(t, s.RedeemPasswordCode(bg, "pa-new", code, "hash-2", setup()), mosaic.CodeUnauth)
	if err := s.SetPasswordCode(bg, w.Stakeholder.User, code, setup()); err != nil {
		t.Fatal(err)
	}
	w.Clock.Add(mosaic.PasswordCodeLifetime)
	wantCode(t, s.CheckPasswordCode(bg, w.Stakeholder.User, code), mosaic.CodeUnauth)

	// A request expires unanswered.
	late := ask(mosaic.ChangeRequest{Kind: mosaic.ChangeMemberAdd, Org: "pb", Subject: "other",
		Change: mosaic.Change{Compartment: "other", MemberOrg: "pb"}, Summary: "late"})
	w.Clock.Add(mosaic.RequestLifetime)
	if r, _ := s.ChangeRequest(bg, late.ID); r.Status != mosaic.RequestExpired {
		t.Errorf("an old request reads as %s", r.Status)
	}
	if rs, _ := s.ChangeRequests(bg, mosaic.RequestFilter{Pending: true, Now: w.Clock.Now()}); len(rs) != 0 {
		t.Errorf("%d pending requests after they expired", len(rs))
	}
	_, _, err = s.DecideChange(bg, late.ID, w.ALiaison.User, true, "", code, setup())
	wantCode(t, err, mosaic.CodeConflict)
}
