package main

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mosaic"
	"mosaic/credential"
)

// TestRequestCommands runs the four-eyes workflow through the client
// commands against a server: an admin asks (through the API), the
// organisation's approver lists, shows, approves and refuses, the new user
// sets a password with the code; another organisation's approver, a plain
// analyst and the admin cannot decide.
func TestRequestCommands(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, data, "", "user", "add", "root", "--org", "pa", "--role", "admin")
	mustRun(t, data, "", "user", "add", "pa-analyst", "--org", "pa", "--role", "analyst")
	for _, l := range []string{"pa-liaison", "pb-liaison"} {
		mustRun(t, data, "", "user", "add", l, "--org", l[:2], "--role", "liaison")
		mustRun(t, data, "", "user", "set", l, "--approver")
	}
	m := startServer(t, dir)
	as := func(user string) []string {
		tok := strings.TrimSpace(mustRun(t, data, "", "token", "create", user))
		return []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok}
	}
	root, liaison, other, analyst := as("root"), as("pa-liaison"), as("pb-liaison"), as("pa-analyst")

	// The admin asks, through the API: a new analyst, and a password reset.
	c, err := newClient(env{environ: root})
	if err != nil {
		t.Fatal(err)
	}
	var created, reset struct{ Request *mosaic.ChangeRequest }
	ctx := context.Background()
	if err := c.do(ctx, "POST", "/api/v1/users", nil, []byte(`{"name":"pa-new","org":"pa","role":"analyst"}`), "application/json", &created); err != nil || created.Request == nil {
		t.Fatalf("asking for a user: %+v %v", created, err)
	}
	if err := c.do(ctx, "POST", "/api/v1/users/pa-analyst/password-reset", nil, nil, "", &reset); err != nil || reset.Request == nil {
		t.Fatalf("asking for a reset: %+v %v", reset, err)
	}
	newID, resetID := strconv.FormatInt(created.Request.ID, 10), strconv.FormatInt(reset.Request.ID, 10)

	out := mustRun(t, liaison, "", "requests")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !regexp.MustCompile(`^ID +KIND +ORG +SUBJECT +REQUESTED BY +EXPIRES +STATUS +SUMMARY$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^`+newID+` +user\.create +pa +pa-new +root +\d{4}-\d\d-\d\d \d\d:\d\d UTC +pending +create user pa-new, analyst of pa`).MatchString(lines[2]) ||
		!strings.Contains(lines[1], "user.password-reset") {
		t.Errorf("the approver's list:\n%s", out)
	}
	for name, who := range map[string][]string{"another organisation's approver": other, "a plain analyst": analyst} {
		if out, errs, code := runCmd(t, who, "", "requests", "--all"); code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(errs, "no requests") {
			t.Errorf("%s lists: %d\n%s\n%s", name, code, out, errs)
		}
		if _, errs, code := runCmd(t, who, "", "requests", "show", newID); code == 0 || !strings.Contains(errs, "404") {
			t.Errorf("%s shows the request: %d %s", name, code, errs)
		}
		if _, errs, code := runCmd(t, who, "", "requests", "approve", newID); code == 0 || !strings.Contains(errs, "404") {
			t.Errorf("%s approves: %d %s", name, code, errs)
		}
	}
	if _, errs, code := runCmd(t, root, "", "requests", "approve", newID); code == 0 || !strings.Contains(errs, "403") {
		t.Errorf("the admin approves: %d %s", code, errs)
	}
	if out := mustRun(t, liaison, "", "requests", "show", newID); !strings.Contains(out, "summary") || !strings.Contains(out, "create user pa-new") ||
		!strings.Contains(out, "status                     pending") || !strings.Contains(out, `"name":"pa-new"`) {
		t.Errorf("show:\n%s", out)
	}

	// Approving prints the code, with what to do with it.
	out = mustRun(t, liaison, "", "requests", "approve", newID)
	m1 := regexp.MustCompile(`One-time code for pa-new: ([A-Z2-7]{32})\n`).FindStringSubmatch(out)
	if m1 == nil || !strings.Contains(out, "request "+newID+" approved") || !strings.Contains(out, "Hand this code to pa-new yourself") || !strings.Contains(out, "valid for 72 hours") {
		t.Fatalf("approve:\n%s", out)
	}
	if out := mustRun(t, liaison, "", "requests", "show", newID); strings.Contains(out, m1[1]) || !strings.Contains(out, "decided by                 pa-liaison") {
		t.Errorf("the request shown after approval:\n%s", out)
	}
	if _, errs, code := runCmd(t, liaison, "", "requests", "approve", newID); code == 0 || !strings.Contains(errs, "409") {
		t.Errorf("approved twice: %d %s", code, errs)
	}

	// Refusing keeps the reason.
	if out := mustRun(t, liaison, "", "requests", "refuse", resetID, "--reason", "call the desk first"); !strings.Contains(out, "request "+resetID+" refused") || strings.Contains(out, "Hand this code") {
		t.Errorf("refuse:\n%s", out)
	}
	if out := mustRun(t, liaison, "", "requests", "show", resetID); !strings.Contains(out, "reason                     call the desk first") {
		t.Errorf("the refused request:\n%s", out)
	}
	if out := mustRun(t, liaison, "", "requests"); strings.Count(out, "\n") != 1 {
		t.Errorf("pending after both were decided:\n%s", out)
	}
	if out := mustRun(t, liaison, "", "requests", "--all"); !strings.Contains(out, " approved ") || !strings.Contains(out, " refused ") {
		t.Errorf("all:\n%s", out)
	}

	// The new user sets its password with the code, without a token; the
	// code works once.
	url := []string{"MOSAIC_URL=" + m.URL()}
	if out := mustRun(t, url, strings.ToLower(m1[1])+"\na new long password\n", "password", "--user", "pa-new"); !strings.Contains(out, "password of pa-new set") {
		t.Errorf("password:\n%s", out)
	}
	hash, err := m.Store.PasswordHash(ctx, "pa-new")
	if err != nil || !credential.CheckPassword(hash, "a new long password") {
		t.Errorf("the password was not set: %v", err)
	}
	if _, errs, code := runCmd(t, url, m1[1]+"\nanother long password\n", "password", "--user", "pa-new"); code == 0 || !strings.Contains(errs, "401") {
		t.Errorf("the code used twice: %d %s", code, errs)
	}
	if _, errs, code := runCmd(t, url, m1[1]+"\n", "password", "--user", "pa-new"); code == 0 || !strings.Contains(errs, "no new password") {
		t.Errorf("no password: %d %s", code, errs)
	}
	for _, args := range [][]string{{"requests", "show"}, {"requests", "decide", "1"}, {"requests", "approve", "x"}, {"password"}} {
		if _, _, code := runCmd(t, liaison, "", args...); code == 0 {
			t.Errorf("mosaic %s: exit 0", strings.Join(args, " "))
		}
	}
}
