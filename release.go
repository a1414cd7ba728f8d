package mosaic

import "strings"

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
