package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/credential"
	"mosaic/storetest"
	"mosaic/web/session"
)

// insiderHarness is a harness on open with the seeded directory and the
// liaisons, one for each attack, so that no attack leans on another's
// leftovers.
func insiderHarness(t *testing.T, open storetest.Opener) *harness {
	t.Helper()
	h := newHarness(t, open)
	seed(t, h)
	liaisons(t, h)
	return h
}

// setPassword sets user's password with a one-time code, as the user (or
// whoever knows the code) does, and returns the status.
func (h *harness) setPassword(user, code, password string) int {
	h.t.Helper()
	b, _ := json.Marshal(api.PasswordRequest{User: user, Code: code, Password: password})
	return h.do("", "POST", "/api/v1/password", nil, "application/json", b).status
}

// passwordWorks reports whether password signs user in, by the check the
// web sign-in makes (credential.CheckPassword on the stored hash).
func (h *harness) passwordWorks(user, password string) bool {
	h.t.Helper()
	hash, err := h.store.PasswordHash(context.Background(), user)
	if err != nil {
		h.t.Fatal(err)
	}
	return credential.CheckPassword(hash, password)
}

// signInWeb signs user in on the web, as whoever knows its password would,
// and returns the session's hash.
func (h *harness) signInWeb(user string) [32]byte {
	h.t.Helper()
	_, hash := credential.NewToken()
	if _, err := h.store.(session.Store).CreateSession(context.Background(), hash, user, "csrf", h.clock.Now().Add(time.Hour), mosaic.AuditEntry{Action: "setup"}); err != nil {
		h.t.Fatal(err)
	}
	return hash
}

// sessionLive reports whether the session with hash still lets its holder in.
func (h *harness) sessionLive(hash [32]byte) bool {
	_, _, err := h.store.(session.Store).Session(context.Background(), hash, h.clock.Now())
	return err == nil
}

// tokenStatus is the status of GET path with user's token as the harness
// first made it: the token the admin holds.
func (h *harness) tokenStatus(user, path string) int {
	h.t.Helper()
	return h.do(user, "GET", path, nil, "", nil).status
}

// readUser reads a user as the admin does, into a fresh value (fields left
// out of the JSON when false must not keep an earlier value).
func (h *harness) readUser(name string) mosaic.User {
	h.t.Helper()
	var u mosaic.User
	if r := h.get("pa-admin", "/api/v1/users/"+name, nil, &u); r.status != 200 {
		h.t.Fatalf("GET user %s: %d %s", name, r.status, r.body)
	}
	return u
}

// rawDo is a request that calls no testing function, for goroutines.
func rawDo(h *harness, token, method, path, body string) (int, []byte, error) {
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// noCodeIn fails t when the admin can read code in the request or the
// listing of requests.
func noCodeIn(t *testing.T, h *harness, id int64, code string) {
	t.Helper()
	if code == "" {
		return
	}
	for _, path := range []string{"/api/v1/requests/" + itoa(id), "/api/v1/requests"} {
		r := h.do("pa-admin", "GET", path, nil, "", nil)
		if r.status != 200 || bytes.Contains(r.body, []byte(code)) {
			t.Errorf("the admin reads %s: %d, code in it: %v", path, r.status, bytes.Contains(r.body, []byte(code)))
		}
	}
}

// TestFourEyesInsider tries the ways an admin could still read content
// through a user whose credentials it knows, or through two decisions or
// redemptions at once, on every store.
func TestFourEyesInsider(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Run("puppet auditor grant", func(t *testing.T) { insiderAuditorGrant(t, open) })
			t.Run("promoted admin", func(t *testing.T) { insiderPromotedAdmin(t, open) })
			t.Run("demote reset restore", func(t *testing.T) { insiderDemoteResetRestore(t, open) })
			t.Run("re-enable", func(t *testing.T) { insiderReenable(t, open) })
			t.Run("decide race", func(t *testing.T) { insiderDecideRace(t, open) })
			t.Run("redeem race", func(t *testing.T) { insiderRedeemRace(t, open) })
			t.Run("consent race", func(t *testing.T) { insiderConsentRace(t, open) })
		})
	}
}

// Attack: the admin learns a grant-less auditor's password and token (its
// codes come to the admin), then asks for a content grant for it: once
// granted, the admin would read everything shared with the cell.
func insiderAuditorGrant(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	out := h.change("pa-admin", "POST", "/api/v1/users/ov-auditor/password-reset", "", 200)
	if out.Code == "" {
		t.Fatalf("no code for a grant-less auditor's reset: %+v", out)
	}
	const known = "the admin knows this one"
	if s := h.setPassword("ov-auditor", out.Code, known); s != 204 {
		t.Fatalf("the admin sets the auditor's password: %d", s)
	}
	sess := h.signInWeb("ov-auditor")
	if s := h.tokenStatus("ov-auditor", "/api/v1/me"); s != 200 {
		t.Fatalf("the admin's token of the auditor before: %d", s)
	}

	out = h.change("pa-admin", "PATCH", "/api/v1/users/ov-auditor", `{"content_grant":true}`, 202)
	if out.Request == nil || out.Request.Org != "" || out.Code != "" {
		t.Fatalf("the grant request: %+v", out)
	}
	d := h.decide("pb-liaison", out.Request.ID, "approve", "", 200) // any partner's approver
	if d.Code == "" {
		t.Errorf("the approver got no code: %+v", d)
	}
	u := h.readUser("ov-auditor")
	if !u.ContentGrant {
		t.Fatalf("grant not given: %+v", u)
	}
	if h.passwordWorks("ov-auditor", known) {
		t.Error("the password the admin set still signs the granted auditor in")
	}
	if s := h.tokenStatus("ov-auditor", "/api/v1/objects"); s != 401 {
		t.Errorf("the admin's token of the granted auditor: %d, want 401", s)
	}
	if h.sessionLive(sess) {
		t.Error("the admin's session as the auditor survived the grant")
	}
	noCodeIn(t, h, out.Request.ID, d.Code)
	// From now on its codes go to an approver, not the admin.
	if out := h.change("pa-admin", "POST", "/api/v1/users/ov-auditor/password-reset", "", 202); out.Code != "" || out.Request.Org != "" {
		t.Errorf("a granted auditor's reset: %+v", out)
	}
	// The auditor sets its password with the approver's code.
	if d.Code != "" {
		if s := h.setPassword("ov-auditor", d.Code, "the auditor's own password"); s != 204 {
			t.Fatalf("the auditor sets its password with the approver's code: %d", s)
		}
		if !h.passwordWorks("ov-auditor", "the auditor's own password") {
			t.Error("the auditor's own password does not work")
		}
	}
}

// Attack: the admin makes an admin-role user in a partner (no content, no
// approval; its code comes to the admin), learns its password and token,
// then has it promoted to analyst through an honest-looking request.
func insiderPromotedAdmin(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	out := h.change("pa-admin", "POST", "/api/v1/users", `{"name":"pb-puppet","org":"pb","role":"admin"}`, 201)
	if out.Code == "" || out.Request != nil {
		t.Fatalf("creating a partner's admin-role user: %+v", out)
	}
	const known = "the admin knows this one"
	if s := h.setPassword("pb-puppet", out.Code, known); s != 204 {
		t.Fatalf("the admin sets the puppet's password: %d", s)
	}
	sess := h.signInWeb("pb-puppet")
	if s := h.tokenStatus("pb-puppet", "/api/v1/me"); s != 200 {
		t.Fatalf("the puppet's token before: %d", s)
	}
	// The admin also keeps a fresh code it has not used.
	spare := h.change("pa-admin", "POST", "/api/v1/users/pb-puppet/password-reset", "", 200).Code
	if spare == "" {
		t.Fatal("no spare code")
	}

	r := h.do("pa-admin", "PATCH", "/api/v1/users/pb-puppet", nil, "application/json", []byte(`{"role":"analyst"}`))
	if r.status != 202 {
		t.Fatalf("promotion: %d %s", r.status, r.body)
	}
	var req outcome
	_ = json.Unmarshal(r.body, &req)
	if req.Request == nil || req.Request.Org != "pb" || req.Code != "" || req.User == nil || req.User.Role != mosaic.Admin {
		t.Fatalf("promotion request: %s", r.body)
	}
	d := h.decide("pb-liaison", req.Request.ID, "approve", "", 200)
	if d.Code == "" {
		t.Errorf("the approver got no code: %+v", d)
	}
	if d.Code != "" && bytes.Contains(r.body, []byte(d.Code)) {
		t.Error("the admin's answer holds the code")
	}
	noCodeIn(t, h, req.Request.ID, d.Code)
	u := h.readUser("pb-puppet")
	if u.Role != mosaic.Analyst {
		t.Fatalf("not promoted: %+v", u)
	}
	if h.passwordWorks("pb-puppet", known) {
		t.Error("the password the admin set still signs the new analyst in")
	}
	for _, path := range []string{"/api/v1/objects", "/api/v1/me"} {
		if s := h.tokenStatus("pb-puppet", path); s != 401 {
			t.Errorf("the admin's token of the new analyst, %s: %d, want 401", path, s)
		}
	}
	if h.sessionLive(sess) {
		t.Error("the admin's session as the new analyst survived the promotion")
	}
	var ts struct{ Tokens []mosaic.Token }
	h.get("pa-admin", "/api/v1/users/pb-puppet/tokens", nil, &ts)
	if len(ts.Tokens) == 0 {
		t.Error("the puppet's tokens are not listed")
	}
	for _, tok := range ts.Tokens {
		if tok.Revoked == nil {
			t.Errorf("token %d not revoked", tok.ID)
		}
	}
	if s := h.setPassword("pb-puppet", spare, "the admin's spare code"); s != 401 {
		t.Errorf("the admin's unused code after the promotion: %d, want 401", s)
	}
	if d.Code != "" {
		if s := h.setPassword("pb-puppet", d.Code, "the analyst's own password"); s != 204 {
			t.Errorf("the analyst sets its password with the approver's code: %d", s)
		}
	}
}

// Attack: the admin demotes a partner analyst to a role that reads no
// content (at once), resets its password (the code now comes to the
// admin), sets one, and asks for the analyst role back.
func insiderDemoteResetRestore(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	if out := h.change("pa-admin", "PATCH", "/api/v1/users/pb-analyst", `{"role":"admin"}`, 200); out.User == nil || out.User.Role != mosaic.Admin {
		t.Fatalf("demotion: %+v", out)
	}
	out := h.change("pa-admin", "POST", "/api/v1/users/pb-analyst/password-reset", "", 200)
	if out.Code == "" {
		t.Fatalf("no code for the demoted user's reset: %+v", out)
	}
	const known = "the admin knows this one"
	if s := h.setPassword("pb-analyst", out.Code, known); s != 204 {
		t.Fatalf("the admin sets the demoted user's password: %d", s)
	}
	sess := h.signInWeb("pb-analyst")
	if s := h.tokenStatus("pb-analyst", "/api/v1/me"); s != 200 {
		t.Fatalf("the demoted user's token: %d", s)
	}

	out = h.change("pa-admin", "PATCH", "/api/v1/users/pb-analyst", `{"role":"analyst"}`, 202)
	if out.Request == nil || out.Request.Org != "pb" || out.Code != "" {
		t.Fatalf("restoring the role: %+v", out)
	}
	d := h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	if d.Code == "" {
		t.Errorf("the approver got no code: %+v", d)
	}
	noCodeIn(t, h, out.Request.ID, d.Code)
	if h.passwordWorks("pb-analyst", known) {
		t.Error("the password the admin set still signs the restored analyst in")
	}
	if s := h.tokenStatus("pb-analyst", "/api/v1/objects"); s != 401 {
		t.Errorf("the admin's token of the restored analyst: %d, want 401", s)
	}
	if h.sessionLive(sess) {
		t.Error("the admin's session as the restored analyst survived")
	}
	if s := h.setPassword("pb-analyst", out.Code, "the admin tries its old code"); s != 401 {
		t.Errorf("the admin's earlier code after the restore: %d, want 401", s)
	}
}

// Attack: the admin disables a partner analyst (at once) and enables it
// again, which would bring back whatever credentials it kept, perhaps
// those of someone who left; the same with an auditor holding a grant.
func insiderReenable(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	if s := h.tokenStatus("pa-analyst", "/api/v1/me"); s != 200 {
		t.Fatalf("token before: %d", s)
	}
	h.change("pa-admin", "PATCH", "/api/v1/users/pa-analyst", `{"disabled":true}`, 200)
	if s := h.tokenStatus("pa-analyst", "/api/v1/me"); s != 401 {
		t.Fatalf("a disabled user's token: %d", s)
	}
	out := h.change("pa-admin", "PATCH", "/api/v1/users/pa-analyst", `{"disabled":false}`, 202)
	if out.Request == nil || out.Request.Org != "pa" || !slices.Contains(out.Request.Change.Fields, "disabled") {
		t.Fatalf("re-enabling: %+v", out.Request)
	}
	if out.User == nil || !out.User.Disabled {
		t.Fatalf("enabled before approval: %+v", out.User)
	}
	u := h.readUser("pa-analyst")
	if !u.Disabled {
		t.Fatal("enabled before approval")
	}
	if s := h.tokenStatus("pa-analyst", "/api/v1/objects"); s != 401 {
		t.Errorf("token while re-enabling waits: %d, want 401", s)
	}
	d := h.decide("pa-liaison", out.Request.ID, "approve", "", 200)
	u = h.readUser("pa-analyst")
	if u.Disabled {
		t.Error("not enabled after approval")
	}
	if d.Code == "" {
		t.Error("the approver got no code for the re-enabled analyst")
	}
	if s := h.tokenStatus("pa-analyst", "/api/v1/objects"); s != 401 {
		t.Errorf("a token kept while disabled works again: %d, want 401", s)
	}

	// An auditor with a grant: any partner's approver decides.
	if err := h.store.CreateUser(context.Background(), &mosaic.User{Name: "ov-granted", Org: "ov", Role: mosaic.Auditor, ContentGrant: true}, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	h.change("pa-admin", "PATCH", "/api/v1/users/ov-granted", `{"disabled":true}`, 200)
	out = h.change("pa-admin", "PATCH", "/api/v1/users/ov-granted", `{"disabled":false}`, 202)
	if out.Request == nil || out.Request.Org != "" || !slices.Contains(out.Request.Change.Fields, "disabled") {
		t.Fatalf("re-enabling a granted auditor: %+v", out.Request)
	}
	u = h.readUser("ov-granted")
	if !u.Disabled {
		t.Error("the granted auditor enabled before approval")
	}
	h.decide("pb-liaison", out.Request.ID, "approve", "", 200)
	u = h.readUser("ov-granted")
	if u.Disabled {
		t.Error("the granted auditor not enabled after approval")
	}
	// Users who read no content are enabled at once.
	h.change("pa-admin", "PATCH", "/api/v1/users/sh-user", `{"disabled":true}`, 200)
	h.change("pa-admin", "PATCH", "/api/v1/users/sh-user", `{"disabled":false}`, 200)
}

// Attack: two decisions of one request at once, both answered 200: an
// approval applied although a refusal was answered too, or two codes of
// which only the last works.
func insiderDecideRace(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	if err := h.store.CreateUser(context.Background(), &mosaic.User{Name: "pb-liaison3", Org: "pb", Role: mosaic.Liaison, Approver: true}, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	type decision struct{ user, verb string }
	pairs := [][2]decision{
		{{"pb-liaison", "approve"}, {"pb-liaison", "refuse"}},
		{{"pb-liaison", "approve"}, {"pb-liaison3", "approve"}},
		{{"pb-liaison3", "approve"}, {"pb-liaison", "refuse"}},
	}
	tokens := map[string]string{"pb-liaison": h.token("pb-liaison"), "pb-liaison3": h.token("pb-liaison3")}
	for round := range 40 {
		out := h.change("pa-admin", "POST", "/api/v1/users/pb-analyst/password-reset", "", 202)
		id := out.Request.ID
		pair := pairs[round%len(pairs)]
		var status [2]int
		var body [2][]byte
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, dc := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				status[i], body[i], errs[i] = rawDo(h, tokens[dc.user], "POST", "/api/v1/requests/"+itoa(id)+"/"+dc.verb, "")
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		won := -1
		switch {
		case status[0] == 200 && status[1] == 409:
			won = 0
		case status[0] == 409 && status[1] == 200:
			won = 1
		default:
			t.Fatalf("round %d, %v: answers %d and %d, want one 200 and one 409\n%s\n%s", round, pair, status[0], status[1], body[0], body[1])
		}
		var d api.Decided
		_ = json.Unmarshal(body[won], &d)
		var lost api.Decided
		_ = json.Unmarshal(body[1-won], &lost)
		if lost.Code != "" {
			t.Errorf("round %d: the losing decision got a code", round)
		}
		var got mosaic.ChangeRequest
		h.get("pa-admin", "/api/v1/requests/"+itoa(id), nil, &got)
		want := mosaic.RequestRefused
		if pair[won].verb == "approve" {
			want = mosaic.RequestApproved
			if d.Code == "" {
				t.Errorf("round %d: the winning approval got no code", round)
			}
		}
		if got.Status != want || got.DecidedBy != pair[won].user {
			t.Fatalf("round %d: request %s by %s, but %s of %s was answered 200", round, got.Status, got.DecidedBy, pair[won].verb, pair[won].user)
		}
	}
}

// Attack: one code redeemed twice at once, so that whoever saw it too
// (the admin, for a user who reads no content, or someone looking over
// the approver's shoulder) sets a password alongside the user's.
func insiderRedeemRace(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	for round := range 20 {
		out := h.change("pa-admin", "POST", "/api/v1/users/sh-user/password-reset", "", 200)
		if out.Code == "" {
			t.Fatalf("round %d: no code", round)
		}
		var status [2]int
		var errs [2]error
		passwords := [2]string{fmt.Sprintf("first password %d", round), fmt.Sprintf("second password %d", round)}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, _ := json.Marshal(api.PasswordRequest{User: "sh-user", Code: out.Code, Password: passwords[i]})
				<-start
				status[i], _, errs[i] = rawDo(h, "", "POST", "/api/v1/password", string(b))
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		won := -1
		switch {
		case status[0] == 204 && status[1] == 401:
			won = 0
		case status[0] == 401 && status[1] == 204:
			won = 1
		default:
			t.Fatalf("round %d: answers %d and %d, want one 204 and one 401", round, status[0], status[1])
		}
		if !h.passwordWorks("sh-user", passwords[won]) || h.passwordWorks("sh-user", passwords[1-won]) {
			t.Fatalf("round %d: the stored password is not the one answered 204", round)
		}
	}
}

// insiderConsentRace: the two organisations a membership needs agree at
// the same moment. Each agreement counts once, and the change is made
// exactly once, by whichever comes last: a request must not stay pending
// with every agreement given, nor be applied twice.
func insiderConsentRace(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	tokens := map[string]string{"pa-liaison": h.token("pa-liaison"), "pb-liaison": h.token("pb-liaison")}
	for round := range 20 {
		out := h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison2", "", 202)
		id := out.Request.ID
		var status [2]int
		var errs [2]error
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, user := range []string{"pa-liaison", "pb-liaison"} {
			wg.Go(func() {
				<-start
				status[i], _, errs[i] = rawDo(h, tokens[user], "POST", "/api/v1/requests/"+itoa(id)+"/approve", "")
			})
		}
		close(start)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || status[0] != 200 || status[1] != 200 {
			t.Fatalf("round %d: answers %d and %d (%v, %v), want both 200", round, status[0], status[1], errs[0], errs[1])
		}
		var r mosaic.ChangeRequest
		h.get("pa-admin", "/api/v1/requests/"+itoa(id), nil, &r)
		var c mosaic.Compartment
		h.get("pa-admin", "/api/v1/compartments/ops", nil, &c)
		if r.Status != mosaic.RequestApproved || !slices.Contains(c.Users, "pb-liaison2") {
			t.Fatalf("round %d: both agreed, request %s, members %v", round, r.Status, c.Users)
		}
		for _, cs := range r.Consents {
			if cs.DecidedBy == "" {
				t.Fatalf("round %d: %s's agreement is not recorded", round, cs.Org)
			}
		}
		h.change("pa-admin", "DELETE", "/api/v1/compartments/ops/users/pb-liaison2", "", 200)
	}
}
