package web_test

import (
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/release"
	"mosaic/seal"
	"mosaic/storetest"
	"mosaic/web"
)

// feedbackWorld is a cell in which pa drafts, pc reads every
// stakeholder's feedback (the default reader, as the NCSC), and sh2 named
// pb to read its feedback in pc's place; pd, a partner, is neither
// drafter nor reader. pa released r1 to sh (healthcare) and r2 to sh2
// (energy).
type feedbackWorld struct {
	e       *env
	sh2, pd mosaic.Viewer
	granted mosaic.Viewer
	r1, r2  mosaic.Release
}

func newFeedbackWorld(t *testing.T) *feedbackWorld {
	t.Helper()
	e := newEnv(t, func(o *web.Options) {
		keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), storetest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		o.Content.EnableReleases(o.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: keys,
			FeedbackReaders: []string{"pc"}, FeedbackReadersFor: map[string][]string{"sh2": {"pb"}}})
	})
	fw := &feedbackWorld{e: e, sh2: e.secondStakeholder(t)}
	setup := mosaic.AuditEntry{Action: "setup"}
	pd := mosaic.Organisation{Name: "pd", FullName: "Partner D", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := e.w.Store.CreateOrg(bg, &pd, setup); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: "pd-analyst", Org: "pd", Role: mosaic.Analyst}
	if err := e.w.Store.CreateUser(bg, &u, credential.HashPassword(password(u.Name)), setup); err != nil {
		t.Fatal(err)
	}
	fw.pd = mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: pd.ID, Org: pd.Name, OrgKind: pd.Kind, Role: u.Role}
	for _, v := range []mosaic.Viewer{e.w.B, e.w.Granted} {
		if err := e.w.Store.SetPassword(bg, v.User, credential.HashPassword(password(v.User)), setup); err != nil {
			t.Fatal(err)
		}
	}
	fw.granted = e.w.Granted
	fw.r1 = e.publish(t, "Ward beacon advice", "Block the beacon.", mosaic.TLPAmber, "org:sh",
		indicatorAt(810, "Ward beacon", "[ipv4-addr:value = '198.51.100.81']"))
	fw.r2 = e.publish(t, "Turbine relay advice", "Block the relay.", mosaic.TLPAmber, "org:sh2",
		indicatorAt(811, "Turbine relay", "[ipv4-addr:value = '198.51.100.82']"))
	return fw
}

var fbAccess = content.Access{Action: "test.feedback"}

// section is the feedback section of a page, or "" when there is none.
func section(page string) string {
	i := strings.Index(page, `id="picture-feedback"`)
	if i < 0 {
		return ""
	}
	end := strings.Index(page[i:], "</section>")
	return page[i : i+end]
}

// TestPictureFeedback: the drafter and the readers see the releases, the
// shares per sector and each recipient's progress, counted; every other
// viewer's page holds no id, title or recipient of a release whose
// feedback it may not read, and no section at all when it reads none.
func TestPictureFeedback(t *testing.T) {
	fw := newFeedbackWorld(t)
	e, svc := fw.e, fw.e.svc
	// sh reads r1 (its first read is kept), says it applied it and
	// reports a sighting; sh2 only acknowledges r2.
	e.w.Clock.Add(10 * time.Minute)
	readAt := e.w.Clock.Now()
	if _, err := svc.Delivered(bg, e.w.Stakeholder, fw.r1.ID, fbAccess); err != nil {
		t.Fatal(err)
	}
	e.w.Clock.Add(10 * time.Minute)
	if _, err := svc.Release(bg, e.w.Stakeholder, fw.r1.ID, fbAccess); err != nil {
		t.Fatal(err)
	}
	if err := svc.Receipt(bg, e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptApplied, "done", fbAccess); err != nil {
		t.Fatal(err)
	}
	ids := e.releasedIDs(t, e.w.Stakeholder, fw.r1.ID)
	var of string
	for _, id := range ids {
		if strings.HasPrefix(id, "indicator--") {
			of = id
		}
	}
	bundle := `{"type":"bundle","id":"bundle--` + storetest.UUID(812) + `","objects":[{"type":"sighting","spec_version":"2.1","id":"sighting--` + storetest.UUID(813) +
		`","created":"2026-11-01T09:00:00.000Z","modified":"2026-11-01T09:00:00.000Z","sighting_of_ref":"` + of + `","count":3}]}`
	if n, err := svc.ReportSightings(bg, e.w.Stakeholder, fw.r1.ID, []byte(bundle), fbAccess); err != nil || n != 1 {
		t.Fatalf("sighting: %d, %v", n, err)
	}
	if err := svc.Receipt(bg, fw.sh2, fw.r2.ID, mosaic.ReceiptReceived, "", fbAccess); err != nil {
		t.Fatal(err)
	}
	actedAt := e.w.Clock.Now()

	page := func(v mosaic.Viewer) string {
		t.Helper()
		resp, body := e.signedIn(t, v).get("/")
		if resp.StatusCode != 200 {
			t.Fatalf("%s's home: %d", v.User, resp.StatusCode)
		}
		return body
	}
	row := func(cells ...string) string {
		return `<td class="num">` + strings.Join(cells, `</td><td class="num">`) + `</td>`
	}

	// pa drafted both: two releases, two sectors, both recipients.
	pa := section(page(e.w.A))
	for _, want := range []string{
		row("2", "2", "2"),
		"Healthcare", "Energy",
		`<td class="num">1 (100%)</td>`, `<td class="num">0 (0%)</td>`,
		fw.r1.Title, fw.r2.Title, `<th scope="row">sh</th>`, `<th scope="row">sh2</th>`,
		readAt.UTC().Format("2006-01-02 15:04 UTC"), "Applied · " + actedAt.UTC().Format("2006-01-02 15:04 UTC"),
		"Received · ",
	} {
		if !strings.Contains(pa, want) {
			t.Errorf("pa's feedback section lacks %q:\n%s", want, pa)
		}
	}

	// pc, the default reader: r1 only, sh2 having named pb.
	pc := section(page(e.w.C))
	for _, want := range []string{row("1", "1", "1"), "Healthcare", fw.r1.Title, `<th scope="row">sh</th>`, "Applied · ",
		`<td class="num">1</td>` + "\n" + `        <td class="num">1 (100%)</td>` + "\n" + `        <td class="num">1 (100%)</td>` + "\n" + `        <td class="num">1</td>`} {
		if !strings.Contains(pc, want) {
			t.Errorf("pc's feedback section lacks %q:\n%s", want, pc)
		}
	}
	// pb, named by sh2: r2 and sh2 only.
	pb := section(page(e.w.B))
	for _, want := range []string{row("1", "1", "1"), "Energy", fw.r2.Title, `<th scope="row">sh2</th>`, "Received · "} {
		if !strings.Contains(pb, want) {
			t.Errorf("pb's feedback section lacks %q:\n%s", want, pb)
		}
	}

	// What each viewer's page must not hold, byte for byte.
	r1Words := []string{fw.r1.ID, fw.r1.Title, `<th scope="row">sh</th>`}
	r2Words := []string{fw.r2.ID, fw.r2.Title, `<th scope="row">sh2</th>`, ">sh2<", "Second Stakeholder"}
	for _, c := range []struct {
		v         mosaic.Viewer
		forbidden []string
		section   bool
	}{
		{e.w.C, r2Words, true},
		{e.w.B, r1Words, true},
		{fw.pd, append(append([]string{}, r1Words...), r2Words...), false},
		{fw.granted, append(append([]string{}, r1Words...), r2Words...), false},
		{e.w.Admin, append(append([]string{}, r1Words...), r2Words...), false},
		// A stakeholder sees its own release in its portal, and nobody's
		// feedback.
		{e.w.Stakeholder, r2Words, false},
		{fw.sh2, r1Words, false},
	} {
		body := page(c.v)
		if got := section(body) != ""; got != c.section {
			t.Errorf("%s: a feedback section %v, want %v", c.v.User, got, c.section)
		}
		for _, word := range c.forbidden {
			if strings.Contains(body, word) {
				i := strings.Index(body, word)
				t.Errorf("LEAK: %s's page holds %q: …%s…", c.v.User, word, body[max(0, i-200):min(len(body), i+200)])
			}
		}
	}

	// Refusals are audited, as denials.
	if _, err := svc.FeedbackPicture(bg, fw.pd, e.w.Clock.Now(), fbAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("pd's feedback picture: %v", err)
	}
	if _, err := svc.FeedbackPicture(bg, e.w.Stakeholder, e.w.Clock.Now(), fbAccess); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("a stakeholder's feedback picture: %v", err)
	}
	for _, v := range []mosaic.Viewer{fw.pd, e.w.Stakeholder} {
		if got := e.audit.actions(v.User); !slices.Contains(got, fbAccess.Action+":"+string(mosaic.Denied)) {
			t.Errorf("%s's refusal is not audited: %v", v.User, got)
		}
	}
}

// TestFeedbackEvents: a receipt recorded after the streams opened comes
// as a feedback event to pa, its drafter, and to pc, the default reader,
// with the release, the organisation, the kind and the time; the raw
// streams of pb and pd, partners that do not read sh's feedback, hold
// neither the release nor the organisation, and a stakeholder has no
// stream.
func TestFeedbackEvents(t *testing.T) {
	fw := newFeedbackWorld(t)
	e := fw.e
	setup := mosaic.AuditEntry{Action: "setup"}
	token := func(v mosaic.Viewer) string {
		secret, hash := credential.NewToken()
		if _, err := e.w.Store.CreateToken(bg, v.User, hash, "feedback", e.w.Clock.Now().Add(24*time.Hour), false, setup); err != nil {
			t.Fatal(err)
		}
		return secret
	}
	// A receipt before the streams open is no event.
	if err := fw.e.svc.Receipt(bg, fw.sh2, fw.r2.ID, mosaic.ReceiptReceived, "", fbAccess); err != nil {
		t.Fatal(err)
	}
	streams := map[string]<-chan rawEvent{}
	for _, v := range []mosaic.Viewer{e.w.A, e.w.C, e.w.B, fw.pd} {
		streams[v.User] = rawStream(t, e.srv.URL, token(v), "")
	}
	if resp, _ := e.stream(t, nil, "Authorization", "Bearer "+token(fw.sh2)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a stakeholder's stream: %d", resp.StatusCode)
	}
	if err := fw.e.svc.Receipt(bg, e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptInProgress, "on it", fbAccess); err != nil {
		t.Fatal(err)
	}
	marker := "indicator--" + storetest.UUID(819)
	e.w.Ingest(t, e.w.A, storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"`+marker+`","created":"2026-09-30T00:00:00.000Z","modified":"2026-09-30T00:00:00.000Z","name":"stream-marker","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-09-01T00:00:00Z"}`, cellEnv()))
	want := `{"release":"` + fw.r1.ID + `","org":"sh","kind":"receipt","time":"` + e.w.Clock.Now().UTC().Format(time.RFC3339Nano) + `"}`
	for user, ch := range streams {
		var raw strings.Builder
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
				raw.WriteString(ev.id + "\n" + ev.name + "\n" + ev.data + "\n")
				if ev.name == "feedback" {
					feedback = append(feedback, ev.data)
				}
				if strings.Contains(ev.data, marker) {
					// Feedback comes after the records of the same poll:
					// a few polls more.
					settle = time.After(300 * time.Millisecond)
				}
			case <-settle:
				break read
			case <-deadline:
				t.Fatalf("%s: no marker on the stream", user)
			}
		}
		switch user {
		case e.w.A.User, e.w.C.User:
			if len(feedback) != 1 || feedback[0] != want {
				t.Errorf("%s's feedback events: %v, want %s", user, feedback, want)
			}
		default:
			for _, word := range []string{fw.r1.ID, `"sh"`, fw.r2.ID, `"sh2"`, "feedback"} {
				if strings.Contains(raw.String(), word) {
					t.Errorf("LEAK: %s's stream holds %s:\n%s", user, word, raw.String())
				}
			}
		}
	}
}

// TestFeedbackEventsResume: a stream resumed with the id of a feedback
// event brings the feedback after it and none before; an id sealed
// before the stream carried feedback resumes the records, and feedback
// starts when the stream does.
func TestFeedbackEventsResume(t *testing.T) {
	fw := newFeedbackWorld(t)
	e, svc := fw.e, fw.e.svc
	secret, hash := credential.NewToken()
	if _, err := e.w.Store.CreateToken(bg, e.w.A.User, hash, "feedback", e.w.Clock.Now().Add(24*time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	next := func(ch <-chan rawEvent) rawEvent {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev, ok := <-ch:
				if !ok {
					t.Fatal("the stream ended")
				}
				if ev.name == "feedback" {
					return ev
				}
			case <-timeout:
				t.Fatal("no feedback event")
			}
		}
	}
	first := rawStream(t, e.srv.URL, secret, "")
	receipt := func(v mosaic.Viewer, id string, st mosaic.ReceiptStatus) {
		t.Helper()
		if err := svc.Receipt(bg, v, id, st, "", fbAccess); err != nil {
			t.Fatal(err)
		}
	}
	receipt(e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptReceived)
	received := next(first)
	if !strings.Contains(received.data, fw.r1.ID) || strings.Contains(received.data, "received") {
		t.Fatalf("first event: %s (the release and organisation, not what was reported)", received.data)
	}
	e.w.Clock.Add(time.Minute)
	receipt(e.w.Stakeholder, fw.r1.ID, mosaic.ReceiptApplied)
	applied := next(first)

	resumed := rawStream(t, e.srv.URL, secret, received.id)
	if got := next(resumed); got.data != applied.data {
		t.Errorf("resumed after the first receipt: %s, want %s", got.data, applied.data)
	}

	// An id of the form before feedback: the record position alone.
	pos, ok, err := seal.New(e.w.Store, "web-cursor").Open(bg, "mosaic web event id v4", received.id, 4)
	if err != nil || !ok {
		t.Fatalf("open the event id: %v, %v", ok, err)
	}
	old, err := seal.New(e.w.Store, "web-cursor").Cursors("mosaic web cursor v1").Seal(bg, max(pos[0], 1))
	if err != nil {
		t.Fatal(err)
	}
	fromOld := rawStream(t, e.srv.URL, secret, old)
	e.w.Clock.Add(time.Minute)
	receipt(fw.sh2, fw.r2.ID, mosaic.ReceiptReceived)
	if got := next(fromOld); !strings.Contains(got.data, fw.r2.ID) || !strings.Contains(got.data, `"org":"sh2"`) {
		t.Errorf("resumed from an id without feedback, the first feedback event is %s, want sh2's on %s", got.data, fw.r2.ID)
	}
}
