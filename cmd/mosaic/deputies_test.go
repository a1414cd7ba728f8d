package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"mosaic"
	"mosaic/config"
)

// TestConsentDeputiesChecked: the server starts with deputies who are
// analysts or liaisons of the partner they are named under, and refuses
// to start, naming each, with any other.
func TestConsentDeputiesChecked(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, data, "", "org", "add", "hospital", "--kind", "stakeholder", "--sector", "healthcare")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	mustRun(t, data, "", "user", "add", "bob", "--org", "pb", "--role", "analyst")
	mustRun(t, data, "", "user", "add", "root", "--org", "pa", "--role", "admin")

	m := startServer(t, dir, func(c *config.Config) { c.ConsentDeputies = map[string][]string{"pa": {"alice"}, "pb": {"bob"}} })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for deputies, want := range map[string]string{
		"pa=bob":      `consent_deputies: pa: user bob is of pb: a deputy acts for its own organisation only`,
		"pa=root":     `consent_deputies: pa: user root is an admin: a deputy is an analyst or liaison`,
		"pa=carol":    `consent_deputies: pa: there is no user "carol"`,
		"pc=alice":    `consent_deputies: "pc" is not a partner organisation`,
		"hospital=al": `consent_deputies: "hospital" is not a partner organisation`,
	} {
		c := config.Default()
		c.Addr, c.Data = "127.0.0.1:0", dir
		if err := c.LoadEnv([]string{"MOSAIC_CONSENT_DEPUTIES=" + deputies}); err != nil {
			t.Fatal(err)
		}
		m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		err := m.Open(context.Background())
		m.Close()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %s", deputies, err, want)
		}
	}
	// Every bad deputy is named at once.
	_, errs, code := runCmd(t, append(data, "MOSAIC_ADDR=127.0.0.1:0", "MOSAIC_CONSENT_DEPUTIES=pa=bob+root"), "", "serve")
	if code == 0 || !strings.Contains(errs, "user bob is of pb") || !strings.Contains(errs, "user root is an admin") {
		t.Errorf("serve with bad deputies: exit %d\n%s", code, errs)
	}
}

func TestConsentLine(t *testing.T) {
	for _, c := range []struct {
		cs   mosaic.ReleaseConsent
		want string
	}{
		{mosaic.ReleaseConsent{State: mosaic.ConsentPending}, "pending"},
		{mosaic.ReleaseConsent{State: mosaic.ConsentApproved, Revision: 2, DecidedBy: "pb-liaison"}, "approved revision 2 by pb-liaison"},
		{mosaic.ReleaseConsent{State: mosaic.ConsentRefused, Revision: 1, DecidedBy: "pb-analyst", Deputy: true, Reason: "Too soon."}, "refused revision 1 by pb-analyst (deputy): Too soon."},
	} {
		if got := consentLine(c.cs); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cs, got, c.want)
		}
	}
}
