package web

import (
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/content"
	"mosaic/middleware"
)

// The public pages of releases serve what the cell released to the public,
// to anyone, signed in or not. They read as the zero viewer whoever asks:
// a signed-in stakeholder's own deliveries (GREEN, AMBER) must never show
// on a page that says everything on it is public.

// AnonymousPerMinute is how many requests without a session a client
// address may make to the public pages a minute, when Options names no
// other figure: a person reading releases makes a few, a scraper many.
const AnonymousPerMinute = 60

// MaxReleasedRows bounds the objects a release's page lists; a release
// holds up to content.MaxReleaseObjects, all of them in its snapshot.
const MaxReleasedRows = 500

// maxPattern is how much of an indicator's pattern the page shows.
const maxPattern = 1 << 10

// publicPage serves a page of the public releases in a listing turn, as
// other pages that read content are (listed). A request without a session
// first takes one from its client address's budget, since the gate's
// budget is per user and it has none; its listing turns are its address's
// own too, so that one address's slow reads do not hold every anonymous
// reader's turns.
func (s *Server) publicPage(h handlerFunc) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request, q *request) error {
		turns := q.viewer
		if q.viewer.User == "" {
			if err := s.admitAnonymous(r); err != nil {
				return err
			}
			turns = anonymousTurns(r)
		}
		l, err := s.turns.List(r.Context(), turns)
		if err != nil {
			return err
		}
		defer l.Done()
		q.listing = l
		return h(w, r, q)
	})
}

// admitAnonymous takes one request from the budget of the request's client
// address (an IPv4 address or an IPv6 /64, as the sign-in limits count
// them).
func (s *Server) admitAnonymous(r *http.Request) error {
	if ok, wait := s.anonymous.Allow(r.RemoteAddr, s.clock.Now()); !ok {
		return mosaic.RateLimited(wait, "rate limit of %d requests a minute without sign-in from this address exceeded", s.anonymousPerMinute)
	}
	return nil
}

// anonymousTurns is the viewer whose listing turns a request without a
// session takes: one per client address, made as the REST API makes its
// own, so that an address reading public releases through both doors
// holds one set of turns. Negative ids are no user's; the content service
// never sees this viewer.
func anonymousTurns(r *http.Request) mosaic.Viewer {
	h := fnv.New64a()
	h.Write([]byte(addrKey(clientHost(r))))
	return mosaic.Viewer{UserID: -int64(h.Sum64()>>1) - 1}
}

// publicAccess names a read of the public pages for the audit log. The
// read is the public's whoever asks, so the entry has no user; a
// signed-in reader is named in its detail.
func publicAccess(action string, q *request, more string) content.Access {
	who := "without sign-in"
	if q.viewer.User != "" {
		who = "signed in as " + q.viewer.User
	}
	return access(action, strings.TrimSpace(who+" "+more))
}

// publicReleaseID is the release a path names, or the not-found error
// of the public pages. Release ids are UUIDs: what cannot be one is not
// looked for, so never reaches the store or the audit log.
func publicReleaseID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !releaseIDShaped(id) {
		return "", uiErr(mosaic.CodeNotFound, "release.notfound", shorten(id, 64))
	}
	return id, nil
}

// notPublic makes a release that is not public, or not there, or a server
// that makes no releases, the same not-found page.
func notPublic(err error, id string) error {
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		return uiErr(mosaic.CodeNotFound, "release.notfound", id)
	}
	return err
}

type publicReleaseRow struct {
	ID, Title            string
	TLP                  mosaic.TLP
	Published, Withdrawn time.Time
}

type publicListView struct {
	Rows        []publicReleaseRow
	First, Next string
}

func (s *Server) publicReleases(w http.ResponseWriter, r *http.Request, q *request) error {
	if !s.content.ReleasesOn() {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	before, err := s.cursorParam(r, r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	f := mosaic.ReleaseFilter{Limit: PageSize, Before: before}
	list, err := s.content.ReleaseList(r.Context(), mosaic.Viewer{}, f, publicAccess("web.releases.public", q, r.URL.RawQuery))
	if err != nil {
		return err
	}
	var v publicListView
	for _, e := range list {
		v.Rows = append(v.Rows, publicReleaseRow{ID: e.ID, Title: e.Title, TLP: e.TLP, Published: e.Published, Withdrawn: e.Withdrawn})
	}
	if before > 0 {
		v.First = "/public/releases"
	}
	if len(list) == f.Limit {
		c, err := s.cursors.Seal(r.Context(), list[len(list)-1].Seq)
		if err != nil {
			return err
		}
		v.Next = "/public/releases?" + url.Values{"cursor": {c}}.Encode()
	}
	p := s.publicPageOf(q)
	p.Title = p.T("releases.public.title")
	p.Data = v
	s.render(w, http.StatusOK, "releases", p)
	return nil
}

// publicPageOf is the page of a public release page: its footer says
// what is on it.
func (s *Server) publicPageOf(q *request) *page {
	p := s.newPage(q, "public")
	p.Public = true
	return p
}

type releasedRow struct {
	Type, Name, Pattern string
	PatternCut          bool
}

type publicReleaseView struct {
	ID, Title, Advice string
	TLP               mosaic.TLP
	Published         time.Time
	Withdrawn         time.Time
	WithdrawReason    string
	Objects           []releasedRow
	Total             int // objects in the release; more than Objects when cut
	KeyID, Digest     string
	File              string // the snapshot's file name
}

func (s *Server) publicRelease(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := publicReleaseID(r)
	if err != nil {
		return err
	}
	view, err := s.content.Release(r.Context(), mosaic.Viewer{}, id, publicAccess("web.release.public", q, ""))
	if err != nil {
		return notPublic(err, id)
	}
	d := view.Delivery
	if d == nil {
		// The zero viewer drafts nothing; without a delivery it has
		// nothing to see.
		return uiErr(mosaic.CodeNotFound, "release.notfound", id)
	}
	v := publicReleaseView{ID: d.ID, Title: d.Title, Advice: adviceIn(q.lang, d.Advice, d.AdviceNL), TLP: d.TLP, Published: d.Published,
		Withdrawn: d.Withdrawn, WithdrawReason: d.WithdrawReason, KeyID: d.Seal.KeyID, Digest: d.Seal.Digest, File: snapshotName(d.ID)}
	if v.Objects, v.Total, err = releasedRows(d.Bundle); err != nil {
		return err
	}
	p := s.publicPageOf(q)
	p.Title = d.Title
	p.Data = v
	s.render(w, http.StatusOK, "release", p)
	return nil
}

// releasedRows lists the objects of a released bundle for people, at
// most MaxReleasedRows, and how many there are. The TLP marking
// definitions are left out: the page states the level in its banner.
func releasedRows(bundle []byte) ([]releasedRow, int, error) {
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, 0, mosaic.Internal(err, "decode a released bundle")
	}
	var out []releasedRow
	total := 0
	for _, raw := range b.Objects {
		m := props(raw)
		if str(m, "type") == "marking-definition" {
			continue
		}
		total++
		if len(out) == MaxReleasedRows {
			continue
		}
		row := releasedRow{Type: str(m, "type"), Name: displayName(m)}
		if row.Type == "indicator" {
			row.Pattern = str(m, "pattern")
			if len(row.Pattern) > maxPattern {
				row.Pattern, row.PatternCut = cutBytes(row.Pattern, maxPattern), true
			}
		}
		out = append(out, row)
	}
	return out, total, nil
}

// cutBytes cuts s to at most n bytes, at a character's start.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// snapshotName is the file name of a release's snapshot, as the REST API
// names it too.
func snapshotName(id string) string { return "release-" + id + ".json" }

// publicSnapshot serves a public release's sealed snapshot as a file to
// keep, which `mosaic release verify` checks.
func (s *Server) publicSnapshot(w http.ResponseWriter, r *http.Request, q *request) error {
	id, err := publicReleaseID(r)
	if err != nil {
		return err
	}
	file, err := s.content.SnapshotFile(r.Context(), mosaic.Viewer{}, id, publicAccess("web.release.public", q, "snapshot"))
	if err != nil {
		return notPublic(err, id)
	}
	q.listing.Rendered()
	w.Header().Set("Content-Disposition", `attachment; filename="`+snapshotName(id)+`"`)
	middleware.WritePaced(w, http.StatusOK, file, "application/json", s.turns.Pace())
	return nil
}

// releaseIDShaped says whether id could be a release's id (a UUID, in
// any case): what cannot be one is not looked for.
func releaseIDShaped(id string) bool {
	return id != "" && len(id) <= 64 && strings.Trim(strings.ToLower(id), "0123456789abcdef-") == ""
}
