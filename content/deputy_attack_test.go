package content_test

import (
	"context"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
)

// backOnRead is the release store, but pb's liaison comes back (marks
// itself back) the moment the consent reads the release: after the
// deputy's check, before its decision is saved.
type backOnRead struct {
	content.ReleaseStore
	back func()
}

func (b *backOnRead) Release(ctx context.Context, sc mosaic.ReleaseScope, id string) (mosaic.Release, error) {
	if b.back != nil {
		f := b.back
		b.back = nil
		f()
	}
	return b.ReleaseStore.Release(ctx, sc, id)
}

// TestAttackDeputyRacesLiaisonBack: pb's deputy decides pb's consent while
// pb's liaison is away. The liaison marks itself back between the
// deputy's check (content.MayConsent, which reads the liaisons outside the
// write) and the store's Decide, which checks nothing of the liaisons:
// the deputy's decision is saved although a liaison is present when it is
// recorded.
func TestAttackDeputyRacesLiaisonBack(t *testing.T) {
	e, r := deputyEnv(t)
	now := e.w.Clock.Now()
	if _, err := e.svc.SetAway(bg, e.pbLiais, now.Add(24*time.Hour), awayAccess); err != nil {
		t.Fatal(err)
	}
	rs := e.w.Store.(content.ReleaseStore)
	w := &backOnRead{ReleaseStore: rs}
	e.svc.EnableReleases(w, content.ReleaseConfig{Keys: e.keys, FeedbackReaders: []string{"pc"},
		Deputies: map[string][]string{"pa": {"pa-analyst", "pb-analyst"}, "pb": {"pb-analyst"}, "pc": {"pc-admin"}}})
	w.back = func() {
		if _, err := e.svc.SetAway(bg, e.pbLiais, time.Time{}, awayAccess); err != nil {
			t.Errorf("pb's liaison back: %v", err)
		}
	}
	_, err := e.svc.Consent(bg, e.w.B, r.ID, content.Consent{Revision: r.Revision, Decision: content.DecideRefuse, Reason: "Not while I decide."}, consentAccess)
	if ls, _ := rs.Liaisons(bg, "pb"); len(ls) != 1 || !ls[0].AwayUntil.IsZero() {
		t.Fatalf("pb's liaison is not back: %+v", ls)
	}
	if err == nil {
		c := e.consentOf(t, r.ID, "pb")
		t.Errorf("the deputy's decision was saved while pb's liaison was present: %+v", c)
	} else if mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("the deputy's consent: %v, want forbidden", err)
	}
}

// TestAttackDeputyBoundaries: a deputy of pb neither reads nor decides
// anything of pa through its deputyship; a liaison cannot mark another
// user away (the store marks the viewer's own user only); a disabled
// liaison neither counts as present nor is marked away.
func TestAttackDeputyBoundaries(t *testing.T) {
	e, r := deputyEnv(t)
	now := e.w.Clock.Now()
	// pa's liaison away, pa has no other: pb's analyst, named under pa in
	// the configuration, still decides nothing of pa's.
	if _, err := e.svc.SetAway(bg, e.paLiaison, now.Add(24*time.Hour), awayAccess); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetAway(bg, e.pbLiais, now.Add(24*time.Hour), awayAccess); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Consent(bg, e.w.B, r.ID, content.Consent{Revision: r.Revision, Decision: content.DecideApprove}, consentAccess); err != nil {
		t.Fatal(err)
	}
	if c := e.consentOf(t, r.ID, "pa"); c.State != mosaic.ConsentPending {
		t.Errorf("pb's deputy decided pa's consent: %+v", c)
	}
	// A viewer claiming to be pa's liaison but carrying pb's user marks pb's
	// user: the mark follows the user, and the store refuses users who are
	// not enabled liaisons.
	forged := e.paLiaison
	forged.User = e.w.B.User
	if _, err := e.svc.SetAway(bg, forged, now.Add(48*time.Hour), awayAccess); err == nil {
		t.Errorf("a liaison viewer marked the analyst %s away", e.w.B.User)
	}
	// A disabled liaison is no liaison: a disabled one cannot be marked.
	u, err := e.w.Store.User(bg, "pb-liaison")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := e.w.Store.UpdateUser(bg, u, nil, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetAway(bg, e.pbLiais, time.Time{}, awayAccess); err == nil {
		t.Errorf("a disabled liaison marked itself back")
	}
	if ls, err := e.w.Store.(content.ReleaseStore).Liaisons(bg, "pb"); err != nil || len(ls) != 0 {
		t.Errorf("pb's liaisons with its only one disabled: %+v, %v", ls, err)
	}
}
