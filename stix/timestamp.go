package stix

import (
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/pattern"
)

// TimeKey parses a STIX timestamp ("YYYY-MM-DDTHH:MM:SS[.s+]Z": any number
// of fraction digits, upper-case T and Z, UTC only, a real calendar date and
// time, years 0001 to 9999, second 60 only at 23:59:60 on the last day of a
// month, as pattern.TimestampReason rules) and returns its comparison key:
// "YYYYMMDDHHMMSS" followed by the fraction digits without trailing zeros.
// Equal keys are equal instants, and the byte-wise order of keys is the
// order in time, leap seconds included, so stores can compare and index
// keys as plain strings. The error is a CodeInvalid *mosaic.Error that says
// what is wrong.
func TimeKey(s string) (string, error) {
	k, reason := timeKey(s)
	if reason != "" {
		return "", mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX timestamp: %s", s, reason)
	}
	return k, nil
}

// timeKey returns the key, or a reason why s is not a STIX timestamp.
//
// A leap second needs no special case: its key, "YYYYMMDD235960" and the
// fraction, sorts after every key of 23:59:59 of that day and before the
// next day's "YYYYMMDD000000", which is where the leap second is in time.
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

// timeCompare compares two timestamps that timeCheck accepts, in time. It
// is the pattern package's order of timestamp constants, so that a
// pattern's START and STOP and an object's timestamps order alike.
func timeCompare(a, b string) int {
	return pattern.Timestamp(a).Compare(pattern.Timestamp(b))
}

func fraction(s string) string {
	if s[19] != '.' {
		return ""
	}
	return strings.TrimRight(s[20:len(s)-1], "0")
}

// timeCheck returns the fraction digits of a timestamp without trailing
// zeros, or a reason why s is not a STIX timestamp. It does not allocate
// for a valid one. The rule is the pattern package's, so that a timestamp
// an object may hold is one a pattern may compare with, and back.
func timeCheck(s string) (frac, reason string) {
	if r := pattern.TimestampReason(s); r != "" {
		return "", r
	}
	return fraction(s), ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// KeyTime turns a comparison key from TimeKey back into a time in UTC,
// truncated to nanoseconds. The error is a CodeInvalid *mosaic.Error.
//
// A time.Time cannot hold a leap second, so the key of 23:59:60.s (on the
// last day of a month) gives what time.Date normalises it to, 00:00:00.s
// of the next day: one second late, the same time as that key's, and later
// than the times of the next day's keys below 00:00:00.s, although the key
// sorts before them. Where a leap second may occur, compare keys rather
// than the times KeyTime makes of them.
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
	// The digits are checked, so Atoi cannot fail.
	field := func(i, j int) int { n, _ := strconv.Atoi(key[i:j]); return n }
	year, month, day := field(0, 4), field(4, 6), field(6, 8)
	hour, minute, sec := field(8, 10), field(10, 12), field(12, 14)
	if r := pattern.DateTimeReason(year, month, day, hour, minute, sec); r != "" {
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
