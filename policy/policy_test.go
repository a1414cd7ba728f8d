package policy

import (
	"slices"
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

func TestStaffRules(t *testing.T) {
	for _, tc := range []struct {
		kind mosaic.OrgKind
		role mosaic.Role
		want bool
	}{
		{mosaic.Partner, mosaic.Analyst, true},
		{mosaic.Partner, mosaic.Liaison, true},
		{mosaic.Partner, mosaic.Admin, false},
		{mosaic.Stakeholder, mosaic.StakeholderViewer, false},
		{mosaic.Oversight, mosaic.Auditor, false},
		{mosaic.Stakeholder, mosaic.Analyst, false}, // a role that does not fit its organisation grants nothing
	} {
		v := mosaic.Viewer{User: "u", Org: "o", OrgKind: tc.kind, Role: tc.role, ContentGrant: true}
		for name, err := range map[string]error{
			"MayContribute":      MayContribute(v),
			"MayDeconflict":      MayDeconflict(v),
			"MayJoinCompartment": MayJoinCompartment("u", tc.kind, tc.role),
		} {
			if (err == nil) != tc.want {
				t.Errorf("%s(%s of a %s) = %v, want allowed %v", name, tc.role, tc.kind, err, tc.want)
			}
		}
		if err := MayContribute(v); err != nil && mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("MayContribute refuses with %v", err)
		}
		if err := MayDeconflict(v); err != nil && mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("MayDeconflict refuses with %v", err)
		}
		if err := MayJoinCompartment("u", tc.kind, tc.role); err != nil && mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("MayJoinCompartment refuses with %v", err)
		}
	}
	for kind, want := range map[mosaic.OrgKind]bool{mosaic.Partner: true, mosaic.Stakeholder: false, mosaic.Oversight: false} {
		if err := MayJoinCompartmentAsOrg("o", kind); (err == nil) != want {
			t.Errorf("MayJoinCompartmentAsOrg(%s) = %v", kind, err)
		}
	}
	for _, role := range mosaic.Roles {
		if err := MayHoldContentGrant(role); (err == nil) != (role == mosaic.Auditor) || (err != nil && mosaic.ErrorCode(err) != mosaic.CodeInvalid) {
			t.Errorf("MayHoldContentGrant(%s) = %v", role, err)
		}
		v := mosaic.Viewer{Role: role, OrgKind: mosaic.Partner}
		if (MayAdminister(v) == nil) != (role == mosaic.Admin) {
			t.Errorf("MayAdminister(%s) = %v", role, MayAdminister(v))
		}
		if (MayReadAudit(v) == nil) != (role == mosaic.Auditor) {
			t.Errorf("MayReadAudit(%s) = %v", role, MayReadAudit(v))
		}
	}
}

func TestMayShareWith(t *testing.T) {
	analyst := mosaic.Viewer{Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	for _, tc := range []struct {
		v    mosaic.Viewer
		a    mosaic.Audience
		ms   []string
		want mosaic.Code
	}{
		{analyst, mosaic.Audience{}, nil, ""},
		{analyst, mosaic.Audience{Cell: true}, nil, ""},
		{analyst, mosaic.Audience{Compartments: []string{"ops"}}, []string{"ops"}, ""},
		{analyst, mosaic.Audience{Compartments: []string{"ops", "x"}}, []string{"ops"}, mosaic.CodeInvalid},
		// The viewer counts, not only the memberships handed in: whoever
		// may not contribute shares with nobody.
		{mosaic.Viewer{Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Admin}, mosaic.Audience{Cell: true}, nil, mosaic.CodeForbidden},
		{mosaic.Viewer{Org: "ov", OrgKind: mosaic.Oversight, Role: mosaic.Auditor, ContentGrant: true}, mosaic.Audience{Compartments: []string{"ops"}}, []string{"ops"}, mosaic.CodeForbidden},
	} {
		if got := mosaic.ErrorCode(MayShareWith(tc.v, tc.a, tc.ms)); got != tc.want {
			t.Errorf("MayShareWith(%s, %s, %v) = %q, want %q", tc.v.Role, tc.a, tc.ms, got, tc.want)
		}
	}
}

func TestShownAudience(t *testing.T) {
	analyst := mosaic.Viewer{Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	granted := mosaic.Viewer{Org: "ov", OrgKind: mosaic.Oversight, Role: mosaic.Auditor, ContentGrant: true}
	comps := mosaic.Audience{Compartments: []string{"a", "b"}}
	for _, tc := range []struct {
		name       string
		v          mosaic.Viewer
		originator string
		a          mosaic.Audience
		ms         []string
		want       mosaic.Audience
		ok         bool
	}{
		{"own record names every compartment", analyst, "pa", comps, nil, comps, true},
		{"a member sees its own compartments only", analyst, "pb", comps, []string{"b"}, mosaic.Audience{Compartments: []string{"b"}}, true},
		// Seen by the query through a compartment joined after the
		// memberships were read: dropped, not shown as "originator".
		{"joined since the read began", analyst, "pb", comps, nil, mosaic.Audience{}, false},
		{"cell", analyst, "pb", mosaic.Audience{Cell: true}, nil, mosaic.Audience{Cell: true}, true},
		{"another's own record", analyst, "pb", mosaic.Audience{}, nil, mosaic.Audience{}, false},
		{"granted auditor, cell", granted, "pb", mosaic.Audience{Cell: true}, nil, mosaic.Audience{Cell: true}, true},
		{"granted auditor, compartment", granted, "pb", comps, []string{"a"}, mosaic.Audience{}, false},
		{"admin", mosaic.Viewer{Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Admin}, "pa", mosaic.Audience{Cell: true}, nil, mosaic.Audience{}, false},
	} {
		got, ok := ShownAudience(tc.v, tc.originator, tc.a, tc.ms)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s: ShownAudience = %v %v, want %v %v", tc.name, got, ok, tc.want, tc.ok)
		}
		if d := Explain(tc.v, mosaic.Envelope{Originator: tc.originator, Audience: tc.a}, tc.ms); d.Allowed != ok {
			t.Errorf("%s: Explain says %v (%s), ShownAudience %v", tc.name, d.Allowed, d.Reason, ok)
		}
	}
}

func TestSeenWith(t *testing.T) {
	for _, tc := range []struct {
		id   int64
		cell bool
		of   int64
		want bool
	}{
		{1, true, 2, true},   // shared with the cell: everyone who sees anything sees it
		{2, false, 2, true},  // the same audience
		{3, false, 2, false}, // another audience: some viewers of 2 may not see it
	} {
		if got := SeenWith(tc.id, tc.cell, tc.of); got != tc.want {
			t.Errorf("SeenWith(%d, %v, %d) = %v", tc.id, tc.cell, tc.of, got)
		}
	}
}

func TestClauses(t *testing.T) {
	analyst := mosaic.Viewer{UserID: 7, OrgID: 3, Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	cond, args, ok := MembershipClause(analyst, "m")
	if !ok || cond != "(m.org_id = ? OR m.user_id = ?)" || len(args) != 2 || args[0] != int64(3) || args[1] != int64(7) {
		t.Errorf("MembershipClause = %q %v %v", cond, args, ok)
	}
	if _, _, ok := MembershipClause(mosaic.Viewer{OrgKind: mosaic.Stakeholder, Role: mosaic.StakeholderViewer}, "m"); ok {
		t.Error("a stakeholder has memberships")
	}
	granted := mosaic.Viewer{OrgKind: mosaic.Oversight, Role: mosaic.Auditor, ContentGrant: true}
	if cond, _ := AudienceClause(granted, "a"); cond != "a.cell = 1" {
		t.Errorf("a granted auditor's audience clause is %q", cond)
	}
	if cond, args := AudienceClause(analyst, "a"); strings.Count(cond, "?") != len(args) {
		t.Errorf("AudienceClause: %d placeholders, %d arguments", strings.Count(cond, "?"), len(args))
	}
	for _, aud := range []string{"originator", "cell", "compartment:ops"} {
		for _, v := range []mosaic.Viewer{analyst, granted} {
			cond, args, err := AudienceFilterClause(v, aud, 9)
			if err != nil || strings.Count(cond, "?") != len(args) {
				t.Errorf("AudienceFilterClause(%s, %s) = %q %v %v", v.Role, aud, cond, args, err)
			}
		}
	}
	if _, _, err := AudienceFilterClause(analyst, "everyone", 0); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("an unknown audience filter: %v", err)
	}
}

func TestUserApproval(t *testing.T) {
	analyst := mosaic.User{Name: "u", Org: "pa", Role: mosaic.Analyst}
	liaison := analyst
	liaison.Role = mosaic.Liaison
	admin := analyst
	admin.Role = mosaic.Admin
	auditor := mosaic.User{Name: "o", Org: "ov", Role: mosaic.Auditor}
	granted := auditor
	granted.ContentGrant = true
	withEmail := analyst
	withEmail.Email = "new@pa.example"
	disabled := analyst
	disabled.Disabled, disabled.DisplayName = true, "Ann"
	for _, tc := range []struct {
		name   string
		cur    *mosaic.User
		next   mosaic.User
		kind   mosaic.OrgKind
		org    string
		fields []string
	}{
		{"a new analyst", nil, analyst, mosaic.Partner, "pa", []string{"role"}},
		{"a new admin", nil, admin, mosaic.Partner, "", nil},
		{"a new stakeholder", nil, mosaic.User{Org: "sh", Role: mosaic.StakeholderViewer}, mosaic.Stakeholder, "", nil},
		{"a new auditor with a grant", nil, granted, mosaic.Oversight, "", []string{"role", "content_grant"}},
		{"admin made analyst", &admin, analyst, mosaic.Partner, "pa", []string{"role"}},
		{"analyst made liaison", &analyst, liaison, mosaic.Partner, "pa", []string{"role"}},
		{"liaison made analyst: fewer powers", &liaison, analyst, mosaic.Partner, "", nil},
		{"analyst made admin: less content", &analyst, admin, mosaic.Partner, "", nil},
		{"a content grant", &auditor, granted, mosaic.Oversight, "", []string{"content_grant"}},
		{"a grant taken away", &granted, auditor, mosaic.Oversight, "", nil},
		{"a partner user's e-mail address", &analyst, withEmail, mosaic.Partner, "pa", []string{"email"}},
		{"disabled and renamed", &analyst, disabled, mosaic.Partner, "", nil},
	} {
		a := UserApproval(tc.cur, tc.next, tc.kind)
		if a.Needed != (len(tc.fields) > 0) || a.Org != tc.org || !slices.Equal(a.Fields, tc.fields) || a.Needed != (len(a.Why) > 0) {
			t.Errorf("%s: %+v, want org %q fields %v", tc.name, a, tc.org, tc.fields)
		}
	}
}

func TestOtherApprovals(t *testing.T) {
	if a := MemberApproval("pb", nil); !a.Needed || a.Org != "pb" || a.Consents != nil {
		t.Errorf("MemberApproval, nobody concerned = %+v", a)
	}
	if a := MemberApproval("pb", []string{"pb"}); a.Consents != nil {
		t.Errorf("MemberApproval, only the member concerned = %+v", a)
	}
	// Every organisation concerned agrees too, and the words name none.
	a := MemberApproval("pb", []string{"pd", "pc", "pb", "pd"})
	if !a.Needed || a.Org != "pb" || !slices.Equal(a.Consents, []string{"pb", "pc", "pd"}) || strings.Contains(strings.Join(a.Why, " "), "pc") {
		t.Errorf("MemberApproval, pc and pd concerned = %+v", a)
	}
	o := mosaic.Organisation{Name: "pa"}
	if a := OrgApproval(o, o); a.Needed {
		t.Errorf("an unchanged audience needs approval: %+v", a)
	}
	cell := o
	cell.DefaultAudience = mosaic.Audience{Cell: true}
	if a := OrgApproval(o, cell); !a.Needed || a.Org != "pa" {
		t.Errorf("a new default audience: %+v", a)
	}
	for _, tc := range []struct {
		u      mosaic.User
		kind   mosaic.OrgKind
		needed bool
		org    string
	}{
		{mosaic.User{Org: "pa", Role: mosaic.Analyst}, mosaic.Partner, true, "pa"},
		{mosaic.User{Org: "pa", Role: mosaic.Admin}, mosaic.Partner, false, ""},
		{mosaic.User{Org: "ov", Role: mosaic.Auditor, ContentGrant: true}, mosaic.Oversight, true, ""},
		{mosaic.User{Org: "ov", Role: mosaic.Auditor}, mosaic.Oversight, false, ""},
		{mosaic.User{Org: "sh", Role: mosaic.StakeholderViewer}, mosaic.Stakeholder, false, ""},
	} {
		if a := PasswordApproval(tc.u, tc.kind); a.Needed != tc.needed || a.Org != tc.org {
			t.Errorf("PasswordApproval(%s of %s) = %+v", tc.u.Role, tc.kind, a)
		}
	}
	if a := ApproverApproval(mosaic.User{Org: "pa", Role: mosaic.Liaison}); !a.Needed || a.Org != "pa" {
		t.Errorf("ApproverApproval = %+v", a)
	}
	for kind, roles := range map[mosaic.OrgKind][]mosaic.Role{mosaic.Partner: mosaic.Roles, mosaic.Oversight: {mosaic.Auditor}} {
		for _, r := range roles {
			if err := MayHoldApprover(kind, r); (err == nil) != (kind == mosaic.Partner && r == mosaic.Liaison) {
				t.Errorf("MayHoldApprover(%s, %s) = %v", kind, r, err)
			}
		}
	}
}

func TestDecisions(t *testing.T) {
	approverA := mosaic.Viewer{User: "pa-liaison", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Liaison, Approver: true}
	plainA := approverA
	plainA.User, plainA.Approver = "pa-liaison2", false
	approverB := mosaic.Viewer{User: "pb-liaison", Org: "pb", OrgKind: mosaic.Partner, Role: mosaic.Liaison, Approver: true}
	admin := mosaic.Viewer{User: "adm", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Admin}
	forA := mosaic.ChangeRequest{ID: 1, Org: "pa", Subject: "pa-new", RequestedBy: "adm"}
	forAny := mosaic.ChangeRequest{ID: 2, Subject: "ov-auditor", RequestedBy: "adm"}
	ofSelf := mosaic.ChangeRequest{ID: 3, Org: "pa", Subject: "pa-liaison", RequestedBy: "adm"}
	for _, tc := range []struct {
		name string
		v    mosaic.Viewer
		r    mosaic.ChangeRequest
		want mosaic.Code
	}{
		{"its organisation's approver", approverA, forA, ""},
		{"any partner's approver", approverB, forAny, ""},
		{"another organisation's approver", approverB, forA, mosaic.CodeNotFound},
		{"a liaison without the right", plainA, forA, mosaic.CodeNotFound},
		{"the admin who asked", admin, forA, mosaic.CodeForbidden},
		{"the approver it changes", approverA, ofSelf, mosaic.CodeForbidden},
		{"the approver who asked", approverA, mosaic.ChangeRequest{Org: "pa", RequestedBy: "pa-liaison"}, mosaic.CodeForbidden},
	} {
		if got := mosaic.ErrorCode(MayDecide(tc.v, tc.r)); got != tc.want {
			t.Errorf("%s: MayDecide = %q, want %q", tc.name, got, tc.want)
		}
	}
	if !MaySeeRequest(admin, forA) || !MaySeeRequest(plainA, mosaic.ChangeRequest{RequestedBy: "pa-liaison2"}) || MaySeeRequest(plainA, forA) {
		t.Error("MaySeeRequest")
	}
	if !IsApprover(approverA) || IsApprover(plainA) || IsApprover(mosaic.Viewer{Role: mosaic.Admin, Approver: true}) {
		t.Error("IsApprover")
	}
	// Admins ask; nobody asks for itself.
	if err := MayRequestChange(admin, forA); err != nil {
		t.Errorf("an admin asks: %v", err)
	}
	if err := MayRequestChange(approverA, forA); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("a liaison asks: %v", err)
	}
	if err := MayRequestChange(admin, mosaic.ChangeRequest{Kind: mosaic.ChangeUserUpdate, Subject: "adm"}); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("an admin asks for itself: %v", err)
	}
	if err := MayRequestChange(admin, mosaic.ChangeRequest{Kind: mosaic.ChangeMemberAdd, Subject: "ops", Change: mosaic.Change{MemberUser: "adm"}}); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("an admin adds itself to a compartment: %v", err)
	}
	cur := mosaic.User{Name: "adm", Role: mosaic.Admin}
	next := cur
	next.Role = mosaic.Analyst
	if err := MayChangeUser(admin, cur, next); mosaic.ErrorCode(err) != mosaic.CodeForbidden {
		t.Errorf("an admin changes its own role: %v", err)
	}
	next = cur
	next.DisplayName = "Adm"
	if err := MayChangeUser(admin, cur, next); err != nil {
		t.Errorf("an admin renames itself: %v", err)
	}
	if !ContentRole(mosaic.Partner, mosaic.Analyst, false) || ContentRole(mosaic.Partner, mosaic.Admin, true) || !ContentRole(mosaic.Oversight, mosaic.Auditor, true) {
		t.Error("ContentRole")
	}
}

func TestMayReshare(t *testing.T) {
	members := map[string]Members{
		"ops":   {Orgs: []string{"pa"}, Users: map[string]string{"pb-analyst": "pb"}},
		"wider": {Orgs: []string{"pa", "pb", "pc"}},
	}
	comp := func(cs ...string) mosaic.Audience { return mosaic.Audience{Compartments: cs} }
	// politie (pp) holds a RED note for compartment ops: pa's staff and
	// pb-analyst by name.
	held := []Held{{Originator: "pp", Reach: ReachOf("pp", comp("ops"), members), TLP: mosaic.TLPRed}}
	for _, tc := range []struct {
		name string
		by   string
		aud  mosaic.Audience
		tlp  mosaic.TLP
		ok   bool
	}{
		{"pa into ops again, RED", "pa", comp("ops"), mosaic.TLPRed, true},
		{"pa to its own staff, RED (all of pa reads ops)", "pa", mosaic.Audience{}, mosaic.TLPRed, true},
		{"pb to its own staff: only pb-analyst reads ops", "pb", mosaic.Audience{}, mosaic.TLPRed, false},
		{"pa into another compartment", "pa", comp("wider"), mosaic.TLPRed, false},
		{"pa to the cell", "pa", mosaic.Audience{Cell: true}, mosaic.TLPRed, false},
		{"pa into ops at AMBER", "pa", comp("ops"), mosaic.TLPAmber, false},
	} {
		err := MayReshare(ReachOf(tc.by, tc.aud, members), tc.tlp, true, held)
		if (err == nil) != tc.ok || (err != nil && mosaic.ErrorCode(err) != mosaic.CodeInvalid) {
			t.Errorf("%s: %v, want allowed %v", tc.name, err, tc.ok)
		}
	}
	// What the cell holds may go anywhere, but not below its TLP.
	cellHeld := []Held{{Originator: "pp", Reach: Reach{Cell: true}, TLP: mosaic.TLPGreen}}
	if err := MayReshare(ReachOf("pa", comp("wider"), members), mosaic.TLPGreen, false, cellHeld); err != nil {
		t.Errorf("into a compartment of what the cell holds: %v", err)
	}
	if err := MayReshare(Reach{Cell: true}, mosaic.TLPClear, false, cellHeld); err == nil || !strings.Contains(err.Error(), "TLP:GREEN") {
		t.Errorf("below the TLP of what the cell holds: %v", err)
	}
	// ORCON held stays: a copy may not drop it, and may add it.
	orcon := []Held{{Originator: "pp", Reach: Reach{Cell: true}, TLP: mosaic.TLPGreen, ORCON: true}}
	if err := MayReshare(Reach{Cell: true}, mosaic.TLPGreen, false, orcon); err == nil || !strings.Contains(err.Error(), "ORCON") {
		t.Errorf("dropping ORCON: %v", err)
	}
	if err := MayReshare(Reach{Cell: true}, mosaic.TLPGreen, true, cellHeld); err != nil {
		t.Errorf("adding ORCON: %v", err)
	}
	if !(Reach{Orgs: []string{"pa"}}).Covers(Reach{Orgs: []string{"pa"}, Users: map[string]string{"pa-x": "pa"}}) {
		t.Error("a user of a covered organisation is not covered")
	}
}
