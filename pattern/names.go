package pattern

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// The exported rules below are the only copy of the rules that STIX
// objects and STIX patterns share (type names, top-level property names,
// timestamps). They live here rather than in package stix because stix
// validates indicator patterns with this package and so imports it; stix
// calls them, so that an object and a pattern can never disagree on what a
// valid name or timestamp is.

// TypeNameReason says why s cannot be an object type, or "" (§3.1: 3 to
// 250 characters, a-z, 0-9 and hyphens, starting with a letter; no "--").
func TypeNameReason(s string) string {
	switch {
	case len(s) < 3:
		return "it is shorter than 3 characters"
	case len(s) > 250:
		return "it is longer than 250 characters"
	case s[0] < 'a' || s[0] > 'z':
		return "it must start with a lower-case letter"
	case strings.Contains(s, "--"):
		return "it must not contain two hyphens in a row"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || isDigit(c) || c == '-') {
			return "it may only contain lower-case letters a-z, digits and hyphens"
		}
	}
	return ""
}

// PropertyNameReason says what is wrong with the first property name of an
// object path, a top-level property of the object, or "" (§3.1: a letter,
// then letters, digits and underscores, 3 to 250 characters; only "id" is
// shorter).
func PropertyNameReason(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > 250:
		return "is longer than 250 characters"
	case len(s) < 3 && s != "id":
		return "is shorter than 3 characters"
	case !isLetter(s[0]):
		return "must start with a letter"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isLetter(c) || isDigit(c) || c == '_') {
			return "may only contain letters, digits and underscores"
		}
	}
	return ""
}

// keyReason says what is wrong with a later path component, a nested
// property name or a dictionary key, or "" (§2.3: at most 250 ASCII
// letters, digits, hyphens and underscores; §9.7 also quotes names with a
// full stop, so that is allowed too).
//
// It is deliberately not the dictionary key rule of package stix
// (dictKeyReason there): a path component may also be a nested property
// name, §9.7 shows components with a full stop that an object's own keys
// may not have, and the minimum length of a key depends on the dictionary
// (3 for hashes), which a path does not say.
func keyReason(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > 250:
		return "is longer than 250 characters"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isLetter(c) || isDigit(c) || c == '_' || c == '-' || c == '.') {
			return "may only contain ASCII letters, digits, '-', '_' and '.'"
		}
	}
	return ""
}

const timestampForm = "expected the form YYYY-MM-DDTHH:MM:SS[.s+]Z"

// TimestampReason says why s is not a STIX timestamp, or "" (§2.16: an
// RFC 3339 timestamp in UTC of the form YYYY-MM-DDTHH:MM:SS[.s+]Z, with
// upper-case T and Z and any number of fraction digits), a real calendar
// date and time by DateTimeReason. It allocates only to say what is wrong.
func TimestampReason(s string) string {
	if len(s) < 19 {
		return timestampForm
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18} {
		if !isDigit(s[i]) {
			return timestampForm
		}
	}
	if s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return timestampForm
	}
	switch s[10] {
	case 'T':
	case 't':
		return "the T between date and time must be upper-case"
	default:
		return timestampForm
	}
	rest := s[19:]
	if rest == "" {
		return "the time must be in UTC and end with the Z designator (" + timestampForm + ")"
	}
	switch last := rest[len(rest)-1]; {
	case last == 'z':
		return "the Z designator must be upper-case"
	case last != 'Z':
		return "the time must be in UTC and end with the Z designator (" + timestampForm + ")"
	}
	if frac := rest[:len(rest)-1]; frac != "" {
		if frac[0] != '.' || len(frac) == 1 {
			return timestampForm
		}
		for i := 1; i < len(frac); i++ {
			if !isDigit(frac[i]) {
				return "the fraction of a second may hold digits only"
			}
		}
	}
	return DateTimeReason(num(s[0:4]), num(s[5:7]), num(s[8:10]), num(s[11:13]), num(s[14:16]), num(s[17:19]))
}

// DateTimeReason says which field of a UTC date and time is out of range,
// or "". Years run from 0001 to 9999: four digits cannot write a later
// one, and year 0000 (1 BC in the proleptic Gregorian calendar) is refused
// so that objects and patterns keep to the years of the comparison keys
// and Go times that package stix derives from timestamps.
//
// Second 60 is accepted only at 23:59:60 on the last day of a month.
// STIX 2.1 §2.16 requires RFC 3339 timestamps, whose time-second is
// "00-58, 00-59, 00-60 based on leap second rules" (RFC 3339 §5.6) and
// whose leap seconds fall at the end of a month, at 23:59:60 in UTC
// (§5.7); the STIX 2.1 JSON schema (common/timestamp.json) allows second
// 60 as well. Whether a leap second was in fact inserted at that month's
// end is not checked: that needs a table of past and future IERS
// announcements.
func DateTimeReason(year, month, day, hour, minute, sec int) string {
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
	case sec == 60 && (hour != 23 || minute != 59 || day != daysIn(year, month)):
		return "second 60 (a leap second) is only valid at 23:59:60 on the last day of a month"
	case sec > 60:
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

// num reads a run of digits already checked.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// ipReason says why s is not an IPv4 or IPv6 address or CIDR block, the
// values of ipv4-addr and ipv6-addr objects, or "".
func ipReason(s string) string {
	if strings.Contains(s, "/") {
		if _, err := netip.ParsePrefix(s); err != nil {
			return fmt.Sprintf("%q is not a CIDR block", clip(s))
		}
		return ""
	}
	if a, err := netip.ParseAddr(s); err != nil || a.Zone() != "" {
		return fmt.Sprintf("%q is not an IP address", clip(s))
	}
	return ""
}
