package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
)

// approvers makes pa-liaison an approver of pa and adds pb-liaison, an
// approver of pb, both with passwords.
func approvers(t *testing.T, e *env) (pa, pb mosaic.Viewer) {
	t.Helper()
	a := mosaic.AuditEntry{Time: e.w.Clock.Now(), User: "test", Action: "setup", Decision: mosaic.Allowed}
	if err := e.w.Store.SetApprover(bg, e.w.ALiaison.User, true, a); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: "pb-liaison", Org: "pb", Role: mosaic.Liaison, Approver: true}
	if err := e.w.Store.CreateUser(bg, &u, credential.HashPassword(password(u.Name)), a); err != nil {
		t.Fatal(err)
	}
	if err := e.w.Store.SetPassword(bg, e.w.ALiaison.User, credential.HashPassword(password(e.w.ALiaison.User)), a); err != nil {
		t.Fatal(err)
	}
	return e.w.ALiaison, mosaic.Viewer{User: u.Name}
}

var oneTimeCode = regexp.MustCompile(`<code id="one-time-code">([A-Z2-7 ]+)</code>`)

func (e *env) request(t *testing.T, id int64) mosaic.ChangeRequest {
	t.Helper()
	r, err := e.approvals.Request(bg, e.w.Admin, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestApproveRequest walks a new analyst through the UI: its approver
// sees the request and approves it, sees the one-time code once, and the
// new user sets a password with it and signs in. Another organisation's
// approver and a plain analyst see nothing and cannot decide; the admin
// who asked sees the request but cannot approve it.
func TestApproveRequest(t *testing.T) {
	e := newEnv(t)
	paApprover, pbApprover := approvers(t, e)
	out, err := e.approvals.CreateUser(bg, e.w.Admin, mosaic.User{Name: "pa-new", Org: "pa", Role: mosaic.Analyst})
	if err != nil || out.Request == nil {
		t.Fatalf("asking for an analyst: %+v %v", out, err)
	}
	id := out.Request.ID
	approve := fmt.Sprintf("/requests/%d/approve", id)

	liaison := e.signedIn(t, paApprover)
	if _, home := liaison.get("/"); !strings.Contains(home, `<a href="/requests">Requests</a>`) {
		t.Errorf("no link to the requests for an approver:\n%s", home)
	}
	resp, page := liaison.get("/requests")
	for _, want := range []string{fmt.Sprintf("Request %d", id), "create user pa-new, analyst of pa", "<dd>pc-admin</dd>", "<dd>2026-11-15 09:00 UTC</dd>",
		`action="` + approve + `"`, fmt.Sprintf(`action="/requests/%d/refuse"`, id), `aria-current="page">Requests</a>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the approver's requests page lacks %q", want)
		}
	}
	if resp.StatusCode != 200 || t.Failed() {
		t.Fatalf("requests page: %d\n%s", resp.StatusCode, page)
	}
	noInline(t, "/requests", page)

	// Others see nothing of it, and may not decide it: it is not there
	// for them.
	analyst := e.signedIn(t, e.w.A)
	if _, home := analyst.get("/"); strings.Contains(home, `href="/requests"`) {
		t.Error("a plain analyst has a link to the requests")
	}
	other := e.signedIn(t, pbApprover)
	for name, b := range map[string]*browser{"analyst": analyst, "other approver": other} {
		_, page := b.get("/requests")
		if strings.Contains(page, "pa-new") || !strings.Contains(page, "No request that you may see is waiting for a decision.") {
			t.Errorf("%s's requests page:\n%s", name, page)
		}
		if resp, body := b.post(approve, url.Values{"csrf": {csrf(t, page)}}); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, fmt.Sprintf("There is no request %d.", id)) {
			t.Errorf("%s approves: %d\n%s", name, resp.StatusCode, body)
		}
	}
	_, otherPage := other.get("/requests")
	if resp, body := other.post(fmt.Sprintf("/requests/%d/approve", id+1000), url.Values{"csrf": {csrf(t, otherPage)}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a request that does not exist: %d\n%s", resp.StatusCode, body)
	}
	// The admin sees what it asked for, and may not approve it.
	admin := e.signedIn(t, e.w.Admin)
	_, adminPage := admin.get("/requests")
	if !strings.Contains(adminPage, "create user pa-new") || strings.Contains(adminPage, `action="`+approve+`"`) || !strings.Contains(adminPage, `href="/requests"`) {
		t.Errorf("the admin's requests page:\n%s", adminPage)
	}
	if resp, body := admin.post(approve, url.Values{"csrf": {csrf(t, adminPage)}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Not allowed") {
		t.Errorf("the admin approves: %d\n%s", resp.StatusCode, body)
	}
	// Without the session's token nothing is decided.
	if resp, _ := liaison.post(approve, url.Values{"csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("approval without the token: %d", resp.StatusCode)
	}
	if r := e.request(t, id); r.Status != mosaic.RequestPending {
		t.Fatalf("after refused attempts the request is %s", r.Status)
	}

	// The approver's answer carries the code, once, and nothing else does.
	resp, answer := liaison.post(approve, url.Values{"csrf": {csrf(t, page)}})
	m := oneTimeCode.FindStringSubmatch(answer)
	if resp.StatusCode != 200 || m == nil || resp.Request.URL.Path != approve {
		t.Fatalf("approval: %d at %s\n%s", resp.StatusCode, resp.Request.URL, answer)
	}
	code := strings.ReplaceAll(m[1], " ", "")
	for _, want := range []string{fmt.Sprintf("Request %d approved", id), "One-time code for pa-new", "Hand this code to pa-new yourself", "valid for 72 hours, until 2026-11-04 09:00 UTC", "shown only this once"} {
		if !strings.Contains(answer, want) {
			t.Errorf("the answer lacks %q", want)
		}
	}
	noInline(t, approve, answer)
	for _, c := range resp.Cookies() {
		if strings.Contains(strings.ReplaceAll(c.Value, " ", ""), code) {
			t.Errorf("the code is in cookie %s", c.Name)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the answer may be cached: %q", resp.Header.Get("Cache-Control"))
	}
	_, again := liaison.get("/requests")
	if strings.Contains(strings.ReplaceAll(again, " ", ""), code) {
		t.Error("a reload of the requests page shows the code")
	}
	if !strings.Contains(again, `<span class="status status-approved">Approved</span>`) || !strings.Contains(again, "<td>pa-liaison</td>") {
		t.Errorf("the decided request is not listed:\n%s", again)
	}
	if resp, _ := liaison.post(approve, url.Values{"csrf": {csrf(t, page)}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("approving twice: %d", resp.StatusCode)
	}
	entries, err := e.w.Store.AuditEntries(bg, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	approved := false
	for _, x := range entries {
		if strings.Contains(strings.ReplaceAll(x.Detail, " ", ""), code) {
			t.Errorf("the code is in the audit log: %+v", x)
		}
		approved = approved || (x.Action == "requests.approve" && x.User == "pa-liaison")
	}
	if !approved {
		t.Error("the approval is not audited")
	}

	// The new user sets its password with the code, as typed from the
	// page, and signs in with it; the code works once.
	b := e.browser(t)
	_, login := b.get("/login")
	if !strings.Contains(login, `<a href="/password">Have a one-time code? Set your password</a>`) {
		t.Errorf("no link to set a password on the sign-in page:\n%s", login)
	}
	_, form := b.get("/password")
	noInline(t, "/password", form)
	set := url.Values{"csrf": {csrf(t, form)}, "user": {"pa-new"}, "code": {strings.ToLower(m[1])}, "password": {"a new long password"}, "repeat": {"a new long password"}}
	if resp, body := b.post("/password", set); resp.StatusCode != 200 || !strings.Contains(body, "Your password is set") {
		t.Fatalf("setting the password: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.signIn("pa-new", "a new long password"); resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		t.Errorf("sign-in with the new password: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	b = e.browser(t)
	_, form = b.get("/password")
	set.Set("csrf", csrf(t, form))
	set.Set("password", "another long password")
	set.Set("repeat", "another long password")
	if resp, body := b.post("/password", set); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "the one-time code is wrong") {
		t.Errorf("the code used twice: %d\n%s", resp.StatusCode, body)
	}
}

// TestRefuseRequest refuses a password reset with a reason, which the
// request keeps and the page shows.
func TestRefuseRequest(t *testing.T) {
	e := newEnv(t)
	paApprover, _ := approvers(t, e)
	out, err := e.approvals.ResetPassword(bg, e.w.Admin, e.w.A.User)
	if err != nil || out.Request == nil || out.Code != "" {
		t.Fatalf("asking for a reset: %+v %v", out, err)
	}
	id := out.Request.ID
	refuse := fmt.Sprintf("/requests/%d/refuse", id)
	liaison := e.signedIn(t, paApprover)
	_, page := liaison.get("/requests")
	token := csrf(t, page)
	if resp, _ := liaison.post(refuse, url.Values{"reason": {"no"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("refusal without the token: %d", resp.StatusCode)
	}
	if resp, body := liaison.post(refuse, url.Values{"csrf": {token}, "reason": {strings.Repeat("x", 2001)}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at most 2000 bytes") {
		t.Errorf("a reason too long: %d\n%s", resp.StatusCode, body)
	}
	if r := e.request(t, id); r.Status != mosaic.RequestPending {
		t.Fatalf("after refused attempts the request is %s", r.Status)
	}
	resp, body := liaison.post(refuse, url.Values{"csrf": {token}, "reason": {" Ask the analyst to call the desk first. "}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/requests" || oneTimeCode.MatchString(body) {
		t.Fatalf("refusal: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if !strings.Contains(body, `<span class="status status-refused">Refused</span>`) || !strings.Contains(body, "<td>Ask the analyst to call the desk first.</td>") {
		t.Errorf("the refusal is not listed:\n%s", body)
	}
	if r := e.request(t, id); r.Status != mosaic.RequestRefused || r.Reason != "Ask the analyst to call the desk first." || r.DecidedBy != paApprover.User {
		t.Errorf("refused request: %+v", r)
	}
	// In Dutch too.
	if _, body := liaison.get("/requests", "Accept-Language", "nl"); !strings.Contains(body, "Afgewezen") || !strings.Contains(body, "<h1>Wijzigingsverzoeken</h1>") {
		t.Errorf("Dutch requests page:\n%s", body)
	}
}

// TestSetPasswordWithCode: wrong codes are refused, audited and limited
// like failed sign-ins, and a right one works once the limit allows.
func TestSetPasswordWithCode(t *testing.T) {
	e := newEnv(t) // 3 failures a minute
	// A stakeholder reads no content: its code comes back at once.
	out, err := e.approvals.ResetPassword(bg, e.w.Admin, e.w.Stakeholder.User)
	if err != nil || out.Code == "" {
		t.Fatalf("reset: %+v %v", out, err)
	}
	b := e.browser(t)
	_, form := b.get("/password")
	token := csrf(t, form)
	post := func(code, pw, repeat string) (*http.Response, string) {
		return b.post("/password", url.Values{"csrf": {token}, "user": {e.w.Stakeholder.User}, "code": {code}, "password": {pw}, "repeat": {repeat}})
	}
	const pw = "a long enough password"
	// Mistakes in the new password cost no attempt.
	if resp, body := post("WRONG", pw, pw+"!"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The two passwords differ.") {
		t.Errorf("passwords that differ: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := post("WRONG", "short", "short"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "at least 12 characters") {
		t.Errorf("a short password: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.post("/password", url.Values{"csrf": {"forged"}, "user": {e.w.Stakeholder.User}, "code": {out.Code}, "password": {pw}, "repeat": {pw}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a forged token: %d", resp.StatusCode)
	}
	for i := range 3 {
		resp, body := post("AAAABBBBCCCCDDDD", pw, pw)
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "AAAABBBB") {
			t.Fatalf("wrong code %d: %d\n%s", i, resp.StatusCode, body)
		}
	}
	resp, body := post(out.Code, pw, pw)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed attempts") {
		t.Fatalf("after 3 wrong codes: %d %q\n%s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	got := strings.Join(e.audit.actions(e.w.Stakeholder.User), " ")
	if strings.Count(got, "users.password:deny") != 4 {
		t.Errorf("audit of the refusals: %s", got)
	}
	// Sign-in is limited apart: the user still signs in meanwhile.
	if resp, _ := e.browser(t).signIn(e.w.Stakeholder.User, password(e.w.Stakeholder.User)); resp.StatusCode != 200 {
		t.Errorf("sign-in while codes are limited: %d", resp.StatusCode)
	}
	e.w.Clock.Add(time.Minute)
	if resp, body := post(out.Code, pw, pw); resp.StatusCode != 200 || !strings.Contains(body, "Your password is set") {
		t.Fatalf("a minute later: %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := e.browser(t).signIn(e.w.Stakeholder.User, pw); resp.StatusCode != 200 || resp.Request.URL.Path != "/" {
		t.Errorf("sign-in with the new password: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	if resp, _ := e.browser(t).signIn(e.w.Stakeholder.User, password(e.w.Stakeholder.User)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", resp.StatusCode)
	}
}
