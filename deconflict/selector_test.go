package deconflict

import (
	"bytes"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Selector
	}{
		{"192.0.2.1", Selector{IPv4, "192.0.2.1"}},
		{"ip:192.0.2.1", Selector{IPv4, "192.0.2.1"}},
		{"IP: 2001:DB8::0:1 ", Selector{IPv6, "2001:db8::1"}},
		{"ipv6:2001:db8:0:0:0:0:0:1", Selector{IPv6, "2001:db8::1"}},
		{"2001:db8::1", Selector{IPv6, "2001:db8::1"}},
		{"Example.COM.", Selector{Domain, "example.com"}},
		{"domain:bücher.example", Selector{Domain, "xn--bcher-kva.example"}},
		{"HTTP://Example.com:80", Selector{URL, "http://example.com/"}},
		{"url:https://example.com/a?b", Selector{URL, "https://example.com/a?b"}},
		{"Someone@Example.com", Selector{Email, "someone@example.com"}},
		{"D41D8CD98F00B204E9800998ECF8427E", Selector{MD5, "d41d8cd98f00b204e9800998ecf8427e"}},
		{"hash:da39a3ee5e6b4b0d3255bfef95601890afd80709", Selector{SHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"sha256:" + strings.Repeat("A", 64), Selector{SHA256, strings.Repeat("a", 64)}},
		{strings.Repeat("b", 128), Selector{SHA512, strings.Repeat("b", 128)}},
		{"+31 (20) 123-4567", Selector{Phone, "+31201234567"}},
		{"phone:0031 20 1234567", Selector{Phone, "+31201234567"}},
		{"0x52908400098527886E0F7030069857D2E4169EE7", Selector{ETH, "0x52908400098527886e0f7030069857d2e4169ee7"}},
		{"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", Selector{BTC, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"}},
		{"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", Selector{BTC, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"}},
		{"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", Selector{BTC, "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"}},
		{"wallet:DOGE:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L", Selector{Wallet, "doge:DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"}},
		{"account:Telegram:@SomeOne", Selector{Account, "telegram:someone"}},
		{"other:  Operation Glasshouse ", Selector{Other, "Operation Glasshouse"}},
		{"OTHER:http://x", Selector{Other, "http://x"}},
	} {
		got, err := Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"",
		"word",                               // could be anything
		"192.0.2.0/24",                       // a block, not a selector
		"ipv4:2001:db8::1",                   // wrong type
		"md5:abc",                            // wrong length
		"+12",                                // too short for E.164
		"020 123 4567",                       // national: no country code
		"1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", // bad checksum: not guessed, not accepted
		"btc:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
		"account:telegram",
		"wallet:doge:has space",
		"other:tab\there\x00",
		"00:11:22:33:44:55",
	} {
		if got, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, got)
		} else if in != "" && len(in) > 4 && strings.Contains(err.Error(), in) {
			t.Errorf("Parse(%q): the error repeats the value: %v", in, err)
		}
	}
}

// The type is bound into the input: equal text of two types never makes
// the same input, so never the same token.
func TestInputBindsType(t *testing.T) {
	a := Selector{Other, "192.0.2.1"}.Input()
	b := Selector{IPv4, "192.0.2.1"}.Input()
	if bytes.Equal(a, b) {
		t.Fatal("other and ipv4 inputs are equal")
	}
	// Nor can a value shift into the type: the length prefix fixes where
	// the type ends.
	if bytes.Equal(Selector{"ab", "c"}.Input(), Selector{"a", "bc"}.Input()) {
		t.Fatal("type/value boundary is ambiguous")
	}
}

func TestParseFile(t *testing.T) {
	in := "\ufeff# interests of CASE-123\n192.0.2.1\n\nnot a selector\nip:192.0.2.1\nexample.com\nmd5:xyz\n"
	f, err := ParseFile(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Selectors) != 2 || f.Lines[0] != 2 || f.Lines[1] != 6 {
		t.Errorf("selectors %+v at lines %v", f.Selectors, f.Lines)
	}
	if len(f.Bad) != 2 || f.Bad[0].Line != 4 || f.Bad[1].Line != 7 {
		t.Errorf("bad lines %+v, want 4 and 7", f.Bad)
	}
}

// FuzzParse: Parse never panics, and what it returns parses back to itself
// when written with its type prefix.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"192.0.2.1", "ip:::1", "example.com", "+31201234567", "account:x:@Y", "other:z", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		again, err := Parse(string(s.Type) + ":" + s.Value)
		if err != nil || again != s {
			t.Fatalf("Parse(%q) = %+v, but its typed form parses to %+v, %v", in, s, again, err)
		}
	})
}
