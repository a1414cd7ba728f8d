package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

func testFeeds(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	cell := mosaic.Audience{Cell: true}
	orcon, legal, review := false, "wbni", "2027-06-01"
	f := mosaic.Feed{
		Name: "partner-x", URL: "https://taxii.example.org/taxii2/api/", Collection: "9f3c2d4e-0000-4000-8000-000000000001",
		User: "pa-analyst", RemoteUser: "mosaic", TokenFile: "/etc/mosaic/partner-x.token",
		Audience: &cell, ORCON: &orcon, LegalBasis: &legal, ReviewBy: &review, Interval: 15 * time.Minute,
		State: mosaic.FeedState{AddedAfter: "ignored", Failures: 9},
	}
	a := mosaic.NewAuditEntry(mosaic.Viewer{User: "cli:root"}, w.Clock.Now(), "feeds.create")
	a.Detail = "feed partner-x"
	if err := s.CreateFeed(bg, &f, a); err != nil {
		t.Fatal(err)
	}
	if f.ID == 0 || !f.Created.Equal(Epoch) {
		t.Errorf("created feed: id %d, created %v", f.ID, f.Created)
	}
	// A new feed starts with nothing read and is due at once.
	want := f
	want.State = mosaic.FeedState{}
	got, err := s.Feed(bg, "partner-x")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Feed (-want +got):\n%s", diff)
	}

	// Defaults stay unset: nil envelope fields are the organisation's.
	bare := mosaic.Feed{Name: "bare", URL: "http://127.0.0.1:9/taxii2/api/", Collection: "c1", User: "pb-analyst", Interval: time.Hour}
	if err := s.CreateFeed(bg, &bare, setup()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Feed(bg, "bare"); got.Audience != nil || got.ORCON != nil || got.LegalBasis != nil || got.ReviewBy != nil || got.TokenFile != "" {
		t.Errorf("feed without envelope: %+v", got)
	}

	for name, bad := range map[string]mosaic.Feed{
		"name":            {Name: "Bad Name", URL: f.URL, Collection: "c", User: "pa-analyst", Interval: time.Hour},
		"relative url":    {Name: "rel", URL: "/taxii2/api/", Collection: "c", User: "pa-analyst", Interval: time.Hour},
		"no slash":        {Name: "noslash", URL: "https://x.example/taxii2/api", Collection: "c", User: "pa-analyst", Interval: time.Hour},
		"plain http":      {Name: "plain", URL: "http://x.example/taxii2/api/", Collection: "c", User: "pa-analyst", Interval: time.Hour},
		"url credentials": {Name: "creds", URL: "https://u:p@x.example/taxii2/api/", Collection: "c", User: "pa-analyst", Interval: time.Hour},
		"collection":      {Name: "coll", URL: f.URL, Collection: "a/b", User: "pa-analyst", Interval: time.Hour},
		"interval":        {Name: "fast", URL: f.URL, Collection: "c", User: "pa-analyst", Interval: time.Second},
		"user no secret":  {Name: "nosecret", URL: f.URL, Collection: "c", User: "pa-analyst", RemoteUser: "x", Interval: time.Hour},
	} {
		t.Run(name, func(t *testing.T) { wantCode(t, s.CreateFeed(bg, &bad, setup()), mosaic.CodeInvalid) })
	}
	wantCode(t, s.CreateFeed(bg, &mosaic.Feed{Name: "partner-x", URL: f.URL, Collection: "c", User: "pa-analyst", Interval: time.Hour}, setup()), mosaic.CodeConflict)
	wantCode(t, s.CreateFeed(bg, &mosaic.Feed{Name: "ghost", URL: f.URL, Collection: "c", User: "nobody", Interval: time.Hour}, setup()), mosaic.CodeNotFound)
	_, err = s.Feed(bg, "ghost")
	wantCode(t, err, mosaic.CodeNotFound)

	// State survives a round trip, to the microsecond.
	st := mosaic.FeedState{
		AddedAfter: "2026-11-01T09:00:00.123456Z", LastPoll: Epoch.Add(time.Minute), LastSuccess: Epoch.Add(2 * time.Minute),
		LastError: "HTTP 503", Failures: 3, NextPoll: Epoch.Add(time.Hour + 1500*time.Microsecond),
		Imported: 120, Unchanged: 7, Rejected: 2, LastRejection: "indicator--x: bad pattern",
	}
	if err := s.SaveFeedState(bg, f.ID, st); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Feed(bg, "partner-x")
	if diff := cmp.Diff(st, got.State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}

	// The position never moves back: a process that polls the same feed
	// and is behind saves the rest of its state, not its position. The
	// positions compare in time, not as text: 09:00:00Z is before
	// 09:00:00.123456Z, though after it byte by byte.
	behind := st
	behind.AddedAfter, behind.Failures, behind.LastError, behind.Imported = "2026-11-01T09:00:00Z", 0, "", 130
	if err := s.SaveFeedState(bg, f.ID, behind); err != nil {
		t.Fatal(err)
	}
	want2 := behind
	want2.AddedAfter = st.AddedAfter
	if got, _ := s.Feed(bg, "partner-x"); !cmp.Equal(want2, got.State) {
		t.Errorf("state after an earlier position (-want +got):\n%s", cmp.Diff(want2, got.State))
	}
	ahead := behind
	ahead.AddedAfter = "2026-11-01T09:00:00.2Z"
	if err := s.SaveFeedState(bg, f.ID, ahead); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Feed(bg, "partner-x"); got.State.AddedAfter != ahead.AddedAfter {
		t.Errorf("position %q after a later one was saved, want %q", got.State.AddedAfter, ahead.AddedAfter)
	}
	// Writers at once, each with its own position: the latest stays.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ahead
			c.AddedAfter = fmt.Sprintf("2026-11-01T10:%02d:00Z", (i*7)%20)
			errs <- s.SaveFeedState(bg, f.ID, c)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Feed(bg, "partner-x"); got.State.AddedAfter != "2026-11-01T10:19:00Z" {
		t.Errorf("position %q after concurrent saves, want the latest, 2026-11-01T10:19:00Z", got.State.AddedAfter)
	}
	st = ahead // for the save after the removal below

	feeds, err := s.Feeds(bg)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range feeds {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"bare", "partner-x"}, names); diff != "" {
		t.Errorf("Feeds (-want +got):\n%s", diff)
	}

	// Removing is audited with the change; a removed feed's state cannot
	// be saved any more (a poll that ends after the removal).
	before, _ := s.AuditEntries(bg, 0, 1000)
	if err := s.DeleteFeed(bg, "partner-x", mosaic.AuditEntry{Time: Epoch, User: "cli:root", Action: "feeds.delete", Decision: mosaic.Allowed, Detail: "feed partner-x"}); err != nil {
		t.Fatal(err)
	}
	after, _ := s.AuditEntries(bg, 0, 1000)
	if len(after) != len(before)+1 || after[len(after)-1].Action != "feeds.delete" {
		t.Errorf("delete not audited: %d entries before, %d after", len(before), len(after))
	}
	wantCode(t, s.DeleteFeed(bg, "partner-x", setup()), mosaic.CodeNotFound)
	wantCode(t, s.SaveFeedState(bg, f.ID, st), mosaic.CodeNotFound)
	var create int
	for _, e := range after {
		if e.Action == "feeds.create" && e.Detail == "feed partner-x" {
			create++
		}
	}
	if create != 1 {
		t.Errorf("%d audit entries for the creation, want 1", create)
	}
}
