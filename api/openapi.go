package api

import (
	_ "embed"
	"net/http"
	"strconv"

	"mosaic"
)

// openAPIDoc describes exactly the routes of Server.routes; a test keeps the
// two in step.
//
//go:embed openapi.json
var openAPIDoc []byte

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPIDoc)))
	_, _ = w.Write(openAPIDoc)
	return nil
}
