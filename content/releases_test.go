package content_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
)

// releaseEnv is a World with releases on, liaisons for pa and pb, and a
// second stakeholder (sh2, energy) that is told nothing.
type releaseEnv struct {
	*env
	keys               *release.Keys
	paLiaison, pbLiais mosaic.Viewer
	sh2                mosaic.Viewer
}

func newReleaseEnv(t *testing.T) *releaseEnv {
	e := newEnv(t)
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), e.w.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs, ok := e.w.Store.(content.ReleaseStore)
	if !ok {
		t.Fatal("the store keeps no releases")
	}
	e.svc.EnableReleases(rs, content.ReleaseConfig{Keys: keys, CellName: "Test cell", FeedbackReaders: []string{"pc"}})
	a := mosaic.AuditEntry{Time: storetest.Epoch, User: "test", Action: "setup", Decision: mosaic.Allowed}
	sh2 := mosaic.Organisation{Name: "sh2", FullName: "Second stakeholder", Kind: mosaic.Stakeholder, Sectors: []string{"energy"}}
	if err := e.w.Store.CreateOrg(bg, &sh2, a); err != nil {
		t.Fatal(err)
	}
	user := func(name, org string, kind mosaic.OrgKind, role mosaic.Role) mosaic.Viewer {
		u := mosaic.User{Name: name, Org: org, Role: role}
		if err := e.w.Store.CreateUser(bg, &u, "", a); err != nil {
			t.Fatal(err)
		}
		return mosaic.Viewer{UserID: u.ID, User: name, OrgID: u.OrgID, Org: org, OrgKind: kind, Role: role}
	}
	return &releaseEnv{env: e, keys: keys, paLiaison: e.w.ALiaison,
		pbLiais: user("pb-liaison", "pb", mosaic.Partner, mosaic.Liaison),
		sh2:     user("sh2-user", "sh2", mosaic.Stakeholder, mosaic.StakeholderViewer)}
}

var (
	draftAccess   = content.Access{Action: "releases.draft"}
	consentAccess = content.Access{Action: "releases.consent"}
	publish       = content.Access{Action: "releases.publish"}
	readAccess    = content.Access{Action: "releases.read"}
)

const (
	srcA  = `{"type":"indicator","spec_version":"2.1","id":"indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","created":"2026-10-01T08:15:42.123Z","modified":"2026-10-01T08:15:42.123Z","name":"Beacon of partner A","pattern":"[ipv4-addr:value = '198.51.100.77']","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z","x_source_note":"from the wiretap"}`
	srcB  = `{"type":"indicator","spec_version":"2.1","id":"indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0002","created":"2026-10-02T09:16:43.456Z","modified":"2026-10-02T09:16:43.456Z","name":"Dropper of partner B","pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']","pattern_type":"stix","valid_from":"2026-10-02T09:16:43Z"}`
	relAB = `{"type":"relationship","spec_version":"2.1","id":"relationship--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0003","created":"2026-10-03T10:00:00.000Z","modified":"2026-10-03T10:00:00.000Z","relationship_type":"related-to","source_ref":"indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","target_ref":"indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0099"}`
)

func pinOf(obj string) content.Pin {
	var h struct{ ID, Modified string }
	json.Unmarshal([]byte(obj), &h)
	return content.Pin{ID: h.ID, Modified: h.Modified}
}

// seed has pa share srcA with the cell (AMBER, ORCON) and pb share srcB
// (GREEN, ORCON).
func (e *releaseEnv) seed(t *testing.T) {
	a := cell
	a.TLP = mosaic.TLPAmber
	e.w.Ingest(t, e.w.A, storetest.Record(t, srcA, a), storetest.Record(t, relAB, a))
	e.w.Ingest(t, e.w.B, storetest.Record(t, srcB, cell))
}

func (e *releaseEnv) draft(t *testing.T, d content.Draft) mosaic.Release {
	t.Helper()
	r, err := e.svc.DraftRelease(bg, e.w.A, d, draftAccess)
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	return r
}

func (e *releaseEnv) consent(t *testing.T, v mosaic.Viewer, id string, c content.Consent) mosaic.Release {
	t.Helper()
	r, err := e.svc.Consent(bg, v, id, c, consentAccess)
	if err != nil {
		var probs []mosaic.Problem
		if me, ok := err.(*mosaic.Error); ok {
			probs = me.Problems
		}
		t.Fatalf("consent of %s: %v %+v", v.User, err, probs)
	}
	return r
}

func TestReleaseFlow(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block these", Advice: "Block the address and the file.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{pinOf(srcA), pinOf(srcB)}})
	if r.State != mosaic.ReleaseAwaitingConsent || r.Revision != 1 || r.TLP != mosaic.TLPAmber {
		t.Fatalf("drafted %s revision %d %s", r.State, r.Revision, r.TLP)
	}
	if got := consentOrgs(r); got != "pa,pb" {
		t.Fatalf("consents of %s, want pa,pb", got)
	}

	// pb's liaison sees pb's object only, and pb's consent only.
	asked, err := e.svc.Release(bg, e.pbLiais, r.ID, readAccess)
	if err != nil || asked.Release == nil {
		t.Fatalf("pb reads its request: %v", err)
	}
	if len(asked.Release.Items) != 1 || asked.Release.Items[0].Originator != "pb" || consentOrgs(*asked.Release) != "pb" {
		t.Fatalf("pb sees %+v and consents %s", asked.Release.Items, consentOrgs(*asked.Release))
	}
	if asked.Delivery != nil {
		t.Fatal("a draft was delivered")
	}
	// Nobody is told before it is published; the other stakeholder never.
	for _, v := range []mosaic.Viewer{e.w.Stakeholder, e.sh2, e.w.C, e.w.Admin, e.w.Auditor} {
		if _, err := e.svc.Release(bg, v, r.ID, readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Errorf("%s reads the draft: %v", v.User, err)
		}
	}

	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 0, publish); mosaic.ErrorCode(err) != mosaic.CodeConflict || !strings.Contains(err.Error(), "pb") {
		t.Fatalf("publish before consent: %v", err)
	}
	san := map[string]content.ObjectSanitisation{pinOf(srcA).ID: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}, TLP: mosaic.TLPGreen}}
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: san})
	// pb sees its own consent only, and not whether the others are in.
	if r := e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}); r.State != mosaic.ReleaseAwaitingConsent {
		t.Errorf("pb sees the release %s", r.State)
	}
	if drafted, err := e.svc.Release(bg, e.w.A, r.ID, readAccess); err != nil || drafted.Release.State != mosaic.ReleaseReady {
		t.Fatalf("after both consents: %+v %v", drafted.Release, err)
	}
	r, err = e.svc.Publish(bg, e.w.A, r.ID, 1, publish)
	if err != nil {
		t.Fatal(err)
	}
	if r.State != mosaic.ReleasePublished || r.Digest == "" {
		t.Fatalf("published: %s %q", r.State, r.Digest)
	}

	got, err := e.svc.Release(bg, e.w.Stakeholder, r.ID, readAccess)
	if err != nil || got.Delivery == nil || got.Release != nil {
		t.Fatalf("the stakeholder reads it: %+v %v", got, err)
	}
	d := got.Delivery
	if d.TLP != mosaic.TLPGreen || d.Recipient != "org:sh" {
		t.Errorf("delivered at %s to %s, want green to org:sh", d.TLP, d.Recipient)
	}
	file, err := e.svc.SnapshotFile(bg, e.w.Stakeholder, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := release.Verify(file, e.keys.PublicKeys()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// Nothing of the sources reaches the recipient.
	for _, secret := range []string{"0a6a2c52", "198.51.100.77", "wiretap", "x_source_note", "Partner A", `"pa"`, `"pb"`, "wiv2017", "wpg", "08:15:42.123", "09:16:43.456",
		e.w.Orgs["pa"].Identity, e.w.Orgs["pb"].Identity} {
		if bytes.Contains(file, []byte(secret)) || bytes.Contains(d.Bundle, []byte(secret)) {
			t.Errorf("the snapshot holds %q", secret)
		}
	}
	if !bytes.Contains(d.Bundle, []byte("198.51.100.0/24")) {
		t.Error("the generalised address is not in the bundle")
	}
	for _, v := range []mosaic.Viewer{e.sh2, e.w.C, e.w.Admin} {
		if _, err := e.svc.Release(bg, v, r.ID, readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Errorf("%s reads the release: %v", v.User, err)
		}
		if _, err := e.svc.SnapshotFile(bg, v, r.ID, readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Errorf("%s downloads the release: %v", v.User, err)
		}
		list, err := e.svc.ReleaseList(bg, v, mosaic.ReleaseFilter{}, readAccess)
		if err != nil || len(list) != 0 {
			t.Errorf("%s lists %v, %v", v.User, list, err)
		}
	}

	// The stakeholder reports back; the drafter and the feedback reader
	// read it, the other stakeholder cannot even post.
	if err := e.svc.Receipt(bg, e.w.Stakeholder, r.ID, mosaic.ReceiptApplied, "blocked at the edge", readAccess); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Receipt(bg, e.sh2, r.ID, mosaic.ReceiptApplied, "", readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("sh2 reports on a release it never got: %v", err)
	}
	var indicatorID string
	var bundle struct {
		Objects []struct{ ID, Type string } `json:"objects"`
	}
	json.Unmarshal(d.Bundle, &bundle)
	for _, o := range bundle.Objects {
		if o.Type == "indicator" {
			indicatorID = o.ID
		}
	}
	sighting := `{"type":"bundle","id":"bundle--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c00aa","objects":[{"type":"sighting","spec_version":"2.1","id":"sighting--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c00ab","created":"2026-12-07T10:00:00.000Z","modified":"2026-12-07T10:00:00.000Z","sighting_of_ref":"` + indicatorID + `","count":3}]}`
	if n, err := e.svc.ReportSightings(bg, e.w.Stakeholder, r.ID, []byte(sighting), readAccess); err != nil || n != 1 {
		t.Fatalf("sighting: %d, %v", n, err)
	}
	foreign := strings.Replace(sighting, indicatorID, pinOf(srcA).ID, 1)
	if _, err := e.svc.ReportSightings(bg, e.w.Stakeholder, r.ID, []byte(foreign), readAccess); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("a sighting of a source id: %v", err)
	}
	for _, v := range []mosaic.Viewer{e.w.A, e.w.C} {
		fb, err := e.svc.Feedback(bg, v, r.ID, readAccess)
		if err != nil || len(fb.Receipts) != 1 || len(fb.Sightings) != 1 {
			t.Errorf("%s reads feedback %+v, %v", v.User, fb, err)
		}
	}
	if _, err := e.svc.Feedback(bg, e.sh2, r.ID, readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("sh2 reads feedback: %v", err)
	}
	if _, err := e.svc.Feedback(bg, e.w.B, r.ID, readAccess); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("pb, asked but no feedback reader, reads feedback: %v", err)
	}

	// Withdrawn: the recipient is told, with a signed entry.
	if _, err := e.svc.Withdraw(bg, e.w.A, r.ID, "the address was reassigned", content.Access{Action: "releases.withdraw"}); err != nil {
		t.Fatal(err)
	}
	entry, err := e.svc.WithdrawalEntry(bg, e.w.Stakeholder, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	if w, err := release.VerifyWithdrawal(entry, e.keys.PublicKeys()); err != nil || w.Release != r.ID {
		t.Fatalf("withdrawal entry: %+v %v", w, err)
	}
	got, _ = e.svc.Release(bg, e.w.Stakeholder, r.ID, readAccess)
	if got.Delivery == nil || got.Delivery.Withdrawn.IsZero() || got.Delivery.WithdrawReason == "" {
		t.Errorf("the recipient is not told of the withdrawal: %+v", got.Delivery)
	}
}

func consentOrgs(r mosaic.Release) string {
	var out []string
	for _, c := range r.Consents {
		out = append(out, c.Org)
	}
	return strings.Join(out, ",")
}

func TestConsentReplay(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	d := content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}
	r := e.draft(t, d)
	e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	d.Revision, d.Advice = 1, "Block it now."
	r2, err := e.svc.ReviseRelease(bg, e.w.A, r.ID, d, content.Access{Action: "releases.revise"})
	if err != nil {
		t.Fatal(err)
	}
	if r2.Revision != 2 || r2.Consents[0].State != mosaic.ConsentPending && r2.Consents[1].State != mosaic.ConsentPending {
		t.Fatalf("revised: revision %d, consents %+v", r2.Revision, r2.Consents)
	}
	for _, c := range r2.Consents {
		if c.State != mosaic.ConsentPending {
			t.Errorf("consent of %s survived the revision: %s", c.Org, c.State)
		}
	}
	if _, err := e.svc.Consent(bg, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess); mosaic.ErrorCode(err) != mosaic.CodeConflict {
		t.Fatalf("an approval of revision 1 after revision 2: %v", err)
	}
	// A revision against an old one is refused too.
	d.Revision = 1
	if _, err := e.svc.ReviseRelease(bg, e.w.A, r.ID, d, content.Access{Action: "releases.revise"}); mosaic.ErrorCode(err) != mosaic.CodeConflict {
		t.Errorf("a revision of revision 1 at 2: %v", err)
	}
}

func TestLiaisonSanitisesOnlyItsOwn(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcA), pinOf(srcB)}})
	san := func(id string) map[string]content.ObjectSanitisation {
		return map[string]content.ObjectSanitisation{id: {Sanitisation: release.Sanitisation{Remove: []string{"name"}}}}
	}
	_, other := e.svc.Consent(bg, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: san(pinOf(srcA).ID)}, consentAccess)
	_, absent := e.svc.Consent(bg, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: san("indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0fff")}, consentAccess)
	if other == nil || absent == nil {
		t.Fatalf("pb sanitised another's object: %v, %v", other, absent)
	}
	strip := func(err error) string {
		b, _ := json.Marshal(err.(*mosaic.Error).Problems[0].Reason)
		return mosaic.ErrorMessage(err) + string(b)
	}
	if strip(other) != strip(absent) {
		t.Errorf("another organisation's object is told apart from one not there:\n%s\n%s", strip(other), strip(absent))
	}
	// An analyst is no liaison; a stakeholder is asked nothing.
	for _, v := range []mosaic.Viewer{e.w.B, e.w.Stakeholder} {
		if _, err := e.svc.Consent(bg, v, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, consentAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("%s consents: %v", v.User, err)
		}
	}
	// pb may not lower pa's level by approving; pa may.
	if _, err := e.svc.Consent(bg, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: map[string]content.ObjectSanitisation{pinOf(srcB).ID: {TLP: mosaic.TLPClear}}}, consentAccess); err != nil {
		t.Errorf("pb lowers its own: %v", err)
	}
}

func TestDraftCountsOnlyWhatTheDrafterSees(t *testing.T) {
	e := newReleaseEnv(t)
	// pc keeps its indicator to itself: pa may not pin it, and is told
	// what it is told of an id nobody holds.
	e.w.Ingest(t, e.w.C, storetest.Record(t, srcB, own))
	_, hidden := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess)
	missing := content.Pin{ID: "indicator--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0fff", Modified: pinOf(srcB).Modified}
	_, absent := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{"org:sh"}, Objects: []content.Pin{missing}}, draftAccess)
	if hidden == nil || absent == nil {
		t.Fatalf("drafted: %v, %v", hidden, absent)
	}
	if hidden.(*mosaic.Error).Problems[0].Reason != absent.(*mosaic.Error).Problems[0].Reason {
		t.Errorf("a hidden object is told apart from a missing one: %v / %v", hidden, absent)
	}
}

func TestDraftChecksDissemination(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	// AMBER may not go to a sector, nor to the public; GREEN not to the public.
	for _, to := range []string{"sector:healthcare", "public"} {
		_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{to}, Objects: []content.Pin{pinOf(srcA)}}, draftAccess)
		if mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.(*mosaic.Error).Problems[0].Reason, "TLP:AMBER") {
			t.Errorf("amber to %s: %v", to, err)
		}
	}
	if _, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{"public"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("green to the public: %v", err)
	}
	// Recipients that do not exist, or may not receive, are named.
	_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{"org:ov", "user:nobody", "sector:energy", "org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess)
	if mosaic.ErrorCode(err) != mosaic.CodeInvalid || len(err.(*mosaic.Error).Problems) != 2 {
		t.Errorf("bad recipients: %v", err)
	}
}

func TestDanglingReferences(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	objs := []content.Pin{pinOf(srcA), pinOf(relAB)}
	_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "x", Advice: "y", Recipients: []string{"org:sh"}, Objects: objs}, draftAccess)
	if mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(mosaic.ErrorMessage(err)+err.(*mosaic.Error).Problems[0].Reason, "c0099") {
		t.Fatalf("a dangling relationship: %v", err)
	}
	r := e.draft(t, content.Draft{Title: "x", Advice: "y", Recipients: []string{"org:sh"}, Objects: objs, Dangling: mosaic.DanglingDrop})
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Release(bg, e.w.Stakeholder, r.ID, readAccess)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.Delivery.Bundle, []byte("relationship")) {
		t.Error("a relationship whose target is not released was released")
	}
}

// TestPublishedSnapshotLeavesNothingBehind publishes releases of random
// indicators that pb sanitises (every generalisation, the description
// removed) and checks that no address, URL path, hash, file name, time of
// day, removed text or source id is in the sealed snapshot, which is
// exactly what its digest is made over.
func TestPublishedSnapshotLeavesNothingBehind(t *testing.T) {
	e := newReleaseEnv(t)
	rng := rand.New(rand.NewPCG(3, 5))
	all := release.Sanitisation{Remove: []string{"description"}, Generalise: []release.Generalisation{
		release.GeneraliseAddresses, release.GeneraliseURLs, release.GeneraliseHashes, release.GeneraliseFileNames, release.GeneraliseTimes}}
	for round := range 20 {
		var pins []content.Pin
		var recs []mosaic.Record
		secrets := []string{"ministry-" + strconv.Itoa(round)}
		for i := range 1 + rng.IntN(5) {
			var obs []string
			for j := range 1 + rng.IntN(3) {
				// Hashes and file names are left out whole: each pattern
				// needs something that generalises.
				kind := rng.IntN(3)
				if j == 0 {
					kind = rng.IntN(2)
				}
				switch kind {
				case 0:
					ip := fmt.Sprintf("10.%d.%d.%d", rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
					obs = append(obs, fmt.Sprintf("[ipv4-addr:value = '%s']", ip))
					secrets = append(secrets, "'"+ip+"'", ip+`"`)
				case 1:
					path := fmt.Sprintf("secret-path-%d", rng.IntN(1e6))
					obs = append(obs, fmt.Sprintf("[url:value = 'http://host%d.example/%s']", rng.IntN(100), path))
					secrets = append(secrets, path)
				case 2:
					h := fmt.Sprintf("%064x", rng.Uint64())
					name := fmt.Sprintf("secret-file-%d.exe", rng.IntN(1e6))
					obs = append(obs, fmt.Sprintf("[file:hashes.'SHA-256' = '%s' AND file:name = '%s']", h, name))
					secrets = append(secrets, h, name)
				}
			}
			n := round*10 + i
			minute := fmt.Sprintf("T%02d:%02d:17", rng.IntN(24), rng.IntN(60))
			id := fmt.Sprintf("indicator--0a6a2c52-6bd2-4c6d-a2c0-%012d", n)
			obj := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-10-01%s.000Z","modified":"2026-10-01%s.000Z","name":"Beacon","description":"seen at the ministry-%d","pattern":"%s","pattern_type":"stix","valid_from":"2026-10-01%sZ"}`,
				id, minute, minute, round, strings.Join(obs, " OR "), minute)
			secrets = append(secrets, minute, id[len("indicator--"):])
			recs = append(recs, storetest.Record(t, obj, cell))
			pins = append(pins, content.Pin{ID: id, Modified: "2026-10-01" + minute + ".000Z"})
		}
		e.w.Ingest(t, e.w.B, recs...)
		r := e.draft(t, content.Draft{Title: "Round " + strconv.Itoa(round), Advice: "Block.", Recipients: []string{"org:sh"}, Objects: pins})
		san := map[string]content.ObjectSanitisation{}
		for _, p := range pins {
			san[p.ID] = content.ObjectSanitisation{Sanitisation: all}
		}
		e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Sanitise: san})
		e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
		if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		file, err := e.svc.SnapshotFile(bg, e.w.Stakeholder, r.ID, readAccess)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := release.Verify(file, e.keys.PublicKeys())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if bytes.Contains(sealed.Snapshot, []byte(s)) {
				t.Fatalf("round %d: %q is in the snapshot:\n%s", round, s, sealed.Snapshot)
			}
		}
	}
}

// TestFeedbackReadersPerStakeholder: a stakeholder that names its own
// feedback readers is read by them in place of the default readers.
func TestFeedbackReadersPerStakeholder(t *testing.T) {
	e := newReleaseEnv(t)
	e.svc.EnableReleases(e.w.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: e.keys, FeedbackReaders: []string{"pc"}, FeedbackReadersFor: map[string][]string{"sh2": {"pb"}}})
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh", "org:sh2"}, Objects: []content.Pin{pinOf(srcB)}})
	e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
		t.Fatal(err)
	}
	for _, v := range []mosaic.Viewer{e.w.Stakeholder, e.sh2} {
		if err := e.svc.Receipt(bg, v, r.ID, mosaic.ReceiptReceived, "", readAccess); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		v    mosaic.Viewer
		want string
	}{{e.w.A, "sh,sh2"}, {e.w.C, "sh"}, {e.w.B, "sh2"}, {e.w.Stakeholder, "sh"}, {e.sh2, "sh2"}} {
		fb, err := e.svc.Feedback(bg, c.v, r.ID, readAccess)
		if err != nil {
			t.Fatalf("%s: %v", c.v.User, err)
		}
		var got []string
		for _, rc := range fb.Receipts {
			got = append(got, rc.Org)
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s reads the feedback of %v, want %s", c.v.User, got, c.want)
		}
	}
}

// TestReleaseText: what a release carries to its recipients is plain
// text that reads as it is stored.
func TestReleaseText(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	for _, c := range []struct{ title, advice string }{
		{"Block\u202etxt.exe", "Block it."},
		{"Block", "Block \u2066it\u2069."},
		{"Block\nnow", "Block it."},
		{"Block", "Block \x1b[31mit."},
		{"Block", "Block \xffit."},
		{"Block", "Block it.\rSent by the NCSC."},
	} {
		_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Block", Advice: "Block it.", AdviceNL: c.advice + "\u202e", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess)
		if mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("advice_nl %q: %v", c.advice, err)
		}
		_, err = e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: c.title, Advice: c.advice, Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess)
		if mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("%q / %q: %v", c.title, c.advice, err)
		}
	}
	now := e.w.Clock.Now()
	for _, at := range []time.Time{now.Add(-time.Hour), now.Add(time.Minute), now.Add(91 * 24 * time.Hour)} {
		_, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Block", Advice: "Block it.", Deadline: at, Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess)
		if mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "deadline") {
			t.Errorf("deadline %v: %v", at.Sub(now), err)
		}
	}
	if r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Block", Advice: "Block it.", AdviceNL: "Blokkeer het.\r\n", Deadline: now.Add(48*time.Hour + 1500*time.Millisecond),
		Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess); err != nil || r.AdviceNL != "Blokkeer het.\n" || !r.Deadline.Equal(now.Add(48*time.Hour+time.Second).UTC().Truncate(time.Second)) {
		t.Errorf("advice_nl %q, deadline %v: %v", r.AdviceNL, r.Deadline, err)
	}
	if r, err := e.svc.DraftRelease(bg, e.w.A, content.Draft{Title: "Blokkeer", Advice: "Blokkeer het adres.\r\n\r\n\tDaarna: melden.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}}, draftAccess); err != nil || r.Advice != "Blokkeer het adres.\n\n\tDaarna: melden." {
		t.Errorf("lines and tabs in the advice: %q, %v", r.Advice, err)
	}
}

// TestSupersedeTellsOnlyItsRecipients: a release names the release it
// supersedes in every snapshot, so it goes to none who did not get that.
func TestSupersedeTellsOnlyItsRecipients(t *testing.T) {
	e := newReleaseEnv(t)
	e.seed(t)
	r := e.draft(t, content.Draft{Title: "Block", Advice: "Block it.", Recipients: []string{"org:sh"}, Objects: []content.Pin{pinOf(srcB)}})
	e.consent(t, e.pbLiais, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	e.consent(t, e.paLiaison, r.ID, content.Consent{Revision: 1, Decision: content.DecideApprove})
	if _, err := e.svc.Publish(bg, e.w.A, r.ID, 1, publish); err != nil {
		t.Fatal(err)
	}
	d := content.Draft{Title: "Block, corrected", Advice: "Block it.", Recipients: []string{"org:sh", "org:sh2"}, Objects: []content.Pin{pinOf(srcB)}, Supersedes: r.ID}
	if _, err := e.svc.DraftRelease(bg, e.w.A, d, draftAccess); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "org:sh2") {
		t.Errorf("superseding to a new recipient: %v", err)
	}
	d.Recipients = []string{"org:sh"}
	if _, err := e.svc.DraftRelease(bg, e.w.A, d, draftAccess); err != nil {
		t.Errorf("superseding to the same recipient: %v", err)
	}
}
