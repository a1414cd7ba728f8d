package web

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/approval"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/policy"
)

// MaxDecidedRequests is how many decided (or expired) requests the
// requests page lists after the pending ones, newest first.
const MaxDecidedRequests = 100

// requestRow is one change request as the requests page shows it.
type requestRow struct {
	mosaic.ChangeRequest
	MayDecide bool      // the viewer may approve or refuse it
	When      time.Time // when it was decided, or when it expired
}

type requestsView struct {
	Pending, Decided      []requestRow
	MaxDecided, MaxReason int
}

// requestsPage lists the change requests the viewer may see: every
// pending one first, with the buttons to decide it when the viewer may,
// then the latest decided ones. An approver sees those of its
// organisation, an admin all of them, anyone else those they asked for.
func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	pending, err := s.approvals.Requests(r.Context(), q.viewer, true)
	if err != nil {
		return err
	}
	// Read apart, so that however many decided requests there are, no
	// pending one falls off the end of the list.
	all, err := s.approvals.Requests(r.Context(), q.viewer, false)
	if err != nil {
		return err
	}
	v := requestsView{MaxDecided: MaxDecidedRequests, MaxReason: approval.MaxReason}
	listed := map[int64]bool{}
	for _, cr := range pending {
		listed[cr.ID] = true
		v.Pending = append(v.Pending, requestRow{ChangeRequest: cr, MayDecide: policy.MayDecide(q.viewer, cr) == nil})
	}
	for _, cr := range all {
		// One asked for between the two reads is pending still: it shows
		// on the next load, where it belongs.
		if cr.Status == mosaic.RequestPending || listed[cr.ID] {
			continue
		}
		if len(v.Decided) == MaxDecidedRequests {
			break
		}
		row := requestRow{ChangeRequest: cr, When: cr.Expires}
		if cr.Decided != nil {
			row.When = *cr.Decided
		}
		v.Decided = append(v.Decided, row)
	}
	p := s.newPage(q, "requests")
	p.Title = p.T("requests.title")
	p.Data = v
	s.render(w, http.StatusOK, "requests", p)
	return nil
}

func (s *Server) approveRequest(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.decide(w, r, q, true)
}

func (s *Server) refuseRequest(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.decide(w, r, q, false)
}

// decidedView is the answer to an approval that made a one-time code.
type decidedView struct {
	Request mosaic.ChangeRequest
	Code    string // in groups, to be read out
	Hours   int
	Until   time.Time
}

// decide approves or refuses a request. The service asks policy; a
// request the viewer may not see is not found, exactly as one that does
// not exist. A one-time code the approval made is shown on this answer
// only: it goes into no redirect, cookie or log, and the request keeps
// only its hash, so a reload of the requests page does not show it.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, q *request, approve bool) error {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return uiErr(mosaic.CodeNotFound, "requests.notfound", raw)
	}
	// Asked first so that "not found" is said in the reader's language,
	// while what the decision itself finds missing (a compartment deleted
	// meanwhile) keeps its own message.
	if _, err := s.approvals.Request(r.Context(), q.viewer, id); mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		return uiErr(mosaic.CodeNotFound, "requests.notfound", raw)
	} else if err != nil {
		return err
	}
	reason := ""
	if !approve {
		reason = strings.TrimSpace(r.PostFormValue("reason"))
		if len(reason) > approval.MaxReason {
			return uiErr(mosaic.CodeInvalid, "requests.reason.long", approval.MaxReason)
		}
	}
	cr, code, err := s.approvals.Decide(r.Context(), q.viewer, id, approve, reason)
	if err != nil {
		return err
	}
	if code == "" {
		http.Redirect(w, r, "/requests#request-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return nil
	}
	until := s.clock.Now()
	if cr.Decided != nil {
		until = *cr.Decided
	}
	p := s.newPage(q, "requests")
	p.Title = p.T("requests.approved", cr.ID)
	p.Data = decidedView{Request: cr, Code: groupCode(code), Hours: int(mosaic.PasswordCodeLifetime / time.Hour),
		Until: until.Add(mosaic.PasswordCodeLifetime)}
	s.render(w, http.StatusOK, "decided", p)
	return nil
}

// groupCode writes a code in groups of four, the way it is read out and
// typed; the service ignores the spaces.
func groupCode(code string) string {
	var b strings.Builder
	for i, c := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

type passwordView struct {
	User, CSRF, Error string
	Errors            map[string][]string
	Done              bool
	Min, Max, Hours   int
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, q *request) error {
	s.renderPassword(w, r, q, http.StatusOK, passwordView{})
	return nil
}

// renderPassword shows the form that sets a password with a one-time
// code. It needs no session: a browser that has one carries the
// session's token, which wrap checks; any other a token checked against a
// cookie of its own, as the sign-in form does.
func (s *Server) renderPassword(w http.ResponseWriter, r *http.Request, q *request, status int, v passwordView) {
	if q.viewer.User != "" {
		v.CSRF = q.session.CSRF
	} else if !v.Done {
		v.CSRF = s.loginToken(w, r)
	}
	v.Min, v.Max, v.Hours = approval.MinPasswordLength, credential.MaxPasswordBytes, int(mosaic.PasswordCodeLifetime/time.Hour)
	p := s.newPage(q, "password")
	p.Title = p.T("password.title")
	p.Data = v
	s.render(w, status, "password", p)
}

// clientHost is the address failures are counted against.
func clientHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// setPassword sets a password with a one-time code. Failed codes are
// limited and audited as failed sign-ins are, in limits of their own; the
// code is never shown back, logged or recorded.
func (s *Server) setPassword(w http.ResponseWriter, r *http.Request, q *request) error {
	name := strings.TrimSpace(r.PostFormValue("user"))
	password := r.PostFormValue("password")
	v := passwordView{User: name, Errors: map[string][]string{}}
	if q.viewer.User == "" {
		c, err := r.Cookie(s.loginCookie())
		if err != nil || !equalTokens(c.Value, r.PostFormValue("csrf")) {
			v.Error = "password.expired"
			s.renderPassword(w, r, q, http.StatusForbidden, v)
			return nil
		}
	}
	// Problems of the new password are the user's to fix and cost no
	// attempt: the code is not looked at.
	switch {
	case len(password) < approval.MinPasswordLength || len(password) > credential.MaxPasswordBytes:
		v.Errors["password"] = append(v.Errors["password"], q.t("password.length", approval.MinPasswordLength, credential.MaxPasswordBytes))
	case password != r.PostFormValue("repeat"):
		v.Errors["repeat"] = append(v.Errors["repeat"], q.t("password.mismatch"))
	}
	if len(v.Errors) > 0 {
		s.renderPassword(w, r, q, http.StatusBadRequest, v)
		return nil
	}
	if len(name) > 200 {
		// As at sign-in: no user name is this long, and the limits key
		// on it.
		name = name[:200]
	}
	host := clientHost(r)
	// Counted before the code is checked, so that parallel attempts are
	// all counted; a right code gives the tokens back.
	now := s.clock.Now()
	res, wait := s.codeLimits.reserve(host, name, now)
	if wait > 0 {
		if n := s.codeLimits.refused(host, name, now); n > 0 {
			a := content.Access{Action: "users.password", Detail: fmt.Sprintf("%d one-time code attempts refused for too many failures from %s since the previous such entry", n, host)}
			if err := s.content.Audit(mosaic.Viewer{User: auditName(name)}, a, nil, mosaic.Denied); err != nil {
				return err
			}
		}
		v.Error = "password.limited"
		w.Header().Set("Retry-After", mosaic.RateLimited(wait, "too many failed one-time codes").RetryAfter())
		s.renderPassword(w, r, q, http.StatusTooManyRequests, v)
		return nil
	}
	err := s.approvals.Redeem(r.Context(), name, r.PostFormValue("code"), password)
	switch mosaic.ErrorCode(err) {
	case "":
		res.release(s.clock.Now())
		s.renderPassword(w, r, q, http.StatusOK, passwordView{Done: true})
		return nil
	case mosaic.CodeUnauth:
		a := content.Access{Action: "users.password", Detail: "a one-time code refused from " + host}
		if err := s.content.Audit(mosaic.Viewer{User: auditName(name)}, a, nil, mosaic.Denied); err != nil {
			return err
		}
		v.Error = "password.failed"
		s.renderPassword(w, r, q, http.StatusUnauthorized, v)
		return nil
	}
	// Nothing was learnt about the code.
	res.release(s.clock.Now())
	return err
}
