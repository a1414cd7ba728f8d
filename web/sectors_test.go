package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestThreatLevels(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/sectors/healthcare")
	if !strings.Contains(page, "No threat level has been set") || !strings.Contains(page, `action="/sectors/healthcare/level"`) {
		t.Fatalf("sector page:\n%s", page)
	}
	token := csrf(t, page)
	resp, body := a.post("/sectors/healthcare/level", url.Values{"csrf": {token}, "level": {"high"}, "reason": {" "}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "reason"), "say why") {
		t.Fatalf("no reason: %d\n%s", resp.StatusCode, body)
	}
	resp, body = a.post("/sectors/healthcare/level", url.Values{"csrf": {token}, "level": {"high"}, "reason": {"Two hospitals hit this week."}})
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/sectors/healthcare" || !strings.Contains(body, `<span class="threat threat-high">High</span> — Two hospitals hit this week.`) {
		t.Fatalf("set: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	if resp, _ := a.post("/sectors/pirates/level", url.Values{"csrf": {token}, "level": {"high"}, "reason": {"x"}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown sector: %d", resp.StatusCode)
	}
	c := e.signedIn(t, e.w.C)
	if _, body := c.get("/"); !strings.Contains(body, `<th scope="row">Healthcare</th>
      <td><span class="threat threat-high">High</span></td>`) {
		t.Errorf("picture without the level:\n%s", body)
	}
	if resp, _ := c.get("/sectors?sector=energy"); resp.Request.URL.Path != "/sectors/energy" {
		t.Errorf("sector chooser went to %s", resp.Request.URL)
	}
	if resp, _ := e.signedIn(t, e.w.Stakeholder).get("/sectors/healthcare"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("stakeholder's sector page: %d", resp.StatusCode)
	}
}
