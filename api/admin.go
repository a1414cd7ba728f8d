package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"

	"mosaic"
	"mosaic/approval"
	"mosaic/config"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/policy"
)

// admin checks that v administers and the query is empty, and returns the
// audit entry for the change.
func (s *Server) admin(r *http.Request, v mosaic.Viewer, action string) (mosaic.AuditEntry, error) {
	if err := policy.MayAdminister(v); err != nil {
		return mosaic.AuditEntry{}, err
	}
	if _, err := queryParams(r); err != nil {
		return mosaic.AuditEntry{}, err
	}
	return mosaic.NewAuditEntry(v, s.clock.Now(), action), nil
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	orgs, err := s.store.Orgs(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": orgs})
	return nil
}

// OrgRequest creates or changes an organisation.
type OrgRequest struct {
	Name            string           `json:"name"`
	FullName        *string          `json:"full_name"`
	Kind            mosaic.OrgKind   `json:"kind"`
	LegalRegime     string           `json:"legal_regime"`
	Sectors         *[]string        `json:"sectors"`
	Contact         *string          `json:"contact"`
	DefaultAudience *mosaic.Audience `json:"default_audience"`
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a, err := s.admin(r, v, "orgs.create")
	if err != nil {
		return err
	}
	var req OrgRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Kind == mosaic.Partner {
		if !slices.Contains(s.content.LegalBases(), req.LegalRegime) {
			return mosaic.Errorf(mosaic.CodeInvalid, "legal_regime %q is not one of the configured legal bases", req.LegalRegime)
		}
	}
	o := mosaic.Organisation{Name: req.Name, Kind: req.Kind, LegalRegime: req.LegalRegime}
	applyOrg(&o, req)
	a.Detail = "org " + o.Name
	if err := s.store.CreateOrg(r.Context(), &o, a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, o)
	return nil
}

func applyOrg(o *mosaic.Organisation, req OrgRequest) {
	if req.FullName != nil {
		o.FullName = *req.FullName
	}
	if req.Sectors != nil {
		o.Sectors = *req.Sectors
	}
	if req.Contact != nil {
		o.Contact = *req.Contact
	}
	if req.DefaultAudience != nil {
		o.DefaultAudience = *req.DefaultAudience
	}
}

// adminGet answers an admin's GET of one named thing.
func adminGet[T any](s *Server, w http.ResponseWriter, r *http.Request, v mosaic.Viewer, get func(context.Context, string) (T, error)) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	x, err := get(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return adminGet(s, w, r, v, s.store.Org)
}

func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	var req OrgRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" || req.Kind != "" || req.LegalRegime != "" {
		return mosaic.Errorf(mosaic.CodeInvalid, "name, kind and legal_regime of an organisation do not change")
	}
	out, err := s.approvals.UpdateOrg(r.Context(), v, r.PathValue("name"), func(o *mosaic.Organisation) { applyOrg(o, req) })
	if err != nil {
		return err
	}
	return writeOutcome(w, out)
}

// writeOutcome answers with what an admin's change did: 202 when part of
// it waits for approval, else 200 (201 for a new user).
func writeOutcome(w http.ResponseWriter, out approval.Outcome) error {
	status := http.StatusOK
	switch {
	case out.Request != nil:
		status = http.StatusAccepted
	case out.User != nil && out.Code != "":
		status = http.StatusCreated
	}
	return writeJSON(w, status, out)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if err := policy.MayAdminister(v); err != nil {
		return err
	}
	q, err := queryParams(r, "org")
	if err != nil {
		return err
	}
	users, err := s.store.Users(r.Context(), q.Get("org"))
	if err != nil {
		return err
	}
	if users == nil {
		users = []mosaic.User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}

// UserRequest creates or changes a user.
type UserRequest struct {
	Name         string       `json:"name"`
	Org          string       `json:"org"`
	Role         *mosaic.Role `json:"role"`
	DisplayName  *string      `json:"display_name"`
	Email        *string      `json:"email"`
	ContentGrant *bool        `json:"content_grant"`
	Disabled     *bool        `json:"disabled"`
	// Password is refused: an admin never sets a password it then knows
	// (see POST /api/v1/users/{name}/password-reset).
	Password *string `json:"password"`
}

func applyUser(u *mosaic.User, req UserRequest) {
	if req.Role != nil {
		u.Role = *req.Role
	}
	if req.DisplayName != nil {
		u.DisplayName = *req.DisplayName
	}
	if req.Email != nil {
		u.Email = *req.Email
	}
	if req.ContentGrant != nil {
		u.ContentGrant = *req.ContentGrant
	}
	if req.Disabled != nil {
		u.Disabled = *req.Disabled
	}
}

// errNoPasswords refuses an admin's password: users set their own, with a
// one-time code.
var errNoPasswords = mosaic.Errorf(mosaic.CodeInvalid, "an admin never sets a password: the user sets one with a one-time code (POST /api/v1/users/{name}/password-reset)")

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	var req UserRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Password != nil {
		return errNoPasswords
	}
	u := mosaic.User{Name: req.Name, Org: req.Org}
	applyUser(&u, req)
	out, err := s.approvals.CreateUser(r.Context(), v, u)
	if err != nil {
		return err
	}
	return writeOutcome(w, out)
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return adminGet(s, w, r, v, s.store.User)
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	var req UserRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name != "" || req.Org != "" {
		return mosaic.Errorf(mosaic.CodeInvalid, "name and org of a user do not change")
	}
	if req.Password != nil {
		return errNoPasswords
	}
	out, err := s.approvals.UpdateUser(r.Context(), v, r.PathValue("name"), func(u *mosaic.User) { applyUser(u, req) })
	if err != nil {
		return err
	}
	return writeOutcome(w, out)
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	out, err := s.approvals.ResetPassword(r.Context(), v, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeOutcome(w, out)
}

func (s *Server) setApprover(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	out, err := s.approvals.SetApprover(r.Context(), v, r.PathValue("name"), r.Method == http.MethodPut)
	if err != nil {
		return err
	}
	return writeOutcome(w, out)
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	ts, err := s.store.Tokens(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []mosaic.Token{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

// TokenRequest creates a token.
type TokenRequest struct {
	Label   string `json:"label"`
	Expires string `json:"expires"` // a duration such as 90d or 12h; empty: the configured lifetime
	// ReadOnly makes a token that may only read (GET and HEAD), for a
	// machine that polls, such as a SIEM.
	ReadOnly bool `json:"read_only"`
}

// NewToken is the answer of POST /api/v1/users/{name}/tokens: the only time
// the secret is shown.
type NewToken struct {
	mosaic.Token
	Secret string `json:"token"`
}

// MaxTokenLifetime is the longest lifetime a token made through the API
// may have.
const MaxTokenLifetime = mosaic.MaxTokenLifetime

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a, err := s.admin(r, v, "tokens.create")
	if err != nil {
		return err
	}
	// A token acts as its user: an admin who could make one for anyone
	// could read what that user reads, and the admin role gives no content
	// (DESIGN §2). Users make their own tokens (POST /api/v1/me/tokens);
	// the operator of the installation can with mosaic token create.
	if user := r.PathValue("name"); user != v.User {
		return mosaic.Errorf(mosaic.CodeForbidden, "an admin makes tokens for itself only: %s makes its own with POST /api/v1/me/tokens, or the operator with mosaic token create", user)
	}
	return s.issueToken(w, r, v, a)
}

// issueToken makes a token for v from the request body.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, a mosaic.AuditEntry) error {
	var req TokenRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	life := s.limits.TokenLifetime
	if req.Expires != "" {
		d, err := config.ParseDuration(req.Expires)
		if err != nil || d <= 0 || d > MaxTokenLifetime {
			return mosaic.Errorf(mosaic.CodeInvalid, "expires: want a positive duration of at most 366d, such as 90d or 12h")
		}
		life = d
	}
	secret, hash := credential.NewToken()
	a.Detail = "user " + v.User
	t, err := s.store.CreateToken(r.Context(), v.User, hash, req.Label, s.clock.Now().Add(life), req.ReadOnly, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, NewToken{Token: t, Secret: secret})
	return nil
}

func (s *Server) createMyToken(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	return s.issueToken(w, r, v, mosaic.NewAuditEntry(v, s.clock.Now(), "tokens.create"))
}

func (s *Server) listMyTokens(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	ts, err := s.store.Tokens(r.Context(), v.User)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []mosaic.Token{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": ts})
	return nil
}

func (s *Server) revokeMyToken(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "token id must be a positive number")
	}
	ts, err := s.store.Tokens(r.Context(), v.User)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts, func(t mosaic.Token) bool { return t.ID == id }) {
		return mosaic.Errorf(mosaic.CodeNotFound, "token %d not found or already revoked", id)
	}
	a := mosaic.NewAuditEntry(v, s.clock.Now(), "tokens.revoke")
	a.Detail = "token " + strconv.FormatInt(id, 10)
	if err := s.store.RevokeToken(r.Context(), id, a); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a, err := s.admin(r, v, "tokens.revoke")
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "token id must be a positive number")
	}
	a.Detail = "token " + strconv.FormatInt(id, 10)
	if err := s.store.RevokeToken(r.Context(), id, a); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listCompartments(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := s.admin(r, v, ""); err != nil {
		return err
	}
	cs, err := s.store.Compartments(r.Context())
	if err != nil {
		return err
	}
	if cs == nil {
		cs = []mosaic.Compartment{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"compartments": cs})
	return nil
}

// CompartmentRequest creates a compartment.
type CompartmentRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) createCompartment(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a, err := s.admin(r, v, "compartments.create")
	if err != nil {
		return err
	}
	var req CompartmentRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	c := mosaic.Compartment{Name: req.Name, Description: req.Description, Orgs: []string{}, Users: []string{}}
	a.Detail = "compartment " + c.Name
	if err := s.store.CreateCompartment(r.Context(), &c, a); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) getCompartment(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return adminGet(s, w, r, v, s.store.Compartment)
}

func (s *Server) member(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, add bool, org, user string) error {
	name := r.PathValue("name")
	if add {
		// Adding a member gives it content: an approver of its
		// organisation decides (package approval). PUT is idempotent: an
		// existing member is answered with the compartment.
		if _, err := s.admin(r, v, ""); err != nil {
			return err
		}
		out, err := s.approvals.AddMember(r.Context(), v, name, org, user)
		if err != nil {
			return err
		}
		if out.Request != nil {
			return writeOutcome(w, out)
		}
	} else {
		// Taking content away never waits.
		a, err := s.admin(r, v, "compartments.remove-member")
		if err != nil {
			return err
		}
		a.Detail = "compartment " + name + " org " + org + " user " + user
		if err := s.store.RemoveMember(r.Context(), name, org, user, a); err != nil {
			return err
		}
	}
	c, err := s.store.Compartment(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) addCompartmentOrg(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.member(w, r, v, true, r.PathValue("org"), "")
}

func (s *Server) removeCompartmentOrg(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.member(w, r, v, false, r.PathValue("org"), "")
}

func (s *Server) addCompartmentUser(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.member(w, r, v, true, "", r.PathValue("user"))
}

func (s *Server) removeCompartmentUser(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.member(w, r, v, false, "", r.PathValue("user"))
}

// AuditPage is the answer of GET /api/v1/audit.
type AuditPage struct {
	Entries []mosaic.AuditEntry `json:"entries"`
	Next    string              `json:"next,omitempty"`
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if err := policy.MayReadAudit(v); err != nil {
		return err
	}
	q, err := queryParams(r, "after", "limit")
	if err != nil {
		return err
	}
	var after int64
	if q.Has("after") {
		if after, err = strconv.ParseInt(q.Get("after"), 10, 64); err != nil || after < 0 {
			return invalidParam("after", "want the seq of the last entry seen")
		}
	}
	limit, err := s.limitParam(q)
	if err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		es, err := s.store.AuditEntries(r.Context(), after, limit)
		if err != nil {
			return nil, err
		}
		if es == nil {
			es = []mosaic.AuditEntry{}
		}
		if err := s.content.Audit(v, content.Access{Action: "audit.read", Detail: r.URL.RawQuery}, nil, mosaic.Allowed); err != nil {
			return nil, err
		}
		page := AuditPage{Entries: es}
		if len(es) == limit {
			page.Next = strconv.FormatInt(es[len(es)-1].Seq, 10)
		}
		return page, nil
	})
}
