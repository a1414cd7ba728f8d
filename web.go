package mosaic

import (
	"context"
	"time"
)

// Web keeps what the web UI needs beyond objects: sign-in sessions and the
// situational picture's aggregates (package web).
type Web interface {
	// CreateSession stores a session for user under the SHA-256 hash of its
	// secret, valid until expires, with the token forms must carry (csrf).
	// It remembers the sign-in as the user's last visit and returns the
	// session with the visit before it. The audit entry a (the sign-in) is
	// appended in the same transaction. CodeNotFound (user).
	CreateSession(ctx context.Context, hash [32]byte, user, csrf string, expires time.Time, a AuditEntry) (WebSession, error)
	// Session returns an unexpired session of an enabled user and that
	// user's viewer. CodeUnauth otherwise.
	Session(ctx context.Context, hash [32]byte, now time.Time) (WebSession, Viewer, error)
	// DeleteSession ends a session and appends a (the sign-out). Ending a
	// session that does not exist is no error: the user is signed out
	// either way.
	DeleteSession(ctx context.Context, hash [32]byte, a AuditEntry) error
	// Picture counts, under v's visibility policy, the objects of
	// PictureTypes created in the 30 days before now, by type and by
	// sector, from aggregates kept per visibility class as objects arrive,
	// and how many records v can see were stored after the storage
	// position since (WebSession.SinceSeq; zero counts nothing).
	Picture(ctx context.Context, v Viewer, now time.Time, since int64) (Picture, error)
	// SetThreatLevel records an analyst's threat level for a sector, with
	// the reason, and appends a in the same transaction. CodeForbidden
	// unless v may contribute; CodeInvalid for an unknown sector or level
	// or an empty reason.
	SetThreatLevel(ctx context.Context, v Viewer, sector string, level ThreatLevel, reason string, a AuditEntry) error
	// ThreatLevels returns the current level of every sector that has one,
	// by sector; with sector not "", that sector's history instead, newest
	// first, at most limit. Nothing for viewers who see no cell content.
	ThreatLevels(ctx context.Context, v Viewer, sector string, limit int) ([]SectorThreat, error)
	// Relationships returns, for each relationship whose source or target
	// is id, the newest version v can see, newest stored first, at most
	// limit.
	Relationships(ctx context.Context, v Viewer, id string, limit int) ([]StoredObject, error)
}

// WebSession is a signed-in browser.
type WebSession struct {
	User    string
	CSRF    string // the token every form of the session carries
	Created time.Time
	Expires time.Time
	// PreviousVisit is when the user signed in before this session, zero
	// on a first sign-in; SinceSeq is the storage position then, for
	// "new since your last visit".
	PreviousVisit time.Time
	SinceSeq      int64
}

// PictureExploited is the picture's count of exploited vulnerabilities:
// vulnerabilities that a campaign, intrusion set, threat actor or malware
// targets (or malware exploits), counted at the time of that relationship.
const PictureExploited = "exploited-vulnerability"

// PictureTypes are what the situational picture counts: STIX types, and
// PictureExploited.
var PictureTypes = []string{"incident", "campaign", "intrusion-set", "malware", "indicator", PictureExploited}

// PictureDays is how far back the picture looks.
const PictureDays = 30

// Picture is the situational picture as one viewer may see it. Objects
// count by their STIX created time; a sector counts an object when a
// relationship from it to an identity with that sector says it targets the
// sector (or, for incidents, concerns it).
type Picture struct {
	// ByType counts objects of each type created in the last day, week and
	// 30 days.
	ByType map[string]PictureCount
	// BySector counts, per sector and type, the objects that concern it.
	BySector map[string]map[string]PictureCount
	// Daily counts each type per day, oldest of PictureDays days first;
	// the last entry is the day that ends at now.
	Daily map[string][]int64
	// New is how many records v can see were stored since the previous
	// visit, at most PictureNewCap; NewCapped says there are more.
	New       int64
	NewCapped bool
}

// PictureCount counts over the last 24 hours, 7 days and 30 days.
type PictureCount struct {
	Day, Week, Month int64
}

// PictureNewCap bounds the count of new records, so that a user back from
// a long absence does not make the page count a large part of the store.
const PictureNewCap = 1000

// ThreatLevel is the cell's assessment of the threat to a sector.
type ThreatLevel string

// The threat levels, from lowest to highest.
const (
	ThreatLow         ThreatLevel = "low"
	ThreatModerate    ThreatLevel = "moderate"
	ThreatSubstantial ThreatLevel = "substantial"
	ThreatHigh        ThreatLevel = "high"
	ThreatCritical    ThreatLevel = "critical"
)

// ThreatLevels lists the levels from lowest to highest.
var ThreatLevels = []ThreatLevel{ThreatLow, ThreatModerate, ThreatSubstantial, ThreatHigh, ThreatCritical}

// SectorThreat is one setting of a sector's threat level.
type SectorThreat struct {
	Sector string
	Level  ThreatLevel
	Reason string
	User   string // who set it
	Org    string
	Set    time.Time
}

// MaxThreatReason is the longest reason a threat level keeps, in bytes.
const MaxThreatReason = 4000
