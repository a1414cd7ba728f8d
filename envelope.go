package mosaic

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// TLP is a Traffic Light Protocol 2.0 level.
type TLP string

// The TLP 2.0 levels, from least to most restrictive.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// TLPLevels lists the levels from least to most restrictive.
var TLPLevels = []TLP{TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed}

// ParseTLP accepts a level in lower or upper case, with or without the
// "TLP:" prefix, and returns it or a CodeInvalid error.
func ParseTLP(s string) (TLP, error) {
	t := TLP(strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "tlp:"))
	if slices.Contains(TLPLevels, t) {
		return t, nil
	}
	return "", Errorf(CodeInvalid, "TLP %q is not one of clear, green, amber, amber+strict, red", s)
}

// Rank orders levels: a higher rank is more restrictive.
func (t TLP) Rank() int { return slices.Index(TLPLevels, t) }

// Label is the level as TLP 2.0 writes it, for example "TLP:AMBER+STRICT".
func (t TLP) Label() string { return "TLP:" + strings.ToUpper(string(t)) }

// Audience says who inside Mosaic may see a record besides its originator:
// nobody else (the zero value), every partner (Cell), or the members of any of
// the named compartments. Cell and compartments never combine.
type Audience struct {
	Cell         bool
	Compartments []string // sorted, without duplicates
}

// Audience words, as the API and the STIX extension write them.
const (
	AudienceOriginator = "originator"
	AudienceCell       = "cell"
	compartmentPrefix  = "compartment:"
)

// ParseAudience reads "originator", "cell", or one or more
// "compartment:NAME" joined by commas.
func ParseAudience(s string) (Audience, error) {
	return ParseAudienceList(strings.Split(s, ","))
}

// ParseAudienceList reads the list form of an audience, as in the STIX
// extension: ["originator"], ["cell"] or ["compartment:a", "compartment:b"].
func ParseAudienceList(items []string) (Audience, error) {
	var a Audience
	if len(items) == 0 {
		return a, Errorf(CodeInvalid, "audience is empty: use originator, cell or compartment:NAME")
	}
	for _, it := range items {
		it = strings.TrimSpace(it)
		switch {
		case it == AudienceOriginator || it == AudienceCell:
			if len(items) != 1 {
				return Audience{}, Errorf(CodeInvalid, "audience %q cannot be combined with other audiences", it)
			}
			a.Cell = it == AudienceCell
		case strings.HasPrefix(it, compartmentPrefix):
			name := strings.TrimPrefix(it, compartmentPrefix)
			if !ValidName(name) {
				return Audience{}, Errorf(CodeInvalid, "audience %q does not name a compartment", it)
			}
			a.Compartments = append(a.Compartments, name)
		default:
			return Audience{}, Errorf(CodeInvalid, "audience %q is not originator, cell or compartment:NAME", it)
		}
	}
	slices.Sort(a.Compartments)
	a.Compartments = slices.Compact(a.Compartments)
	return a, nil
}

// IsOriginator reports whether only the originator may see the record.
func (a Audience) IsOriginator() bool { return !a.Cell && len(a.Compartments) == 0 }

// List is the audience in list form.
func (a Audience) List() []string {
	switch {
	case a.Cell:
		return []string{AudienceCell}
	case len(a.Compartments) == 0:
		return []string{AudienceOriginator}
	}
	out := make([]string, len(a.Compartments))
	for i, c := range a.Compartments {
		out[i] = compartmentPrefix + c
	}
	return out
}

// String is the audience in query-parameter form.
func (a Audience) String() string { return strings.Join(a.List(), ",") }

// Equal reports whether a and b name the same audience.
func (a Audience) Equal(b Audience) bool {
	return a.Cell == b.Cell && slices.Equal(a.Compartments, b.Compartments)
}

// MarshalJSON writes the list form.
func (a Audience) MarshalJSON() ([]byte, error) { return json.Marshal(a.List()) }

// UnmarshalJSON reads the list form.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var items []string
	if err := json.Unmarshal(b, &items); err != nil {
		return Errorf(CodeInvalid, "audience must be a list of strings")
	}
	v, err := ParseAudienceList(items)
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Envelope is the handling data that travels with every record, DESIGN §3.
type Envelope struct {
	Originator string   `json:"originator"` // organisation short name; set by the server, never by the client
	TLP        TLP      `json:"tlp"`
	Audience   Audience `json:"audience"`
	ORCON      bool     `json:"orcon"`
	LegalBasis string   `json:"legal_basis"`
	ReviewBy   string   `json:"review_by"` // a date, YYYY-MM-DD
	// Added is when this record was stored; it is not part of the handling
	// decision.
	Added time.Time `json:"added"`
}

// DateLayout is the layout of review dates.
const DateLayout = "2006-01-02"

// ParseDate reads a review date (YYYY-MM-DD).
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, Errorf(CodeInvalid, "date %q is not of the form YYYY-MM-DD", s)
	}
	return t, nil
}
