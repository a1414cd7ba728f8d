package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/export"
	"mosaic/middleware"
	"mosaic/policy"
)

// The stakeholder portal: the releases delivered to the signed-in user
// (/releases), each as it was delivered to them, its snapshot and exports,
// and forms to report their status and their sightings back to the cell.
// Everything is read through the content service with the user's own
// viewer, so a release not delivered to them is the page of one that does
// not exist.

// HomeReleases is how many of the newest releases a recipient's home page
// lists.
const HomeReleases = 5

// receives says whether v receives releases (stakeholder users, partner
// analysts and liaisons), as the content service's scope decides.
func receives(v mosaic.Viewer) bool {
	sc := policy.ReleaseScopeOf(v)
	return sc.Org != "" || sc.User != ""
}

// receivesOn says whether the portal's pages are there for v: the server
// makes releases and v receives them.
func (s *Server) receivesOn(v mosaic.Viewer) bool {
	return s.content.ReleasesOn() && receives(v)
}

// portalID is the release a portal path names, or the portal's not-found
// error; as for the public pages, what cannot be a release id is not
// looked for.
func portalID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !releaseIDShaped(id) {
		return "", uiErr(mosaic.CodeNotFound, "portal.notfound", shorten(id, 64))
	}
	return id, nil
}

// notDelivered makes a release not delivered to the user, or not there,
// the same not-found page.
func notDelivered(err error, id string) error {
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		return uiErr(mosaic.CodeNotFound, "portal.notfound", id)
	}
	return err
}

// portalOn refuses the portal's pages to those who receive nothing, as a
// page that does not exist.
func (s *Server) portalOn(r *http.Request, q *request) error {
	if !s.receivesOn(q.viewer) {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	return nil
}

type portalRow struct {
	ID, Title, To        string
	TLP                  mosaic.TLP
	Published, Withdrawn time.Time
}

type portalListView struct {
	Rows        []portalRow
	First, Next string
}

// delivered lists up to limit releases delivered to q's viewer before the
// sequence number before (0: from the newest), and whether the listing
// may go on.
func (s *Server) delivered(r *http.Request, q *request, p *page, limit int, before int64, a content.Access) ([]portalRow, int64, bool, error) {
	f := mosaic.ReleaseFilter{Limit: limit, Before: before, States: []mosaic.ReleaseState{mosaic.ReleasePublished, mosaic.ReleaseWithdrawn}}
	list, err := s.content.ReleaseList(r.Context(), q.viewer, f, a)
	if err != nil {
		return nil, 0, false, err
	}
	var rows []portalRow
	for _, e := range list {
		if e.Recipient == "" {
			continue // the cell's side of a release its organisation drafted
		}
		rows = append(rows, portalRow{ID: e.ID, Title: e.Title, TLP: e.TLP, To: addressing(p, e.Recipient), Published: e.Published, Withdrawn: e.Withdrawn})
	}
	var last int64
	if len(list) > 0 {
		last = list[len(list)-1].Seq
	}
	return rows, last, len(list) == limit, nil
}

// addressing says in words how a release was addressed to the reader.
func addressing(p *page, recipient string) string {
	rc, err := mosaic.ParseRecipient(recipient)
	if err != nil {
		return recipient
	}
	switch rc.Kind {
	case mosaic.RecipientPublic:
		return p.T("portal.to.public")
	case mosaic.RecipientSector:
		return p.T("portal.to.sector", p.SectorName(rc.Name))
	case mosaic.RecipientOrg:
		return p.T("portal.to.org", rc.Name)
	case mosaic.RecipientUser:
		return p.T("portal.to.user", rc.Name)
	}
	return recipient
}

func (s *Server) portalReleases(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	before, err := s.cursorParam(r, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	p := s.newPage(q, "releases")
	rows, last, more, err := s.delivered(r, q, p, PageSize, before, access("web.releases", r.URL.RawQuery))
	if err != nil {
		return err
	}
	v := portalListView{Rows: rows}
	if before > 0 {
		v.First = "/releases"
	}
	if more {
		c, err := s.cursors.Seal(r.Context(), last)
		if err != nil {
			return err
		}
		v.Next = "/releases?" + url.Values{"cursor": {c}}.Encode()
	}
	p.Title = p.T("portal.title")
	p.Data = v
	s.render(w, http.StatusOK, "portal", p)
	return nil
}

type portalReleaseView struct {
	publicReleaseView
	To       string
	Reach    string // how far it may go, for AMBER+STRICT and RED
	Reported string // the status just reported, to confirm it
	Statuses []mosaic.ReceiptStatus
	Formats  []string
	MaxNote  int
	Sighting sightingForm
}

// portalExports are the export formats the page offers, in its order.
var portalExports = []string{"stix", "csv", "misp", "ip", "domain", "url", "hash"}

func (s *Server) portalRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	p := s.newPage(q, "releases")
	v, err := s.portalReleaseView(r, q, p, id)
	if err != nil {
		return err
	}
	if st := mosaic.ReceiptStatus(r.URL.Query().Get("reported")); slices.Contains(mosaic.ReceiptStatuses, st) {
		v.Reported = p.T("portal.receipt.done", p.T("portal.status."+string(st)))
	}
	if r.URL.Query().Get("sighted") == "1" {
		v.Reported = p.T("portal.sighting.done")
	}
	p.Title = v.Title
	p.Data = v
	s.render(w, http.StatusOK, "portal-release", p)
	return nil
}

// portalReleaseView reads release id as delivered to q's viewer into the
// view of its page, with an empty sighting form.
func (s *Server) portalReleaseView(r *http.Request, q *request, p *page, id string) (portalReleaseView, error) {
	view, err := s.content.Release(r.Context(), q.viewer, id, access("web.release", ""))
	if err != nil {
		return portalReleaseView{}, notDelivered(err, id)
	}
	d := view.Delivery
	if d == nil {
		// The cell's side of a release the user's organisation drafted:
		// not delivered to them.
		return portalReleaseView{}, uiErr(mosaic.CodeNotFound, "portal.notfound", id)
	}
	v := portalReleaseView{publicReleaseView: publicReleaseView{ID: d.ID, Title: d.Title, Advice: adviceIn(q.lang, d.Advice, d.AdviceNL), TLP: d.TLP, Published: d.Published,
		Withdrawn: d.Withdrawn, WithdrawReason: d.WithdrawReason, KeyID: d.Seal.KeyID, Digest: d.Seal.Digest, File: snapshotName(d.ID)},
		To: addressing(p, d.Recipient), Statuses: mosaic.ReceiptStatuses, MaxNote: content.MaxReleaseReason}
	for _, f := range portalExports {
		if slices.Contains(export.Formats(), f) {
			v.Formats = append(v.Formats, f)
		}
	}
	v.Reach = reach(p, d.TLP)
	if v.Objects, v.Total, err = releasedRows(d.Bundle); err != nil {
		return portalReleaseView{}, err
	}
	if v.Sighting.Of, err = sightable(d.Bundle); err != nil {
		return portalReleaseView{}, err
	}
	v.Sighting.Seen = s.clock.Now().UTC().Format(sightingTimeLayout)
	v.Sighting.Count = "1"
	v.Sighting.MaxWhere = MaxSightingWhere
	return v, nil
}

// portalSnapshot serves the sealed snapshot of a release as delivered to
// the user, which `mosaic release verify` checks.
func (s *Server) portalSnapshot(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	file, err := s.content.SnapshotFile(r.Context(), q.viewer, id, access("web.release.snapshot", ""))
	if err != nil {
		return notDelivered(err, id)
	}
	q.listing.Rendered()
	w.Header().Set("Content-Disposition", `attachment; filename="`+snapshotName(id)+`"`)
	middleware.WritePaced(w, http.StatusOK, file, "application/json", s.turns.Pace())
	return nil
}

// portalExportTypes are the media types and file extensions of the
// exports; a blocklist is plain text.
var portalExportTypes = map[string][2]string{
	"stix": {"application/stix+json;version=2.1", "json"},
	"misp": {"application/json", "json"},
	"csv":  {"text/csv; charset=utf-8", "csv"},
}

// portalExport serves the objects delivered to the user in an export
// format, as the REST API's export of a release does.
func (s *Server) portalExport(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "stix"
	}
	if !slices.Contains(export.Formats(), format) {
		return uiErr(mosaic.CodeInvalid, "portal.export.format", shorten(format, 32), strings.Join(export.Formats(), ", "))
	}
	d, err := s.content.Delivered(r.Context(), q.viewer, id, access("web.release.export", format))
	if err != nil {
		return notDelivered(err, id)
	}
	if !d.Withdrawn.IsZero() {
		return uiErr(mosaic.CodeConflict, "portal.export.withdrawn")
	}
	body, err := export.Released(d.Bundle, d.TLP, format, s.clock.Now())
	if err != nil {
		return err
	}
	t, ok := portalExportTypes[format]
	if !ok {
		t = [2]string{"text/plain; charset=utf-8", "txt"}
	}
	q.listing.Rendered()
	w.Header().Set("Content-Disposition", `attachment; filename="release-`+id+"-"+format+"."+t[1]+`"`)
	middleware.WritePaced(w, http.StatusOK, body, t[0], s.turns.Pace())
	return nil
}

// portalReceipt records the user's report on a release delivered to them
// and sends them back to its page, which confirms it.
func (s *Server) portalReceipt(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	status := mosaic.ReceiptStatus(r.PostFormValue("status"))
	comment := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("comment")), "\r\n", "\n")
	if err := s.content.Receipt(r.Context(), q.viewer, id, status, comment, access("web.release.receipt", "")); err != nil {
		return notDelivered(err, id)
	}
	http.Redirect(w, r, "/releases/"+id+"?"+url.Values{"reported": {string(status)}}.Encode()+"#receipt", http.StatusSeeOther)
	return nil
}

// reach says plainly how far a release may go, for the levels whose
// label alone does not: AMBER+STRICT and RED.
func reach(p *page, t mosaic.TLP) string {
	switch t {
	case mosaic.TLPAmberStrict:
		return p.T("portal.reach.amber+strict")
	case mosaic.TLPRed:
		return p.T("portal.reach.red")
	}
	return ""
}
