package stix

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"mosaic"
)

// Limits bound what one request can make the decoder do. A zero or
// negative field means its default.
type Limits struct {
	MaxObjects     int // objects per bundle (default 100,000); more gives a CodeTooLarge error
	MaxDepth       int // JSON nesting depth, counted from the body's outermost value (default 32)
	MaxStringBytes int // one JSON string (keys too), in decoded bytes (default 1 MiB)
	MaxObjectBytes int // one object's raw JSON (default 4 MiB)
}

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{MaxObjects: 100_000, MaxDepth: 32, MaxStringBytes: 1 << 20, MaxObjectBytes: 4 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxObjects <= 0 {
		l.MaxObjects = d.MaxObjects
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxStringBytes <= 0 {
		l.MaxStringBytes = d.MaxStringBytes
	}
	if l.MaxObjectBytes <= 0 {
		l.MaxObjectBytes = d.MaxObjectBytes
	}
	return l
}

// Object is one validated STIX object.
type Object struct {
	// ID, Type and SpecVersion are as submitted; SpecVersion is "" for an
	// SCO without one, which STIX 2.1 reads as 2.1.
	ID, Type, SpecVersion string
	// Created and Modified are the timestamps as submitted, "" when absent.
	Created, Modified string
	// CreatedKey and ModifiedKey are their comparison keys (TimeKey).
	// ModifiedKey is the created key for objects that have created but no
	// modified (marking definitions), and "" for objects with neither
	// (SCOs).
	CreatedKey, ModifiedKey string
	// Canonical is the object re-encoded: keys sorted byte-wise, no
	// insignificant white space, strings escaped as encoding/json does with
	// SetEscapeHTML(false), numbers as their original text, and Mosaic's
	// envelope extension removed (with extensions itself when that leaves
	// it empty).
	Canonical json.RawMessage
	Hash      [32]byte // SHA-256 of Canonical
	// Props is the object as json.Decoder with UseNumber decodes it, without
	// Mosaic's envelope extension.
	Props map[string]any
	// TLP is the most restrictive TLP among the official TLP marking
	// definitions (TLPFromMarking) in object_marking_refs and
	// granular_markings; HasTLP is false when none of them is one. A
	// marking definition under another id that declares a level
	// (MarkingTLP) may be in another object of the batch or in the store,
	// which the decoder does not see: ResolveTLP adds those.
	TLP    mosaic.TLP
	HasTLP bool
	// Ext is Mosaic's envelope extension as submitted, nil when absent.
	Ext *EnvelopeExt
	// Handling is set for a handling object (HandlingType): the handling
	// it gives the objects it names.
	Handling *Handling
}

// DecodeBundle decodes and validates a STIX 2.1 bundle and returns its
// objects in input order, each once: an object that appears twice
// identically is returned the first time only.
//
// Any problem gives a *mosaic.Error: CodeTooLarge when the bundle has more
// objects than lim allows, otherwise CodeInvalid with every problem found
// in input order. A problem's Object is the object's id, or "objects[N]"
// (N counts from 0 in the submitted list) when the id is unusable, and ""
// for the bundle itself; its Property is a JSON path inside that, such as
// "external_references[2].url". Malformed JSON is one problem that names
// the byte offset and what was expected there. The same (id, ModifiedKey)
// twice with different content is a problem.
//
// Objects are decoded on up to GOMAXPROCS goroutines; the result does not
// depend on how many.
func DecodeBundle(body []byte, lim Limits) ([]Object, error) {
	lim = lim.withDefaults()
	sc := newScanner(body, lim, true)
	if err := sc.run(); err != nil {
		return nil, scanFailure(body, err)
	}
	var probs []located
	add := func(off int, p mosaic.Problem) { probs = append(probs, located{off, p}) }
	checkBundle(body, sc, add)

	// Findings of the scan go with the object they are in; an object with
	// any is not decoded further, since its content is ambiguous or too big.
	issues := make(map[int][]scanIssue)
	for _, is := range sc.issues {
		if is.obj < 0 {
			add(is.off, mosaic.Problem{Property: pathAt(body, 0, is.off), Reason: is.reason})
			continue
		}
		issues[is.obj] = append(issues[is.obj], is)
	}

	results, err := decodeAll(body, sc.objects, issues)
	if err != nil {
		return nil, err
	}
	out := make([]Object, 0, len(results))
	type version struct{ id, modified string }
	type seen struct{ index, out int }
	versions := make(map[version]seen, len(results))
	for i, r := range results {
		off := sc.objects[i].start
		if len(r.probs) > 0 {
			for _, p := range r.probs {
				if p.Object == "" {
					p.Object = fmt.Sprintf("objects[%d]", i)
				}
				add(off, p)
			}
			continue
		}
		o := r.obj
		v := version{o.ID, o.ModifiedKey}
		first, dup := versions[v]
		if !dup {
			versions[v] = seen{i, len(out)}
			out = append(out, o)
			continue
		}
		prev := out[first.out]
		if prev.Hash == o.Hash && prev.Ext.Equal(o.Ext) {
			continue
		}
		p := mosaic.Problem{Object: o.ID}
		switch {
		case prev.Hash == o.Hash:
			p.Property = "extensions." + ExtensionID
			p.Reason = fmt.Sprintf("objects[%d] and objects[%d] are the same object with different Mosaic envelope extensions", first.index, i)
		case o.ModifiedKey == "":
			p.Reason = fmt.Sprintf("objects[%d] and objects[%d] have the same id but different content, and this type has no modified timestamp to tell versions apart", first.index, i)
		default:
			p.Property = "modified"
			if o.Modified == "" {
				p.Property = "created"
			}
			p.Reason = fmt.Sprintf("objects[%d] and objects[%d] have the same id and modified timestamp but different content: a new version needs a later modified timestamp", first.index, i)
		}
		add(off, p)
	}
	if len(probs) > 0 {
		slices.SortStableFunc(probs, func(a, b located) int { return a.off - b.off })
		ps := make([]mosaic.Problem, len(probs))
		for i, p := range probs {
			ps[i] = p.p
		}
		return nil, invalid("bundle", ps)
	}
	return out, nil
}

// located is a problem with the byte offset that orders it.
type located struct {
	off int
	p   mosaic.Problem
}

func invalid(what string, ps []mosaic.Problem) *mosaic.Error {
	msg := fmt.Sprintf("invalid STIX 2.1 %s: %s", what, describe(ps[0]))
	if len(ps) > 1 {
		msg = fmt.Sprintf("invalid STIX 2.1 %s: %d problems, the first: %s", what, len(ps), describe(ps[0]))
	}
	return &mosaic.Error{Code: mosaic.CodeInvalid, Message: msg, Problems: ps}
}

func describe(p mosaic.Problem) string {
	switch {
	case p.Object != "" && p.Property != "":
		return fmt.Sprintf("%s, %s: %s", p.Object, p.Property, p.Reason)
	case p.Object != "":
		return p.Object + ": " + p.Reason
	case p.Property != "":
		return p.Property + ": " + p.Reason
	}
	return p.Reason
}

// scanFailure turns an error that stopped the scan into the error to return.
func scanFailure(body []byte, err error) error {
	var tm *tooManyError
	if errors.As(err, &tm) {
		reason := fmt.Sprintf("the bundle has more than %d objects, the most a bundle may hold; split it", tm.limit)
		return &mosaic.Error{Code: mosaic.CodeTooLarge, Message: reason, Problems: []mosaic.Problem{{Property: "objects", Reason: reason}}}
	}
	return invalid("bundle", []mosaic.Problem{syntaxProblem(body, 0, err.(*syntaxError), true)})
}

// syntaxProblem locates malformed JSON. In a bundle, the path is reported
// relative to the object the error is in.
func syntaxProblem(body []byte, root int, se *syntaxError, bundle bool) mosaic.Problem {
	p := mosaic.Problem{Reason: se.Error()}
	if !bundle || se.obj < 0 {
		p.Property = pathAt(body, root, se.off)
		return p
	}
	p.Object = fmt.Sprintf("objects[%d]", se.obj)
	if start := objectStart(body, se.obj); start >= 0 {
		p.Property = pathAt(body, start, se.off)
	}
	return p
}

// objectStart finds where element n of the top-level objects array starts,
// for error reports only.
func objectStart(body []byte, n int) int {
	// Rescan with limits that cannot stop it early; the bytes up to the
	// element are well-formed.
	sc := newScanner(body, Limits{MaxObjects: n + 1, MaxDepth: 1 << 30, MaxStringBytes: 1 << 62, MaxObjectBytes: 1 << 62}, true)
	sc.run()
	if n < len(sc.objects) {
		return sc.objects[n].start
	}
	if sc.obj == n {
		return sc.objStart
	}
	return -1
}

// checkBundle checks the bundle's own properties (STIX 2.1 §8).
func checkBundle(body []byte, sc *scanner, add func(int, mosaic.Problem)) {
	if sc.rootKind != '{' {
		return // the scanner has said so
	}
	var hasType, hasID bool
	for _, m := range sc.top {
		val := body[m.val.start:m.val.end]
		prob := func(format string, args ...any) {
			add(m.keyOff, mosaic.Problem{Property: m.key, Reason: fmt.Sprintf(format, args...)})
		}
		switch m.key {
		case "type":
			hasType = true
			switch s, _ := decodeValue(val).(string); {
			case s == "bundle":
			case catOf(s) != catUnknown:
				prob("type must be \"bundle\": the body is a single %s object, not a STIX bundle", s)
			default:
				prob("type must be \"bundle\", not %s", short(decodeValue(val)))
			}
		case "id":
			hasID = true
			s, ok := decodeValue(val).(string)
			if !ok {
				prob("id must be a string, not %s", jsonType(decodeValue(val)))
				break
			}
			if t, r := identifierReason(s); r != "" {
				prob("id %q is not a STIX identifier: %s", truncate(s, 100), r)
			} else if t != "bundle" {
				prob("id %q must start with \"bundle--\"", s)
			}
		case "objects":
			switch v := val[0]; {
			case v != '[':
				prob("objects must be a list of STIX objects, not %s", jsonType(decodeValue(val)))
			case len(sc.objects) == 0:
				prob("objects is an empty list: STIX prohibits empty lists, omit objects instead")
			}
		case "spec_version":
			prob("spec_version is a property of STIX 2.0 bundles: only STIX 2.1 bundles are accepted (in STIX 2.1 each object has its own spec_version)")
		default:
			if r := propNameReason(m.key); r != "" || len(m.key) < 3 || m.key[:2] != "x_" {
				prob("%q is not a property of a STIX 2.1 bundle (custom bundle properties must start with x_ and follow the rules for property names)", truncate(m.key, 100))
			}
		}
	}
	if !hasType {
		add(0, mosaic.Problem{Property: "type", Reason: "type is required: a bundle has \"type\": \"bundle\""})
	}
	if !hasID {
		add(0, mosaic.Problem{Property: "id", Reason: "id is required: a bundle has an id \"bundle--UUID\""})
	}
}

// decodeValue decodes a small value the scanner has accepted.
func decodeValue(raw []byte) any {
	b := builder{s: string(raw)}
	return b.value()
}

type result struct {
	obj   Object
	probs []mosaic.Problem
}

// chunk is how many objects a worker takes at a time: enough to make the
// hand-out cheap, few enough to keep the workers busy to the end.
const chunk = 64

// decodeAll decodes the objects, in parallel when there are many. The
// results keep the input order.
func decodeAll(body []byte, spans []span, issues map[int][]scanIssue) ([]result, error) {
	results := make([]result, len(spans))
	one := func(i int) {
		raw := body[spans[i].start:spans[i].end]
		if is := issues[i]; len(is) > 0 {
			results[i].probs = issueProblems(raw, spans[i].start, is)
			return
		}
		results[i].obj, results[i].probs = decodeObject(raw, spans[i].keys)
	}
	workers := min(runtime.GOMAXPROCS(0), (len(spans)+chunk-1)/chunk)
	if workers <= 1 {
		for i := range spans {
			one(i)
		}
		return results, nil
	}
	var next atomic.Int64
	var failure atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			// A panic here would take the whole server down, since no
			// handler recovers it on this goroutine.
			defer func() {
				if p := recover(); p != nil {
					failure.CompareAndSwap(nil, fmt.Sprintf("%v", p))
				}
			}()
			for {
				start := int(next.Add(chunk)) - chunk
				if start >= len(spans) {
					return
				}
				for i := start; i < min(start+chunk, len(spans)); i++ {
					one(i)
				}
			}
		})
	}
	wg.Wait()
	if p := failure.Load(); p != nil {
		return nil, mosaic.Internal(fmt.Errorf("panic: %s", p), "stix: decoding objects")
	}
	return results, nil
}

// issueProblems reports the scanner's findings in one object, under its id
// if that can be read.
func issueProblems(raw []byte, base int, is []scanIssue) []mosaic.Problem {
	id := topLevelID(bytes.TrimSpace(raw))
	ps := make([]mosaic.Problem, len(is))
	for i, x := range is {
		ps[i] = mosaic.Problem{Object: id, Property: pathAt(raw, 0, x.off-base), Reason: x.reason}
	}
	return ps
}

// topLevelID returns the object's id if it has exactly one and it is a
// valid identifier, else "". The object may be too deep or too large to
// decode, so this reads only the top level.
func topLevelID(raw []byte) string {
	id, n := "", 0
	topLevel(raw, func(key string, val []byte) {
		if key == "id" {
			id, _ = decodeValue(val).(string)
			n++
		}
	})
	if _, r := identifierReason(id); n != 1 || r != "" {
		return ""
	}
	return id
}

// topLevelKeys returns the keys of an object in input order.
func topLevelKeys(raw []byte) []string {
	var keys []string
	topLevel(raw, func(key string, _ []byte) { keys = append(keys, key) })
	return keys
}

// topLevel calls f with each top-level key of an object the scanner has
// accepted, and its raw value. On other text it calls f with what it can
// make out, and never fails (ReadHead reads what a client sent).
func topLevel(raw []byte, f func(key string, val []byte)) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return
	}
	depth := 0
	key, start := "", -1
	for i := 0; i < len(raw); {
		switch c := raw[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 && start >= 0 {
				f(key, bytes.TrimSpace(raw[start:i]))
			}
		case ',':
			if depth == 1 && start >= 0 {
				f(key, bytes.TrimSpace(raw[start:i]))
			}
			if depth == 1 {
				start = -1
			}
		case ':':
			if depth == 1 {
				start = i + 1
			}
		case '"':
			end := skipString(raw, i)
			if depth == 1 && start < 0 {
				key = decodeString(raw[i+1 : max(i+1, end-1)])
			}
			i = end
			continue
		}
		i++
	}
}

// DecodeObject decodes and validates one STIX object and returns it with
// every problem found. The problems' Object is the object's id, or "" when
// the id is unusable. The object may be used only when there are no
// problems.
func DecodeObject(raw []byte, lim Limits) (Object, []mosaic.Problem) {
	lim = lim.withDefaults()
	sc := newScanner(raw, lim, false)
	if err := sc.run(); err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return Object{}, []mosaic.Problem{syntaxProblem(raw, 0, se, false)}
		}
		return Object{}, []mosaic.Problem{{Reason: err.Error()}}
	}
	if len(raw) > lim.MaxObjectBytes {
		sc.issues = append([]scanIssue{{off: 0, reason: fmt.Sprintf("the object is %d bytes long, more than the limit of %d bytes", len(raw), lim.MaxObjectBytes)}}, sc.issues...)
	}
	if len(sc.issues) > 0 {
		return Object{}, issueProblems(raw, 0, sc.issues)
	}
	return decodeObject(bytes.TrimSpace(raw), sc.objKeys)
}

// decodeObject decodes and checks one object the scanner has accepted
// without findings.
func decodeObject(raw []byte, keys int) (Object, []mosaic.Problem) {
	b := builder{s: string(raw)}
	props := b.object(keys)
	c := checker{raw: raw, props: props}
	var ext *EnvelopeExt
	if exts, ok := props["extensions"].(map[string]any); ok {
		if v, ok := exts[ExtensionID]; ok {
			ext = c.envelopeExt(v)
			delete(exts, ExtensionID)
			if len(exts) == 0 {
				delete(props, "extensions")
			}
		}
	}
	c.check()
	var handling *Handling
	if c.typ == HandlingType {
		handling = c.handling(ext)
	}
	if len(c.probs) > 0 {
		c.sortProblems()
		for i := range c.probs {
			c.probs[i].Object = c.id
		}
		return Object{}, c.probs
	}
	o := Object{ID: c.id, Type: c.typ, Props: props, TLP: c.tlp, HasTLP: c.hasTLP, Ext: ext, Handling: handling}
	o.SpecVersion, _ = props["spec_version"].(string)
	o.Created, _ = props["created"].(string)
	o.Modified, _ = props["modified"].(string)
	o.CreatedKey, _ = timeKey(o.Created)
	if o.Modified == "" || o.Modified == o.Created {
		o.ModifiedKey = o.CreatedKey
	} else {
		o.ModifiedKey, _ = timeKey(o.Modified)
	}
	o.Canonical = appendJSON(make([]byte, 0, len(raw)), props)
	o.Hash = sha256.Sum256(o.Canonical)
	return o, nil
}
