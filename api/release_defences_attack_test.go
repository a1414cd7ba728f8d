package api_test

// Attacks on the release workflow that the code withstands, kept as
// regression tests where the other tests do not already cover them.

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/release"
)

// An organisation asked for its consent sees the release, but may not
// revise, publish or withdraw it: each is answered as for a release that
// does not exist, whatever state the release is in.
func TestAttackAskedOrgCannotManageRelease(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	h.post("pa-analyst", cell, ind(1, ""))
	h.post("pb-analyst", cell, ind(2, ""))
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}, {ID: indID(2), Modified: modified}}})
	path := "/api/v1/releases/" + rel.ID
	revise, _ := json.Marshal(content.Draft{Revision: 1, Title: "pb's", Advice: "a", Recipients: []string{"org:sh2"}, Objects: []content.Pin{{ID: indID(2), Modified: modified}}})
	withdraw, _ := json.Marshal(api.WithdrawRequest{Reason: "pb says so"})
	try := func(stage string) {
		t.Helper()
		for _, user := range []string{"pb-liaison", "pb-analyst"} {
			notFoundLike(t, h, user, "PUT", path, rel.ID, "application/json", revise)
			notFoundLike(t, h, user, "POST", path+"/publish", rel.ID, "application/json", []byte(`{}`))
			notFoundLike(t, h, user, "POST", path+"/withdraw", rel.ID, "application/json", withdraw)
			notFoundLike(t, h, user, "GET", path+"/record", rel.ID, "", nil)
		}
		var got api.Release
		if r := h.get("pa-analyst", path, nil, &got); r.status != 200 || got.Title != "t" || strings.Join(got.Recipients, " ") != "org:sh" {
			t.Errorf("%s: the release after pb's attempts: %d %s", stage, r.status, r.body)
		}
	}
	try("awaiting consent")
	for _, u := range []string{"pa-liaison", "pb-liaison"} {
		if r := h.send(u, "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
			t.Fatalf("%s consents: %d %s", u, r.status, r.body)
		}
	}
	try("ready")
	if r := h.send("pa-analyst", "POST", path+"/publish", nil, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	try("published")
}

// A draft on hold asks nobody: to an organisation whose object it holds
// it does not exist yet, for reading, listing and consenting alike.
func TestAttackHeldDraftUnknownToAsked(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	h.post("pb-analyst", cell, ind(2, ""))
	var rel api.Release
	d := content.Draft{Title: "held", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(2), Modified: modified}}, Hold: true}
	if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, &rel); r.status != 201 || rel.State != mosaic.ReleaseDraft {
		t.Fatalf("draft: %d %s", r.status, r.body)
	}
	path := "/api/v1/releases/" + rel.ID
	consent, _ := json.Marshal(content.Consent{Revision: 1, Decision: content.DecideApprove})
	notFoundLike(t, h, "pb-liaison", "GET", path, rel.ID, "", nil)
	notFoundLike(t, h, "pb-liaison", "POST", path+"/consents", rel.ID, "application/json", consent)
	var page api.ReleasePage
	if r := h.get("pb-liaison", "/api/v1/releases", nil, &page); r.status != 200 || len(page.Releases) != 0 {
		t.Errorf("pb lists: %d %s", r.status, r.body)
	}
	// Asked once the hold is lifted.
	d.Revision, d.Hold = 1, false
	if r := h.send("pa-analyst", "PUT", path, d, &rel); r.status != 200 || rel.State != mosaic.ReleaseAwaitingConsent {
		t.Fatalf("lift the hold: %d %s", r.status, r.body)
	}
	if r := h.get("pb-liaison", path, nil, nil); r.status != 200 {
		t.Errorf("pb reads the request once asked: %d %s", r.status, r.body)
	}
}

// Recipients are written one way only: another case, spaces, look-alike
// letters, invisible characters, or a recipient that may not receive
// (an oversight body, an admin, an auditor) are refused, and nothing is
// drafted.
func TestAttackRecipientSpellings(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	for _, rc := range [][]string{
		{"org:SH"}, {"ORG:sh"}, {" org:sh"}, {"org:sh "}, {"org: sh"}, {"org:\u0455h"}, {"org:sh\u200b"}, {"org:sh\u00a0"},
		{"Public"}, {"public "}, {"sector:Energy"}, {"sector:energy "}, {"user:SH-USER"}, {"user:sh-user\t"},
		{"org:ov"}, {"user:ov-auditor"}, {"user:pa-admin"}, {"org:nobody"}, {"sector:mining"},
		{"org:sh", "org:sh"}, {"public", "org:sh"}, {},
	} {
		d := content.Draft{Title: "t", Advice: "a", Recipients: rc}
		if r := h.send("pa-analyst", "POST", "/api/v1/releases", d, nil); r.status != 400 {
			t.Errorf("recipients %q: %d %s", rc, r.status, r.body)
		}
	}
	var page api.ReleasePage
	if r := h.get("pa-analyst", "/api/v1/releases", nil, &page); r.status != 200 || len(page.Releases) != 0 {
		t.Errorf("drafted: %d %s", r.status, r.body)
	}
}

// Recipients of one release through a sector read their own
// organisation's feedback, never another's.
func TestAttackRecipientReadsOnlyOwnFeedback(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	h.post("pa-analyst", url.Values{"audience": {"cell"}, "orcon": {"true"}}, ind(1, marking(mosaic.TLPGreen)))
	id := publishedRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"sector:energy"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	path := "/api/v1/releases/" + id
	if r := h.send("sh-user", "POST", path+"/receipts", api.ReceiptRequest{Status: mosaic.ReceiptNeedHelp, Comment: "our SCADA gateway is hit"}, nil); r.status != 201 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	var fb mosaic.Feedback
	r := h.get("sh2-user", path+"/feedback", nil, &fb)
	if r.status != 200 || len(fb.Receipts) != 0 || strings.Contains(string(r.body), "SCADA") || strings.Contains(string(r.body), "sh-user") {
		t.Errorf("sh2 reads sh's feedback: %d %s", r.status, r.body)
	}
	if r := h.get("sh-user2", path+"/feedback", nil, &fb); r.status != 200 || len(fb.Receipts) != 1 {
		t.Errorf("sh's colleague reads sh's feedback: %d %s", r.status, r.body)
	}
}

// A liaison may raise its own object's level only as far as every
// recipient may still receive it; an object two originators hold is
// lowered only when both lower it, and attributed only when both allow.
func TestAttackLevelsOfSharedObject(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	cell := url.Values{"audience": {"cell"}, "orcon": {"true"}}
	for _, u := range []string{"pa-analyst", "pb-analyst"} {
		if r := h.post(u, cell, ind(1, "")); r.status != 201 { // AMBER, the default
			t.Fatalf("%s: %d %s", u, r.status, r.body)
		}
	}
	rel := draftRelease(t, h, content.Draft{Title: "t", Advice: "a", Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	if len(rel.Items) != 2 {
		t.Fatalf("items: %+v", rel.Items)
	}
	path := "/api/v1/releases/" + rel.ID
	level := func(tlp mosaic.TLP) content.Consent {
		return content.Consent{Revision: 1, Decision: content.DecideApproveSanitised, Attribute: true,
			Sanitise: map[string]content.ObjectSanitisation{indID(1): {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}, TLP: tlp}}}
	}
	if r := h.send("pb-liaison", "POST", path+"/consents", level(mosaic.TLPRed), nil); r.status != 400 || !strings.Contains(string(r.body), "TLP:RED may go to named users only") {
		t.Errorf("pb raises its object to RED for an organisation: %d %s", r.status, r.body)
	}
	if r := h.send("pb-liaison", "POST", path+"/consents", level(mosaic.TLPClear), nil); r.status != 200 {
		t.Fatalf("pb lowers its own: %d %s", r.status, r.body)
	}
	pa := level("")
	pa.Attribute = false
	if r := h.send("pa-liaison", "POST", path+"/consents", pa, nil); r.status != 200 {
		t.Fatalf("pa consents: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", nil, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	var dl api.Delivery
	if r := h.get("sh-user", path, nil, &dl); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if dl.TLP != mosaic.TLPAmber {
		t.Errorf("released at %s though only pb lowered it", dl.TLP)
	}
	ctx := context.Background()
	for _, o := range []string{"pa", "pb"} {
		org, err := h.store.Org(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(dl.Bundle), org.Identity) {
			t.Errorf("the bundle names %s, though pa did not allow attribution", o)
		}
	}
}
