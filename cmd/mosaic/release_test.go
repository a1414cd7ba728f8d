package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/release"
	"mosaic/storetest"
)

// The release keys are made on first start, published without a token,
// pinned by a recipient, and a sealed snapshot verifies offline; a changed
// one, an unknown key id and a key rotated in do what they should.
func TestReleaseKeysPinVerify(t *testing.T) {
	dir := t.TempDir()
	m := startServer(t, dir)
	keyFile := filepath.Join(dir, "release.key")
	if st, err := os.Stat(keyFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("release key file: %v, mode %v", err, st)
	}
	keys, err := release.LoadKeys(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	environ := []string{"MOSAIC_URL=" + m.URL()} // no token: the keys are public
	pins := filepath.Join(t.TempDir(), "pins.json")
	if _, errs, code := runCmd(t, environ, "", "release", "pin", "--pins", pins, "--key-id", strings.Repeat("0", 32)); code == 0 || !strings.Contains(errs, "do not include") {
		t.Fatalf("pin with an id the server does not have: exit %d, %s", code, errs)
	}
	if _, err := os.Stat(pins); err == nil {
		t.Fatal("a refused pin wrote the pin file")
	}
	out := mustRun(t, environ, "", "release", "pin", "--pins", pins, "--key-id", keys.Current().ID)
	if !strings.Contains(out, keys.Current().ID) {
		t.Fatalf("pin: %s", out)
	}
	s, err := release.Seal(map[string]any{"release": "r-1", "advice": "patch now"}, keys.Current())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "snapshot.json")
	b, _ := json.Marshal(s)
	os.WriteFile(file, b, 0o644)
	if out := mustRun(t, nil, "", "release", "verify", "--pins", pins, file); !strings.Contains(out, "verified") {
		t.Fatalf("verify: %s", out)
	}
	os.WriteFile(file, []byte(strings.Replace(string(b), "patch now", "ignore it", 1)), 0o644)
	if _, errs, code := runCmd(t, nil, "", "release", "verify", "--pins", pins, file); code == 0 || !strings.Contains(errs, "was changed") {
		t.Fatalf("a changed snapshot: exit %d, %s", code, errs)
	}

	// A new signing key, on the server's own configuration; after a
	// restart it is published beside the first, and pinning again adds it.
	out = mustRun(t, nil, "", "release", "rotate-key", "--data", dir)
	rotated, err := release.LoadKeys(keyFile)
	if err != nil || len(rotated.Signers) != 2 || !strings.Contains(out, rotated.Current().ID) {
		t.Fatalf("rotate-key: %v, %s", err, out)
	}
	m.Close()
	m2 := startServer(t, dir)
	out = mustRun(t, []string{"MOSAIC_URL=" + m2.URL()}, "", "release", "pin", "--pins", pins)
	if !strings.Contains(out, rotated.Current().ID) || strings.Contains(out, keys.Current().ID) {
		t.Fatalf("pinning again: %s", out)
	}
	os.WriteFile(file, b, 0o644)
	if out := mustRun(t, nil, "", "release", "verify", "--pins", pins, file); !strings.Contains(out, keys.Current().ID) {
		t.Fatalf("a snapshot of the first key after rotation: %s", out)
	}
	// With --key-id, only the key named is pinned, whatever else is
	// served beside it.
	only := filepath.Join(t.TempDir(), "pins.json")
	out = mustRun(t, []string{"MOSAIC_URL=" + m2.URL()}, "", "release", "pin", "--pins", only, "--key-id", rotated.Current().ID)
	if strings.Contains(out, keys.Current().ID) {
		t.Errorf("pin --key-id pinned another key too: %s", out)
	}
	if _, errs, code := runCmd(t, nil, "", "release", "verify", "--pins", only, file); code == 0 || !strings.Contains(errs, "not pinned") {
		t.Errorf("a snapshot of a key not named: exit %d, %s", code, errs)
	}
	// Over plain http to another machine, nothing is pinned.
	if _, errs, code := runCmd(t, []string{"MOSAIC_URL=http://mosaic.example:8080"}, "", "release", "pin", "--pins", only); code == 0 || !strings.Contains(errs, "https only") {
		t.Errorf("pin over http: exit %d, %s", code, errs)
	}
}

// releaseIDIn reads the release id from what draft prints.
func releaseIDIn(t *testing.T, out string) string {
	t.Helper()
	f := strings.Fields(out)
	if len(f) < 3 || f[0] != "release" || (f[2] != "drafted:" && f[2] != "revised:") {
		t.Fatalf("draft: %s", out)
	}
	return f[1]
}

// The release commands against a server: an analyst drafts, revises
// from a file, a liaison of each partner consents (one sanitising its
// object from a file), the release is published, and a stakeholder
// lists, shows, downloads, verifies (offline and online), acknowledges;
// withdrawn, verify --online says so with a non-zero exit. A stakeholder
// it was not addressed to gets nothing.
func TestReleaseCommands(t *testing.T) {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, data, "", "org", "add", "hospital", "--kind", "stakeholder", "--sector", "healthcare")
	mustRun(t, data, "", "org", "add", "clinic", "--kind", "stakeholder", "--sector", "healthcare")
	tokens := map[string]string{}
	for _, u := range [][3]string{{"alice", "pa", "analyst"}, {"lia", "pa", "liaison"}, {"bob", "pb", "analyst"}, {"bea", "pb", "liaison"},
		{"hank", "hospital", "stakeholder"}, {"carl", "clinic", "stakeholder"}} {
		mustRun(t, data, "", "user", "add", u[0], "--org", u[1], "--role", u[2])
		tokens[u[0]] = strings.TrimSpace(mustRun(t, data, "", "token", "create", u[0]))
	}
	m := startServer(t, dir)
	as := func(user string) []string { return []string{"MOSAIC_URL=" + m.URL(), "MOSAIC_TOKEN=" + tokens[user]} }

	ind := func(n int, who string) string {
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"%s beacon","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, storetest.UUID(n), who, n)
	}
	for n, user := range map[int]string{1: "alice", 2: "bob"} {
		file := filepath.Join(t.TempDir(), "in.json")
		os.WriteFile(file, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(n)+`","objects":[`+ind(n, user)+`]}`), 0o600)
		mustRun(t, as(user), "", "import", "--audience", "cell", file)
	}
	obj := func(n int) string { return "indicator--" + storetest.UUID(n) + "@2026-10-01T00:00:00.000Z" }

	advice := filepath.Join(t.TempDir(), "advice.txt")
	os.WriteFile(advice, []byte("Block the beacons.\n"), 0o600)
	out := mustRun(t, as("alice"), "", "release", "draft", "--title", "Beacons", "--advice-file", advice, "--to", "org:hospital", "--object", obj(1))
	id := releaseIDIn(t, out)
	if !strings.Contains(out, "revision 1") || !strings.Contains(out, "consent asked of pa") {
		t.Errorf("draft: %s", out)
	}
	// The next revision, from a file: pb's object too, so pb is asked.
	draft := filepath.Join(t.TempDir(), "draft.json")
	os.WriteFile(draft, []byte(`{"title":"Beacons","advice":"Block the beacons.","recipients":["org:hospital"],"objects":[
		{"id":"indicator--`+storetest.UUID(1)+`","modified":"2026-10-01T00:00:00.000Z"},
		{"id":"indicator--`+storetest.UUID(2)+`","modified":"2026-10-01T00:00:00.000Z","originator":"pb"}]}`), 0o600)
	if _, errs, code := runCmd(t, as("alice"), "", "release", "revise", id, "--file", draft); code == 0 || !strings.Contains(errs, "--revision") {
		t.Errorf("revise without --revision: exit %d, %s", code, errs)
	}
	out = mustRun(t, as("alice"), "", "release", "revise", id, "--revision", "1", "--file", draft)
	if releaseIDIn(t, out) != id || !strings.Contains(out, "revision 2") || !strings.Contains(out, "pa, pb") {
		t.Errorf("revise: %s", out)
	}
	if out := mustRun(t, as("bea"), "", "release", "show", id); !strings.Contains(out, "revision 2") || strings.Contains(out, storetest.UUID(1)) || !strings.Contains(out, storetest.UUID(2)) {
		t.Errorf("show, as pb's liaison:\n%s", out)
	}
	if _, errs, code := runCmd(t, as("lia"), "", "release", "consent", id, "--revision", "1", "--approve"); code == 0 || !strings.Contains(errs, "409") {
		t.Errorf("a consent for revision 1: exit %d, %s", code, errs)
	}
	if _, errs, code := runCmd(t, as("alice"), "", "release", "publish", id); code == 0 || !strings.Contains(errs, "409") || !strings.Contains(errs, "pb (pending)") {
		t.Errorf("publish before the consents: exit %d, %s", code, errs)
	}
	san := filepath.Join(t.TempDir(), "sanitise.json")
	os.WriteFile(san, []byte(`{"indicator--`+storetest.UUID(2)+`":{"generalise":["addresses"]}}`), 0o600)
	mustRun(t, as("bea"), "", "release", "consent", id, "--revision", "2", "--sanitise", san)
	if out := mustRun(t, as("lia"), "", "release", "consent", id, "--revision", "2", "--approve", "--attribute"); !strings.Contains(out, "ready") {
		t.Errorf("the last consent: %s", out)
	}
	if out := mustRun(t, as("alice"), "", "release", "publish", id, "--revision", "2"); !strings.Contains(out, "published") || !strings.Contains(out, "sha256:") {
		t.Errorf("publish: %s", out)
	}

	// The stakeholder addressed.
	if out := mustRun(t, as("hank"), "", "release", "list"); !strings.Contains(out, id) || !strings.Contains(out, "org:hospital") {
		t.Errorf("list:\n%s", out)
	}
	if out := mustRun(t, as("hank"), "", "release", "list", "--state", "draft", "--state", "ready"); strings.Contains(out, id) {
		t.Errorf("list --state draft --state ready:\n%s", out)
	}
	if out := mustRun(t, as("hank"), "", "release", "show", id); !strings.Contains(out, "org:hospital") || !strings.Contains(out, "2 indicator") || strings.Contains(out, "revision") {
		t.Errorf("show, as the recipient:\n%s", out)
	}
	snapshot := filepath.Join(t.TempDir(), "snap.json")
	if out := mustRun(t, as("hank"), "", "release", "get", id, "--out", snapshot); !strings.Contains(out, snapshot) {
		t.Errorf("get: %s", out)
	}
	b, _ := os.ReadFile(snapshot)
	if strings.Contains(string(b), "198.51.100.2'") || !strings.Contains(string(b), "198.51.100.0/24") {
		t.Errorf("pb's sanitisation is not in the snapshot: %s", b)
	}
	pins := filepath.Join(t.TempDir(), "pins.json")
	mustRun(t, []string{"MOSAIC_URL=" + m.URL()}, "", "release", "pin", "--pins", pins)
	if out := mustRun(t, nil, "", "release", "verify", "--pins", pins, snapshot); !strings.Contains(out, "verified") {
		t.Errorf("verify: %s", out)
	}
	if out := mustRun(t, as("hank"), "", "release", "verify", "--online", "--pins", pins, snapshot); !strings.Contains(out, "not withdrawn") {
		t.Errorf("verify --online: %s", out)
	}
	if out := mustRun(t, as("hank"), "", "release", "ack", id, "--status", "applied", "--comment", "blocked at the edge"); !strings.Contains(out, "applied") {
		t.Errorf("ack: %s", out)
	}
	if _, errs, code := runCmd(t, as("hank"), "", "release", "ack", id, "--status", "done"); code == 0 || !strings.Contains(errs, "--status") {
		t.Errorf("ack with an unknown status: exit %d, %s", code, errs)
	}

	// Another stakeholder of the same sector.
	if out := mustRun(t, as("carl"), "", "release", "list"); strings.Contains(out, id) {
		t.Errorf("carl lists:\n%s", out)
	}
	if _, errs, code := runCmd(t, as("carl"), "", "release", "get", id, "--out", filepath.Join(t.TempDir(), "x.json")); code == 0 || !strings.Contains(errs, "404") {
		t.Errorf("carl gets: exit %d, %s", code, errs)
	}
	// Without a token, only what was released to the public.
	if out, errs, code := runCmd(t, []string{"MOSAIC_URL=" + m.URL()}, "", "release", "show", id); code == 0 || strings.Contains(out, "Beacons") || !strings.Contains(errs, "404") {
		t.Errorf("show without a token: exit %d, %s %s", code, out, errs)
	}

	// Withdrawn: verify --online reports it, with the reason.
	if out := mustRun(t, as("alice"), "", "release", "withdraw", id, "--reason", "a sinkhole, not a beacon"); !strings.Contains(out, "withdrawn") {
		t.Errorf("withdraw: %s", out)
	}
	out, errs, code := runCmd(t, as("hank"), "", "release", "verify", "--online", "--pins", pins, snapshot)
	if code == 0 || !strings.Contains(out, "verified") || !strings.Contains(out, "WITHDRAWN") || !strings.Contains(out, "a sinkhole") {
		t.Errorf("verify --online of a withdrawn release: exit %d\n%s\n%s", code, out, errs)
	}
	// Offline, the snapshot still verifies: it never changes.
	if out := mustRun(t, nil, "", "release", "verify", "--pins", pins, snapshot); !strings.Contains(out, "verified") {
		t.Errorf("verify offline after the withdrawal: %s", out)
	}
	for _, args := range [][]string{
		{"release", "consent", id, "--revision", "2"},
		{"release", "consent", id, "--approve", "--refuse", "no", "--revision", "2"},
		{"release", "consent", id, "--approve"},
		{"release", "show"},
		{"release", "nothing"},
	} {
		if _, _, code := runCmd(t, as("lia"), "", args...); code == 0 {
			t.Errorf("mosaic %s succeeded", strings.Join(args, " "))
		}
	}
}
