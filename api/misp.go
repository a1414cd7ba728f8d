package api

import (
	"net/http"

	"mosaic"
	"mosaic/misp"
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
	return s.auditRefusal(v, s.ingestMISP(w, r, v))
}

func (s *Server) ingestMISP(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	body, p, done, err := s.upload(w, r, v, jsonContentType)
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
