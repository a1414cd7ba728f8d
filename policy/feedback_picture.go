package policy

import "mosaic"

// FeedbackScopeOf says whose feedback v reads in the situational picture
// and its live stream, release by release as FeedbackReach does: every
// recipient's on the releases of v's own organisation, and on every other
// release what FeedbackReach grants a reader that did not draft it. Who
// reads none at all (stakeholders, admins, auditors) is refused.
func FeedbackScopeOf(v mosaic.Viewer, readers []string, byOrg map[string][]string) (mosaic.FeedbackScope, error) {
	var sc mosaic.FeedbackScope
	if v.Org == "" {
		return sc, noFeedback()
	}
	if _, ok := FeedbackReach(v, v.Org, readers, byOrg); !ok {
		return sc, noFeedback()
	}
	sc.Drafter = v.Org
	// Of a release drafted elsewhere: a drafter that is not v's
	// organisation, whatever its name.
	f, ok := FeedbackReach(v, "", readers, byOrg)
	sc.Others, sc.Filter = ok, f
	return sc, nil
}

// MayReadFeedbackPicture returns nil when the picture is to show feedback
// to scope sc: to a reader of others' feedback, and to a drafting
// organisation once it has published a release (drafted). A partner that
// is neither has no feedback to read, and is shown no empty section that
// would tell it how the cell reads others'.
func MayReadFeedbackPicture(sc mosaic.FeedbackScope, drafted bool) error {
	if sc.Others || (sc.Drafter != "" && drafted) {
		return nil
	}
	return noFeedback()
}

func noFeedback() error {
	return mosaic.Errorf(mosaic.CodeForbidden, "recipients' feedback is read by the drafting organisation and the feedback readers")
}
