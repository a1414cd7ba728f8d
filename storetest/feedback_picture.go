package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
)

// testFeedbackPicture checks the picture's feedback part and the feedback
// events of the live stream for the drafting organisation, the default
// reader, a reader one stakeholder named in its place, and an
// organisation that is neither.
func testFeedbackPicture(t *testing.T, open Opener) {
	w := newReleaseWorld(t, open)
	s := w.Store
	fp, ok := s.(mosaic.FeedbackPictures)
	if !ok {
		t.Fatal("the store keeps no feedback picture")
	}
	now := Epoch.Add(10 * 24 * time.Hour)

	// r1, pa's, an hour ago to sh by name and to the energy sector (sh2
	// and sh3); r2, pb's, three days ago to sh and sh2 by name and to
	// sh3's user by name; r3, pa's, 40 days ago, before the picture's 30
	// days.
	r1 := w.draft(t, "feedback-r1", mosaic.ReleaseAwaitingConsent, []string{"org:sh", "sector:energy"}, []mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r1, "pa")
	w.ok(t, s.Publish(bg, paDraft, r1.ID, w.publication(t, r1, now.Add(-time.Hour), 1), releaseAudit("pa-analyst")))
	r2 := mosaic.Release{Title: "feedback-r2", Advice: "Advice.", Recipients: []string{"org:sh", "org:sh2", "user:sh3-user"}, Dangling: mosaic.DanglingRefuse,
		TLP: mosaic.TLPGreen, Drafter: "pb-analyst", State: mosaic.ReleaseAwaitingConsent, Items: []mosaic.ReleaseItem{releaseItem(2, mosaic.ItemObject, "pb")},
		Consents: []mosaic.ReleaseConsent{{Org: "pb", State: mosaic.ConsentPending}}}
	w.ok(t, s.CreateRelease(bg, &r2, releaseAudit("pb-analyst")))
	w.approve(t, r2, "pb")
	w.ok(t, s.Publish(bg, pbDraft, r2.ID, w.publication(t, r2, now.Add(-3*24*time.Hour), 2), releaseAudit("pb-analyst")))
	r3 := w.draft(t, "feedback-r3", mosaic.ReleaseAwaitingConsent, []string{"org:sh"}, []mosaic.ReleaseItem{releaseItem(3, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r3, "pa")
	w.ok(t, s.Publish(bg, paDraft, r3.ID, w.publication(t, r3, now.Add(-40*24*time.Hour), 3), releaseAudit("pa-analyst")))

	start, err := fp.LastFeedback(bg)
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(sc mosaic.ReleaseScope, id string, st mosaic.ReceiptStatus, ago time.Duration) {
		t.Helper()
		w.ok(t, s.AddReceipt(bg, sc, id, mosaic.Receipt{Org: sc.Org, User: sc.User, Status: st, Time: now.Add(-ago)}, releaseAudit(sc.User)))
	}
	receipt(shUser, r1.ID, mosaic.ReceiptReceived, 50*time.Minute)
	receipt(shUser, r1.ID, mosaic.ReceiptApplied, 40*time.Minute)
	receipt(sh2User, r1.ID, mosaic.ReceiptApplied, 30*time.Minute)
	receipt(sh2User, r1.ID, mosaic.ReceiptInProgress, 20*time.Minute)
	receipt(shUser, r2.ID, mosaic.ReceiptApplied, 2*24*time.Hour)
	receipt(sh2User, r2.ID, mosaic.ReceiptReceived, 2*24*time.Hour)
	receipt(shUser, r3.ID, mosaic.ReceiptApplied, 39*24*time.Hour)
	sighting := json.RawMessage(`{"type":"sighting","id":"sighting--` + UUID(9) + `"}`)
	w.ok(t, s.AddSightings(bg, sh3User, r1.ID, []mosaic.ReportedSighting{{Org: "sh3", User: "sh3-user", Sighting: sighting, Time: now.Add(-10 * time.Minute)},
		{Org: "sh3", User: "sh3-user", Sighting: sighting, Time: now.Add(-10 * time.Minute)}}, releaseAudit("sh3-user")))
	w.ok(t, s.AddSightings(bg, sh2User, r2.ID, []mosaic.ReportedSighting{{Org: "sh2", User: "sh2-user", Sighting: sighting, Time: now.Add(-time.Hour)}}, releaseAudit("sh2-user")))

	// Reads: only the first counts; a user's delivery is read by the user,
	// and counts for its organisation.
	read := func(id, org, user string, at time.Time) {
		t.Helper()
		if err := fp.NoteRead(bg, id, org, user, at); err != nil {
			t.Fatalf("read of %s by %s/%s: %v", id, org, user, err)
		}
	}
	read(r1.ID, "sh", "", now.Add(-55*time.Minute))
	read(r1.ID, "sh", "", now.Add(-5*time.Minute))
	read(r2.ID, "sh3", "sh3-user", now.Add(-2*24*time.Hour))
	read(r2.ID, "sh3", "sh3-user", now)
	wantCode(t, fp.NoteRead(bg, UUID(404), "sh", "", now), mosaic.CodeNotFound)
	wantCode(t, fp.NoteRead(bg, r1.ID, "sh", "sh2-user", now), mosaic.CodeNotFound)

	type rcp struct {
		org    string
		read   time.Time
		status mosaic.ReceiptStatus
		sights int64
	}
	check := func(name string, sc mosaic.FeedbackScope, drafted bool, published mosaic.PictureCount, sectors []mosaic.SectorFeedback, releases map[string][]rcp, order []string) {
		t.Helper()
		got, err := fp.FeedbackPicture(bg, sc, now)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Drafted != drafted || got.Published != published {
			t.Errorf("%s: drafted %v, published %+v; want %v, %+v", name, got.Drafted, got.Published, drafted, published)
		}
		if !slices.Equal(got.Sectors, sectors) {
			t.Errorf("%s: sectors\n%+v\nwant\n%+v", name, got.Sectors, sectors)
		}
		var ids []string
		for _, r := range got.Releases {
			ids = append(ids, r.ID)
			var gotR []rcp
			for _, x := range r.Recipients {
				if !x.Delivered.Equal(r.Published) {
					t.Errorf("%s: %s delivered to %s at %v, published %v", name, r.ID, x.Org, x.Delivered, r.Published)
				}
				gotR = append(gotR, rcp{x.Org, x.Read, x.Status, x.Sightings})
			}
			if !slices.Equal(gotR, releases[r.ID]) {
				t.Errorf("%s: recipients of %s\n%+v\nwant\n%+v", name, r.Title, gotR, releases[r.ID])
			}
		}
		if !slices.Equal(ids, order) {
			t.Errorf("%s: releases %v, want %v", name, ids, order)
		}
		// Every id and name of what the scope may not read is absent.
		b, _ := json.Marshal(got)
		for _, word := range []string{r3.ID, "feedback-r3"} {
			if strings.Contains(string(b), word) {
				t.Errorf("%s: the picture holds %q, of a release outside its 30 days", name, word)
			}
		}
	}
	check("the drafter pa", mosaic.FeedbackScope{Drafter: "pa"}, true, mosaic.PictureCount{Day: 1, Week: 1, Month: 1},
		[]mosaic.SectorFeedback{
			{Sector: "energy", Deliveries: 2, Acknowledged: 1, Applied: 0, Sightings: 2},
			{Sector: "healthcare", Deliveries: 2, Acknowledged: 1, Applied: 1, Sightings: 2},
		},
		map[string][]rcp{r1.ID: {{"sh", now.Add(-55 * time.Minute), mosaic.ReceiptApplied, 0}, {"sh2", time.Time{}, mosaic.ReceiptInProgress, 0}, {"sh3", time.Time{}, "", 2}}},
		[]string{r1.ID})
	// pc, the default reader, reads every release but sh2's feedback.
	check("the default reader pc", mosaic.FeedbackScope{Drafter: "pc", Others: true, Filter: mosaic.FeedbackFilter{Except: []string{"sh2"}}}, false,
		mosaic.PictureCount{Day: 1, Week: 2, Month: 2},
		[]mosaic.SectorFeedback{
			{Sector: "energy", Deliveries: 2, Acknowledged: 0, Applied: 0, Sightings: 2},
			{Sector: "healthcare", Deliveries: 4, Acknowledged: 2, Applied: 2, Sightings: 2},
		},
		map[string][]rcp{
			r1.ID: {{"sh", now.Add(-55 * time.Minute), mosaic.ReceiptApplied, 0}, {"sh3", time.Time{}, "", 2}},
			r2.ID: {{"sh", time.Time{}, mosaic.ReceiptApplied, 0}, {"sh3", now.Add(-2 * 24 * time.Hour), "", 0}},
		},
		[]string{r1.ID, r2.ID})
	// pb drafted r2, and sh2 named it to read its feedback on the rest.
	check("pb, drafter and named reader", mosaic.FeedbackScope{Drafter: "pb", Others: true, Filter: mosaic.FeedbackFilter{Orgs: []string{"sh2"}}}, true,
		mosaic.PictureCount{Day: 1, Week: 2, Month: 2},
		[]mosaic.SectorFeedback{
			{Sector: "energy", Deliveries: 3, Acknowledged: 2, Applied: 0, Sightings: 1},
			{Sector: "healthcare", Deliveries: 2, Acknowledged: 1, Applied: 1, Sightings: 0},
		},
		map[string][]rcp{
			r1.ID: {{"sh2", time.Time{}, mosaic.ReceiptInProgress, 0}},
			r2.ID: {{"sh", time.Time{}, mosaic.ReceiptApplied, 0}, {"sh2", time.Time{}, mosaic.ReceiptReceived, 1}, {"sh3", now.Add(-2 * 24 * time.Hour), "", 0}},
		},
		[]string{r1.ID, r2.ID})
	// pc neither drafted nor reads others': nothing at all.
	check("pc, neither drafter nor reader", mosaic.FeedbackScope{Drafter: "pc"}, false, mosaic.PictureCount{}, nil, nil, nil)
	check("a reader named by nobody's stakeholders", mosaic.FeedbackScope{Drafter: "pc", Others: true, Filter: mosaic.FeedbackFilter{Orgs: []string{}}}, false,
		mosaic.PictureCount{}, nil, nil, nil)

	// The live stream's events, from before the feedback came in.
	events := func(name string, sc mosaic.FeedbackScope, want []string) {
		t.Helper()
		var got []string
		at := start
		for range 10 {
			es, next, err := fp.FeedbackAfter(bg, sc, at, 2)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, e := range es {
				got = append(got, e.Kind+" "+e.Release+" "+e.Org+" "+e.Time.Format(time.RFC3339))
			}
			if next == at {
				break
			}
			at = next
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: events\n%s\nwant\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	ev := func(kind, id, org string, ago time.Duration) string {
		return kind + " " + id + " " + org + " " + now.Add(-ago).Format(time.RFC3339)
	}
	events("pa", mosaic.FeedbackScope{Drafter: "pa"}, []string{
		ev("receipt", r1.ID, "sh", 50*time.Minute), ev("receipt", r1.ID, "sh", 40*time.Minute), ev("receipt", r1.ID, "sh2", 30*time.Minute),
		ev("receipt", r1.ID, "sh2", 20*time.Minute), ev("receipt", r3.ID, "sh", 39*24*time.Hour), ev("sighting", r1.ID, "sh3", 10*time.Minute),
	})
	events("pc", mosaic.FeedbackScope{Drafter: "pc", Others: true, Filter: mosaic.FeedbackFilter{Except: []string{"sh2"}}}, []string{
		ev("receipt", r1.ID, "sh", 50*time.Minute), ev("receipt", r1.ID, "sh", 40*time.Minute), ev("receipt", r2.ID, "sh", 2*24*time.Hour),
		ev("receipt", r3.ID, "sh", 39*24*time.Hour), ev("sighting", r1.ID, "sh3", 10*time.Minute),
	})
	events("pb", mosaic.FeedbackScope{Drafter: "pb", Others: true, Filter: mosaic.FeedbackFilter{Orgs: []string{"sh2"}}}, []string{
		ev("receipt", r1.ID, "sh2", 30*time.Minute), ev("receipt", r1.ID, "sh2", 20*time.Minute), ev("receipt", r2.ID, "sh", 2*24*time.Hour),
		ev("receipt", r2.ID, "sh2", 2*24*time.Hour), ev("sighting", r2.ID, "sh2", time.Hour),
	})
	events("pc, neither", mosaic.FeedbackScope{Drafter: "pc"}, nil)
	last, err := fp.LastFeedback(bg)
	if err != nil {
		t.Fatal(err)
	}
	if es, next, err := fp.FeedbackAfter(bg, mosaic.FeedbackScope{Drafter: "pa"}, last, 100); err != nil || len(es) != 0 || next != last {
		t.Errorf("after the newest: %v, %+v, %v", es, next, err)
	}
}
