package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/problem"
)

// The release builder: an analyst's or liaison's releases of their own
// organisation (/outgoing), a form to draft or revise one, the rules it
// breaks while it is written, a preview of what one recipient would get,
// the consents with their deadline, and publish, withdraw and supersede.
// Every decision is the content service's; the pages only ask it.

// MaxAddPins bounds the objects one "add to release" takes: a page of
// objects is PageSize.
const MaxAddPins = 2 * PageSize

// deadlineLayout is the form of a datetime-local input's value; the
// builder reads and writes it in UTC, as it says.
const deadlineLayout = "2006-01-02T15:04"

// drafts says whether v drafts releases here.
func (s *Server) drafts(v mosaic.Viewer) bool {
	return v.User != "" && s.content.ReleasesOn() && policy.MayDraftRelease(v) == nil
}

// builderOn refuses the builder's pages to those who draft nothing, as a
// page that does not exist.
func (s *Server) builderOn(r *http.Request, q *request) error {
	if !s.drafts(q.viewer) {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	return nil
}

// outgoingRow is one release of the viewer's organisation in its list.
// It shows no level: the listing's is the drafted one, over items a
// colleague may not see; the release's page shows the one it may.
type outgoingRow struct {
	ID, Title string
	State     mosaic.ReleaseState
	Updated   time.Time
	Deadline  time.Time
	Overdue   bool
}

type outgoingView struct {
	Rows        []outgoingRow
	First, Next string
}

// outgoing lists the releases the viewer's organisation drafted, newest
// first, a page at a time.
func (s *Server) outgoing(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.builderOn(r, q); err != nil {
		return err
	}
	f := mosaic.ReleaseFilter{Limit: PageSize}
	var err error
	if f.Before, err = s.cursorParam(r, r.URL.Query().Get("cursor")); err != nil {
		return err
	}
	list, err := s.content.ReleaseList(r.Context(), q.viewer, f, access("web.release.list", "outgoing"))
	if err != nil {
		return err
	}
	now := s.clock.Now()
	var v outgoingView
	for _, e := range list {
		if e.DrafterOrg != q.viewer.Org {
			continue // asked for consent: the inbox lists those
		}
		open := e.State == mosaic.ReleaseAwaitingConsent || e.State == mosaic.ReleaseReady
		v.Rows = append(v.Rows, outgoingRow{ID: e.ID, Title: e.Title, State: e.State, Updated: e.Updated,
			Deadline: e.Deadline, Overdue: open && !e.Deadline.IsZero() && e.Deadline.Before(now)})
	}
	if f.Before > 0 {
		v.First = "/outgoing"
	}
	if len(list) == f.Limit {
		c, err := s.cursors.Seal(r.Context(), list[len(list)-1].Seq)
		if err != nil {
			return err
		}
		v.Next = "/outgoing?cursor=" + url.QueryEscape(c)
	}
	p := s.newPage(q, "outgoing")
	p.Title = p.T("outgoing.title", q.viewer.Org)
	p.Data = v
	s.render(w, http.StatusOK, "outgoing", p)
	return nil
}

// recipientChoice is one entry of the recipient directory in the form.
type recipientChoice struct {
	content.Recipient
	Checked bool
}

// itemRow is one object or source of a draft in the form.
type itemRow struct {
	Pin, ID, Type, Name, Originator string
	TLP                             mosaic.TLP
	ORCON                           bool
}

// builderForm is the draft as the form shows it, as last filled in.
type builderForm struct {
	ID, Supersedes            string
	Revision                  int
	Title, Advice, AdviceNL   string
	Deadline, Users, Dangling string
	MoreObjects, MoreSources  string
	Hold                      bool
	Recipients                []recipientChoice
	Objects, Sources          []itemRow
	Check                     content.DraftCheck
	Checked                   bool // Check holds an answer
	Error                     string
	MaxTitle, MaxAdvice       int
	MinDeadline, MaxDeadline  string
	chosen                    []string
	pinnedObjects, pinnedSrcs []content.Pin
	unreadObjects, unreadSrcs []string
	deadline                  time.Time
	deadlineBad, usersBad     bool
	itemsShown                bool
}

// draft is the content service's draft the form describes.
func (f *builderForm) draft() content.Draft {
	return content.Draft{Revision: f.Revision, Title: f.Title, Advice: f.Advice, AdviceNL: f.AdviceNL,
		Recipients: f.chosen, Objects: f.pinnedObjects, Sources: f.pinnedSrcs, Dangling: f.Dangling,
		Hold: f.Hold, Supersedes: f.Supersedes, Deadline: f.deadline}
}

// readBuilderForm reads the builder's form from a request: the fields a
// draft has, the pins kept (checked) and added (one per line).
func readBuilderForm(r *http.Request) (*builderForm, error) {
	f := &builderForm{
		Title: strings.TrimSpace(r.PostFormValue("title")), Advice: r.PostFormValue("advice"), AdviceNL: r.PostFormValue("advice_nl"),
		Deadline: strings.TrimSpace(r.PostFormValue("deadline")), Users: strings.TrimSpace(r.PostFormValue("users")),
		Dangling: r.PostFormValue("dangling"), Hold: r.PostFormValue("hold") != "",
		Supersedes:  strings.TrimSpace(r.PostFormValue("supersedes")),
		MoreObjects: r.PostFormValue("more_objects"), MoreSources: r.PostFormValue("more_sources"),
	}
	if rev := r.PostFormValue("revision"); rev != "" {
		n, err := strconv.Atoi(rev)
		if err != nil || n < 1 {
			return nil, uiErr(mosaic.CodeInvalid, "builder.error.revision")
		}
		f.Revision = n
	}
	f.chosen = append(f.chosen, r.PostForm["recipient"]...)
	for _, u := range strings.Fields(f.Users) {
		if !mosaic.ValidName(u) {
			f.usersBad = true
			continue
		}
		f.chosen = append(f.chosen, mosaic.Recipient{Kind: mosaic.RecipientUser, Name: u}.String())
	}
	if f.Deadline != "" {
		t, err := time.ParseInLocation(deadlineLayout, f.Deadline, time.UTC)
		if err != nil {
			f.deadlineBad = true
		}
		f.deadline = t
	}
	var err error
	if f.pinnedObjects, f.unreadObjects, err = readPins(r.PostForm["object"], f.MoreObjects); err != nil {
		return nil, err
	}
	if f.pinnedSrcs, f.unreadSrcs, err = readPins(r.PostForm["source"], f.MoreSources); err != nil {
		return nil, err
	}
	return f, nil
}

// readPins reads the pins kept and those added one per line, each once;
// lines that are no pin are returned to be named.
func readPins(kept []string, more string) ([]content.Pin, []string, error) {
	if len(kept) > content.MaxReleaseObjects {
		return nil, nil, uiErr(mosaic.CodeTooLarge, "builder.error.toomany", content.MaxReleaseObjects)
	}
	var out []content.Pin
	var bad []string
	seen := map[string]bool{}
	add := func(v string) {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		p, err := content.ParsePin(v)
		if err != nil {
			bad = append(bad, v)
			return
		}
		out = append(out, p)
	}
	for _, v := range kept {
		add(v)
	}
	for _, v := range strings.Split(more, "\n") {
		add(v)
	}
	return out, bad, nil
}

// fill completes a form for the page: the recipient directory with the
// form's choices checked, the limits, and the items as the check read
// them.
func (s *Server) fill(r *http.Request, q *request, f *builderForm) error {
	rs, err := s.content.Recipients(r.Context(), q.viewer, access("web.release.recipients", ""))
	if err != nil {
		return err
	}
	chosen := map[string]bool{}
	for _, c := range f.chosen {
		chosen[c] = true
	}
	var users []string
	known := map[string]bool{}
	for _, rc := range rs {
		known[rc.Recipient] = true
		f.Recipients = append(f.Recipients, recipientChoice{Recipient: rc, Checked: chosen[rc.Recipient]})
	}
	for _, c := range f.chosen {
		if name, ok := strings.CutPrefix(c, "user:"); ok && !known[c] {
			users = append(users, name)
		}
	}
	if f.Users == "" {
		f.Users = strings.Join(users, " ")
	}
	if f.Dangling == "" {
		f.Dangling = mosaic.DanglingRefuse
	}
	now := s.clock.Now().UTC()
	f.MaxTitle, f.MaxAdvice = content.MaxReleaseTitle, content.MaxReleaseAdvice
	f.MinDeadline = now.Add(content.MinConsentDeadline).Add(time.Minute).Format(deadlineLayout)
	f.MaxDeadline = now.Add(content.MaxConsentDeadline).Format(deadlineLayout)
	if !f.deadline.IsZero() && f.Deadline == "" {
		f.Deadline = f.deadline.UTC().Format(deadlineLayout)
	}
	return nil
}

// check asks the content service what the form's draft would be, and
// shows its items as they were read.
func (s *Server) check(r *http.Request, q *request, f *builderForm) error {
	c, err := s.content.CheckDraft(r.Context(), q.viewer, f.draft(), access("web.release.check", ""))
	if err != nil {
		return err
	}
	f.Check, f.Checked = c, true
	f.itemRows(c.Items)
	return nil
}

// itemRows shows items as the form's objects and sources.
func (f *builderForm) itemRows(items []mosaic.ReleaseItem) {
	f.Objects, f.Sources = nil, nil
	for _, it := range items {
		m := props(it.Object)
		row := itemRow{ID: it.ID, Type: it.Type, Name: displayName(m), Originator: it.Originator, TLP: it.TLP, ORCON: it.ORCON,
			Pin: content.Pin{ID: it.ID, Modified: it.Modified, Originator: it.Originator}.String()}
		if it.Role == mosaic.ItemSource {
			f.Sources = append(f.Sources, row)
		} else {
			f.Objects = append(f.Objects, row)
		}
	}
	f.itemsShown = true
}

// formProblems are the form's own mistakes, before the service is asked.
func (f *builderForm) formProblems(p *page) string {
	var out []string
	if f.deadlineBad {
		out = append(out, p.T("builder.error.deadline", f.Deadline))
	}
	if f.usersBad {
		out = append(out, p.T("builder.error.users"))
	}
	for _, b := range append(slices.Clone(f.unreadObjects), f.unreadSrcs...) {
		out = append(out, p.T("builder.error.pin", b))
	}
	return strings.Join(out, " ")
}

// builderView is the builder's page: the form, and for a stored release
// its state, consents, preview, publication and feedback.
type builderView struct {
	Form       *builderForm
	Release    *mosaic.Release
	Editable   bool
	Overdue    bool
	Consents   []mosaic.ReleaseConsent
	MayPublish bool
	Published  bool
	Open       bool // not yet published nor withdrawn: it can be discarded
	Incomplete bool // the viewer does not see every item: it may only read
	Feedback   *mosaic.Feedback
	Done       string // what was just done, confirmed on the page
}

// newRelease shows an empty form, or one holding the objects "add to
// release" brought (object=PIN) or the release it supersedes.
func (s *Server) newRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.builderOn(r, q); err != nil {
		return err
	}
	qs := r.URL.Query()
	f := &builderForm{Supersedes: strings.TrimSpace(qs.Get("supersedes"))}
	pins := qs["object"]
	if len(pins) > MaxAddPins {
		return uiErr(mosaic.CodeTooLarge, "builder.error.toomany", MaxAddPins)
	}
	var err error
	if f.pinnedObjects, f.unreadObjects, err = readPins(pins, ""); err != nil {
		return err
	}
	if f.Supersedes != "" {
		if err := s.successorOf(r, q, f); err != nil {
			return err
		}
	}
	if err := s.fill(r, q, f); err != nil {
		return err
	}
	p := s.newPage(q, "outgoing")
	if len(f.pinnedObjects) > 0 || len(f.pinnedSrcs) > 0 {
		if err := s.check(r, q, f); err != nil {
			return err
		}
	}
	f.Error = f.formProblems(p)
	p.Title = p.T("builder.new")
	p.Data = builderView{Form: f, Editable: true}
	s.render(w, http.StatusOK, "builder", p)
	return nil
}

// successorOf fills f from the release it supersedes: the same
// recipients, advice and objects, to be changed.
func (s *Server) successorOf(r *http.Request, q *request, f *builderForm) error {
	view, err := s.ownRelease(r, q, f.Supersedes, "supersede")
	if err != nil {
		return err
	}
	old := view.Release
	f.Title, f.Advice, f.AdviceNL, f.chosen, f.Dangling = old.Title, old.Advice, old.AdviceNL, old.Recipients, old.Dangling
	for _, it := range old.Items {
		pin := content.Pin{ID: it.ID, Modified: it.Modified, Originator: it.Originator}
		if it.Role == mosaic.ItemSource {
			f.pinnedSrcs = append(f.pinnedSrcs, pin)
		} else {
			f.pinnedObjects = append(f.pinnedObjects, pin)
		}
	}
	return nil
}

// createRelease drafts the form's release, or shows the form again with
// what is wrong; "check" only checks it.
func (s *Server) createRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	return s.saveRelease(w, r, q, "")
}

// reviseRelease makes the form the release's next revision.
func (s *Server) reviseRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := builderID(r)
	if err != nil {
		return err
	}
	return s.saveRelease(w, r, q, id)
}

func (s *Server) saveRelease(w http.ResponseWriter, r *http.Request, q *request, id string) error {
	if err := s.builderOn(r, q); err != nil {
		return err
	}
	f, err := readBuilderForm(r)
	if err != nil {
		return err
	}
	f.ID = id
	p := s.newPage(q, "outgoing")
	if err := s.fill(r, q, f); err != nil {
		return err
	}
	show := func(status int, msg string) error {
		if !f.itemsShown {
			if err := s.check(r, q, f); err != nil {
				return err
			}
		}
		f.Error = strings.TrimSpace(f.formProblems(p) + " " + msg)
		v := builderView{Form: f, Editable: true}
		if id != "" {
			if err := s.releaseState(r, q, id, &v); err != nil {
				return err
			}
			v.Editable = true
		}
		p.Title = p.T("builder.new")
		if id != "" {
			p.Title = f.Title
		}
		p.Data = v
		s.render(w, status, "builder", p)
		return nil
	}
	if r.PostFormValue("action") == "check" {
		return show(http.StatusOK, "")
	}
	if msg := f.formProblems(p); msg != "" {
		return show(http.StatusBadRequest, "")
	}
	var rel mosaic.Release
	if id == "" {
		rel, err = s.content.DraftRelease(r.Context(), q.viewer, f.draft(), access("web.release.draft", ""))
	} else {
		rel, err = s.content.ReviseRelease(r.Context(), q.viewer, id, f.draft(), access("web.release.revise", ""))
	}
	if err != nil {
		switch mosaic.ErrorCode(err) {
		case mosaic.CodeInvalid, mosaic.CodeTooLarge, mosaic.CodeConflict:
			if err := s.check(r, q, f); err != nil {
				return err
			}
			status, _ := problem.Status(mosaic.ErrorCode(err))
			return show(status, message(p, err))
		case mosaic.CodeNotFound:
			return uiErr(mosaic.CodeNotFound, "builder.notfound", shorten(id, 64))
		}
		return err
	}
	http.Redirect(w, r, "/outgoing/"+rel.ID+"?done=saved", http.StatusSeeOther)
	return nil
}

// builderRelease is the release a builder path names, for one who drafts.
func (s *Server) builderRelease(r *http.Request, q *request) (string, error) {
	if err := s.builderOn(r, q); err != nil {
		return "", err
	}
	return builderID(r)
}

// ownRelease reads release id as the cell sees it, when the viewer's
// organisation drafted it; any other is the page of one that does not
// exist.
func (s *Server) ownRelease(r *http.Request, q *request, id, detail string) (content.ReleaseView, error) {
	view, err := s.content.Release(r.Context(), q.viewer, id, access("web.release.read", detail))
	if err != nil && mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		return view, err
	}
	if err != nil || view.Release == nil || view.Release.DrafterOrg != q.viewer.Org {
		return content.ReleaseView{}, uiErr(mosaic.CodeNotFound, "builder.notfound", shorten(id, 64))
	}
	return view, nil
}

// builderID is the release a builder path names; what cannot be a
// release id is not looked for.
func builderID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !releaseIDShaped(id) {
		return "", uiErr(mosaic.CodeNotFound, "builder.notfound", shorten(id, 64))
	}
	return id, nil
}

// releaseState reads release id as the cell sees it into v: its state,
// consents and, once published, its feedback. A release v's viewer did
// not draft is the page of one that does not exist.
func (s *Server) releaseState(r *http.Request, q *request, id string, v *builderView) error {
	view, err := s.ownRelease(r, q, id, "builder")
	if err != nil {
		return err
	}
	rel := view.Release
	v.Release, v.Consents = rel, rel.Consents
	v.Open = rel.State != mosaic.ReleasePublished && rel.State != mosaic.ReleaseWithdrawn
	// One who does not see every item of it acts on none of it: the
	// service refuses, and the page offers nothing to do.
	v.Incomplete = !view.Complete
	v.Editable = v.Open && view.Complete
	v.MayPublish = rel.State == mosaic.ReleaseReady && view.Complete
	v.Published = !rel.Published.IsZero()
	v.Overdue = v.Open && !rel.Deadline.IsZero() && rel.Deadline.Before(s.clock.Now())
	if v.Published {
		fb, err := s.content.Feedback(r.Context(), q.viewer, id, access("web.release.feedback", "builder"))
		if err != nil {
			return err
		}
		v.Feedback = &fb
	}
	return nil
}

// releaseBuilder shows a release of the viewer's organisation: the form
// while it can be revised, its consents, preview, publish, withdraw and
// supersede, and its feedback.
func (s *Server) releaseBuilder(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := s.builderRelease(r, q)
	if err != nil {
		return err
	}
	var v builderView
	if err := s.releaseState(r, q, id, &v); err != nil {
		return err
	}
	rel := v.Release
	f := &builderForm{ID: id, Revision: rel.Revision, Title: rel.Title, Advice: rel.Advice, AdviceNL: rel.AdviceNL,
		Dangling: rel.Dangling, Hold: rel.State == mosaic.ReleaseDraft, Supersedes: rel.Supersedes,
		chosen: rel.Recipients, deadline: rel.Deadline}
	if err := s.fill(r, q, f); err != nil {
		return err
	}
	f.itemRows(rel.Items)
	if v.Editable {
		// The rules as the release stands now: an object's level or a
		// recipient may have changed since it was drafted.
		if err := s.check(r, q, f); err != nil {
			return err
		}
	}
	v.Form = f
	p := s.newPage(q, "outgoing")
	if done := r.URL.Query().Get("done"); slices.Contains(builderDone, done) {
		v.Done = p.T("builder.done." + done)
	}
	p.Title = rel.Title
	p.Data = v
	s.render(w, http.StatusOK, "builder", p)
	return nil
}

// builderDone are the confirmations a builder page shows after a change.
var builderDone = []string{"saved", "published", "withdrawn", "added"}

// previewView is what one recipient would get, for the preview page.
type previewView struct {
	ID, Recipient, Title, Advice string
	TLP                          mosaic.TLP
	Reach                        string
	Objects                      []releasedRow
	Total                        int
	Pending                      []string
	Problems                     []mosaic.Problem
	Message                      string
	Recipients                   []string
}

// previewRelease shows the drafter what a chosen recipient would get of
// the release if it were published now, in the recipient's words: the
// advice in the page's language where both were written.
func (s *Server) previewRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := s.builderRelease(r, q)
	if err != nil {
		return err
	}
	var st builderView
	if err := s.releaseState(r, q, id, &st); err != nil {
		return err
	}
	recipient := r.URL.Query().Get("recipient")
	if recipient == "" && len(st.Release.Recipients) > 0 {
		recipient = st.Release.Recipients[0]
	}
	pv, err := s.content.PreviewRelease(r.Context(), q.viewer, id, recipient, access("web.release.preview", recipient))
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			return uiErr(mosaic.CodeNotFound, "builder.notfound", id)
		}
		return err
	}
	p := s.newPage(q, "outgoing")
	v := previewView{ID: id, Recipient: recipient, Title: pv.Title, Advice: adviceIn(q.lang, pv.Advice, pv.AdviceNL), TLP: pv.TLP,
		Pending: pv.Pending, Problems: pv.Problems, Message: pv.Message, Recipients: st.Release.Recipients}
	if len(pv.Bundle) > 0 {
		if v.Objects, v.Total, err = releasedRows(pv.Bundle); err != nil {
			return err
		}
		v.Reach = reach(p, pv.TLP)
	}
	p.Title = p.T("preview.title", pv.Title)
	p.Data = v
	s.render(w, http.StatusOK, "preview", p)
	return nil
}

// publishRelease publishes the revision the page showed.
func (s *Server) publishRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := s.builderRelease(r, q)
	if err != nil {
		return err
	}
	rev, _ := strconv.Atoi(r.PostFormValue("revision"))
	if rev < 1 {
		return uiErr(mosaic.CodeInvalid, "builder.error.revision")
	}
	if _, err := s.content.Publish(r.Context(), q.viewer, id, rev, access("web.release.publish", "")); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			return uiErr(mosaic.CodeNotFound, "builder.notfound", id)
		}
		return err
	}
	http.Redirect(w, r, "/outgoing/"+id+"?done=published", http.StatusSeeOther)
	return nil
}

// withdrawRelease withdraws a published release with its reason, or
// discards one never published.
func (s *Server) withdrawRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := s.builderRelease(r, q)
	if err != nil {
		return err
	}
	reason := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("reason")), "\r\n", "\n")
	if _, err := s.content.Withdraw(r.Context(), q.viewer, id, reason, access("web.release.withdraw", "")); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			return uiErr(mosaic.CodeNotFound, "builder.notfound", id)
		}
		return err
	}
	http.Redirect(w, r, "/outgoing/"+id+"?done=withdrawn", http.StatusSeeOther)
	return nil
}

// addToRelease takes the objects chosen on a list or an object's page to
// a release: a new one (the builder's form, holding them) or one of the
// organisation's that can still be revised (its next revision).
func (s *Server) addToRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.builderOn(r, q); err != nil {
		return err
	}
	pins := r.PostForm["object"]
	if len(pins) == 0 {
		return uiErr(mosaic.CodeInvalid, "builder.error.nothing")
	}
	if len(pins) > MaxAddPins {
		return uiErr(mosaic.CodeTooLarge, "builder.error.toomany", MaxAddPins)
	}
	to := r.PostFormValue("release")
	if to == "" || to == "new" {
		qs := url.Values{"object": pins}
		http.Redirect(w, r, "/outgoing/new?"+qs.Encode(), http.StatusSeeOther)
		return nil
	}
	if !releaseIDShaped(to) {
		return uiErr(mosaic.CodeNotFound, "builder.notfound", shorten(to, 64))
	}
	view, err := s.ownRelease(r, q, to, "add")
	if err != nil {
		return err
	}
	rel := view.Release
	d := content.Draft{Revision: rel.Revision, Title: rel.Title, Advice: rel.Advice, AdviceNL: rel.AdviceNL, Recipients: rel.Recipients,
		Dangling: rel.Dangling, Hold: rel.State == mosaic.ReleaseDraft, Supersedes: rel.Supersedes, Deadline: rel.Deadline}
	if !d.Deadline.IsZero() && d.Deadline.Before(s.clock.Now().Add(content.MinConsentDeadline)) {
		d.Deadline = time.Time{} // passed: the revision asks without one
	}
	have := map[string]bool{}
	for _, it := range rel.Items {
		pin := content.Pin{ID: it.ID, Modified: it.Modified, Originator: it.Originator}
		have[pin.String()] = true
		if it.Role == mosaic.ItemSource {
			d.Sources = append(d.Sources, pin)
		} else {
			d.Objects = append(d.Objects, pin)
		}
	}
	added, _, err := readPins(pins, "")
	if err != nil {
		return err
	}
	for _, pin := range added {
		if !have[pin.String()] {
			d.Objects = append(d.Objects, pin)
		}
	}
	if _, err := s.content.ReviseRelease(r.Context(), q.viewer, to, d, access("web.release.revise", "add")); err != nil {
		return err
	}
	http.Redirect(w, r, "/outgoing/"+to+"?done=added", http.StatusSeeOther)
	return nil
}

// openDrafts lists the viewer's organisation's releases that objects may
// still be added to, for the "add to release" forms; nil for one who
// drafts nothing.
func (s *Server) openDrafts(r *http.Request, q *request) ([]mosaic.ReleaseSummary, error) {
	if !s.drafts(q.viewer) {
		return nil, nil
	}
	list, err := s.content.ReleaseList(r.Context(), q.viewer, mosaic.ReleaseFilter{
		States: []mosaic.ReleaseState{mosaic.ReleaseDraft, mosaic.ReleaseAwaitingConsent, mosaic.ReleaseReady}, Limit: PageSize},
		access("web.release.list", "add"))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(list, func(e mosaic.ReleaseSummary) bool { return e.DrafterOrg != q.viewer.Org }), nil
}

// adviceIn is the advice for a reader of lang: the Dutch where it was
// written in both and the reader reads Dutch.
func adviceIn(lang, advice, nl string) string {
	if lang == "nl" && nl != "" {
		return nl
	}
	return advice
}

// sightingRow is what the builder shows of a reported sighting.
type sightingRow struct {
	Of, Where, Seen string
	Count           int64
}

// sightingSummary reads the parts of a reported STIX sighting a drafter
// looks at; what is not there is left empty.
func sightingSummary(raw []byte) sightingRow {
	m := props(raw)
	row := sightingRow{Of: str(m, "sighting_of_ref"), Where: shorten(str(m, "description"), MaxSightingWhere), Seen: when(str(m, "first_seen"))}
	if n, ok := m["count"].(json.Number); ok {
		row.Count, _ = n.Int64()
	}
	return row
}

// pickForm is the "add to release" form of a page: the releases objects
// may be added to, and the one object of an object's page.
type pickForm struct {
	Drafts []mosaic.ReleaseSummary
	Pin    string
}

// offerPick puts the "add to release" form on p for those who draft.
func (s *Server) offerPick(r *http.Request, q *request, p *page, pin string) error {
	drafts, err := s.openDrafts(r, q)
	if err != nil || !s.drafts(q.viewer) {
		return err
	}
	p.Pick = &pickForm{Drafts: drafts, Pin: pin}
	return nil
}
