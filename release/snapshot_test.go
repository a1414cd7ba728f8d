package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/jcs"
)

func TestSnapshotSealsEachRecipient(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	k, err := CreateKeys(filepath.Join(t.TempDir(), "release.key"), now)
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ := jcs.Canonical([]byte(`{"type":"bundle","id":"bundle--6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f11","objects":[{"type":"ipv4-addr","id":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","value":"198.51.100.3"}]}`))
	s := Snapshot{Release: "6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10", Title: `Block "bundle"`, Advice: `"bundle":"x" — block it`, TLP: mosaic.TLPAmber, Published: now, Bundle: bundle}
	recipients := []string{"org:hanzebank", "sector:energy", "user:bob"}
	seals, err := s.Seal(recipients, k.Current())
	if err != nil {
		t.Fatal(err)
	}
	for i, seal := range seals {
		// The digest is that of the whole canonical snapshot, made the
		// slow way.
		raw, _ := json.Marshal(s.fields(recipients[i], json.RawMessage(bundle)))
		canon, err := jcs.Canonical(raw)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(canon)
		if want := "sha256:" + hex.EncodeToString(sum[:]); seal.Digest != want {
			t.Errorf("%s: digest %s, want %s", recipients[i], seal.Digest, want)
		}
		file, err := s.File(seal)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Verify(file, k.PublicKeys())
		if err != nil {
			t.Fatalf("%s: %v", recipients[i], err)
		}
		for j, other := range recipients {
			if j != i && bytes.Contains(got.Snapshot, []byte(other)) {
				t.Errorf("the snapshot of %s names %s", recipients[i], other)
			}
		}
		if _, err := VerifyWithdrawal(file, k.PublicKeys()); err == nil {
			t.Error("a snapshot passed for a withdrawal")
		}
	}
	if seals[0].Digest == seals[1].Digest {
		t.Error("two recipients' snapshots have one digest")
	}
}

func TestWithdrawalEntry(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	k, err := CreateKeys(filepath.Join(t.TempDir(), "release.key"), now)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := SealWithdrawal("6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10", now, k.Current())
	if err != nil {
		t.Fatal(err)
	}
	w, err := VerifyWithdrawal(entry, k.PublicKeys())
	if err != nil || w.Release != "6b1c5fd4-5b0c-4c5c-9c5b-6c6a1d0a3f10" || w.Withdrawn != "2026-12-07T10:00:00.000Z" {
		t.Fatalf("%+v, %v", w, err)
	}
	if _, err := Verify(entry, k.PublicKeys()); err == nil {
		t.Error("a withdrawal passed for a snapshot")
	}
	forged := bytes.Replace(entry, []byte("ZXh"), []byte("ZXi"), 1)
	tampered := strings.Replace(string(entry), "6b1c5fd4", "6b1c5fd5", 1)
	for _, f := range [][]byte{forged, []byte(tampered)} {
		if bytes.Equal(f, entry) {
			continue
		}
		if _, err := VerifyWithdrawal(f, k.PublicKeys()); err == nil {
			t.Error("a changed withdrawal passed")
		}
	}
}
