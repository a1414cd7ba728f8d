package policy

import (
	"strings"
	"testing"

	"mosaic"
)

func TestExplain(t *testing.T) {
	analyst := mosaic.Viewer{User: "a", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	liaison := mosaic.Viewer{User: "l", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Liaison}
	other := mosaic.Viewer{User: "b", Org: "pb", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	admin := mosaic.Viewer{User: "adm", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Admin}
	stakeholder := mosaic.Viewer{User: "s", Org: "sh", OrgKind: mosaic.Stakeholder, Role: mosaic.StakeholderViewer}
	auditor := mosaic.Viewer{User: "o", Org: "ov", OrgKind: mosaic.Oversight, Role: mosaic.Auditor}
	granted := auditor
	granted.ContentGrant = true
	env := func(orig string, a mosaic.Audience) mosaic.Envelope {
		return mosaic.Envelope{Originator: orig, Audience: a}
	}
	own := env("pa", mosaic.Audience{})
	cell := env("pb", mosaic.Audience{Cell: true})
	theirs := env("pb", mosaic.Audience{})
	comp := env("pb", mosaic.Audience{Compartments: []string{"ops", "x"}})
	for _, tc := range []struct {
		v           mosaic.Viewer
		e           mosaic.Envelope
		memberships []string
		allowed     bool
		reason      string
	}{
		{analyst, own, nil, true, "own organisation"},
		{liaison, own, nil, true, "own organisation"},
		{analyst, cell, nil, true, "shared with the cell"},
		{analyst, theirs, nil, false, "only the originator pb"},
		{analyst, comp, []string{"ops"}, true, "member of compartment ops"},
		{analyst, comp, []string{"other"}, false, "not in compartment ops or x"},
		{other, comp, nil, true, "own organisation"},
		{admin, own, nil, false, "role admin"},
		{stakeholder, cell, nil, false, "role stakeholder"},
		{auditor, cell, nil, false, "role auditor"},
		{granted, cell, nil, true, "content grant"},
		{granted, own, nil, false, "covers only what is shared with the cell"},
	} {
		d := Explain(tc.v, tc.e, tc.memberships)
		if d.Allowed != tc.allowed || !strings.Contains(d.Reason, tc.reason) {
			t.Errorf("Explain(%s of %s, %s by %s) = %v %q, want %v and a reason with %q", tc.v.Role, tc.v.Org, tc.e.Audience, tc.e.Originator, d.Allowed, d.Reason, tc.allowed, tc.reason)
		}
		if SeesContent(tc.v) != (tc.v.Role == mosaic.Analyst || tc.v.Role == mosaic.Liaison || tc.v.ContentGrant) {
			t.Errorf("SeesContent(%s) = %v", tc.v.User, SeesContent(tc.v))
		}
	}
}

func TestRules(t *testing.T) {
	analyst := mosaic.Viewer{Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	for _, v := range []mosaic.Viewer{
		{OrgKind: mosaic.Partner, Role: mosaic.Admin},
		{OrgKind: mosaic.Stakeholder, Role: mosaic.StakeholderViewer},
		{OrgKind: mosaic.Oversight, Role: mosaic.Auditor, ContentGrant: true},
	} {
		if mosaic.ErrorCode(MayContribute(v)) != mosaic.CodeForbidden {
			t.Errorf("%s of a %s may contribute", v.Role, v.OrgKind)
		}
	}
	if MayContribute(analyst) != nil {
		t.Error("a partner analyst may not contribute")
	}
	red := mosaic.Envelope{TLP: mosaic.TLPRed, Audience: mosaic.Audience{Cell: true}}
	if err := CheckEnvelope(red); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "TLP:RED") {
		t.Errorf("RED to the cell: %v", err)
	}
	red.Audience = mosaic.Audience{Compartments: []string{"ops"}}
	if err := CheckEnvelope(red); err != nil {
		t.Errorf("RED to a compartment: %v", err)
	}
	// Sharing into a compartment one is not in and into one that does not
	// exist read alike.
	a := MayShareWith(analyst, mosaic.Audience{Compartments: []string{"ops"}}, []string{"other"})
	b := MayShareWith(analyst, mosaic.Audience{Compartments: []string{"nope"}}, []string{"other"})
	if strings.Replace(a.Error(), "ops", "X", 1) != strings.Replace(b.Error(), "nope", "X", 1) {
		t.Errorf("the errors differ: %v / %v", a, b)
	}
	if got := ShownCompartments(analyst, "pb", []string{"a", "b"}, []string{"b"}); len(got) != 1 || got[0] != "b" {
		t.Errorf("ShownCompartments for a member of b: %v", got)
	}
	if got := ShownCompartments(analyst, "pa", []string{"a", "b"}, nil); len(got) != 2 {
		t.Errorf("ShownCompartments for the originator: %v", got)
	}
	if clause, _ := VisibleClause(mosaic.Viewer{Role: mosaic.Admin}, "r.audience_id", ""); clause != "1 = 0" {
		t.Errorf("an admin's visibility clause is %q", clause)
	}
}
