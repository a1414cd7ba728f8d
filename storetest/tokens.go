package storetest

import (
	"testing"
	"time"

	"mosaic"
)

// testReadOnlyTokens: a read-only token says so in its listing and in the
// viewer it authenticates as, and a read-write one does not; a user holds
// at most mosaic.MaxLiveTokens live tokens, counting neither revoked nor
// expired ones.
func testReadOnlyTokens(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	h := func(b byte) [32]byte { return [32]byte{b, 9, 8, 7} }
	ro, err := s.CreateToken(bg, "pa-analyst", h(1), "siem", w.Clock.Now().Add(time.Hour), true, setup())
	if err != nil {
		t.Fatal(err)
	}
	if !ro.ReadOnly {
		t.Errorf("CreateToken read-only = %+v", ro)
	}
	rw, err := s.CreateToken(bg, "pa-analyst", h(2), "laptop", w.Clock.Now().Add(time.Hour), false, setup())
	if err != nil {
		t.Fatal(err)
	}
	want := w.A
	want.ReadOnly = true
	if v, err := s.Authenticate(bg, h(1), w.Clock.Now()); err != nil || v != want {
		t.Errorf("Authenticate read-only = %+v, %v; want %+v", v, err, want)
	}
	if v, err := s.Authenticate(bg, h(2), w.Clock.Now()); err != nil || v != w.A {
		t.Errorf("Authenticate read-write = %+v, %v; want %+v", v, err, w.A)
	}
	ts, err := s.Tokens(bg, "pa-analyst")
	if err != nil || len(ts) != 2 || ts[0].ID != ro.ID || !ts[0].ReadOnly || ts[1].ID != rw.ID || ts[1].ReadOnly {
		t.Errorf("Tokens = %+v, %v", ts, err)
	}

	// The bound: two live already, one to expire within the hour.
	if _, err := s.CreateToken(bg, "pa-analyst", h(3), "", w.Clock.Now().Add(time.Minute), true, setup()); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < mosaic.MaxLiveTokens; i++ {
		if _, err := s.CreateToken(bg, "pa-analyst", h(byte(i+1)), "", w.Clock.Now().Add(time.Hour), false, setup()); err != nil {
			t.Fatalf("token %d of %d: %v", i+1, mosaic.MaxLiveTokens, err)
		}
	}
	_, err = s.CreateToken(bg, "pa-analyst", h(100), "", w.Clock.Now().Add(time.Hour), true, setup())
	wantCode(t, err, mosaic.CodeConflict)
	// Another user's tokens are its own.
	if _, err := s.CreateToken(bg, "pb-analyst", h(101), "", w.Clock.Now().Add(time.Hour), true, setup()); err != nil {
		t.Fatalf("another user at pa-analyst's bound: %v", err)
	}
	if err := s.RevokeToken(bg, rw.ID, setup()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateToken(bg, "pa-analyst", h(102), "", w.Clock.Now().Add(time.Hour), true, setup()); err != nil {
		t.Fatalf("after a revocation: %v", err)
	}
	_, err = s.CreateToken(bg, "pa-analyst", h(103), "", w.Clock.Now().Add(time.Hour), true, setup())
	wantCode(t, err, mosaic.CodeConflict)
	w.Clock.Add(2 * time.Minute)
	if _, err := s.CreateToken(bg, "pa-analyst", h(104), "", w.Clock.Now().Add(time.Hour), true, setup()); err != nil {
		t.Fatalf("after one expired: %v", err)
	}
}
