package policy

import (
	"slices"
	"testing"

	"mosaic"
)

func TestFeedbackScopeOf(t *testing.T) {
	staff := func(org string, role mosaic.Role) mosaic.Viewer {
		return mosaic.Viewer{User: org + "-user", Org: org, OrgKind: mosaic.Partner, Role: role}
	}
	readers := []string{"ncsc"}
	byOrg := map[string][]string{"hospital": {"police"}, "water": {"ncsc", "police"}}
	for _, c := range []struct {
		v      mosaic.Viewer
		want   mosaic.FeedbackScope
		ok     bool
		reason string
	}{
		{staff("aivd", mosaic.Analyst), mosaic.FeedbackScope{Drafter: "aivd"}, true, "a drafting organisation reads its own releases' feedback only"},
		{staff("aivd", mosaic.Liaison), mosaic.FeedbackScope{Drafter: "aivd"}, true, "its liaisons as its analysts"},
		{staff("ncsc", mosaic.Analyst), mosaic.FeedbackScope{Drafter: "ncsc", Others: true, Filter: mosaic.FeedbackFilter{Except: []string{"hospital"}}}, true,
			"the default reader reads every release's, but for the stakeholder that named others"},
		{staff("police", mosaic.Analyst), mosaic.FeedbackScope{Drafter: "police", Others: true, Filter: mosaic.FeedbackFilter{Orgs: []string{"hospital", "water"}}}, true,
			"a reader a stakeholder named reads only those stakeholders' on others' releases"},
		{staff("aivd", mosaic.Admin), mosaic.FeedbackScope{}, false, "an admin reads none"},
		{staff("ncsc", mosaic.Auditor), mosaic.FeedbackScope{}, false, "an auditor, of the reader too, reads none"},
		{mosaic.Viewer{User: "nurse", Org: "hospital", OrgKind: mosaic.Stakeholder, Role: mosaic.StakeholderViewer}, mosaic.FeedbackScope{}, false,
			"a stakeholder reads its own feedback on its release pages, not others' in a picture"},
		{mosaic.Viewer{User: "ghost", OrgKind: mosaic.Partner, Role: mosaic.Analyst}, mosaic.FeedbackScope{}, false, "no organisation, no feedback"},
	} {
		got, err := FeedbackScopeOf(c.v, readers, byOrg)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.reason, err)
			continue
		}
		if !c.ok {
			if mosaic.ErrorCode(err) != mosaic.CodeForbidden {
				t.Errorf("%s: %v, want forbidden", c.reason, err)
			}
			continue
		}
		if got.Drafter != c.want.Drafter || got.Others != c.want.Others || !slices.Equal(got.Filter.Orgs, c.want.Filter.Orgs) ||
			!slices.Equal(got.Filter.Except, c.want.Filter.Except) || (got.Filter.Orgs == nil) != (c.want.Filter.Orgs == nil) {
			t.Errorf("%s: %+v, want %+v", c.reason, got, c.want)
		}
	}
}

func TestMayReadFeedbackPicture(t *testing.T) {
	for _, c := range []struct {
		sc      mosaic.FeedbackScope
		drafted bool
		ok      bool
		reason  string
	}{
		{mosaic.FeedbackScope{Drafter: "aivd"}, true, true, "a drafter that published reads its feedback"},
		{mosaic.FeedbackScope{Drafter: "aivd"}, false, false, "a partner that is neither drafter nor reader reads none"},
		{mosaic.FeedbackScope{Drafter: "ncsc", Others: true, Filter: mosaic.FeedbackFilter{Except: []string{"hospital"}}}, false, true, "a reader reads others' without drafting"},
		{mosaic.FeedbackScope{}, true, false, "an empty scope reads none"},
	} {
		err := MayReadFeedbackPicture(c.sc, c.drafted)
		if (err == nil) != c.ok || (err != nil && mosaic.ErrorCode(err) != mosaic.CodeForbidden) {
			t.Errorf("%s: %v", c.reason, err)
		}
	}
}
