package seal

import (
	"bytes"
	"context"
	"testing"
)

type secrets map[string][]byte

func (s secrets) Secret(_ context.Context, name string) ([]byte, error) {
	if k, ok := s[name]; ok {
		return k, nil
	}
	k := bytes.Repeat([]byte{byte(len(s) + 1)}, 32)
	s[name] = k
	return k, nil
}

func TestSealOpen(t *testing.T) {
	ctx := context.Background()
	store := secrets{}
	s := New(store, "cursor")
	text, err := s.Seal(ctx, "list", 42, 7)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.Open(ctx, "list", text, 2); err != nil || !ok || got[0] != 42 || got[1] != 7 {
		t.Fatalf("open: %v %v %v", got, ok, err)
	}
	again, _ := s.Seal(ctx, "list", 42, 7)
	if again == text {
		t.Error("two seals of the same positions are equal: the nonce is not fresh")
	}
	for name, c := range map[string]struct {
		s       *Sealer
		purpose string
		text    string
		n       int
	}{
		"another purpose": {s, "events", text, 2},
		"another count":   {s, "list", text, 1},
		"another key":     {New(store, "other"), "list", text, 2},
		"tampered":        {s, "list", text[:len(text)-2] + "AA", 2},
		"not base64":      {s, "list", "!!!", 2},
		"empty":           {s, "list", "", 2},
	} {
		if got, ok, err := c.s.Open(ctx, c.purpose, c.text, c.n); ok || err != nil {
			t.Errorf("%s: opened %v %v", name, got, err)
		}
	}
}

func TestCursors(t *testing.T) {
	s := New(secrets{}, "k")
	ctx := context.Background()
	c := s.Cursors("list v1")
	if text, err := c.Seal(ctx, 0); text != "" || err != nil {
		t.Errorf("Seal(0) = %q, %v; want no cursor", text, err)
	}
	text, err := c.Seal(ctx, 42)
	if err != nil {
		t.Fatal(err)
	}
	if seq, ok, err := c.Open(ctx, text); seq != 42 || !ok || err != nil {
		t.Errorf("Open = %d %v %v", seq, ok, err)
	}
	if seq, ok, _ := c.Open(ctx, ""); seq != 0 || !ok {
		t.Errorf("Open(\"\") = %d %v; want the first page", seq, ok)
	}
	if _, ok, _ := s.Cursors("other v1").Open(ctx, text); ok {
		t.Error("a cursor opens for another purpose")
	}
	neg, _ := s.Seal(ctx, "list v1", -5)
	if _, ok, _ := c.Open(ctx, neg); ok {
		t.Error("a cursor of a negative position opens")
	}
}
