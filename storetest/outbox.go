package storetest

import (
	"testing"
	"time"

	"mosaic"
)

// testOutbox checks the outbox: a publication notifies each user it
// reached, in its own transaction and once; a claim is a lease that one
// worker holds at a time; failures retry or die.
func testOutbox(t *testing.T, open Opener) {
	w := newReleaseWorld(t, open)
	s := w.Store
	ob, ok := s.(mosaic.Outbox)
	if !ok {
		t.Skip("the store keeps no outbox")
	}
	now := w.Clock.Now()

	// A publish that fails (its consents changed meanwhile) tells nobody.
	r := w.draft(t, "told", mosaic.ReleaseAwaitingConsent, []string{"org:sh", "user:sh2-user", "public"}, []mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pb")}, "pb")
	stale := w.publication(t, r, now, 1)
	w.approve(t, r, "pb")
	wantCode(t, s.Publish(bg, paDraft, r.ID, stale, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	if ns, err := ob.Notifications(bg, "", 100); err != nil || len(ns) != 0 {
		t.Fatalf("a publish that rolled back notified: %+v, %v", ns, err)
	}
	w.ok(t, s.Publish(bg, paDraft, r.ID, w.publication(t, r, now, 1), releaseAudit("pa-analyst")))
	ns, err := ob.Notifications(bg, mosaic.NotificationPending, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]mosaic.Notification{}
	for _, n := range ns {
		got[n.User] = n
	}
	if len(ns) != 2 || got["sh-user"].ID != "release.addressed."+r.ID+".sh-user" || got["sh2-user"].Subject != r.ID ||
		got["sh-user"].Kind != mosaic.NotifyReleaseAddressed || got["sh-user"].Channel != "email" || got["sh-user"].Attempts != 0 {
		t.Fatalf("the publication's notifications: %+v", ns)
	}

	// One worker holds a notification at a time, until its lease ends.
	a, err := ob.ClaimNotifications(bg, "a", now, time.Minute, 1)
	if err != nil || len(a) != 1 {
		t.Fatalf("a claims %+v, %v", a, err)
	}
	b, err := ob.ClaimNotifications(bg, "b", now, time.Minute, 10)
	if err != nil || len(b) != 1 || b[0].ID == a[0].ID {
		t.Fatalf("b claims %+v beside a's %s, %v", b, a[0].ID, err)
	}
	if c, err := ob.ClaimNotifications(bg, "c", now, time.Minute, 10); err != nil || len(c) != 0 {
		t.Fatalf("c claims what a and b hold: %+v, %v", c, err)
	}
	later := now.Add(2 * time.Minute)
	c, err := ob.ClaimNotifications(bg, "c", later, time.Minute, 10)
	if err != nil || len(c) != 2 {
		t.Fatalf("c after the leases ended: %+v, %v", c, err)
	}
	wantCode(t, ob.NotificationSent(bg, a[0].ID, "a", later), mosaic.CodeConflict)
	if err := ob.NotificationSent(bg, a[0].ID, "c", later); err != nil {
		t.Fatal(err)
	}
	// A failure is tried again when it says, then given up.
	retry := later.Add(5 * time.Minute)
	if err := ob.NotificationFailed(bg, b[0].ID, "c", later, "451 try again later", retry, false); err != nil {
		t.Fatal(err)
	}
	if d, err := ob.ClaimNotifications(bg, "d", later.Add(time.Minute), time.Minute, 10); err != nil || len(d) != 0 {
		t.Fatalf("claimed before its retry: %+v, %v", d, err)
	}
	d, err := ob.ClaimNotifications(bg, "d", retry, time.Minute, 10)
	if err != nil || len(d) != 1 || d[0].ID != b[0].ID || d[0].Attempts != 1 || d[0].LastError != "451 try again later" {
		t.Fatalf("at its retry: %+v, %v", d, err)
	}
	if err := ob.NotificationFailed(bg, b[0].ID, "d", retry, "550 no such user", retry, true); err != nil {
		t.Fatal(err)
	}
	if e, err := ob.ClaimNotifications(bg, "e", retry.Add(time.Hour), time.Minute, 10); err != nil || len(e) != 0 {
		t.Fatalf("a dead notification claimed: %+v, %v", e, err)
	}
	dead, err := ob.Notifications(bg, mosaic.NotificationDead, 10)
	if err != nil || len(dead) != 1 || dead[0].ID != b[0].ID || dead[0].Attempts != 2 {
		t.Errorf("the dead letters: %+v, %v", dead, err)
	}
	sent, err := ob.Notifications(bg, mosaic.NotificationSent, 10)
	if err != nil || len(sent) != 1 || sent[0].ID != a[0].ID || !sent[0].Sent.Equal(later) {
		t.Errorf("the sent: %+v, %v", sent, err)
	}
	wantCode(t, ob.NotificationSent(bg, b[0].ID, "d", retry), mosaic.CodeConflict)
}
