package content_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
)

// interleaved is the release store with a hook run once just before a
// publication is stored: what another request does between the
// publisher's read of the release and its write, made deterministic.
type interleaved struct {
	content.ReleaseStore
	beforePublish func()
}

func (s *interleaved) Publish(ctx context.Context, sc mosaic.ReleaseScope, id string, p mosaic.Publication, a mosaic.AuditEntry) error {
	if f := s.beforePublish; f != nil {
		s.beforePublish = nil
		f()
	}
	return s.ReleaseStore.Publish(ctx, sc, id, p, a)
}

// WIDEN (race). A liaison may decide again while a release is ready: a
// new decision does not change the revision, and the release stays ready
// if it is an approval. Publish seals what it read before, and the store
// checks only the state and the revision: pb's liaison, having narrowed
// its consent (its object's name is to go), sees the object published as
// first approved, and the record names the approval it replaced.
func TestAttackConsentChangedWhilePublishing(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	rs, ok := e.w.Store.(content.ReleaseStore)
	if !ok {
		t.Fatal("the store keeps no releases")
	}
	hook := &interleaved{ReleaseStore: rs}
	e.svc.EnableReleases(hook, content.ReleaseConfig{Keys: e.keys, CellName: "Test cell", FeedbackReaders: []string{"pc"}})

	r := e.draft(t, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA), pinOf(srcB)}})
	e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if r = e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}); r.State != mosaic.ReleaseReady {
		t.Fatalf("after both consents: %s", r.State)
	}
	narrowed := content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{
		pinOf(srcB).ID: {Sanitisation: release.Sanitisation{Rewrite: map[string]string{"name": "Dropper"}}},
	}}
	hook.beforePublish = func() {
		e.consent(t, e.pbLiais, r.ID, narrowed)
	}
	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeConflict {
			return // the defence holds: publish again, with pb's decision as it stands
		}
		t.Fatal(err)
	}
	got, err := e.svc.Release(bg, e.w.Stakeholder, r.ID, readAccess)
	if err != nil || got.Delivery == nil {
		t.Fatalf("the stakeholder reads it: %v", err)
	}
	if bytes.Contains(got.Delivery.Bundle, []byte("Dropper of partner B")) {
		t.Errorf("published with pb's name of its object, which pb's consent as it stood at publish removed")
	}
	rec, err := e.svc.ReleaseRecord(bg, e.w.A, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	var record content.Record
	if err := json.Unmarshal(rec, &record); err != nil {
		t.Fatal(err)
	}
	stored, err := rs.Release(bg, mosaic.ReleaseScope{DraftOrg: "pb"}, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range record.Approvals {
		if c.Org == "pb" && len(c.Sanitise) == 0 && len(stored.Consents) == 1 && len(stored.Consents[0].Sanitise) > 0 {
			t.Errorf("the record names pb's approval as it was before, not the one stored: %s", rec)
		}
	}
}
