package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/storetest"
)

// TestAttackFeedbackEventIDReplay: an event id taken from pa's stream
// (pa drafted both releases and reads every recipient's feedback), from
// before three receipts, is replayed by pb (reads sh2's feedback only) and
// by pd (reads none). Each gets only what its own scope reads after that
// position: pb sh2's receipt on r2 and nothing of sh's on r1, pd nothing
// at all. An admin's and an auditor's streams are refused.
func TestAttackFeedbackEventIDReplay(t *testing.T) {
	fw := newFeedbackWorld(t)
	e := fw.e
	token := func(v mosaic.Viewer) string {
		secret, hash := credential.NewToken()
		if _, err := e.w.Store.CreateToken(bg, v.User, hash, "feedback", e.w.Clock.Now().Add(24*time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	for _, v := range []mosaic.Viewer{e.w.Admin, e.w.Auditor, e.w.Stakeholder} {
		if resp, _ := e.stream(t, nil, "Authorization", "Bearer "+token(v)); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s's stream: %d, want 403", v.User, resp.StatusCode)
		}
	}
	pa := rawStream(t, e.srv.URL, token(e.w.A), "")
	if err := e.svc.Receipt(bg, e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptReceived, "", fbAccess); err != nil {
		t.Fatal(err)
	}
	var stolen string
	timeout := time.After(10 * time.Second)
	for stolen == "" {
		select {
		case ev, ok := <-pa:
			if !ok {
				t.Fatal("pa's stream ended")
			}
			if ev.name == "feedback" {
				stolen = ev.id
			}
		case <-timeout:
			t.Fatal("no feedback event on pa's stream")
		}
	}
	e.w.Clock.Add(time.Minute)
	if err := e.svc.Receipt(bg, e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptApplied, "", fbAccess); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Receipt(bg, fw.sh2, fw.r2.ID, mosaic.ReceiptReceived, "", fbAccess); err != nil {
		t.Fatal(err)
	}
	streams := map[string]<-chan rawEvent{
		"pb-analyst": rawStream(t, e.srv.URL, token(e.w.B), stolen),
		"pd-analyst": rawStream(t, e.srv.URL, token(fw.pd), stolen),
	}
	marker := "indicator--" + storetest.UUID(851)
	e.w.Ingest(t, e.w.A, storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"`+marker+`","created":"2026-09-30T00:00:00.000Z","modified":"2026-09-30T00:00:00.000Z","name":"stream-marker","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z"}`, cellEnv()))
	for user, ch := range streams {
		var feedback []string
		deadline := time.After(10 * time.Second)
		var settle <-chan time.Time
	read:
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatalf("%s: the stream ended", user)
				}
				if ev.name == "feedback" {
					feedback = append(feedback, ev.data)
				}
				if strings.Contains(ev.data, marker) {
					settle = time.After(500 * time.Millisecond)
				}
			case <-settle:
				break read
			case <-deadline:
				t.Fatalf("%s: no marker on the stream", user)
			}
		}
		switch user {
		case "pb-analyst":
			if len(feedback) != 1 || !strings.Contains(feedback[0], fw.r2.ID) || !strings.Contains(feedback[0], `"org":"sh2"`) {
				t.Errorf("pb resumed from pa's id: %v, want sh2's receipt on r2 only", feedback)
			}
		default:
			if len(feedback) != 0 {
				t.Errorf("LEAK: pd resumed from pa's id: %v", feedback)
			}
		}
	}
}
