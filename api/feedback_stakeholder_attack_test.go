package api_test

import (
	"net/url"
	"strings"
	"testing"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
)

// TestAttackStakeholderLearnsOthers: a release reaches sh and sh2. sh
// reads it (a first read noted for the drafters) and reports a receipt
// with a comment. sh2, through every release door it has, learns nothing
// of sh: not that it read, not its receipt, not its comment, not even
// that sh was a recipient; nor does the asked listing or the feedback of
// the listing tell sh2 anything.
func TestAttackStakeholderLearnsOthers(t *testing.T) {
	h, _ := newReleaseHarness(t, stores["sqlite"])
	if r := h.post("pa-analyst", url.Values{"audience": {"cell"}}, ind(1, marking(mosaic.TLPGreen))); r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rel := draftRelease(t, h, content.Draft{Title: "Two", Advice: "Block it.", Recipients: []string{"org:sh", "org:sh2"},
		Objects: []content.Pin{{ID: indID(1), Modified: modified}}})
	path := "/api/v1/releases/" + rel.ID
	if r := h.send("pa-liaison", "POST", path+"/consents", content.Consent{Revision: 1, Decision: content.DecideApprove}, nil); r.status != 200 {
		t.Fatalf("consent: %d %s", r.status, r.body)
	}
	if r := h.send("pa-analyst", "POST", path+"/publish", api.PublishRequest{Revision: 1}, nil); r.status != 200 {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if r := h.get("sh-user", path, nil, nil); r.status != 200 {
		t.Fatalf("sh reads: %d %s", r.status, r.body)
	}
	if r := h.send("sh-user", "POST", path+"/receipts", api.ReceiptRequest{Status: mosaic.ReceiptApplied, Comment: "Zorgwerk patched ward 7"}, nil); r.status != 201 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	for _, p := range []string{"/api/v1/releases", "/api/v1/releases?asked=true", path, path + "/feedback", path + "/record", path + "/snapshot", path + "/export", "/api/v1/me"} {
		u, q, _ := strings.Cut(p, "?")
		vals, _ := url.ParseQuery(q)
		r := h.get("sh2-user", u, vals, nil)
		body := string(r.body)
		for _, leak := range []string{"Zorgwerk", "ward 7", `"org":"sh"`, "org:sh\"", "sh-user", `"applied"`, `"read"`} {
			if strings.Contains(body, leak) {
				t.Errorf("LEAK: sh2 GET %s (%d) holds %s: %s", p, r.status, leak, body)
			}
		}
	}
	// The drafter does read sh's receipt: the check above is not vacuous.
	if r := h.get("pa-analyst", path+"/feedback", nil, nil); !strings.Contains(string(r.body), "Zorgwerk") {
		t.Errorf("the drafter does not read sh's receipt: %s", r.body)
	}
}
