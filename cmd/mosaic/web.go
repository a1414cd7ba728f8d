package main

import (
	"context"
	"fmt"
	"net/http"

	"mosaic/gate"
)

// mountWeb serves the web UI. Scaffold, to be written.
func (m *Main) mountWeb(ctx context.Context, mux *http.ServeMux, g *gate.Gate) error {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "Mosaic\n\nAPI: /api/v1 (send Authorization: Bearer TOKEN)\nAPI description: /api/v1/openapi.json\nTAXII 2.1: /taxii2/ (HTTP Basic with your user name and an API token, or Bearer)\n")
	})
	return nil
}
