package misp

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// cmp is one comparison of a STIX pattern: the object path (type:property
// path, components already quoted where needed) and the constant.
type cmp struct {
	path string
	val  any // string, int64, float64 or bool
}

// plainComponent is a path component that needs no quotes (§9.7).
var plainComponent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// comp quotes a path component when STIX patterning needs it: keys with
// hyphens or dots, such as hashes.'SHA-256'.
func comp(s string) string {
	if plainComponent.MatchString(s) {
		return s
	}
	return "'" + escape(s) + "'"
}

// escape writes s as the inside of a STIX pattern string constant, where
// only the quote and the backslash are escaped (§9.2).
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}

// binary is a base64 value compared as a STIX binary constant, b'...'.
type binary string

func literal(v any) string {
	switch x := v.(type) {
	case binary:
		return "b'" + string(x) + "'"
	case string:
		return "'" + escape(x) + "'"
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return "'" + escape(fmt.Sprint(v)) + "'"
}

// buildPattern joins comparisons into a STIX pattern. Comparisons on one
// object type share one observation expression joined by AND, as
// misp-stix writes them; comparisons on different types go into separate
// observation expressions joined by AND, since AND inside brackets must be
// satisfiable by one object (§9.5). Several values for one path become an
// IN set, which a repeated AND could never match.
func buildPattern(cmps []cmp) string {
	var types []string
	byType := map[string][]cmp{}
	for _, c := range cmps {
		t, _, _ := strings.Cut(c.path, ":")
		if _, ok := byType[t]; !ok {
			types = append(types, t)
		}
		byType[t] = append(byType[t], c)
	}
	var obs []string
	for _, t := range types {
		var paths []string
		vals := map[string][]any{}
		for _, c := range byType[t] {
			if _, ok := vals[c.path]; !ok {
				paths = append(paths, c.path)
			}
			dup := false
			for _, v := range vals[c.path] {
				if v == c.val {
					dup = true
				}
			}
			if !dup {
				vals[c.path] = append(vals[c.path], c.val)
			}
		}
		var parts []string
		for _, p := range paths {
			vs := vals[p]
			if len(vs) == 1 {
				parts = append(parts, p+" = "+literal(vs[0]))
				continue
			}
			lits := make([]string, len(vs))
			for i, v := range vs {
				lits[i] = literal(v)
			}
			parts = append(parts, p+" IN ("+strings.Join(lits, ", ")+")")
		}
		obs = append(obs, "["+strings.Join(parts, " AND ")+"]")
	}
	return strings.Join(obs, " AND ")
}
