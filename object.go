package mosaic

import (
	"encoding/json"
	"time"
)

// Viewer is the authenticated user on whose behalf a request runs. Every read
// and write of content takes one; the policy package decides what it may do.
type Viewer struct {
	UserID       int64
	User         string
	OrgID        int64
	Org          string
	OrgKind      OrgKind
	Role         Role
	ContentGrant bool
	// Approver is set for a liaison who may approve changes of who sees
	// its organisation's content (see ChangeRequest).
	Approver bool
	// ReadOnly is set when the viewer came in with a read-only token: it
	// may then make safe requests only (policy.MayRequest).
	ReadOnly bool
}

// Record is one originator's contribution of one version of a STIX object,
// keyed by (ID, ModifiedKey, originator), ready to be stored.
type Record struct {
	ID   string // the STIX id
	Type string
	// CreatedKey and ModifiedKey are the timestamps as comparison keys (see
	// stix.TimeKey): equal keys are equal instants, whatever the number of
	// fraction digits. ModifiedKey is "" for objects without versions (SCOs)
	// and the created key for those that never change (marking definitions).
	CreatedKey  string
	ModifiedKey string
	Envelope    Envelope
	// CreatedBy is the object's created_by_ref, "" when it has none: the
	// store applies originator control to objects created by a Mosaic
	// organisation or by nobody named, not to third parties' (see
	// policy.MayReshare).
	CreatedBy string
	// Explicit marks the envelope fields the submitter set, by query
	// parameter or per-object extension; only those can conflict with a
	// record already stored.
	Explicit EnvelopeFields
	// Object is the STIX object as canonical JSON (keys sorted, no
	// insignificant white space), without Mosaic's envelope extension.
	Object json.RawMessage
	// Hash is the SHA-256 of Object.
	Hash [32]byte
	// Words and Observables are the search terms (see package search).
	Words       []string
	Observables []string
	// Terms, when set, gives the search terms in place of Words and
	// Observables, and may block until they are worked out: ingest works
	// them out while the store writes the records, which needs them last.
	Terms func() (words, observables []string)
}

// EnvelopeDefaults are a batch's envelope defaults, as given with a
// request (query parameters, form fields, a feed's settings). Nil fields
// were not given: they take the defaults of the submitter's organisation
// and of the installation. An object's own Mosaic extension overrides them.
type EnvelopeDefaults struct {
	Audience   *Audience
	ORCON      *bool
	LegalBasis *string
	ReviewBy   *string // YYYY-MM-DD
}

// EnvelopeFields is a set of envelope fields.
type EnvelopeFields struct {
	Audience, ORCON, LegalBasis, ReviewBy bool
	// TLP is set when something beside the object (a handling object)
	// gave its level; the object's own markings are part of its content.
	TLP bool
}

// StoredObject is a record as a reader receives it.
type StoredObject struct {
	Object   json.RawMessage `json:"object"`
	Envelope Envelope        `json:"envelope"`
	// ByOriginator is set when the object names its originator's STIX
	// identity (Organisation.Identity) as created_by_ref: the organisation
	// made it, and Mosaic may complete it (ingest writes the TLP marking it
	// is handled under into it, exports the envelope extension). Any other
	// object is a third party's, kept and served exactly as it came in,
	// with its handling beside it.
	ByOriginator bool  `json:"by_originator"`
	Seq          int64 `json:"-"` // storage order, for cursors
}

// ObjectFilter selects records. Empty fields select everything. Time bounds
// are comparison keys (stix.TimeKey) and exclusive.
type ObjectFilter struct {
	Types          []string
	Originators    []string
	TLPs           []TLP
	Audience       string // "", "originator", "cell" or "compartment:NAME"
	CreatedAfter   string
	CreatedBefore  string
	ModifiedAfter  string
	ModifiedBefore string
	Query          string // plain text, see package search
	// AnyObservable selects records that hold at least one of these
	// normalised observables (search.NormalizeObservable), for
	// correlation; NotID leaves out the records of one STIX id.
	AnyObservable []string
	NotID         string
	Limit         int
	// Before continues a listing: only records stored before this
	// sequence number. Zero starts at the newest.
	Before int64

	// IDs selects records of these STIX ids.
	IDs []string
	// Versions selects which versions of each (id, originator) come back:
	// VersionLast (the newest the viewer may see; the default), VersionFirst,
	// VersionAll, or modified keys (stix.TimeKey); several combine.
	Versions []string
	// Ascending lists oldest stored first (commit order), as TAXII does;
	// After then continues a listing after a sequence number, and
	// AddedAfter keeps records added after a time, in Unix microseconds.
	Ascending  bool
	After      int64
	AddedAfter int64
}

// The version selectors of ObjectFilter.Versions.
const (
	VersionLast  = "last"
	VersionFirst = "first"
	VersionAll   = "all"
)

// ObjectPage is one page of a listing, newest stored first (oldest first
// with ObjectFilter.Ascending). Next, the position to continue from, is
// zero on the last page.
type ObjectPage struct {
	Objects []StoredObject
	Next    int64
}

// Stats counts the objects a viewer can see: for each (STIX id, originator),
// the newest version visible to the viewer counts once.
type Stats struct {
	Total        int64            `json:"total"`
	ByType       map[string]int64 `json:"by_type"`
	ByTLP        map[TLP]int64    `json:"by_tlp"`
	ByOriginator map[string]int64 `json:"by_originator"`
}

// IngestResult counts what a batch did: records for an (id, originator)
// never seen before, identical resubmissions, and new versions of known ones.
type IngestResult struct {
	New         int `json:"new"`
	Unchanged   int `json:"unchanged"`
	NewVersions int `json:"new_versions"`
	// Warnings name values of the stored objects that must never be
	// blocked (package warninglist): they are stored, and left out of
	// blocklists. At most MaxWarnings.
	Warnings []Problem `json:"warnings,omitempty"`
}

// MaxVersions and MaxVersionBytes bound the versions Objects.Object reads
// of one object beyond each originator's newest: a contributor who stores
// thousands of versions of an object must not make every reader of it
// read them all.
const (
	MaxVersions     = 1000
	MaxVersionBytes = 4 << 20
)

// MaxWarnings bounds the warnings of one upload.
const MaxWarnings = 100

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	UserID    int64     `json:"-"`
	User      string    `json:"user"`
	Org       string    `json:"org"`
	Action    string    `json:"action"`
	ObjectIDs []string  `json:"object_ids,omitempty"`
	Decision  Decision  `json:"decision"`
	Detail    string    `json:"detail,omitempty"`
}

// Decision is the outcome an audit entry records.
type Decision string

// The decisions.
const (
	Allowed  Decision = "allow"
	Denied   Decision = "deny"
	NotFound Decision = "not-found"
	Failed   Decision = "error"
	// Canceled: the client went away before it was answered, which is no
	// fault of the server's (ClientGone).
	Canceled Decision = "canceled"
)

// NewAuditEntry starts an entry for v at t.
func NewAuditEntry(v Viewer, t time.Time, action string) AuditEntry {
	return AuditEntry{Time: t, UserID: v.UserID, User: v.User, Org: v.Org, Action: action, Decision: Allowed}
}

// UploadStatus is the outcome of one upload, as TAXII's status resource
// reports it. Uploads are stored all or nothing, at once, so a status is
// complete when it is made.
type UploadStatus struct {
	ID        string         `json:"id"`
	User      string         `json:"-"` // who may read it
	Created   time.Time      `json:"request_timestamp"`
	Total     int            `json:"total_count"`
	Success   int            `json:"success_count"`
	Failure   int            `json:"failure_count"`
	Pending   int            `json:"pending_count"`
	Successes []StatusDetail `json:"successes,omitempty"`
	Failures  []StatusDetail `json:"failures,omitempty"`
}

// StatusDetail is one object of an upload.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}
