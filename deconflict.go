package mosaic

import (
	"context"
	"time"
)

// EpochRecord is the published form of one evaluator key epoch: the VOPRF
// public key partners verify evaluations against, signed by the evaluator's
// long-term signing key so that a client that pinned the signer can accept
// the next epoch's key without trusting the store that relays it.
type EpochRecord struct {
	Epoch     int       `json:"epoch"`
	Suite     string    `json:"suite"`      // RFC 9497 suite identifier
	PublicKey []byte    `json:"public_key"` // the suite's compressed element encoding
	NotBefore time.Time `json:"not_before"` // when the evaluator started using the key
	Signer    []byte    `json:"signer"`     // Ed25519 public key
	Signature []byte    `json:"signature"`  // Ed25519 over package deconflict's EpochMessage
	Published time.Time `json:"published"`  // when the store first kept the record; not signed
}

// DeconflictionToken is one blinded-and-finalised selector as the store
// keeps it: the selector's type in clear (hits report it, and the type is
// bound into the token, so a wrong one only spoils the submitter's own
// matches) and the VOPRF output, which only the evaluator's key could
// recompute.
type DeconflictionToken struct {
	Type  string `json:"type"`
	Token []byte `json:"token"`
}

// Submission is one batch of tokens a partner registers or checks.
type Submission struct {
	// RequestID is a fresh random value per request; the store refuses a
	// second request with the same one, so a captured request cannot be
	// replayed.
	RequestID string
	Epoch     int
	Ref       string    // the partner's own opaque reference; never shown to another organisation
	Expires   time.Time // registrations only
	Check     bool      // ask without registering
	// Limit, when positive, is the organisation's daily budget of
	// submitted tokens (PoolSubmit), which the tokens count against.
	Limit  int
	Tokens []DeconflictionToken
}

// Hit is two organisations holding the same token in the same epoch: Org
// submitted it (by registration or check) while HolderOrg held it.
//
// A hit has three numbers. ID counts every organisation's hits; it is for
// the audit log and the coordinator, who see every hit anyway. OrgSeq and
// HolderSeq count only the hits of Org and of HolderOrg: 1, 2, 3, … for
// each organisation, whatever the others did, so that the number a side is
// shown tells it nothing about hits it was not a side of. All three are
// handed out in commit order.
type Hit struct {
	ID        int64     `json:"id"`
	OrgSeq    int64     `json:"org_seq"`
	HolderSeq int64     `json:"holder_seq"`
	Time      time.Time `json:"time"`
	Epoch     int       `json:"epoch"`
	Type      string    `json:"type"`
	Kind      string    `json:"kind"` // "register" or "check": how Org's token arrived
	Org       string    `json:"org"`
	Ref       string    `json:"ref"`
	HolderOrg string    `json:"holder_org"`
	HolderRef string    `json:"holder_ref"`
	// Index is the position of the token in the submission that made the
	// hit; only set in a SubmissionResult.
	Index int `json:"-"`
}

// Number returns the hit's number in the listing of org's hits: OrgSeq
// when org is Org, HolderSeq when it is HolderOrg, ID when org is "" (the
// listing of every hit), and 0 for an organisation that is no side of it.
func (h Hit) Number(org string) int64 {
	switch org {
	case "":
		return h.ID
	case h.Org:
		return h.OrgSeq
	case h.HolderOrg:
		return h.HolderSeq
	}
	return 0
}

// HitView is a hit as one side sees it: its own reference, the selector
// type and how to reach the other side, never the other side's reference.
// The coordinator sees Sides instead. Package deconflict makes it (the rules
// live there); it is declared here so that whatever else delivers hits, such
// as the live event stream, can carry it without depending on deconflict.
type HitView struct {
	// ID is the hit's number for the viewer's organisation (Hit.Number):
	// its own count for a side, the global id for the coordinator.
	ID           int64     `json:"id"`
	Time         time.Time `json:"time"`
	Epoch        int       `json:"epoch"`
	Type         string    `json:"type"`
	Kind         string    `json:"kind"`
	YourRef      string    `json:"your_ref,omitempty"`
	OtherOrg     string    `json:"other_org,omitempty"`
	OtherContact string    `json:"other_contact,omitempty"`
	// Index is the position of the token in the submission, in the answer
	// to a submission only.
	Index *int      `json:"index,omitempty"`
	Sides []HitSide `json:"sides,omitempty"`
}

// HitSide is one organisation of a hit as the coordinator sees it.
type HitSide struct {
	Org     string `json:"org"`
	Contact string `json:"contact"`
	Ref     string `json:"ref"`
	Kind    string `json:"kind"` // register, check, or holder
}

// SubmissionResult says what a submission did.
type SubmissionResult struct {
	Accepted int   // tokens registered or checked
	Hits     []Hit // ordered by Index
}

// RegistrationGroup summarises an organisation's live registrations of one
// reference, epoch and selector type.
type RegistrationGroup struct {
	Ref        string    `json:"ref"`
	Epoch      int       `json:"epoch"`
	Type       string    `json:"type"`
	Count      int       `json:"count"`
	Registered time.Time `json:"registered"` // the newest
	Expires    time.Time `json:"expires"`    // the latest
}

// BudgetPool names one of an organisation's daily budgets.
type BudgetPool string

// The budget pools. Evaluations are what a dictionary attack through the
// evaluator costs; submitted tokens (registered or checked) are bounded by
// the same number, so that whoever has tokens from elsewhere (from the key
// itself) cannot use registrations and checks as an unmetered oracle.
const (
	PoolEvaluate BudgetPool = "evaluate"
	PoolSubmit   BudgetPool = "submit"
)

// EvaluationBudget is an organisation's use of one pool on one UTC day.
type EvaluationBudget struct {
	Pool  BudgetPool `json:"pool"`
	Day   string     `json:"day"` // YYYY-MM-DD
	Used  int        `json:"used"`
	Limit int        `json:"limit"`
}

// Deconfliction keeps the blinded selector tokens partners register, the
// hits between them, the evaluation budgets and the evaluator's published
// epoch keys (package deconflict). It never sees a selector.
type Deconfliction interface {
	// PublishEpoch keeps rec unless the store already has it; it reports
	// whether rec is new and audits a new one with a in the same
	// transaction. CodeConflict when the store holds another key for the
	// epoch: a key changes only with a new epoch.
	PublishEpoch(ctx context.Context, rec EpochRecord, a AuditEntry) (bool, error)
	// Epochs lists the published epoch records, oldest first.
	Epochs(ctx context.Context) ([]EpochRecord, error)
	// SpendBudget takes n from the day's pool of v's organisation (limit
	// a day), appends a in the same transaction, and returns the budget
	// after it. When n does not fit, nothing is taken, a is appended as a
	// denial, and the error is CodeRateLimited.
	SpendBudget(ctx context.Context, v Viewer, pool BudgetPool, n, limit int, a AuditEntry) (EvaluationBudget, error)
	// Budget returns the day's pool of v's organisation.
	Budget(ctx context.Context, v Viewer, pool BudgetPool, limit int) (EvaluationBudget, error)
	// Submit registers or checks a batch for v's organisation and records a
	// hit for every live registration of another organisation with an
	// equal token in the same epoch, appending a and one entry per hit in
	// the same transaction. Each hit gets its ID and both sides' numbers
	// (OrgSeq, HolderSeq), the next of each organisation's own count, in
	// the order of the result. Registering a token the organisation already
	// holds under the same reference extends its expiry and makes no new
	// hit. CodeConflict for a replayed request id; CodeInvalid for an
	// empty reference (registrations) or a past expiry; CodeRateLimited
	// (nothing stored, a appended as a denial) when the tokens do not fit
	// the day's submit budget.
	Submit(ctx context.Context, v Viewer, sub Submission, a AuditEntry) (SubmissionResult, error)
	// Registrations lists v's organisation's live registrations by
	// reference, epoch and type.
	Registrations(ctx context.Context, v Viewer) ([]RegistrationGroup, error)
	// RemoveRegistrations removes v's organisation's registrations under
	// ref and returns how many. CodeNotFound if there were none.
	RemoveRegistrations(ctx context.Context, v Viewer, ref string, a AuditEntry) (int, error)
	// Hits lists up to limit hits org was a side of, newest first (by
	// org's own numbers), or every hit (by ID) when org is "". An
	// organisation with no hits, or none of that name, has an empty list,
	// not CodeNotFound; the only errors are CodeInternal.
	Hits(ctx context.Context, org string, limit int) ([]Hit, error)
	// HitsAfter lists up to limit hits org was a side of whose number for
	// org (Hit.Number: OrgSeq or HolderSeq) is above after, oldest first;
	// when org is "", every hit with an ID above after. Each
	// organisation's numbers are handed out without gaps, and they and the
	// IDs in commit order, so a reader that asks again after the last
	// number it got never misses a hit committed later. Errors as Hits.
	HitsAfter(ctx context.Context, org string, after int64, limit int) ([]Hit, error)
	// EndEpochs makes registrations of epochs before epoch expire at at,
	// unless they expire sooner, and returns how many changed.
	EndEpochs(ctx context.Context, epoch int, at time.Time, a AuditEntry) (int, error)
}
