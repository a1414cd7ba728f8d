package stix

import (
	"fmt"
	"strings"
	"time"

	"mosaic"
)

// TimeKey parses a STIX timestamp ("YYYY-MM-DDTHH:MM:SS[.s+]Z": any number
// of fraction digits, upper-case T and Z, UTC only, a real calendar date and
// time, years 0001 to 9999) and returns its comparison key: "YYYYMMDDHHMMSS"
// followed by the fraction digits without trailing zeros. Equal keys are
// equal instants, and the byte-wise order of keys is the order in time, so
// stores can compare and index keys as plain strings. The error is a
// CodeInvalid *mosaic.Error that says what is wrong.
func TimeKey(s string) (string, error) {
	k, reason := timeKey(s)
	if reason != "" {
		return "", mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX timestamp: %s", s, reason)
	}
	return k, nil
}

const timestampForm = "YYYY-MM-DDTHH:MM:SS[.s+]Z"

// timeKey returns the key, or a reason why s is not a STIX timestamp.
func timeKey(s string) (key, reason string) {
	frac, reason := timeCheck(s)
	if reason != "" {
		return "", reason
	}
	var b [14]byte
	copy(b[0:4], s[0:4])
	copy(b[4:6], s[5:7])
	copy(b[6:8], s[8:10])
	copy(b[8:10], s[11:13])
	copy(b[10:12], s[14:16])
	copy(b[12:14], s[17:19])
	return string(b[:]) + frac, ""
}

// timeCompare compares two timestamps that timeCheck accepts, in time.
// Their first 19 bytes have fixed widths, so they compare as text, and so
// do their fractions once trailing zeros are gone.
func timeCompare(a, b string) int {
	if c := strings.Compare(a[:19], b[:19]); c != 0 {
		return c
	}
	return strings.Compare(fraction(a), fraction(b))
}

func fraction(s string) string {
	if s[19] != '.' {
		return ""
	}
	return strings.TrimRight(s[20:len(s)-1], "0")
}

// timeCheck returns the fraction digits of a timestamp without trailing
// zeros, or a reason why s is not a STIX timestamp. It does not allocate.
func timeCheck(s string) (frac, reason string) {
	if len(s) < 20 {
		return "", "expected the form " + timestampForm
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !isDigit(s[i]) {
			return "", "expected the form " + timestampForm
		}
	}
	if s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return "", "expected the form " + timestampForm
	}
	if s[10] != 'T' {
		if s[10] == 't' {
			return "", "the T between date and time must be upper-case"
		}
		return "", "expected the form " + timestampForm
	}
	rest := s[19:]
	last := rest[len(rest)-1]
	if last != 'Z' {
		if last == 'z' {
			return "", "the Z designator must be upper-case"
		}
		return "", "the time must be in UTC and end with the Z designator"
	}
	frac = rest[:len(rest)-1]
	if frac != "" {
		if frac[0] != '.' || len(frac) == 1 {
			return "", "expected the form " + timestampForm
		}
		frac = frac[1:]
		for i := 0; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return "", "the fraction of a second may hold digits only"
			}
		}
	}
	if r := checkDateTime(num(s[0:4]), num(s[5:7]), num(s[8:10]), num(s[11:13]), num(s[14:16]), num(s[17:19])); r != "" {
		return "", r
	}
	return strings.TrimRight(frac, "0"), ""
}

// checkDateTime says what is out of range, or "".
func checkDateTime(year, month, day, hour, minute, sec int) string {
	switch {
	case year < 1:
		return "year 0000 is out of range (0001 to 9999)"
	case month < 1 || month > 12:
		return fmt.Sprintf("month %02d is out of range", month)
	case day < 1 || day > daysIn(year, month):
		return fmt.Sprintf("day %02d does not exist in %s %04d", day, time.Month(month), year)
	case hour > 23:
		return fmt.Sprintf("hour %02d is out of range", hour)
	case minute > 59:
		return fmt.Sprintf("minute %02d is out of range", minute)
	case sec == 60:
		// RFC 3339 allows leap seconds, but no Go time (and few stores) can
		// hold one, and its key would not sort with the minute after it.
		return "leap seconds (second 60) are not supported"
	case sec > 59:
		return fmt.Sprintf("second %02d is out of range", sec)
	}
	return ""
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// num reads a run of digits already checked by the caller.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// KeyTime turns a comparison key from TimeKey back into a time in UTC,
// truncated to nanoseconds. The error is a CodeInvalid *mosaic.Error.
func KeyTime(key string) (time.Time, error) {
	bad := func(why string) (time.Time, error) {
		return time.Time{}, mosaic.Errorf(mosaic.CodeInvalid, "%q is not a timestamp key: %s", key, why)
	}
	if len(key) < 14 {
		return bad("expected YYYYMMDDHHMMSS and fraction digits")
	}
	for i := 0; i < len(key); i++ {
		if !isDigit(key[i]) {
			return bad("expected digits only")
		}
	}
	frac := key[14:]
	if strings.HasSuffix(frac, "0") {
		return bad("the fraction has trailing zeros")
	}
	year, month, day := num(key[0:4]), num(key[4:6]), num(key[6:8])
	hour, minute, sec := num(key[8:10]), num(key[10:12]), num(key[12:14])
	if r := checkDateTime(year, month, day, hour, minute, sec); r != "" {
		return bad(r)
	}
	ns := 0
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			ns += int(frac[i] - '0')
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC), nil
}

// FormatTime formats t as a STIX timestamp in UTC with millisecond
// precision (truncated), the precision STIX requires at least for created
// and modified. Years outside 0001 to 9999 give no valid timestamp.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
