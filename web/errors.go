package web

import (
	"errors"
	"fmt"

	"mosaic"
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
	var rl *rateLimited
	switch {
	case errors.As(err, &ue):
		return p.T(ue.key, ue.args...)
	case errors.As(err, &rl):
		return p.T("error.limited", rl.retryAfter())
	case mosaic.ErrorCode(err) == mosaic.CodeInternal:
		return p.T("error.internal")
	}
	return mosaic.ErrorMessage(err)
}
