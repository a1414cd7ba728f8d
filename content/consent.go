package content

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"mosaic"
	"mosaic/policy"
	"mosaic/release"
)

// The decisions a liaison makes on a release.
const (
	DecideApprove          = "approve"
	DecideRefuse           = "refuse"
	DecideApproveSanitised = "approve-sanitised"
)

// ObjectSanitisation is how an originator lets one of its objects be
// released: sanitised, and at a level of its choosing (only the
// originator lowers; anyone raises).
type ObjectSanitisation struct {
	release.Sanitisation
	TLP mosaic.TLP `json:"tlp,omitempty"`
}

// Consent is a liaison's decision on a release.
type Consent struct {
	Revision int    `json:"revision"`
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	// Sanitise maps ids of the organisation's own objects in the release
	// to their sanitisation.
	Sanitise  map[string]ObjectSanitisation `json:"sanitise,omitempty"`
	Attribute bool                          `json:"attribute,omitempty"`
}

// Consent records v's organisation's decision on release id. v must be a
// liaison of an organisation asked, or a deputy of it while its liaisons
// are away (policy.MayConsent); it may sanitise only its own
// organisation's objects. A consent for another revision than the
// current one is CodeConflict: whatever changed, the liaison has not seen
// it.
func (s *Service) Consent(ctx context.Context, v mosaic.Viewer, id string, c Consent, a Access) (mosaic.Release, error) {
	r, err := s.consent(ctx, v, id, c, a)
	if err != nil {
		return r, s.Refuse(v, a, err)
	}
	return r, nil
}

func (s *Service) consent(ctx context.Context, v mosaic.Viewer, id string, c Consent, a Access) (mosaic.Release, error) {
	if err := s.releasesOn(); err != nil {
		return mosaic.Release{}, err
	}
	deputy, err := s.MayConsent(ctx, v)
	if err != nil {
		return mosaic.Release{}, err
	}
	sc := policy.ReleaseScopeOf(v)
	// The liaison's view: its own organisation's items only.
	r, err := s.releases.Release(ctx, sc, id)
	if err != nil {
		return r, err
	}
	if !asked(r.Consents, v.Org) {
		return r, mosaic.Errorf(mosaic.CodeNotFound, "release %s asks nothing of %s", id, v.Org)
	}
	if c.Revision != r.Revision {
		return r, mosaic.Errorf(mosaic.CodeConflict, "consent for revision %d, the release is at revision %d: read it again", c.Revision, r.Revision)
	}
	if utf8.RuneCountInString(c.Reason) > MaxReleaseReason {
		return r, mosaic.Errorf(mosaic.CodeTooLarge, "a reason has at most %d characters", MaxReleaseReason)
	}
	c.Reason = lines(c.Reason)
	if err := CheckText("reason", c.Reason, true); err != nil {
		return r, err
	}
	dec := mosaic.ReleaseConsent{Org: v.Org, Revision: c.Revision, Reason: c.Reason, Attribute: c.Attribute, DecidedBy: v.User, Deputy: deputy}
	switch c.Decision {
	case DecideApprove:
		if len(c.Sanitise) > 0 {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "decision approve takes no sanitise; use approve-sanitised")
		}
		dec.State = mosaic.ConsentApproved
	case DecideRefuse:
		if strings.TrimSpace(c.Reason) == "" {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "a refusal needs a reason")
		}
		if len(c.Sanitise) > 0 || c.Attribute {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "a refusal takes no sanitise or attribute")
		}
		dec.State = mosaic.ConsentRefused
	case DecideApproveSanitised:
		if len(c.Sanitise) == 0 {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "approve-sanitised needs sanitise: how each of your objects is to be released")
		}
		if err := s.checkSanitise(ctx, v, r, c.Sanitise); err != nil {
			return r, err
		}
		raw, err := json.Marshal(c.Sanitise)
		if err != nil {
			return r, mosaic.Internal(err, "encode sanitisation")
		}
		dec.State, dec.Sanitise = mosaic.ConsentApproved, raw
	default:
		return r, mosaic.Errorf(mosaic.CodeInvalid, "decision is %q: it is approve, refuse or approve-sanitised", c.Decision)
	}
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail(c.Decision)
	if deputy {
		e.Detail += " as deputy"
	}
	if err := s.releases.Decide(ctx, sc, id, dec, e); err != nil {
		return r, err
	}
	r, _, err = s.cellView(ctx, v, id)
	return r, err
}

func asked(cs []mosaic.ReleaseConsent, org string) bool {
	for _, c := range cs {
		if c.Org == org {
			return true
		}
	}
	return false
}

// checkSanitise checks a liaison's sanitisation against the release as
// the liaison sees it (its own organisation's items only): every id must
// be one of them, whatever else the release holds, so that the answer
// for another organisation's object is the one for an object not there.
func (s *Service) checkSanitise(ctx context.Context, v mosaic.Viewer, r mosaic.Release, san map[string]ObjectSanitisation) error {
	var probs []mosaic.Problem
	for id, os := range san {
		var it *mosaic.ReleaseItem
		for i := range r.Items {
			if strings.EqualFold(r.Items[i].ID, id) && r.Items[i].Originator == v.Org {
				it = &r.Items[i]
			}
		}
		if it == nil {
			probs = append(probs, mosaic.Problem{Object: id, Reason: "not one of " + v.Org + "'s objects in this release: a liaison sanitises only its own organisation's objects"})
			continue
		}
		if it.Role == mosaic.ItemSource && len(os.Sanitisation.Canonical()) > 2 {
			// A source is not released: only its level, which the
			// advice that relies on it carries, is the originator's to set.
			probs = append(probs, mosaic.Problem{Object: id, Reason: "a source is not released: only its tlp may be set"})
			continue
		}
		if _, err := release.Sanitise(it.Object, os.Sanitisation); err != nil {
			probs = append(probs, mosaic.Problem{Object: id, Reason: mosaic.ErrorMessage(err)})
			continue
		}
		if os.TLP != "" {
			if err := policy.MayLowerTLP(v.Org, it.Originator, it.TLP, os.TLP); err != nil {
				probs = append(probs, mosaic.Problem{Object: id, Property: "tlp", Reason: mosaic.ErrorMessage(err)})
				continue
			}
			// A level raised must still reach every recipient.
			for _, rc := range r.Recipients {
				rec, err := mosaic.ParseRecipient(rc)
				if err == nil {
					err = policy.MayRelease(os.TLP, rec)
				}
				if err != nil {
					probs = append(probs, mosaic.Problem{Object: id, Property: "tlp", Reason: mosaic.ErrorMessage(err)})
					break
				}
			}
		}
	}
	if len(probs) > 0 {
		sortProblems(probs)
		return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the sanitisation cannot be applied", Problems: probs}
	}
	return nil
}

func sortProblems(ps []mosaic.Problem) {
	slices.SortStableFunc(ps, func(a, b mosaic.Problem) int { return strings.Compare(a.Object, b.Object) })
}

// consentsOf reads the sanitisations and attributions of a release's
// approvals: by object id, each originator's.
func consentsOf(r mosaic.Release) (san map[string]map[string]ObjectSanitisation, attribute map[string]bool, err error) {
	san, attribute = map[string]map[string]ObjectSanitisation{}, map[string]bool{}
	for _, c := range r.Consents {
		attribute[c.Org] = c.Attribute
		if len(c.Sanitise) == 0 || bytes.Equal(c.Sanitise, []byte("null")) {
			continue
		}
		var m map[string]ObjectSanitisation
		if err := json.Unmarshal(c.Sanitise, &m); err != nil {
			return nil, nil, mosaic.Internal(err, "decode a consent's sanitisation")
		}
		for id, os := range m {
			id = strings.ToLower(id)
			if san[id] == nil {
				san[id] = map[string]ObjectSanitisation{}
			}
			san[id][c.Org] = os
		}
	}
	return san, attribute, nil
}
