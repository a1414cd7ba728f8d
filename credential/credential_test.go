package credential

import (
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	a, ha := NewToken()
	b, hb := NewToken()
	if a == b || ha == hb {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, TokenPrefix) || len(a) != len(TokenPrefix)+43 {
		t.Errorf("token %q: want prefix %q and 43 base64url characters", a, TokenPrefix)
	}
	if HashToken(a) != ha {
		t.Error("HashToken does not reproduce the stored hash")
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not an argon2id PHC string", h)
	}
	if HashPassword("correct horse") == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tc := range []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse", true},
		{h, "correct horse ", false},
		{h, "", false},
		{"", "", false},
		{"$argon2id$v=19$m=0,t=0,p=0$$", "", false},
		{strings.Replace(h, "argon2id", "argon2i", 1), "correct horse", false},
	} {
		if got := CheckPassword(tc.hash, tc.pw); got != tc.want {
			t.Errorf("CheckPassword(%q, %q) = %v, want %v", tc.hash, tc.pw, got, tc.want)
		}
	}
}
