package content

import (
	"context"

	"mosaic"
	"mosaic/misp"
	"mosaic/policy"
	"mosaic/stix"
)

// MayContribute returns nil when v may contribute content, and otherwise
// audits the refusal as a and returns it: a door asks before it reads an
// upload's body.
func (s *Service) MayContribute(v mosaic.Viewer, a Access) error {
	return s.Refuse(v, a, policy.MayContribute(v))
}

// Contribute stores a STIX bundle for v's organisation, all or nothing,
// under the batch's envelope defaults d (see package ingest). The store
// audits what it stores in the same transaction; a refusal is audited
// here, as a. It returns the counts and the ids of the bundle's objects.
// Errors: CodeForbidden (v may not contribute), CodeInvalid with every
// problem, CodeTooLarge, CodeConflict.
func (s *Service) Contribute(ctx context.Context, v mosaic.Viewer, bundle []byte, d mosaic.EnvelopeDefaults, a Access) (mosaic.IngestResult, []string, error) {
	res, ids, err := s.ingest.Bundle(ctx, v, bundle, d)
	return res, ids, s.Refuse(v, a, err)
}

// ContributeObjects stores decoded objects as Contribute stores a bundle's.
func (s *Service) ContributeObjects(ctx context.Context, v mosaic.Viewer, objs []stix.Object, d mosaic.EnvelopeDefaults, a Access) (mosaic.IngestResult, error) {
	res, _, err := s.ingest.Objects(ctx, v, objs, d)
	return res, s.Refuse(v, a, err)
}

// ContributeMISP converts a MISP event to STIX 2.1 (package misp) and
// stores it as Contribute stores a bundle. It returns what of the event
// could not be mapped to STIX, which is listed, never dropped silently.
func (s *Service) ContributeMISP(ctx context.Context, v mosaic.Viewer, event []byte, d mosaic.EnvelopeDefaults, a Access) (mosaic.IngestResult, []misp.Skip, error) {
	if err := s.MayContribute(v, a); err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	if !misp.IsEvent(event) {
		return mosaic.IngestResult{}, nil, s.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "the body is not a MISP event"))
	}
	conv, err := misp.ToSTIX(event)
	if err != nil {
		return mosaic.IngestResult{}, nil, s.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "%s", err.Error()))
	}
	res, _, err := s.Contribute(ctx, v, stix.Bundle(conv.Objects), d, a)
	if err != nil {
		return res, nil, err
	}
	skipped := conv.Skipped
	if skipped == nil {
		skipped = []misp.Skip{}
	}
	return res, skipped, nil
}
