package mosaic

import (
	"regexp"
	"slices"
	"time"
	"unicode/utf8"
)

// OrgKind says what an organisation is to the cell.
type OrgKind string

// The organisation kinds. Partners contribute and see cell objects;
// stakeholders receive releases; oversight bodies audit.
const (
	Partner     OrgKind = "partner"
	Stakeholder OrgKind = "stakeholder"
	Oversight   OrgKind = "oversight"
)

// ParseOrgKind returns the kind named by s or a CodeInvalid error.
func ParseOrgKind(s string) (OrgKind, error) {
	switch k := OrgKind(s); k {
	case Partner, Stakeholder, Oversight:
		return k, nil
	}
	return "", Errorf(CodeInvalid, "organisation kind %q is not one of partner, stakeholder, oversight", s)
}

// Organisation is a member of the cell (a partner with its legal regime), a
// recipient of its releases (a stakeholder in one or more sectors) or an
// oversight body.
type Organisation struct {
	ID              int64    `json:"-"`
	Name            string   `json:"name"` // short name, the handle everywhere else
	FullName        string   `json:"full_name"`
	Kind            OrgKind  `json:"kind"`
	LegalRegime     string   `json:"legal_regime,omitempty"` // partners: the regime its contributions fall under by default
	Sectors         []string `json:"sectors,omitempty"`      // stakeholders: STIX industry-sector-ov values
	Contact         string   `json:"contact,omitempty"`      // how partners reach its liaison
	DefaultAudience Audience `json:"default_audience"`
	// Identity is the organisation's STIX identity (identity--UUID), given
	// by Mosaic when the organisation is created: objects naming it as
	// their creator (created_by_ref) are accepted from this organisation
	// only. It is public.
	Identity string    `json:"identity"`
	Created  time.Time `json:"created"`
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,62}$`)

// ValidName reports whether s may name an organisation, user or compartment:
// 2 to 63 lower-case letters, digits and hyphens, starting with a letter.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Sectors is the STIX 2.1 industry-sector-ov vocabulary, the sectors a
// stakeholder organisation can be in.
var Sectors = []string{
	"agriculture", "aerospace", "automotive", "chemical", "commercial", "communications",
	"construction", "defense", "education", "energy", "entertainment", "financial-services",
	"government", "government-emergency-services", "government-local", "government-national",
	"government-public-services", "government-regional", "healthcare", "hospitality-leisure",
	"infrastructure", "infrastructure-dams", "infrastructure-nuclear", "infrastructure-water",
	"insurance", "manufacturing", "mining", "non-profit", "pharmaceuticals", "retail",
	"technology", "telecommunications", "transportation", "utilities",
}

// ValidSector reports whether s is in Sectors.
func ValidSector(s string) bool { return slices.Contains(Sectors, s) }

// Role is what a user may do, DESIGN §2.
type Role string

// The roles.
const (
	Analyst           Role = "analyst"
	Liaison           Role = "liaison"
	StakeholderViewer Role = "stakeholder"
	Auditor           Role = "auditor"
	Admin             Role = "admin"
)

// Roles lists every role in a stable order.
var Roles = []Role{Analyst, Liaison, StakeholderViewer, Auditor, Admin}

// ParseRole returns the role named by s or a CodeInvalid error.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", Errorf(CodeInvalid, "role %q is not one of analyst, liaison, stakeholder, auditor, admin", s)
}

// RoleFits reports whether a user with role r may belong to an organisation
// of kind k: partner staff are analysts, liaisons or admins; stakeholder staff
// are stakeholders; oversight staff are auditors.
func RoleFits(r Role, k OrgKind) bool {
	switch k {
	case Partner:
		return r == Analyst || r == Liaison || r == Admin
	case Stakeholder:
		return r == StakeholderViewer
	case Oversight:
		return r == Auditor
	}
	return false
}

// User is a person (or, through its tokens, a machine acting for one).
type User struct {
	ID          int64  `json:"-"`
	Name        string `json:"name"` // sign-in name
	OrgID       int64  `json:"-"`
	Org         string `json:"org"`
	Role        Role   `json:"role"`
	DisplayName string `json:"display_name,omitempty"`
	Email       string `json:"email,omitempty"`
	// ContentGrant lets an auditor read cell content, DESIGN §4; it means
	// nothing for other roles.
	ContentGrant bool `json:"content_grant,omitempty"`
	// Approver lets a liaison approve changes of who sees its
	// organisation's content (ChangeRequest).
	Approver bool      `json:"approver,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created"`
}

// LiaisonAway is an enabled liaison of an organisation and until when it said
// it is away: zero when it did not or came back. A time passed is back as
// well, so that nobody stays away by forgetting to return.
type LiaisonAway struct {
	User      string    `json:"user"`
	AwayUntil time.Time `json:"away_until,omitzero"`
}

// Away reports whether l is away at now.
func (l LiaisonAway) Away(now time.Time) bool { return now.Before(l.AwayUntil) }

// MaxAway is how far ahead a liaison may say it is away: an organisation
// whose liaisons are gone for longer needs another liaison, not a deputy.
const MaxAway = 60 * 24 * time.Hour

// MaxTokenLabel is the longest label a token keeps, in bytes: a label says
// what a token is for, and every user may make tokens.
const MaxTokenLabel = 200

// CheckTokenLabel returns a CodeInvalid error for a label that is too
// long or not UTF-8 text.
func CheckTokenLabel(label string) error {
	if len(label) > MaxTokenLabel || !utf8.ValidString(label) {
		return Errorf(CodeInvalid, "a token label is at most %d bytes of UTF-8 text", MaxTokenLabel)
	}
	return nil
}

// Token is an API token's metadata. The secret itself is shown once, when it
// is created, and only its hash is stored.
type Token struct {
	ID      int64     `json:"id"`
	User    string    `json:"user"`
	Label   string    `json:"label,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// ReadOnly limits the token to safe requests (policy.MayRequest), so
	// that a machine which only reads, such as a SIEM polling TAXII, holds
	// no credential that could change anything.
	ReadOnly bool       `json:"read_only"`
	Revoked  *time.Time `json:"revoked,omitempty"`
}

// MaxLiveTokens is the most tokens a user holds that are neither revoked
// nor expired. Every user may make tokens, each a row and a credential to
// keep track of; a user at the bound revokes one first.
const MaxLiveTokens = 20

// MaxTokenLifetime is the longest lifetime a user gives a token it makes
// itself, through the API or the web UI.
const MaxTokenLifetime = 366 * 24 * time.Hour

// Compartment is a need-to-know group: partner organisations and named users.
type Compartment struct {
	ID          int64     `json:"-"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Orgs        []string  `json:"orgs"`
	Users       []string  `json:"users"`
	Created     time.Time `json:"created"`
}
