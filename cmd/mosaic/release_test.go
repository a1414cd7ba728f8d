package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mosaic/release"
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
