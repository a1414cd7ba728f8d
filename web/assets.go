package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static templates
var files embed.FS

// assets are the embedded static files, each served at a name that carries
// a hash of its content (style.3f2a….css), so that browsers may keep them
// for a year and still never use a stale one after an upgrade.
type assets struct {
	byURL  map[string]asset // hashed name → file
	byName map[string]string
}

type asset struct {
	body  []byte
	ctype string
}

func loadAssets() (*assets, error) {
	a := &assets{byURL: map[string]asset{}, byName: map[string]string{}}
	err := fs.WalkDir(files, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.byURL[hashed] = asset{body: b, ctype: mime.TypeByExtension(ext)}
		a.byName[name] = "/assets/" + hashed
		return nil
	})
	return a, err
}

// url returns the hashed URL of a static file; templates call it as asset.
func (a *assets) url(name string) string {
	if u, ok := a.byName[name]; ok {
		return u
	}
	panic("web: no asset " + name) // a template names a file that is not embedded: a bug caught by every test
}

// serveFavicon answers /favicon.ico, which browsers and other clients ask
// for whatever a page links, with the page's icon. The URL has no hash, so
// it is kept for a day, not a year.
func (s *Server) serveFavicon(w http.ResponseWriter, r *http.Request) {
	f := s.assets.byURL[strings.TrimPrefix(s.assets.url("favicon.svg"), "/assets/")]
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(f.body)
}

func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := s.assets.byURL[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(f.body)
}
