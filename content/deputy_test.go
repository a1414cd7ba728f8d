package content_test

import (
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
)

var awayAccess = content.Access{Action: "me.away"}

// deputyEnv is a release asking pa and pb, with pa's analyst its
// drafter; the operator named pb's analyst pb's deputy, pa's analyst pa's,
// pb's analyst under pa too (a deputy of one organisation named under
// another) and pc's admin pc's.
func deputyEnv(t *testing.T) (*releaseEnv, mosaic.Release) {
	e := newReleaseEnv(t)
	e.svc.EnableReleases(e.w.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: e.keys, FeedbackReaders: []string{"pc"},
		Deputies: map[string][]string{"pa": {"pa-analyst", "pb-analyst"}, "pb": {"pb-analyst"}, "pc": {"pc-admin"}}})
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA), pinOf(srcB)}})
	e.log.take()
	return e, r
}

func (e *releaseEnv) consentOf(t *testing.T, id, org string) mosaic.ReleaseConsent {
	t.Helper()
	v, err := e.svc.Release(bg, e.w.A, id, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Release.Consents {
		if c.Org == org {
			return c
		}
	}
	t.Fatalf("no consent of %s", org)
	return mosaic.ReleaseConsent{}
}

// refusedAudited checks that v's consent is forbidden, changes nothing
// of org's consent, and is audited as denied.
func (e *releaseEnv) refusedAudited(t *testing.T, why string, v mosaic.Viewer, r mosaic.Release, org string) {
	t.Helper()
	before := e.consentOf(t, r.ID, org)
	e.log.take()
	_, err := e.svc.Consent(bg, v, r.ID, content.Consent{Revision: r.Revision, Decision: content.DecideRefuse, Reason: "No."}, consentAccess)
	if mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("%s: %v, want forbidden", why, err)
	}
	entries := e.log.take()
	if len(entries) != 1 || entries[0].User != v.User || entries[0].Action != consentAccess.Action || entries[0].Decision != mosaic.Denied {
		t.Errorf("%s: audit %+v, want one denial of %s", why, entries, v.User)
	}
	if c := e.consentOf(t, r.ID, org); c.State != before.State || c.DecidedBy != before.DecidedBy || !c.Decided.Equal(before.Decided) {
		t.Errorf("%s: %s's consent went from %+v to %+v", why, org, before, c)
	}
}

func TestDeputyConsent(t *testing.T) {
	e, r := deputyEnv(t)
	pbAnalyst := e.w.B
	now := e.w.Clock.Now()

	// A deputy while its liaison is present.
	e.refusedAudited(t, "pb's deputy while pb's liaison is present", pbAnalyst, r, "pb")

	if w, err := e.svc.SetAway(bg, e.pbLiais, now.Add(3*24*time.Hour+1500*time.Millisecond), awayAccess); err != nil || !w.Until.Equal(now.Add(3*24*time.Hour+time.Second)) {
		t.Fatalf("pb's liaison marks itself away: %+v, %v", w, err)
	}
	if w, err := e.svc.Away(bg, e.pbLiais); err != nil || w.Until.IsZero() {
		t.Errorf("pb's liaison reads its mark: %+v, %v", w, err)
	}

	// pb's analyst is named under pa as well, and pa's liaison is away:
	// still it decides nothing of pa's, only of its own organisation.
	if _, err := e.svc.SetAway(bg, e.paLiaison, now.Add(24*time.Hour), awayAccess); err != nil {
		t.Fatal(err)
	}
	dec, err := e.svc.Consent(bg, pbAnalyst, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess)
	if err != nil {
		t.Fatalf("pb's deputy while pb's liaison is away: %v", err)
	}
	if c := e.consentOf(t, r.ID, "pa"); c.State != mosaic.ConsentPending {
		t.Errorf("a deputy of pb decided pa's consent: %+v", c)
	}
	if c := e.consentOf(t, r.ID, "pb"); c.State != mosaic.ConsentApproved || c.DecidedBy != "pb-analyst" || !c.Deputy {
		t.Errorf("the drafter reads pb's consent %+v", c)
	}
	for _, c := range dec.Consents {
		if c.Org == "pb" && !c.Deputy {
			t.Errorf("the deputy is answered %+v", c)
		}
	}
	all, err := e.w.Store.AuditEntries(bg, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	if last.User != "pb-analyst" || last.Action != consentAccess.Action || last.Decision != mosaic.Allowed || last.Detail != "approve as deputy" {
		t.Errorf("the deputy's decision is audited as %+v", last)
	}

	// An analyst the operator did not name, while pa's liaison is away.
	other := mosaic.User{Name: "pa-analyst2", Org: "pa", Role: mosaic.Analyst}
	if err := e.w.Store.CreateUser(bg, &other, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	e.refusedAudited(t, "an analyst not named a deputy", mosaic.Viewer{UserID: other.ID, User: other.Name, OrgID: other.OrgID, Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}, r, "pa")

	// An admin named in the configuration is no deputy, and marks nobody
	// away, itself included.
	e.refusedAudited(t, "an admin named a deputy", e.w.Admin, r, "pa")
	e.log.take()
	if _, err := e.svc.SetAway(bg, e.w.Admin, now.Add(24*time.Hour), awayAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("an admin marks itself away: %v", err)
	}
	if entries := e.log.take(); len(entries) != 1 || entries[0].Decision != mosaic.Denied {
		t.Errorf("the admin's mark is audited as %+v", entries)
	}

	// A liaison away still decides, and as itself.
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if c := e.consentOf(t, r.ID, "pa"); c.DecidedBy != "pa-liaison" || c.Deputy {
		t.Errorf("pa's away liaison decided %+v", c)
	}

	// Back, the liaison decides again and the deputy no longer does.
	if _, err := e.svc.SetAway(bg, e.pbLiais, time.Time{}, awayAccess); err != nil {
		t.Fatal(err)
	}
	if w, err := e.svc.Away(bg, e.pbLiais); err != nil || !w.Until.IsZero() {
		t.Errorf("pb's liaison back: %+v, %v", w, err)
	}
	e.log.take()
	e.refusedAudited(t, "pb's deputy once pb's liaison is back", pbAnalyst, r, "pb")
}

// TestAwayBounds: a liaison is away from an hour to 60 days; a time away
// that passed is none; nobody but a liaison is marked, each refusal
// audited.
func TestAwayBounds(t *testing.T) {
	e, r := deputyEnv(t)
	now := e.w.Clock.Now()
	for _, until := range []time.Time{now, now.Add(30 * time.Minute), now.Add(mosaic.MaxAway + time.Minute), now.Add(-time.Hour)} {
		if _, err := e.svc.SetAway(bg, e.pbLiais, until, awayAccess); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("away until %s: %v", until, err)
		}
	}
	for _, v := range []mosaic.Viewer{e.w.B, e.w.Stakeholder, e.w.Auditor} {
		if _, err := e.svc.SetAway(bg, v, now.Add(24*time.Hour), awayAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("%s marks itself away: %v", v.User, err)
		}
	}
	if entries := e.log.take(); len(entries) != 7 {
		t.Errorf("%d refusals audited, want 7: %+v", len(entries), entries)
	}
	if _, err := e.svc.SetAway(bg, e.pbLiais, now.Add(mosaic.MaxAway), awayAccess); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Consent(bg, e.w.B, r.ID, content.Consent{Revision: 1, Decision: content.DecideRefuse, Reason: "Not yet."}, consentAccess); err != nil {
		t.Errorf("the deputy refuses while the liaison is away: %v", err)
	}
	// Once the time is past, the liaison counts as back.
	e.w.Clock.Add(mosaic.MaxAway)
	if w, err := e.svc.Away(bg, e.pbLiais); err != nil || !w.Until.IsZero() {
		t.Errorf("a mark past: %+v, %v", w, err)
	}
	if _, err := e.svc.MayConsent(bg, e.w.B); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("the deputy after the liaison's time away: %v", err)
	}
}
