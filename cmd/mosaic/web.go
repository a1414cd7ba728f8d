package main

import (
	"context"
	"net/http"

	"mosaic/approval"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/problem"
	"mosaic/taxii"
	"mosaic/web"
)

// mountWeb serves the web UI at the root (every path the API, TAXII and
// deconfliction do not take) and the live event stream. The UI signs
// people in with passwords and keeps its own sessions and limits, under the
// same auth_failures_per_minute; the stream takes API tokens through the
// gate, or the UI's session, and carries deconfliction hits when
// mountDeconfliction, which runs first, served deconfliction. Recipients
// find their TAXII collections of tx on the UI's collection page.
func (m *Main) mountWeb(ctx context.Context, mux *http.ServeMux, g *gate.Gate, tx *taxii.Server) error {
	o := web.Options{
		Content: m.Content, Store: m.Store, Clock: m.Clock, Log: m.Log,
		Secure:            m.Config.TLSCert != "",
		FailuresPerMinute: m.Config.AuthFailures,
		MaxUploadBytes:    m.Config.MaxBodyBytes,
		Turns:             g.Turns(),
		Admit:             g.Admit,
		Approvals:         approval.New(m.Store, m.Clock),
		Collections:       tx,
	}
	if m.deconflict != nil {
		// Only when set: a nil handler in the interface would look like a
		// hit source to the stream.
		o.Hits = m.deconflict
	}
	w, err := web.New(o)
	if err != nil {
		return err
	}
	mux.Handle("/", w.Handler())
	// The live stream belongs to the API's paths but serves the UI too;
	// this pattern is more specific than the API's "/api/".
	mux.Handle("GET "+web.EventsPath, w.Events(ctx, g))
	// Another method on the stream's path is a 405, as everywhere in the
	// API, rather than the API's 404 for a path it does not know.
	middleware.AllowMethods(mux, []middleware.Route{{Method: "GET", Path: web.EventsPath}}, func(h middleware.Handler) http.Handler {
		return middleware.Wrap(middleware.Options{Log: m.Log, WriteError: problem.WriteError}, h)
	})
	return nil
}
