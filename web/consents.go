package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/release"
)

// The liaison's consent inbox: the releases that ask a partner
// organisation's consent (/consents), each as its liaison may see it (its
// own organisation's objects only, and its own consent), and a form to
// approve, refuse or approve it sanitised. Everything is read and decided
// through the content service with the liaison's own viewer.

// MaxConsentRows bounds the releases the inbox reads: the newest of those
// the liaison sees.
const MaxConsentRows = 100

// MaxPendingRows bounds the pending requests the inbox lists: all of them
// in a cell that works, which newer requests, decided or not, must not
// push out of it.
const MaxPendingRows = mosaic.MaxReleasedPage

// consentsOn refuses the inbox, as a page that does not exist, to anyone
// but a partner's liaison, or a deputy of its liaisons while they are all
// away, on a server that makes releases.
func (s *Server) consentsOn(r *http.Request, q *request) error {
	if !s.content.ReleasesOn() || !q.consents {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	return nil
}

// ownConsent is the consent of v's organisation in r, or nil when r asks
// nothing of it.
func ownConsent(r *mosaic.Release, org string) *mosaic.ReleaseConsent {
	if r == nil {
		return nil
	}
	for i := range r.Consents {
		if r.Consents[i].Org == org {
			return &r.Consents[i]
		}
	}
	return nil
}

type consentRow struct {
	ID, Title, Drafter string
	TLP                mosaic.TLP
	Revision           int
	State              string // in words
	Pending            bool
	Created, Updated   time.Time
	Deadline           time.Time // zero for none
	Due                string    // how far the deadline is, in words, while pending
	Overdue            bool
	DecidedBy          string // and whether as a deputy, in words
}

// dueIn says in words how far deadline is from now, and whether it
// passed: in hours below two days, in whole days beyond.
func dueIn(p *page, deadline, now time.Time) (string, bool) {
	d := deadline.Sub(now)
	switch {
	case d <= 0:
		return p.T("consents.due.overdue"), true
	case d < time.Hour:
		return p.T("consents.due.soon"), false
	case d < 2*time.Hour:
		return p.T("consents.due.hour"), false
	case d < 48*time.Hour:
		return p.T("consents.due.hours", int(d/time.Hour)), false
	}
	return p.T("consents.due.days", int(d/(24*time.Hour))), false
}

// decider names who decided c, and says so when a deputy did.
func decider(p *page, c *mosaic.ReleaseConsent) string {
	switch {
	case c.DecidedBy == "" || c.State == mosaic.ConsentPending:
		return ""
	case c.Deputy:
		return p.T("consents.decider.deputy", c.DecidedBy)
	}
	return c.DecidedBy
}

// byDeadline orders the inbox: pending requests first, the soonest
// deadline first and those without one after them, then newest first.
func byDeadline(a, b consentRow) int {
	if a.Pending != b.Pending {
		if a.Pending {
			return -1
		}
		return 1
	}
	if a.Pending && !a.Deadline.Equal(b.Deadline) {
		switch {
		case a.Deadline.IsZero():
			return 1
		case b.Deadline.IsZero():
			return -1
		}
		return a.Deadline.Compare(b.Deadline)
	}
	return b.Created.Compare(a.Created)
}

// consentRows lists the releases that ask q's organisation, pending ones
// first by deadline, then newest first.
func (s *Server) consentRows(r *http.Request, q *request, p *page) ([]consentRow, error) {
	// Listings of the releases that ask the organisation, with its own
	// consent on each, so that no release is read apart: every pending
	// one (up to MaxPendingRows), which newer requests, decided or not,
	// must not push out of the inbox, then the newest decided ones.
	a := access("web.consents", "")
	pending, err := s.content.ReleaseList(r.Context(), q.viewer, mosaic.ReleaseFilter{Pending: true, Limit: MaxPendingRows}, a)
	if err != nil {
		return nil, err
	}
	recent, err := s.content.ReleaseList(r.Context(), q.viewer, mosaic.ReleaseFilter{Asked: true, Limit: MaxConsentRows}, a)
	if err != nil {
		return nil, err
	}
	var rows []consentRow
	now := s.clock.Now()
	listed := map[string]bool{}
	for _, e := range append(pending, recent...) {
		c := e.Consent
		if c == nil || listed[e.ID] {
			continue
		}
		listed[e.ID] = true
		row := consentRow{ID: e.ID, Title: e.Title, Drafter: e.DrafterOrg, TLP: e.TLP, Revision: e.Revision,
			State: consentState(p, c.State), Pending: c.State == mosaic.ConsentPending, Created: e.Created, Updated: e.Updated,
			Deadline: e.Deadline, DecidedBy: decider(p, c)}
		if row.Pending && !row.Deadline.IsZero() {
			row.Due, row.Overdue = dueIn(p, row.Deadline, now)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, byDeadline)
	return rows, nil
}

// pendingConsents counts the consents pending of q's organisation, for
// the navigation; a listing that fails counts none, as the page it is on
// does not depend on it.
func (s *Server) pendingConsents(r *http.Request, q *request, p *page) int {
	rows, err := s.consentRows(r, q, p)
	if err != nil {
		return 0
	}
	n := 0
	for _, row := range rows {
		if row.Pending {
			n++
		}
	}
	return n
}

// consentState says a consent's state in words.
func consentState(p *page, st mosaic.ConsentState) string {
	switch st {
	case mosaic.ConsentApproved:
		return p.T("consents.state.approved")
	case mosaic.ConsentRefused:
		return p.T("consents.state.refused")
	}
	return p.T("consents.state.pending")
}

type consentListView struct {
	Rows []consentRow
	// Deputy says the viewer decides as a deputy of its organisation's
	// liaisons, who are all away.
	Deputy bool
	// Away is the liaison's own away mark and its form; nil for a deputy,
	// who marks nobody away.
	Away *awayView
}

type awayView struct {
	Away            bool
	Until           time.Time
	Min, Max, Value string // the dates the form offers, and the one chosen
	MaxDays         int
	Message, Error  string
}

func (s *Server) consentsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.consentsOn(r, q); err != nil {
		return err
	}
	msg := ""
	switch r.URL.Query().Get("away") {
	case "set":
		msg = "consents.away.marked"
	case "back":
		msg = "consents.away.cleared"
	}
	return s.inbox(w, r, q, http.StatusOK, msg, "", "")
}

// inbox renders the inbox with status, the away form showing message or
// errText and the date chosen.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request, q *request, status int, message, errText, chosen string) error {
	p := s.newPage(q, "consents")
	rows, err := s.consentRows(r, q, p)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if row.Pending {
			p.Pending++
		}
	}
	v := consentListView{Rows: rows, Deputy: q.deputy}
	if policy.MayMarkAway(q.viewer) == nil {
		a, err := s.content.Away(r.Context(), q.viewer)
		if err != nil {
			return err
		}
		now := s.clock.Now().UTC()
		v.Away = &awayView{Away: !a.Until.IsZero(), Until: a.Until, Value: chosen, MaxDays: int(mosaic.MaxAway / (24 * time.Hour)), Error: errText,
			Min: now.Add(content.MinAway).Format(time.DateOnly), Max: now.Add(mosaic.MaxAway - 24*time.Hour).Format(time.DateOnly)}
		if message != "" {
			v.Away.Message = p.T(message)
		}
	}
	p.Title = p.T("consents.title")
	p.Data = v
	s.render(w, status, "consents", p)
	return nil
}

// markAway marks the liaison away until the end of the day chosen (UTC),
// or back.
func (s *Server) markAway(w http.ResponseWriter, r *http.Request, q *request) error {
	if !s.content.ReleasesOn() || policy.MayMarkAway(q.viewer) != nil {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	var until time.Time
	chosen := r.PostFormValue("until")
	switch r.PostFormValue("action") {
	case "back":
		chosen = ""
	case "away":
		day, err := time.Parse(time.DateOnly, chosen)
		if err != nil {
			return s.inbox(w, r, q, http.StatusBadRequest, "", q.t("consents.away.date"), chosen)
		}
		until = day.Add(24 * time.Hour)
	default:
		return uiErr(mosaic.CodeInvalid, "error.form")
	}
	if _, err := s.content.SetAway(r.Context(), q.viewer, until, access("web.away", "")); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeInvalid {
			return s.inbox(w, r, q, http.StatusBadRequest, "", q.t("consents.away.refused", mosaic.ErrorMessage(err)), chosen)
		}
		return err
	}
	to := "/consents?away=set"
	if until.IsZero() {
		to = "/consents?away=back"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// consentTLPs are the levels a liaison may choose for an object: those
// below its own.
func consentTLPs(t mosaic.TLP) []mosaic.TLP {
	var out []mosaic.TLP
	for _, l := range mosaic.TLPLevels {
		if l.Rank() < t.Rank() {
			out = append(out, l)
		}
	}
	return out
}

type genChoice struct {
	Value, Label string
	Checked      bool
}

type consentObject struct {
	ID, Type, Name, Pattern string
	Source                  bool
	TLP                     mosaic.TLP
	Generalise              []genChoice
	RemoveDescription       bool
	Description             string
	LowerTLP                mosaic.TLP
	TLPs                    []mosaic.TLP
}

type consentView struct {
	ID, Title, Advice, Drafter string
	AdviceNL                   string    // the advice in Dutch, which the consent covers too
	Deadline                   time.Time // zero for none
	Due                        string    // while pending
	Overdue                    bool
	DecidedBy                  string
	Deputy                     bool // the viewer decides as a deputy
	Recipients                 []string
	TLP                        mosaic.TLP
	Revision                   int
	State                      string
	Pending                    bool
	Open                       bool   // the release is not yet published, withdrawn or discarded: it may be decided
	Reason                     string // the refusal's, as decided
	Objects                    []consentObject
	Preview                    []releasedRow
	Previewed                  bool
	Attribute                  bool
	FormReason                 string
	Message, Error             string
	MaxReason                  int
}

// consentRelease reads release id as q's liaison may see it; one that
// asks nothing of its organisation is the page of one that does not
// exist.
func (s *Server) consentRelease(r *http.Request, q *request, id string, a content.Access) (*mosaic.Release, error) {
	view, err := s.content.Release(r.Context(), q.viewer, id, a)
	if err != nil {
		return nil, notAsked(err, id)
	}
	if ownConsent(view.Release, q.viewer.Org) == nil {
		return nil, uiErr(mosaic.CodeNotFound, "consents.notfound", id)
	}
	return view.Release, nil
}

func notAsked(err error, id string) error {
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		return uiErr(mosaic.CodeNotFound, "consents.notfound", id)
	}
	return err
}

// generalisations are the choices the form offers, in its order.
var generalisations = []release.Generalisation{release.GeneraliseAddresses, release.GeneraliseURLs, release.GeneraliseHashes, release.GeneraliseFileNames, release.GeneraliseTimes}

func genLabel(p *page, g release.Generalisation) string {
	switch g {
	case release.GeneraliseAddresses:
		return p.T("consents.gen.addresses")
	case release.GeneraliseURLs:
		return p.T("consents.gen.urls")
	case release.GeneraliseHashes:
		return p.T("consents.gen.hashes")
	case release.GeneraliseFileNames:
		return p.T("consents.gen.file-names")
	}
	return p.T("consents.gen.times")
}

// newConsentView is the page of rel for q, its form filled from form
// (nil: empty).
func newConsentView(p *page, q *request, rel *mosaic.Release, form url.Values, now time.Time) consentView {
	c := ownConsent(rel, q.viewer.Org)
	v := consentView{ID: rel.ID, Title: rel.Title, Advice: rel.Advice, AdviceNL: rel.AdviceNL, Drafter: rel.DrafterOrg, Recipients: rel.Recipients, TLP: rel.TLP,
		Revision: rel.Revision, State: consentState(p, c.State), Pending: c.State == mosaic.ConsentPending, MaxReason: content.MaxReleaseReason,
		Open: rel.State != mosaic.ReleasePublished && rel.State != mosaic.ReleaseWithdrawn, Deadline: rel.Deadline, DecidedBy: decider(p, c), Deputy: q.deputy}
	if v.Pending && !v.Deadline.IsZero() {
		v.Due, v.Overdue = dueIn(p, v.Deadline, now)
	}
	if c.State == mosaic.ConsentRefused {
		v.Reason = c.Reason
	}
	for _, it := range rel.Items {
		if it.Originator != q.viewer.Org {
			continue // another originator's: never shown
		}
		m := props(it.Object)
		o := consentObject{ID: it.ID, Type: it.Type, Name: displayName(m), Source: it.Role == mosaic.ItemSource, TLP: it.TLP, TLPs: consentTLPs(it.TLP)}
		if o.Type == "indicator" {
			o.Pattern = cutBytes(str(m, "pattern"), maxPattern)
		}
		if form != nil {
			chosen := form["gen:"+it.ID]
			for _, g := range generalisations {
				o.Generalise = append(o.Generalise, genChoice{Value: string(g), Label: genLabel(p, g), Checked: slices.Contains(chosen, string(g))})
			}
			o.RemoveDescription = form.Get("remove:"+it.ID) != ""
			o.Description = form.Get("desc:" + it.ID)
			if t := mosaic.TLP(form.Get("tlp:" + it.ID)); slices.Contains(o.TLPs, t) {
				o.LowerTLP = t
			}
		} else {
			for _, g := range generalisations {
				o.Generalise = append(o.Generalise, genChoice{Value: string(g), Label: genLabel(p, g)})
			}
		}
		v.Objects = append(v.Objects, o)
	}
	if form != nil {
		v.Attribute = form.Get("attribute") != ""
		v.FormReason = form.Get("reason")
	}
	return v
}

// sanitisations reads the form's sanitisation of each of the liaison's
// objects; those left as they are are not named.
func sanitisations(v consentView) map[string]content.ObjectSanitisation {
	out := map[string]content.ObjectSanitisation{}
	for _, o := range v.Objects {
		var os content.ObjectSanitisation
		for _, g := range o.Generalise {
			if g.Checked {
				os.Generalise = append(os.Generalise, release.Generalisation(g.Value))
			}
		}
		if o.RemoveDescription {
			os.Remove = []string{"description"}
		} else if d := strings.TrimSpace(o.Description); d != "" {
			os.Rewrite = map[string]string{"description": strings.ReplaceAll(d, "\r\n", "\n")}
		}
		os.TLP = o.LowerTLP
		if len(os.Generalise) > 0 || len(os.Remove) > 0 || len(os.Rewrite) > 0 || os.TLP != "" {
			out[o.ID] = os
		}
	}
	return out
}

func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.consentsOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	rel, err := s.consentRelease(r, q, id, access("web.consent", ""))
	if err != nil {
		return err
	}
	p := s.newPage(q, "consents")
	v := newConsentView(p, q, rel, nil, s.clock.Now())
	if r.URL.Query().Get("decided") != "" {
		v.Message = p.T("consents.decided", v.State)
	}
	p.Title = rel.Title
	p.Pending = s.pendingConsents(r, q, p)
	p.Data = v
	s.render(w, http.StatusOK, "consent", p)
	return nil
}

// decideConsent previews or records the liaison's decision on a release.
func (s *Server) decideConsent(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.consentsOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	action := r.PostFormValue("action")
	audit := "web.consent.decide"
	if action == "preview" {
		audit = "web.consent"
	}
	rel, err := s.consentRelease(r, q, id, access(audit, action))
	if err != nil {
		return err
	}
	p := s.newPage(q, "consents")
	p.Title = rel.Title
	v := newConsentView(p, q, rel, r.PostForm, s.clock.Now())
	revision, _ := strconv.Atoi(r.PostFormValue("revision"))
	show := func(status int) error {
		p.Data = v
		s.render(w, status, "consent", p)
		return nil
	}
	san := sanitisations(v)
	c := content.Consent{Revision: revision, Attribute: v.Attribute}
	switch action {
	case "preview":
		v.Previewed = true
		for _, o := range v.Objects {
			for _, it := range rel.Items {
				if it.ID != o.ID || it.Originator != q.viewer.Org {
					continue
				}
				obj := []byte(it.Object)
				if os, ok := san[o.ID]; ok {
					out, err := release.Sanitise(obj, os.Sanitisation)
					if err != nil {
						v.Error = p.T("consents.preview.failed", o.ID, mosaic.ErrorMessage(err))
						return show(http.StatusBadRequest)
					}
					obj = out
				}
				rows, _, err := releasedRows(append(append([]byte(`{"objects":[`), obj...), ']', '}'))
				if err != nil {
					return err
				}
				v.Preview = append(v.Preview, rows...)
			}
		}
		return show(http.StatusOK)
	case content.DecideApprove:
		c.Decision = content.DecideApprove
	case content.DecideRefuse:
		c.Decision, c.Reason, c.Attribute = content.DecideRefuse, strings.ReplaceAll(strings.TrimSpace(v.FormReason), "\r\n", "\n"), false
		if c.Reason == "" {
			v.Error = p.T("consents.reason.required")
			return show(http.StatusBadRequest)
		}
	case content.DecideApproveSanitised:
		c.Decision, c.Sanitise = content.DecideApproveSanitised, san
		if len(san) == 0 {
			v.Error = p.T("consents.sanitise.none")
			return show(http.StatusBadRequest)
		}
	default:
		return uiErr(mosaic.CodeInvalid, "error.form")
	}
	if _, err := s.content.Consent(r.Context(), q.viewer, id, c, access("web.consent.decide", c.Decision)); err != nil {
		switch mosaic.ErrorCode(err) {
		case mosaic.CodeConflict:
			v.Error = p.T("consents.stale", revision, rel.Revision)
			return show(http.StatusConflict)
		case mosaic.CodeInvalid, mosaic.CodeTooLarge:
			v.Error = p.T("consents.refused", problemText(err))
			return show(http.StatusBadRequest)
		}
		return notAsked(err, id)
	}
	http.Redirect(w, r, "/consents/"+id+"?decided=1", http.StatusSeeOther)
	return nil
}

// problemText is a service error's message with its problems.
func problemText(err error) string {
	msg := mosaic.ErrorMessage(err)
	var e *mosaic.Error
	if errors.As(err, &e) {
		for _, pr := range e.Problems {
			where := pr.Object
			if pr.Property != "" {
				where += " (" + pr.Property + ")"
			}
			reason := strings.TrimPrefix(pr.Reason, pr.Object+": ")
			msg += "; " + where + ": " + reason
		}
	}
	return msg
}
