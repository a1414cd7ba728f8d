package mosaic

import (
	"context"
	"time"
)

// ChangeKind names what a change request asks for. Every change of who
// sees content waits for a second person (DESIGN §2: the admin runs the
// platform, never the partners' people or data); package policy says
// which changes those are and who may decide them.
type ChangeKind string

// The kinds of change request.
const (
	// ChangeUserCreate creates a user who will see content.
	ChangeUserCreate ChangeKind = "user.create"
	// ChangeUserUpdate gives a user a content role or a content grant, or
	// changes its e-mail address, the channel of its one-time codes.
	ChangeUserUpdate ChangeKind = "user.update"
	// ChangeUserApprover gives a liaison the right to approve.
	ChangeUserApprover ChangeKind = "user.approver"
	// ChangePasswordReset gives a user a one-time code with which it sets
	// a new password.
	ChangePasswordReset ChangeKind = "user.password-reset"
	// ChangeMemberAdd adds an organisation or a user to a compartment.
	ChangeMemberAdd ChangeKind = "compartment.add-member"
	// ChangeOrgUpdate changes an organisation's default audience.
	ChangeOrgUpdate ChangeKind = "org.update"
)

// Change is what a request would do; the fields of its kind are set.
type Change struct {
	// User is the user to create (ChangeUserCreate), or the values of the
	// user's Fields to set (ChangeUserUpdate, ChangeUserApprover), or names
	// the user (ChangePasswordReset).
	User *User `json:"user,omitempty"`
	// Fields names what a ChangeUserUpdate or ChangeUserApprover sets:
	// role, content_grant, email, disabled, approver. Approving sets only these, on
	// the user as it is then, so that a change made in between (a user
	// disabled meanwhile) is not undone.
	Fields []string `json:"fields,omitempty"`
	// Compartment, MemberOrg and MemberUser name a membership
	// (ChangeMemberAdd); one of MemberOrg, MemberUser is set.
	Compartment string `json:"compartment,omitempty"`
	MemberOrg   string `json:"member_org,omitempty"`
	MemberUser  string `json:"member_user,omitempty"`
	// Org names the organisation and holds its new default audience
	// (ChangeOrgUpdate), which is all such a change sets.
	Org *Organisation `json:"org,omitempty"`
}

// RequestStatus is where a change request stands.
type RequestStatus string

// The statuses of a change request. A pending request whose time has run
// out reads as expired and can no longer be decided.
const (
	RequestPending  RequestStatus = "pending"
	RequestApproved RequestStatus = "approved"
	RequestRefused  RequestStatus = "refused"
	RequestExpired  RequestStatus = "expired"
)

// RequestLifetime is how long a request waits for a decision.
const RequestLifetime = 14 * 24 * time.Hour

// PasswordCodeLifetime is how long a one-time password code is valid.
const PasswordCodeLifetime = 72 * time.Hour

// ChangeRequest is a change of who sees content, asked for by one user and
// decided by another: an approver of the organisation it concerns.
type ChangeRequest struct {
	ID   int64      `json:"id"`
	Kind ChangeKind `json:"kind"`
	// Org is the organisation whose approver decides; "" means an approver
	// of any partner (a content grant concerns what every partner shares
	// with the cell).
	Org     string `json:"org,omitempty"`
	Subject string `json:"subject"` // the user, compartment or organisation changed
	Change  Change `json:"change"`
	// Summary says in words what the change does, for the approver.
	Summary     string        `json:"summary"`
	RequestedBy string        `json:"requested_by"`
	Requested   time.Time     `json:"requested"`
	Expires     time.Time     `json:"expires"`
	Status      RequestStatus `json:"status"`
	DecidedBy   string        `json:"decided_by,omitempty"`
	Decided     *time.Time    `json:"decided,omitempty"`
	Reason      string        `json:"reason,omitempty"` // why it was refused
	// Consents, when set, are the organisations whose approvers must each
	// agree (Org among them): the change is made when the last one agrees,
	// and refused when any one refuses. Without them one approver of Org
	// decides.
	Consents []Consent `json:"consents,omitempty"`
	// OthersPending, for a reader who may not know which organisations are
	// asked (policy.ShownRequest), counts the other organisations whose
	// agreement is still missing; Consents then holds the reader's own.
	OthersPending int `json:"others_pending,omitempty"`
}

// Consent is one organisation's part in a request that needs several.
type Consent struct {
	Org       string     `json:"org"`
	DecidedBy string     `json:"decided_by,omitempty"` // the approver who agreed
	Decided   *time.Time `json:"decided,omitempty"`
}

// Consent returns org's part in r, and whether it has one.
func (r ChangeRequest) Consent(org string) (Consent, bool) {
	for _, c := range r.Consents {
		if c.Org == org {
			return c, true
		}
	}
	return Consent{}, false
}

// RequestFilter selects change requests: with DecidableBy set, those an
// approver of that organisation may decide (its own, those any partner's
// approver may, and those that need its consent); with RequestedBy set, those that user asked
// for; with neither, all. Pending keeps only those still pending (neither
// decided nor expired at Now). At most Limit come back.
type RequestFilter struct {
	DecidableBy string
	RequestedBy string
	Pending     bool
	Now         time.Time
	Limit       int
}

// Approvals keeps change requests and the one-time password codes their
// approval makes. Every change appends its audit entry in the same
// transaction.
type Approvals interface {
	// RequestChange stores r as pending, sets its ID, Requested, Expires
	// and Status, and appends a. CodeNotFound when r.Org or the requester
	// does not exist.
	RequestChange(ctx context.Context, r *ChangeRequest, a AuditEntry) error
	// ChangeRequests lists requests f selects, newest first.
	ChangeRequests(ctx context.Context, f RequestFilter) ([]ChangeRequest, error)
	// ChangeRequest returns one request. CodeNotFound.
	ChangeRequest(ctx context.Context, id int64) (ChangeRequest, error)
	// DecideChange approves or refuses a pending, unexpired request as
	// decider, in one transaction: approving applies the change as the
	// directory's methods would, and for a change that makes a one-time
	// password code (a new user, a reset) keeps codeHash as the user's
	// code until it expires. It appends a and returns the request as
	// decided, and whether codeHash was kept. The caller has asked policy
	// whether decider may decide. CodeNotFound, CodeConflict (decided or
	// expired), and the codes of the change itself (CodeInvalid,
	// CodeConflict).
	DecideChange(ctx context.Context, id int64, decider string, approve bool, reason string, codeHash [32]byte, a AuditEntry) (ChangeRequest, bool, error)
	// SetPasswordCode keeps codeHash as user's one-time code, replacing
	// any earlier one, and appends a: for users who see no content, whose
	// codes need no approval. CodeNotFound.
	SetPasswordCode(ctx context.Context, user string, codeHash [32]byte, a AuditEntry) error
	// CheckPasswordCode returns nil when codeHash is user's unexpired
	// code, without using it up: a caller checks before it spends the
	// work of hashing a new password. CodeUnauth otherwise, as
	// RedeemPasswordCode.
	CheckPasswordCode(ctx context.Context, user string, codeHash [32]byte) error
	// RedeemPasswordCode sets user's password hash when codeHash is the
	// user's unexpired code, uses the code up, ends the user's sessions
	// and appends a. CodeUnauth otherwise, with one message whatever the
	// reason.
	RedeemPasswordCode(ctx context.Context, user string, codeHash [32]byte, passwordHash string, a AuditEntry) error
	// SetApprover gives or takes a user's right to approve, without a
	// request: the operator's break-glass path. CodeNotFound, CodeInvalid
	// (only liaisons approve).
	SetApprover(ctx context.Context, user string, approver bool, a AuditEntry) error
}
