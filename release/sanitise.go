package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/jcs"
	"mosaic/pattern"
	"mosaic/stix"
)

// Generalisation is one kind of value a sanitisation makes less precise.
type Generalisation string

// The generalisations. Each applies to an object's properties and, in an
// indicator, to its STIX pattern.
const (
	// GeneraliseAddresses widens an IPv4 address or block to its /24 and
	// an IPv6 one to its /48 (a pattern's = becomes ISSUBSET).
	GeneraliseAddresses Generalisation = "addresses"
	// GeneraliseURLs keeps a URL's scheme and host only (a pattern's =
	// becomes LIKE 'scheme://host/%').
	GeneraliseURLs Generalisation = "urls"
	// GeneraliseHashes leaves out every hash.
	GeneraliseHashes Generalisation = "hashes"
	// GeneraliseFileNames leaves out file names.
	GeneraliseFileNames Generalisation = "file-names"
	// GeneraliseTimes keeps the day of every timestamp but created and
	// modified, which the release sets itself.
	GeneraliseTimes Generalisation = "times"
)

var generalisations = []Generalisation{GeneraliseAddresses, GeneraliseURLs, GeneraliseHashes, GeneraliseFileNames, GeneraliseTimes}

// Sanitisation is what an originator asks to change in one of its objects
// before it is released, when it consents.
type Sanitisation struct {
	// Remove names top-level properties to leave out.
	Remove []string `json:"remove,omitempty"`
	// Rewrite gives string properties new text.
	Rewrite map[string]string `json:"rewrite,omitempty"`
	// Generalise names the kinds of value to make less precise.
	Generalise []Generalisation `json:"generalise,omitempty"`
}

// protected are the properties a release sets itself, or without which
// an object is no object: a sanitisation cannot remove or rewrite them.
var protected = []string{"type", "id", "spec_version", "created", "modified", "created_by_ref"}

// Canonical is the sanitisation in canonical JSON, its lists sorted: what
// DerivedID derives from, so that the same changes in another order give
// the same id.
func (s Sanitisation) Canonical() []byte {
	c := Sanitisation{Remove: slices.Sorted(slices.Values(s.Remove)), Rewrite: s.Rewrite, Generalise: slices.Sorted(slices.Values(s.Generalise))}
	c.Remove, c.Generalise = slices.Compact(c.Remove), slices.Compact(c.Generalise)
	b, _ := json.Marshal(c)
	out, err := jcs.Canonical(b)
	if err != nil {
		return b // JSON that encoding/json wrote is always canonicalisable
	}
	return out
}

// Sanitise applies s to the STIX object obj and returns it changed, or a
// CodeInvalid error that names what cannot be done: a property that is
// not there or is protected, a value a generalisation cannot widen, or a
// result that is no valid STIX (a required property removed, a pattern of
// which nothing is left).
func Sanitise(obj []byte, s Sanitisation) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var o map[string]any
	if err := dec.Decode(&o); err != nil {
		return nil, invalid("the object is not JSON: %v", err)
	}
	id, _ := o["id"].(string)
	typ, _ := o["type"].(string)
	if stix.IsSCOType(typ) && (len(s.Remove) > 0 || len(s.Rewrite) > 0) {
		// An SCO's id derives from its values: a changed value under
		// the old id would give the old value away.
		return nil, invalid("%s: an observable's values make its id, so they cannot be removed or rewritten; generalise them, or leave the object out", id)
	}
	for _, k := range s.Remove {
		if slices.Contains(protected, k) {
			return nil, invalid("%s: %s cannot be removed", id, k)
		}
		if _, ok := o[k]; !ok {
			return nil, invalid("%s: there is no property %s to remove", id, k)
		}
		delete(o, k)
	}
	for k, text := range s.Rewrite {
		if slices.Contains(protected, k) {
			return nil, invalid("%s: %s cannot be rewritten", id, k)
		}
		if _, ok := o[k].(string); !ok {
			return nil, invalid("%s: there is no text property %s to rewrite", id, k)
		}
		o[k] = text
	}
	for _, g := range s.Generalise {
		if !slices.Contains(generalisations, g) {
			return nil, invalid("%s: %q is not a generalisation: want addresses, urls, hashes, file-names or times", id, g)
		}
	}
	if err := generalise(o, id, s.Generalise); err != nil {
		return nil, err
	}
	out, err := json.Marshal(o)
	if err != nil {
		return nil, mosaic.Internal(err, "encode a sanitised object")
	}
	if _, probs := stix.DecodeObject(out, stix.DefaultLimits()); len(probs) > 0 {
		return nil, invalid("%s: sanitised, it is no valid STIX: %s", id, probs[0].Reason)
	}
	return out, nil
}

func invalid(format string, args ...any) error {
	return mosaic.Errorf(mosaic.CodeInvalid, format, args...)
}

func generalise(o map[string]any, id string, gs []Generalisation) error {
	has := func(g Generalisation) bool { return slices.Contains(gs, g) }
	typ, _ := o["type"].(string)
	if len(gs) > 0 && stix.IsSCOType(typ) && typ != "ipv4-addr" && typ != "ipv6-addr" && typ != "url" && typ != "domain-name" {
		// Only these SCOs' ids derive from their value alone, which a
		// generalisation can recompute; another's would still derive
		// from the precise values.
		return invalid("%s: a %s cannot be generalised: its id derives from the values a generalisation would change; leave it out of the release", id, typ)
	}
	if has(GeneraliseTimes) {
		for k, v := range o {
			if s, ok := v.(string); ok && isTimeProperty(k) && !slices.Contains(protected, k) {
				day, err := toDay(s)
				if err != nil {
					return invalid("%s: %s: %v", id, k, err)
				}
				o[k] = day
			}
		}
	}
	switch typ {
	case "ipv4-addr", "ipv6-addr":
		if has(GeneraliseAddresses) {
			v, _ := o["value"].(string)
			wide, err := widen(v)
			if err != nil {
				return invalid("%s: %v", id, err)
			}
			o["value"] = wide
			o["id"] = stix.SCOID(typ, map[string]any{"value": wide})
		}
	case "url":
		if has(GeneraliseURLs) {
			v, _ := o["value"].(string)
			site, err := siteOf(v)
			if err != nil {
				return invalid("%s: %v", id, err)
			}
			o["value"] = site
			o["id"] = stix.SCOID(typ, map[string]any{"value": site})
		}
	case "indicator":
		p, ok := o["pattern"].(string)
		if !ok || len(gs) == 0 {
			break
		}
		if pt, _ := o["pattern_type"].(string); pt == "stix" {
			out, err := generalisePattern(p, gs)
			if err != nil {
				return invalid("%s: pattern: %v", id, err)
			}
			o["pattern"] = out
		} else if has(GeneraliseAddresses) || has(GeneraliseURLs) || has(GeneraliseHashes) || has(GeneraliseFileNames) {
			return invalid("%s: a %q pattern cannot be generalised; rewrite it or leave the indicator out", id, o["pattern_type"])
		}
	}
	return nil
}

func isTimeProperty(k string) bool { return stix.IsTimestampProperty(k) }

// toDay keeps the day of a STIX timestamp.
func toDay(s string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", fmt.Errorf("%q is not a timestamp", s)
	}
	return t.UTC().Format("2006-01-02") + "T00:00:00Z", nil
}

// widen returns an address or block as its /24 (IPv4) or /48 (IPv6), or
// itself when it is wider already.
func widen(s string) (string, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return "", fmt.Errorf("%q is not an IP address or block", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	bits := 24
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		bits = 48
	}
	if p.Bits() < bits {
		return p.Masked().String(), nil
	}
	w, err := p.Addr().Prefix(bits)
	if err != nil {
		return "", err
	}
	return w.String(), nil
}

// siteOf returns a URL's scheme and host, with a trailing slash.
func siteOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("%q is not a URL with a host", s)
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + "/", nil
}

// generalisePattern applies gs to a STIX pattern.
func generalisePattern(s string, gs []Generalisation) (string, error) {
	p, err := pattern.Parse(s)
	if err != nil {
		return "", err
	}
	expr, err := observations(p.Expr, gs)
	if err != nil {
		return "", err
	}
	if expr == nil {
		return "", fmt.Errorf("nothing of the pattern is left once its %s are left out", strings.Join(dropped(gs), " and "))
	}
	p.Expr = expr
	return p.String(), nil
}

func dropped(gs []Generalisation) []string {
	var out []string
	for _, g := range gs {
		if g == GeneraliseHashes || g == GeneraliseFileNames {
			out = append(out, string(g))
		}
	}
	return out
}

// observations generalises an observation expression; nil when nothing
// of it is left.
func observations(e pattern.ObservationExpr, gs []Generalisation) (pattern.ObservationExpr, error) {
	switch x := e.(type) {
	case *pattern.Observation:
		c, err := comparisons(x.Expr, gs)
		if err != nil || c == nil {
			return nil, err
		}
		return &pattern.Observation{Expr: c}, nil
	case *pattern.CompoundObservation:
		return survivors(x.Operands, func(op pattern.ObservationExpr) (pattern.ObservationExpr, error) { return observations(op, gs) },
			func(ops []pattern.ObservationExpr) pattern.ObservationExpr {
				return &pattern.CompoundObservation{Op: x.Op, Operands: ops}
			})
	case *pattern.Qualified:
		inner, err := observations(x.Expr, gs)
		if err != nil || inner == nil {
			return nil, err
		}
		q := &pattern.Qualified{Expr: inner}
		for _, qual := range x.Qualifiers {
			if ss, ok := qual.(pattern.StartStop); ok && slices.Contains(gs, GeneraliseTimes) {
				start, err := toDay(string(ss.Start))
				if err != nil {
					return nil, err
				}
				stop, err := toDay(string(ss.Stop))
				if err != nil {
					return nil, err
				}
				if stop <= start {
					t, _ := time.Parse(time.RFC3339, stop)
					stop = t.AddDate(0, 0, 1).Format(time.RFC3339)
				}
				qual = pattern.StartStop{Start: pattern.Timestamp(start), Stop: pattern.Timestamp(stop)}
			}
			q.Qualifiers = append(q.Qualifiers, qual)
		}
		return q, nil
	}
	return nil, fmt.Errorf("unknown observation expression %T", e)
}

// survivors generalises each operand with f and joins what is left of
// them: nothing (the zero T) when nothing is, the one left alone, or join
// of two or more.
func survivors[T comparable](operands []T, f func(T) (T, error), join func([]T) T) (T, error) {
	var zero T
	var ops []T
	for _, op := range operands {
		g, err := f(op)
		if err != nil {
			return zero, err
		}
		if g != zero {
			ops = append(ops, g)
		}
	}
	switch len(ops) {
	case 0:
		return zero, nil
	case 1:
		return ops[0], nil
	}
	return join(ops), nil
}

// comparisons generalises a comparison expression; nil when nothing of it
// is left.
func comparisons(e pattern.ComparisonExpr, gs []Generalisation) (pattern.ComparisonExpr, error) {
	switch x := e.(type) {
	case *pattern.BooleanExpr:
		return survivors(x.Operands, func(op pattern.ComparisonExpr) (pattern.ComparisonExpr, error) { return comparisons(op, gs) },
			func(ops []pattern.ComparisonExpr) pattern.ComparisonExpr {
				return &pattern.BooleanExpr{Op: x.Op, Operands: ops}
			})
	case *pattern.Comparison:
		return comparison(*x, gs)
	}
	return nil, fmt.Errorf("unknown comparison expression %T", e)
}

func comparison(c pattern.Comparison, gs []Generalisation) (pattern.ComparisonExpr, error) {
	has := func(g Generalisation) bool { return slices.Contains(gs, g) }
	last := c.Path.Steps[len(c.Path.Steps)-1].Property
	if has(GeneraliseHashes) && slices.ContainsFunc(c.Path.Steps, func(s pattern.Step) bool { return s.Property == "hashes" }) {
		return nil, nil
	}
	if has(GeneraliseFileNames) && last == "name" && (c.Path.Type == "file" || refStep(c.Path)) {
		return nil, nil
	}
	if ts, ok := c.Value.(pattern.Timestamp); ok && has(GeneraliseTimes) {
		day, err := toDay(string(ts))
		if err != nil {
			return nil, err
		}
		c.Value = pattern.Timestamp(day)
	}
	str, isString := c.Value.(pattern.String)
	if isString && has(GeneraliseTimes) && stix.IsTimestampProperty(last) {
		// A timestamp property compared with a plain string.
		if day, err := toDay(string(str)); err == nil {
			c.Value, str = pattern.String(day), pattern.String(day)
		}
	}
	switch {
	case has(GeneraliseAddresses) && isString && last == "value" && isAddress(c.Path, string(str)):
		if c.Op != pattern.Equal && c.Op != pattern.IsSubset {
			return nil, fmt.Errorf("%s %s %s: only = and ISSUBSET on an address can be generalised", c.Path, c.Op, c.Value)
		}
		wide, err := widen(string(str))
		if err != nil {
			return nil, err
		}
		c.Op, c.Value = pattern.IsSubset, pattern.String(wide)
	case has(GeneraliseURLs) && c.Path.Type == "url" && last == "value" && len(c.Path.Steps) == 1:
		if c.Op != pattern.Equal || !isString {
			return nil, fmt.Errorf("%s %s %s: only = on a URL can be generalised", c.Path, c.Op, c.Value)
		}
		site, err := siteOf(string(str))
		if err != nil {
			return nil, err
		}
		// LIKE's _ in a host name matches any one character: wider
		// still, which a generalisation may be.
		c.Op, c.Value = pattern.Like, pattern.String(site+"%")
	case has(GeneraliseAddresses) && c.Op == pattern.In && (c.Path.Type == "ipv4-addr" || c.Path.Type == "ipv6-addr" || refStep(c.Path)):
		return nil, fmt.Errorf("%s IN (...): a set of addresses cannot be generalised; write one comparison per block", c.Path)
	}
	return &c, nil
}

// isAddress says whether a comparison's path and value are an IP
// address's: ipv4-addr:value and ipv6-addr:value always (a value that is
// no address is then an error), a reference's value
// (network-traffic:dst_ref.value) when the value is one.
func isAddress(p pattern.ObjectPath, v string) bool {
	if p.Type == "ipv4-addr" || p.Type == "ipv6-addr" {
		return true
	}
	if !refStep(p) {
		return false
	}
	_, err := widen(v)
	return err == nil
}

// refStep says whether a path goes through a reference (x_ref.y, or
// x_refs[*].y).
func refStep(p pattern.ObjectPath) bool {
	return slices.ContainsFunc(p.Steps[:len(p.Steps)-1], func(s pattern.Step) bool {
		return strings.HasSuffix(s.Property, "_ref") || strings.HasSuffix(s.Property, "_refs")
	})
}
