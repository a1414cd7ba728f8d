// Package approval is the four-eyes service: the one way the directory is
// changed where the change decides who sees content. An admin asks; what
// policy says needs approval waits, as a change request, for an approver
// of the organisation concerned (a liaison with the right to approve), who
// is neither the one who asked nor the one changed; the rest of a change is
// made at once. The admin runs the platform, never the partners' people or
// data: it never sets a password, and never learns the one-time code with
// which a user who reads content sets one.
//
// The REST API, the command line (as its client) and the web UI use it.
// Every request, decision and code is audited by the store in the same
// transaction.
package approval

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"

	"mosaic"
	"mosaic/credential"
	"mosaic/policy"
)

// Store is what the service needs of the store.
type Store interface {
	mosaic.Approvals
	User(ctx context.Context, name string) (mosaic.User, error)
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
	Compartment(ctx context.Context, name string) (mosaic.Compartment, error)
	// CompartmentOrgs returns the organisations concerned by a new member
	// of compartment name: its members, through themselves or their
	// users, and those that shared records with it.
	CompartmentOrgs(ctx context.Context, name string) ([]string, error)
	CreateUser(ctx context.Context, u *mosaic.User, passwordHash string, a mosaic.AuditEntry) error
	UpdateUser(ctx context.Context, u mosaic.User, passwordHash *string, a mosaic.AuditEntry) error
	UpdateOrg(ctx context.Context, o mosaic.Organisation, a mosaic.AuditEntry) error
}

// Service is the four-eyes service.
type Service struct {
	store   Store
	clock   mosaic.Clock
	hashing chan struct{} // turns to hash a password
}

// New returns the service on store.
func New(store Store, clock mosaic.Clock) *Service {
	if clock == nil {
		clock = mosaic.SystemClock{}
	}
	return &Service{store: store, clock: clock, hashing: make(chan struct{}, MaxConcurrentHashes)}
}

// Outcome is what an admin's change did: what was made at once (User or
// Org as they are now), the request for what waits for approval, and, for
// a user who reads no content, the one-time code with which the user sets
// a password (shown to the admin; see policy.PasswordApproval).
type Outcome struct {
	User    *mosaic.User          `json:"user,omitempty"`
	Org     *mosaic.Organisation  `json:"org,omitempty"`
	Request *mosaic.ChangeRequest `json:"request,omitempty"`
	Code    string                `json:"code,omitempty"`
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// newCode returns a fresh one-time code and the hash the store keeps: 160
// random bits, in base32 so that it can be read out and typed.
func newCode() (string, [32]byte) {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	code := base32.StdEncoding.EncodeToString(b)
	return code, hashCode(code)
}

// hashCode hashes a code as typed: case and spaces do not matter.
func hashCode(code string) [32]byte {
	return sha256.Sum256([]byte(strings.ToUpper(strings.Join(strings.Fields(code), ""))))
}

func (s *Service) entry(v mosaic.Viewer, action, detail string) mosaic.AuditEntry {
	e := mosaic.NewAuditEntry(v, s.clock.Now(), action)
	e.Detail = detail
	return e
}

// request stores a change request by v, after asking policy.
func (s *Service) request(ctx context.Context, v mosaic.Viewer, r mosaic.ChangeRequest) (*mosaic.ChangeRequest, error) {
	r.RequestedBy = v.User
	if err := policy.MayRequestChange(v, r); err != nil {
		return nil, err
	}
	if err := s.store.RequestChange(ctx, &r, s.entry(v, "requests.create", "")); err != nil {
		return nil, err
	}
	return &r, nil
}

// CreateUser creates u, or asks for it when u will read content. A user
// is created without a password: one who reads no content gets a one-time
// code at once, in the outcome; one who does gets it when its creation is
// approved, shown to the approver.
func (s *Service) CreateUser(ctx context.Context, v mosaic.Viewer, u mosaic.User) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	if u.Approver {
		return Outcome{}, mosaic.Errorf(mosaic.CodeInvalid, "the right to approve is given to an existing liaison, with an approver's consent")
	}
	o, err := s.store.Org(ctx, u.Org)
	if err != nil {
		return Outcome{}, err
	}
	if a := policy.UserApproval(nil, u, o.Kind); a.Needed {
		if _, err := s.store.User(ctx, u.Name); err == nil {
			return Outcome{}, mosaic.Errorf(mosaic.CodeConflict, "user %s already exists", u.Name)
		}
		r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangeUserCreate, Org: a.Org, Subject: u.Name,
			Change: mosaic.Change{User: &u}, Summary: fmt.Sprintf("create user %s, %s of %s: %s", u.Name, u.Role, u.Org, strings.Join(a.Why, "; "))})
		return Outcome{Request: r}, err
	}
	if err := s.store.CreateUser(ctx, &u, "", s.entry(v, "users.create", "user "+u.Name)); err != nil {
		return Outcome{}, err
	}
	code, hash := newCode()
	if err := s.store.SetPasswordCode(ctx, u.Name, hash, s.entry(v, "users.password-code", "user "+u.Name)); err != nil {
		return Outcome{}, err
	}
	return Outcome{User: &u, Code: code}, nil
}

// UpdateUser changes user name as patch says: at once what needs no
// approval, and a request for the rest (see policy.UserApproval).
func (s *Service) UpdateUser(ctx context.Context, v mosaic.Viewer, name string, patch func(*mosaic.User)) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	cur, err := s.store.User(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	o, err := s.store.Org(ctx, cur.Org)
	if err != nil {
		return Outcome{}, err
	}
	next := cur
	patch(&next)
	next.Name, next.Org, next.Approver = cur.Name, cur.Org, cur.Approver
	if err := policy.MayChangeUser(v, cur, next); err != nil {
		return Outcome{}, err
	}
	a := policy.UserApproval(&cur, next, o.Kind)
	now := next
	for _, f := range a.Fields {
		switch f {
		case "role":
			now.Role = cur.Role
		case "content_grant":
			now.ContentGrant = cur.ContentGrant
		case "email":
			now.Email = cur.Email
		case "disabled":
			now.Disabled = cur.Disabled
		}
	}
	var out Outcome
	if now != cur {
		if err := s.store.UpdateUser(ctx, now, nil, s.entry(v, "users.update", "user "+name)); err != nil {
			return Outcome{}, err
		}
	}
	if a.Needed {
		set := mosaic.User{Name: name, Role: next.Role, ContentGrant: next.ContentGrant, Email: next.Email, Disabled: next.Disabled}
		r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangeUserUpdate, Org: a.Org, Subject: name,
			Change:  mosaic.Change{User: &set, Fields: a.Fields},
			Summary: fmt.Sprintf("change %s of user %s (%s of %s): %s", strings.Join(a.Fields, ", "), name, cur.Role, cur.Org, strings.Join(a.Why, "; "))})
		if err != nil {
			return Outcome{}, err
		}
		out.Request = r
	}
	u, err := s.store.User(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	out.User = &u
	return out, nil
}

// SetApprover asks for giving a liaison the right to approve, or takes it
// away at once.
func (s *Service) SetApprover(ctx context.Context, v mosaic.Viewer, name string, approver bool) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	u, err := s.store.User(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	next := u
	next.Approver = approver
	if err := policy.MayChangeUser(v, u, next); err != nil {
		return Outcome{}, err
	}
	if !approver {
		if err := s.store.SetApprover(ctx, name, false, s.entry(v, "users.approver", "user "+name+" no longer approves")); err != nil {
			return Outcome{}, err
		}
		u.Approver = false
		return Outcome{User: &u}, nil
	}
	o, err := s.store.Org(ctx, u.Org)
	if err != nil {
		return Outcome{}, err
	}
	if err := policy.MayHoldApprover(o.Kind, u.Role); err != nil {
		return Outcome{}, err
	}
	a := policy.ApproverApproval(u)
	set := mosaic.User{Name: name, Approver: true}
	r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangeUserApprover, Org: a.Org, Subject: name,
		Change: mosaic.Change{User: &set, Fields: a.Fields}, Summary: fmt.Sprintf("let liaison %s of %s approve: %s", name, u.Org, strings.Join(a.Why, "; "))})
	return Outcome{Request: r}, err
}

// UpdateOrg changes organisation name as patch says: at once what needs
// no approval, and a request for a new default audience.
func (s *Service) UpdateOrg(ctx context.Context, v mosaic.Viewer, name string, patch func(*mosaic.Organisation)) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	cur, err := s.store.Org(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	next := cur
	patch(&next)
	next.Name, next.Kind, next.LegalRegime = cur.Name, cur.Kind, cur.LegalRegime
	a := policy.OrgApproval(cur, next)
	now := next
	now.DefaultAudience = cur.DefaultAudience
	var out Outcome
	if !sameOrg(now, cur) {
		if err := s.store.UpdateOrg(ctx, now, s.entry(v, "orgs.update", "org "+name)); err != nil {
			return Outcome{}, err
		}
	}
	if a.Needed {
		set := mosaic.Organisation{Name: name, DefaultAudience: next.DefaultAudience}
		r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangeOrgUpdate, Org: a.Org, Subject: name,
			Change: mosaic.Change{Org: &set}, Summary: fmt.Sprintf("make %s the default audience of %s: %s", next.DefaultAudience, name, strings.Join(a.Why, "; "))})
		if err != nil {
			return Outcome{}, err
		}
		out.Request = r
	}
	o, err := s.store.Org(ctx, name)
	if err != nil {
		return Outcome{}, err
	}
	out.Org = &o
	return out, nil
}

func sameOrg(a, b mosaic.Organisation) bool {
	return a.FullName == b.FullName && a.Contact == b.Contact && slices.Equal(a.Sectors, b.Sectors) && a.DefaultAudience.Equal(b.DefaultAudience)
}

// AddMember asks for adding an organisation (org) or a user (user) to a
// compartment.
func (s *Service) AddMember(ctx context.Context, v mosaic.Viewer, compartment, org, user string) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	c, err := s.store.Compartment(ctx, compartment)
	if err != nil {
		return Outcome{}, err
	}
	var memberOrg, what string
	switch {
	case org != "":
		o, err := s.store.Org(ctx, org)
		if err != nil {
			return Outcome{}, err
		}
		if err := policy.MayJoinCompartmentAsOrg(org, o.Kind); err != nil {
			return Outcome{}, err
		}
		if slices.Contains(c.Orgs, org) {
			return Outcome{}, nil // a member already
		}
		memberOrg, what = org, "organisation "+org
	default:
		u, err := s.store.User(ctx, user)
		if err != nil {
			return Outcome{}, err
		}
		o, err := s.store.Org(ctx, u.Org)
		if err != nil {
			return Outcome{}, err
		}
		if err := policy.MayJoinCompartment(user, o.Kind, u.Role); err != nil {
			return Outcome{}, err
		}
		if slices.Contains(c.Users, user) {
			return Outcome{}, nil
		}
		memberOrg, what = u.Org, "user "+user+" ("+string(u.Role)+" of "+u.Org+")"
	}
	concerned, err := s.store.CompartmentOrgs(ctx, compartment)
	if err != nil {
		return Outcome{}, err
	}
	a := policy.MemberApproval(memberOrg, concerned)
	subject := compartment
	if user != "" {
		subject = user
	}
	var consents []mosaic.Consent
	for _, o := range a.Consents {
		consents = append(consents, mosaic.Consent{Org: o})
	}
	r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangeMemberAdd, Org: a.Org, Subject: subject,
		Change:   mosaic.Change{Compartment: compartment, MemberOrg: org, MemberUser: user},
		Summary:  fmt.Sprintf("add %s to compartment %s: %s", what, compartment, strings.Join(a.Why, "; ")),
		Consents: consents})
	return Outcome{Request: r}, err
}

// ResetPassword gives user a one-time code with which it sets a new
// password: for a user who reads content, once an approver agrees (the
// code is then shown to the approver); for another, at once, in the
// outcome. The current password keeps working until the code is used.
func (s *Service) ResetPassword(ctx context.Context, v mosaic.Viewer, user string) (Outcome, error) {
	if err := policy.MayAdminister(v); err != nil {
		return Outcome{}, err
	}
	u, err := s.store.User(ctx, user)
	if err != nil {
		return Outcome{}, err
	}
	o, err := s.store.Org(ctx, u.Org)
	if err != nil {
		return Outcome{}, err
	}
	if a := policy.PasswordApproval(u, o.Kind); a.Needed {
		r, err := s.request(ctx, v, mosaic.ChangeRequest{Kind: mosaic.ChangePasswordReset, Org: a.Org, Subject: user,
			Change: mosaic.Change{User: &mosaic.User{Name: user}}, Summary: fmt.Sprintf("a one-time code for a new password of %s (%s of %s): %s", user, u.Role, u.Org, strings.Join(a.Why, "; "))})
		return Outcome{Request: r}, err
	}
	code, hash := newCode()
	if err := s.store.SetPasswordCode(ctx, user, hash, s.entry(v, "users.password-code", "user "+user)); err != nil {
		return Outcome{}, err
	}
	return Outcome{Code: code}, nil
}

// Requests lists the requests v may see (policy.MaySeeRequest), newest
// first, only the pending ones when pending is set.
func (s *Service) Requests(ctx context.Context, v mosaic.Viewer, pending bool) ([]mosaic.ChangeRequest, error) {
	f := mosaic.RequestFilter{Pending: pending, Now: s.clock.Now()}
	switch {
	case v.Role == mosaic.Admin:
	case policy.IsApprover(v):
		f.DecidableBy = v.Org
	default:
		f.RequestedBy = v.User
	}
	rs, err := s.store.ChangeRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	out := rs[:0]
	for _, r := range rs {
		if policy.MaySeeRequest(v, r) {
			out = append(out, policy.ShownRequest(v, r))
		}
	}
	return out, nil
}

// Request returns one request v may see. CodeNotFound otherwise, as for
// one that does not exist.
func (s *Service) Request(ctx context.Context, v mosaic.Viewer, id int64) (mosaic.ChangeRequest, error) {
	r, err := s.store.ChangeRequest(ctx, id)
	if err != nil {
		return r, err
	}
	if !policy.MaySeeRequest(v, r) {
		return mosaic.ChangeRequest{}, mosaic.Errorf(mosaic.CodeNotFound, "request %d not found", id)
	}
	return policy.ShownRequest(v, r), nil
}

// MaxReason is the longest reason a refusal keeps, in bytes.
const MaxReason = 2000

// Decide approves or refuses request id as v. An approval makes the change
// in the same transaction; when it made a one-time password code, the code
// is returned, to be handed to the user: it is shown this once.
func (s *Service) Decide(ctx context.Context, v mosaic.Viewer, id int64, approve bool, reason string) (mosaic.ChangeRequest, string, error) {
	if len(reason) > MaxReason {
		return mosaic.ChangeRequest{}, "", mosaic.Errorf(mosaic.CodeInvalid, "a reason is at most %d bytes", MaxReason)
	}
	r, err := s.store.ChangeRequest(ctx, id)
	if err != nil {
		return r, "", err
	}
	if err := policy.MayDecide(v, r); err != nil {
		return mosaic.ChangeRequest{}, "", err
	}
	action := "requests.refuse"
	if approve {
		action = "requests.approve"
	}
	code, hash := newCode()
	r, coded, err := s.store.DecideChange(ctx, id, v.User, approve, strings.TrimSpace(reason), hash, s.entry(v, action, ""))
	if err != nil || !coded {
		code = ""
	}
	return policy.ShownRequest(v, r), code, err
}

// MaxConcurrentHashes bounds the passwords hashed at once: each takes 64
// MiB and most of a core for a moment (argon2id).
const MaxConcurrentHashes = 2

// Redeem sets user's password with a one-time code. CodeUnauth for a
// wrong or used-up code or user, with one message whatever the reason;
// CodeInvalid for a password that is too short or too long. The code is
// checked before the password is hashed, so that guesses cost the server
// no hashing.
func (s *Service) Redeem(ctx context.Context, user, code, password string) error {
	if len(password) < MinPasswordLength || len(password) > credential.MaxPasswordBytes {
		return mosaic.Errorf(mosaic.CodeInvalid, "a password has %d to %d characters", MinPasswordLength, credential.MaxPasswordBytes)
	}
	h := hashCode(code)
	if err := s.store.CheckPasswordCode(ctx, user, h); err != nil {
		return err
	}
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return mosaic.Errorf(mosaic.CodeUnavailable, "the request ended while waiting for its turn")
	}
	hash := credential.HashPassword(password)
	<-s.hashing
	a := mosaic.AuditEntry{Time: s.clock.Now(), User: user, Action: "users.password", Decision: mosaic.Allowed, Detail: "set with a one-time code"}
	return s.store.RedeemPasswordCode(ctx, user, h, hash, a)
}
