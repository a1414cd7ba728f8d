package stix

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// builder turns JSON text that the scanner has accepted into the values
// json.Decoder with UseNumber gives: map[string]any, []any, string,
// json.Number, bool and nil. It trusts the scanner and does not check
// syntax again, which makes it several times faster than encoding/json;
// the tests check that both give the same values.
type builder struct {
	s string
	i int
}

func (b *builder) ws() {
	for b.i < len(b.s) {
		switch b.s[b.i] {
		case ' ', '\t', '\n', '\r':
			b.i++
		default:
			return
		}
	}
}

func (b *builder) value() any {
	b.ws()
	switch b.s[b.i] {
	case '{':
		return b.object(0)
	case '[':
		return b.array()
	case '"':
		return b.str()
	case 't':
		b.i += 4
		return true
	case 'f':
		b.i += 5
		return false
	case 'n':
		b.i += 4
		return nil
	}
	start := b.i
	for b.i < len(b.s) {
		switch c := b.s[b.i]; {
		case isDigit(c), c == '-', c == '+', c == '.', c == 'e', c == 'E':
			b.i++
			continue
		}
		break
	}
	return json.Number(b.s[start:b.i])
}

// object reads an object into a map sized for size keys.
func (b *builder) object(size int) map[string]any {
	b.i++
	m := make(map[string]any, size)
	b.ws()
	if b.s[b.i] == '}' {
		b.i++
		return m
	}
	for {
		b.ws()
		k := b.str()
		b.ws()
		b.i++ // ':'
		m[k] = b.value()
		b.ws()
		if b.s[b.i] == ',' {
			b.i++
			continue
		}
		b.i++ // '}'
		return m
	}
}

func (b *builder) array() []any {
	b.i++
	b.ws()
	if b.s[b.i] == ']' {
		b.i++
		return []any{}
	}
	a := make([]any, 0, 4)
	for {
		a = append(a, b.value())
		b.ws()
		if b.s[b.i] == ',' {
			b.i++
			continue
		}
		b.i++ // ']'
		return a
	}
}

// str reads a string. Strings without escapes share the builder's text.
func (b *builder) str() string {
	b.i++
	start := b.i
	end := start + strings.IndexByte(b.s[start:], '"')
	if end >= start && strings.IndexByte(b.s[start:end], '\\') < 0 {
		b.i = end + 1
		return b.s[start:end]
	}
	end = skipString(b.s, start-1)
	b.i = end
	return decodeString(b.s[start : end-1])
}

// decodeString decodes the contents of a JSON string (without its quotes).
// Invalid escapes and lone surrogates become U+FFFD, as in encoding/json.
func decodeString[T string | []byte](raw T) string {
	buf := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			buf = append(buf, c)
			i++
			continue
		}
		if i+1 >= len(raw) {
			break
		}
		switch e := raw[i+1]; e {
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(raw, i+2)
			if !ok {
				buf = utf8.AppendRune(buf, utf8.RuneError)
				i += 2
				continue
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if lo, ok := hex4(raw, i+2); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
							i += 6
						}
					}
				}
				r = r2
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default: // '"', '\\', '/'
			buf = append(buf, e)
		}
		i += 2
	}
	return string(buf)
}

// appendJSON appends v in canonical form: object keys sorted byte-wise, no
// insignificant white space, strings escaped exactly as encoding/json
// escapes them with SetEscapeHTML(false), numbers as their original text.
func appendJSON(dst []byte, v any) []byte {
	switch v := v.(type) {
	case string:
		return appendString(dst, v)
	case json.Number:
		return append(dst, v...)
	case bool:
		if v {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case nil:
		return append(dst, "null"...)
	case map[string]any:
		var buf [32]pair
		kv := buf[:0]
		if len(v) > len(buf) {
			kv = make([]pair, 0, len(v))
		}
		for k, e := range v {
			kv = append(kv, pair{prefix(k), k, e})
		}
		sortPairs(kv)
		dst = append(dst, '{')
		for i, m := range kv {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, m.k)
			dst = append(dst, ':')
			dst = appendJSON(dst, m.v)
		}
		return append(dst, '}')
	case []any:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, e)
		}
		return append(dst, ']')
	case []string:
		dst = append(dst, '[')
		for i, e := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, e)
		}
		return append(dst, ']')
	}
	panic(fmt.Sprintf("stix: cannot encode a %T", v))
}

// pair is an object member being encoded, with the first eight bytes of
// its key as a big-endian number: comparing those decides the order of
// nearly all STIX property names without a call to compare strings.
type pair struct {
	pk uint64
	k  string
	v  any
}

func prefix(k string) uint64 {
	var p uint64
	for i := 0; i < 8; i++ {
		p <<= 8
		if i < len(k) {
			p |= uint64(k[i])
		}
	}
	return p
}

// sortPairs sorts by key, byte-wise. STIX objects have a few dozen keys at
// most, few enough for an insertion sort.
func sortPairs(kv []pair) {
	if len(kv) > 64 {
		slices.SortFunc(kv, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		return
	}
	for i := 1; i < len(kv); i++ {
		x := kv[i]
		j := i
		for j > 0 && pairLess(&x, &kv[j-1]) {
			kv[j] = kv[j-1]
			j--
		}
		kv[j] = x
	}
}

// pairLess compares keys byte-wise. Equal prefixes need the whole keys: the
// keys may be longer, or hold NUL bytes, which look like padding.
func pairLess(a, b *pair) bool {
	if a.pk != b.pk {
		return a.pk < b.pk
	}
	return a.k < b.k
}

const hexDigits = "0123456789abcdef"

// appendString follows encoding/json's escaping with SetEscapeHTML(false):
// the short escapes for \b \f \n \r \t " \, \u00XX for other control
// characters, \u2028 and \u2029 always, U+FFFD for invalid UTF-8.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && !special(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] || c == 0x7f {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
