package web

import (
	"errors"
	"fmt"
	"net/http"

	"mosaic"
	"mosaic/problem"
)

// uiError is an error the UI itself makes, with a message in every
// language: the error page shows it in the reader's, while logs and the
// code that maps it to a status see the English one.
type uiError struct {
	code mosaic.Code
	key  string
	args []any
}

// uiErr returns an error of code whose message is messages' key.
func uiErr(code mosaic.Code, key string, args ...any) error {
	return &uiError{code: code, key: key, args: args}
}

func (e *uiError) Error() string { return fmt.Sprintf(messages["en"][e.key], e.args...) }

func (e *uiError) Unwrap() error { return mosaic.Errorf(e.code, "%s", e.Error()) }

// message is err's message for a reader of lang: the UI's own errors in
// that language, the store's and other packages' as they are (in English).
func message(p *page, err error) string {
	var ue *uiError
	var e *mosaic.Error
	switch {
	case errors.As(err, &ue):
		return p.T(ue.key, ue.args...)
	case mosaic.ErrorCode(err) == mosaic.CodeRateLimited && errors.As(err, &e):
		return p.T("error.limited", e.RetryAfter())
	case mosaic.ErrorCode(err) == mosaic.CodeInternal:
		return p.T("error.internal")
	}
	return mosaic.ErrorMessage(err)
}

// fail renders err as an error page, with the status package problem
// gives its code. Package middleware has logged an internal cause; the
// page never shows it.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	q := requestOf(r)
	code := problem.Code(err)
	status, _ := problem.Status(code)
	var e *mosaic.Error
	if code == mosaic.CodeRateLimited && errors.As(err, &e) {
		w.Header().Set("Retry-After", e.RetryAfter())
	}
	p := s.newPage(q, "error")
	p.Title = p.T("error.title." + string(code))
	p.Data = errorView{Code: string(code), Message: message(p, err), RequestID: q.id}
	s.render(w, status, "error", p)
}

type errorView struct {
	Code, Message, RequestID string
}
