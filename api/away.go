package api

import (
	"net/http"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
)

// AwayRequest is the body of PUT /api/v1/me/away.
type AwayRequest struct {
	Until time.Time `json:"until"`
}

func (s *Server) getAway(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	a, err := s.content.Away(r.Context(), v)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

// setAway marks the liaison away (PUT) or back (DELETE).
func (s *Server) setAway(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	var until time.Time
	if r.Method == http.MethodPut {
		a := content.Access{Action: "me.away"}
		body, up, err := s.releaseBody(w, r, v, a, policy.MayMarkAway, jsonContentType)
		if err != nil {
			return err
		}
		defer up.Done()
		var req AwayRequest
		if err := decodeStrict(body, &req); err != nil {
			return s.content.Refuse(v, a, err)
		}
		if req.Until.IsZero() {
			return s.content.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "until is required: the time (RFC 3339) you are back; DELETE marks you back now"))
		}
		until = req.Until
	} else if _, err := queryParams(r); err != nil {
		return err
	}
	out, err := s.content.SetAway(r.Context(), v, until, content.Access{Action: "me.away"})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
