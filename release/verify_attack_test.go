package release

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"
)

// A snapshot's signature is no withdrawal's: an object shaped as a
// withdrawal entry, sealed as a snapshot (as the cell seals every
// snapshot), is refused by VerifyWithdrawal, so that nothing sealed for a
// recipient can pass for the withdrawal of a release.
func TestAttackSnapshotSignatureIsNoWithdrawal(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	k, err := CreateKeys(filepath.Join(t.TempDir(), "release.key"), at)
	if err != nil {
		t.Fatal(err)
	}
	shaped := Withdrawal{Type: WithdrawalType, Release: "6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10", Withdrawn: "2026-12-07T10:00:00.000Z"}
	s, err := Seal(shaped, k.Current())
	if err != nil {
		t.Fatal(err)
	}
	file, _ := json.Marshal(s)
	if _, err := Verify(file, k.PublicKeys()); err != nil {
		t.Fatalf("the snapshot itself: %v", err)
	}
	if w, err := VerifyWithdrawal(file, k.PublicKeys()); err == nil {
		t.Errorf("a snapshot's signature passed for the withdrawal of %s", w.Release)
	}
	// Nor does a withdrawal verify under a key that is pinned under
	// another key's id.
	entry, err := SealWithdrawal(shaped.Release, at, k.Current())
	if err != nil {
		t.Fatal(err)
	}
	other := mustOther(t)
	if _, err := VerifyWithdrawal(entry, []PublicKey{{ID: k.Current().ID, Key: other.Key}}); err == nil {
		t.Error("a withdrawal verified against a pin of another key under its signer's id")
	}
}
