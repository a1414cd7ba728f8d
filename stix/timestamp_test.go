package stix

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestTimeKey(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "2016-04-29T14:09:00Z", want: "20160429140900"},
		{in: "2016-04-29T14:09:00.000Z", want: "20160429140900"},
		{in: "2016-04-29T14:09:00.5Z", want: "201604291409005"},
		{in: "2016-04-29T14:09:00.500000Z", want: "201604291409005"},
		{in: "2016-04-29T14:09:00.000000001Z", want: "20160429140900000000001"},
		{in: "2016-04-29T14:09:00.12345678901234Z", want: "2016042914090012345678901234"},
		{in: "0001-01-01T00:00:00Z", want: "00010101000000"},
		{in: "9999-12-31T23:59:59.999Z", want: "99991231235959999"},
		{in: "2024-02-29T00:00:00Z", want: "20240229000000"},
		{in: "2000-02-29T00:00:00Z", want: "20000229000000"},
		{in: "2016-13-01T00:00:00Z", wantErr: "month 13 is out of range"},
		{in: "2016-00-01T00:00:00Z", wantErr: "month 00 is out of range"},
		{in: "2023-02-29T00:00:00Z", wantErr: "day 29 does not exist in February 2023"},
		{in: "1900-02-29T00:00:00Z", wantErr: "day 29 does not exist in February 1900"},
		{in: "2016-02-30T00:00:00Z", wantErr: "day 30 does not exist in February 2016"},
		{in: "2016-04-31T00:00:00Z", wantErr: "day 31 does not exist in April 2016"},
		{in: "2016-04-00T00:00:00Z", wantErr: "day 00 does not exist"},
		{in: "0000-01-01T00:00:00Z", wantErr: "year 0000 is out of range"},
		{in: "2016-04-29T24:00:00Z", wantErr: "hour 24 is out of range"},
		{in: "2016-04-29T23:60:00Z", wantErr: "minute 60 is out of range"},
		{in: "2016-12-31T23:59:60Z", want: "20161231235960"},
		{in: "2015-06-30T23:59:60.250Z", want: "2015063023596025"},
		{in: "2016-06-15T23:59:60Z", wantErr: "second 60 (a leap second) is only valid at 23:59:60 on the last day of a month"},
		{in: "2016-12-31T23:58:60Z", wantErr: "second 60 (a leap second) is only valid"},
		{in: "2016-12-31T22:59:60Z", wantErr: "second 60 (a leap second) is only valid"},
		{in: "2016-12-31T23:59:61Z", wantErr: "second 61 is out of range"},
		{in: "2016-04-29t14:09:00Z", wantErr: "T between date and time must be upper-case"},
		{in: "2016-04-29T14:09:00z", wantErr: "Z designator must be upper-case"},
		{in: "2016-04-29T14:09:00+01:00", wantErr: "must be in UTC"},
		{in: "2016-04-29T14:09:00", wantErr: "expected the form"},
		{in: "2016-04-29 14:09:00Z", wantErr: "expected the form"},
		{in: "2016-04-29T14:09:00.Z", wantErr: "expected the form"},
		{in: "2016-04-29T14:09:00,5Z", wantErr: "expected the form"},
		{in: "2016-04-29T14:09:00.5xZ", wantErr: "digits only"},
		{in: "16-04-29T14:09:00Z", wantErr: "expected the form"},
		{in: "+2016-04-29T14:09:00Z", wantErr: "expected the form"},
		{in: "２016-04-29T14:09:00Z", wantErr: "expected the form"},
		{in: "", wantErr: "expected the form"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := TimeKey(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("TimeKey(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("TimeKey(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// instant is a time with any number of fraction digits, which time.Time
// cannot hold beyond nanoseconds.
type instant struct {
	sec  int64  // Unix seconds
	frac string // fraction digits, any length, trailing zeros allowed
}

func (a instant) format() string {
	s := time.Unix(a.sec, 0).UTC().Format("2006-01-02T15:04:05")
	if a.frac != "" {
		s += "." + a.frac
	}
	return s + "Z"
}

// compare orders instants exactly: by second, then by the fraction as a
// decimal, padding the shorter one with zeros.
func (a instant) compare(b instant) int {
	if a.sec != b.sec {
		if a.sec < b.sec {
			return -1
		}
		return 1
	}
	n := max(len(a.frac), len(b.frac))
	x := a.frac + strings.Repeat("0", n-len(a.frac))
	y := b.frac + strings.Repeat("0", n-len(b.frac))
	return strings.Compare(x, y)
}

var (
	minSec = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxSec = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

func randomInstant(r *rand.Rand, near *instant) instant {
	var a instant
	switch {
	case near != nil && r.IntN(3) == 0:
		a.sec = near.sec // same second, so that fractions decide
	case near != nil && r.IntN(3) == 0:
		a.sec = min(max(near.sec+r.Int64N(3)-1, minSec), maxSec)
	default:
		a.sec = minSec + r.Int64N(maxSec-minSec+1)
	}
	digits := make([]byte, r.IntN(16))
	for i := range digits {
		digits[i] = "0123456789"[r.IntN(10)]
		if r.IntN(4) == 0 {
			digits[i] = '0' // trailing and inner zeros are the interesting cases
		}
	}
	a.frac = string(digits)
	if near != nil && r.IntN(4) == 0 {
		// The same instant written with more or fewer zeros.
		a = instant{near.sec, strings.TrimRight(near.frac, "0") + strings.Repeat("0", r.IntN(4))}
	}
	return a
}

// TestTimeKeyOrder checks, on random instants with random fraction
// lengths, that keys are equal exactly for equal instants and that their
// byte-wise order is the order in time.
func TestTimeKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		a := randomInstant(r, nil)
		b := randomInstant(r, &a)
		ka, err := TimeKey(a.format())
		if err != nil {
			t.Fatal(err)
		}
		kb, err := TimeKey(b.format())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Compare(ka, kb), a.compare(b); got != want {
			t.Fatalf("%s vs %s: keys %q, %q compare %d, instants compare %d", a.format(), b.format(), ka, kb, got, want)
		}
		if got, want := timeCompare(a.format(), b.format()), a.compare(b); got != want {
			t.Fatalf("timeCompare(%s, %s) = %d, want %d", a.format(), b.format(), got, want)
		}
	}
}

func TestKeyTime(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		a := randomInstant(r, nil)
		key, err := TimeKey(a.format())
		if err != nil {
			t.Fatal(err)
		}
		got, err := KeyTime(key)
		if err != nil {
			t.Fatalf("KeyTime(%q): %v", key, err)
		}
		ns := 0
		for i := range 9 {
			ns *= 10
			if i < len(a.frac) {
				ns += int(a.frac[i] - '0')
			}
		}
		if want := time.Unix(a.sec, int64(ns)).UTC(); !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("KeyTime(%q) = %v, want %v", key, got, want)
		}
		// Through FormatTime and back: the same instant, to the millisecond.
		back, err := TimeKey(FormatTime(got))
		if err != nil {
			t.Fatal(err)
		}
		if bt, _ := KeyTime(back); !bt.Equal(got.Truncate(time.Millisecond)) {
			t.Fatalf("FormatTime(%v) = %s", got, FormatTime(got))
		}
	}
	for _, bad := range []string{"", "2016", "2016042914090", "20160429140900x", "201604291409000", "20161329140900", "00000101000000",
		"20160615235960", "20161231235860", "20161231235961"} {
		if _, err := KeyTime(bad); err == nil {
			t.Errorf("KeyTime(%q) succeeded", bad)
		}
	}
}

// TestLeapSecondKeyOrder checks that a leap second's key sorts where the
// leap second is in time: after the last instants of 23:59:59 and before
// the next day, both as keys and by timeCompare.
func TestLeapSecondKeyOrder(t *testing.T) {
	inOrder := []string{
		"2016-12-31T23:59:59Z",
		"2016-12-31T23:59:59.999Z",
		"2016-12-31T23:59:59.999999999999Z",
		"2016-12-31T23:59:60Z",
		"2016-12-31T23:59:60.5Z",
		"2016-12-31T23:59:60.999999999Z",
		"2017-01-01T00:00:00Z",
		"2017-01-01T00:00:00.000000001Z",
	}
	keys := make([]string, len(inOrder))
	for i, s := range inOrder {
		k, err := TimeKey(s)
		if err != nil {
			t.Fatal(err)
		}
		keys[i] = k
	}
	for i := range inOrder {
		for j := range inOrder {
			want := cmp.Compare(i, j)
			if got := strings.Compare(keys[i], keys[j]); got != want {
				t.Errorf("keys of %s and %s (%q, %q) compare %d, want %d", inOrder[i], inOrder[j], keys[i], keys[j], got, want)
			}
			if got := timeCompare(inOrder[i], inOrder[j]); got != want {
				t.Errorf("timeCompare(%s, %s) = %d, want %d", inOrder[i], inOrder[j], got, want)
			}
		}
	}
}

// TestKeyTimeLeapSecond checks that KeyTime reads a leap second's key as
// the instant time.Date normalises it to: time.Time has no second 60.
func TestKeyTimeLeapSecond(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2016-12-31T23:59:60Z", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2015-06-30T23:59:60.5Z", time.Date(2015, 7, 1, 0, 0, 0, 500_000_000, time.UTC)},
		{"2016-02-29T23:59:60Z", time.Date(2016, 3, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		k, err := TimeKey(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := KeyTime(k)
		if err != nil {
			t.Fatalf("KeyTime(%q): %v", k, err)
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("KeyTime(%q) = %v, want %v", k, got, tt.want)
		}
	}
}

func TestFormatTime(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2016, 4, 29, 14, 9, 0, 0, time.UTC), "2016-04-29T14:09:00.000Z"},
		{time.Date(2016, 4, 29, 14, 9, 0, 999_999_999, time.UTC), "2016-04-29T14:09:00.999Z"},
		{time.Date(2016, 4, 29, 16, 9, 0, 1_000_000, time.FixedZone("CEST", 2*3600)), "2016-04-29T14:09:00.001Z"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.in), func(t *testing.T) {
			if got := FormatTime(tt.in); got != tt.want {
				t.Errorf("FormatTime = %q, want %q", got, tt.want)
			}
			if _, err := TimeKey(FormatTime(tt.in)); err != nil {
				t.Error(err)
			}
		})
	}
}
