package release

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"mosaic"
	"mosaic/jcs"
	"mosaic/stix"
)

// DerivedID is the id a released SDO or SRO of type typ gets: a UUID made
// from HMAC-SHA256 under idKey of the source id and the canonical form of
// its sanitisation, so that the same source sanitised the same way gets
// the same id in every release. The UUID carries version 4's bits: STIX
// 2.1 asks for version 4 for these objects, and an HMAC's output is as
// unpredictable to anyone without the key as random bits are.
func DerivedID(idKey []byte, typ, sourceID string, sanitisation []byte) string {
	m := hmac.New(sha256.New, idKey)
	m.Write([]byte(strings.ToLower(sourceID)))
	m.Write([]byte{0}) // an id holds no NUL: the two parts cannot run together
	m.Write(sanitisation)
	return typ + "--" + stix.FormatUUID(m.Sum(nil), 4)
}

// Sealed is a snapshot as a recipient downloads it: the snapshot in
// canonical JSON, its digest, and the signature over the digest.
type Sealed struct {
	Snapshot  json.RawMessage `json:"snapshot"`
	Digest    string          `json:"digest"` // "sha256:" and the hex digest of Snapshot
	KeyID     string          `json:"key_id"`
	Signature []byte          `json:"signature"` // base64 in JSON
}

// signedMessage is what a signature covers: the digest, after a label,
// so that a release signature can never be taken for a signature over
// anything else the platform signs.
func signedMessage(digest string) []byte {
	return []byte("mosaic release snapshot v1\n" + digest)
}

// Seal encodes snapshot in canonical JSON (RFC 8785), digests it and signs
// the digest with s.
func Seal(snapshot any, s Signer) (Sealed, error) {
	raw, err := json.Marshal(snapshot)
	if err != nil {
		return Sealed{}, mosaic.Internal(err, "encode snapshot")
	}
	canon, err := jcs.Canonical(raw)
	if err != nil {
		return Sealed{}, mosaic.Internal(err, "canonical snapshot")
	}
	sum := sha256.Sum256(canon)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	return Sealed{Snapshot: canon, Digest: digest, KeyID: s.ID, Signature: ed25519.Sign(s.Key, signedMessage(digest))}, nil
}

// Verify checks a downloaded sealed snapshot against the pinned public
// keys: the key named is pinned, the snapshot's canonical form has the
// digest, and the signature over the digest holds. The snapshot may have
// been re-indented on the way; its canonical form is what counts. Errors
// say which check failed.
func Verify(file []byte, pinned []PublicKey) (Sealed, error) {
	return verify(file, pinned, signedMessage)
}

func verify(file []byte, pinned []PublicKey, message func(digest string) []byte) (Sealed, error) {
	var s Sealed
	// The outer object is read strictly: no name twice (RFC 8785 reading
	// refuses that) and no name but the four, in their case. A reader
	// that took a second "snapshot", or a "SNAPSHOT", from the same file
	// would otherwise show what was never signed.
	if _, err := jcs.Canonical(file); err != nil {
		return s, fmt.Errorf("not a sealed release snapshot: %w", err)
	}
	var names map[string]json.RawMessage
	if err := json.Unmarshal(file, &names); err != nil {
		return s, fmt.Errorf("not a sealed release snapshot: %w", err)
	}
	for k := range names {
		if k != "snapshot" && k != "digest" && k != "key_id" && k != "signature" {
			return s, fmt.Errorf("not a sealed release snapshot: it holds %q beside snapshot, digest, key_id and signature", k)
		}
	}
	if err := json.Unmarshal(file, &s); err != nil {
		return s, fmt.Errorf("not a sealed release snapshot: %w", err)
	}
	if len(s.Snapshot) == 0 || s.Digest == "" || len(s.Signature) == 0 {
		return s, fmt.Errorf("not a sealed release snapshot: snapshot, digest and signature are all needed")
	}
	var key ed25519.PublicKey
	for _, p := range pinned {
		if p.ID == s.KeyID && p.Valid() {
			key = p.Key
		}
	}
	if key == nil {
		return s, fmt.Errorf("the snapshot is signed with key %s, which is not pinned; pin the platform's release key after checking its id with the cell", s.KeyID)
	}
	canon, err := jcs.Canonical(s.Snapshot)
	if err != nil {
		return s, fmt.Errorf("the snapshot is not valid JSON: %w", err)
	}
	sum := sha256.Sum256(canon)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != s.Digest {
		return s, fmt.Errorf("the snapshot's digest is %s, not the %s it was signed with: it was changed", got, s.Digest)
	}
	if !ed25519.Verify(key, message(s.Digest), s.Signature) {
		return s, fmt.Errorf("the signature does not hold for key %s: the digest or the signature was changed", s.KeyID)
	}
	s.Snapshot = canon
	return s, nil
}
