// Package policy decides who may see and do what in Mosaic. It is the only
// place such decisions are made: the stores compile its visibility rule into
// the SQL of every query, and the rest of Mosaic asks it before acting.
//
// Visibility (DESIGN §4.1): a partner's analysts and liaisons see their own
// organisation's records, records shared with the cell, and records shared
// with a compartment they belong to (through their organisation or by name).
// An auditor with a content grant sees what is shared with the cell.
// Stakeholders, admins and other auditors see no cell records at all.
//
// The rule is evaluated over audiences (visibility classes): every record
// points at one audience row (originator, cell, compartments), so a viewer's
// visible set is a small set of audience ids, and aggregates kept per
// audience can be summed without touching the records themselves.
//
// Schema contract with the stores:
//
//	audiences(id, originator, cell)              cell is 0 or 1
//	audience_compartments(audience_id, compartment_id)
//	compartment_members(compartment_id, org_id, user_id)   one of org_id, user_id set
package policy

import (
	"slices"
	"strings"

	"mosaic"
)

// access reports whether v reads partner content at all, and whether only
// the part shared with the cell.
func access(v mosaic.Viewer) (reads, cellOnly bool) {
	switch {
	case v.OrgKind == mosaic.Partner && (v.Role == mosaic.Analyst || v.Role == mosaic.Liaison):
		return true, false
	case v.Role == mosaic.Auditor && v.ContentGrant:
		return true, true
	}
	return false, false
}

// SeesContent reports whether v can see any cell content.
func SeesContent(v mosaic.Viewer) bool {
	ok, _ := access(v)
	return ok
}

// AudienceClause returns an SQL condition, with ? placeholders, that holds for
// the audiences v may see. alias names the audiences table in the caller's
// query.
func AudienceClause(v mosaic.Viewer, alias string) (string, []any) {
	ok, cellOnly := access(v)
	switch {
	case !ok:
		return "1 = 0", nil
	case cellOnly:
		return alias + ".cell = 1", nil
	}
	return "(" + alias + ".originator = ? OR " + alias + ".cell = 1 OR EXISTS (SELECT 1 FROM audience_compartments pac" +
			" JOIN compartment_members pm ON pm.compartment_id = pac.compartment_id" +
			" WHERE pac.audience_id = " + alias + ".id AND (pm.org_id = ? OR pm.user_id = ?)))",
		[]any{v.OrgID, v.OrgID, v.UserID}
}

// VisibleClause returns an SQL condition, with ? placeholders, that holds for
// the records v may see. column names the record's audience id in the
// caller's query, for example "r.audience_id". extra, when not empty, is a
// further condition on the audience (alias va) that the caller adds for its
// filters, with its arguments.
func VisibleClause(v mosaic.Viewer, column, extra string, extraArgs ...any) (string, []any) {
	if !SeesContent(v) {
		return "1 = 0", nil
	}
	cond, args := AudienceClause(v, "va")
	if extra != "" {
		cond += " AND " + extra
		args = append(args, extraArgs...)
	}
	return column + " IN (SELECT va.id FROM audiences va WHERE " + cond + ")", args
}

// Decision is a visibility or permission decision with the reason in words.
type Decision struct {
	Allowed bool
	Reason  string
}

// Explain decides whether v may see a record with envelope env, given the
// compartments v belongs to. It states the same rule as VisibleClause for
// one record, and says why.
func Explain(v mosaic.Viewer, env mosaic.Envelope, memberships []string) Decision {
	ok, cellOnly := access(v)
	switch {
	case !ok:
		return Decision{false, "denied: role " + string(v.Role) + " of a " + string(v.OrgKind) + " organisation sees no cell content"}
	case cellOnly && env.Audience.Cell:
		return Decision{true, "allowed: shared with the cell, and the auditor holds a content grant"}
	case cellOnly:
		return Decision{false, "denied: an auditor's content grant covers only what is shared with the cell"}
	case env.Originator == v.Org:
		return Decision{true, "allowed: contributed by the viewer's own organisation"}
	case env.Audience.Cell:
		return Decision{true, "allowed: shared with the cell"}
	case env.Audience.IsOriginator():
		return Decision{false, "denied: only the originator " + env.Originator + " may see it"}
	}
	for _, c := range env.Audience.Compartments {
		if slices.Contains(memberships, c) {
			return Decision{true, "allowed: member of compartment " + c}
		}
	}
	return Decision{false, "denied: not in compartment " + strings.Join(env.Audience.Compartments, " or ")}
}

// MayContribute returns nil when v may submit cell content: the analysts and
// liaisons of partner organisations.
func MayContribute(v mosaic.Viewer) error {
	if v.OrgKind == mosaic.Partner && (v.Role == mosaic.Analyst || v.Role == mosaic.Liaison) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "role %s of a %s organisation may not contribute objects; partner analysts and liaisons may", v.Role, v.OrgKind)
}

// CheckEnvelope returns a CodeInvalid error when env breaks a handling rule.
func CheckEnvelope(env mosaic.Envelope) error {
	if env.TLP == mosaic.TLPRed && env.Audience.Cell {
		return mosaic.Errorf(mosaic.CodeInvalid, "TLP:RED may only be shared with the audience originator or with compartments, not with the cell")
	}
	return nil
}

// MayShareWith returns a CodeInvalid error unless v belongs to every
// compartment in a. The message is the same for a compartment that does not
// exist and one v is not in: neither reveals the other.
func MayShareWith(v mosaic.Viewer, a mosaic.Audience, memberships []string) error {
	for _, c := range a.Compartments {
		if !slices.Contains(memberships, c) {
			return mosaic.Errorf(mosaic.CodeInvalid, "audience compartment:%s: no such compartment among yours", c)
		}
	}
	return nil
}

// ShownCompartments returns the compartments of a record's audience that v
// may read about: all of them for the originator's own users, otherwise only
// those v belongs to, so a record does not reveal the other need-to-know
// groups it was shared with.
func ShownCompartments(v mosaic.Viewer, originator string, compartments, memberships []string) []string {
	if originator == v.Org {
		return compartments
	}
	var out []string
	for _, c := range compartments {
		if slices.Contains(memberships, c) {
			out = append(out, c)
		}
	}
	return out
}

// CompartmentFilterClause returns an SQL condition on the audience alias va
// for the filter "records shared with compartment c": only those v may know
// about, that is, its own organisation's or those of a compartment v is in.
func CompartmentFilterClause(v mosaic.Viewer, compartmentID int64) (string, []any) {
	return "EXISTS (SELECT 1 FROM audience_compartments fac WHERE fac.audience_id = va.id AND fac.compartment_id = ?)" +
			" AND (va.originator = ? OR EXISTS (SELECT 1 FROM compartment_members fm WHERE fm.compartment_id = ? AND (fm.org_id = ? OR fm.user_id = ?)))",
		[]any{compartmentID, v.OrgID, compartmentID, v.OrgID, v.UserID}
}

// MayAdminister returns nil when v may manage organisations, users, tokens
// and compartments.
func MayAdminister(v mosaic.Viewer) error {
	if v.Role == mosaic.Admin {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "only admins manage organisations, users, tokens and compartments")
}

// MayReadAudit returns nil when v may read the audit log.
func MayReadAudit(v mosaic.Viewer) error {
	if v.Role == mosaic.Auditor {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "only auditors read the audit log")
}
