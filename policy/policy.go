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

// partnerStaff reports whether a user of role r in an organisation of kind k
// is one of a partner's analysts or liaisons: the people who read and
// contribute cell content, belong to compartments by name and deconflict.
func partnerStaff(k mosaic.OrgKind, r mosaic.Role) bool {
	return k == mosaic.Partner && (r == mosaic.Analyst || r == mosaic.Liaison)
}

// access reports whether v reads partner content at all, and whether only
// the part shared with the cell.
func access(v mosaic.Viewer) (reads, cellOnly bool) {
	switch {
	case partnerStaff(v.OrgKind, v.Role):
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

// MembershipClause returns an SQL condition, with ? placeholders, that holds
// for the rows of compartment_members (alias m) that make v a member: of its
// organisation or of v by name. ok is false for viewers who cannot be a
// member of anything (only partner organisations and their staff are).
func MembershipClause(v mosaic.Viewer, m string) (cond string, args []any, ok bool) {
	if v.OrgKind != mosaic.Partner {
		return "", nil, false
	}
	return "(" + m + ".org_id = ? OR " + m + ".user_id = ?)", []any{v.OrgID, v.UserID}, true
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
	member, margs, _ := MembershipClause(v, "pm")
	return "(" + alias + ".originator = ? OR " + alias + ".cell = 1 OR EXISTS (SELECT 1 FROM audience_compartments pac" +
			" JOIN compartment_members pm ON pm.compartment_id = pac.compartment_id" +
			" WHERE pac.audience_id = " + alias + ".id AND " + member + "))",
		append([]any{v.OrgID}, margs...)
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

// AudienceFilterClause returns an SQL condition on the audience alias va for
// a listing's audience filter: "originator" (records shared with nobody
// else), "cell", or "compartment:NAME", where compartmentID is the named
// compartment's id, or 0 when there is none. A compartment filter selects
// only what v may know was shared with it: its own organisation's records,
// or those of a compartment v is in. So an unknown compartment and one v is
// not in select alike: nothing (beyond what v contributed). The caller adds
// the visibility clause as for any listing. CodeInvalid for another filter.
func AudienceFilterClause(v mosaic.Viewer, audience string, compartmentID int64) (string, []any, error) {
	switch {
	case audience == mosaic.AudienceOriginator:
		return "va.cell = 0 AND NOT EXISTS (SELECT 1 FROM audience_compartments xac WHERE xac.audience_id = va.id)", nil, nil
	case audience == mosaic.AudienceCell:
		return "va.cell = 1", nil, nil
	case strings.HasPrefix(audience, "compartment:"):
		cond := "EXISTS (SELECT 1 FROM audience_compartments fac WHERE fac.audience_id = va.id AND fac.compartment_id = ?)"
		args := []any{compartmentID}
		member, margs, ok := MembershipClause(v, "fm")
		if !ok {
			return cond + " AND va.originator = ?", append(args, v.OrgID), nil
		}
		return cond + " AND (va.originator = ? OR EXISTS (SELECT 1 FROM compartment_members fm WHERE fm.compartment_id = ? AND " + member + "))",
			append(append(args, v.OrgID, compartmentID), margs...), nil
	}
	return "", nil, mosaic.Errorf(mosaic.CodeInvalid, "audience filter %q is not originator, cell or compartment:NAME", audience)
}

// Decision is a visibility or permission decision with the reason in words.
type Decision struct {
	Allowed bool
	Reason  string
}

// why is the reason of a visibility decision, before it is put in words.
type why int

const (
	noContent why = iota
	grantCell
	grantOnlyCell
	ownOrg
	sharedCell
	onlyOriginator
	inCompartment
	notInCompartment
)

// visible decides whether v may see a record of originator shared with a,
// given the compartments v belongs to; comp names the compartment that
// decided, when one did. It is the rule of VisibleClause for one record,
// and allocates nothing, since the stores ask it for every record they
// show.
func visible(v mosaic.Viewer, originator string, a mosaic.Audience, memberships []string) (bool, why, string) {
	ok, cellOnly := access(v)
	switch {
	case !ok:
		return false, noContent, ""
	case cellOnly && a.Cell:
		return true, grantCell, ""
	case cellOnly:
		return false, grantOnlyCell, ""
	case originator == v.Org:
		return true, ownOrg, ""
	case a.Cell:
		return true, sharedCell, ""
	case a.IsOriginator():
		return false, onlyOriginator, ""
	}
	for _, c := range a.Compartments {
		if slices.Contains(memberships, c) {
			return true, inCompartment, c
		}
	}
	return false, notInCompartment, ""
}

// Explain decides whether v may see a record with envelope env, given the
// compartments v belongs to. It states the same rule as VisibleClause for
// one record, and says why.
func Explain(v mosaic.Viewer, env mosaic.Envelope, memberships []string) Decision {
	ok, w, comp := visible(v, env.Originator, env.Audience, memberships)
	var reason string
	switch w {
	case noContent:
		reason = "denied: role " + string(v.Role) + " of a " + string(v.OrgKind) + " organisation sees no cell content"
	case grantCell:
		reason = "allowed: shared with the cell, and the auditor holds a content grant"
	case grantOnlyCell:
		reason = "denied: an auditor's content grant covers only what is shared with the cell"
	case ownOrg:
		reason = "allowed: contributed by the viewer's own organisation"
	case sharedCell:
		reason = "allowed: shared with the cell"
	case onlyOriginator:
		reason = "denied: only the originator " + env.Originator + " may see it"
	case inCompartment:
		reason = "allowed: member of compartment " + comp
	case notInCompartment:
		reason = "denied: not in compartment " + strings.Join(env.Audience.Compartments, " or ")
	}
	return Decision{ok, reason}
}

// ShownAudience returns the audience of a record of originator, shared with
// a, as v may read it (see ShownCompartments), and false when v may not see
// the record under memberships, the compartments v belonged to when its
// read began. A store's query applies the same rule in SQL a moment later;
// a record it returns that this denies was seen through a compartment v has
// joined in between, and is left out rather than shown with an audience
// that names none of the compartments it was seen through.
func ShownAudience(v mosaic.Viewer, originator string, a mosaic.Audience, memberships []string) (mosaic.Audience, bool) {
	if ok, _, _ := visible(v, originator, a, memberships); !ok {
		return mosaic.Audience{}, false
	}
	return mosaic.Audience{Cell: a.Cell, Compartments: ShownCompartments(v, originator, a.Compartments, memberships)}, true
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

// SeenWith reports whether everyone who may see the records of audience row
// of may also see those of audience row id (shared with the cell when cell).
// Aggregates kept per audience use it: a count kept under of may only draw
// on records that every viewer of of can read, and a record shared with the
// cell, or with the very same audience, is such a record.
func SeenWith(id int64, cell bool, of int64) bool {
	return cell || id == of
}

// Members are the members of one compartment: organisations, and users by
// name with the organisation each belongs to.
type Members struct {
	Orgs  []string
	Users map[string]string // user → organisation
}

// Reach is who may read the records of one audience: the whole cell, or
// the staff of some organisations and some users by name.
type Reach struct {
	Cell  bool
	Orgs  []string
	Users map[string]string // user → organisation
}

// ReachOf says who reads records of originator shared with a, given the
// members of a's compartments.
func ReachOf(originator string, a mosaic.Audience, members map[string]Members) Reach {
	if a.Cell {
		return Reach{Cell: true}
	}
	r := Reach{Orgs: []string{originator}, Users: map[string]string{}}
	for _, c := range a.Compartments {
		m := members[c]
		for _, o := range m.Orgs {
			if !slices.Contains(r.Orgs, o) {
				r.Orgs = append(r.Orgs, o)
			}
		}
		for u, o := range m.Users {
			r.Users[u] = o
		}
	}
	return r
}

// Covers reports whether everyone in other is in r: whether records
// reaching other reach nobody r does not.
func (r Reach) Covers(other Reach) bool {
	switch {
	case r.Cell:
		return true
	case other.Cell:
		return false
	}
	for _, o := range other.Orgs {
		if !slices.Contains(r.Orgs, o) {
			return false
		}
	}
	for u, o := range other.Users {
		if _, ok := r.Users[u]; !ok && !slices.Contains(r.Orgs, o) {
			return false
		}
	}
	return true
}

// Held is another organisation's contribution of an object a contributor
// can see: who it reaches and under which TLP.
type Held struct {
	Originator string
	Reach      Reach
	TLP        mosaic.TLP
	ORCON      bool
}

// MayReshare returns nil when a contribution of an object, reaching reach
// under tlp with originator control orcon, neither widens who reads, nor
// lowers the TLP, nor drops the originator control of any other
// organisation's contribution of the same id that the contributor can see
// (held). Copying what another partner shared, under its id, to more
// readers, at a lower TLP or free of ORCON would undo that partner's
// control over it. Legal basis and review date are not compared: each
// organisation keeps its own records under its own legal regime. It
// guards against mistakes and casual re-sharing; content copied under a
// new id is what the audit trail is for. The caller exempts value-derived
// SCOs and copies of third parties' objects. CodeInvalid, naming the rule
// and the contribution.
func MayReshare(reach Reach, tlp mosaic.TLP, orcon bool, held []Held) error {
	for _, h := range held {
		switch {
		case !h.Reach.Covers(reach):
			return mosaic.Errorf(mosaic.CodeInvalid, "organisation %s holds this object for fewer readers; a contribution of the same id may not reach anyone its contribution does not (originator control): share it with no more than %s does", h.Originator, h.Originator)
		case tlp.Rank() < h.TLP.Rank():
			return mosaic.Errorf(mosaic.CodeInvalid, "organisation %s holds this object under %s; a contribution of the same id may not lower its TLP (only %s may)", h.Originator, h.TLP.Label(), h.Originator)
		case h.ORCON && !orcon:
			return mosaic.Errorf(mosaic.CodeInvalid, "organisation %s holds this object under originator control (ORCON); a contribution of the same id may not drop it (only %s may)", h.Originator, h.Originator)
		}
	}
	return nil
}

// MayContribute returns nil when v may submit cell content: the analysts and
// liaisons of partner organisations.
func MayContribute(v mosaic.Viewer) error {
	if partnerStaff(v.OrgKind, v.Role) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "role %s of a %s organisation may not contribute objects; partner analysts and liaisons may", v.Role, v.OrgKind)
}

// MayDeconflict returns nil when v may use deconfliction, its hits
// included: the analysts and liaisons of partner organisations.
func MayDeconflict(v mosaic.Viewer) error {
	if partnerStaff(v.OrgKind, v.Role) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "deconfliction is for analysts and liaisons of partner organisations")
}

// MayJoinCompartment returns nil when user, of role r in an organisation of
// kind k, may be a compartment member by name: compartments are
// need-to-know groups of partner staff who read content. A user whose role
// changes to one that may not keeps no memberships. CodeInvalid.
func MayJoinCompartment(user string, k mosaic.OrgKind, r mosaic.Role) error {
	if partnerStaff(k, r) {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeInvalid, "only analysts and liaisons of partner organisations can be compartment members; %s is a %s of a %s organisation", user, r, k)
}

// MayJoinCompartmentAsOrg returns nil when an organisation of kind k may be a
// compartment member: partners only. CodeInvalid.
func MayJoinCompartmentAsOrg(org string, k mosaic.OrgKind) error {
	if k == mosaic.Partner {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeInvalid, "only partner organisations can be compartment members; %s is a %s", org, k)
}

// MayHoldContentGrant returns nil when a user of role r may hold a content
// grant: auditors only, whose grant lets them read what is shared with the
// cell (access). For every other role the grant would mean nothing, and
// storing it would only mislead whoever reads the directory. CodeInvalid.
func MayHoldContentGrant(r mosaic.Role) error {
	if r == mosaic.Auditor {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeInvalid, "a content grant is for auditors only")
}

// CheckEnvelope returns a CodeInvalid error when env breaks a handling rule.
func CheckEnvelope(env mosaic.Envelope) error {
	if env.TLP == mosaic.TLPRed && env.Audience.Cell {
		return mosaic.Errorf(mosaic.CodeInvalid, "TLP:RED may only be shared with the audience originator or with compartments, not with the cell")
	}
	return nil
}

// MayShareWith returns nil when v may contribute records with audience a,
// given the compartments v belongs to: v must be a contributor, and belong
// to every compartment a names. A compartment that does not exist and one
// v is not in give the same CodeInvalid message: neither reveals the
// other. CodeForbidden for a viewer who may not contribute at all.
func MayShareWith(v mosaic.Viewer, a mosaic.Audience, memberships []string) error {
	if err := MayContribute(v); err != nil {
		return err
	}
	for _, c := range a.Compartments {
		if !slices.Contains(memberships, c) {
			return mosaic.Errorf(mosaic.CodeInvalid, "audience compartment:%s: no such compartment among yours", c)
		}
	}
	return nil
}

// ContentRole reports whether a user of role r in an organisation of kind
// k, with a content grant or not, reads cell content: the changes that
// give one wait for an approver (see ChangeApproval).
func ContentRole(k mosaic.OrgKind, r mosaic.Role, grant bool) bool {
	return partnerStaff(k, r) || (r == mosaic.Auditor && grant)
}

// MayReshareCopy returns nil when a copy of a third party's object (a
// public ATT&CK technique, a vendor's report) that other organisations
// hold (held, each a copy by the same creator) goes no further than one of
// them: it reaches no one that contribution does not, at no lower TLP,
// keeping its ORCON. Such an object may be public, or licensed to whoever
// received it, so what one partner already shares with the cell another
// may share too; but one that partners hold only under restriction is not
// widened by copying it, which would undo their control. CodeInvalid, as
// MayReshare, naming the least restricted contribution's objection.
func MayReshareCopy(reach Reach, tlp mosaic.TLP, orcon bool, held []Held) error {
	var first error
	for _, h := range held {
		err := MayReshare(reach, tlp, orcon, []Held{h})
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// ReadsContent reports whether u, of an organisation of kind k, reads cell
// content: an enabled user with a content role.
func ReadsContent(k mosaic.OrgKind, u mosaic.User) bool {
	return !u.Disabled && ContentRole(k, u.Role, u.ContentGrant)
}

// FreshCredentials reports whether a change of a user from cur to next
// makes it read content it did not: then its password, tokens and sessions
// end and its approver hands it a one-time code. Whatever credentials it
// had were set while an admin could set them (a user who reads no content
// gets its codes through the admin), so they would let the admin in.
func FreshCredentials(k mosaic.OrgKind, cur, next mosaic.User) bool {
	return !ReadsContent(k, cur) && ReadsContent(k, next)
}

// Approval says who must approve a change: an approver of Org, or of any
// partner when Org is "". Needed is false for a change that may be made at
// once: one that gives nobody content, or only takes it away.
type Approval struct {
	Needed bool
	Org    string
	// Fields names the fields of a user whose change waits for approval
	// (role, content_grant, email, disabled); the rest of a change is made
	// at once.
	Fields []string
	// Why says in words what makes the change need approval.
	Why []string
	// Consents, when set, are the organisations whose approvers must each
	// agree, Org among them, by name (mosaic.ChangeRequest.Consents).
	Consents []string
}

// UserApproval decides a new user (cur nil) or a change of one, of an
// organisation of kind k. Making a user who reads content, giving a user
// a content role or a content grant, and changing a partner user's e-mail
// address (where its one-time codes will go) need the approval of the
// user's organisation, or, for a content grant, of any partner (the grant
// reads what every partner shares with the cell). So does enabling again a
// user who would read content. Taking a role or grant away, disabling a
// user and changing a display name do not.
func UserApproval(cur *mosaic.User, next mosaic.User, k mosaic.OrgKind) Approval {
	var a Approval
	need := func(field, why string) {
		a.Fields = append(a.Fields, field)
		a.Why = append(a.Why, why)
	}
	switch {
	case cur == nil && ContentRole(k, next.Role, next.ContentGrant):
		need("role", "a new "+string(next.Role)+" reads content")
	case cur != nil && next.Role != cur.Role && ContentRole(k, next.Role, false) && !(ContentRole(k, cur.Role, false) && next.Role == mosaic.Analyst):
		// A liaison made an analyst loses powers; every other step into a
		// content role gains some.
		need("role", "role "+string(next.Role)+" reads content")
	}
	if cur != nil && cur.Disabled && !next.Disabled && ContentRole(k, next.Role, next.ContentGrant) {
		// Enabled again, the user reads content again, with whatever
		// tokens and password it kept.
		need("disabled", "an enabled "+string(next.Role)+" reads content")
	}
	anyPartner := next.ContentGrant && (cur == nil || !cur.ContentGrant) ||
		slices.Contains(a.Fields, "disabled") && next.Role == mosaic.Auditor
	if k == mosaic.Partner && cur != nil && next.Email != cur.Email {
		need("email", "one-time codes go to the e-mail address")
	}
	a.Org = next.Org
	if next.ContentGrant && (cur == nil || !cur.ContentGrant) {
		need("content_grant", "a content grant reads what every partner shares with the cell")
	}
	if anyPartner {
		// The grant reads what every partner shares with the cell: any
		// partner's approver decides, whatever else the change does.
		a.Org = ""
	}
	a.Needed = len(a.Why) > 0
	if !a.Needed {
		a.Org = ""
	}
	return a
}

// MayChangeUser returns nil unless v changes its own role, content grant,
// e-mail address or right to approve: nobody does. CodeForbidden.
func MayChangeUser(v mosaic.Viewer, cur, next mosaic.User) error {
	if cur.Name == v.User && (next.Role != cur.Role || next.ContentGrant != cur.ContentGrant || next.Email != cur.Email || next.Approver != cur.Approver) {
		return mosaic.Errorf(mosaic.CodeForbidden, "nobody changes their own role, grant, e-mail address or right to approve")
	}
	return nil
}

// MemberApproval decides adding a member to a compartment: a partner
// organisation or a user of one (of organisation memberOrg). Either reads
// the compartment's records from then on, so an approver of memberOrg
// agrees, and so does one of every organisation concerned: those in the
// compartment (through themselves or their users) and those that shared
// records with it, members still or not, since what they shared there goes
// to someone new. Removing a member needs nobody's approval: it only takes
// content away. Who is concerned is not named in the request's words: only
// admins know a compartment's members.
func MemberApproval(memberOrg string, concerned []string) Approval {
	a := Approval{Needed: true, Org: memberOrg, Why: []string{"members of the compartment read what is shared with it"}}
	orgs := []string{memberOrg}
	for _, o := range concerned {
		if o != "" && !slices.Contains(orgs, o) {
			orgs = append(orgs, o)
		}
	}
	if len(orgs) > 1 {
		slices.Sort(orgs)
		a.Consents = orgs
		a.Why = append(a.Why, "every organisation in the compartment or that shared with it agrees to show what it shared there to a new member")
	}
	return a
}

// OrgApproval decides a change of an organisation: a new default
// audience, which every contribution without an audience of its own then
// takes, needs its approver.
func OrgApproval(cur, next mosaic.Organisation) Approval {
	if next.DefaultAudience.Equal(cur.DefaultAudience) {
		return Approval{}
	}
	return Approval{Needed: true, Org: cur.Name, Why: []string{"the default audience decides who sees what the organisation contributes"}}
}

// ApproverApproval decides giving user u the right to approve: only with
// the consent of an existing approver of its organisation (the operator's
// command line is the other way, the audited break-glass path). Taking the
// right away needs nobody's approval.
func ApproverApproval(u mosaic.User) Approval {
	return Approval{Needed: true, Org: u.Org, Fields: []string{"approver"}, Why: []string{"an approver decides who sees the organisation's content"}}
}

// PasswordApproval decides a one-time password code for user u of an
// organisation of kind k. The admin never learns a password or a code of
// a user who reads content: such a code is shown to the approver of the
// user's organisation (any partner's for an auditor with a grant), who
// hands it over. A user who reads no content gets its code at once,
// through the admin.
func PasswordApproval(u mosaic.User, k mosaic.OrgKind) Approval {
	switch {
	case partnerStaff(k, u.Role):
		return Approval{Needed: true, Org: u.Org, Why: []string{"whoever knows the code signs in as a user who reads content"}}
	case ContentRole(k, u.Role, u.ContentGrant):
		return Approval{Needed: true, Why: []string{"whoever knows the code signs in as a user who reads content"}}
	}
	return Approval{}
}

// MayRequestChange returns nil when v may ask for r: admins ask, and
// nobody asks for a change of their own role, grant, e-mail address or
// right to approve. CodeForbidden.
func MayRequestChange(v mosaic.Viewer, r mosaic.ChangeRequest) error {
	if err := MayAdminister(v); err != nil {
		return err
	}
	if r.Subject == v.User && r.Kind != mosaic.ChangePasswordReset {
		return mosaic.Errorf(mosaic.CodeForbidden, "nobody asks for a change of their own role, grant, e-mail address or right to approve")
	}
	if r.Kind == mosaic.ChangeMemberAdd && r.Change.MemberUser == v.User {
		return mosaic.Errorf(mosaic.CodeForbidden, "nobody adds themselves to a compartment")
	}
	return nil
}

// IsApprover reports whether v may approve at all: a partner's liaison
// with the right to approve.
func IsApprover(v mosaic.Viewer) bool {
	return v.OrgKind == mosaic.Partner && v.Role == mosaic.Liaison && v.Approver
}

// MayDecide returns nil when v may approve or refuse r: an approver of
// r.Org (of any partner when r.Org is ""), who did not ask for it and is
// not the user it changes. CodeForbidden; CodeNotFound for a request v
// may not even see (MaySeeRequest), which reads as one that does not
// exist.
func MayDecide(v mosaic.Viewer, r mosaic.ChangeRequest) error {
	if !MaySeeRequest(v, r) {
		return mosaic.Errorf(mosaic.CodeNotFound, "request %d not found", r.ID)
	}
	c, consents := r.Consent(v.Org)
	switch {
	case !IsApprover(v) || (r.Org != "" && r.Org != v.Org && !consents):
		return mosaic.Errorf(mosaic.CodeForbidden, "only an approver of %s decides this request", orAnyPartner(r.Org))
	case consents && c.DecidedBy != "":
		return mosaic.Errorf(mosaic.CodeConflict, "%s agreed to request %d already (%s); it waits for the other organisations", v.Org, r.ID, c.DecidedBy)
	case r.RequestedBy == v.User:
		return mosaic.Errorf(mosaic.CodeForbidden, "nobody approves their own request")
	case r.Subject == v.User || r.Change.MemberUser == v.User:
		return mosaic.Errorf(mosaic.CodeForbidden, "nobody approves a change of themselves")
	}
	return nil
}

func orAnyPartner(org string) string {
	if org == "" {
		return "a partner"
	}
	return org
}

// MaySeeRequest reports whether v may read r: admins read every request,
// approvers those they may decide or consent to, and everyone the requests
// they made.
func MaySeeRequest(v mosaic.Viewer, r mosaic.ChangeRequest) bool {
	if v.Role == mosaic.Admin || r.RequestedBy == v.User {
		return true
	}
	_, consents := r.Consent(v.Org)
	return IsApprover(v) && (r.Org == "" || r.Org == v.Org || consents)
}

// ShownRequest returns r as v, who may read it (MaySeeRequest), sees it:
// whole to admins and to whoever asked for it; to an approver, of the
// organisations whose agreement it needs, only its own, with the number of
// the others still to agree. Which organisations are asked tells who is in
// a compartment or shared with it, which only admins know.
func ShownRequest(v mosaic.Viewer, r mosaic.ChangeRequest) mosaic.ChangeRequest {
	if v.Role == mosaic.Admin || r.RequestedBy == v.User || len(r.Consents) == 0 {
		return r
	}
	var own []mosaic.Consent
	pending := 0
	for _, c := range r.Consents {
		switch {
		case c.Org == v.Org:
			own = append(own, c)
		case c.DecidedBy == "":
			pending++
		}
	}
	r.Consents, r.OthersPending = own, pending
	return r
}

// MayHoldApprover returns nil when a user of role r in an organisation of
// kind k may hold the right to approve: partner liaisons only. CodeInvalid.
func MayHoldApprover(k mosaic.OrgKind, r mosaic.Role) error {
	if k == mosaic.Partner && r == mosaic.Liaison {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeInvalid, "only a partner's liaison may approve")
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
