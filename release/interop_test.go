package release_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/jcs"
	"mosaic/release"
	"mosaic/release/outsidetest"
)

// What a recipient checks of a sealed snapshot, checked with tools that
// are not Mosaic's (package outsidetest): the snapshot's RFC 8785
// canonical form and SHA-256 digest by the npm package canonicalize under
// node, and the Ed25519 signature by openssl over the exact message
// "mosaic release snapshot v1\n" and the digest (a withdrawal entry's
// under its own label). The snapshots here hold what canonical JSON
// gets wrong most easily: text with characters encoding/json escapes
// (<, >, &, U+2028, U+2029) or must escape (controls, quotes, backslashes),
// characters beyond the BMP, member names that sort differently by UTF-16
// code units than by code points, and numbers ECMAScript writes in its
// own way. cmd/mosaic's TestReleaseInterop does the same for a real
// release.

// trickyText is text whose canonical form differs from what
// encoding/json writes.
const trickyText = "Block <c2.example> & \"its\" peers\u2028now\u2029 \\ \t\x01 — zoë, € and 😀 \U0001D11E"

// trickyBundle returns a bundle in canonical form whose objects hold
// tricky member names, numbers and strings, as jcs makes it.
func trickyBundle(t *testing.T) json.RawMessage {
	t.Helper()
	raw := `{"type":"bundle","id":"bundle--6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f11","objects":[
	 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-12-07T10:00:00.000Z","modified":"2026-12-07T10:00:00.000Z",
	  "name":"` + jsonString(trickyText) + `","pattern":"[url:value = 'http://a.example/?a=1&b=<2>']","pattern_type":"stix","valid_from":"2026-12-07T10:00:00Z","confidence":85},
	 {"type":"x-sort","\ufb33":1,"\ud83d\ude00":2,"\u20ac":3,"\r":4,"1":5,"\u0080":6,"\u00f6":7,"a":8,"A":9,
	  "numbers":[0,-0,1,-1,0.1,1e21,1e-7,1E+2,333333333.33333329,123456789012345678901234567890,5e-324,1.7976931348623157e308,9007199254740993]}]}`
	b, err := jcs.Canonical([]byte(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	return b
}

// jsonString writes s as a JSON string without its quotes.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// sealedFile is a file a recipient checks, with the label its signature
// is made under.
type sealedFile struct {
	name, label string
	file        []byte
}

// sealedFiles seals tricky snapshots for three recipients, a withdrawal
// entry and a value through release.Seal, and returns the files and the
// published key.
func sealedFiles(t *testing.T) ([]sealedFile, release.PublicKey) {
	t.Helper()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	keys, err := release.CreateKeys(filepath.Join(t.TempDir(), "release.key"), now)
	if err != nil {
		t.Fatal(err)
	}
	s := release.Snapshot{Release: "6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10", Title: trickyText, Advice: trickyText + "\n" + `"bundle":"x"`,
		TLP: mosaic.TLPAmberStrict, Published: now, Supersedes: "0b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10", Bundle: trickyBundle(t)}
	recipients := []string{"org:hanzebank", "sector:energy", "user:zoë"}
	seals, err := s.Seal(recipients, keys.Current())
	if err != nil {
		t.Fatal(err)
	}
	var out []sealedFile
	for i, seal := range seals {
		file, err := s.File(seal)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sealedFile{recipients[i], snapshotLabel, file})
	}
	// The withdrawal entry, under its own label.
	entry, err := release.SealWithdrawal(s.Release, now.Add(time.Hour), keys.Current())
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, sealedFile{"withdrawal", withdrawalLabel, entry})
	// release.Seal, which signs any value as a snapshot; the caller
	// writes the file, here without HTML escaping, as File does.
	sealed, err := release.Seal(map[string]any{"advice": trickyText, "n": []any{1e21, 0.1, math.Copysign(0, -1)}}, keys.Current())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(sealed); err != nil {
		t.Fatal(err)
	}
	out = append(out, sealedFile{"release.Seal", snapshotLabel, bytes.TrimSpace(buf.Bytes())})
	return out, keys.PublicKeys()[0]
}

const (
	snapshotLabel   = "mosaic release snapshot v1\n"
	withdrawalLabel = "mosaic release withdrawal v1\n"
)

// TestSnapshotCanonicalFormByNode: the npm package canonicalize makes the
// canonical form Mosaic makes of each sealed file's snapshot, re-indented
// or not, with the digest it was signed with; and the file holds the
// snapshot in that form as it stands.
func TestSnapshotCanonicalFormByNode(t *testing.T) {
	node := outsidetest.NewCanonicalizer(t)
	files, _ := sealedFiles(t)
	for _, f := range files {
		checkCanonical(t, node, f)
	}
}

// TestSnapshotSignatureByOpenSSL: openssl verifies each signature with
// the published key over its label and digest, and over nothing else.
func TestSnapshotSignatureByOpenSSL(t *testing.T) {
	ssl := outsidetest.NewOpenSSL(t)
	t.Logf("Ed25519 by %s", ssl.Version)
	files, pub := sealedFiles(t)
	for _, f := range files {
		checkSignature(t, ssl, f, pub)
	}
}

// sealed reads a sealed file.
func sealed(t *testing.T, f sealedFile) (snapshot json.RawMessage, digest, keyID string, sig []byte) {
	t.Helper()
	var x struct {
		Snapshot  json.RawMessage `json:"snapshot"`
		Digest    string          `json:"digest"`
		KeyID     string          `json:"key_id"`
		Signature []byte          `json:"signature"`
	}
	if err := json.Unmarshal(f.file, &x); err != nil {
		t.Fatalf("%s: %v", f.name, err)
	}
	return x.Snapshot, x.Digest, x.KeyID, x.Signature
}

// checkCanonical compares node's canonical form and digest of a sealed
// file's snapshot with Mosaic's.
func checkCanonical(t *testing.T, node *outsidetest.Canonicalizer, f sealedFile) {
	t.Helper()
	snap, digest, _, _ := sealed(t, f)
	// Mosaic's canonical form, as release.Verify makes it.
	ours, err := jcs.Canonical(snap)
	if err != nil {
		t.Fatal(err)
	}
	// Re-indented on the way: the canonical form does not change.
	var indented bytes.Buffer
	if err := json.Indent(&indented, snap, "", "\t"); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{snap, indented.Bytes()} {
		canon, d := node.Canonical(in)
		if !bytes.Equal(canon, ours) {
			t.Errorf("%s: the canonical form by canonicalize differs from Mosaic's:\n%s\n%s", f.name, canon, ours)
		}
		if d != digest {
			t.Errorf("%s: node's digest of the canonical form is %s, the file's %s", f.name, d, digest)
		}
	}
	// The file holds the snapshot in canonical form byte for byte, as
	// release.Sealed says: a recipient may hash the member as it is.
	if sum := sha256.Sum256(snap); "sha256:"+hex.EncodeToString(sum[:]) != digest || !bytes.Equal(snap, ours) {
		t.Errorf("%s: the file's snapshot is not in canonical form as it stands:\n%s", f.name, snap)
	}
}

// checkSignature verifies a sealed file's signature with openssl, over
// its label and digest, and checks that it holds over nothing else.
func checkSignature(t *testing.T, ssl *outsidetest.OpenSSL, f sealedFile, pub release.PublicKey) {
	t.Helper()
	_, digest, keyID, sig := sealed(t, f)
	if keyID != pub.ID {
		t.Errorf("%s: signed with %s, not the published key %s", f.name, keyID, pub.ID)
	}
	if err := ssl.Verify(pub.Key, []byte(f.label+digest), sig); err != nil {
		t.Errorf("%s: openssl does not verify the signature over %q: %v", f.name, f.label+digest, err)
	}
	other := withdrawalLabel
	if f.label == withdrawalLabel {
		other = snapshotLabel
	}
	for what, msg := range map[string]string{
		"the digest alone":    digest,
		"the other label":     other + digest,
		"a changed digest":    f.label + changed(digest),
		"a trailing new line": f.label + digest + "\n",
	} {
		if err := ssl.Verify(pub.Key, []byte(msg), sig); err == nil {
			t.Errorf("%s: openssl verifies the signature over %s", f.name, what)
		}
	}
}

// changed returns digest with its last hex digit changed.
func changed(digest string) string {
	last := "0"
	if strings.HasSuffix(digest, "0") {
		last = "1"
	}
	return digest[:len(digest)-1] + last
}
