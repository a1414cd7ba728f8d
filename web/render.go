package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"mosaic"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/policy"
)

// page is what every template gets: the layout's needs and the page's own
// Data.
type page struct {
	// listing is the request's listing turns, when it holds them
	// (Server.listed): given back before the page is written.
	listing *gate.Listing

	Lang          string
	Title         string
	Nav           string // the navigation entry of this page
	Viewer        mosaic.Viewer
	CSRF          string
	SeesContent   bool
	MayContribute bool
	Requests      bool // the navigation links the change requests
	Receives      bool // the navigation links the releases delivered to the user
	Collection    bool // the navigation links the user's TAXII collection
	Consents      bool // the navigation links the liaison's consent inbox
	Drafts        bool // the navigation links the release builder
	// Pick offers "add to release" on the page: the object tables get a
	// column to choose objects with, and the page the form.
	Pick    *pickForm
	Pending int // the consents pending, when the page counted them
	// Public says the page shows only what was released to the public,
	// which its footer says in place of the confidentiality notice;
	// PublicLink links the public releases from the footer.
	Public, PublicLink bool
	Languages          []languageLink
	Data               any

	msgs map[string]string
}

type languageLink struct {
	Code, Name, Href string
	Current          bool
}

// T returns the message key in the page's language, formatted with args.
// A key without a message shows as itself, which the tests forbid.
func (p *page) T(key string, args ...any) string { return translate(p.msgs, key, args...) }

// SectorName names a sector of the STIX industry-sector vocabulary in the
// page's language; any other text is shown as it is.
func (p *page) SectorName(sector string) string { return sectorName(p.msgs, sector) }

func sectorName(msgs map[string]string, sector string) string {
	if m, ok := msgs["sector.name."+sector]; ok {
		return m
	}
	return sector
}

// t is T for handlers.
func (q *request) t(key string, args ...any) string { return translate(messages[q.lang], key, args...) }

func translate(msgs map[string]string, key string, args ...any) string {
	m, ok := msgs[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(m, args...)
	}
	return m
}

func (s *Server) newPage(q *request, nav string) *page {
	p := &page{listing: q.listing, Lang: q.lang, Nav: nav, Viewer: q.viewer, CSRF: q.session.CSRF, msgs: messages[q.lang]}
	p.SeesContent = policy.SeesContent(q.viewer)
	p.MayContribute = policy.MayContribute(q.viewer) == nil
	// Anyone signed in may open the requests page and see their own
	// requests; the link is for those who decide them or ask for them.
	p.Requests = s.approvals != nil && (policy.IsApprover(q.viewer) || q.viewer.Role == mosaic.Admin)
	p.Receives = q.viewer.User != "" && s.receivesOn(q.viewer)
	p.Collection = p.Receives && s.collections != nil
	p.Consents = q.viewer.User != "" && q.consents
	p.Drafts = s.drafts(q.viewer)
	back, ok := localPath(q.path)
	if !ok {
		back = "/"
	}
	for _, l := range languages {
		p.Languages = append(p.Languages, languageLink{Code: l, Name: messages[l]["language.name"],
			Href: "/language?lang=" + l + "&back=" + url.QueryEscape(back), Current: l == q.lang})
	}
	return p
}

// pageNames are the templates in templates/, each a "content" block that
// the layout wraps.
var pageNames = []string{"login", "error", "picture", "stakeholder", "nocontent", "objects", "object", "contribute", "sector", "requests", "decided", "password", "releases", "release", "portal", "portal-release", "consents", "consent", "outgoing", "builder", "preview", "collection"}

func (s *Server) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"asset": s.assets.url,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"isoTime":     func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"tlpClass":    func(t mosaic.TLP) string { return "tlp-" + strings.ReplaceAll(string(t), "+", "-") },
		"typeClass":   func(t string) string { return "t-" + t },
		"fieldErrors": fieldErrors,
		"textField":   textField,
		"fileField":   fileField,
		"sighting":    func(raw json.RawMessage) sightingRow { return sightingSummary(raw) },
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, p *page) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if p.listing != nil {
		p.listing.Rendered()
	}
	middleware.WritePaced(w, status, buf.Bytes(), "text/html; charset=utf-8", s.turns.Pace())
}
