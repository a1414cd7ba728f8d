package policy

import (
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
)

// The rules, written out pair by pair from TLP 2.0 as FIRST defines it,
// apart from the code's table: which recipient kinds each level may reach.
var firstTLP = map[mosaic.TLP]map[mosaic.RecipientKind]bool{
	mosaic.TLPClear:       {mosaic.RecipientPublic: true, mosaic.RecipientSector: true, mosaic.RecipientOrg: true, mosaic.RecipientUser: true},
	mosaic.TLPGreen:       {mosaic.RecipientSector: true, mosaic.RecipientOrg: true, mosaic.RecipientUser: true},
	mosaic.TLPAmber:       {mosaic.RecipientOrg: true, mosaic.RecipientUser: true},
	mosaic.TLPAmberStrict: {mosaic.RecipientOrg: true, mosaic.RecipientUser: true},
	mosaic.TLPRed:         {mosaic.RecipientUser: true},
}

func recipientOf(k mosaic.RecipientKind) mosaic.Recipient {
	switch k {
	case mosaic.RecipientPublic:
		return mosaic.Recipient{Kind: k}
	case mosaic.RecipientSector:
		return mosaic.Recipient{Kind: k, Name: "healthcare"}
	}
	return mosaic.Recipient{Kind: k, Name: "someone"}
}

// Every level against every recipient kind: the whole domain, so nothing
// is left to chance.
func TestMayReleaseEveryPair(t *testing.T) {
	for _, level := range mosaic.TLPLevels {
		for _, k := range recipientKinds {
			err := MayRelease(level, recipientOf(k))
			if want := firstTLP[level][k]; (err == nil) != want {
				t.Errorf("%s to %s: %v, want allowed %v", level.Label(), k, err, want)
			}
			if err != nil && (mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), level.Label())) {
				t.Errorf("%s to %s: the refusal %q does not name the rule", level.Label(), k, err)
			}
		}
	}
}

// Properties that hold whatever the table: what may go to a recipient may
// go to every narrower one, and what may go at a level may go at every
// less restrictive one; an unknown level or kind goes nowhere.
func TestMayReleaseProperties(t *testing.T) {
	for _, level := range mosaic.TLPLevels {
		for i, k := range recipientKinds {
			if MayRelease(level, recipientOf(k)) != nil {
				continue
			}
			for _, narrower := range recipientKinds[i+1:] {
				if err := MayRelease(level, recipientOf(narrower)); err != nil {
					t.Errorf("%s may go to %s but not to the narrower %s: %v", level.Label(), k, narrower, err)
				}
			}
			for _, lower := range mosaic.TLPLevels[:level.Rank()] {
				if err := MayRelease(lower, recipientOf(k)); err != nil {
					t.Errorf("%s may go to %s but the less restrictive %s not: %v", level.Label(), k, lower.Label(), err)
				}
			}
		}
	}
	if MayRelease("white", recipientOf(mosaic.RecipientUser)) == nil || MayRelease(mosaic.TLPClear, mosaic.Recipient{Kind: "everyone"}) == nil {
		t.Error("an unknown level or recipient kind was allowed")
	}
}

func TestReleaseProblemsAndTLP(t *testing.T) {
	objs := []Released{{ID: "indicator--1", TLP: mosaic.TLPGreen}, {ID: "indicator--2", TLP: mosaic.TLPRed}, {ID: "indicator--3", TLP: mosaic.TLPClear}}
	rs := []mosaic.Recipient{recipientOf(mosaic.RecipientSector), recipientOf(mosaic.RecipientUser)}
	probs := ReleaseProblems(objs, rs)
	if len(probs) != 1 || probs[0].Object != "indicator--2" || !strings.Contains(probs[0].Reason, "TLP:RED may go to named users only") || !strings.Contains(probs[0].Reason, "sector:healthcare") {
		t.Errorf("problems %+v, want the RED object to the sector alone", probs)
	}
	if got := ReleaseTLP(objs); got != mosaic.TLPRed {
		t.Errorf("release TLP %s, want red", got)
	}
	if got := ReleaseTLP(nil); got != mosaic.TLPClear {
		t.Errorf("release TLP of advice alone %s, want clear", got)
	}
}

func TestReleaseRecipients(t *testing.T) {
	pub, org := recipientOf(mosaic.RecipientPublic), recipientOf(mosaic.RecipientOrg)
	for _, tc := range []struct {
		rs   []mosaic.Recipient
		want string
	}{
		{nil, "at least one"},
		{[]mosaic.Recipient{org, org}, "named twice"},
		{[]mosaic.Recipient{pub, org}, "only recipient"},
		{[]mosaic.Recipient{org}, ""},
		{[]mosaic.Recipient{pub}, ""},
	} {
		err := ReleaseRecipients(tc.rs)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: %v, want %q", tc.rs, err, tc.want)
		}
	}
}

func TestMayDraftRelease(t *testing.T) {
	for _, tc := range []struct {
		kind mosaic.OrgKind
		role mosaic.Role
		want bool
	}{
		{mosaic.Partner, mosaic.Analyst, true}, {mosaic.Partner, mosaic.Liaison, true}, {mosaic.Partner, mosaic.Admin, false},
		{mosaic.Stakeholder, mosaic.Analyst, false}, {mosaic.Oversight, mosaic.Auditor, false},
	} {
		if err := MayDraftRelease(mosaic.Viewer{OrgKind: tc.kind, Role: tc.role}); (err == nil) != tc.want {
			t.Errorf("%s %s: %v, want allowed %v", tc.kind, tc.role, err, tc.want)
		}
	}
	if !MayReceiveReleases(mosaic.Stakeholder) || !MayReceiveReleases(mosaic.Partner) || MayReceiveReleases(mosaic.Oversight) {
		t.Error("MayReceiveReleases")
	}
}

func TestFeedbackReach(t *testing.T) {
	staff := func(org string) mosaic.Viewer {
		return mosaic.Viewer{User: org + "-analyst", Org: org, OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	}
	readers := []string{"ncsc"}
	byOrg := map[string][]string{"hospital": {"police"}, "water": {"ncsc", "police"}}
	for _, c := range []struct {
		v      mosaic.Viewer
		want   mosaic.FeedbackFilter
		reads  bool
		reason string
	}{
		{staff("aivd"), mosaic.FeedbackFilter{}, true, "the drafter's organisation reads all"},
		{staff("ncsc"), mosaic.FeedbackFilter{Except: []string{"hospital"}}, true, "the reader, but for the hospital, which named others"},
		{staff("police"), mosaic.FeedbackFilter{Orgs: []string{"hospital", "water"}}, true, "named by two stakeholders"},
		{staff("fiod"), mosaic.FeedbackFilter{}, false, "named by nobody"},
		{mosaic.Viewer{Org: "aivd", OrgKind: mosaic.Partner, Role: mosaic.Admin}, mosaic.FeedbackFilter{}, false, "an admin of the drafter's organisation"},
		{mosaic.Viewer{Org: "ncsc", OrgKind: mosaic.Partner, Role: mosaic.Auditor}, mosaic.FeedbackFilter{}, false, "an auditor"},
	} {
		got, ok := FeedbackReach(c.v, "aivd", readers, byOrg)
		if ok != c.reads || (ok && (!slices.Equal(got.Orgs, c.want.Orgs) || !slices.Equal(got.Except, c.want.Except))) {
			t.Errorf("%s: %+v %v, want %+v %v", c.reason, got, ok, c.want, c.reads)
		}
	}
}

// TestMayConsent: each rule of who decides an organisation's consent.
func TestMayConsent(t *testing.T) {
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC)
	liaison := mosaic.Viewer{User: "pa-liaison", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Liaison}
	deputy := mosaic.Viewer{User: "pa-analyst", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	other := mosaic.Viewer{User: "pa-other", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	admin := mosaic.Viewer{User: "pa-admin", Org: "pa", OrgKind: mosaic.Partner, Role: mosaic.Admin}
	// pb's deputy is named pa-analyst too: a name under one organisation
	// is no deputyship of another's.
	foreign := mosaic.Viewer{User: "pa-analyst", Org: "pb", OrgKind: mosaic.Partner, Role: mosaic.Analyst}
	stakeholder := mosaic.Viewer{User: "sh-user", Org: "sh", OrgKind: mosaic.Stakeholder, Role: mosaic.StakeholderViewer}
	d := ConsentDeputies{"pa": {"pa-analyst", "pa-admin"}, "sh": {"sh-user"}}
	present := []mosaic.LiaisonAway{{User: "pa-liaison"}}
	away := []mosaic.LiaisonAway{{User: "pa-liaison", AwayUntil: now.Add(time.Hour)}}
	back := []mosaic.LiaisonAway{{User: "pa-liaison", AwayUntil: now}}
	oneAway := []mosaic.LiaisonAway{{User: "pa-liaison", AwayUntil: now.Add(time.Hour)}, {User: "pa-liaison2"}}
	for _, tc := range []struct {
		name     string
		v        mosaic.Viewer
		liaisons []mosaic.LiaisonAway
		ok, dep  bool
	}{
		{"a liaison present", liaison, present, true, false},
		{"a liaison away still decides", liaison, away, true, false},
		{"a deputy while the liaison is present", deputy, present, false, false},
		{"a deputy while the liaison is away", deputy, away, true, true},
		{"a deputy once the liaison's time away has passed", deputy, back, false, false},
		{"a deputy while one of two liaisons is away", deputy, oneAway, false, false},
		// Else an admin who disables or demotes them hands over.
		{"a deputy of an organisation without liaisons", deputy, nil, false, false},
		{"an analyst not named", other, away, false, false},
		{"an admin named in the configuration", admin, away, false, false},
		{"the same name in another organisation", foreign, nil, false, false},
		{"a stakeholder named in the configuration", stakeholder, nil, false, false},
	} {
		dep, err := MayConsent(tc.v, d, tc.liaisons, now)
		if (err == nil) != tc.ok || dep != tc.dep {
			t.Errorf("%s: deputy %v, %v; want allowed %v, deputy %v", tc.name, dep, err, tc.ok, tc.dep)
		}
		if err != nil && mosaic.ErrorCode(err) != mosaic.CodeForbidden {
			t.Errorf("%s: %v, want forbidden", tc.name, err)
		}
		// MightConsent lets through those MayConsent ever allows.
		if tc.ok && MightConsent(tc.v, d) != nil {
			t.Errorf("%s: MightConsent refuses one MayConsent allows", tc.name)
		}
	}
	for _, v := range []mosaic.Viewer{other, admin, foreign, stakeholder} {
		if MightConsent(v, d) == nil || d.Deputy(v) {
			t.Errorf("%s of %s (%s) might consent", v.User, v.Org, v.Role)
		}
	}
	if MightConsent(deputy, nil) == nil {
		t.Error("without configured deputies an analyst might consent")
	}
}

func TestMayMarkAway(t *testing.T) {
	for _, tc := range []struct {
		kind mosaic.OrgKind
		role mosaic.Role
		ok   bool
	}{
		{mosaic.Partner, mosaic.Liaison, true},
		{mosaic.Partner, mosaic.Analyst, false},
		{mosaic.Partner, mosaic.Admin, false},
		{mosaic.Stakeholder, mosaic.StakeholderViewer, false},
		{mosaic.Oversight, mosaic.Auditor, false},
	} {
		err := MayMarkAway(mosaic.Viewer{User: "u", Org: "o", OrgKind: tc.kind, Role: tc.role})
		if (err == nil) != tc.ok || (err != nil && mosaic.ErrorCode(err) != mosaic.CodeForbidden) {
			t.Errorf("%s of a %s: %v", tc.role, tc.kind, err)
		}
	}
}
