package content

import (
	"context"
	"time"

	"mosaic"
	"mosaic/policy"
)

// Away is a liaison's own away mark: until when it is away, zero when it
// is not.
type Away struct {
	Until time.Time `json:"until,omitzero"`
}

// MinAway is the shortest time away a liaison may mark: less is no
// absence a deputy must cover.
const MinAway = time.Hour

// Away returns v's own away mark; one whose time has passed is none.
func (s *Service) Away(ctx context.Context, v mosaic.Viewer) (Away, error) {
	if err := s.releasesOn(); err != nil {
		return Away{}, err
	}
	if err := policy.MayMarkAway(v); err != nil {
		return Away{}, err
	}
	ls, err := s.releases.Liaisons(ctx, v.Org)
	if err != nil {
		return Away{}, err
	}
	for _, l := range ls {
		if l.User == v.User && l.Away(s.clock.Now()) {
			return Away{Until: l.AwayUntil}, nil
		}
	}
	return Away{}, nil
}

// SetAway marks v, a liaison, away until until (from MinAway to
// mosaic.MaxAway from now, to the second), or back when until is zero.
// While every liaison of its organisation is away, the organisation's
// configured deputies decide its consents.
func (s *Service) SetAway(ctx context.Context, v mosaic.Viewer, until time.Time, a Access) (Away, error) {
	w, err := s.setAway(ctx, v, until, a)
	if err != nil {
		return w, s.Refuse(v, a, err)
	}
	return w, nil
}

func (s *Service) setAway(ctx context.Context, v mosaic.Viewer, until time.Time, a Access) (Away, error) {
	if err := s.releasesOn(); err != nil {
		return Away{}, err
	}
	if err := policy.MayMarkAway(v); err != nil {
		return Away{}, err
	}
	now := s.clock.Now()
	detail := "back"
	if !until.IsZero() {
		until = until.UTC().Truncate(time.Second)
		if until.Before(now.Add(MinAway)) || until.After(now.Add(mosaic.MaxAway)) {
			return Away{}, mosaic.Errorf(mosaic.CodeInvalid, "away until %s: a liaison is away from %s to %d days from now", until.Format(time.RFC3339), MinAway, mosaic.MaxAway/(24*time.Hour))
		}
		detail = "away until " + until.Format(time.RFC3339)
	}
	e := mosaic.NewAuditEntry(v, now, a.Action)
	e.Detail = a.detail(detail)
	if err := s.releases.SetAway(ctx, v.User, until, e); err != nil {
		return Away{}, err
	}
	return Away{Until: until}, nil
}

// MightConsent returns nil when v may ever decide its organisation's
// consents: a liaison, or a configured deputy. It reads nothing, for a
// door to check before it reads a request.
func (s *Service) MightConsent(v mosaic.Viewer) error {
	if err := s.releasesOn(); err != nil {
		return err
	}
	return policy.MightConsent(v, s.releaseCfg.Deputies)
}

// MayConsent returns nil when v may decide its organisation's consents
// now, and whether it would decide them as a deputy (policy.MayConsent).
func (s *Service) MayConsent(ctx context.Context, v mosaic.Viewer) (deputy bool, err error) {
	if err := s.MightConsent(v); err != nil {
		return false, err
	}
	var ls []mosaic.LiaisonAway
	if s.releaseCfg.Deputies.Deputy(v) {
		// Only a deputy's answer depends on the liaisons: a liaison's
		// costs no read.
		if ls, err = s.releases.Liaisons(ctx, v.Org); err != nil {
			return false, err
		}
	}
	return policy.MayConsent(v, s.releaseCfg.Deputies, ls, s.clock.Now())
}
