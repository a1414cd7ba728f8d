// Package jcs writes JSON in the canonical form of RFC 8785, the JSON
// Canonicalization Scheme: no white space, object members sorted by the
// UTF-16 code units of their names, numbers as ECMAScript writes them and
// strings with the fewest escapes. Two JSON texts with the same data have
// the same canonical form, whatever their spacing, member order, number
// spelling or escaping; Mosaic uses it to say that an object came back
// exactly as it went in.
//
// The scheme is defined on I-JSON (RFC 7493): a text with a duplicate
// member name, invalid Unicode or a number beyond an IEEE 754 double has
// no canonical form and is refused.
package jcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonical returns the RFC 8785 canonical form of the JSON text b, or an
// error when b is not one I-JSON value.
func Canonical(b []byte) ([]byte, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("jcs: the text is not valid UTF-8")
	}
	if err := checkSurrogates(b); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	out, err := value(dec, nil)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("jcs: more than one JSON value")
	}
	return out, nil
}

// checkSurrogates refuses a \u escape of half a UTF-16 surrogate pair
// without its other half. encoding/json reads one as U+FFFD, which would
// give a lone surrogate, which is no Unicode text, a canonical form.
func checkSurrogates(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString:
			if i+1 < len(b) && b[i+1] != 'u' {
				i++ // a two-character escape
				continue
			}
			r, ok := hex4(b, i+2)
			if !ok {
				continue // malformed; the decoder says so
			}
			i += 5
			switch {
			case utf16.IsSurrogate(r) && r < 0xdc00:
				lo, ok := rune(0), false
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					lo, ok = hex4(b, i+3)
				}
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return errors.New("jcs: a lone UTF-16 surrogate escape is no Unicode text")
				}
				i += 6
			case utf16.IsSurrogate(r):
				return errors.New("jcs: a lone UTF-16 surrogate escape is no Unicode text")
			}
		}
	}
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 32)
	return rune(n), err == nil
}

// value reads one value from dec and appends its canonical form to dst.
// Reading token by token, rather than into a map, is what lets a duplicate
// member name be seen.
func value(dec *json.Decoder, dst []byte) ([]byte, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("jcs: %w", err)
	}
	switch t := t.(type) {
	case json.Delim:
		if t == '[' {
			return array(dec, dst)
		}
		return object(dec, dst)
	case string:
		return appendString(dst, t), nil
	case json.Number:
		return appendNumber(dst, string(t))
	case bool:
		return strconv.AppendBool(dst, t), nil
	case nil:
		return append(dst, "null"...), nil
	}
	return nil, fmt.Errorf("jcs: unexpected %v", t)
}

func array(dec *json.Decoder, dst []byte) ([]byte, error) {
	dst = append(dst, '[')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = value(dec, dst); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("jcs: %w", err)
	}
	return append(dst, ']'), nil
}

type member struct {
	key   []uint16 // the name as UTF-16, the order RFC 8785 §3.2.3 sorts by
	name  string
	value []byte
}

func object(dec *json.Decoder, dst []byte) ([]byte, error) {
	var ms []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("jcs: %w", err)
		}
		name := t.(string)
		v, err := value(dec, nil)
		if err != nil {
			return nil, err
		}
		ms = append(ms, member{key: utf16.Encode([]rune(name)), name: name, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("jcs: %w", err)
	}
	slices.SortFunc(ms, func(a, b member) int { return slices.Compare(a.key, b.key) })
	dst = append(dst, '{')
	for i, m := range ms {
		if i > 0 {
			if m.name == ms[i-1].name {
				return nil, fmt.Errorf("jcs: the member name %q occurs twice", m.name)
			}
			dst = append(dst, ',')
		}
		dst = appendString(dst, m.name)
		dst = append(dst, ':')
		dst = append(dst, m.value...)
	}
	return append(dst, '}'), nil
}

// appendString writes s as RFC 8785 §3.2.2.2 says: the two-character
// escapes for quote, backslash, backspace, form feed, line feed, carriage
// return and tab, \u00xx in lower-case hexadecimal for the other control
// characters, and everything else as it is.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\b':
			dst = append(dst, '\\', 'b')
		case r == '\f':
			dst = append(dst, '\\', 'f')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r < 0x20:
			dst = fmt.Appendf(dst, `\u%04x`, r)
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}

// appendNumber writes the number text n as ECMAScript's
// Number.prototype.toString writes the IEEE 754 double it stands for
// (RFC 8785 §3.2.2.3).
func appendNumber(dst []byte, n string) ([]byte, error) {
	f, err := strconv.ParseFloat(n, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("jcs: %s is not an IEEE 754 double (I-JSON)", n)
	}
	return AppendNumber(dst, f), nil
}

// AppendNumber appends f as ECMAScript writes a number (ECMA-262,
// Number::toString): the shortest digits that read back as f, in plain
// notation from 1e-6 up to below 1e21 and in exponent notation outside,
// and 0 for both zeros. f must be finite.
func AppendNumber(dst []byte, f float64) []byte {
	if f == 0 {
		return append(dst, '0')
	}
	if f < 0 {
		dst = append(dst, '-')
		f = -f
	}
	// 'e' with the shortest precision gives the digits d[.ddd] and the
	// exponent; ECMAScript's k is the number of digits and n the exponent
	// plus one.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	mant, exp, _ := bytes.Cut(e, []byte{'e'})
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	x, _ := strconv.Atoi(string(exp))
	k, n := len(digits), x+1
	switch {
	case k <= n && n <= 21:
		dst = append(dst, digits...)
		for range n - k {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, digits[:n]...)
		dst = append(dst, '.')
		dst = append(dst, digits[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for range -n {
			dst = append(dst, '0')
		}
		dst = append(dst, digits...)
	default:
		dst = append(dst, digits[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}
