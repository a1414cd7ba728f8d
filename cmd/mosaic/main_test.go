package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/config"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/demo"
	"mosaic/stix"
	"mosaic/storetest"
)

// runCmd runs a mosaic command in-process and returns its output.
func runCmd(t testing.TB, environ []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, environ: environ})
	return out.String(), errb.String(), code
}

func mustRun(t testing.TB, environ []string, stdin string, args ...string) string {
	t.Helper()
	out, errs, code := runCmd(t, environ, stdin, args...)
	if code != 0 {
		t.Fatalf("mosaic %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// startServer starts Main on port 0 with data in dir.
func startServer(t testing.TB, dir string, change ...func(*config.Config)) *Main {
	t.Helper()
	c := config.Default()
	c.Addr, c.Data = "127.0.0.1:0", dir
	for _, f := range change {
		f(&c)
	}
	m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestAdminAndClientCommands(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg", "--full-name", "Partner A")
	mustRun(t, data, "", "org", "add", "pb", "--kind=partner", "--legal-regime=wbni", "--default-audience", "cell")
	mustRun(t, data, "", "org", "add", "hospital", "--kind", "stakeholder", "--sector", "healthcare")
	if _, errs, code := runCmd(t, data, "", "org", "add", "pc", "--kind", "partner", "--legal-regime", "gdpr"); code == 0 || !strings.Contains(errs, "gdpr") {
		t.Errorf("unknown legal regime accepted: %s", errs)
	}
	mustRun(t, data, "correct horse battery\n", "user", "add", "alice", "--org", "pa", "--role", "analyst", "--password-stdin")
	mustRun(t, data, "", "user", "add", "bob", "--org", "pb", "--role", "analyst")
	if _, errs, code := runCmd(t, data, "", "user", "add", "eve", "--org", "hospital", "--role", "analyst"); code == 0 || !strings.Contains(errs, "does not fit") {
		t.Errorf("analyst at a stakeholder accepted: %s", errs)
	}
	mustRun(t, data, "", "compartment", "add", "ops", "--description", "need to know")
	mustRun(t, data, "", "compartment", "add-member", "ops", "--org", "pa")
	mustRun(t, data, "", "compartment", "add-member", "ops", "--user", "bob")
	list := mustRun(t, data, "", "compartment", "list")
	if !strings.Contains(list, "ops") || !strings.Contains(list, "bob") {
		t.Errorf("compartment list:\n%s", list)
	}
	tokA := strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice", "--expires", "30d", "--label", "laptop"))
	tokB := strings.TrimSpace(mustRun(t, data, "", "token", "create", "bob"))
	mustRun(t, data, "", "token", "create", "alice", "--read-only", "--label", "siem")
	if !strings.HasPrefix(tokA, "mosaic_") {
		t.Fatalf("token %q", tokA)
	}
	if out := mustRun(t, data, "", "token", "list", "alice"); !strings.Contains(out, "valid") || !strings.Contains(out, "laptop") || strings.Contains(out, tokA) ||
		!regexp.MustCompile(`(?m)read-write .*laptop$`).MatchString(out) || !regexp.MustCompile(`(?m)read-only .*siem$`).MatchString(out) {
		t.Errorf("token list:\n%s", out)
	}
	if out := mustRun(t, data, "", "user", "list", "--org", "pa"); !strings.Contains(out, "alice") || strings.Contains(out, "bob") {
		t.Errorf("user list:\n%s", out)
	}
	if out := mustRun(t, data, "", "org", "list"); !strings.Contains(out, "hospital") || !strings.Contains(out, "healthcare") {
		t.Errorf("org list:\n%s", out)
	}

	m := startServer(t, dir)
	alice := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokA}
	bob := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokB}

	// Import in batches of 3: a file larger than a request goes in parts.
	var objs []string
	for i := 1; i <= 10; i++ {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Marshlock beacon %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, storetest.UUID(i), i, i))
	}
	file := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(file, []byte(`{"objects":[`+strings.Join(objs, ",")+`],"type":"bundle","id":"bundle--`+storetest.UUID(1)+`"}`), 0o600)
	out, errs, code := runCmd(t, alice, "", "import", "--audience", "compartment:ops", "--batch", "3", file)
	if code != 0 || !strings.Contains(out, "10 objects in 4 batches: 10 new") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	if out := mustRun(t, alice, "", "import", file); !strings.Contains(out, "10 unchanged") {
		t.Errorf("re-import: %s", out)
	}
	// A batch that fails names the batches that landed.
	bad := strings.Replace(strings.Join(objs, ","), `"name":"Marshlock beacon 7"`, `"name":7`, 1)
	os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+bad+`]}`), 0o600)
	_, errs, code = runCmd(t, alice, "", "import", "--batch", "4", file)
	if code == 0 || !strings.Contains(errs, "batches 1 to 1 (objects 1 to 4) are stored") || !strings.Contains(errs, "batch 2 (objects 5 to 8) was refused") {
		t.Errorf("failed import:\n%s", errs)
	}

	// A server whose body limit is smaller than a batch: the batch goes in
	// halves.
	small := startServer(t, dir, func(c *config.Config) { c.MaxBodyBytes = 2000 })
	var more []string
	for i := 11; i <= 20; i++ {
		more = append(more, strings.Replace(objs[0], storetest.UUID(1), storetest.UUID(i), 1))
	}
	os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+strings.Join(more, ",")+`]}`), 0o600)
	out, errs, code = runCmd(t, []string{"MOSAIC_URL=" + small.URL(), "MOSAIC_TOKEN=" + tokA}, "", "import", "--batch", "10", file)
	if code != 0 || !strings.Contains(out, "10 objects in 1 batches: 10 new") {
		t.Errorf("import through a small body limit: %d\n%s\n%s", code, out, errs)
	}

	// Search and get, as a compartment member by name.
	if out := mustRun(t, bob, "", "search", "marshlock", "beacon"); strings.Count(out, "indicator--") != 10 {
		t.Errorf("search:\n%s", out)
	}
	if out := mustRun(t, bob, "", "search", "198.51.100.7"); strings.Count(out, "indicator--") != 1 {
		t.Errorf("search by IP:\n%s", out)
	}
	got := mustRun(t, bob, "", "get", "indicator--"+storetest.UUID(7))
	if !strings.Contains(got, `"originator": "pa"`) || !strings.Contains(got, `"compartment:ops"`) {
		t.Errorf("get:\n%s", got)
	}
	if _, errs, code := runCmd(t, bob, "", "get", "indicator--"+storetest.UUID(99)); code == 0 || !strings.Contains(errs, "404") {
		t.Errorf("get missing: %s", errs)
	}

	// Export round trip: the bundle carries the envelope extension and the
	// TLP marking, and imports again as unchanged.
	exported := filepath.Join(t.TempDir(), "out.json")
	_, errs, code = runCmd(t, alice, "", "export", "-o", exported, "--type", "indicator")
	if code != 0 || !strings.Contains(errs, "exported 20 objects") {
		t.Fatalf("export: %s", errs)
	}
	b, _ := os.ReadFile(exported)
	var bundle struct {
		Type    string
		Objects []map[string]any
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	var types []string
	for _, o := range bundle.Objects {
		types = append(types, o["type"].(string))
	}
	// Mosaic's identity, its two extension definitions, the TLP marking
	// definition, the 20 indicators (a third party's: they name no
	// creator) and the handling objects of the two uploads they came in.
	if bundle.Type != "bundle" || len(bundle.Objects) != 26 || !slices.Contains(types, "extension-definition") || !slices.Contains(types, "marking-definition") || !slices.Contains(types, stix.HandlingType) {
		t.Errorf("export holds %v", types)
	}
	// The marking definition goes in a batch of its own, first.
	if out := mustRun(t, alice, "", "import", exported); !strings.Contains(out, "24 objects in 2 batches with 2 handling objects: 0 new, 0 new versions, 24 unchanged") {
		t.Errorf("re-import of export: %s", out)
	}
	// Export from a server with a smaller page limit.
	tiny := startServer(t, dir, func(c *config.Config) { c.MaxPageSize = 100 })
	if _, errs, code := runCmd(t, []string{"MOSAIC_URL=" + tiny.URL(), "MOSAIC_TOKEN=" + tokA}, "", "export", "-o", exported); code != 0 || !strings.Contains(errs, "exported 20 objects") {
		t.Errorf("export with max_page_size 100: %s", errs)
	}

	// Client errors are clear.
	if _, errs, code := runCmd(t, []string{"MOSAIC_URL=" + m.URL()}, "", "search", "x"); code == 0 || !strings.Contains(errs, "MOSAIC_TOKEN") {
		t.Errorf("no token: %s", errs)
	}
	if _, errs, code := runCmd(t, []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=nope"}, "", "search", "x"); code == 0 || !strings.Contains(errs, "401") {
		t.Errorf("bad token: %s", errs)
	}
}

func TestDemoSeed(t *testing.T) {
	dir := t.TempDir()
	c := config.Default()
	c.Data = dir
	m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.OpenStore(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Store.Close()
	var stderr bytes.Buffer
	e := env{stdout: io.Discard, stderr: &stderr}
	if err := SeedDemo(context.Background(), m, e); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, CredentialsFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	var creds []DemoCredential
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &creds); err != nil {
		t.Fatal(err)
	}
	roles := map[mosaic.Role]bool{}
	partnerRoles := map[string]map[mosaic.Role]bool{}
	for _, c := range creds {
		roles[c.Role] = true
		if partnerRoles[c.Org] == nil {
			partnerRoles[c.Org] = map[mosaic.Role]bool{}
		}
		partnerRoles[c.Org][c.Role] = true
		if c.User == "" || c.Org == "" || c.Token == "" || len(c.Password) < 12 {
			t.Errorf("incomplete credential %+v", c)
		}
	}
	for _, r := range mosaic.Roles {
		if !roles[r] {
			t.Errorf("no demo user with role %s", r)
		}
	}
	orgs, _ := m.Store.Orgs(context.Background())
	partners, stakeholders := 0, 0
	for _, o := range orgs {
		switch o.Kind {
		case mosaic.Partner:
			partners++
			if !partnerRoles[o.Name][mosaic.Analyst] || !partnerRoles[o.Name][mosaic.Liaison] {
				t.Errorf("partner %s lacks an analyst or a liaison", o.Name)
			}
		case mosaic.Stakeholder:
			stakeholders++
			if !partnerRoles[o.Name][mosaic.StakeholderViewer] {
				t.Errorf("stakeholder %s has no stakeholder user", o.Name)
			}
		}
	}
	if partners != 5 || stakeholders < 6 {
		t.Errorf("%d partners and %d stakeholders", partners, stakeholders)
	}
	// Every token works and the data is there.
	for _, c := range creds {
		v, err := m.Store.Authenticate(context.Background(), hashOf(c.Token), m.Clock.Now())
		if err != nil || v.User != c.User || v.Role != c.Role || v.Org != c.Org {
			t.Errorf("token of %s: %+v %v", c.User, v, err)
		}
	}
	v, _ := viewerOf(context.Background(), m, "ncsc-analyst")
	st2, err := m.Store.Stats(context.Background(), v)
	if err != nil || st2.Total < 300 {
		t.Errorf("ncsc-analyst sees %d objects (%v)", st2.Total, err)
	}
	checkDemoReleases(t, m)
	// Run again: the data is reused.
	stderr.Reset()
	if err := SeedDemo(context.Background(), m, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "reusing") {
		t.Errorf("second start: %s", stderr.String())
	}
	// Without the credentials file (lost, or a first start that was
	// interrupted), the seeding runs again: nothing is stored twice, and
	// every user gets new secrets.
	os.Remove(path)
	stderr.Reset()
	if err := SeedDemo(context.Background(), m, e); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "0 records stored now") || !strings.Contains(stderr.String(), "(0 made now)") {
		t.Errorf("resumed seeding: %s", stderr.String())
	}
	// The threat levels are set once, each sector with its history.
	for sector, n := range map[string]int{"healthcare": 4, "financial-services": 3, "energy": 2, "government-national": 2} {
		hist, err := m.Store.ThreatLevels(context.Background(), v, sector, 100)
		if err != nil || len(hist) != n {
			t.Errorf("%s has %d threat levels (%v), want %d", sector, len(hist), err, n)
		}
	}
	checkDemoReleases(t, m)
	st3, _ := m.Store.Stats(context.Background(), v)
	if st3.Total != st2.Total {
		t.Errorf("after resuming ncsc-analyst sees %d objects, before %d", st3.Total, st2.Total)
	}
	if _, err := m.Store.Authenticate(context.Background(), hashOf(creds[0].Token), m.Clock.Now()); err != nil {
		t.Errorf("old token after new secrets: %v (old tokens stay valid)", err)
	}
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "mosaic.json")
	os.WriteFile(file, []byte(`{"addr":"127.0.0.1:9000","data":"from-file","default_tlp":"green","max_page_size":50}`), 0o600)
	fs := newFlagSet()
	c, _, err := config.Load(fs, []string{"--config", file, "--addr", "127.0.0.1:9100"}, []string{"MOSAIC_DATA=from-env", "MOSAIC_DEFAULT_TLP=red"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9100" || c.Data != "from-env" || c.DefaultTLP != "red" || c.MaxPageSize != 50 || c.MaxBodyBytes != 32<<20 {
		t.Errorf("config %+v", c)
	}
	for _, tc := range []struct {
		name, file string
		args, env  []string
		want       string
	}{
		{"unknown file key", `{"adress":"x"}`, nil, nil, "adress"},
		{"unknown env", `{}`, nil, []string{"MOSAIC_ADRESS=x"}, "MOSAIC_ADRESS"},
		{"unknown flag", `{}`, []string{"--adress", "x"}, nil, "adress"},
		{"bad value", `{}`, []string{"--default-tlp", "purple"}, nil, "purple"},
		{"bad number", `{}`, nil, []string{"MOSAIC_MAX_DEPTH=deep"}, "MOSAIC_MAX_DEPTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.WriteFile(file, []byte(tc.file), 0o600)
			fs := newFlagSet()
			_, _, err := config.Load(fs, append([]string{"--config", file}, tc.args...), tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func hashOf(token string) [32]byte { return credential.HashToken(token) }

func TestExportFormats(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	tok := strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice"))
	m := startServer(t, dir)
	env := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok}
	ind := func(n int, pat, extra string) string {
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"i%d","pattern":%q,"pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"%s}`,
			storetest.UUID(n), n, pat, extra)
	}
	red := `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`
	objs := []string{
		ind(1, "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'EVIL.example.com']", ""),
		ind(2, "[file:hashes.'SHA-256' = 'AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899']", red),
		ind(3, "[ipv4-addr:value != '203.0.113.1']", ""),
		ind(4, "[ipv4-addr:value = '192.0.2.44']", `,"revoked":true`),
		ind(5, "[ipv4-addr:value = '192.0.2.55']", `,"valid_until":"2026-10-02T00:00:00Z"`),
		`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + storetest.UUID(6) + `","value":"203.0.113.0/24"}`,
		ind(7, "[url:value = 'HTTP://Evil.Example.com:80/x']", ""),
	}
	file := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+strings.Join(objs, ",")+`]}`), 0o600)
	mustRun(t, env, "", "import", file)
	for _, tc := range []struct {
		format, tlp string
		want        []string
	}{
		{"ip", "TLP:AMBER", []string{"198.51.100.7", "203.0.113.0/24"}},
		{"domain", "TLP:AMBER", []string{"evil.example.com"}},
		{"url", "TLP:AMBER", []string{"http://evil.example.com/x"}},
		{"hash", "TLP:RED", []string{"aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899"}},
	} {
		out, errs, code := runCmd(t, env, "", "export", "--format", tc.format)
		if code != 0 {
			t.Fatalf("%s: %s", tc.format, errs)
		}
		var entries []string
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(line, "#") {
				entries = append(entries, line)
			}
		}
		if strings.Join(entries, "|") != strings.Join(tc.want, "|") || !strings.Contains(out, "# "+tc.tlp+":") {
			t.Errorf("%s blocklist:\n%s\nwant %v under %s", tc.format, out, tc.want, tc.tlp)
		}
	}
	if _, errs, _ := runCmd(t, env, "", "export", "--format", "ip"); !strings.Contains(errs, "2 revoked or expired objects left out") {
		t.Errorf("ip export summary: %s", errs)
	}
	out := mustRun(t, env, "", "export", "--format", "csv")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// A header, one row per observable of each object (two for the first
	// indicator), one row for the indicator with a negated pattern.
	if len(rows) != 1+8 || rows[0][5] != "observable" || rows[0][6] != "tlp" {
		t.Errorf("csv has %d rows:\n%s", len(rows), out)
	}
	if _, errs, code := runCmd(t, env, "", "export", "--format", "xml"); code == 0 || !strings.Contains(errs, "xml") {
		t.Errorf("unknown format: %s", errs)
	}
}

func TestImportMISP(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	tok := strings.TrimSpace(mustRun(t, data, "", "token", "create", "alice"))
	m := startServer(t, dir)
	env := []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tok}
	for _, f := range []string{"galaxy_1.json", "existing_event.json", "mainly_objects_1.json", "57c4445b-c548-4654-af0b-4be3950d210f.json"} {
		out, errs, code := runCmd(t, env, "", "import", filepath.Join("..", "..", "misp", "testdata", "events", f))
		if code != 0 || !strings.Contains(out, "MISP event:") {
			t.Errorf("%s: %d\n%s\n%s", f, code, out, errs)
		}
	}
	out := mustRun(t, env, "", "export", "--format", "csv", "--type", "report")
	reports := strings.Count(out, "\nreport--")
	if reports != 4 {
		t.Errorf("%d reports after importing four events:\n%s", reports, out)
	}
}

// memory_limit sets the runtime's soft limit unless GOMEMLIMIT did.
func TestMemoryLimit(t *testing.T) {
	c := config.Default()
	if got := memoryLimit(c, nil); got != 768<<20 {
		t.Errorf("default: %d", got)
	}
	if got := memoryLimit(c, []string{"HOME=/root", "GOMEMLIMIT=2GiB"}); got != 0 {
		t.Errorf("with GOMEMLIMIT set: %d, want 0 (the runtime's own)", got)
	}
	c.MemoryLimit = 0
	if got := memoryLimit(c, nil); got != 0 {
		t.Errorf("memory_limit 0: %d", got)
	}
}

// checkDemoReleases checks what the demo's releases give its users: every
// stakeholder user lists a release made for it, the public one is listed
// without sign-in, liaisons are asked, and the withdrawn and the sanitised
// releases are as described.
func checkDemoReleases(t *testing.T, m *Main) {
	t.Helper()
	ctx := context.Background()
	read := content.Access{Action: "releases.read"}
	list := func(v mosaic.Viewer) []mosaic.ReleaseSummary {
		t.Helper()
		l, err := m.Content.ReleaseList(ctx, v, mosaic.ReleaseFilter{Limit: 100}, content.Access{Action: "releases.list"})
		if err != nil {
			t.Fatalf("releases of %q: %v", v.User, err)
		}
		return l
	}
	titled := func(l []mosaic.ReleaseSummary, title string) (mosaic.ReleaseSummary, bool) {
		for _, r := range l {
			if r.Title == title {
				return r, true
			}
		}
		return mosaic.ReleaseSummary{}, false
	}
	// delivered is what user received of the release titled title, which
	// it lists in state.
	delivered := func(user, title string, state mosaic.ReleaseState) (mosaic.Delivery, bool) {
		t.Helper()
		v := mustViewer(t, m, user)
		s, ok := titled(list(v), title)
		if !ok || s.State != state {
			t.Errorf("%q as %s lists it: %+v", title, user, s)
			return mosaic.Delivery{}, false
		}
		rv, err := m.Content.Release(ctx, v, s.ID, read)
		if err != nil || rv.Delivery == nil {
			t.Errorf("%q delivered to %s: %v", title, user, err)
			return mosaic.Delivery{}, false
		}
		return *rv.Delivery, true
	}
	rels := demo.Releases(time.Now())
	// The NCSC's six, and the police's, which asks the NCSC.
	if got := len(list(mustViewer(t, m, "ncsc-analyst"))); got != 7 {
		t.Errorf("ncsc-analyst lists %d releases, want 7", got)
	}
	for _, u := range demo.Users() {
		if u.Role != mosaic.StakeholderViewer {
			continue
		}
		own := 0
		for _, r := range list(mustViewer(t, m, u.Name)) {
			if r.Recipient != "public" {
				own++
			}
		}
		if own == 0 {
			t.Errorf("%s lists no release made for it", u.Name)
		}
	}
	public := list(mosaic.Viewer{})
	if len(public) != 1 || public[0].TLP != mosaic.TLPClear || public[0].State != mosaic.ReleasePublished {
		t.Errorf("public releases: %+v", public)
	}
	for _, liaison := range []string{"mivd-liaison", "ncsc-liaison"} {
		v := mustViewer(t, m, liaison)
		asked := 0
		for _, s := range list(v) {
			rv, err := m.Content.Release(ctx, v, s.ID, read)
			if err != nil || rv.Release == nil || rv.Release.DrafterOrg == v.Org {
				continue
			}
			if consentPending(*rv.Release, v.Org) {
				asked++
			}
		}
		if asked == 0 {
			t.Errorf("%s is asked for no consent by another partner", liaison)
		}
	}
	for _, dr := range rels {
		switch {
		case dr.Withdraw != "":
			d, ok := delivered("poldertel-stakeholder", dr.Title, mosaic.ReleaseWithdrawn)
			if ok && d.WithdrawReason != dr.Withdraw {
				t.Errorf("withdrawn release delivered to poldertel with the reason %q", d.WithdrawReason)
			}
		case len(dr.Consents) > 0 && dr.Consents[0].Decision == "approve-sanitised":
			d, ok := delivered("lindeveld-stakeholder", dr.Title, mosaic.ReleasePublished)
			if !ok {
				continue
			}
			b := string(d.Bundle)
			for _, san := range dr.Consents[0].Sanitise {
				for _, text := range san.Rewrite {
					if !strings.Contains(b, text) {
						t.Errorf("the rewritten %q is not in the bundle", text)
					}
				}
			}
			for _, addr := range []string{"198.51.100.23", "198.51.100.77"} {
				if strings.Contains(b, addr) {
					t.Errorf("the sanitised release holds the address %s", addr)
				}
			}
			if !strings.Contains(b, "ISSUBSET '198.51.100.0/24'") {
				t.Error("the sanitised release holds no generalised pattern")
			}
		}
		if len(dr.Receipts) == 0 && len(dr.Sightings) == 0 {
			continue
		}
		drafter := mustViewer(t, m, dr.Drafter)
		s, _ := titled(list(drafter), dr.Title)
		fb, err := m.Content.Feedback(ctx, drafter, s.ID, content.Access{Action: "releases.feedback"})
		if err != nil || len(fb.Receipts) != len(dr.Receipts) || len(fb.Sightings) != len(dr.Sightings) {
			t.Errorf("feedback on %q: %d receipts and %d sightings (%v), want %d and %d", dr.Title, len(fb.Receipts), len(fb.Sightings), err, len(dr.Receipts), len(dr.Sightings))
		}
	}
}

func mustViewer(t *testing.T, m *Main, name string) mosaic.Viewer {
	t.Helper()
	v, err := viewerOf(context.Background(), m, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
