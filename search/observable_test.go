package search

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestNormalizeObservable(t *testing.T) {
	tests := []struct {
		kind  Kind
		in    string
		want  string
		valid bool
	}{
		{KindIPv4, "198.51.100.7", "198.51.100.7", true},
		{KindIPv4, " 198.51.100.7\n", "198.51.100.7", true},
		{KindIPv4, "0.0.0.0", "0.0.0.0", true},
		{KindIPv4, "198.051.100.7", "", false}, // leading zero: octal to some parsers
		{KindIPv4, "256.1.1.1", "", false},
		{KindIPv4, "198.51.100", "", false},
		{KindIPv4, "::ffff:198.51.100.7", "", false}, // IPv6 text, not IPv4
		{KindIPv4, "2001:db8::1", "", false},
		{KindIPv4, "198.51.100.0/24", "", false},
		{KindIPv4, "", "", false},

		{KindIPv6, "2001:DB8:0:0:0:0:0:1", "2001:db8::1", true},
		{KindIPv6, "2001:db8:0000::0:1", "2001:db8::1", true},
		{KindIPv6, "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", true},
		{KindIPv6, "::1", "::1", true},
		{KindIPv6, "::FFFF:198.51.100.7", "::ffff:198.51.100.7", true},
		{KindIPv6, "::198.51.100.7", "::c633:6407", true},
		{KindIPv6, "fe80::1%eth0", "", false},
		{KindIPv6, "2001:db8::1::2", "", false},
		{KindIPv6, "[2001:db8::1]", "", false},
		{KindIPv6, "198.51.100.7", "", false},

		{KindCIDR, "10.0.0.1/8", "10.0.0.1/8", true}, // not masked
		{KindCIDR, "198.51.100.0/24", "198.51.100.0/24", true},
		{KindCIDR, "198.51.100.7/32", "198.51.100.7", true},
		{KindCIDR, "2001:DB8::/32", "2001:db8::/32", true},
		{KindCIDR, "2001:db8::1/128", "2001:db8::1", true},
		{KindCIDR, "10.0.0.0/33", "", false},
		{KindCIDR, "10.0.0.0", "10.0.0.0", true},
		{KindCIDR, "10.0.0.0.0", "", false},
		{KindCIDR, "10.0.0.0/", "", false},
		{KindCIDR, "fe80::%eth0/64", "", false},

		{KindDomain, "Evil.Example.COM", "evil.example.com", true},
		{KindDomain, "evil.example.com.", "evil.example.com", true},
		{KindDomain, "bücher.example", "xn--bcher-kva.example", true},
		{KindDomain, "BÜCHER.example", "xn--bcher-kva.example", true},
		{KindDomain, "xn--bcher-kva.example", "xn--bcher-kva.example", true},
		{KindDomain, "XN--BCHER-KVA.Example", "xn--bcher-kva.example", true},
		{KindDomain, "ｅｘａｍｐｌｅ．ｃｏｍ", "example.com", true}, // full-width, mapped by IDNA
		{KindDomain, "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com", true},
		{KindDomain, "_dmarc.example.com", "_dmarc.example.com", true},
		{KindDomain, "xn--p1ai.xn--p1ai", "xn--p1ai.xn--p1ai", true},
		{KindDomain, "localhost", "", false}, // one label
		{KindDomain, "198.51.100.7", "", false},
		{KindDomain, "example.123", "", false},
		{KindDomain, "T1059.001", "", false},
		{KindDomain, "xn--abc.example", "", false}, // invalid punycode
		{KindDomain, "exa mple.com", "", false},
		{KindDomain, "a..example", "", false},
		{KindDomain, ".example.com", "", false},
		{KindDomain, "example.com..", "", false},
		{KindDomain, "*.example.com", "", false},
		{KindDomain, "example.com/path", "", false},
		{KindDomain, "-.example", "", false},
		{KindDomain, strings.Repeat("a", 64) + ".example", "", false},
		{KindDomain, strings.Repeat("a.", 127) + "com", "", false}, // 255 bytes
		{KindDomain, "", "", false},
		{KindDomain, "evil\u2024com", "", false}, // maps to a dot, but is not a label separator
		{KindDomain, "evil⒈com", "", false},
		{KindDomain, "\xb5evil.example.com", "", false},   // invalid UTF-8
		{KindDomain, "\ufffdevil.example.com", "", false}, // U+FFFD, which IDNA would encode

		{KindURL, "HTTP://Evil.Example.COM", "http://evil.example.com/", true},
		{KindURL, "http://evil.example.com:80/a", "http://evil.example.com/a", true},
		{KindURL, "https://evil.example.com:443/a", "https://evil.example.com/a", true},
		{KindURL, "https://evil.example.com:0443", "https://evil.example.com/", true},
		{KindURL, "https://evil.example.com:80/", "https://evil.example.com:80/", true},
		{KindURL, "http://evil.example.com:8080", "http://evil.example.com:8080/", true},
		{KindURL, "http://evil.example.com:/", "http://evil.example.com/", true},
		{KindURL, "http://evil.example.com/A/./b%2F?Q=1&r=%41#Frag", "http://evil.example.com/A/./b%2F?Q=1&r=%41#Frag", true},
		{KindURL, "http://evil.example.com?q=1", "http://evil.example.com/?q=1", true},
		{KindURL, "http://evil.example.com#top", "http://evil.example.com/#top", true},
		{KindURL, "http://bücher.example/Straße", "http://xn--bcher-kva.example/Straße", true},
		{KindURL, "http://User:Pass@Evil.Example.com/", "http://User:Pass@evil.example.com/", true},
		{KindURL, "http://good.example@evil.example/", "http://good.example@evil.example/", true},
		{KindURL, "http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x", true},
		{KindURL, "http://198.51.100.7:8080/x", "http://198.51.100.7:8080/x", true},
		{KindURL, "http://intranet/", "http://intranet/", true},
		{KindURL, "FTP://Files.Example.com", "ftp://files.example.com", true}, // no "/" added for ftp
		{KindURL, "hxxp://evil.example.com/x", "hxxp://evil.example.com/x", true},
		{KindURL, "evil.example.com/path", "", false},
		{KindURL, "http://", "", false},
		{KindURL, "file:///etc/passwd", "", false},
		{KindURL, "http://evil .example.com/", "", false},
		{KindURL, "http://evil.example.com/a b", "", false},
		{KindURL, "http://evil.example.com/a\x00", "", false},
		{KindURL, "http://evil.example.com/\xff", "", false},
		{KindURL, "http://evil.example.com:99999/", "", false},
		{KindURL, "http://evil.example.com:8o/", "", false},
		{KindURL, "http://evil.example.com:+80/", "", false},
		{KindURL, "1http://evil.example.com/", "", false},
		{KindURL, "ht tp://evil.example.com/", "", false},
		{KindURL, "http://[fe80::1%25eth0]/", "", false},
		{KindURL, "http://[198.51.100.7]/", "", false},
		{KindURL, "http://[2001:db8::1/", "", false},
		{KindURL, "http://[2001:db8::1]x/", "", false},
		{KindURL, "http://1234/", "", false},
		{KindURL, "http://-/", "", false},

		{KindEmail, "John.Doe@Example.COM", "john.doe@example.com", true},
		{KindEmail, "user+tag@bücher.example", "user+tag@xn--bcher-kva.example", true},
		{KindEmail, "o'brien@example.com", "o'brien@example.com", true},
		{KindEmail, "Ünal@example.com", "ünal@example.com", true},
		{KindEmail, "a@example.com.", "a@example.com", true},
		{KindEmail, "a@b", "", false},
		{KindEmail, "@example.com", "", false},
		{KindEmail, "a@", "", false},
		{KindEmail, "a@@example.com", "", false},
		{KindEmail, "a@b@example.com", "", false},
		{KindEmail, ".a@example.com", "", false},
		{KindEmail, "a.@example.com", "", false},
		{KindEmail, "a..b@example.com", "", false},
		{KindEmail, "a b@example.com", "", false},
		{KindEmail, `"a"@example.com`, "", false},
		{KindEmail, "a@[198.51.100.7]", "", false},
		{KindEmail, strings.Repeat("a", 65) + "@example.com", "", false},

		{KindMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", true},
		{KindMD5, "d41d8cd98f00b204e9800998ecf8427", "", false},
		{KindMD5, "g41d8cd98f00b204e9800998ecf8427e", "", false},
		{KindSHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709", true},
		{KindSHA1, "d41d8cd98f00b204e9800998ecf8427e", "", false},
		{KindSHA256, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true},
		{KindSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", "", false},
		{KindSHA512, strings.Repeat("AB", 64), strings.Repeat("ab", 64), true},
		{KindSHA512, strings.Repeat("ab", 63), "", false},

		{KindMAC, "00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e", true},
		{KindMAC, "00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e", true},
		{KindMAC, "001A.2B3C.4D5E", "00:1a:2b:3c:4d:5e", true},
		{KindMAC, "00:1a:2b:3c:4d", "", false},
		{KindMAC, "00:1a-2b:3c:4d:5e", "", false},
		{KindMAC, "0g:1a:2b:3c:4d:5e", "", false},
		{KindMAC, "00:1a:2b:3c:4d:5e:6f:70", "", false},
		{KindMAC, "001a2b3c4d5e", "", false},

		{Kind("ssdeep"), "3:abc:def", "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.in, func(t *testing.T) {
			got, ok := NormalizeObservable(tt.kind, tt.in)
			if got != tt.want || ok != tt.valid {
				t.Errorf("NormalizeObservable(%q, %q) = %q, %v; want %q, %v", tt.kind, tt.in, got, ok, tt.want, tt.valid)
			}
			if ok {
				// Normalising is idempotent: stored values can be
				// normalised again without changing.
				if again, ok := NormalizeObservable(tt.kind, got); again != got || !ok {
					t.Errorf("NormalizeObservable(%q, %q) = %q, %v; want it unchanged", tt.kind, got, again, ok)
				}
			}
		})
	}
}

func TestGuessObservable(t *testing.T) {
	tests := []struct {
		in   string
		kind Kind
		want string
	}{
		{"198.51.100.7", KindIPv4, "198.51.100.7"},
		{"2001:DB8::1", KindIPv6, "2001:db8::1"},
		{"::1", KindIPv6, "::1"},
		{"::ffff:198.51.100.7", KindIPv6, "::ffff:198.51.100.7"},
		{"198.51.100.0/24", KindCIDR, "198.51.100.0/24"},
		{"198.51.100.7/32", KindIPv4, "198.51.100.7"},
		{"2001:db8::1/128", KindIPv6, "2001:db8::1"},
		{"Evil.Example.com", KindDomain, "evil.example.com"},
		{"bücher.example", KindDomain, "xn--bcher-kva.example"},
		{"bücher。example", KindDomain, "xn--bcher-kva.example"},
		{"dropper.exe", KindDomain, "dropper.exe"}, // a file name looks like a domain; both sides agree
		{"https://Evil.Example.com:443", KindURL, "https://evil.example.com/"},
		{"Bad@Phish.Example", KindEmail, "bad@phish.example"},
		{"D41D8CD98F00B204E9800998ECF8427E", KindMD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", KindSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", KindSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{strings.Repeat("0f", 64), KindSHA512, strings.Repeat("0f", 64)},
		{"00-1A-2B-3C-4D-5E", KindMAC, "00:1a:2b:3c:4d:5e"},
		{"00:1a:2b:3c:4d:5e", KindMAC, "00:1a:2b:3c:4d:5e"},
		{"001a.2b3c.4d5e", KindMAC, "00:1a:2b:3c:4d:5e"},

		{"", "", ""},
		{"mimikatz", "", ""},
		{"spear-phishing", "", ""},
		{"deadbeef", "", ""},
		{strings.Repeat("a", 33), "", ""},
		{"T1059.001", "", ""},
		{"1.2.3", "", ""},
		{"v2.0", "", ""},
		{"12:30", "", ""},
		{"C:\\Windows\\evil.exe", "", ""},
		{"/tmp/evil.sh", "", ""},
		{"evil.example.com:8080", "", ""},
		{"fe80::1%eth0", "", ""},
		{"http://", "", ""},
		{"user@", "", ""},
		{"198.51.100.7,", "", ""}, // punctuation is the caller's to trim
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			kind, got, ok := GuessObservable(tt.in)
			if kind != tt.kind && ok || got != tt.want || ok != (tt.kind != "") {
				t.Errorf("GuessObservable(%q) = %q, %q, %v; want %q, %q", tt.in, kind, got, ok, tt.kind, tt.want)
			}
			if ok {
				if again, ok := NormalizeObservable(kind, got); again != got || !ok {
					t.Errorf("NormalizeObservable(%q, %q) = %q, %v; want the guess unchanged", kind, got, again, ok)
				}
			}
		})
	}
}

func TestObservableTerm(t *testing.T) {
	short := "http://evil.example.com/" + strings.Repeat("a", MaxTermBytes-len("http://evil.example.com/"))
	long := short + "b"
	sum := sha256.Sum256([]byte(long))
	tests := []struct {
		name, in, want string
	}{
		{"short", "evil.example.com", "evil.example.com"},
		{"at the limit", short, short},
		{"over the limit", long, "#" + hex.EncodeToString(sum[:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ObservableTerm(tt.in); got != tt.want {
				t.Errorf("ObservableTerm(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestDomainFastPath checks that skipping IDNA for plain ASCII names gives
// what IDNA gives.
func TestDomainFastPath(t *testing.T) {
	const alphabet = "aZ09-_.x"
	names := []string{"Example.COM", "a-.b", "-a.b", "ab--c.d", "a_b.c", "x.n--a", "xn.example"}
	// Every string of up to five bytes over the alphabet, and the names.
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		names = append(names, prefix)
		if n == 0 {
			return
		}
		for i := range len(alphabet) {
			gen(prefix+alphabet[i:i+1], n-1)
		}
	}
	gen("", 5)
	for _, name := range names {
		fast, fastOK := normalizeDomain(name, 1)
		d, err := domainProfile.ToASCII(name)
		d = strings.TrimSuffix(d, ".")
		slowOK := err == nil && validHostname(d, 1)
		if fastOK != slowOK || fastOK && fast != d {
			t.Errorf("normalizeDomain(%q) = %q, %v; IDNA gives %q, %v (%v)", name, fast, fastOK, d, slowOK, err)
		}
	}
}
