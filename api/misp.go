package api

import (
	"net/http"

	"mosaic"
	"mosaic/misp"
	"mosaic/policy"
	"mosaic/stix"
)

// MISPResult is the answer of POST /api/v1/misp/events: what was stored,
// and what of the event could not be mapped to STIX.
type MISPResult struct {
	mosaic.IngestResult
	Skipped []misp.Skip `json:"skipped"`
}

// postMISPEvent converts a MISP event to STIX 2.1 (package misp) and stores
// it like a bundle, all or nothing, under the same envelope rules.
func (s *Server) postMISPEvent(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	err := s.ingestMISP(w, r, v)
	if err != nil {
		d := mosaic.Failed
		if mosaic.ErrorCode(err) == mosaic.CodeForbidden {
			d = mosaic.Denied
		}
		_ = s.recordRead(v, "objects.ingest", nil, d, mosaic.ErrorMessage(err))
	}
	return err
}

func (s *Server) ingestMISP(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if err := policy.MayContribute(v); err != nil {
		return err
	}
	if err := jsonContentType(r); err != nil {
		return err
	}
	p, err := envelopeParams(r)
	if err != nil {
		return err
	}
	if r.ContentLength > s.limits.MaxBodyBytes {
		return s.tooLarge(r.ContentLength)
	}
	body, done, err := s.readUpload(w, r)
	if err != nil {
		return err
	}
	defer done()
	if !misp.IsEvent(body) {
		return mosaic.Errorf(mosaic.CodeInvalid, "the body is not a MISP event (send STIX bundles to POST /api/v1/bundles)")
	}
	conv, err := misp.ToSTIX(body)
	if err != nil {
		return mosaic.Errorf(mosaic.CodeInvalid, "%s", err.Error())
	}
	res, _, err := s.ingest.Bundle(r.Context(), v, stix.Bundle(conv.Objects), p)
	if err != nil {
		return err
	}
	skipped := conv.Skipped
	if skipped == nil {
		skipped = []misp.Skip{}
	}
	writeJSON(w, http.StatusCreated, MISPResult{IngestResult: res, Skipped: skipped})
	return nil
}
