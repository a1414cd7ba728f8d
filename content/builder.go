package content

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"

	"mosaic"
	"mosaic/policy"
)

// Recipient is one entry of the recipient directory: whom a release may
// be addressed to.
type Recipient struct {
	Recipient string `json:"recipient"` // as a release names it: org:NAME, sector:NAME, public
	Name      string `json:"name,omitempty"`
	Kind      string `json:"kind"` // stakeholder, partner, sector or public
}

// Recipients lists whom v may address a release to: the public, the
// sectors that have stakeholder organisations, and the stakeholder and
// partner organisations, by name and full name only (not their sectors,
// contacts or identities: a drafter needs none of it, and a sector's
// entry does not say who is in it). Users are named by the drafter, who
// knows whom to tell.
func (s *Service) Recipients(ctx context.Context, v mosaic.Viewer, a Access) ([]Recipient, error) {
	if err := policy.MayDraftRelease(v); err != nil {
		return nil, s.Refuse(v, a, err)
	}
	orgs, err := s.store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	out := []Recipient{{Recipient: string(mosaic.RecipientPublic), Kind: string(mosaic.RecipientPublic)}}
	sectors := map[string]bool{}
	var named []Recipient
	for _, o := range orgs {
		if !policy.MayReceiveReleases(o.Kind) {
			continue
		}
		named = append(named, Recipient{Recipient: mosaic.Recipient{Kind: mosaic.RecipientOrg, Name: o.Name}.String(), Name: o.FullName, Kind: string(o.Kind)})
		if o.Kind == mosaic.Stakeholder {
			for _, sec := range o.Sectors {
				sectors[sec] = true
			}
		}
	}
	for _, sec := range slices.Sorted(maps.Keys(sectors)) {
		out = append(out, Recipient{Recipient: mosaic.Recipient{Kind: mosaic.RecipientSector, Name: sec}.String(), Kind: string(mosaic.RecipientSector)})
	}
	slices.SortFunc(named, func(a, b Recipient) int { return strings.Compare(a.Recipient, b.Recipient) })
	out = append(out, named...)
	if err := s.Audit(v, a, nil, mosaic.Allowed); err != nil {
		return nil, err
	}
	return out, nil
}

// DraftCheck is what a draft would be, checked as drafting it checks it
// but not stored: the level it would have, the organisations it would
// ask, and the rules it breaks, each naming the object and recipient.
type DraftCheck struct {
	TLP      mosaic.TLP `json:"tlp,omitempty"`
	Consents []string   `json:"consents,omitempty"`
	// Items are the contributions the pins name as v sees them, when
	// they could be read.
	Items    []mosaic.ReleaseItem `json:"-"`
	Problems []mosaic.Problem     `json:"problems,omitempty"`
	// Message says what is wrong when the draft cannot be made; empty
	// when it can.
	Message string `json:"message,omitempty"`
}

// CheckDraft checks d for v as DraftRelease would, without storing it or
// asking anyone: the release builder shows the answer while the drafter
// edits. A draft that breaks a rule is an answer, not an error; errors
// are those of the store, of the audit, and of a viewer who may not
// draft.
func (s *Service) CheckDraft(ctx context.Context, v mosaic.Viewer, d Draft, a Access) (DraftCheck, error) {
	if err := s.releasesOn(); err != nil {
		return DraftCheck{}, err
	}
	if err := policy.MayDraftRelease(v); err != nil {
		return DraftCheck{}, s.Refuse(v, a, err)
	}
	// The items are read first, as the draft would read them, so that
	// a draft without its title yet still shows what it holds.
	var c DraftCheck
	objects, err := s.pinned(ctx, v, d.Objects, mosaic.ItemObject)
	if err == nil {
		var sources []mosaic.ReleaseItem
		if sources, err = s.pinned(ctx, v, d.Sources, mosaic.ItemSource); err == nil {
			c.Items = append(objects, sources...)
		}
	}
	var r mosaic.Release
	if err == nil {
		r, err = s.drafted(ctx, v, d, a)
	}
	switch code := mosaic.ErrorCode(err); {
	case err == nil:
		c.TLP = r.TLP
		for _, rc := range r.Consents {
			c.Consents = append(c.Consents, rc.Org)
		}
	case code == mosaic.CodeInvalid || code == mosaic.CodeTooLarge || code == mosaic.CodeNotFound:
		c.Message = mosaic.ErrorMessage(err)
		var me *mosaic.Error
		if errors.As(err, &me) {
			c.Problems = me.Problems
		}
	default:
		return c, err
	}
	// The check reads what v sees, as a draft does: the objects it
	// showed are audited as read, the pins it found nothing for as not
	// found, as every read path records them.
	shown := map[string]bool{}
	var read, missing []string
	for _, it := range c.Items {
		if k := strings.ToLower(it.ID); !shown[k] {
			shown[k] = true
			read = append(read, it.ID)
		}
	}
	for _, p := range append(slices.Clone(d.Objects), d.Sources...) {
		if k := strings.ToLower(p.ID); !shown[k] {
			shown[k] = true
			missing = append(missing, p.ID)
		}
	}
	if len(read) > 0 || len(missing) == 0 {
		if err := s.read(v, a, read, mosaic.Allowed); err != nil {
			return DraftCheck{}, err
		}
	}
	if len(missing) > 0 {
		if err := s.read(v, a, missing, mosaic.NotFound); err != nil {
			return DraftCheck{}, err
		}
	}
	return c, nil
}

// Preview is what one recipient of a release would get if it were
// published now: the objects sanitised as the consents given so far
// say, stripped of their sources and their originators (unless one
// allowed attribution), under the cell's name. Pending names the
// organisations whose consent is not in yet: theirs may still change it.
type Preview struct {
	Recipient string
	Title     string
	Advice    string
	AdviceNL  string
	TLP       mosaic.TLP
	Bundle    json.RawMessage
	Pending   []string
	// Problems is why the release could not be published as it stands;
	// Bundle is then empty.
	Problems []mosaic.Problem
	Message  string
}

// PreviewRelease shows v what recipient would get of release id,
// published now. Only those who may publish it (its drafting
// organisation's members who see every object of it) preview it; the
// recipient is one of its recipients as written. Nothing is stored or
// signed for anyone.
func (s *Service) PreviewRelease(ctx context.Context, v mosaic.Viewer, id, recipient string, a Access) (Preview, error) {
	p, err := s.previewRelease(ctx, v, id, recipient)
	if err != nil {
		return p, s.Refuse(v, a, err)
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return Preview{}, err
	}
	return p, nil
}

func (s *Service) previewRelease(ctx context.Context, v mosaic.Viewer, id, recipient string) (Preview, error) {
	if err := s.releasesOn(); err != nil {
		return Preview{}, err
	}
	if err := policy.MayDraftRelease(v); err != nil {
		return Preview{}, err
	}
	r, complete, err := s.cellView(ctx, v, id)
	if err != nil {
		return Preview{}, err
	}
	if err := mayManage(v, r, complete); err != nil {
		return Preview{}, err
	}
	if r.State == mosaic.ReleasePublished || r.State == mosaic.ReleaseWithdrawn {
		return Preview{}, mosaic.Errorf(mosaic.CodeConflict, "release %s is %s: its recipients' snapshots are what was published", id, r.State)
	}
	// A recipient as the release names it: a sector is previewed as
	// the sector, since every organisation in it gets the same, and the
	// directory does not tell drafters who is in one.
	if !slices.Contains(r.Recipients, recipient) {
		return Preview{}, mosaic.Errorf(mosaic.CodeInvalid, "%s is not a recipient of release %s", recipient, id)
	}
	p := Preview{Recipient: recipient, Title: r.Title, Advice: r.Advice, AdviceNL: r.AdviceNL}
	// What is pending counts as drafted: seal applies the sanitisations
	// of the consents given, whatever the state, and signs for nobody
	// but the preview.
	for _, c := range r.Consents {
		if c.State != mosaic.ConsentApproved {
			p.Pending = append(p.Pending, c.Org)
		}
	}
	pub, err := s.seal(ctx, r)
	switch code := mosaic.ErrorCode(err); {
	case err == nil:
		p.TLP, p.Bundle = pub.TLP, pub.Bundle
	case code == mosaic.CodeInvalid || code == mosaic.CodeConflict:
		p.Message = mosaic.ErrorMessage(err)
		var me *mosaic.Error
		if errors.As(err, &me) {
			p.Problems = me.Problems
		}
	default:
		return Preview{}, err
	}
	return p, nil
}
