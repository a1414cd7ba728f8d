package api

import (
	"net/http"

	"mosaic"
	"mosaic/misp"
)

// MISPResult is the answer of POST /api/v1/misp/events: what was stored,
// and what of the event could not be mapped to STIX.
type MISPResult struct {
	mosaic.IngestResult
	// Skipped names the parts of the event not mapped to STIX, the
	// first MaxSkipped of them; SkippedCount counts them all.
	Skipped      []misp.Skip `json:"skipped"`
	SkippedCount int         `json:"skipped_count"`
}

// MaxSkipped bounds the parts an answer names: an event of a million
// unmappable attributes must not make an answer larger than the event.
const MaxSkipped = 1000

// postMISPEvent converts a MISP event to STIX 2.1 (package misp) and stores
// it like a bundle, all or nothing, under the same envelope rules.
func (s *Server) postMISPEvent(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	body, d, up, err := s.upload(w, r, v, jsonContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	if !misp.IsEvent(body) {
		return s.content.Refuse(v, ingestAccess, mosaic.Errorf(mosaic.CodeInvalid, "the body is not a MISP event (send STIX bundles to POST /api/v1/bundles)"))
	}
	res, skipped, err := s.content.ContributeMISP(r.Context(), v, body, d, ingestAccess)
	if err != nil {
		return err
	}
	out := MISPResult{IngestResult: res, Skipped: skipped, SkippedCount: len(skipped)}
	if len(out.Skipped) > MaxSkipped {
		out.Skipped = out.Skipped[:MaxSkipped]
	}
	return s.answerUpload(w, up, out)
}
