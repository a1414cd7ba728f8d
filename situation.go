package mosaic

import (
	"context"
	"time"
)

// Situation keeps the situational picture: aggregates of the objects kept
// per visibility class as they arrive, and the cell's threat level per
// sector.
type Situation interface {
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
