package api

import (
	"net/http"
	"strconv"

	"mosaic"
	"mosaic/content"
)

// RequestPage is the answer of GET /api/v1/requests.
type RequestPage struct {
	Requests []mosaic.ChangeRequest `json:"requests"`
}

func (s *Server) listRequests(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "pending")
	if err != nil {
		return err
	}
	pending, err := boolParam(q, "pending")
	if err != nil {
		return err
	}
	rs, err := s.approvals.Requests(r.Context(), v, pending != nil && *pending)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, RequestPage{Requests: rs})
}

func requestID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, mosaic.Errorf(mosaic.CodeInvalid, "request id must be a positive number")
	}
	return id, nil
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := requestID(r)
	if err != nil {
		return err
	}
	req, err := s.approvals.Request(r.Context(), v, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, req)
}

// Decision is the body of POST /api/v1/requests/{id}/refuse (and, without
// a reason, of approve).
type Decision struct {
	Reason string `json:"reason"`
}

// Decided is the answer to a decision: the request as decided and, when
// the approved change made one, the one-time code with which the user
// sets a password. It is shown this once, to the approver, who hands it
// to the user.
type Decided struct {
	Request mosaic.ChangeRequest `json:"request"`
	Code    string               `json:"code,omitempty"`
}

func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.decide(w, r, v, true)
}

func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.decide(w, r, v, false)
}

func (s *Server) decide(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, approve bool) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := requestID(r)
	if err != nil {
		return err
	}
	var d Decision
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &d); err != nil {
			return err
		}
	}
	req, code, err := s.approvals.Decide(r.Context(), v, id, approve, d.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Decided{Request: req, Code: code})
}

// PasswordRequest is the body of POST /api/v1/password: a user sets a
// password with a one-time code.
type PasswordRequest struct {
	User     string `json:"user"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// setPassword sets a password with a one-time code. It needs no
// credentials (the code is one), and counts failures against the client's
// address like failed authentications.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	var req PasswordRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	err := s.gate.Attempt(r, func() error { return s.approvals.Redeem(r.Context(), req.User, req.Code, req.Password) })
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeUnauth {
			_ = s.content.Audit(mosaic.Viewer{User: auditName(req.User)}, content.Access{Action: "users.password", Detail: "a one-time code refused"}, nil, mosaic.Denied)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditName bounds what a client typed as a user name before it goes into
// the audit log.
func auditName(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	return strconv.Quote(name)[1 : len(strconv.Quote(name))-1]
}
