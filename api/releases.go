package api

import (
	"net/http"

	"mosaic"
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
