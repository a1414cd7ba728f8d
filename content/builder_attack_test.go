package content_test

import (
	"reflect"
	"slices"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/storetest"
)

// Attacks on the builder's service calls: CheckDraft, PreviewRelease and
// the revisions the builder makes.

// opsSrc is an indicator pa shares with compartment ops only: pa and pb's
// analyst by name see it, pb's liaison does not.
const opsSrc = `{"type":"indicator","spec_version":"2.1","id":"indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0e01","created":"2026-10-01T08:15:42.123Z","modified":"2026-10-01T08:15:42.123Z","name":"Ops only","pattern":"[ipv4-addr:value = '192.0.2.201']","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z"}`

// opsDraft has pb's analyst draft a release of the ops indicator and of
// pb's own srcB.
func (e *releaseEnv) opsDraft(t *testing.T) mosaic.Release {
	t.Helper()
	e.seed(t)
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPGreen}
	e.w.Ingest(t, e.w.A, storetest.Record(t, opsSrc, ops))
	r, err := e.svc.DraftRelease(bg, e.w.B, content.Draft{Title: "ops", Advice: "a", Recipients: []string{"org:sh"},
		Objects: []content.Pin{pinOf(opsSrc), pinOf(srcB)}}, draftAccess)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ALTER what one cannot see. pb's liaison is not in ops: it may read the
// release cut to what it sees, and may not publish, preview or discard
// it (mayManage); but ReviseRelease asks no such thing, so its revision
// replaces the items with the ones it sees and the ops object, and pa's
// consent with it, silently goes.
func TestAttackReviseByColleagueWhoCannotSeeAll(t *testing.T) {
	e := newReleaseEnv(t)
	r := e.opsDraft(t)
	view, err := e.svc.Release(bg, e.pbLiais, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	old := view.Release
	d := content.Draft{Revision: old.Revision, Title: old.Title + " (edited)", Advice: old.Advice, Recipients: old.Recipients, Objects: []content.Pin{pinOf(srcB)}}
	_, err = e.svc.ReviseRelease(bg, e.pbLiais, r.ID, d, draftAccess)
	if mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("a colleague who cannot see every object revises the release: %v", err)
	}
	got, err := e.svc.Release(bg, e.w.B, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(got.Release.Items, func(it mosaic.ReleaseItem) bool { return it.ID == pinOf(opsSrc).ID }) {
		t.Errorf("the ops object is gone from the release (revision %d)", got.Release.Revision)
	}
}

// The defence that holds: the colleague outside ops cannot preview,
// publish or discard the release, and its view holds neither the ops
// object nor pa's consent.
func TestAttackColleagueCannotManage(t *testing.T) {
	e := newReleaseEnv(t)
	r := e.opsDraft(t)
	view, err := e.svc.Release(bg, e.pbLiais, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range view.Release.Items {
		if it.ID == pinOf(opsSrc).ID {
			t.Error("the colleague's view holds the ops object")
		}
	}
	for _, c := range view.Release.Consents {
		if c.Org == "pa" {
			t.Error("the colleague's view holds pa's consent")
		}
	}
	if _, err := e.svc.PreviewRelease(bg, e.pbLiais, r.ID, "org:sh", readAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("preview: %v", err)
	}
	if _, err := e.svc.Withdraw(bg, e.pbLiais, r.ID, "gone", readAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("discard: %v", err)
	}
	if _, err := e.svc.Publish(bg, e.pbLiais, r.ID, 1, publish); err == nil {
		t.Error("the colleague published")
	}
	// Another partner's staff: not found, as a release that does not exist.
	for _, v := range []mosaic.Viewer{e.w.C, e.paLiaison} {
		if _, err := e.svc.PreviewRelease(bg, v, r.ID, "org:sh", readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Errorf("%s previews: %v", v.User, err)
		}
	}
}

// READ through the check. pc's analyst's check of a pin of the ops
// object answers as the check of an object nobody holds, and so does a
// supersedes naming pb's release; the check is audited as a read.
func TestAttackCheckDraftHiddenLikeMissing(t *testing.T) {
	e := newReleaseEnv(t)
	r := e.opsDraft(t)
	missing := content.Pin{ID: "indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0eff", Modified: pinOf(opsSrc).Modified}
	check := func(d content.Draft) content.DraftCheck {
		c, err := e.svc.CheckDraft(bg, e.w.C, d, content.Access{Action: "check"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range c.Problems {
			if c.Problems[i].Object == pinOf(opsSrc).ID {
				c.Problems[i].Object = missing.ID
			}
		}
		return c
	}
	base := content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}}
	hid, abs := base, base
	hid.Objects, abs.Objects = []content.Pin{pinOf(opsSrc)}, []content.Pin{missing}
	if a, b := check(hid), check(abs); !reflect.DeepEqual(a, b) || len(a.Items) > 0 {
		t.Errorf("a hidden object is told from a missing one: %+v / %+v", a, b)
	}
	hid.Objects = []content.Pin{pinOf(srcB)}
	abs.Objects = hid.Objects
	hid.Supersedes, abs.Supersedes = r.ID, "00000000-0000-4000-8000-000000000000"
	a, b := check(hid), check(abs)
	a.Message = replaceAll(a.Message, r.ID, "ID")
	b.Message = replaceAll(b.Message, abs.Supersedes, "ID")
	a.Items, b.Items = nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Errorf("supersedes tells pb's release from none: %+v / %+v", a, b)
	}
}

func replaceAll(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			s = s[:i] + new + s[i+len(old):]
			i += len(new) - 1
		}
	}
	return s
}

// READ without a true record. The check audits every pinned id as an
// allowed read, whether v saw it or not: pc's analyst's check of a pin
// of the ops object, which it cannot see, enters "pc-analyst read the ops
// object, allowed" in the log auditors read, where every other door
// records such an id as not found. A record that says a read happened
// that did not hides the reads that did, and frames the viewer.
func TestAttackCheckDraftAuditsHiddenAsRead(t *testing.T) {
	e := newReleaseEnv(t)
	e.opsDraft(t)
	e.log.take()
	hidden := pinOf(opsSrc)
	if _, err := e.svc.CheckDraft(bg, e.w.C, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{hidden}}, content.Access{Action: "check"}); err != nil {
		t.Fatal(err)
	}
	for _, en := range e.log.take() {
		if en.Decision == mosaic.Allowed && slices.Contains(en.ObjectIDs, hidden.ID) {
			t.Errorf("the check audits a read of the hidden object as allowed: %+v", en)
		}
	}
}

// READ what was never sent. A release may supersede one of its
// organisation's published or withdrawn releases; but a release
// discarded before publication is "withdrawn" too, so a new release may
// name it, and every recipient's snapshot then tells them of a release
// to them that was drafted and never sent (for one, because an
// originator refused its consent).
func TestAttackSupersedeDiscarded(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "never sent", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA)}})
	if _, err := e.svc.Withdraw(bg, e.w.A, r.ID, "pb refused", readAccess); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "next", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA)}, Supersedes: r.ID}, draftAccess)
	if err == nil {
		t.Error("a release supersedes a discarded one, which its recipients never got")
	}
}
