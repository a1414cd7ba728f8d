package main

import (
	"encoding/json"
	"net/http"
	"testing"

	"mosaic/problem"
)

// TestWrongMethodOnTheStream: the event stream, served beside the API, answers
// another method as the API does.
func TestWrongMethodOnTheStream(t *testing.T) {
	m := startServer(t, t.TempDir())
	resp, err := http.Post(m.URL()+"/api/v1/events", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p problem.Details
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET" || p.Type != problem.TypeBase+"method-not-allowed" {
		t.Errorf("POST /api/v1/events: %d, Allow %q, %+v", resp.StatusCode, resp.Header.Get("Allow"), p)
	}
}
