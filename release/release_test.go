package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic/secretfile"
	"mosaic/stix"
)

var now = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func TestKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "release.key")
	k, created, err := OpenKeys(path, now)
	if err != nil || !created {
		t.Fatalf("open a new file: %v, created %v", err, created)
	}
	again, created, err := OpenKeys(path, now)
	if err != nil || created || !bytes.Equal(again.IDKey, k.IDKey) || again.Current().ID != k.Current().ID {
		t.Fatalf("open it again: %v, created %v; keys the same: %v", err, created, err == nil && bytes.Equal(again.IDKey, k.IDKey))
	}
	first := k.Current()
	if err := k.RotateSigner(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.Signers) != 2 || loaded.Current().ID == first.ID || loaded.Signers[0].ID != first.ID || !bytes.Equal(loaded.IDKey, k.IDKey) {
		t.Fatalf("after rotation: %d signers, current %s (first %s); the id key kept: %v", len(loaded.Signers), loaded.Current().ID, first.ID, bytes.Equal(loaded.IDKey, k.IDKey))
	}
	if pubs := loaded.PublicKeys(); len(pubs) != 2 || pubs[0].ID != KeyID(pubs[0].Key) {
		t.Fatalf("public keys %+v", pubs)
	}
	os.Chmod(path, 0o644)
	if _, err := LoadKeys(path); !errors.Is(err, secretfile.ErrMode) {
		t.Errorf("a key file others may read: %v, want ErrMode", err)
	}
	if b, _ := json.Marshal(loaded.PublicKeys()); bytes.Contains(b, loaded.IDKey) || bytes.Contains(b, []byte("seed")) {
		t.Error("the published keys hold a secret")
	}
}

func TestDerivedID(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	id := DerivedID(key, "indicator", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", []byte(`{"remove":["description"]}`))
	if !stix.IsID(id) || !strings.HasPrefix(id, "indicator--") || id[len("indicator--")+14] != '4' {
		t.Fatalf("%s is not a STIX id with a version-4 UUID", id)
	}
	if again := DerivedID(key, "indicator", "INDICATOR--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", []byte(`{"remove":["description"]}`)); again != id {
		t.Errorf("the same source in another case: %s, want %s", again, id)
	}
	for name, other := range map[string]string{
		"another sanitisation": DerivedID(key, "indicator", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", []byte(`{}`)),
		"another source":       DerivedID(key, "indicator", "indicator--9e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", []byte(`{"remove":["description"]}`)),
		"another key":          DerivedID(bytes.Repeat([]byte{8}, 32), "indicator", "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", []byte(`{"remove":["description"]}`)),
	} {
		if other == id {
			t.Errorf("%s gives the same id", name)
		}
	}
	if strings.Contains(id, "8e2e2d2b") {
		t.Error("the derived id shows the source's")
	}
}

func TestSealAndVerify(t *testing.T) {
	k, err := CreateKeys(filepath.Join(t.TempDir(), "release.key"), now)
	if err != nil {
		t.Fatal(err)
	}
	snapshot := map[string]any{"release": "r-1", "tlp": "green", "advice": "Block 198.51.100.7 — and check your logs", "bundle": map[string]any{"type": "bundle", "objects": []any{}}}
	s, err := Seal(snapshot, k.Current())
	if err != nil {
		t.Fatal(err)
	}
	file, _ := json.Marshal(s)
	pinned := k.PublicKeys()
	if _, err := Verify(file, pinned); err != nil {
		t.Fatalf("a sealed snapshot: %v", err)
	}
	// Re-indented on the way: its canonical form still verifies.
	var indented bytes.Buffer
	json.Indent(&indented, file, "", "    ")
	if _, err := Verify(indented.Bytes(), pinned); err != nil {
		t.Errorf("re-indented: %v", err)
	}
	tamper := func(f func(*Sealed)) []byte {
		c := s
		c.Signature = append([]byte(nil), s.Signature...)
		f(&c)
		b, _ := json.Marshal(c)
		return b
	}
	for name, tc := range map[string]struct {
		file []byte
		keys []PublicKey
		want string
	}{
		"changed snapshot":                   {tamper(func(c *Sealed) { c.Snapshot = []byte(strings.Replace(string(c.Snapshot), "green", "clear", 1)) }), pinned, "was changed"},
		"changed digest":                     {tamper(func(c *Sealed) { c.Digest = "sha256:" + strings.Repeat("0", 64) }), pinned, "digest"},
		"changed signature":                  {tamper(func(c *Sealed) { c.Signature[0] ^= 1 }), pinned, "signature does not hold"},
		"unpinned key":                       {file, nil, "not pinned"},
		"a pin whose id is another key's":    {file, []PublicKey{{ID: s.KeyID, Key: mustOther(t).Key}}, "not pinned"},
		"not a snapshot":                     {[]byte(`{"x":1}`), pinned, "not a sealed"},
		"a second snapshot in another case":  {[]byte(strings.Replace(string(file), `{"snapshot":`, `{"SNAPSHOT":{"tlp":"clear"},"snapshot":`, 1)), pinned, "holds \"SNAPSHOT\""},
		"a second snapshot of the same name": {[]byte(strings.Replace(string(file), `{"snapshot":`, `{"snapshot":{"tlp":"clear"},"snapshot":`, 1)), pinned, "not a sealed"},
		"a pin of no key":                    {file, []PublicKey{{ID: s.KeyID}}, "not pinned"},
	} {
		if _, err := Verify(tc.file, tc.keys); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
	// After rotation, a snapshot sealed with the earlier key still
	// verifies against the published keys, and a new one is sealed with
	// the new key.
	if err := k.RotateSigner(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(file, k.PublicKeys()); err != nil {
		t.Errorf("an earlier snapshot after rotation: %v", err)
	}
	if s2, _ := Seal(snapshot, k.Current()); s2.KeyID == s.KeyID || s2.Digest != s.Digest {
		t.Errorf("after rotation: key %s (was %s), digest %s (was %s)", s2.KeyID, s.KeyID, s2.Digest, s.Digest)
	}
}

func mustOther(t *testing.T) PublicKey {
	k, err := CreateKeys(filepath.Join(t.TempDir(), "other.key"), now)
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKeys()[0]
}
