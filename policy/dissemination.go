package policy

import (
	"slices"
	"sort"
	"time"

	"mosaic"
)

// MayDraftRelease returns nil when v may draft a release and read the
// recipient directory: the analysts and liaisons of partner
// organisations, who hold what a release is made of.
func MayDraftRelease(v mosaic.Viewer) error {
	if partnerStaff(v.OrgKind, v.Role) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "releases are drafted by analysts and liaisons of partner organisations")
}

// MayReceiveReleases reports whether an organisation of kind k may be a
// release's recipient: stakeholders and partners, not oversight bodies,
// which audit the cell rather than act on its advice.
func MayReceiveReleases(k mosaic.OrgKind) bool {
	return k == mosaic.Stakeholder || k == mosaic.Partner
}

// widest is the widest kind of recipient information at each TLP level may
// be released to, after TLP 2.0 as FIRST defines it: CLEAR to anyone;
// GREEN to the community (sectors, organisations, users), not publicly;
// AMBER to named organisations, which may pass it to their clients on a
// need-to-know basis; AMBER+STRICT to named organisations, inside which it
// stays; RED to named people only, never into an organisation's shared
// collection. A narrower recipient than the widest is always allowed.
var widest = map[mosaic.TLP]mosaic.RecipientKind{
	mosaic.TLPClear:       mosaic.RecipientPublic,
	mosaic.TLPGreen:       mosaic.RecipientSector,
	mosaic.TLPAmber:       mosaic.RecipientOrg,
	mosaic.TLPAmberStrict: mosaic.RecipientOrg,
	mosaic.TLPRed:         mosaic.RecipientUser,
}

// recipientKinds orders the recipient kinds from the widest to the
// narrowest.
var recipientKinds = []mosaic.RecipientKind{mosaic.RecipientPublic, mosaic.RecipientSector, mosaic.RecipientOrg, mosaic.RecipientUser}

func breadth(k mosaic.RecipientKind) int {
	for i, x := range recipientKinds {
		if x == k {
			return i
		}
	}
	return -1
}

// dissemination says in words how far each level may go, for refusals.
var dissemination = map[mosaic.TLP]string{
	mosaic.TLPClear:       "TLP:CLEAR may go to anyone",
	mosaic.TLPGreen:       "TLP:GREEN may go to the community (sectors, organisations, users), not to the public",
	mosaic.TLPAmber:       "TLP:AMBER may go to named organisations and users only",
	mosaic.TLPAmberStrict: "TLP:AMBER+STRICT may go to named organisations and users only, and no further than their organisation",
	mosaic.TLPRed:         "TLP:RED may go to named users only",
}

// MayRelease decides whether information at level t may be released to r.
// The error (CodeInvalid) names the rule; an unknown level or recipient
// kind is refused.
func MayRelease(t mosaic.TLP, r mosaic.Recipient) error {
	w, ok := widest[t]
	if !ok {
		return mosaic.Errorf(mosaic.CodeInvalid, "TLP %q is not a TLP 2.0 level", t)
	}
	b := breadth(r.Kind)
	if b < 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "recipient kind %q is not public, sector, org or user", r.Kind)
	}
	if b < breadth(w) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%s: not to %s", dissemination[t], r)
	}
	return nil
}

// Released is an object of a release as the rules see it: its id and its
// level after sanitisation.
type Released struct {
	ID  string
	TLP mosaic.TLP
}

// MaxReleaseProblems bounds the problems ReleaseProblems returns: a
// draft of 10,000 objects to 1,000 recipients breaks the rules ten
// million times, and the drafter needs the first of them to see what to
// change, not the server's memory spent on the rest.
const MaxReleaseProblems = 1000

// ReleaseProblems checks every object of a release against every
// recipient and returns a problem for each pair the rules refuse, naming
// the rule and the object, in the order given: all of them up to
// MaxReleaseProblems, so that the drafter sees at once what to change.
func ReleaseProblems(objs []Released, rs []mosaic.Recipient) []mosaic.Problem {
	// A release of 10,000 objects to 500 organisations is five million
	// pairs of only five levels: each level is checked once.
	refusals := map[mosaic.TLP][]string{}
	for _, o := range objs {
		if _, ok := refusals[o.TLP]; ok {
			continue
		}
		reasons := []string{}
		for _, r := range rs {
			if err := MayRelease(o.TLP, r); err != nil {
				reasons = append(reasons, mosaic.ErrorMessage(err))
			}
		}
		refusals[o.TLP] = reasons
	}
	var out []mosaic.Problem
	for _, o := range objs {
		for _, reason := range refusals[o.TLP] {
			if len(out) == MaxReleaseProblems {
				return out
			}
			out = append(out, mosaic.Problem{Object: o.ID, Reason: reason})
		}
	}
	return out
}

// ReleaseTLP is a release's level: the most restrictive of its objects'
// after sanitisation, CLEAR for a release of advice alone, RED when one
// holds a level that is none.
func ReleaseTLP(objs []Released) mosaic.TLP {
	t := mosaic.TLPClear
	for _, o := range objs {
		if o.TLP.Rank() < 0 {
			return mosaic.TLPRed // an unknown level counts as the strictest
		}
		if o.TLP.Rank() > t.Rank() {
			t = o.TLP
		}
	}
	return t
}

// ReleaseRecipients checks a release's recipients as a whole: at least
// one, none twice, and public alone or not at all (a release to the public
// is one to anyone, and naming others beside it would say who else was
// told).
func ReleaseRecipients(rs []mosaic.Recipient) error {
	if len(rs) == 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "a release needs at least one recipient")
	}
	seen := map[mosaic.Recipient]bool{}
	for _, r := range rs {
		if seen[r] {
			return mosaic.Errorf(mosaic.CodeInvalid, "recipient %s is named twice", r)
		}
		seen[r] = true
		if r.Kind == mosaic.RecipientPublic && len(rs) > 1 {
			return mosaic.Errorf(mosaic.CodeInvalid, "public is a release's only recipient: it reaches everyone, and %d recipients were named", len(rs))
		}
	}
	return nil
}

// ReleaseScopeOf says which releases v sees (the store applies it in its
// queries): analysts and liaisons of a partner see their organisation's
// drafts and the consent requests made of it; stakeholders and partner
// staff receive what was delivered to their organisation or to them by
// name; everyone, no sign-in needed, what was released to the public.
// Admins and auditors see only that: their roles give them no content.
func ReleaseScopeOf(v mosaic.Viewer) mosaic.ReleaseScope {
	var sc mosaic.ReleaseScope
	if partnerStaff(v.OrgKind, v.Role) {
		sc.DraftOrg = v.Org
	}
	if MayReceiveReleases(v.OrgKind) && (v.Role == mosaic.StakeholderViewer || partnerStaff(v.OrgKind, v.Role)) {
		sc.Org, sc.User = v.Org, v.User
	}
	return sc
}

// ConsentDeputies maps a partner organisation to the users of its own
// whom the operator named, in the server's configuration alone, to decide
// its consents while all its liaisons are away.
type ConsentDeputies map[string][]string

// Deputy reports whether v is a configured deputy of its own
// organisation: an analyst or liaison of a partner named under it. No
// role, grant or other organisation's entry makes a deputy, so an admin
// cannot make one of itself, nor a deputy of one organisation act for
// another.
func (d ConsentDeputies) Deputy(v mosaic.Viewer) bool {
	return partnerStaff(v.OrgKind, v.Role) && v.User != "" && slices.Contains(d[v.Org], v.User)
}

// MightConsent returns nil when v may decide its organisation's consents
// at some time: a liaison of a partner, or one of its deputies. It is
// the check that needs no store, made before a request's body is read;
// MayConsent decides.
func MightConsent(v mosaic.Viewer, d ConsentDeputies) error {
	if isLiaison(v) || d.Deputy(v) {
		return nil
	}
	return errNoConsent()
}

func errNoConsent() error {
	return mosaic.Errorf(mosaic.CodeForbidden, "a release is consented to by a liaison of a partner organisation, or by a deputy the operator named while its liaisons are away")
}

func isLiaison(v mosaic.Viewer) bool { return v.OrgKind == mosaic.Partner && v.Role == mosaic.Liaison }

// LiaisonsAway reports whether an organisation's enabled liaisons are all
// away at now. An organisation without one has nobody away: otherwise an
// admin who disables or demotes its liaisons, alone and at once, would
// hand its consents to its deputies.
func LiaisonsAway(liaisons []mosaic.LiaisonAway, now time.Time) bool {
	if len(liaisons) == 0 {
		return false
	}
	for _, l := range liaisons {
		if !l.Away(now) {
			return false
		}
	}
	return true
}

// MayConsent returns nil when v may decide its organisation's consent to
// a release at now, given the organisation's enabled liaisons: a liaison
// of a partner, who speaks for what its organisation shared (DESIGN §2),
// away or not, since being away says who else may act, not that the
// liaison may not; or a configured deputy of its own organisation while
// every liaison of it is away (and it has one). deputy says that v decides
// as a deputy, which the consent records.
func MayConsent(v mosaic.Viewer, d ConsentDeputies, liaisons []mosaic.LiaisonAway, now time.Time) (deputy bool, err error) {
	switch {
	case isLiaison(v):
		return false, nil
	case !d.Deputy(v):
		return false, errNoConsent()
	case !LiaisonsAway(liaisons, now):
		return false, mosaic.Errorf(mosaic.CodeForbidden, "a deputy decides %s's consents only while all its liaisons are away, and one is present or it has none", v.Org)
	}
	return true, nil
}

// MayMarkAway returns nil when v may mark itself away and back: a
// liaison of a partner, and only itself. Nobody marks another away, an
// admin neither, since a mark is what lets a deputy decide.
func MayMarkAway(v mosaic.Viewer) error {
	if isLiaison(v) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "only a liaison of a partner organisation marks itself away")
}

// ConsentsNeeded lists the organisations that must consent to a release
// drafted by drafterOrg: its own, and every organisation whose
// contribution under originator control (ORCON) the release holds or
// relies on, sorted.
func ConsentsNeeded(drafterOrg string, items []mosaic.ReleaseItem) []string {
	need := map[string]bool{drafterOrg: true}
	for _, it := range items {
		if it.ORCON {
			need[it.Originator] = true
		}
	}
	out := make([]string, 0, len(need))
	for o := range need {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}

// MayLowerTLP returns nil when org may release an object at level to,
// which it holds at from: anyone may raise a level, only the originator
// lower it.
func MayLowerTLP(org, originator string, from, to mosaic.TLP) error {
	if to.Rank() < 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "TLP %q is not a TLP 2.0 level", to)
	}
	if to.Rank() < from.Rank() && org != originator {
		return mosaic.Errorf(mosaic.CodeForbidden, "only %s, its originator, may lower the TLP of its information", originator)
	}
	return nil
}

// FeedbackReach says whose feedback on a release drafted by drafterOrg
// v reads as someone in the cell, and false for none: the drafting
// organisation's analysts and liaisons read every recipient's, who
// follow up; the feedback readers' (by default the NCSC) every
// recipient's but for those stakeholders that named others (byOrg, a
// stakeholder's own list of readers), whose feedback goes to those
// instead. Recipients read their own, which is not decided here.
func FeedbackReach(v mosaic.Viewer, drafterOrg string, readers []string, byOrg map[string][]string) (mosaic.FeedbackFilter, bool) {
	var f mosaic.FeedbackFilter
	switch {
	case !partnerStaff(v.OrgKind, v.Role):
		return f, false
	case v.Org == drafterOrg:
		return f, true
	}
	var own, others []string
	for stakeholder, rs := range byOrg {
		if slices.Contains(rs, v.Org) {
			own = append(own, stakeholder)
		} else {
			others = append(others, stakeholder)
		}
	}
	sort.Strings(own)
	sort.Strings(others)
	if slices.Contains(readers, v.Org) {
		f.Except = others
		return f, true
	}
	f.Orgs = own
	return f, len(own) > 0
}
