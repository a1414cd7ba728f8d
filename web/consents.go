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
	Updated            time.Time
}

// consentRows lists the releases that ask q's organisation, pending ones
// first, then newest first.
func (s *Server) consentRows(r *http.Request, q *request, p *page) ([]consentRow, error) {
	a := access("web.consents", "")
	list, err := s.content.ReleaseList(r.Context(), q.viewer, mosaic.ReleaseFilter{Limit: MaxConsentRows}, a)
	if err != nil {
		return nil, err
	}
	var rows []consentRow
	for _, e := range list {
		if e.Recipient != "" {
			continue // delivered to the organisation, not asked of it
		}
		view, err := s.content.Release(r.Context(), q.viewer, e.ID, a)
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := ownConsent(view.Release, q.viewer.Org)
		if c == nil {
			continue
		}
		rel := view.Release
		rows = append(rows, consentRow{ID: rel.ID, Title: rel.Title, Drafter: rel.DrafterOrg, TLP: rel.TLP, Revision: rel.Revision,
			State: consentState(p, c.State), Pending: c.State == mosaic.ConsentPending, Updated: rel.Updated})
	}
	slices.SortStableFunc(rows, func(a, b consentRow) int {
		if a.Pending != b.Pending {
			if a.Pending {
				return -1
			}
			return 1
		}
		return 0
	})
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
}

func (s *Server) consentsPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.consentsOn(r, q); err != nil {
		return err
	}
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
	p.Title = p.T("consents.title")
	p.Data = consentListView{Rows: rows}
	s.render(w, http.StatusOK, "consents", p)
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
func newConsentView(p *page, q *request, rel *mosaic.Release, form url.Values) consentView {
	c := ownConsent(rel, q.viewer.Org)
	v := consentView{ID: rel.ID, Title: rel.Title, Advice: rel.Advice, Drafter: rel.DrafterOrg, Recipients: rel.Recipients, TLP: rel.TLP,
		Revision: rel.Revision, State: consentState(p, c.State), Pending: c.State == mosaic.ConsentPending, MaxReason: content.MaxReleaseReason,
		Open: rel.State != mosaic.ReleasePublished && rel.State != mosaic.ReleaseWithdrawn}
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
	v := newConsentView(p, q, rel, nil)
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
	v := newConsentView(p, q, rel, r.PostForm)
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
