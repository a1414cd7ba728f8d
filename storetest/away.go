package storetest

import (
	"slices"
	"testing"
	"time"

	"mosaic"
)

// testLiaisonAway checks a liaison's away mark, the listing of an
// organisation's liaisons the deputy rule reads, and a consent decided by
// a deputy.
func testLiaisonAway(t *testing.T, open Opener) {
	w := newReleaseWorld(t, open)
	s := w.Store
	liaisons := func(org string) []mosaic.LiaisonAway {
		t.Helper()
		l, err := s.Liaisons(bg, org)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := liaisons("pa"); len(l) != 1 || l[0].User != "pa-liaison" || !l[0].AwayUntil.IsZero() {
		t.Fatalf("pa's liaisons: %+v", l)
	}
	if l := liaisons("pb"); len(l) != 0 {
		t.Errorf("pb has no liaison, got %+v", l)
	}
	_, err := s.Liaisons(bg, "nowhere")
	wantCode(t, err, mosaic.CodeNotFound)

	before, err := s.AuditEntries(bg, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	until := Epoch.Add(5 * 24 * time.Hour)
	away := mosaic.AuditEntry{Time: Epoch, User: "pa-liaison", Org: "pa", Action: "me.away", Decision: mosaic.Allowed}
	if err := s.SetAway(bg, "pa-liaison", until, away); err != nil {
		t.Fatal(err)
	}
	if l := liaisons("pa"); len(l) != 1 || !l[0].AwayUntil.Equal(until) || !l[0].Away(Epoch) || l[0].Away(until) {
		t.Errorf("pa's liaison after marking away: %+v", l)
	}
	// A second mark replaces the first.
	if err := s.SetAway(bg, "pa-liaison", until.Add(time.Hour), away); err != nil {
		t.Fatal(err)
	}
	if l := liaisons("pa"); len(l) != 1 || !l[0].AwayUntil.Equal(until.Add(time.Hour)) {
		t.Errorf("pa's liaison after marking away again: %+v", l)
	}
	// Only an enabled liaison of a partner is away.
	wantCode(t, s.SetAway(bg, "pa-analyst", until, away), mosaic.CodeInvalid)
	wantCode(t, s.SetAway(bg, "pc-admin", until, away), mosaic.CodeInvalid)
	wantCode(t, s.SetAway(bg, "sh-user", until, away), mosaic.CodeInvalid)
	wantCode(t, s.SetAway(bg, "nobody", until, away), mosaic.CodeNotFound)
	after, err := s.AuditEntries(bg, before[len(before)-1].Seq, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(after); n != 2 || after[0].Action != "me.away" || after[1].User != "pa-liaison" {
		t.Errorf("audit of two marks: %+v", after)
	}

	if err := s.SetAway(bg, "pa-liaison", time.Time{}, away); err != nil {
		t.Fatal(err)
	}
	if l := liaisons("pa"); len(l) != 1 || !l[0].AwayUntil.IsZero() {
		t.Errorf("pa's liaison back: %+v", l)
	}

	// A disabled liaison is not one the organisation has.
	second := mosaic.User{Name: "pa-liaison2", Org: "pa", Role: mosaic.Liaison}
	if err := s.CreateUser(bg, &second, "", setup()); err != nil {
		t.Fatal(err)
	}
	if l := liaisons("pa"); len(l) != 2 || l[1].User != "pa-liaison2" {
		t.Errorf("pa's two liaisons: %+v", l)
	}
	second.Disabled = true
	if err := s.UpdateUser(bg, second, nil, setup()); err != nil {
		t.Fatal(err)
	}
	if l := liaisons("pa"); len(l) != 1 || l[0].User != "pa-liaison" {
		t.Errorf("pa's liaisons with one disabled: %+v", l)
	}
	wantCode(t, s.SetAway(bg, "pa-liaison2", until, away), mosaic.CodeInvalid)

	// A deputy decides only while the organisation has a liaison and every
	// one is away, which the store checks in the transaction that records
	// the decision.
	r := w.draft(t, "deputised", mosaic.ReleaseAwaitingConsent, []string{"org:sh"}, []mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pb")}, "pb")
	byDeputy := mosaic.ReleaseConsent{Org: "pb", State: mosaic.ConsentApproved, Revision: 1, DecidedBy: "pb-analyst", Deputy: true}
	wantCode(t, s.Decide(bg, pbDraft, r.ID, byDeputy, releaseAudit("pb-analyst")), mosaic.CodeForbidden)
	pbLiaison := mosaic.User{Name: "pb-liaison", Org: "pb", Role: mosaic.Liaison}
	if err := s.CreateUser(bg, &pbLiaison, "", setup()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Decide(bg, pbDraft, r.ID, byDeputy, releaseAudit("pb-analyst")), mosaic.CodeForbidden)
	w.ok(t, s.SetAway(bg, "pb-liaison", until, away))

	// A consent decided by a deputy says so, until a revision asks again.
	w.ok(t, s.Decide(bg, pbDraft, r.ID, byDeputy, releaseAudit("pb-analyst")))
	for _, sc := range []mosaic.ReleaseScope{paDraft, pbDraft} {
		got, err := s.Release(bg, sc, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(got.Consents, func(c mosaic.ReleaseConsent) bool { return c.Org == "pb" })
		if i < 0 || got.Consents[i].DecidedBy != "pb-analyst" || !got.Consents[i].Deputy {
			t.Errorf("%s reads pb's consent %+v", sc.DraftOrg, got.Consents)
		}
	}
	// A deputy of one organisation never decides for another: the store
	// refuses a decider who is not of the organisation.
	wantCode(t, s.Decide(bg, pbDraft, r.ID, mosaic.ReleaseConsent{Org: "pb", State: mosaic.ConsentApproved, Revision: 1, DecidedBy: "pa-analyst", Deputy: true}, releaseAudit("pa-analyst")), mosaic.CodeInvalid)
	rev := r
	w.ok(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")))
	if got, err := s.Release(bg, paDraft, r.ID); err != nil || len(got.Consents) != 1 || got.Consents[0].Deputy || got.Consents[0].DecidedBy != "" {
		t.Errorf("after a revision: %+v, %v", got.Consents, err)
	}
	w.ok(t, s.Decide(bg, pbDraft, r.ID, mosaic.ReleaseConsent{Org: "pb", State: mosaic.ConsentApproved, Revision: 2, DecidedBy: "pb-analyst"}, releaseAudit("pb-analyst")))
	if got, err := s.Release(bg, paDraft, r.ID); err != nil || got.Consents[0].Deputy {
		t.Errorf("decided by a liaison: %+v, %v", got.Consents, err)
	}
}
