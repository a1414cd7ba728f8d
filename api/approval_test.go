package api_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"mosaic"
	"mosaic/api"
	"mosaic/approval"
)

// outcome is what an admin's change answers.
type outcome struct {
	User    *mosaic.User          `json:"user"`
	Request *mosaic.ChangeRequest `json:"request"`
	Code    string                `json:"code"`
}

func (h *harness) change(user, method, path, body string, status int) outcome {
	h.t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	r := h.do(user, method, path, nil, ctype, []byte(body))
	if r.status != status {
		h.t.Fatalf("%s %s %s: %d, want %d: %s", user, method, path, r.status, status, r.body)
	}
	var out outcome
	_ = json.Unmarshal(r.body, &out)
	return out
}

func (h *harness) decide(user string, id int64, verb, body string, status int) api.Decided {
	h.t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	r := h.do(user, "POST", "/api/v1/requests/"+itoa(id)+"/"+verb, nil, ctype, []byte(body))
	if r.status != status {
		h.t.Fatalf("%s %s request %d: %d, want %d: %s", user, verb, id, r.status, status, r.body)
	}
	var d api.Decided
	_ = json.Unmarshal(r.body, &d)
	return d
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// consentOrgs names the organisations whose agreement r needs, in order.
func consentOrgs(r mosaic.ChangeRequest) string {
	var orgs []string
	for _, c := range r.Consents {
		orgs = append(orgs, c.Org)
	}
	return strings.Join(orgs, " ")
}

// TestFourEyes walks every change of who sees content through its request
// and approval, and tries the insider's ways around it: an admin giving
// itself a content role, creating an analyst and signing in as it, setting
// a partner user's password, approving its own request; a liaison without
// the right, or of another organisation, approving; a code used twice.
func TestFourEyes(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	liaisons(t, h)

	// An admin giving itself a content role is refused outright.
	h.change("pa-admin", "PATCH", "/api/v1/users/pa-admin", `{"role":"analyst"}`, 403)

	// Creating an analyst waits for pb's approver, and the admin never
	// learns the code.
	out := h.change("pa-admin", "POST", "/api/v1/users", `{"name":"pb-new","org":"pb","role":"analyst","email":"new@pb.example"}`, 202)
	if out.Request == nil || out.Code != "" || out.Request.Org != "pb" || out.Request.Status != mosaic.RequestPending {
		t.Fatalf("creating an analyst: %+v", out)
	}
	id := out.Request.ID
	if r := h.do("pa-admin", "GET", "/api/v1/users/pb-new", nil, "", nil); r.status != 404 {
		t.Fatalf("the user exists before approval: %d", r.status)
	}
	h.decide("pa-admin", id, "approve", "", 403)    // an admin is no approver
	h.decide("pa-liaison", id, "approve", "", 404)  // another organisation's approver: not even seen
	h.decide("pb-liaison2", id, "approve", "", 404) // a liaison without the right
	h.decide("pb-analyst", id, "approve", "", 404)  // may not even see it
	d := h.decide("pb-liaison", id, "approve", "", 200)
	if d.Code == "" || d.Request.Status != mosaic.RequestApproved || d.Request.DecidedBy != "pb-liaison" {
		t.Fatalf("approval: %+v", d)
	}
	h.decide("pb-liaison", id, "approve", "", 409) // decided already
	// The request, as anyone reads it later, holds no code.
	var got mosaic.ChangeRequest
	if r := h.get("pa-admin", "/api/v1/requests/"+itoa(id), nil, &got); r.status != 200 || strings.Contains(string(r.body), d.Code) {
		t.Fatalf("request as the admin reads it: %d %s", r.status, r.body)
	}

	// The new user sets its password with the code, once.
	pw := func(user, code, password string) int {
		b, _ := json.Marshal(api.PasswordRequest{User: user, Code: code, Password: password})
		return h.do("", "POST", "/api/v1/password", nil, "application/json", b).status
	}
	if s := pw("pb-new", d.Code, "short"); s != 400 {
		t.Errorf("a short password: %d", s)
	}
	if s := pw("pb-new", "WRONGCODE", "a long enough password"); s != 401 {
		t.Errorf("a wrong code: %d", s)
	}
	if s := pw("pb-analyst", d.Code, "a long enough password"); s != 401 {
		t.Errorf("another user's code: %d", s)
	}
	if s := pw("pb-new", strings.ToLower(d.Code), "a long enough password"); s != 204 {
		t.Fatalf("setting the password with the code: %d", s)
	}
	if s := pw("pb-new", d.Code, "another long password"); s != 401 {
		t.Errorf("a code used twice: %d", s)
	}

	// A password reset of a partner analyst goes to the approver too.
	out = h.change("pa-admin", "POST", "/api/v1/users/pb-analyst/password-reset", "", 202)
	if out.Code != "" {
		t.Fatalf("the admin got a partner analyst's code: %+v", out)
	}
	if d := h.decide("pb-liaison", out.Request.ID, "approve", "", 200); d.Code == "" {
		t.Fatalf("no code for the approver: %+v", d)
	}
	// One of a user who reads no content comes back at once.
	if out := h.change("pa-admin", "POST", "/api/v1/users/sh-user/password-reset", "", 200); out.Code == "" {
		t.Errorf("no code for a stakeholder's reset: %+v", out)
	}

	// A role, a content grant, an e-mail address: each waits; the display
	// name does not.
	out = h.change("pa-admin", "PATCH", "/api/v1/users/pb-analyst", `{"role":"liaison","display_name":"Bea"}`, 202)
	if out.User == nil || out.User.Role != mosaic.Analyst || out.User.DisplayName != "Bea" {
		t.Fatalf("a role change made at once: %+v", out.User)
	}
	// Meanwhile the user is disabled; the approval must not undo that.
	h.change("pa-admin", "PATCH", "/api/v1/users/pb-analyst", `{"disabled":true}`, 200)
	h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	var u mosaic.User
	h.get("pa-admin", "/api/v1/users/pb-analyst", nil, &u)
	if u.Role != mosaic.Liaison || !u.Disabled {
		t.Errorf("after approval: %+v, want a disabled liaison", u)
	}
	out = h.change("pa-admin", "PATCH", "/api/v1/users/ov-auditor", `{"content_grant":true}`, 202)
	if out.Request.Org != "" {
		t.Errorf("a content grant is decided by %q, want any partner", out.Request.Org)
	}
	h.decide("pa-liaison", out.Request.ID, "refuse", `{"reason":"not now"}`, 200)
	h.get("pa-admin", "/api/v1/users/ov-auditor", nil, &u)
	if u.ContentGrant {
		t.Error("a refused grant was given")
	}
	h.change("pa-admin", "PATCH", "/api/v1/users/pa-analyst", `{"email":"x@evil.example"}`, 202)
	// Taking away never waits.
	h.change("pa-admin", "PATCH", "/api/v1/users/pb-analyst", `{"role":"analyst"}`, 200)

	// Compartment membership waits for the member's organisation and for
	// every organisation that is a member already (ops has pa): what they
	// shared with it goes to someone new. Leaving waits for nobody.
	out = h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison2", "", 202)
	if got := consentOrgs(*out.Request); out.Request.Org != "pb" || got != "pa pb" {
		t.Fatalf("membership request of %s with consents %q, want pb with pa and pb", out.Request.Org, got)
	}
	d = h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	var c mosaic.Compartment
	h.get("pa-admin", "/api/v1/compartments/ops", nil, &c)
	if d.Request.Status != mosaic.RequestPending || slices.Contains(c.Users, "pb-liaison2") {
		t.Fatalf("made with the joining organisation's agreement alone: %s, %+v", d.Request.Status, c)
	}
	h.decide("pb-liaison", out.Request.ID, "approve", "", 409) // pb agreed already
	d = h.decide("pa-liaison", out.Request.ID, "approve", "", 200)
	h.get("pa-admin", "/api/v1/compartments/ops", nil, &c)
	if d.Request.Status != mosaic.RequestApproved || !slices.Contains(c.Users, "pb-liaison2") {
		t.Errorf("approved member missing: %s, %+v", d.Request.Status, c)
	}
	// Any one member organisation's refusal refuses.
	h.change("pa-admin", "DELETE", "/api/v1/compartments/ops/users/pb-liaison2", "", 200)
	out = h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison2", "", 202)
	h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	if d := h.decide("pa-liaison", out.Request.ID, "refuse", "", 200); d.Request.Status != mosaic.RequestRefused {
		t.Errorf("refused by pa: %s", d.Request.Status)
	}
	h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison2", "", 202)
	h.decide("pb-liaison", out.Request.ID+1, "approve", "", 200)
	h.decide("pa-liaison", out.Request.ID+1, "approve", "", 200)
	h.change("pa-admin", "DELETE", "/api/v1/compartments/ops/users/pb-liaison2", "", 200)
	// An approver does not approve its own membership.
	out = h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison", "", 202)
	h.decide("pb-liaison", out.Request.ID, "approve", "", 403)

	// An organisation's default audience waits for its approver.
	out = h.change("pa-admin", "PATCH", "/api/v1/orgs/pb", `{"default_audience":["cell"],"contact":"desk@pb.example"}`, 202)
	var o mosaic.Organisation
	h.get("pa-admin", "/api/v1/orgs/pb", nil, &o)
	if o.DefaultAudience.Cell || o.Contact != "desk@pb.example" {
		t.Errorf("before approval: %+v", o)
	}
	h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	h.get("pa-admin", "/api/v1/orgs/pb", nil, &o)
	if !o.DefaultAudience.Cell {
		t.Errorf("after approval: %+v", o)
	}

	// The right to approve: with an existing approver's consent only.
	out = h.change("pa-admin", "PUT", "/api/v1/users/pb-liaison2/approver", "", 202)
	h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	h.get("pa-admin", "/api/v1/users/pb-liaison2", nil, &u)
	if !u.Approver {
		t.Error("approver right not given")
	}
	h.change("pa-admin", "PUT", "/api/v1/users/pb-analyst/approver", "", 400) // only liaisons approve
	h.change("pa-admin", "DELETE", "/api/v1/users/pb-liaison2/approver", "", 200)

	// Who sees which requests.
	list := func(user string) []mosaic.ChangeRequest {
		var p api.RequestPage
		if r := h.get(user, "/api/v1/requests", url.Values{"pending": {"true"}}, &p); r.status != 200 {
			t.Fatalf("%s lists requests: %d %s", user, r.status, r.body)
		}
		return p.Requests
	}
	for _, r := range list("pb-liaison") {
		if _, consents := r.Consent("pb"); r.Org != "pb" && r.Org != "" && !consents {
			t.Errorf("pb's approver sees a request of %s", r.Org)
		}
	}
	// A member organisation's approver sees a membership request it must
	// agree to; another's does not.
	for _, n := range []string{"pc", "pd"} {
		if err := h.store.CreateOrg(t.Context(), &mosaic.Organisation{Name: n, FullName: n, Kind: mosaic.Partner, LegalRegime: "wbni"}, mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
		u := mosaic.User{Name: n + "-liaison", Org: n, Role: mosaic.Liaison, Approver: true}
		if err := h.store.CreateUser(t.Context(), &u, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
		h.token(n + "-liaison")
	}
	out = h.change("pa-admin", "PUT", "/api/v1/compartments/ops/orgs/pc", "", 202)
	if got := consentOrgs(*out.Request); got != "pa pc" {
		t.Errorf("adding pc to ops (of pa) needs the agreement of %q", got)
	}
	if !slices.ContainsFunc(list("pa-liaison"), func(r mosaic.ChangeRequest) bool { return r.ID == out.Request.ID }) {
		t.Error("pa's approver does not see a request to add pc to a compartment pa is in")
	}
	if slices.ContainsFunc(list("pd-liaison"), func(r mosaic.ChangeRequest) bool { return r.ID == out.Request.ID }) {
		t.Error("pd's approver sees a request for a compartment it is not in")
	}
	h.decide("pd-liaison", out.Request.ID, "approve", "", 404)
	if rs := list("pa-analyst"); len(rs) != 0 {
		t.Errorf("an analyst sees %d requests", len(rs))
	}
	if rs := list("pa-admin"); len(rs) == 0 {
		t.Error("the admin sees no pending request")
	}
	// A request expires.
	out = h.change("pa-admin", "PUT", "/api/v1/compartments/ops/orgs/pb", "", 202)
	h.clock.Add(mosaic.RequestLifetime)
	h.decide("pb-liaison", out.Request.ID, "approve", "", 409)
	_ = approval.MinPasswordLength
}

// TestMembershipConsentFollowsMembers: an organisation that joins a
// compartment while a request to add another member waits must agree to
// that request too: what it shares there would go to the new member.
func TestMembershipConsentFollowsMembers(t *testing.T) {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	liaisons(t, h)
	if err := h.store.CreateCompartment(t.Context(), &mosaic.Compartment{Name: "late"}, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	pbJoins := h.change("pa-admin", "PUT", "/api/v1/compartments/late/orgs/pb", "", 202)
	if len(pbJoins.Request.Consents) != 0 {
		t.Fatalf("an empty compartment: consents %v", pbJoins.Request.Consents)
	}
	paJoins := h.change("pa-admin", "PUT", "/api/v1/compartments/late/orgs/pa", "", 202)
	h.decide("pa-liaison", paJoins.Request.ID, "approve", "", 200)
	d := h.decide("pb-liaison", pbJoins.Request.ID, "approve", "", 200)
	// pb's approver learns that one more organisation must agree, not
	// which: only admins know who is in a compartment.
	if d.Request.Status != mosaic.RequestPending || consentOrgs(d.Request) != "pb" || d.Request.OthersPending != 1 {
		t.Fatalf("pb joins after pa did, with pb's agreement alone: %s, consents %q, %d others", d.Request.Status, consentOrgs(d.Request), d.Request.OthersPending)
	}
	var asAdmin mosaic.ChangeRequest
	h.get("pa-admin", "/api/v1/requests/"+itoa(pbJoins.Request.ID), nil, &asAdmin)
	if consentOrgs(asAdmin) != "pa pb" {
		t.Errorf("the admin reads consents %q", consentOrgs(asAdmin))
	}
	for _, path := range []string{"/api/v1/requests/" + itoa(pbJoins.Request.ID), "/api/v1/requests?pending=true"} {
		if r := h.do("pb-liaison", "GET", path, nil, "", nil); r.status != 200 || strings.Contains(string(r.body), `"pa"`) {
			t.Errorf("pb's approver reads %s: %d %s", path, r.status, r.body)
		}
	}
	var c mosaic.Compartment
	h.get("pa-admin", "/api/v1/compartments/late", nil, &c)
	if slices.Contains(c.Orgs, "pb") {
		t.Fatalf("pb is a member without pa's agreement: %+v", c)
	}
	if d := h.decide("pa-liaison", pbJoins.Request.ID, "approve", "", 200); d.Request.Status != mosaic.RequestApproved {
		t.Errorf("with both: %s", d.Request.Status)
	}
}
