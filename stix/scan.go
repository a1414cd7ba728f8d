package stix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The scanner checks a whole body in one pass over its bytes, before any of
// it is decoded: RFC 8259 syntax, nesting depth, string sizes, UTF-8,
// escapes and duplicate keys at any depth. encoding/json accepts duplicate
// keys (last wins) and nests thousands of levels deep; both are ways to
// make two readers of the same bytes disagree, or to make one work hard.
//
// Syntax errors stop the scan: what follows cannot be read reliably. The
// other findings (issues) leave the structure intact, so the scan goes on
// and reports them all.

// span is a byte range [start, end) of the body. For the elements of a
// bundle's objects, keys counts the element's top-level keys.
type span struct{ start, end, keys int }

// member is one key of the bundle's top-level object.
type member struct {
	key    string
	keyOff int
	val    span
}

// scanIssue is a finding that does not stop the scan.
type scanIssue struct {
	off    int // byte offset in the body
	obj    int // index in the bundle's objects, -1 outside them
	reason string
}

// syntaxError is malformed JSON. It stops the scan.
type syntaxError struct {
	off int
	obj int
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("malformed JSON at byte %d: %s", e.off, e.msg)
}

// tooManyError stops the scan as soon as the objects limit is passed, so a
// huge bundle costs no more than the limit.
type tooManyError struct{ limit int }

func (e *tooManyError) Error() string {
	return fmt.Sprintf("the bundle has more than %d objects", e.limit)
}

type frameHook uint8

const (
	hookNone    frameHook = iota
	hookRoot              // the bundle's top-level object: record its members
	hookObjects           // the bundle's objects array: record its elements
)

type frame struct {
	obj      bool
	hook     frameHook
	keyStart int // where this object's keys start in scanner.keys
	set      map[string]struct{}
}

// keyRef is a key seen in an open object: its raw bytes, or its decoded
// bytes when it has escapes.
type keyRef struct {
	b   []byte
	esc bool
}

// Objects with more keys than this switch from a linear search to a set.
const linearKeys = 24

type scanner struct {
	data   []byte
	lim    Limits
	bundle bool // scanning a bundle, not a single object

	stack []frame
	keys  []keyRef

	rootKind byte     // first byte of the top-level value
	top      []member // bundle mode: the top-level members
	objects  []span   // bundle mode: the elements of objects
	issues   []scanIssue

	obj      int // current element of objects, -1 outside
	objStart int
	objKeys  int // top-level keys of the current object
	objDepth int // stack depth inside the current object's top level
	deepObj  int // the last object reported as too deep, so it is reported once

	curKey    string // last key of the top-level object
	curKeyOff int
	valStart  int
}

// plain marks the bytes a string can hold without a closer look.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// special reports whether any of eight bytes needs a closer look in a
// string: a quote, a backslash, a control character or a non-ASCII byte.
// It tests eight bytes at once (the classic "has less than" and "has zero
// byte" bit tricks), which pays off on the long strings of descriptions
// and patterns.
func special(x uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ctl := (x - lo*0x20) & ^x & hi
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ctl|((q-lo)&^q&hi)|((bs-lo)&^bs&hi)|x&hi != 0
}

func newScanner(data []byte, lim Limits, bundle bool) *scanner {
	s := &scanner{data: data, lim: lim, bundle: bundle, obj: -1, deepObj: -2, objDepth: 3}
	if !bundle {
		s.obj, s.objDepth = 0, 1
	}
	return s
}

func (s *scanner) errAt(off int, format string, args ...any) error {
	return &syntaxError{off: off, obj: s.obj, msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) issue(off int, format string, args ...any) {
	s.issues = append(s.issues, scanIssue{off: off, obj: s.obj, reason: fmt.Sprintf(format, args...)})
}

func (s *scanner) ws(i int) int {
	for i < len(s.data) {
		switch s.data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// found describes the byte at i for an error message.
func found(d []byte, i int) string {
	if i >= len(d) {
		return "end of input"
	}
	if c := d[i]; c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'%c'", c)
	}
	return fmt.Sprintf("byte 0x%02x", d[i])
}

const valueWanted = "a value (object, array, string, number, true, false or null)"

// run scans the whole body.
func (s *scanner) run() error {
	const (
		stValue = iota // a value must start here
		stKey          // an object key must start here
		stAfter        // a value just ended
	)
	d := s.data
	i := s.ws(0)
	if i < len(d) {
		s.rootKind = d[i]
	}
	st := stValue
	for {
		switch st {
		case stValue:
			if i >= len(d) {
				return s.errAt(i, "expected %s, found end of input", valueWanted)
			}
			if err := s.beginValue(i); err != nil {
				return err
			}
			switch c := d[i]; {
			case c == '{' || c == '[':
				s.push(i, c == '{')
				i = s.ws(i + 1)
				if i < len(d) && d[i] == c+2 { // '}' or ']'
					i++
					s.pop()
					st = stAfter
				} else if c == '{' {
					st = stKey
				}
			case c == '"':
				end, err := s.str(i, false)
				if err != nil {
					return err
				}
				i, st = end, stAfter
			case c == '-' || isDigit(c):
				end, err := s.number(i)
				if err != nil {
					return err
				}
				i, st = end, stAfter
			case c == 't' || c == 'f' || c == 'n':
				lit := "null"
				if c == 't' {
					lit = "true"
				} else if c == 'f' {
					lit = "false"
				}
				if len(d)-i < len(lit) || string(d[i:i+len(lit)]) != lit {
					return s.errAt(i, "expected %s, found %s", valueWanted, found(d, i))
				}
				i, st = i+len(lit), stAfter
			default:
				return s.errAt(i, "expected %s, found %s", valueWanted, found(d, i))
			}
		case stKey:
			if i >= len(d) || d[i] != '"' {
				return s.errAt(i, "expected '\"' to begin an object key, found %s", found(d, i))
			}
			end, err := s.str(i, true)
			if err != nil {
				return err
			}
			i = s.ws(end)
			if i >= len(d) || d[i] != ':' {
				return s.errAt(i, "expected ':' after an object key, found %s", found(d, i))
			}
			i = s.ws(i + 1)
			st = stValue
		case stAfter:
			s.endValue(i)
			if len(s.stack) == 0 {
				if i = s.ws(i); i != len(d) {
					return s.errAt(i, "expected end of input after the top-level value, found %s", found(d, i))
				}
				return nil
			}
			i = s.ws(i)
			f := &s.stack[len(s.stack)-1]
			switch {
			case i < len(d) && d[i] == ',':
				i = s.ws(i + 1)
				if f.obj {
					st = stKey
				} else {
					st = stValue
				}
			case f.obj && i < len(d) && d[i] == '}', !f.obj && i < len(d) && d[i] == ']':
				i++
				s.pop()
			case f.obj:
				return s.errAt(i, "expected ',' or '}' after an object member, found %s", found(d, i))
			default:
				return s.errAt(i, "expected ',' or ']' after an array element, found %s", found(d, i))
			}
		}
	}
}

// beginValue notes where elements of objects and top-level members start.
func (s *scanner) beginValue(i int) error {
	if len(s.stack) == 0 {
		if s.data[i] != '{' {
			if s.bundle {
				s.issue(i, "a STIX bundle must be a JSON object")
			} else {
				s.issue(i, "a STIX object must be a JSON object")
			}
		}
		return nil
	}
	switch s.stack[len(s.stack)-1].hook {
	case hookRoot:
		s.valStart = i
	case hookObjects:
		n := len(s.objects)
		if n >= s.lim.MaxObjects {
			return &tooManyError{limit: s.lim.MaxObjects}
		}
		s.obj, s.objStart, s.objKeys = n, i, 0
		if s.data[i] != '{' {
			s.issue(i, "every element of objects must be a STIX object (a JSON object)")
		}
	}
	return nil
}

// endValue records top-level members and elements of objects.
func (s *scanner) endValue(i int) {
	if len(s.stack) == 0 {
		return
	}
	switch s.stack[len(s.stack)-1].hook {
	case hookRoot:
		s.top = append(s.top, member{key: s.curKey, keyOff: s.curKeyOff, val: span{start: s.valStart, end: i}})
	case hookObjects:
		if n := i - s.objStart; n > s.lim.MaxObjectBytes {
			s.issues = append(s.issues, scanIssue{off: s.objStart, obj: s.obj,
				reason: fmt.Sprintf("the object is %d bytes long, more than the limit of %d bytes", n, s.lim.MaxObjectBytes)})
		}
		s.objects = append(s.objects, span{s.objStart, i, s.objKeys})
		s.obj = -1
	}
}

func (s *scanner) push(i int, obj bool) {
	f := frame{obj: obj, keyStart: len(s.keys)}
	switch n := len(s.stack); {
	case s.bundle && n == 0 && obj:
		f.hook = hookRoot
	case n == 1 && s.stack[0].hook == hookRoot && !obj && s.curKey == "objects":
		f.hook = hookObjects
	}
	s.stack = append(s.stack, f)
	if len(s.stack) > s.lim.MaxDepth && s.deepObj != s.obj {
		s.deepObj = s.obj
		s.issue(i, "the JSON nesting is deeper than the limit of %d levels", s.lim.MaxDepth)
	}
}

func (s *scanner) pop() {
	f := s.stack[len(s.stack)-1]
	s.keys = s.keys[:f.keyStart]
	s.stack = s.stack[:len(s.stack)-1]
}

// str scans the string that starts with the quote at i and returns the
// offset after its closing quote.
func (s *scanner) str(i int, key bool) (int, error) {
	d := s.data
	start := i
	i++
	n := 0 // decoded length
	esc, badUTF8, badSurrogate := false, false, false
	for {
		j := i
		for j+8 <= len(d) && !special(binary.LittleEndian.Uint64(d[j:])) {
			j += 8
		}
		for j < len(d) && plain[d[j]] {
			j++
		}
		n += j - i
		i = j
		if i >= len(d) {
			return 0, s.errAt(i, "expected '\"' to end the string that starts at byte %d, found end of input", start)
		}
		c := d[i]
		if c == '"' {
			i++
			break
		}
		switch {
		case c == '\\':
			esc = true
			if i+1 >= len(d) {
				return 0, s.errAt(i+1, "expected an escape character after '\\', found end of input")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n++
				i += 2
			case 'u':
				r, ok := hex4(d, i+2)
				if !ok {
					return 0, s.errAt(i, "expected four hexadecimal digits after \\u")
				}
				if utf16.IsSurrogate(r) {
					if r < 0xdc00 && len(d) >= i+12 && d[i+6] == '\\' && d[i+7] == 'u' {
						if r2, ok := hex4(d, i+8); ok && 0xdc00 <= r2 && r2 <= 0xdfff {
							n += 4
							i += 12
							continue
						}
					}
					if !badSurrogate {
						badSurrogate = true
						s.issue(i, "the string holds a lone surrogate \\u%04X: UTF-16 surrogates must come in pairs", r)
					}
					n += 3
					i += 6
					continue
				}
				n += utf8.RuneLen(r)
				i += 6
			default:
				return 0, s.errAt(i, "invalid escape %s in a string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u", quoteEscape(d[i+1]))
			}
		case c < 0x20:
			return 0, s.errAt(i, "control character U+%04X in a string: it must be escaped", c)
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 && !badUTF8 {
				badUTF8 = true
				s.issue(i, "the string holds invalid UTF-8 (byte 0x%02x)", c)
			}
			n += size
			i += size
		}
	}
	if n > s.lim.MaxStringBytes {
		s.issue(start, "a string of %d bytes is longer than the limit of %d bytes", n, s.lim.MaxStringBytes)
	}
	if key {
		s.key(start, i, esc)
	}
	return i, nil
}

func quoteEscape(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("'\\%c'", c)
	}
	return fmt.Sprintf("'\\' followed by byte 0x%02x", c)
}

// key checks the key d[start:end] (with quotes) against the other keys of
// its object.
func (s *scanner) key(start, end int, esc bool) {
	raw := s.data[start+1 : end-1]
	k := keyRef{b: raw, esc: esc}
	if esc {
		k.b = []byte(decodeString(raw))
	}
	f := &s.stack[len(s.stack)-1]
	if len(s.stack) == s.objDepth {
		s.objKeys++
	}
	if f.hook == hookRoot {
		s.curKey, s.curKeyOff = string(k.b), start
	}
	dup := false
	if f.set != nil {
		if _, dup = f.set[string(k.b)]; !dup {
			f.set[string(k.b)] = struct{}{}
		}
	} else {
		for _, o := range s.keys[f.keyStart:] {
			if bytes.Equal(o.b, k.b) {
				dup = true
				break
			}
		}
		if !dup {
			s.keys = append(s.keys, k)
			if len(s.keys)-f.keyStart > linearKeys {
				f.set = make(map[string]struct{}, 2*linearKeys)
				for _, o := range s.keys[f.keyStart:] {
					f.set[string(o.b)] = struct{}{}
				}
			}
		}
	}
	if dup {
		s.issue(start, "duplicate key %q: a key may appear only once in an object", truncate(string(k.b), 100))
	}
}

func (s *scanner) number(i int) (int, error) {
	d := s.data
	start := i
	if d[i] == '-' {
		i++
	}
	digits := func(what string) error {
		if i >= len(d) || !isDigit(d[i]) {
			return s.errAt(i, "invalid number: expected a digit %s, found %s", what, found(d, i))
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		return nil
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if err := digits("after '-'"); err != nil {
		return 0, err
	}
	if i < len(d) && d[i] == '.' {
		i++
		if err := digits("after the decimal point"); err != nil {
			return 0, err
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if err := digits("in the exponent"); err != nil {
			return 0, err
		}
		s.double(start, i)
	} else if i-start > 300 {
		s.double(start, i)
	}
	return i, nil
}

// double refuses the number d[start:end] when an IEEE 754 double cannot
// hold it, as I-JSON (RFC 7493 §2.2) requires: other readers of what Mosaic
// serves would fail on it, or read Infinity or 0. Only a number with an
// exponent or of more than 300 characters can be out of range (1e308 has
// 309 digits, and a fraction underflows after 323 zeros), so the common
// numbers never get here.
func (s *scanner) double(start, end int) {
	lit := s.data[start:end]
	f, err := strconv.ParseFloat(string(lit), 64)
	switch {
	case err != nil || math.IsInf(f, 0):
		s.issue(start, "%s is beyond the range of an IEEE 754 double (I-JSON, RFC 7493 §2.2)", truncate(string(lit), 40))
	case f == 0 && bytes.ContainsAny(lit[:mantissaEnd(lit)], "123456789"):
		s.issue(start, "%s is too small for an IEEE 754 double: it would read as 0, losing all precision (I-JSON, RFC 7493 §2.2)", truncate(string(lit), 40))
	}
}

// mantissaEnd returns where the exponent of a JSON number starts.
func mantissaEnd(lit []byte) int {
	if i := bytes.IndexAny(lit, "eE"); i >= 0 {
		return i
	}
	return len(lit)
}

func hex4[T string | []byte](d T, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for k := i; k < i+4; k++ {
		c := d[k]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// pathAt returns the JSON path, from the value that starts at start, of the
// innermost value that holds the byte at off, such as
// "external_references[2].url". The bytes before off must be well-formed
// as far as they go. It runs only when there is a problem to report.
func pathAt(d []byte, start, off int) string {
	type level struct {
		obj        bool
		afterColon bool
		key        string
		idx        int
	}
	var st []level
	for i := start; i < off && i < len(d); {
		n := len(st)
		switch d[i] {
		case '{':
			st = append(st, level{obj: true})
		case '[':
			st = append(st, level{})
		case '}', ']':
			if n > 0 {
				st = st[:n-1]
			}
		case ',':
			if n > 0 {
				if st[n-1].obj {
					st[n-1].key, st[n-1].afterColon = "", false
				} else {
					st[n-1].idx++
				}
			}
		case ':':
			if n > 0 {
				st[n-1].afterColon = true
			}
		case '"':
			end := skipString(d, i)
			if n > 0 && st[n-1].obj && !st[n-1].afterColon && end < off {
				st[n-1].key = decodeString(d[i+1 : end-1])
			}
			i = end
			continue
		}
		i++
	}
	var b strings.Builder
	for k, l := range st {
		switch {
		case l.obj && l.key != "":
			if k > 0 {
				b.WriteByte('.')
			}
			b.WriteString(l.key)
		case !l.obj:
			fmt.Fprintf(&b, "[%d]", l.idx)
		}
		if b.Len() > 300 {
			return truncate(b.String(), 300)
		}
	}
	return b.String()
}

// skipString returns the offset after the string that starts at i.
func skipString[T string | []byte](d T, i int) int {
	for i++; i < len(d); i++ {
		switch d[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(d)
}
