package mosaic

import (
	"context"
	"time"
)

// Store is everything Mosaic keeps of its domain, for the wiring in
// cmd/mosaic and the conformance suite: the sqlite and postgres packages
// implement it, and package storetest checks that both behave alike. Every
// other package sees the store through a small interface of its own, of
// the methods it uses (content.Store, api.Store, taxii.Store, web.Store,
// deconflict.Store, feed.Store, ...). The web UI's sessions are package
// web's (web/session.Store), which the stores implement too.
type Store interface {
	Directory
	Approvals
	Objects
	Releases
	AuditLog
	Feeds
	Deconfliction
	Situation
	// PutStatus keeps an upload's status.
	PutStatus(ctx context.Context, st UploadStatus) error
	// Status returns the status with id if user made the upload.
	// CodeNotFound otherwise.
	Status(ctx context.Context, id, user string) (UploadStatus, error)
	// Secret returns the 32-byte random secret kept under name, made on
	// first use; every process on the store gets the same one.
	Secret(ctx context.Context, name string) ([]byte, error)
	// Close releases the store's connections.
	Close() error
}

// Directory keeps organisations, users, tokens and compartments. Every
// change appends its audit entry in the same transaction.
type Directory interface {
	// CreateOrg stores o and sets o.ID. CodeConflict if the name is taken,
	// CodeInvalid for a bad organisation.
	CreateOrg(ctx context.Context, o *Organisation, a AuditEntry) error
	// UpdateOrg changes an organisation's full name, contact, sectors and
	// default audience. CodeNotFound, CodeInvalid.
	UpdateOrg(ctx context.Context, o Organisation, a AuditEntry) error
	// Org returns the organisation with the short name. CodeNotFound.
	Org(ctx context.Context, name string) (Organisation, error)
	// Orgs lists all organisations by name.
	Orgs(ctx context.Context) ([]Organisation, error)

	// CreateUser stores u with its password hash (may be empty: no password
	// sign-in) and sets u.ID and u.OrgID. CodeConflict, CodeNotFound (org),
	// CodeInvalid.
	CreateUser(ctx context.Context, u *User, passwordHash string, a AuditEntry) error
	// UpdateUser changes display name, e-mail, role, content grant and
	// disabled state, and the password hash when passwordHash is not nil,
	// in one transaction. CodeNotFound, CodeInvalid.
	UpdateUser(ctx context.Context, u User, passwordHash *string, a AuditEntry) error
	// SetPassword replaces a user's password hash. CodeNotFound.
	SetPassword(ctx context.Context, user, hash string, a AuditEntry) error
	// PasswordHash returns a user's password hash. CodeNotFound.
	PasswordHash(ctx context.Context, user string) (string, error)
	// User returns the user with the sign-in name. CodeNotFound.
	User(ctx context.Context, name string) (User, error)
	// Users lists users by name, of one organisation when org is not "".
	Users(ctx context.Context, org string) ([]User, error)

	// SetAway marks user, an enabled liaison of a partner, away until
	// until, or back when until is zero. CodeNotFound (user), CodeInvalid
	// (not such a liaison).
	SetAway(ctx context.Context, user string, until time.Time, a AuditEntry) error
	// Liaisons lists the enabled liaisons of org by name, with until when
	// each is away. CodeNotFound (org).
	Liaisons(ctx context.Context, org string) ([]LiaisonAway, error)

	// CreateToken stores a token for user by the SHA-256 hash of its
	// secret, read-only or not. CodeNotFound (user); CodeConflict when
	// the user holds MaxLiveTokens live tokens already.
	CreateToken(ctx context.Context, user string, hash [32]byte, label string, expires time.Time, readOnly bool, a AuditEntry) (Token, error)
	// Tokens lists a user's tokens, revoked and expired ones included.
	Tokens(ctx context.Context, user string) ([]Token, error)
	// RevokeToken revokes a token. CodeNotFound.
	RevokeToken(ctx context.Context, id int64, a AuditEntry) error
	// Authenticate returns the viewer of an unrevoked, unexpired token of an
	// enabled user. CodeUnauth otherwise, with a message that says which.
	Authenticate(ctx context.Context, hash [32]byte, now time.Time) (Viewer, error)

	// CreateCompartment stores c (without members) and sets c.ID.
	// CodeConflict, CodeInvalid.
	CreateCompartment(ctx context.Context, c *Compartment, a AuditEntry) error
	// Compartment returns a compartment with its members. CodeNotFound.
	Compartment(ctx context.Context, name string) (Compartment, error)
	// Compartments lists compartments with their members, by name.
	Compartments(ctx context.Context) ([]Compartment, error)
	// CompartmentOrgs returns the organisations concerned by a new member
	// of compartment name: its members, through themselves or their users,
	// and those that shared records with it, members still or not.
	CompartmentOrgs(ctx context.Context, name string) ([]string, error)
	// AddMember adds an organisation (org != "") or a user (user != "") to
	// a compartment. Only partner organisations and their analysts and
	// liaisons can be members. CodeNotFound, CodeInvalid.
	AddMember(ctx context.Context, compartment, org, user string, a AuditEntry) error
	// RemoveMember undoes AddMember. CodeNotFound if it was not a member.
	RemoveMember(ctx context.Context, compartment, org, user string, a AuditEntry) error
	// Memberships lists the compartments v belongs to, through its
	// organisation or by name.
	Memberships(ctx context.Context, v Viewer) ([]string, error)
}

// Objects keeps STIX records. Every method applies the visibility policy
// inside its queries: what v may not see does not exist for v.
type Objects interface {
	// Ingest stores a batch for v's organisation, all or nothing, and
	// appends a in the same transaction. CodeForbidden if v may not
	// contribute; CodeInvalid for an audience v may not use; CodeConflict
	// (with Problems naming each record) for different content or an
	// explicitly different envelope under a key v's organisation holds.
	Ingest(ctx context.Context, v Viewer, recs []Record, a AuditEntry) (IngestResult, error)
	// Objects lists, for each (STIX id, originator), the newest version v
	// can see that matches f, newest stored first.
	Objects(ctx context.Context, v Viewer, f ObjectFilter) (ObjectPage, error)
	// Object returns versions of id that v can see, newest first (ties by
	// originator name): with all false the newest of each originator's,
	// so the first is the newest of all; with all true also the newest of
	// the rest, as many as MaxVersions and MaxVersionBytes of content
	// allow (a full history is paged, as TAXII's versions endpoint does).
	// CodeNotFound.
	Object(ctx context.Context, v Viewer, id string, all bool) ([]StoredObject, error)
	// Stats counts what v can see.
	Stats(ctx context.Context, v Viewer) (Stats, error)
	// Relationships returns, for each relationship whose source or target
	// is id, the newest version v can see, newest stored first, at most
	// limit.
	Relationships(ctx context.Context, v Viewer, id string, limit int) ([]StoredObject, error)
}

// AuditLog keeps the audit trail.
type AuditLog interface {
	// AppendAudit appends entries in one transaction.
	AppendAudit(ctx context.Context, entries []AuditEntry) error
	// AuditEntries returns up to limit entries with Seq > after, oldest
	// first.
	AuditEntries(ctx context.Context, after int64, limit int) ([]AuditEntry, error)
}

// Clock tells the time; tests fix it.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }
