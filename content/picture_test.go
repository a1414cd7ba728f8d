package content_test

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
)

// unnoted is a store whose first reads cannot be written.
type unnoted struct {
	content.ReleaseStore
	mosaic.FeedbackPictures
}

func (unnoted) NoteRead(context.Context, string, string, string, time.Time) error {
	return mosaic.Errorf(mosaic.CodeUnavailable, "the database is read-only")
}

// TestFeedbackPictureAndReads: a recipient's first read shows in the
// drafter's feedback picture, audited with the releases it names; a read
// that cannot be noted still delivers the release, and is logged; whoever
// reads no feedback is refused, and the refusal audited.
func TestFeedbackPictureAndReads(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block these", Advice: "Block the address.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA), pinOf(srcB)}})
	e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
		t.Fatal(err)
	}
	store := e.w.Store.(content.ReleaseStore)

	// The note fails: the recipient gets the release, the failure is
	// logged, and nothing is noted.
	var logged bytes.Buffer
	e.svc.EnableReleases(unnoted{store, e.w.Store.(mosaic.FeedbackPictures)}, content.ReleaseConfig{Keys: e.keys, FeedbackReaders: []string{"pc"},
		Log: slog.New(slog.NewTextHandler(&logged, nil))})
	if _, err := e.svc.Delivered(bg, e.w.Stakeholder, r.ID, readAccess); err != nil {
		t.Fatalf("a read whose note fails: %v", err)
	}
	if !strings.Contains(logged.String(), "read-only") || !strings.Contains(logged.String(), r.ID) {
		t.Errorf("the failed note is not logged: %q", logged.String())
	}
	e.svc.EnableReleases(store, content.ReleaseConfig{Keys: e.keys, FeedbackReaders: []string{"pc"}})
	pic, err := e.svc.FeedbackPicture(bg, e.w.A, e.w.Clock.Now(), readAccess)
	if err != nil || len(pic.Releases) != 1 || len(pic.Releases[0].Recipients) != 1 || !pic.Releases[0].Recipients[0].Read.IsZero() {
		t.Fatalf("after a failed note: %+v, %v", pic, err)
	}

	// Read now, and again later: the first read is what the drafter sees.
	first := e.w.Clock.Now()
	if _, err := e.svc.SnapshotFile(bg, e.w.Stakeholder, r.ID, readAccess); err != nil {
		t.Fatal(err)
	}
	e.w.Clock.Add(time.Hour)
	if _, err := e.svc.Release(bg, e.w.Stakeholder, r.ID, readAccess); err != nil {
		t.Fatal(err)
	}
	e.log.take()
	for _, v := range []mosaic.Viewer{e.w.A, e.paLiaison, e.w.C} {
		pic, err := e.svc.FeedbackPicture(bg, v, e.w.Clock.Now(), readAccess)
		if err != nil || len(pic.Releases) != 1 || pic.Releases[0].ID != r.ID || pic.Published.Day != 1 {
			t.Fatalf("%s's picture: %+v, %v", v.User, pic, err)
		}
		if got := pic.Releases[0].Recipients; len(got) != 1 || got[0].Org != "sh" || !got[0].Read.Equal(first) {
			t.Errorf("%s sees the recipients %+v, want sh's first read at %v", v.User, got, first)
		}
		entries := e.log.take()
		if len(entries) != 1 || entries[0].Decision != mosaic.Allowed || !slices.Equal(entries[0].ObjectIDs, []string{r.ID}) {
			t.Errorf("%s's picture is audited as %+v", v.User, entries)
		}
	}
	// pb consented but neither drafted nor reads feedback; the others
	// have no part in it.
	for _, v := range []mosaic.Viewer{e.w.B, e.pbLiais, e.w.Stakeholder, e.sh2, e.w.Admin, e.w.Auditor} {
		if _, err := e.svc.FeedbackPicture(bg, v, e.w.Clock.Now(), readAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("%s's feedback picture: %v", v.User, err)
		}
		if entries := e.log.take(); len(entries) != 1 || entries[0].Decision != mosaic.Denied || len(entries[0].ObjectIDs) != 0 {
			t.Errorf("%s's refusal is audited as %+v", v.User, entries)
		}
	}
}
