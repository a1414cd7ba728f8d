package problem

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mosaic"
)

func TestWrite(t *testing.T) {
	for _, tc := range []struct {
		err     error
		auth    string
		status  int
		headers map[string]string
	}{
		{mosaic.Errorf(mosaic.CodeNotFound, "object x not found"), "", 404, nil},
		{mosaic.Errorf(mosaic.CodeUnauth, "send a token"), "", 401, map[string]string{"WWW-Authenticate": `Bearer realm="mosaic"`}},
		{mosaic.Errorf(mosaic.CodeUnauth, "token expired"), "Bearer x", 401, map[string]string{"WWW-Authenticate": `Bearer realm="mosaic", error="invalid_token"`}},
		{mosaic.RateLimited(2500*time.Millisecond, "slow down"), "", 429, map[string]string{"Retry-After": "3"}},
		{mosaic.Errorf(mosaic.CodeRateLimited, "slow down"), "", 429, map[string]string{"Retry-After": "1"}},
		{mosaic.Errorf(mosaic.CodeTooLarge, "too big"), "", 413, map[string]string{"Connection": "close"}},
		// An error without a code is internal, and its text is not sent.
		{errors.New("disk on fire at /var/lib"), "", 500, nil},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		if got := Write(w, r, tc.err); got != tc.status || w.Code != tc.status {
			t.Errorf("%v: status %d/%d, want %d", tc.err, got, w.Code, tc.status)
		}
		for k, v := range tc.headers {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%v: %s = %q, want %q", tc.err, k, got, v)
			}
		}
		var d Details
		if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || d.Status != tc.status || !strings.HasPrefix(d.Type, TypeBase) || d.Title == "" {
			t.Errorf("%v: body %s", tc.err, w.Body)
		}
		if w.Header().Get("Content-Type") != "application/problem+json" || strings.Contains(w.Body.String(), "/var/lib") {
			t.Errorf("%v: %v %s", tc.err, w.Header(), w.Body)
		}
	}
}

func TestProblemsAreCapped(t *testing.T) {
	ps := make([]mosaic.Problem, MaxProblems+5)
	for i := range ps {
		ps[i] = mosaic.Problem{Object: fmt.Sprint(i), Reason: "bad"}
	}
	d := Of(&mosaic.Error{Code: mosaic.CodeInvalid, Message: "bad bundle", Problems: ps})
	if len(d.Problems) != MaxProblems || !strings.Contains(d.Detail, fmt.Sprintf("the first %d of %d", MaxProblems, MaxProblems+5)) {
		t.Errorf("%d problems, detail %q", len(d.Problems), d.Detail)
	}
}

func TestEveryCodeHasAStatus(t *testing.T) {
	if len(statusOf) != len(mosaic.Codes) {
		t.Errorf("%d codes have a status, of %d codes", len(statusOf), len(mosaic.Codes))
	}
	for _, code := range mosaic.Codes {
		if s, title := Status(code); s < 400 || title == "" {
			t.Errorf("%s: %d %q", code, s, title)
		}
	}
	if s, _ := Status("no-such-code"); s != 500 {
		t.Errorf("unknown code: %d", s)
	}
}
