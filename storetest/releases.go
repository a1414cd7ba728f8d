package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
)

// releaseWorld is a World with stakeholders in two sectors: sh
// (healthcare), sh2 (energy) and sh3 (both), each with a user.
type releaseWorld struct {
	*World
	audits int // release changes that succeeded, each of which is audited
}

// releaseExtras is what the release workflow (content.ReleaseStore) reads
// of a store beside mosaic.Releases.
type releaseExtras interface {
	PublishedObjects(ctx context.Context, sc mosaic.ReleaseScope, id string) ([]mosaic.ReleasedObject, error)
	ReleaseOrigin(ctx context.Context, id string) (string, mosaic.ReleaseState, error)
}

// The scopes of the releases tests.
var (
	paDraft = mosaic.ReleaseScope{DraftOrg: "pa", Org: "pa", User: "pa-analyst"}
	pbDraft = mosaic.ReleaseScope{DraftOrg: "pb", Org: "pb", User: "pb-analyst"}
	pcDraft = mosaic.ReleaseScope{DraftOrg: "pc", Org: "pc", User: "pc-analyst"}
	shUser  = mosaic.ReleaseScope{Org: "sh", User: "sh-user"}
	shOrg   = mosaic.ReleaseScope{Org: "sh"}
	sh2User = mosaic.ReleaseScope{Org: "sh2", User: "sh2-user"}
	sh3User = mosaic.ReleaseScope{Org: "sh3", User: "sh3-user"}
	nobody  = mosaic.ReleaseScope{}
)

func newReleaseWorld(t *testing.T, open Opener) *releaseWorld {
	w := &releaseWorld{World: NewWorld(t, open)}
	for _, o := range []mosaic.Organisation{
		{Name: "sh2", FullName: "Energy", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}},
		{Name: "sh3", FullName: "Both", Kind: mosaic.Stakeholder, Sectors: []string{"healthcare", "energy"}},
	} {
		if err := w.Store.CreateOrg(bg, &o, setup()); err != nil {
			t.Fatal(err)
		}
		u := mosaic.User{Name: o.Name + "-user", Org: o.Name, Role: mosaic.StakeholderViewer}
		if err := w.Store.CreateUser(bg, &u, "", setup()); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// ok fails the test on err and counts a change that must be audited.
func (w *releaseWorld) ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	w.audits++
}

func releaseAudit(user string) mosaic.AuditEntry {
	return mosaic.AuditEntry{Time: Epoch, User: user, Action: "release.test", Decision: mosaic.Allowed}
}

func releaseItem(n int, role, org string) mosaic.ReleaseItem {
	return mosaic.ReleaseItem{Role: role, ID: "indicator--" + UUID(n), Type: "indicator", Modified: "2026-10-01T00:00:00.000Z", Originator: org,
		TLP: mosaic.TLPGreen, ORCON: true, LegalBasis: "wbni",
		Object: json.RawMessage(Indicator(n, "2026-10-01T00:00:00.000Z", fmt.Sprintf("item %d", n), "[ipv4-addr:value = '10.0.0.1']"))}
}

// draft stores a release by pa-analyst asking orgs.
func (w *releaseWorld) draft(t *testing.T, title string, state mosaic.ReleaseState, recipients []string, items []mosaic.ReleaseItem, orgs ...string) mosaic.Release {
	t.Helper()
	r := mosaic.Release{Title: title, Advice: "Advice of " + title + ".", Recipients: recipients, Dangling: mosaic.DanglingRefuse, TLP: mosaic.TLPGreen,
		Drafter: "pa-analyst", State: state, Items: items}
	for _, o := range orgs {
		r.Consents = append(r.Consents, mosaic.ReleaseConsent{Org: o, State: mosaic.ConsentPending})
	}
	w.ok(t, w.Store.CreateRelease(bg, &r, releaseAudit("pa-analyst")))
	return r
}

// approve has each of orgs approve r's current revision.
func (w *releaseWorld) approve(t *testing.T, r mosaic.Release, orgs ...string) {
	t.Helper()
	for _, o := range orgs {
		sc := mosaic.ReleaseScope{DraftOrg: o, Org: o, User: o + "-analyst"}
		w.ok(t, w.Store.Decide(bg, sc, r.ID, mosaic.ReleaseConsent{Org: o, State: mosaic.ConsentApproved, Revision: r.Revision, DecidedBy: o + "-analyst"}, releaseAudit(o+"-analyst")))
	}
}

// publication is what publishing r stores: one released object for each
// of ns, and a seal for each recipient, made from its consents as they
// stand.
func (w *releaseWorld) publication(t *testing.T, r mosaic.Release, at time.Time, ns ...int) mosaic.Publication {
	t.Helper()
	cur, err := w.Store.Release(bg, mosaic.ReleaseScope{DraftOrg: r.DrafterOrg}, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := mosaic.Publication{Consents: cur.Consents, Revision: r.Revision, Published: at, TLP: r.TLP, Digest: "sha256:" + r.Title,
		Bundle: json.RawMessage(`{"type":"bundle","id":"bundle--` + UUID(len(r.Title)) + `"}`), Record: json.RawMessage(`{"record":"` + r.Title + `"}`),
		FirstPublished: map[string]time.Time{}}
	for _, n := range ns {
		id := "indicator--" + UUID(1000+n)
		p.Objects = append(p.Objects, mosaic.ReleasedObject{ID: id, Type: "indicator", Modified: "2026-11-01T09:00:00.000Z",
			Object: json.RawMessage(Indicator(1000+n, "2026-11-01T09:00:00.000Z", "released", "[ipv4-addr:value = '10.0.0.0/24']"))})
		p.FirstPublished[id] = at
	}
	for _, rc := range r.Recipients {
		p.Seals = append(p.Seals, mosaic.ReleaseSeal{Recipient: rc, Digest: "sha256:" + r.Title + "/" + rc, KeyID: "key-1", Signature: []byte("sig " + rc)})
	}
	return p
}

// releasedIDs lists a collection's object ids, each with "!" when revoked.
func releasedIDs(t *testing.T, s Store, sc mosaic.ReleaseScope, collection string) []string {
	t.Helper()
	es, err := s.Released(bg, sc, mosaic.ReleasedFilter{Collection: collection})
	if err != nil {
		t.Fatalf("Released(%s) for %+v: %v", collection, sc, err)
	}
	var out []string
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Errorf("Released(%s): seq %d after %d", collection, e.Seq, es[i-1].Seq)
		}
		id := strings.TrimPrefix(e.ID, "indicator--")
		if e.Revoked {
			id += "!"
		}
		out = append(out, id)
	}
	// The count is of objects, not of their versions.
	ids := map[string]bool{}
	for _, e := range es {
		ids[e.ID] = true
	}
	if n, err := s.ReleasedCount(bg, sc, collection); err != nil || n != len(ids) {
		t.Errorf("ReleasedCount(%s) for %+v = %d, %v; want %d", collection, sc, n, err, len(ids))
	}
	return out
}

func testReleases(t *testing.T, open Opener) {
	w := newReleaseWorld(t, open)
	s := w.Store

	// A draft on hold: its drafting organisation sees it whole, the
	// organisations it will ask see nothing of it yet.
	r1 := w.draft(t, "r1", mosaic.ReleaseDraft, []string{"sector:healthcare"},
		[]mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pa"), releaseItem(2, mosaic.ItemObject, "pb"), releaseItem(3, mosaic.ItemSource, "pb")}, "pa", "pb")
	if len(r1.ID) != 36 || r1.ID[14] != '4' || r1.Revision != 1 || r1.DrafterOrg != "pa" || r1.Created.IsZero() || !r1.Updated.Equal(r1.Created) {
		t.Errorf("created release %+v", r1)
	}
	got, err := s.Release(bg, paDraft, r1.ID)
	if err != nil || got.State != mosaic.ReleaseDraft || len(got.Items) != 3 || len(got.Consents) != 2 || got.Drafter != "pa-analyst" ||
		!slices.Equal(got.Recipients, []string{"sector:healthcare"}) || string(got.Items[1].Object) != string(r1.Items[1].Object) {
		t.Errorf("the drafter's release: %+v, %v", got, err)
	}
	for _, sc := range []mosaic.ReleaseScope{pbDraft, pcDraft, shUser, nobody} {
		_, err := s.Release(bg, sc, r1.ID)
		wantCode(t, err, mosaic.CodeNotFound)
	}
	_, err = s.Release(bg, paDraft, UUID(77))
	wantCode(t, err, mosaic.CodeNotFound)
	wantCode(t, s.Decide(bg, pbDraft, r1.ID, mosaic.ReleaseConsent{Org: "pb", State: mosaic.ConsentApproved, Revision: 1, DecidedBy: "pb-analyst"}, releaseAudit("pb-analyst")), mosaic.CodeNotFound)
	wantCode(t, s.Decide(bg, paDraft, r1.ID, mosaic.ReleaseConsent{Org: "pa", State: mosaic.ConsentApproved, Revision: 1, DecidedBy: "pa-analyst"}, releaseAudit("pa-analyst")), mosaic.CodeConflict)

	// Asking for consent is a revision; only the drafting organisation
	// makes one, of the current revision.
	rev := r1
	rev.State = mosaic.ReleaseAwaitingConsent
	rev.Revision = 5
	wantCode(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	rev.Revision = 1
	wantCode(t, s.ReviseRelease(bg, pbDraft, &rev, releaseAudit("pb-analyst")), mosaic.CodeNotFound)
	w.ok(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")))
	r1 = rev
	if r1.Revision != 2 || r1.Updated.IsZero() {
		t.Errorf("revised: revision %d, updated %v", r1.Revision, r1.Updated)
	}

	// pb sees its own items and its own consent, and nothing of pa's; pc,
	// not asked, sees nothing.
	got, err = s.Release(bg, pbDraft, r1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 2 || got.Items[0].Originator != "pb" || got.Items[1].Originator != "pb" || len(got.Consents) != 1 || got.Consents[0].Org != "pb" ||
		got.Advice != r1.Advice || got.Revision != 2 {
		t.Errorf("pb's view: %+v", got)
	}
	_, err = s.Release(bg, pcDraft, r1.ID)
	wantCode(t, err, mosaic.CodeNotFound)

	// Consents: for the current revision, by the organisation asked itself.
	decide := func(sc mosaic.ReleaseScope, org string, state mosaic.ConsentState, revision int) error {
		return s.Decide(bg, sc, r1.ID, mosaic.ReleaseConsent{Org: org, State: state, Revision: revision, DecidedBy: org + "-analyst",
			Reason: "reason of " + org, Sanitise: json.RawMessage(`{"tlp":"green"}`), Attribute: org == "pb"}, releaseAudit(org+"-analyst"))
	}
	wantCode(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 1), mosaic.CodeConflict)
	wantCode(t, decide(pcDraft, "pc", mosaic.ConsentApproved, 2), mosaic.CodeNotFound)
	wantCode(t, decide(pbDraft, "pa", mosaic.ConsentApproved, 2), mosaic.CodeNotFound)
	wantCode(t, decide(pbDraft, "pb", "maybe", 2), mosaic.CodeInvalid)
	w.ok(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 2))
	err = s.Publish(bg, paDraft, r1.ID, w.publication(t, r1, w.Clock.Now(), 1, 2), releaseAudit("pa-analyst"))
	wantCode(t, err, mosaic.CodeConflict)
	if !strings.Contains(mosaic.ErrorMessage(err), "pa") {
		t.Errorf("publishing before pa consented: %v, want pa named", err)
	}
	w.ok(t, decide(paDraft, "pa", mosaic.ConsentApproved, 2))
	got, err = s.Release(bg, paDraft, r1.ID)
	if err != nil || got.State != mosaic.ReleaseReady {
		t.Fatalf("every consent in: %+v, %v", got, err)
	}
	if c := got.Consents[1]; c.Org != "pb" || c.State != mosaic.ConsentApproved || c.Revision != 2 || c.DecidedBy != "pb-analyst" || c.Decided.IsZero() ||
		!c.Attribute || c.Reason != "reason of pb" || string(c.Sanitise) != `{"tlp":"green"}` {
		t.Errorf("pb's consent as stored: %+v", c)
	}

	// A revision voids every consent; one for the old revision is refused.
	rev = r1
	rev.Advice = "Better advice."
	rev.State = mosaic.ReleaseAwaitingConsent
	w.ok(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")))
	r1 = rev
	got, _ = s.Release(bg, paDraft, r1.ID)
	if got.Revision != 3 || got.State != mosaic.ReleaseAwaitingConsent || got.Consents[0].State != mosaic.ConsentPending || got.Consents[1].DecidedBy != "" || got.Consents[1].Sanitise != nil {
		t.Errorf("after a revision: %+v", got)
	}
	wantCode(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 2), mosaic.CodeConflict)
	w.ok(t, decide(paDraft, "pa", mosaic.ConsentApproved, 3))
	// A refusal keeps it waiting, naming who refused; a change of mind is
	// allowed.
	w.ok(t, decide(pbDraft, "pb", mosaic.ConsentRefused, 3))
	err = s.Publish(bg, paDraft, r1.ID, w.publication(t, r1, w.Clock.Now(), 1, 2), releaseAudit("pa-analyst"))
	wantCode(t, err, mosaic.CodeConflict)
	if !strings.Contains(mosaic.ErrorMessage(err), "pb") {
		t.Errorf("publishing what pb refused: %v, want pb named", err)
	}
	w.ok(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 3))

	// Publishing: the drafting organisation only, of the revision agreed.
	w.Clock.Add(time.Hour)
	p1 := w.publication(t, r1, w.Clock.Now(), 1, 2)
	wantCode(t, s.Publish(bg, pbDraft, r1.ID, p1, releaseAudit("pb-analyst")), mosaic.CodeNotFound)
	old := p1
	old.Revision = 2
	wantCode(t, s.Publish(bg, paDraft, r1.ID, old, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	// A consent decided again after the publication was made from it
	// (here: the same approval, at a later time) must be heard first.
	w.Clock.Add(time.Minute)
	w.ok(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 3))
	wantCode(t, s.Publish(bg, paDraft, r1.ID, p1, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	p1 = w.publication(t, r1, p1.Published, 1, 2)
	w.ok(t, s.Publish(bg, paDraft, r1.ID, p1, releaseAudit("pa-analyst")))
	wantCode(t, s.Publish(bg, paDraft, r1.ID, p1, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	wantCode(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	wantCode(t, decide(pbDraft, "pb", mosaic.ConsentApproved, 3), mosaic.CodeConflict)
	got, _ = s.Release(bg, paDraft, r1.ID)
	if got.State != mosaic.ReleasePublished || !got.Published.Equal(p1.Published) || got.Digest != p1.Digest {
		t.Errorf("published release: %+v", got)
	}
	if got, err := s.Release(bg, pbDraft, r1.ID); err != nil || got.State != mosaic.ReleasePublished || len(got.Items) != 2 || len(got.Consents) != 1 {
		t.Errorf("pb's view of the published release: %+v, %v", got, err)
	}
	if rec, err := s.ReleaseRecord(bg, paDraft, r1.ID); err != nil || string(rec) != string(p1.Record) {
		t.Errorf("record: %s, %v", rec, err)
	}
	firsts, err := s.FirstPublished(bg, []string{"indicator--" + UUID(1001), "indicator--" + UUID(1002), "indicator--" + UUID(1009)})
	if err != nil || len(firsts) != 2 || !firsts["indicator--"+UUID(1001)].Equal(p1.Published) {
		t.Errorf("first published: %v, %v", firsts, err)
	}

	// Delivered by sector: to the stakeholders in it, not the others.
	for _, sc := range []mosaic.ReleaseScope{shUser, shOrg, sh3User} {
		d, err := s.Delivered(bg, sc, r1.ID)
		if err != nil || d.Recipient != "sector:healthcare" || d.Seal.Recipient != "sector:healthcare" || d.Seal.Digest != "sha256:r1/sector:healthcare" ||
			string(d.Seal.Signature) != "sig sector:healthcare" || string(d.Bundle) != string(p1.Bundle) || d.Advice != "Better advice." || !d.Published.Equal(p1.Published) {
			t.Errorf("delivered to %+v: %+v, %v", sc, d, err)
		}
	}
	if got := releasedIDs(t, s, shOrg, "org:sh"); !slices.Equal(got, []string{UUID(1001), UUID(1002)}) {
		t.Errorf("sh's collection: %v", got)
	}
	if got := releasedIDs(t, s, sh2User, "org:sh2"); len(got) != 0 {
		t.Errorf("sh2, of another sector, received %v", got)
	}
	if got := releasedIDs(t, s, nobody, "public"); len(got) != 0 {
		t.Errorf("the public received %v", got)
	}
	// An organisation it was not delivered to finds nothing, nor does the
	// drafter as a recipient.
	for _, sc := range []mosaic.ReleaseScope{pcDraft, sh2User, paDraft, nobody} {
		_, err := s.Delivered(bg, sc, r1.ID)
		wantCode(t, err, mosaic.CodeNotFound)
		wantCode(t, s.AddReceipt(bg, sc, r1.ID, mosaic.Receipt{User: sc.User, Status: mosaic.ReceiptReceived}, releaseAudit(sc.User)), mosaic.CodeNotFound)
	}
	for _, sc := range []mosaic.ReleaseScope{pbDraft, pcDraft, shUser} {
		_, err := s.ReleaseRecord(bg, sc, r1.ID)
		wantCode(t, err, mosaic.CodeNotFound)
	}
	_, err = s.Released(bg, pcDraft, mosaic.ReleasedFilter{Collection: "org:sh"})
	wantCode(t, err, mosaic.CodeNotFound)
	_, err = s.Released(bg, shOrg, mosaic.ReleasedFilter{Collection: "user:sh-user"})
	wantCode(t, err, mosaic.CodeNotFound)
	_, err = s.Released(bg, shUser, mosaic.ReleasedFilter{Collection: "sector:healthcare"})
	wantCode(t, err, mosaic.CodeNotFound)
	for sc, collection := range map[mosaic.ReleaseScope]string{pcDraft: "org:sh", shOrg: "user:sh-user", shUser: "sector:healthcare"} {
		_, err = s.ReleasedCount(bg, sc, collection)
		wantCode(t, err, mosaic.CodeNotFound)
	}

	// One addressee reached several ways gets its own addressing, and a
	// collection's objects once.
	r2 := w.draft(t, "r2", mosaic.ReleaseAwaitingConsent, []string{"user:sh-user", "org:sh", "org:sh3", "sector:energy"}, []mosaic.ReleaseItem{releaseItem(4, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r2, "pa")
	w.ok(t, s.Publish(bg, paDraft, r2.ID, w.publication(t, r2, w.Clock.Now(), 4), releaseAudit("pa-analyst")))
	for sc, want := range map[mosaic.ReleaseScope]string{shUser: "user:sh-user", shOrg: "org:sh", sh3User: "org:sh3", sh2User: "sector:energy"} {
		if d, err := s.Delivered(bg, sc, r2.ID); err != nil || d.Recipient != want || d.Seal.Recipient != want {
			t.Errorf("r2 delivered to %+v as %q, %v; want %q", sc, d.Recipient, err, want)
		}
	}
	if got := releasedIDs(t, s, sh3User, "org:sh3"); !slices.Equal(got, []string{UUID(1001), UUID(1002), UUID(1004)}) {
		t.Errorf("sh3's collection: %v", got)
	}

	// What goes to a user never lands in its organisation's collection.
	r3 := w.draft(t, "r3", mosaic.ReleaseAwaitingConsent, []string{"user:sh-user"}, []mosaic.ReleaseItem{releaseItem(5, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r3, "pa")
	w.ok(t, s.Publish(bg, paDraft, r3.ID, w.publication(t, r3, w.Clock.Now(), 5), releaseAudit("pa-analyst")))
	if got := releasedIDs(t, s, shUser, "org:sh"); !slices.Equal(got, []string{UUID(1001), UUID(1002), UUID(1004)}) {
		t.Errorf("sh's collection: %v", got)
	}
	if got := releasedIDs(t, s, shUser, "user:sh-user"); !slices.Equal(got, []string{UUID(1004), UUID(1005)}) {
		t.Errorf("sh-user's collection: %v", got)
	}
	_, err = s.Delivered(bg, shOrg, r3.ID)
	wantCode(t, err, mosaic.CodeNotFound)

	// What goes to the public reaches everyone, the empty scope too.
	r4 := w.draft(t, "r4", mosaic.ReleaseAwaitingConsent, []string{"public"}, []mosaic.ReleaseItem{releaseItem(6, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r4, "pa")
	w.ok(t, s.Publish(bg, paDraft, r4.ID, w.publication(t, r4, w.Clock.Now(), 6), releaseAudit("pa-analyst")))
	for _, sc := range []mosaic.ReleaseScope{nobody, shUser, pcDraft} {
		if d, err := s.Delivered(bg, sc, r4.ID); err != nil || d.Recipient != "public" {
			t.Errorf("r4 delivered to %+v: %+v, %v", sc, d, err)
		}
	}
	if got := releasedIDs(t, s, nobody, "public"); !slices.Equal(got, []string{UUID(1006)}) {
		t.Errorf("the public collection: %v", got)
	}
	if es, err := s.Released(bg, shUser, mosaic.ReleasedFilter{Collection: "org:sh", Types: []string{"indicator"}, IDs: []string{"indicator--" + UUID(1004)}}); err != nil ||
		len(es) != 1 || es[0].Release != r2.ID || es[0].Type != "indicator" || !es[0].Added.Equal(w.Clock.Now()) {
		t.Errorf("filtered collection: %+v, %v", es, err)
	}
	if es, _ := s.Released(bg, shUser, mosaic.ReleasedFilter{Collection: "org:sh", Limit: 2}); len(es) != 2 {
		t.Errorf("limited collection: %d entries", len(es))
	} else if rest := releasedAfter(t, s, shUser, "org:sh", es[1].Seq); !slices.Equal(rest, []string{UUID(1004)}) {
		t.Errorf("collection after %d: %v", es[1].Seq, rest)
	}

	// Publishing is all or nothing: a recipient that does not resolve
	// leaves the release ready and nothing stored.
	r5 := w.draft(t, "r5", mosaic.ReleaseAwaitingConsent, []string{"org:sh", "user:ghost"}, []mosaic.ReleaseItem{releaseItem(7, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r5, "pa")
	err = s.Publish(bg, paDraft, r5.ID, w.publication(t, r5, w.Clock.Now(), 7), releaseAudit("pa-analyst"))
	wantCode(t, err, mosaic.CodeInvalid)
	if !strings.Contains(mosaic.ErrorMessage(err), "user:ghost") {
		t.Errorf("unresolvable recipient: %v, want it named", err)
	}
	r5.Recipients = []string{"org:sh", "sector:financial-services"}
	w.ok(t, s.ReviseRelease(bg, paDraft, &r5, releaseAudit("pa-analyst")))
	w.approve(t, r5, "pa")
	err = s.Publish(bg, paDraft, r5.ID, w.publication(t, r5, w.Clock.Now(), 7), releaseAudit("pa-analyst"))
	wantCode(t, err, mosaic.CodeInvalid)
	if !strings.Contains(mosaic.ErrorMessage(err), "sector:financial-services") {
		t.Errorf("a sector with nobody in it: %v, want it named", err)
	}
	if got, _ := s.Release(bg, paDraft, r5.ID); got.State != mosaic.ReleaseReady || !got.Published.IsZero() || got.Digest != "" {
		t.Errorf("after a failed publish: %+v", got)
	}
	_, err = s.Delivered(bg, shOrg, r5.ID)
	wantCode(t, err, mosaic.CodeNotFound)
	_, err = s.ReleaseRecord(bg, paDraft, r5.ID)
	wantCode(t, err, mosaic.CodeNotFound)
	if firsts, _ := s.FirstPublished(bg, []string{"indicator--" + UUID(1007)}); len(firsts) != 0 {
		t.Errorf("first published after a failed publish: %v", firsts)
	}
	if got := releasedIDs(t, s, shOrg, "org:sh"); slices.Contains(got, UUID(1007)) {
		t.Errorf("an object of a failed publish was released: %v", got)
	}
	_, err = s.Feedback(bg, r5.ID, mosaic.FeedbackFilter{})
	wantCode(t, err, mosaic.CodeNotFound)

	// Feedback, from those it was delivered to.
	w.ok(t, s.AddReceipt(bg, shUser, r1.ID, mosaic.Receipt{Org: "sh", User: "sh-user", Status: mosaic.ReceiptReceived, Comment: "thanks"}, releaseAudit("sh-user")))
	w.Clock.Add(time.Minute)
	w.ok(t, s.AddReceipt(bg, sh3User, r1.ID, mosaic.Receipt{Org: "sh3", User: "sh3-user", Status: mosaic.ReceiptApplied}, releaseAudit("sh3-user")))
	wantCode(t, s.AddReceipt(bg, shUser, r1.ID, mosaic.Receipt{User: "sh-user", Status: "lost"}, releaseAudit("sh-user")), mosaic.CodeInvalid)
	sighting := json.RawMessage(`{"type":"sighting","id":"sighting--` + UUID(9) + `"}`)
	w.ok(t, s.AddSightings(bg, shUser, r1.ID, []mosaic.ReportedSighting{{Org: "sh", User: "sh-user", Sighting: sighting}, {Org: "sh", User: "sh-user", Sighting: sighting}}, releaseAudit("sh-user")))
	wantCode(t, s.AddSightings(bg, sh2User, r1.ID, []mosaic.ReportedSighting{{Org: "sh2", User: "sh2-user", Sighting: sighting}}, releaseAudit("sh2-user")), mosaic.CodeNotFound)
	many := make([]mosaic.ReportedSighting, 10001)
	for i := range many {
		many[i] = mosaic.ReportedSighting{Org: "sh", User: "sh-user", Sighting: sighting}
	}
	wantCode(t, s.AddSightings(bg, shUser, r1.ID, many, releaseAudit("sh-user")), mosaic.CodeTooLarge)
	fb, err := s.Feedback(bg, r1.ID, mosaic.FeedbackFilter{})
	if err != nil || len(fb.Receipts) != 2 || fb.Receipts[0].User != "sh-user" || fb.Receipts[0].Comment != "thanks" || fb.Receipts[1].Org != "sh3" ||
		fb.Receipts[1].Status != mosaic.ReceiptApplied || !fb.Receipts[1].Time.After(fb.Receipts[0].Time) ||
		len(fb.Sightings) != 2 || string(fb.Sightings[0].Sighting) != string(sighting) || fb.Sightings[0].Org != "sh" {
		t.Errorf("feedback: %+v, %v", fb, err)
	}
	if fb, err := s.Feedback(bg, r1.ID, mosaic.FeedbackFilter{Orgs: []string{"sh3"}}); err != nil || len(fb.Receipts) != 1 || len(fb.Sightings) != 0 {
		t.Errorf("sh3's feedback: %+v, %v", fb, err)
	}

	// Withdrawing: the drafting organisation only; recipients get the
	// revoked versions after what they had.
	w.Clock.Add(time.Hour)
	wd := mosaic.Withdrawal{Withdrawn: w.Clock.Now(), Reason: "wrong", Entry: json.RawMessage(`{"withdrawn":"r1"}`),
		Revoked: []mosaic.ReleasedObject{{ID: "indicator--" + UUID(1001), Type: "indicator", Modified: "2026-11-01T11:00:00.000Z", Object: json.RawMessage(`{"revoked":true}`)}}}
	wantCode(t, s.Withdraw(bg, pbDraft, r1.ID, wd, releaseAudit("pb-analyst")), mosaic.CodeNotFound)
	// An unpublished release is discarded, with nothing to revoke.
	wantCode(t, s.Withdraw(bg, paDraft, r5.ID, wd, releaseAudit("pa-analyst")), mosaic.CodeInvalid)
	w.ok(t, s.Withdraw(bg, paDraft, r1.ID, wd, releaseAudit("pa-analyst")))
	wantCode(t, s.Withdraw(bg, paDraft, r1.ID, wd, releaseAudit("pa-analyst")), mosaic.CodeConflict)
	if d, err := s.Delivered(bg, shUser, r1.ID); err != nil || !d.Withdrawn.Equal(wd.Withdrawn) || d.WithdrawReason != "wrong" || string(d.Withdrawal) != string(wd.Entry) {
		t.Errorf("withdrawn delivery: %+v, %v", d, err)
	}
	if got := releasedIDs(t, s, shOrg, "org:sh"); !slices.Equal(got, []string{UUID(1001), UUID(1002), UUID(1004), UUID(1001) + "!"}) {
		t.Errorf("sh's collection after the withdrawal: %v", got)
	}
	if got, err := s.Release(bg, pbDraft, r1.ID); err != nil || got.State != mosaic.ReleaseWithdrawn || len(got.Items) != 2 || got.WithdrawReason != "wrong" {
		t.Errorf("pb's view of the withdrawn release: %+v, %v", got, err)
	}
	wantCode(t, s.AddReceipt(bg, shUser, r1.ID, mosaic.Receipt{User: "sh-user", Status: mosaic.ReceiptApplied}, releaseAudit("sh-user")), mosaic.CodeConflict)
	if rec, err := s.ReleaseRecord(bg, paDraft, r1.ID); err != nil || string(rec) != string(p1.Record) {
		t.Errorf("record of the withdrawn release: %s, %v", rec, err)
	}
	// What the workflow reads of the cell's side beside the interface:
	// the objects to revoke, and whose feedback it is.
	ex, isOK := s.(releaseExtras)
	if !isOK {
		t.Fatal("the store has no PublishedObjects or ReleaseOrigin")
	}
	if objs, err := ex.PublishedObjects(bg, paDraft, r1.ID); err != nil || len(objs) != 3 || objs[0].ID != "indicator--"+UUID(1001) || objs[0].Revoked || !objs[2].Revoked {
		t.Errorf("published objects: %+v, %v", objs, err)
	}
	for _, id := range []string{r5.ID, UUID(77)} {
		_, err = ex.PublishedObjects(bg, paDraft, id)
		wantCode(t, err, mosaic.CodeNotFound)
		_, _, err = ex.ReleaseOrigin(bg, id)
		wantCode(t, err, mosaic.CodeNotFound)
	}
	_, err = ex.PublishedObjects(bg, pbDraft, r1.ID)
	wantCode(t, err, mosaic.CodeNotFound)
	if org, state, err := ex.ReleaseOrigin(bg, r1.ID); err != nil || org != "pa" || state != mosaic.ReleaseWithdrawn {
		t.Errorf("origin of r1: %s %s %v", org, state, err)
	}

	// Listings: what each scope sees, newest first.
	type entry struct {
		title, recipient string
		revision         int
		state            mosaic.ReleaseState
	}
	titles := map[string]string{r1.ID: "r1", r2.ID: "r2", r3.ID: "r3", r4.ID: "r4", r5.ID: "r5"}
	list := func(sc mosaic.ReleaseScope, f mosaic.ReleaseFilter) ([]entry, []mosaic.ReleaseSummary) {
		t.Helper()
		rs, err := s.ReleaseList(bg, sc, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []entry
		for _, r := range rs {
			out = append(out, entry{titles[r.ID], r.Recipient, r.Revision, r.State})
		}
		return out, rs
	}
	for _, tc := range []struct {
		sc   mosaic.ReleaseScope
		want []entry
	}{
		{paDraft, []entry{{"r5", "", 2, mosaic.ReleaseReady}, {"r4", "public", 1, mosaic.ReleasePublished}, {"r3", "", 1, mosaic.ReleasePublished},
			{"r2", "", 1, mosaic.ReleasePublished}, {"r1", "", 3, mosaic.ReleaseWithdrawn}}},
		{pbDraft, []entry{{"r4", "public", 0, mosaic.ReleasePublished}, {"r1", "", 3, mosaic.ReleaseWithdrawn}}},
		{pcDraft, []entry{{"r4", "public", 0, mosaic.ReleasePublished}}},
		{shUser, []entry{{"r4", "public", 0, mosaic.ReleasePublished}, {"r3", "user:sh-user", 0, mosaic.ReleasePublished},
			{"r2", "user:sh-user", 0, mosaic.ReleasePublished}, {"r1", "sector:healthcare", 0, mosaic.ReleaseWithdrawn}}},
		{shOrg, []entry{{"r4", "public", 0, mosaic.ReleasePublished}, {"r2", "org:sh", 0, mosaic.ReleasePublished}, {"r1", "sector:healthcare", 0, mosaic.ReleaseWithdrawn}}},
		{sh2User, []entry{{"r4", "public", 0, mosaic.ReleasePublished}, {"r2", "sector:energy", 0, mosaic.ReleasePublished}}},
		{nobody, []entry{{"r4", "public", 0, mosaic.ReleasePublished}}},
	} {
		if got, _ := list(tc.sc, mosaic.ReleaseFilter{}); !slices.Equal(got, tc.want) {
			t.Errorf("releases of %+v:\n got %v\nwant %v", tc.sc, got, tc.want)
		}
	}
	if got, _ := list(paDraft, mosaic.ReleaseFilter{States: []mosaic.ReleaseState{mosaic.ReleaseWithdrawn, mosaic.ReleaseReady}}); len(got) != 2 || got[0].title != "r5" || got[1].title != "r1" {
		t.Errorf("pa's withdrawn and ready releases: %v", got)
	}
	_, page := list(paDraft, mosaic.ReleaseFilter{Limit: 2})
	if len(page) != 2 || titles[page[0].ID] != "r5" {
		t.Fatalf("first page: %+v", page)
	}
	if got, _ := list(paDraft, mosaic.ReleaseFilter{Limit: 2, Before: page[1].Seq}); len(got) != 2 || got[0].title != "r3" || got[1].title != "r2" {
		t.Errorf("second page: %v", got)
	}

	// Every change that succeeded was audited, in its own transaction;
	// none that failed was.
	entries, err := s.AuditEntries(bg, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "release.test" {
			n++
		}
	}
	if n != w.audits {
		t.Errorf("%d release changes audited, want %d", n, w.audits)
	}
}

func releasedAfter(t *testing.T, s Store, sc mosaic.ReleaseScope, collection string, after int64) []string {
	t.Helper()
	es, err := s.Released(bg, sc, mosaic.ReleasedFilter{Collection: collection, After: after})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, strings.TrimPrefix(e.ID, "indicator--"))
	}
	return out
}

// testReleasesLarge publishes 10,000 objects to 500 organisations of a
// sector, in one transaction that must stay short: on SQLite it holds the
// only writer.
func testReleasesLarge(t *testing.T, open Opener) {
	if testing.Short() {
		t.Skip("a large publication")
	}
	w := newReleaseWorld(t, open)
	s := w.Store
	const orgs, objects = 500, 10000
	for i := range orgs {
		o := mosaic.Organisation{Name: fmt.Sprintf("grid-%03d", i), FullName: "Grid", Kind: mosaic.Stakeholder, Sectors: []string{"infrastructure", "energy"}}
		if err := s.CreateOrg(bg, &o, setup()); err != nil {
			t.Fatal(err)
		}
	}
	r := w.draft(t, "large", mosaic.ReleaseAwaitingConsent, []string{"sector:energy"}, []mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pa")}, "pa")
	w.approve(t, r, "pa")
	ns := make([]int, objects)
	for i := range ns {
		ns[i] = i
	}
	p := w.publication(t, r, w.Clock.Now(), ns...)
	// How long it takes is BenchmarkPublish's to measure (BENCHMARKS.md).
	if err := s.Publish(bg, paDraft, r.ID, p, releaseAudit("pa-analyst")); err != nil {
		t.Fatal(err)
	}
	if es, err := s.Released(bg, mosaic.ReleaseScope{Org: "grid-499"}, mosaic.ReleasedFilter{Collection: "org:grid-499", Limit: 5000}); err != nil || len(es) != 1000 {
		t.Errorf("a grid operator's collection: %d entries (want the maximum page, 1000), %v", len(es), err)
	}
	ids := make([]string, 0, objects)
	for id := range p.FirstPublished {
		ids = append(ids, id)
	}
	if firsts, err := s.FirstPublished(bg, ids); err != nil || len(firsts) != objects {
		t.Errorf("first published: %d of %d, %v", len(firsts), objects, err)
	}
	if d, err := s.Delivered(bg, mosaic.ReleaseScope{Org: "grid-000"}, r.ID); err != nil || d.Recipient != "sector:energy" {
		t.Errorf("delivered to grid-000: %q, %v", d.Recipient, err)
	}
}

// testReleaseAdviceDeadline checks the advice in Dutch and the consent
// deadline: both kept, the advice delivered in both languages, the
// deadline shown to the cell and never to a recipient.
func testReleaseAdviceDeadline(t *testing.T, open Opener) {
	w := newReleaseWorld(t, open)
	s := w.Store
	deadline := Epoch.Add(48 * time.Hour).UTC()
	r := mosaic.Release{Title: "bilingual", Advice: "Patch now.", AdviceNL: "Nu patchen.\nEn controleer.", Recipients: []string{"org:sh"},
		Dangling: mosaic.DanglingRefuse, TLP: mosaic.TLPGreen, Drafter: "pa-analyst", State: mosaic.ReleaseAwaitingConsent, Deadline: deadline,
		Items:    []mosaic.ReleaseItem{releaseItem(1, mosaic.ItemObject, "pb")},
		Consents: []mosaic.ReleaseConsent{{Org: "pb", State: mosaic.ConsentPending}}}
	w.ok(t, s.CreateRelease(bg, &r, releaseAudit("pa-analyst")))
	for _, sc := range []mosaic.ReleaseScope{paDraft, pbDraft} {
		got, err := s.Release(bg, sc, r.ID)
		if err != nil || got.AdviceNL != r.AdviceNL || !got.Deadline.Equal(deadline) {
			t.Errorf("%s's release: advice_nl %q, deadline %v, %v", sc.DraftOrg, got.AdviceNL, got.Deadline, err)
		}
		l, err := s.ReleaseList(bg, sc, mosaic.ReleaseFilter{})
		if err != nil || len(l) != 1 || !l[0].Deadline.Equal(deadline) || l[0].DrafterOrg != "pa" || !l[0].Created.Equal(Epoch) {
			t.Errorf("%s's listing: %+v, %v", sc.DraftOrg, l, err)
		}
		// Only the organisation asked has a consent of its own, and an
		// inbox that lists the release.
		asked, err := s.ReleaseList(bg, sc, mosaic.ReleaseFilter{Asked: true})
		switch sc.DraftOrg {
		case "pb":
			if pending, err := s.ReleaseList(bg, sc, mosaic.ReleaseFilter{Pending: true}); err != nil || len(pending) != 1 {
				t.Errorf("pb's pending %+v, %v", pending, err)
			}
			if err != nil || len(asked) != 1 || l[0].Consent == nil || l[0].Consent.Org != "pb" || l[0].Consent.State != mosaic.ConsentPending || l[0].Consent.DecidedBy != "" {
				t.Errorf("pb's inbox %+v, own consent %+v, %v", asked, l[0].Consent, err)
			}
		default:
			if err != nil || len(asked) != 0 || l[0].Consent != nil {
				t.Errorf("%s's inbox %+v, own consent %+v, %v", sc.DraftOrg, asked, l[0].Consent, err)
			}
		}
	}
	// A revision without a deadline takes it away.
	rev := r
	rev.Deadline = time.Time{}
	w.ok(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")))
	if got, err := s.Release(bg, paDraft, r.ID); err != nil || !got.Deadline.IsZero() || got.AdviceNL != r.AdviceNL {
		t.Errorf("revised: deadline %v, advice_nl %q, %v", got.Deadline, got.AdviceNL, err)
	}
	rev.Deadline = deadline
	w.ok(t, s.ReviseRelease(bg, paDraft, &rev, releaseAudit("pa-analyst")))
	w.approve(t, rev, "pb")
	w.ok(t, s.Publish(bg, paDraft, r.ID, w.publication(t, rev, w.Clock.Now(), 1), releaseAudit("pa-analyst")))
	d, err := s.Delivered(bg, shUser, r.ID)
	if err != nil || d.Advice != r.Advice || d.AdviceNL != r.AdviceNL {
		t.Errorf("delivered: %q / %q, %v", d.Advice, d.AdviceNL, err)
	}
	l, err := s.ReleaseList(bg, shUser, mosaic.ReleaseFilter{})
	if err != nil || len(l) != 1 || !l[0].Deadline.IsZero() || l[0].DrafterOrg != "" || l[0].Consent != nil || !l[0].Created.IsZero() {
		t.Errorf("the recipient's listing shows the cell's side: %+v, %v", l, err)
	}
	// Decided, it is pending no more.
	if l, err := s.ReleaseList(bg, pbDraft, mosaic.ReleaseFilter{Pending: true}); err != nil || len(l) != 0 {
		t.Errorf("pb's pending after deciding: %+v, %v", l, err)
	}
	// Decided, the consent says by whom.
	if l, err := s.ReleaseList(bg, pbDraft, mosaic.ReleaseFilter{Asked: true}); err != nil || len(l) != 1 || l[0].Consent == nil ||
		l[0].Consent.State != mosaic.ConsentApproved || l[0].Consent.DecidedBy != "pb-analyst" || l[0].Consent.Revision != 3 {
		t.Errorf("pb's inbox after deciding: %+v, %v", l, err)
	}
}
