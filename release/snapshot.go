package release

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"time"

	"mosaic"
	"mosaic/jcs"
	"mosaic/stix"
)

// Snapshot is a published release as its recipients receive it: the
// sanitised bundle, the advice, the TLP, the release id and publish time,
// and (added per recipient by Seal) the recipient's own addressing, never
// the list of the others.
type Snapshot struct {
	Release    string
	Title      string
	Advice     string
	AdviceNL   string // the advice in Dutch, where it is written in both
	TLP        mosaic.TLP
	Published  time.Time
	Supersedes string
	// Bundle is the released STIX bundle in canonical JSON.
	Bundle json.RawMessage
}

// SnapshotType names a Mosaic release snapshot in its "type".
const SnapshotType = "mosaic-release"

func (s Snapshot) fields(recipient string, bundle any) map[string]any {
	m := map[string]any{
		"type":      SnapshotType,
		"id":        s.Release,
		"title":     s.Title,
		"advice":    s.Advice,
		"tlp":       s.TLP,
		"published": stix.FormatTime(s.Published),
		"recipient": recipient,
		"bundle":    bundle,
	}
	if s.Supersedes != "" {
		m["supersedes"] = s.Supersedes
	}
	if s.AdviceNL != "" {
		m["advice_nl"] = s.AdviceNL
	}
	return m
}

// parts returns the canonical form of the snapshot for recipient around
// its bundle: what comes before and after it. Only the bundle is large,
// and it is the same for every recipient; the parts are made with a
// random stand-in for it that nothing else in the snapshot can hold.
func (s Snapshot) parts(recipient string) (before, after []byte, err error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	stand := "bundle " + hex.EncodeToString(nonce[:])
	raw, err := json.Marshal(s.fields(recipient, stand))
	if err != nil {
		return nil, nil, mosaic.Internal(err, "encode snapshot")
	}
	canon, err := jcs.Canonical(raw)
	if err != nil {
		return nil, nil, mosaic.Internal(err, "canonical snapshot")
	}
	marker := []byte(`"bundle":"` + stand + `"`)
	i := bytes.Index(canon, marker)
	if i < 0 {
		return nil, nil, mosaic.Internal(fmt.Errorf("no stand-in"), "canonical snapshot")
	}
	return canon[:i+len(`"bundle":`)], canon[i+len(marker):], nil
}

// Seal signs the snapshot of each recipient with s. Every snapshot's
// canonical form shares everything up to the end of the bundle (RFC 8785
// sorts "advice" and "bundle" before the rest), so the bundle is digested
// once and each recipient costs a few hundred bytes and a signature:
// a release to five hundred organisations is not digested five hundred
// times.
func (s Snapshot) Seal(recipients []string, sig Signer) ([]mosaic.ReleaseSeal, error) {
	if len(recipients) == 0 {
		return nil, nil
	}
	before, _, err := s.parts(recipients[0])
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	h.Write(before)
	h.Write(s.Bundle)
	state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, mosaic.Internal(err, "digest state")
	}
	out := make([]mosaic.ReleaseSeal, 0, len(recipients))
	for _, r := range recipients {
		b, after, err := s.parts(r)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b, before) {
			return nil, mosaic.Internal(fmt.Errorf("the snapshot's canonical form differs before the bundle"), "seal")
		}
		d := sha256.New()
		if err := d.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return nil, mosaic.Internal(err, "digest state")
		}
		d.Write(after)
		digest := digestOf(d)
		out = append(out, mosaic.ReleaseSeal{Recipient: r, Digest: digest, KeyID: sig.ID, Signature: ed25519.Sign(sig.Key, signedMessage(digest))})
	}
	return out, nil
}

func digestOf(h hash.Hash) string { return "sha256:" + hex.EncodeToString(h.Sum(nil)) }

// File is the sealed snapshot a recipient downloads and checks with
// Verify (mosaic release verify).
func (s Snapshot) File(seal mosaic.ReleaseSeal) ([]byte, error) {
	before, after, err := s.parts(seal.Recipient)
	if err != nil {
		return nil, err
	}
	snap := make([]byte, 0, len(before)+len(s.Bundle)+len(after))
	snap = append(append(append(snap, before...), s.Bundle...), after...)
	return encodeSealed(Sealed{Snapshot: snap, Digest: seal.Digest, KeyID: seal.KeyID, Signature: seal.Signature})
}

// encodeSealed writes a sealed file with its snapshot exactly as it is,
// in canonical form: json.Marshal would write <, >, &, U+2028 and U+2029
// in it as \u escapes, which a reader that hashes the snapshot as it
// stands, rather than its canonical form, would take for a change.
func encodeSealed(s Sealed) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// Withdrawal is the entry that withdraws a release: signed like a
// snapshot, under its own label, and naming the release and when. The
// reason is told to the recipients through Mosaic, not written here:
// the entry is what a recipient's copy is checked against, and says no
// more than that.
type Withdrawal struct {
	Type      string `json:"type"` // WithdrawalType
	Release   string `json:"release"`
	Withdrawn string `json:"withdrawn"`
}

// WithdrawalType names a withdrawal entry in its "type".
const WithdrawalType = "mosaic-release-withdrawal"

func withdrawalMessage(digest string) []byte {
	return []byte("mosaic release withdrawal v1\n" + digest)
}

// SealWithdrawal makes the signed withdrawal entry of a release.
func SealWithdrawal(releaseID string, at time.Time, sig Signer) (json.RawMessage, error) {
	raw, err := json.Marshal(Withdrawal{Type: WithdrawalType, Release: releaseID, Withdrawn: stix.FormatTime(at)})
	if err != nil {
		return nil, mosaic.Internal(err, "encode withdrawal")
	}
	canon, err := jcs.Canonical(raw)
	if err != nil {
		return nil, mosaic.Internal(err, "canonical withdrawal")
	}
	sum := sha256.Sum256(canon)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	return encodeSealed(Sealed{Snapshot: canon, Digest: digest, KeyID: sig.ID, Signature: ed25519.Sign(sig.Key, withdrawalMessage(digest))})
}

// VerifyWithdrawal checks a withdrawal entry against the pinned keys and
// returns it; a snapshot's signature is no withdrawal's, nor the other
// way round.
func VerifyWithdrawal(file []byte, pinned []PublicKey) (Withdrawal, error) {
	var w Withdrawal
	s, err := verify(file, pinned, withdrawalMessage)
	if err != nil {
		return w, err
	}
	dec := json.NewDecoder(bytes.NewReader(s.Snapshot))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil || w.Type != WithdrawalType || w.Release == "" {
		return w, fmt.Errorf("not a release withdrawal entry")
	}
	return w, nil
}
