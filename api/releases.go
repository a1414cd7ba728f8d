package api

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/release"
)

// ReleaseKeys is the answer of GET /api/v1/releases/keys.
type ReleaseKeys struct {
	Keys []release.PublicKey `json:"keys"`
}

// releaseKeys publishes the release signing keys' public halves, oldest
// first, to anyone: a recipient pins them (mosaic release pin) after
// checking an id with the cell, and verifies snapshots offline.
func (s *Server) releaseKeys(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	if s.limits.ReleaseKeys == nil {
		return mosaic.Errorf(mosaic.CodeNotFound, "this server makes no releases")
	}
	return writeJSON(w, http.StatusOK, ReleaseKeys{Keys: s.limits.ReleaseKeys})
}

// Recipient is an entry of the recipient directory: what a drafter needs
// to address a release, and nothing more.
type Recipient struct {
	Recipient string `json:"recipient"` // as a release names it: org:NAME, sector:NAME, public
	Name      string `json:"name,omitempty"`
	Kind      string `json:"kind"` // stakeholder, partner, sector or public
}

// Recipients is the answer of GET /api/v1/recipients.
type Recipients struct {
	Recipients []Recipient `json:"recipients"`
}

// recipients lists whom a release may be addressed to: the public, the
// sectors that have stakeholder organisations, and the stakeholder and
// partner organisations, by name and full name only (not their sectors,
// contacts or identities: a drafter needs none of it, and a sector's
// entry does not say who is in it). Users are named by the drafter, who
// knows whom to tell.
func (s *Server) recipients(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a := content.Access{Action: "recipients.read"}
	if err := policy.MayDraftRelease(v); err != nil {
		return s.content.Refuse(v, a, err)
	}
	if _, err := queryParams(r); err != nil {
		return err
	}
	orgs, err := s.store.Orgs(r.Context())
	if err != nil {
		return err
	}
	out := Recipients{Recipients: []Recipient{{Recipient: string(mosaic.RecipientPublic), Kind: string(mosaic.RecipientPublic)}}}
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
		out.Recipients = append(out.Recipients, Recipient{Recipient: mosaic.Recipient{Kind: mosaic.RecipientSector, Name: sec}.String(), Kind: string(mosaic.RecipientSector)})
	}
	slices.SortFunc(named, func(a, b Recipient) int { return strings.Compare(a.Recipient, b.Recipient) })
	out.Recipients = append(out.Recipients, named...)
	if err := s.content.Audit(v, a, nil, mosaic.Allowed); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
