package web_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/release"
	"mosaic/storetest"
	"mosaic/web"
)

// TestConsentInboxDeadlines: pending requests come first, the soonest
// deadline first and those without one after them, then the decided
// ones; each deadline shows in UTC with how far it is, overdue once
// passed, and the request's page shows it above all else.
func TestConsentInboxDeadlines(t *testing.T) {
	e, _ := newReleaseEnv(t)
	plain, paID, _ := e.consentRequest(t)
	now := e.w.Clock.Now()
	draft := func(title string, deadline time.Time) mosaic.Release {
		t.Helper()
		r, err := e.svc.DraftRelease(bg, e.w.C, content.Draft{Title: title, Advice: "Act.", Recipients: []string{"org:sh"}, Deadline: deadline,
			Objects: []content.Pin{{ID: paID, Modified: "2026-10-01T08:15:42.123Z"}}}, content.Access{Action: "releases.draft"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	decided := draft("Decided long ago", now.Add(2*time.Hour))
	if _, err := e.svc.Consent(bg, e.w.ALiaison, decided.ID, content.Consent{Revision: 1, Decision: content.DecideApprove}, content.Access{Action: "releases.consent"}); err != nil {
		t.Fatal(err)
	}
	later := draft("Later", now.Add(3*24*time.Hour+time.Minute))
	soon := draft("Soon", now.Add(5*time.Hour+time.Minute))
	li := e.signedIn(t, e.w.ALiaison)

	_, list := li.get("/consents")
	order := []string{soon.ID, later.ID, plain.ID, decided.ID}
	last := -1
	for _, id := range order {
		i := strings.Index(list, `href="/consents/`+id+`"`)
		if i < last {
			t.Errorf("the inbox lists %v out of order\n%s", order, list)
			break
		}
		last = i
	}
	for _, want := range []string{
		`<time datetime="2026-11-01T14:01:00Z">2026-11-01 14:01 UTC</time> <span class="due">(in 5 hours)</span>`,
		`<time datetime="2026-11-04T09:01:00Z">2026-11-04 09:01 UTC</time> <span class="due">(in 3 days)</span>`,
		`<span class="muted">no deadline</span>`,
		// A decided request's deadline says nothing of how far it is.
		`<time datetime="2026-11-01T11:00:00Z">2026-11-01 11:00 UTC</time></td>`,
		"<td>pa-liaison</td>",
	} {
		if !strings.Contains(list, want) {
			t.Errorf("the inbox lacks %s\n%s", want, list)
		}
	}
	if _, nl := li.get("/consents", "Accept-Language", "nl"); !strings.Contains(nl, "(over 3 dagen)") || !strings.Contains(nl, "(over 5 uur)") || !strings.Contains(nl, "geen termijn") {
		t.Errorf("the Dutch inbox:\n%s", nl)
	}
	_, page := li.get("/consents/" + later.ID)
	if !strings.Contains(page, `<p class="deadline" id="deadline"><strong>Consent needed by <time datetime="2026-11-04T09:01:00Z">2026-11-04 09:01 UTC</time></strong> (in 3 days)</p>`) {
		t.Errorf("the request's page does not show its deadline:\n%s", page)
	}
	if _, page := li.get("/consents/" + plain.ID); strings.Contains(page, `id="deadline"`) {
		t.Errorf("a request without a deadline shows one:\n%s", page)
	}

	e.w.Clock.Add(6 * time.Hour)
	_, list = li.get("/consents")
	if !strings.Contains(list, `2026-11-01 14:01 UTC</time> <span class="due overdue">(overdue)</span>`) || !strings.Contains(list, "(in 2 days)") {
		t.Errorf("the inbox after six hours:\n%s", list)
	}
	if _, page := li.get("/consents/" + soon.ID); !strings.Contains(page, `<p class="deadline overdue" id="deadline">`) || !strings.Contains(page, "(overdue)") {
		t.Errorf("an overdue request's page:\n%s", page)
	}
	if _, nl := li.get("/consents/"+soon.ID, "Accept-Language", "nl"); !strings.Contains(nl, "Toestemming nodig vóór") || !strings.Contains(nl, "(te laat)") {
		t.Errorf("the Dutch request page:\n%s", nl)
	}
}

// TestConsentInboxAway: a liaison marks itself away until the end of a
// day from the inbox and back, with the form's token only, within the
// bounds; nobody else has the form.
func TestConsentInboxAway(t *testing.T) {
	e, _ := newReleaseEnv(t)
	e.consentRequest(t)
	li := e.signedIn(t, e.w.ALiaison)
	_, list := li.get("/consents")
	for _, want := range []string{`id="away"`, `action="/consents/away"`, `name="until" min="2026-11-01" max="2026-12-30"`, "at most 60 days ahead"} {
		if !strings.Contains(list, want) {
			t.Errorf("the inbox lacks %s\n%s", want, list)
		}
	}
	token := csrf(t, list)
	if resp, _ := li.post("/consents/away", url.Values{"action": {"away"}, "until": {"2026-11-03"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a mark without the form's token: %d", resp.StatusCode)
	}
	resp, body := li.post("/consents/away", url.Values{"csrf": {token}, "action": {"away"}, "until": {"2027-02-01"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Your away mark was not recorded") || !strings.Contains(body, `value="2027-02-01"`) {
		t.Errorf("away too long: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := li.post("/consents/away", url.Values{"csrf": {token}, "action": {"away"}, "until": {"soon"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Choose the day you are away until.") {
		t.Errorf("away until no day: %d\n%s", resp.StatusCode, body)
	}
	if ls, _ := e.w.Store.Liaisons(bg, "pa"); len(ls) != 1 || !ls[0].AwayUntil.IsZero() {
		t.Fatalf("a refused mark was kept: %+v", ls)
	}
	resp, body = li.post("/consents/away", url.Values{"csrf": {token}, "action": {"away"}, "until": {"2026-11-03"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "You are marked away.") || !strings.Contains(body, "You are marked away until 2026-11-04 00:00 UTC.") || !strings.Contains(body, `value="back"`) {
		t.Errorf("away: %d\n%s", resp.StatusCode, body)
	}
	if ls, _ := e.w.Store.Liaisons(bg, "pa"); len(ls) != 1 || !ls[0].AwayUntil.Equal(time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("the store keeps %+v", ls)
	}
	if _, nl := li.get("/consents", "Accept-Language", "nl"); !strings.Contains(nl, "U bent als afwezig gemarkeerd tot 2026-11-04 00:00 UTC.") || !strings.Contains(nl, "Ik ben terug") {
		t.Errorf("the Dutch inbox while away:\n%s", nl)
	}
	// Away, the liaison still decides: its inbox stays.
	if resp, _ := li.get("/consents"); resp.StatusCode != 200 {
		t.Errorf("the inbox of a liaison away: %d", resp.StatusCode)
	}
	resp, body = li.post("/consents/away", url.Values{"csrf": {token}, "action": {"back"}})
	if resp.StatusCode != 200 || !strings.Contains(body, "You are marked back.") || !strings.Contains(body, `value="away"`) {
		t.Errorf("back: %d\n%s", resp.StatusCode, body)
	}
	entries, err := e.w.Store.AuditEntries(bg, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var marks []string
	for _, a := range entries {
		if a.Action == "web.away" {
			marks = append(marks, a.Detail)
		}
	}
	if len(marks) != 2 || marks[0] != "web: away until 2026-11-04T00:00:00Z" || marks[1] != "web: back" {
		t.Errorf("marks audited: %q", marks)
	}
	if got := e.audit.actions(e.w.ALiaison.User); !contains(got, "web.away:error") {
		t.Errorf("the refused mark is not audited: %v", got)
	}
	// Nobody but a liaison has the form or marks anyone away.
	an := e.signedIn(t, e.w.A)
	if resp, _ := an.post("/consents/away", url.Values{"csrf": {token}, "action": {"away"}, "until": {"2026-11-03"}}); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
		t.Errorf("an analyst marks itself away: %d", resp.StatusCode)
	}
	_, home := an.get("/")
	if resp, _ := an.post("/consents/away", url.Values{"csrf": {csrf(t, home)}, "action": {"away"}, "until": {"2026-11-03"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an analyst marks itself away with its token: %d", resp.StatusCode)
	}
}

// TestConsentInboxDeputy: pa's deputy has no inbox while pa's liaison is
// present; while it is away the deputy has the inbox, told it acts as a
// deputy, and decides, which the request's page, the inbox and the
// liaison read as a deputy's decision; another organisation's analyst
// never has the inbox; once the liaison is back, the deputy's inbox is
// gone.
func TestConsentInboxDeputy(t *testing.T) {
	e, _ := newReleaseEnv(t, func(o *web.Options) {
		keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "deputy.key"), storetest.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		o.Content.EnableReleases(o.Store.(content.ReleaseStore), content.ReleaseConfig{Keys: keys, Deputies: map[string][]string{"pa": {"pa-analyst"}}})
	})
	r, _, _ := e.consentRequest(t)
	dep := e.signedIn(t, e.w.A)
	hidden := func(when string) {
		t.Helper()
		if _, home := dep.get("/"); strings.Contains(home, `href="/consents"`) {
			t.Errorf("%s: the deputy's home links the inbox", when)
		}
		for _, path := range []string{"/consents", "/consents/" + r.ID} {
			if resp, body := dep.get(path); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Beacon") {
				t.Errorf("%s: the deputy GET %s: %d", when, path, resp.StatusCode)
			}
		}
	}
	hidden("while the liaison is present")

	if _, err := e.svc.SetAway(bg, e.w.ALiaison, e.w.Clock.Now().Add(48*time.Hour), content.Access{Action: "me.away"}); err != nil {
		t.Fatal(err)
	}
	_, home := dep.get("/")
	if !strings.Contains(home, `<a href="/consents">Consents <span class="count">1</span></a>`) {
		t.Errorf("the deputy's home does not link the inbox:\n%s", home)
	}
	_, list := dep.get("/consents")
	if !strings.Contains(list, `id="deputy"`) || !strings.Contains(list, "You act as deputy for pa") || strings.Contains(list, `id="away"`) || !strings.Contains(list, `href="/consents/`+r.ID+`"`) {
		t.Errorf("the deputy's inbox:\n%s", list)
	}
	if _, nl := dep.get("/consents", "Accept-Language", "nl"); !strings.Contains(nl, "U treedt op als plaatsvervanger voor pa") {
		t.Errorf("the deputy's Dutch inbox:\n%s", nl)
	}
	_, page := dep.get("/consents/" + r.ID)
	if !strings.Contains(page, `id="deputy"`) {
		t.Errorf("the request's page does not say the deputy acts as one:\n%s", page)
	}
	resp, done := dep.post("/consents/"+r.ID, url.Values{"csrf": {csrf(t, page)}, "revision": {"1"}, "action": {"approve"}})
	if resp.StatusCode != 200 || !strings.Contains(done, "Your decision was recorded: approved.") || !strings.Contains(done, "Decided by pa-analyst (deputy).") {
		t.Fatalf("the deputy approves: %d\n%s", resp.StatusCode, done)
	}
	if c := e.consentOf(t, r.ID); c.State != mosaic.ConsentApproved || c.DecidedBy != "pa-analyst" || !c.Deputy {
		t.Errorf("the drafter reads %+v", c)
	}
	if _, list := dep.get("/consents"); !strings.Contains(list, "<td>pa-analyst (deputy)</td>") {
		t.Errorf("the inbox does not say a deputy decided:\n%s", list)
	}
	li := e.signedIn(t, e.w.ALiaison)
	if _, page := li.get("/consents/" + r.ID); !strings.Contains(page, "Decided by pa-analyst (deputy).") || strings.Contains(page, `id="deputy"`) {
		t.Errorf("the liaison reads:\n%s", page)
	}
	if _, nl := li.get("/consents/"+r.ID, "Accept-Language", "nl"); !strings.Contains(nl, "Besloten door pa-analyst (plaatsvervanger).") {
		t.Errorf("the liaison's Dutch page:\n%s", nl)
	}

	// An analyst of another organisation, which the operator named no
	// deputy of, has no inbox.
	other := e.signedIn(t, e.w.C)
	if resp, _ := other.get("/consents"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pc's analyst GET /consents: %d", resp.StatusCode)
	}

	if _, err := e.svc.SetAway(bg, e.w.ALiaison, time.Time{}, content.Access{Action: "me.away"}); err != nil {
		t.Fatal(err)
	}
	hidden("once the liaison is back")
	if _, err := e.svc.Consent(bg, e.w.A, r.ID, content.Consent{Revision: 1, Decision: content.DecideRefuse, Reason: "No."}, content.Access{Action: "releases.consent"}); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("the deputy decides once the liaison is back: %v", err)
	}
}
