package mosaic

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// RecipientKind says whom a release is addressed to.
type RecipientKind string

// The recipient kinds, from the widest to the narrowest: anyone (a public
// page and collection), every organisation of a vital sector, one named
// organisation (a stakeholder or a partner), one named user.
const (
	RecipientPublic RecipientKind = "public"
	RecipientSector RecipientKind = "sector"
	RecipientOrg    RecipientKind = "org"
	RecipientUser   RecipientKind = "user"
)

// Recipient is one addressee of a release, written "public",
// "sector:NAME", "org:NAME" or "user:NAME".
type Recipient struct {
	Kind RecipientKind
	Name string // empty for public
}

// ParseRecipient reads a recipient as a release names it, or returns a
// CodeInvalid error that says what is wrong. It checks the form only: the
// directory says whether the organisation, sector or user exists.
func ParseRecipient(s string) (Recipient, error) {
	if s == string(RecipientPublic) {
		return Recipient{Kind: RecipientPublic}, nil
	}
	kind, name, ok := strings.Cut(s, ":")
	r := Recipient{Kind: RecipientKind(kind), Name: name}
	switch {
	case !ok:
	case r.Kind == RecipientSector && ValidSector(name):
		return r, nil
	case r.Kind == RecipientSector:
		return Recipient{}, Errorf(CodeInvalid, "recipient %q: %q is not a sector of the STIX industry-sector vocabulary", s, name)
	case (r.Kind == RecipientOrg || r.Kind == RecipientUser) && ValidName(name):
		return r, nil
	case r.Kind == RecipientOrg || r.Kind == RecipientUser:
		return Recipient{}, Errorf(CodeInvalid, "recipient %q: %q is not a valid name", s, name)
	}
	return Recipient{}, Errorf(CodeInvalid, "recipient %q is not public, sector:NAME, org:NAME or user:NAME", s)
}

// String writes r as ParseRecipient reads it.
func (r Recipient) String() string {
	if r.Kind == RecipientPublic {
		return string(RecipientPublic)
	}
	return string(r.Kind) + ":" + r.Name
}

// ReleaseState is where a release stands.
type ReleaseState string

// The release states. A draft is held by its drafters and asks nobody; a
// release awaiting consent is seen by the liaisons asked; once every
// consent for its current revision is in it is ready, and once published
// it never changes again, except to be withdrawn.
const (
	ReleaseDraft           ReleaseState = "draft"
	ReleaseAwaitingConsent ReleaseState = "awaiting-consent"
	ReleaseReady           ReleaseState = "ready"
	ReleasePublished       ReleaseState = "published"
	ReleaseWithdrawn       ReleaseState = "withdrawn"
)

// ConsentState is where one organisation's consent stands.
type ConsentState string

// The consent states.
const (
	ConsentPending  ConsentState = "pending"
	ConsentApproved ConsentState = "approved"
	ConsentRefused  ConsentState = "refused"
)

// The roles of a release's items: an object is released; a source is what
// the advice relies on or paraphrases, which is not released but whose
// originator is asked all the same.
const (
	ItemObject = "object"
	ItemSource = "source"
)

// The drafter's choices for a reference whose target the release does not
// hold: refuse the draft (naming the reference), or drop it (an optional
// reference is left out, an object that cannot be without it is left out).
const (
	DanglingRefuse = "refuse"
	DanglingDrop   = "drop"
)

// ReleaseItem is one contribution a release holds: one originator's
// version of one object, copied when the draft was made, so that what the
// liaisons approve is what is published, whatever happens to the record
// later.
type ReleaseItem struct {
	Role       string          `json:"role"` // ItemObject or ItemSource
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Modified   string          `json:"modified,omitempty"` // as the object has it; "" for an SCO
	Originator string          `json:"originator"`
	TLP        TLP             `json:"tlp"`
	ORCON      bool            `json:"orcon"`
	LegalBasis string          `json:"legal_basis,omitempty"`
	Object     json.RawMessage `json:"object"`
}

// ReleaseConsent is one organisation's consent to a release.
type ReleaseConsent struct {
	Org   string       `json:"org"`
	State ConsentState `json:"state"`
	// Revision is the revision decided on; 0 while pending.
	Revision int    `json:"revision,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Sanitise is how the organisation's own objects are to be released
	// (a JSON object from STIX id to release.Sanitisation, with an
	// optional "tlp"); null for as they are.
	Sanitise json.RawMessage `json:"sanitise,omitempty"`
	// Attribute lets recipients see that the information came from the
	// organisation; by default they do not.
	Attribute bool   `json:"attribute"`
	DecidedBy string `json:"decided_by,omitempty"`
	// Deputy says that DecidedBy decided as a deputy of the
	// organisation's liaisons, who were all away.
	Deputy  bool      `json:"deputy,omitempty"`
	Decided time.Time `json:"decided,omitzero"`
}

// Release is a release as its drafters see it.
type Release struct {
	ID       string       `json:"id"` // a UUID
	Revision int          `json:"revision"`
	State    ReleaseState `json:"state"`
	Title    string       `json:"title"`
	Advice   string       `json:"advice"`
	// AdviceNL is the advice in Dutch, for recipients who read Dutch;
	// empty where the drafter wrote it in one language.
	AdviceNL   string   `json:"advice_nl,omitempty"`
	Recipients []string `json:"recipients"` // as ParseRecipient reads them
	Dangling   string   `json:"dangling"`   // DanglingRefuse or DanglingDrop
	// TLP is the most restrictive level of what the release holds, as
	// drafted; sanitisations may change it at publish.
	TLP        TLP    `json:"tlp"`
	Drafter    string `json:"drafter"`
	DrafterOrg string `json:"drafter_org"`
	Supersedes string `json:"supersedes,omitempty"`
	// Deadline is when the drafter needs the consents by; zero for none.
	// It asks, it does not decide: a consent after it still counts.
	Deadline time.Time        `json:"deadline,omitzero"`
	Created  time.Time        `json:"created"`
	Updated  time.Time        `json:"updated"`
	Items    []ReleaseItem    `json:"items,omitempty"`
	Consents []ReleaseConsent `json:"consents"`
	// Published, Digest and Withdrawn are set once they happened.
	Published      time.Time `json:"published,omitzero"`
	Digest         string    `json:"digest,omitempty"` // of the released bundle
	Withdrawn      time.Time `json:"withdrawn,omitzero"`
	WithdrawReason string    `json:"withdraw_reason,omitempty"`
}

// ReleaseSeal is the signature over one recipient's snapshot of a
// published release (see package release).
type ReleaseSeal struct {
	Recipient string `json:"recipient"` // the addressing, as ParseRecipient reads it
	Digest    string `json:"digest"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// ReleasedObject is one object of a published release as recipients get
// it, with the source it was made from, which only the cell sees.
type ReleasedObject struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Modified string          `json:"modified,omitempty"` // "" for an SCO
	Object   json.RawMessage `json:"object"`
	// Revoked marks the revoked version a withdrawal adds.
	Revoked bool `json:"revoked,omitempty"`
}

// Publication is what publishing a release stores, all at once.
type Publication struct {
	Revision  int       // the revision every consent approved
	Published time.Time //
	TLP       TLP       // after sanitisation
	// Bundle is the released STIX bundle as canonical JSON, and Digest
	// its "sha256:HEX".
	Bundle  json.RawMessage
	Digest  string
	Objects []ReleasedObject
	// FirstPublished maps each released SDO's and SRO's id to the time it
	// was first published (this publish, for those never released before).
	FirstPublished map[string]time.Time
	Seals          []ReleaseSeal
	// Consents are the approvals the publication was made from; a
	// consent decided again since makes the publish a conflict.
	Consents []ReleaseConsent
	// Record is the cell-side record bound to the digests: the legal
	// bases for provision, the approvals and the mapping from released
	// ids to sources. It is never served to a recipient.
	Record json.RawMessage
}

// Withdrawal is what withdrawing a published release stores.
type Withdrawal struct {
	Withdrawn time.Time
	Reason    string
	// Entry is the signed withdrawal entry (package release).
	Entry json.RawMessage
	// Revoked holds a revoked version of each released SDO and SRO.
	Revoked []ReleasedObject
}

// ReleaseScope is which releases a viewer sees, and how much of them, as
// policy.ReleaseScopeOf decides; the store applies it in its queries.
type ReleaseScope struct {
	// DraftOrg sees the drafts of its own organisation in full, and the
	// consent requests made of it (not drafts on hold), with only its own
	// items and its own consent. "" sees none.
	DraftOrg string
	// Org and User receive what was delivered to the organisation (not
	// RED, which goes to users only) or to the user. What was released to
	// the public every scope receives, the empty one (no sign-in) too.
	Org  string
	User string
}

// ReleaseSummary is one entry of a listing of releases.
type ReleaseSummary struct {
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	State     ReleaseState `json:"state"`
	TLP       TLP          `json:"tlp"`
	Revision  int          `json:"revision,omitempty"` // for the cell
	Updated   time.Time    `json:"updated"`
	Published time.Time    `json:"published,omitzero"`
	Withdrawn time.Time    `json:"withdrawn,omitzero"`
	// Deadline is when the consents are needed by, for the cell.
	Deadline time.Time `json:"deadline,omitzero"`
	// DrafterOrg is the drafting organisation, for the cell: the
	// viewer's own, or the one that asks the viewer's consent; empty
	// for a recipient.
	DrafterOrg string `json:"drafter_org,omitempty"`
	// Consent is the viewer's organisation's own consent, where the
	// release asks it; no other organisation's.
	Consent *ReleaseConsent `json:"consent,omitempty"`
	Created time.Time       `json:"created,omitzero"` // for the cell
	// Recipient is the viewer's own addressing of a delivered release.
	Recipient string `json:"recipient,omitempty"`
	Seq       int64  `json:"-"` // listing order, for cursors
}

// Delivery is a published release as one recipient receives it: its own
// snapshot and nothing of the cell's side.
type Delivery struct {
	ID             string          `json:"id"`
	Title          string          `json:"title"`
	Advice         string          `json:"advice"`
	AdviceNL       string          `json:"advice_nl,omitempty"`
	TLP            TLP             `json:"tlp"`
	Recipient      string          `json:"recipient"`
	Published      time.Time       `json:"published"`
	Supersedes     string          `json:"supersedes,omitempty"`
	Bundle         json.RawMessage `json:"bundle"`
	Seal           ReleaseSeal     `json:"-"`
	Withdrawn      time.Time       `json:"withdrawn,omitzero"`
	WithdrawReason string          `json:"withdraw_reason,omitempty"`
	Withdrawal     json.RawMessage `json:"-"` // the signed entry
}

// ReceiptStatus is what a recipient reports about a release.
type ReceiptStatus string

// The receipt statuses.
const (
	ReceiptReceived    ReceiptStatus = "received"
	ReceiptInProgress  ReceiptStatus = "in-progress"
	ReceiptApplied     ReceiptStatus = "applied"
	ReceiptNotAffected ReceiptStatus = "not-affected"
	ReceiptNeedHelp    ReceiptStatus = "need-help"
)

// ReceiptStatuses lists them in order.
var ReceiptStatuses = []ReceiptStatus{ReceiptReceived, ReceiptInProgress, ReceiptApplied, ReceiptNotAffected, ReceiptNeedHelp}

// Receipt is one report of a recipient on a release; the newest of a
// user's is its status.
type Receipt struct {
	Org     string        `json:"org"`
	User    string        `json:"user"`
	Status  ReceiptStatus `json:"status"`
	Comment string        `json:"comment,omitempty"`
	Time    time.Time     `json:"time"`
}

// ReportedSighting is a STIX sighting a recipient reported against a
// released object.
type ReportedSighting struct {
	Org      string          `json:"org"`
	User     string          `json:"user"`
	Sighting json.RawMessage `json:"sighting"`
	Time     time.Time       `json:"time"`
}

// Feedback is what recipients reported on a release: the newest
// MaxFeedback receipts and sightings, oldest first; Truncated says that
// there were more.
type Feedback struct {
	Receipts  []Receipt          `json:"receipts"`
	Sightings []ReportedSighting `json:"sightings"`
	Truncated bool               `json:"truncated,omitempty"`
}

// MaxFeedback bounds the receipts and the sightings one answer holds.
const MaxFeedback = 1000

// MaxSightingBytes bounds one reported sighting: recipients report what
// they saw, and must not fill the store with it.
const MaxSightingBytes = 8 << 10

// FeedbackFilter selects whose feedback on a release is read: the
// recipient organisations Orgs (nil: every one), but for those in Except.
type FeedbackFilter struct {
	Orgs   []string
	Except []string
}

// ReleaseFilter selects releases of a listing.
type ReleaseFilter struct {
	States []ReleaseState
	// Asked keeps only the releases that ask the viewer's organisation
	// for its consent: a liaison's inbox.
	Asked bool
	// Pending keeps only those whose consent of the viewer's organisation
	// is pending (it implies Asked).
	Pending bool
	Limit   int
	Before  int64 // continue a listing: only entries before this sequence number
}

// ReleasedFilter selects released objects of a collection (TAXII): the
// objects of the releases delivered to one recipient, oldest first.
type ReleasedFilter struct {
	// Collection is "public", "org:NAME" (delivered to the organisation,
	// not to its users by name) or "user:NAME".
	Collection string
	IDs        []string
	Types      []string
	AddedAfter time.Time
	After      int64
	// Limit is at most MaxReleasedPage; the store answers no more.
	Limit int
}

// MaxOpenReleases, MaxOpenReleaseItems and MaxOpenReleaseBytes bound
// the releases a drafting organisation has not yet published (drafts,
// awaiting consent, ready), and the items they hold together and their
// size: each draft keeps a copy of what it pins, and an organisation
// must not fill the store with copies. A release discarded (withdrawn
// unpublished) gives its share back.
const (
	MaxOpenReleases     = 200
	MaxOpenReleaseItems = 100000
	MaxOpenReleaseBytes = 128 << 20
)

// MaxReleasedPage is the most entries one call of Releases.Released
// returns.
const MaxReleasedPage = 1000

// ReleasedEntry is an object of a collection of released objects.
type ReleasedEntry struct {
	ReleasedObject
	Release string
	Added   time.Time
	Seq     int64
}

// Releases keeps releases. The scope passed in is the viewer's
// (policy.ReleaseScopeOf); what it does not reach does not exist
// (CodeNotFound), and every change appends its audit entry in the same
// transaction.
type Releases interface {
	// CreateRelease stores a new release at revision 1, with a pending
	// consent for each of consents, and sets r.ID, r.Created, r.Updated.
	CreateRelease(ctx context.Context, r *Release, a AuditEntry) error
	// ReviseRelease replaces the draft's title, advice, recipients,
	// dangling, TLP, items and state and the organisations asked, as the
	// next revision; every consent given is void. CodeConflict when r's
	// revision is not the current one or the release is published.
	ReviseRelease(ctx context.Context, sc ReleaseScope, r *Release, a AuditEntry) error
	// Release returns a release as sc sees it: its items and consents
	// cut to sc's part. CodeNotFound.
	Release(ctx context.Context, sc ReleaseScope, id string) (Release, error)
	// Decide records org's consent for revision; the release becomes ready
	// when all are approved. CodeConflict for an old revision or a
	// release no longer awaiting consent; CodeNotFound when org is not
	// asked.
	Decide(ctx context.Context, sc ReleaseScope, id string, c ReleaseConsent, a AuditEntry) error
	// Publish stores p for a ready release whose revision is p.Revision,
	// all or nothing. CodeConflict otherwise, naming what is pending.
	Publish(ctx context.Context, sc ReleaseScope, id string, p Publication, a AuditEntry) error
	// FirstPublished returns the time each of ids (released SDOs and
	// SROs) was first published; ids never published are absent.
	FirstPublished(ctx context.Context, ids []string) (map[string]time.Time, error)
	// Withdraw withdraws a published release, or discards one never
	// published (w then holds only the time and reason; its items are
	// deleted). CodeConflict if it is withdrawn already.
	Withdraw(ctx context.Context, sc ReleaseScope, id string, w Withdrawal, a AuditEntry) error
	// ReleaseList lists what sc sees, newest created first.
	ReleaseList(ctx context.Context, sc ReleaseScope, f ReleaseFilter) ([]ReleaseSummary, error)
	// Delivered returns the release as delivered to sc (its snapshot for
	// the addressing that reached sc: a user's own before its
	// organisation's, before its sector's, before the public's).
	// CodeNotFound when it was not delivered to sc.
	Delivered(ctx context.Context, sc ReleaseScope, id string) (Delivery, error)
	// ReleaseRecord returns the cell-side record of a published release
	// for its drafting organisation (sc.DraftOrg). CodeNotFound.
	ReleaseRecord(ctx context.Context, sc ReleaseScope, id string) (json.RawMessage, error)
	// AddReceipt and AddSightings store a recipient's feedback on a
	// release delivered to sc. CodeNotFound otherwise.
	AddReceipt(ctx context.Context, sc ReleaseScope, id string, r Receipt, a AuditEntry) error
	AddSightings(ctx context.Context, sc ReleaseScope, id string, s []ReportedSighting, a AuditEntry) error
	// Feedback returns the feedback on a published release of the
	// recipients f selects. The policy decides who may read whose
	// (policy.FeedbackReach).
	Feedback(ctx context.Context, id string, f FeedbackFilter) (Feedback, error)
	// Released lists a collection's released objects.
	Released(ctx context.Context, sc ReleaseScope, f ReleasedFilter) ([]ReleasedEntry, error)
	// ReleasedCount returns how many objects (by STIX id, whatever their
	// versions) a collection of released objects holds, as Released
	// would list them. CodeNotFound for a collection sc does not receive.
	ReleasedCount(ctx context.Context, sc ReleaseScope, collection string) (int, error)
}

// ReleasedCollection is a TAXII collection of released objects as a
// recipient finds it: its TAXII id and title, and the content service's
// name for it ("public", "org:NAME", "user:NAME").
type ReleasedCollection struct {
	ID, Title, Description string
	Key                    string
}
