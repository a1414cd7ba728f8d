//go:build ignore

// Command excerpt writes a representative excerpt of a MITRE ATT&CK STIX
// 2.1 bundle (see README.md): every object of the types ATT&CK has once
// or a few times (identity, marking-definition, collection, matrices,
// tactics), the first objects of each other type, at least one revoked
// and one deprecated object and one data component whose data source
// reference is blank, and the relationships among them, at most a
// few of each kind (relationship_type, source type, target type), adding
// the two ends of one relationship of each kind that would be missing.
// Objects are copied unchanged, in the bundle's order.
//
//	go run excerpt.go SOURCE.json > EXCERPT.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

const (
	perType = 12 // objects of each other type
	perKind = 6  // relationships of each kind
)

var allOf = map[string]bool{"identity": true, "marking-definition": true, "x-mitre-collection": true,
	"x-mitre-matrix": true, "x-mitre-tactic": true}

type head struct {
	Type          string  `json:"type"`
	ID            string  `json:"id"`
	RelType       string  `json:"relationship_type"`
	Source        string  `json:"source_ref"`
	Target        string  `json:"target_ref"`
	Revoked       bool    `json:"revoked"`
	Deprecated    bool    `json:"x_mitre_deprecated"`
	DataSourceRef *string `json:"x_mitre_data_source_ref"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run excerpt.go SOURCE.json > EXCERPT.json")
		os.Exit(2)
	}
	body, err := os.ReadFile(os.Args[1])
	check(err)
	var bundle struct {
		Type    string            `json:"type"`
		ID      string            `json:"id"`
		Objects []json.RawMessage `json:"objects"`
	}
	check(json.Unmarshal(body, &bundle))
	heads := make([]head, len(bundle.Objects))
	index := make(map[string]int)
	for i, raw := range bundle.Objects {
		check(json.Unmarshal(raw, &heads[i]))
		index[heads[i].ID] = i
	}
	typeOf := func(id string) string { return id[:strings.Index(id, "--")] }

	keep := make(map[int]bool)
	count := make(map[string]int)
	var revoked, deprecated, blank bool
	for i, h := range heads {
		// ATT&CK 18 blanks the data source reference of some data
		// components, a custom _ref property that need not hold an
		// identifier (see README.md); one of them shows that it imports.
		blankRef := h.DataSourceRef != nil && *h.DataSourceRef == ""
		switch {
		case h.Type == "relationship":
			continue
		case allOf[h.Type], count[h.Type] < perType, h.Revoked && !revoked, h.Deprecated && !deprecated, blankRef && !blank:
			keep[i] = true
			count[h.Type]++
			revoked = revoked || h.Revoked
			deprecated = deprecated || h.Deprecated
			blank = blank || blankRef
		}
	}
	kinds := make(map[string]int)
	kindOf := func(h head) string { return h.RelType + " " + typeOf(h.Source) + " " + typeOf(h.Target) }
	for i, h := range heads {
		if h.Type == "relationship" && keep[index[h.Source]] && keep[index[h.Target]] && kinds[kindOf(h)] < perKind {
			keep[i] = true
			kinds[kindOf(h)]++
		}
	}
	for i, h := range heads {
		s, okS := index[h.Source]
		t, okT := index[h.Target]
		if h.Type == "relationship" && kinds[kindOf(h)] == 0 && okS && okT {
			keep[i], keep[s], keep[t] = true, true, true
			kinds[kindOf(h)]++
		}
	}

	var out bytes.Buffer
	fmt.Fprintf(&out, `{"type":%q,"id":%q,"objects":[`, bundle.Type, bundle.ID)
	n := 0
	for i, raw := range bundle.Objects {
		if !keep[i] {
			continue
		}
		if n > 0 {
			out.WriteByte(',')
		}
		check(json.Compact(&out, raw))
		n++
	}
	out.WriteString("]}")
	var pretty bytes.Buffer
	check(json.Indent(&pretty, out.Bytes(), "", "    "))
	pretty.WriteByte('\n')
	_, err = os.Stdout.Write(pretty.Bytes())
	check(err)
	fmt.Fprintf(os.Stderr, "%d of %d objects\n", n, len(bundle.Objects))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
