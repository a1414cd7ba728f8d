package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/storetest"
)

// Attacks on the release builder by insiders: a colleague outside a
// compartment, another partner's analyst, an admin, a stakeholder, a
// forged form, a huge form, hostile text.

const atkMod = "2026-10-01T08:15:42.123Z"

// withPassword gives v a password for the sign-in form.
func (e *env) withPassword(t *testing.T, v mosaic.Viewer) mosaic.Viewer {
	t.Helper()
	if err := e.w.Store.SetPassword(bg, v.User, credential.HashPassword(password(v.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	return v
}

// opsRelease has pa share an indicator with compartment ops only (pb's
// analyst is in ops by name, pb's other staff are not), pb's analyst
// share one with the cell, and pb's analyst draft a release of both.
func (e *env) opsRelease(t *testing.T, n int) (r mosaic.Release, opsID, pbID string) {
	t.Helper()
	ops := indicatorAt(n, "Ops only beacon", "[ipv4-addr:value = '192.0.2.201']")
	pb := indicatorAt(n+1, "Pb shared lure", "[ipv4-addr:value = '198.51.100.202']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, ops, mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPAmber}))
	e.w.Ingest(t, e.w.B, storetest.Record(t, pb, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	opsID, pbID = "indicator--"+storetest.UUID(n), "indicator--"+storetest.UUID(n+1)
	r, err := e.svc.DraftRelease(bg, e.w.B, content.Draft{Title: "Mixed ops release", Advice: "Block them.", Recipients: []string{"org:sh"},
		Objects: []content.Pin{{ID: opsID, Modified: atkMod}, {ID: pbID, Modified: atkMod}}}, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	return r, opsID, pbID
}

func itemIDs(r *mosaic.Release) []string {
	var out []string
	for _, it := range r.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestBuilderAttackColleagueOutsideCompartment: pb's liaison, not in
// compartment ops, opens a release pb's analyst drafted with an ops
// object. The page must not show the ops object, nor pa's consent, and
// the preview is refused; and the liaison must not be able to change a
// release it cannot see all of — saving the form as shown, or adding an
// object to it, would silently drop the ops object (and pa's consent)
// from the release.
func TestBuilderAttackColleagueOutsideCompartment(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, opsID, pbID := e.opsRelease(t, 901)
	pbl := e.withPassword(t, e.liaisonOf(t, "pb"))
	li := e.signedIn(t, pbl)

	resp, page := li.get("/outgoing/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("the colleague's builder page: %d", resp.StatusCode)
	}
	for _, bad := range []string{"Ops only beacon", "192.0.2.201", opsID, `data-org="pa"`} {
		if strings.Contains(page, bad) {
			t.Errorf("the builder page shows the colleague %q of the ops object", bad)
		}
	}
	resp, prev := li.get("/outgoing/" + r.ID + "/preview?recipient=org:sh")
	if resp.StatusCode == 200 || strings.Contains(prev, "Ops only beacon") || strings.Contains(prev, "192.0.2.") {
		t.Errorf("the colleague previews the release: %d", resp.StatusCode)
	}

	// Save the form as the page shows it.
	form := url.Values{"csrf": {csrf(t, page)}, "revision": {"1"}, "title": {"Mixed ops release"}, "advice": {"Block them."},
		"recipient": {"org:sh"}, "object": {pbID + "@" + atkMod + "#pb"}, "dangling": {"refuse"}, "action": {"save"}}
	resp, _ = li.post("/outgoing/"+r.ID, form)
	t.Logf("save by the colleague: %d at %s", resp.StatusCode, resp.Request.URL)
	got, err := e.svc.Release(bg, e.w.B, r.ID, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(itemIDs(got.Release), opsID) {
		t.Errorf("the colleague outside ops revised the release to revision %d and dropped the ops object: items %v, consents %v",
			got.Release.Revision, itemIDs(got.Release), got.Release.Consents)
	}

	// Add an object to a second such release.
	r2, ops2, _ := e.opsRelease(t, 905)
	_, home := li.get("/")
	extra := indicatorAt(909, "Pb extra", "[ipv4-addr:value = '198.51.100.209']")
	e.w.Ingest(t, e.w.B, storetest.Record(t, extra, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	resp, _ = li.post("/outgoing/add", url.Values{"csrf": {csrf(t, home)}, "release": {r2.ID}, "object": {"indicator--" + storetest.UUID(909) + "@" + atkMod}})
	t.Logf("add by the colleague: %d at %s", resp.StatusCode, resp.Request.URL)
	got, err = e.svc.Release(bg, e.w.B, r2.ID, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(itemIDs(got.Release), ops2) {
		t.Errorf("add to release by the colleague outside ops dropped the ops object: items %v", itemIDs(got.Release))
	}
}

// TestBuilderAttackColleagueSeesNothingHidden: the defence half of the
// above, which holds: the colleague's pages show nothing of the ops
// object nor pa's consent, and preview, publish and discard are refused.
func TestBuilderAttackColleagueSeesNothingHidden(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, opsID, _ := e.opsRelease(t, 911)
	li := e.signedIn(t, e.withPassword(t, e.liaisonOf(t, "pb")))
	resp, page := li.get("/outgoing/" + r.ID)
	if resp.StatusCode != 200 {
		t.Fatalf("the colleague's builder page: %d", resp.StatusCode)
	}
	token := csrf(t, page)
	var bodies []string
	bodies = append(bodies, page)
	_, b := li.get("/outgoing/" + r.ID + "/preview?recipient=org:sh")
	bodies = append(bodies, b)
	_, b = li.get("/outgoing/new?supersedes=" + r.ID)
	bodies = append(bodies, b)
	_, b = li.get("/outgoing/new?object=" + url.QueryEscape(opsID+"@"+atkMod))
	bodies = append(bodies, b)
	_, b = li.post("/outgoing/new", url.Values{"csrf": {token}, "title": {"x"}, "advice": {"y"}, "recipient": {"org:sh"},
		"object": {opsID + "@" + atkMod}, "action": {"check"}})
	bodies = append(bodies, b)
	_, b = li.get("/objects")
	bodies = append(bodies, b)
	for i, body := range bodies {
		for _, bad := range []string{"Ops only beacon", "192.0.2.201", `data-org="pa"`, "value=\"" + opsID} {
			if strings.Contains(body, bad) {
				t.Errorf("page %d shows the colleague %q", i, bad)
			}
		}
	}
	if resp, _ := li.post("/outgoing/"+r.ID+"/withdraw", url.Values{"csrf": {token}, "reason": {"gone"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the colleague discards what it cannot see all of: %d", resp.StatusCode)
	}
	got, err := e.svc.Release(bg, e.w.B, r.ID, content.Access{Action: "t"})
	if err != nil || got.Release.State == mosaic.ReleaseWithdrawn {
		t.Errorf("the release: %+v %v", got.Release, err)
	}
}

// TestBuilderAttackCheckOracle: pc's analyst uses the live check to
// probe pa's releases and objects: a supersedes= of pa's published
// release reads as one of a release that does not exist, and a pin of an
// ops object pc cannot see reads as one of an object that does not
// exist; the check of pins is audited.
func TestBuilderAttackCheckOracle(t *testing.T) {
	e, _ := newReleaseEnv(t)
	pub := e.publish(t, "Pa secret release", "Pa secret advice", mosaic.TLPGreen, "org:sh", indicatorAt(921, "Pa published", "[ipv4-addr:value = '198.51.100.21']"))
	ops := indicatorAt(922, "Ops hidden", "[ipv4-addr:value = '192.0.2.222']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, ops, mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPGreen}))
	opsID := "indicator--" + storetest.UUID(922)
	mine := indicatorAt(923, "Pc own", "[ipv4-addr:value = '203.0.113.23']")
	e.w.Ingest(t, e.w.C, storetest.Record(t, mine, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	mineID := "indicator--" + storetest.UUID(923)

	an := e.signedIn(t, e.w.C)
	_, home := an.get("/")
	token := csrf(t, home)
	ask := func(supersedes, pin string) string {
		f := url.Values{"csrf": {token}, "title": {"Probe"}, "advice": {"x"}, "recipient": {"org:sh"}, "object": {mineID + "@" + atkMod, pin}, "action": {"check"}}
		if supersedes != "" {
			f.Set("supersedes", supersedes)
		}
		resp, body := an.post("/outgoing/new", f)
		if resp.StatusCode != 200 {
			t.Errorf("check: %d", resp.StatusCode)
		}
		return body
	}
	missing := "11111111-1111-4111-8111-111111111111"
	a := volatile(strings.ReplaceAll(ask(pub.ID, mineID+"@"+atkMod+"#pc"), pub.ID, "ID"))
	b := volatile(strings.ReplaceAll(ask(missing, mineID+"@"+atkMod+"#pc"), missing, "ID"))
	if a != b {
		t.Errorf("the check tells pa's published release from one that does not exist:\n%s\n---\n%s", a, b)
	}
	for _, bad := range []string{"Pa secret", "Pa published"} {
		if strings.Contains(a, bad) {
			t.Errorf("the check shows %q", bad)
		}
	}
	ghost := "indicator--" + storetest.UUID(929)
	a = volatile(strings.ReplaceAll(ask("", opsID+"@"+atkMod), opsID, "OBJ"))
	b = volatile(strings.ReplaceAll(ask("", ghost+"@"+atkMod), ghost, "OBJ"))
	if a != b {
		t.Errorf("the check tells a hidden ops object from one that does not exist:\n%s\n---\n%s", a, b)
	}
	if strings.Contains(a, "Ops hidden") || strings.Contains(a, "192.0.2.222") {
		t.Error("the check shows the hidden object")
	}
	// The same through the revise path of pa's release id.
	resp, body := an.post("/outgoing/"+pub.ID, url.Values{"csrf": {token}, "revision": {"1"}, "title": {"x"}, "advice": {"y"}, "action": {"check"}})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Pa secret") {
		t.Errorf("check on pa's release id: %d", resp.StatusCode)
	}
	n := 0
	for _, act := range e.audit.actions(e.w.C.User) {
		if strings.HasPrefix(act, "web.release.check:") {
			n++
		}
	}
	if n < 4 {
		t.Errorf("the checks that read objects are not all audited: %v", e.audit.actions(e.w.C.User))
	}
}

// TestBuilderAttackNoBuilderForOthers: an admin (of pc, a partner) and a
// stakeholder reach no builder path, GET or POST, and change nothing.
func TestBuilderAttackNoBuilderForOthers(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, paID, _ := e.consentRequest(t)
	for _, v := range []mosaic.Viewer{e.w.Admin, e.w.Stakeholder} {
		b := e.signedIn(t, v)
		_, home := b.get("/")
		token := csrf(t, home)
		for _, p := range []string{"/outgoing", "/outgoing/new", "/outgoing/" + r.ID, "/outgoing/" + r.ID + "/preview?recipient=org:sh", "/outgoing/new?supersedes=" + r.ID} {
			if resp, body := b.get(p); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Beacon &lt;i&gt;") {
				t.Errorf("%s GET %s: %d", v.User, p, resp.StatusCode)
			}
		}
		for _, p := range []string{"/outgoing/new", "/outgoing/add", "/outgoing/" + r.ID, "/outgoing/" + r.ID + "/publish", "/outgoing/" + r.ID + "/withdraw"} {
			f := url.Values{"csrf": {token}, "revision": {"1"}, "title": {"t"}, "advice": {"a"}, "recipient": {"org:sh"}, "object": {paID + "@" + atkMod},
				"release": {r.ID}, "reason": {"x"}, "action": {"check"}}
			if resp, body := b.post(p, f); resp.StatusCode != http.StatusNotFound || strings.Contains(body, "Pa beacon") {
				t.Errorf("%s POST %s: %d", v.User, p, resp.StatusCode)
			}
		}
		if _, objs := b.get("/objects"); strings.Contains(objs, `id="add-to-release"`) {
			t.Errorf("%s is offered add to release", v.User)
		}
	}
	got, err := e.svc.Release(bg, e.w.C, r.ID, content.Access{Action: "t"})
	if err != nil || got.Release.Revision != 1 || got.Release.State != mosaic.ReleaseAwaitingConsent {
		t.Errorf("the release changed: %+v %v", got.Release, err)
	}
}

// TestBuilderAttackCSRF: every builder POST without the form's token, or
// with another session's, is refused and changes nothing.
func TestBuilderAttackCSRF(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, _, pcID := e.consentRequest(t)
	an := e.signedIn(t, e.w.C)
	other := e.signedIn(t, e.w.A)
	_, home := other.get("/")
	foreign := csrf(t, home)
	for _, tok := range []string{"", foreign, "x"} {
		for _, p := range []string{"/outgoing/new", "/outgoing/add", "/outgoing/" + r.ID, "/outgoing/" + r.ID + "/publish", "/outgoing/" + r.ID + "/withdraw"} {
			f := url.Values{"revision": {"1"}, "title": {"forged"}, "advice": {"forged"}, "recipient": {"public"}, "object": {pcID + "@" + atkMod},
				"release": {r.ID}, "reason": {"forged"}, "action": {"save"}}
			if tok != "" {
				f.Set("csrf", tok)
			}
			if resp, _ := an.post(p, f); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d", p, tok, resp.StatusCode)
			}
		}
	}
	got, err := e.svc.Release(bg, e.w.C, r.ID, content.Access{Action: "t"})
	if err != nil || got.Release.Revision != 1 || got.Release.Title == "forged" || got.Release.State == mosaic.ReleaseWithdrawn {
		t.Errorf("a forged post changed the release: %+v %v", got.Release, err)
	}
	if n := e.releases(t, e.w.C); n != 1 {
		t.Errorf("a forged post drafted: %d releases", n)
	}
}

// TestBuilderAttackHugeForms: the builder's forms are bounded: 10,001
// object values, a body of pins past the form bound, and an advice past
// the limit are refused quickly, and a form at the bound full of pins is
// answered in reasonable time.
func TestBuilderAttackHugeForms(t *testing.T) {
	e, _ := newReleaseEnv(t)
	an := e.signedIn(t, e.w.C)
	_, home := an.get("/")
	token := csrf(t, home)
	many := make([]string, content.MaxReleaseObjects+1)
	for i := range many {
		many[i] = fmt.Sprintf("i--%d", i)
	}
	for _, p := range []string{"/outgoing/new", "/outgoing/add"} {
		start := time.Now()
		resp, _ := an.post(p, url.Values{"csrf": {token}, "object": many, "release": {"new"}, "title": {"t"}, "advice": {"a"}, "action": {"check"}})
		if resp.StatusCode < 400 || time.Since(start) > 5*time.Second {
			t.Errorf("POST %s with %d objects: %d in %s", p, len(many), resp.StatusCode, time.Since(start))
		}
	}
	// A GET of the form with more pins than add takes.
	q := url.Values{"object": many[:1000]}
	if resp, _ := an.get("/outgoing/new?" + q.Encode()); resp.StatusCode < 400 {
		t.Errorf("GET /outgoing/new with 1000 pins: %d", resp.StatusCode)
	}
	// A body just under the form bound, of distinct pins that parse:
	// every one is looked for; the answer must come in reasonable time.
	var sb strings.Builder
	for i := 0; sb.Len() < 44<<10; i++ {
		fmt.Fprintf(&sb, "indicator--%s@2026-10-01T08:15:42.%03dZ\n", storetest.UUID(100000+i), i%1000)
	}
	start := time.Now()
	resp, body := an.post("/outgoing/new", url.Values{"csrf": {token}, "title": {"t"}, "advice": {"a"}, "recipient": {"org:sh"}, "more_objects": {sb.String()}, "action": {"check"}})
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("a check of a form full of pins took %s", d)
	}
	if resp.StatusCode != 200 || len(body) > 4<<20 {
		t.Errorf("a check of a form full of pins: %d, %d bytes", resp.StatusCode, len(body))
	}
	// Past the bound the body is refused.
	sb.WriteString(strings.Repeat("x", 70<<10))
	if resp, _ := an.post("/outgoing/new", url.Values{"csrf": {token}, "title": {"t"}, "advice": {"a"}, "more_objects": {sb.String()}, "action": {"check"}}); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a form past the bound: %d", resp.StatusCode)
	}
	// An advice past the limit (in characters, inside the byte bound).
	long := strings.Repeat("é", content.MaxReleaseAdvice+1)
	if resp, _ := an.post("/outgoing/new", url.Values{"csrf": {token}, "title": {"t"}, "advice": {long}, "recipient": {"org:sh"}, "action": {"save"}}); resp.StatusCode < 400 {
		t.Errorf("an advice past the limit: %d", resp.StatusCode)
	}
	if n := e.releases(t, e.w.C); n != 0 {
		t.Errorf("huge forms drafted %d releases", n)
	}
}

// TestBuilderAttackHostileText: a title, advice and object name written
// as HTML and script are shown as text on the builder, the list, the
// preview and the "add to release" forms, with no inline script.
func TestBuilderAttackHostileText(t *testing.T) {
	e, _ := newReleaseEnv(t)
	evil := `x\"><img src=x onerror=alert(1)><script>alert(2)</script>`
	obj := indicatorAt(931, evil, "[ipv4-addr:value = '203.0.113.31']")
	e.w.Ingest(t, e.w.C, storetest.Record(t, obj, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	id := "indicator--" + storetest.UUID(931)
	r, err := e.svc.DraftRelease(bg, e.w.C, content.Draft{Title: `</title><script>alert(3)</script>`, Advice: `<img src=x onerror=alert(4)>`,
		Recipients: []string{"org:sh"}, Objects: []content.Pin{{ID: id, Modified: atkMod}}}, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	an := e.signedIn(t, e.w.C)
	for _, p := range []string{"/outgoing", "/outgoing/" + r.ID, "/outgoing/" + r.ID + "/preview?recipient=org:sh",
		"/outgoing/" + r.ID + "/preview?recipient=" + url.QueryEscape(`"><script>alert(5)</script>`),
		"/outgoing/new?object=" + url.QueryEscape(id+"@"+atkMod), "/outgoing/new?object=" + url.QueryEscape(`"><script>alert(6)</script>`),
		"/objects", "/objects/" + id} {
		_, body := an.get(p)
		rawMarkup(t, p, body)
	}
	_, home := an.get("/")
	_, body := an.post("/outgoing/new", url.Values{"csrf": {csrf(t, home)}, "title": {`"><script>alert(7)</script>`}, "advice": {"<img src=x onerror=alert(8)>"},
		"users": {`<script>alert(9)</script>`}, "deadline": {`"><script>`}, "more_objects": {"<script>alert(10)</script>"}, "supersedes": {`"><script>alert(11)</script>`}, "action": {"check"}})
	rawMarkup(t, "check", body)
}

// TestBuilderAttackPreviewSectorOracle: the recipient directory says of
// a sector not who is in it, but the preview of a release to a sector
// answers whether a named stakeholder organisation is in that sector.
func TestBuilderAttackPreviewSectorOracle(t *testing.T) {
	e, _ := newReleaseEnv(t)
	e.secondStakeholder(t) // sh2, in energy
	obj := indicatorAt(941, "Sector probe", "[ipv4-addr:value = '203.0.113.41']")
	e.w.Ingest(t, e.w.C, storetest.Record(t, obj, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	r, err := e.svc.DraftRelease(bg, e.w.C, content.Draft{Title: "Probe", Advice: "x", Recipients: []string{"sector:healthcare"},
		Objects: []content.Pin{{ID: "indicator--" + storetest.UUID(941), Modified: atkMod}}}, content.Access{Action: "t"})
	if err != nil {
		t.Fatal(err)
	}
	an := e.signedIn(t, e.w.C)
	in, _ := an.get("/outgoing/" + r.ID + "/preview?recipient=org:sh")
	out, _ := an.get("/outgoing/" + r.ID + "/preview?recipient=org:sh2")
	if in.StatusCode != out.StatusCode {
		t.Errorf("the preview tells sh (in healthcare: %d) from sh2 (not: %d)", in.StatusCode, out.StatusCode)
	}
}

var scriptTag = regexp.MustCompile(`(?i)<script[^>]*>`)

// rawMarkup fails when body carries the hostile markup unescaped: an img
// element, or a script element that is not one of the asset files.
func rawMarkup(t *testing.T, path, body string) {
	t.Helper()
	if strings.Contains(strings.ToLower(body), "<img") {
		t.Errorf("%s carries an img element", path)
	}
	for _, m := range scriptTag.FindAllString(body, -1) {
		if !regexp.MustCompile(`^<script src="/assets/(live|builder)\.[0-9a-f]{12}\.js" defer>$`).MatchString(m) {
			t.Errorf("%s carries a script element: %s", path, m)
		}
	}
	if strings.Contains(strings.ToLower(body), "javascript:") {
		t.Errorf("%s carries javascript:", path)
	}
}

// TestBuilderAttackAskedOrgLearnsNothing: pa's analyst and liaison, of
// the organisation pc's release asks, find nothing of it in the "add to
// release" forms of /objects and of pa's own object's page, nor, once pc
// discards it, on any builder page.
func TestBuilderAttackAskedOrgLearnsNothing(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, paID, _ := e.consentRequest(t)
	check := func(when string) {
		for _, v := range []mosaic.Viewer{e.w.A, e.w.ALiaison} {
			b := e.signedIn(t, v)
			for _, p := range []string{"/objects", "/objects?q=beacon", "/objects/" + paID, "/outgoing", "/outgoing/new?supersedes=" + r.ID} {
				_, body := b.get(p)
				// The supersedes path echoes the id asked for; pc's
				// indicator is the cell's, which pa reads anyway.
				if strings.Contains(p, r.ID) {
					body = strings.ReplaceAll(body, r.ID, "")
				}
				if strings.Contains(body, r.ID) || strings.Contains(body, "Beacon &lt;i&gt;advice") || strings.Contains(body, "Block both") {
					t.Errorf("%s, %s: %s shows pc's release", when, v.User, p)
				}
			}
			if resp, _ := b.get("/outgoing/" + r.ID); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s, %s: the builder page of pc's release: %d", when, v.User, resp.StatusCode)
			}
		}
	}
	check("asked")
	if _, err := e.svc.Withdraw(bg, e.w.C, r.ID, "not needed", content.Access{Action: "t"}); err != nil {
		t.Fatal(err)
	}
	check("discarded")
}

// TestBuilderAttackColleagueLearnsHiddenLevel: the release's level is
// computed from every item, so pb's liaison, outside ops, reads on the
// builder page and in /outgoing that the release is TLP:AMBER though all
// it can see is GREEN: something it may not see is in there, and at
// what level.
func TestBuilderAttackColleagueLearnsHiddenLevel(t *testing.T) {
	e, _ := newReleaseEnv(t)
	r, _, _ := e.opsRelease(t, 961)
	li := e.signedIn(t, e.withPassword(t, e.liaisonOf(t, "pb")))
	for _, p := range []string{"/outgoing/" + r.ID, "/outgoing"} {
		if _, body := li.get(p); strings.Contains(body, "TLP:AMBER") {
			t.Errorf("%s shows the colleague TLP:AMBER, the level of an item it cannot see", p)
		}
	}
}
