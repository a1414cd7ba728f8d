package web_test

import (
	"fmt"
	"strings"
	"testing"

	"mosaic"
	"mosaic/content"
	"mosaic/storetest"
)

// TestAttackInboxBuried: pc asks pa's consent. pb's analyst then drafts
// MaxConsentRows releases that pin pa's object under originator control,
// each asking pa (pb may hold 200 unpublished). The inbox reads the newest
// MaxConsentRows releases asking pa before it sorts the pending first,
// so pc's request falls off pa's liaison's inbox and out of its pending
// count, and pc's release is starved of pa's consent.
func TestAttackInboxBuried(t *testing.T) {
	e, _ := newReleaseEnv(t)
	victim, paID, _ := e.consentRequest(t)
	li := e.signedIn(t, e.w.ALiaison)
	if _, list := li.get("/consents"); !strings.Contains(list, `href="/consents/`+victim.ID+`"`) {
		t.Fatalf("pc's request is not in pa's inbox to start with:\n%s", list)
	}
	// Another organisation's object, so that pb drafts something of its own too.
	e.w.Ingest(t, e.w.B, storetest.Record(t, indicatorAt(870, "pb own", "[ipv4-addr:value = '198.51.100.70']"), mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber}))
	for i := range 100 {
		if _, err := e.svc.DraftRelease(bg, e.w.B, content.Draft{Title: fmt.Sprintf("Flood %d", i), Advice: "Nothing.", Recipients: []string{"org:sh"},
			Objects: []content.Pin{{ID: paID, Modified: "2026-10-01T08:15:42.123Z"}}}, content.Access{Action: "releases.draft"}); err != nil {
			t.Fatalf("flood %d: %v", i, err)
		}
	}
	_, list := li.get("/consents")
	if !strings.Contains(list, `href="/consents/`+victim.ID+`"`) {
		t.Errorf("pc's pending request is gone from pa's inbox after pb's flood of %d drafts", 100)
	}
}
