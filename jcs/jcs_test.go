package jcs

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestNumbers checks the number samples of RFC 8785 Appendix B, given there
// as the bits of an IEEE 754 double.
func TestNumbers(t *testing.T) {
	for _, tc := range []struct {
		bits uint64
		want string // "" for the values JSON cannot hold
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"}, // minus zero
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x7fffffffffffffff, ""}, // NaN
		{0x7ff0000000000000, ""}, // Infinity
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"}, // round to even
	} {
		f := math.Float64frombits(tc.bits)
		if tc.want == "" {
			// What JSON cannot write, a text cannot hold either.
			for _, text := range []string{"1e999", "-1e999"} {
				if got, err := Canonical([]byte(text)); err == nil {
					t.Errorf("%s: %s, want an error", text, got)
				}
			}
			continue
		}
		if got := string(AppendNumber(nil, f)); got != tc.want {
			t.Errorf("%016x: %s, want %s", tc.bits, got, tc.want)
		}
		// The same through a text that spells the double otherwise.
		text := strconv.FormatFloat(f, 'E', 20, 64)
		if got, err := Canonical([]byte(text)); err != nil || string(got) != tc.want {
			t.Errorf("%s: %s, %v; want %s", text, got, err, tc.want)
		}
	}
}

// TestSample is the sample of RFC 8785 §3.2.2: spacing, member order,
// number spellings and string escapes all change.
func TestSample(t *testing.T) {
	in := `{
  "numbers": [333333333.33333329, 1E30, 4.50,
              2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`
	want := `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`
	got, err := Canonical([]byte(in))
	if err != nil || string(got) != want {
		t.Errorf("got  %s, %v\nwant %s", got, err, want)
	}
}

// TestSorting is the sorting sample of RFC 8785 §3.2.3: names are compared
// as UTF-16 code units, so the emoji (a surrogate pair) sorts before
// U+FB33, though its code point is larger.
func TestSorting(t *testing.T) {
	in := `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`
	got, err := Canonical([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestRefused: what has no canonical form.
func TestRefused(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":2}`,      // a duplicate name
		`{"a":1,"\u0061":2}`, // the same name, escaped
		`["\ud800"]`,         // a lone high surrogate
		`["\udc00x"]`,        // a lone low surrogate
		`["\ud800\u0041"]`,   // a high surrogate before no low one
		"[\"\xff\"]",         // invalid UTF-8
		`[1e400]`,            // beyond a double
		`[1] [2]`,            // two values
		`[1] x`,              // trailing garbage
		`{"a":}`,             // malformed
	} {
		if got, err := Canonical([]byte(in)); err == nil {
			t.Errorf("%s: %s, want an error", in, got)
		}
	}
}

// TestKept: what is canonical already comes back unchanged.
func TestKept(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `""`, `0`, `-1`, `true`, `null`,
		`{"a":[1,2.5,"x"],"b":{"c":null}}`,
		`"\u001f\u007f"`,       // DEL is not escaped, the other control characters are
		"\"\u2028\u2029\"",     // nor are the line and paragraph separators
		`"<>&"`,                // nor HTML's characters
		"\"\U0001F600\ufffd\"", // nor anything else
	} {
		in2 := strings.ReplaceAll(in, `\u007f`, "\u007f")
		got, err := Canonical([]byte(in2))
		if err != nil || string(got) != in2 {
			t.Errorf("%q: %q, %v", in2, got, err)
		}
	}
}
