package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/credential"
)

// The page of a recipient's TAXII collection (/collection): where a SIEM
// polls what the cell released to the user's organisation, and to the
// user by name, how to point one at it, and a read-only token to do it
// with. The collections are those the TAXII server lists to the user
// (Collections), so the page names no collection the user does not
// receive. Tokens are made and revoked through the store as the API's
// /api/v1/me/tokens makes them, audited the same way, and within the same
// bound of live tokens per user (mosaic.MaxLiveTokens).

// A SIEM's token lives DefaultSIEMTokenDays unless the form says
// otherwise, and at most MaxSIEMTokenDays: a credential left on a machine
// that polls should run out within the year, and be made again.
const (
	DefaultSIEMTokenDays = 90
	MaxSIEMTokenDays     = 365
)

// defaultSIEMLabel is the label the form offers.
const defaultSIEMLabel = "SIEM"

type collectionRow struct {
	ID, Title string
	Objects   int
	URL       string // of its objects
}

type tokenRow struct {
	ID               int64
	Label            string
	Created, Expires time.Time
	ReadOnly         bool
	Revoked, Expired bool
}

type collectionView struct {
	Discovery, APIRoot string
	// Org is the organisation's collection, User the user's own (TLP:RED
	// goes there only), Public the public one; Org and User are nil for a
	// viewer without them. Main is the one the examples name.
	Org, User, Public, Main *collectionRow
	Name                    string // the user name HTTP Basic takes
	Tokens                  []tokenRow
	// Secret is a token just made, shown on this answer only.
	Secret   string
	Revoked  bool
	Error    string // why the form was refused
	Label    string
	Days     string
	MaxDays  int
	MaxLabel int
	Live     int // live tokens of the user
	MaxLive  int
}

// collectionOn refuses the page, as one that does not exist, to those who
// receive no releases.
func (s *Server) collectionOn(r *http.Request, q *request) error {
	if !s.receivesOn(q.viewer) {
		return uiErr(mosaic.CodeNotFound, "error.nopage", r.URL.Path)
	}
	return nil
}

// siteURL is the address of this site as the browser reached it, for the
// URLs a SIEM is given. The page shows them in shell commands to copy, so
// a Host header that is no host name and port is not repeated there.
func (s *Server) siteURL(r *http.Request) string {
	scheme := "http"
	if s.secure || r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" || len(host) > 255 || strings.Trim(strings.ToLower(host), "abcdefghijklmnopqrstuvwxyz0123456789.-:[]") != "" {
		host = "SERVER"
	}
	return scheme + "://" + host
}

// collectionView reads q's viewer's collections, their sizes and its
// tokens into the page's view, with the form as label and days left it.
func (s *Server) collectionView(r *http.Request, q *request, label, days string) (collectionView, error) {
	site := s.siteURL(r)
	root := s.collections.Root()
	v := collectionView{Discovery: site + "/taxii2/", APIRoot: site + root, Name: q.viewer.User,
		Label: label, Days: days, MaxDays: MaxSIEMTokenDays, MaxLabel: mosaic.MaxTokenLabel, MaxLive: mosaic.MaxLiveTokens}
	if strings.HasSuffix(root, "/") && strings.Count(root, "/") > 2 {
		// The discovery path is the API root's parent.
		v.Discovery = site + root[:strings.LastIndex(root[:len(root)-1], "/")+1]
	}
	cs, err := s.collections.ReleasedCollections(r.Context(), q.viewer)
	if err != nil {
		return v, err
	}
	for _, c := range cs {
		n, err := s.content.ReleasedCount(r.Context(), q.viewer, c.Key, access("web.collection", c.Key))
		if err != nil {
			return v, err
		}
		row := &collectionRow{ID: c.ID, Title: c.Title, Objects: n, URL: v.APIRoot + "collections/" + c.ID + "/objects/"}
		switch kind, _, _ := strings.Cut(c.Key, ":"); mosaic.RecipientKind(kind) {
		case mosaic.RecipientOrg:
			v.Org = row
		case mosaic.RecipientUser:
			v.User = row
		case mosaic.RecipientPublic:
			v.Public = row
		}
	}
	switch {
	case v.Org != nil:
		v.Main = v.Org
	case v.User != nil:
		v.Main = v.User
	default:
		v.Main = v.Public
	}
	ts, err := s.store.Tokens(r.Context(), q.viewer.User)
	if err != nil {
		return v, err
	}
	now := s.clock.Now()
	for _, t := range ts {
		row := tokenRow{ID: t.ID, Label: t.Label, Created: t.Created, Expires: t.Expires, ReadOnly: t.ReadOnly,
			Revoked: t.Revoked != nil, Expired: !now.Before(t.Expires)}
		if !row.Revoked && !row.Expired {
			v.Live++
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

func (s *Server) renderCollection(w http.ResponseWriter, status int, q *request, v collectionView) {
	p := s.newPage(q, "collection")
	p.Title = p.T("collection.title")
	p.Data = v
	s.render(w, status, "collection", p)
}

func (s *Server) collectionPage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.collectionOn(r, q); err != nil {
		return err
	}
	v, err := s.collectionView(r, q, defaultSIEMLabel, strconv.Itoa(DefaultSIEMTokenDays))
	if err != nil {
		return err
	}
	v.Revoked = r.URL.Query().Get("revoked") == "1"
	s.renderCollection(w, http.StatusOK, q, v)
	return nil
}

// makeSIEMToken makes a read-only token for the signed-in user and shows
// its secret on the answer, the only time it is shown; a form refused
// comes back as it was filled in, saying why.
func (s *Server) makeSIEMToken(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.collectionOn(r, q); err != nil {
		return err
	}
	label := strings.TrimSpace(r.PostFormValue("label"))
	days := strings.TrimSpace(r.PostFormValue("days"))
	v, err := s.collectionView(r, q, label, days)
	if err != nil {
		return err
	}
	msgs := messages[q.lang]
	n, nerr := strconv.Atoi(days)
	switch {
	case nerr != nil || n < 1 || n > MaxSIEMTokenDays:
		v.Error = translate(msgs, "collection.token.days.invalid", MaxSIEMTokenDays)
	case mosaic.CheckTokenLabel(label) != nil:
		v.Error = translate(msgs, "collection.token.label.invalid", mosaic.MaxTokenLabel)
	case v.Live >= mosaic.MaxLiveTokens:
		v.Error = translate(msgs, "collection.token.limit", mosaic.MaxLiveTokens)
	}
	if v.Error != "" {
		s.renderCollection(w, http.StatusBadRequest, q, v)
		return nil
	}
	secret, hash := credential.NewToken()
	a := mosaic.NewAuditEntry(q.viewer, s.clock.Now(), "tokens.create")
	a.Detail = "user " + q.viewer.User
	if _, err := s.store.CreateToken(r.Context(), q.viewer.User, hash, label, s.clock.Now().Add(time.Duration(n)*24*time.Hour), true, a); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeConflict {
			// Another request took the last room since the count above.
			v.Error = translate(msgs, "collection.token.limit", mosaic.MaxLiveTokens)
			s.renderCollection(w, http.StatusConflict, q, v)
			return nil
		}
		return err
	}
	if v, err = s.collectionView(r, q, defaultSIEMLabel, strconv.Itoa(DefaultSIEMTokenDays)); err != nil {
		return err
	}
	v.Secret = secret
	// The middleware answers every page with Cache-Control: no-store, so
	// the secret stays out of the browser's cache and its history.
	s.renderCollection(w, http.StatusCreated, q, v)
	return nil
}

// revokeSIEMToken revokes one of the signed-in user's own tokens, as
// DELETE /api/v1/me/tokens/{id} does.
func (s *Server) revokeSIEMToken(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.collectionOn(r, q); err != nil {
		return err
	}
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return uiErr(mosaic.CodeNotFound, "collection.token.notfound", shorten(raw, 20))
	}
	ts, err := s.store.Tokens(r.Context(), q.viewer.User)
	if err != nil {
		return err
	}
	own := false
	for _, t := range ts {
		own = own || (t.ID == id && t.Revoked == nil)
	}
	if !own {
		// Another user's token is one that is not there.
		return uiErr(mosaic.CodeNotFound, "collection.token.notfound", raw)
	}
	a := mosaic.NewAuditEntry(q.viewer, s.clock.Now(), "tokens.revoke")
	a.Detail = "token " + strconv.FormatInt(id, 10)
	if err := s.store.RevokeToken(r.Context(), id, a); err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			return uiErr(mosaic.CodeNotFound, "collection.token.notfound", raw)
		}
		return err
	}
	http.Redirect(w, r, "/collection?revoked=1", http.StatusSeeOther)
	return nil
}
