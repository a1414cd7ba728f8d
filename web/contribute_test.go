package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mosaic/storetest"
)

// fieldErrors returns the problems shown right above a form field.
func fieldErrors(body, id string) string {
	m := regexp.MustCompile(`<ul class="field-errors" id="` + regexp.QuoteMeta(id) + `-errors">(.*?)</ul>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (b *browser) upload(path string, fields map[string]string, file []byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "bundle.json")
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func TestContribute(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)
	for _, want := range []string{`action="/contribute/bundle"`, `action="/contribute/indicator"`, `action="/contribute/note"`, `<option value="compartment:ops">`, `<option value="wbni">`} {
		if !strings.Contains(page, want) {
			t.Errorf("contribute page lacks %s", want)
		}
	}
	if strings.Contains(page, "compartment:other") {
		t.Error("the audience offers a compartment pa is not in")
	}
	if resp, _ := e.signedIn(t, e.w.Stakeholder).get("/contribute"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("stakeholder's contribute page: %d", resp.StatusCode)
	}

	bundle := `{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` +
		storetest.Indicator(700, "2026-10-01T00:00:00.000Z", "Uploaded beacon", "[ipv4-addr:value = '203.0.113.9']") + `]}`
	for _, tc := range []struct {
		name   string
		fields map[string]string
		file   string
		status int
		field  string // where the problem shows
		want   string
	}{
		{"no token", map[string]string{}, bundle, http.StatusForbidden, "", "form has expired"},
		{"no file", map[string]string{"csrf": token}, "", http.StatusBadRequest, "bundle-file", "Choose a file"},
		{"not STIX", map[string]string{"csrf": token}, `{"type":"bundle"}`, http.StatusBadRequest, "bundle-file", ""},
		{"bad review date", map[string]string{"csrf": token, "review_by": "2020-01-01"}, bundle, http.StatusBadRequest, "bundle-review", "2020-01-01"},
		{"foreign compartment", map[string]string{"csrf": token, "audience": "compartment:other"}, bundle, http.StatusBadRequest, "bundle-audience", "no such compartment"},
		{"stored", map[string]string{"csrf": token, "audience": "cell"}, bundle, http.StatusCreated, "", "Stored: 1 new objects, 0 new versions, 0 unchanged."},
		{"again", map[string]string{"csrf": token, "audience": "cell"}, bundle, http.StatusCreated, "", "0 new objects, 0 new versions, 1 unchanged."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var file []byte
			if tc.file != "" {
				file = []byte(tc.file)
			}
			resp, body := a.upload("/contribute/bundle", tc.fields, file)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, tc.status, body)
			}
			got := body
			if tc.field != "" {
				got = fieldErrors(body, tc.field)
				if got == "" {
					t.Fatalf("no problem shown at %s\n%s", tc.field, body)
				}
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q lacks %q", got, tc.want)
			}
		})
	}
	if _, body := e.signedIn(t, e.w.C).get("/objects?q=uploaded"); !strings.Contains(body, "Uploaded beacon") {
		t.Error("the uploaded cell-wide indicator is not listed for pc")
	}

	// One indicator from the form; a bad pattern is shown at the pattern.
	form := url.Values{"csrf": {token}, "name": {"Typed beacon"}, "pattern": {"[ipv4-addr:value = "}, "tlp": {"green"}, "audience": {"cell"}}
	resp, body := a.post("/contribute/indicator", form)
	if resp.StatusCode != http.StatusBadRequest || fieldErrors(body, "indicator-pattern") == "" || !strings.Contains(body, `value="Typed beacon"`) {
		t.Fatalf("bad pattern: %d\n%s", resp.StatusCode, body)
	}
	form.Set("pattern", "[ipv4-addr:value = '192.0.2.44']")
	resp, body = a.post("/contribute/indicator", form)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/objects/indicator--") || !strings.Contains(body, "TLP:GREEN") || !strings.Contains(body, "Typed beacon") {
		t.Fatalf("indicator: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	indicator := strings.TrimPrefix(resp.Request.URL.Path, "/objects/")

	// A note about it, started from its page.
	if !strings.Contains(body, `/contribute?ref=`+indicator) {
		t.Error("the object page offers no note")
	}
	resp, body = a.post("/contribute/note", url.Values{"csrf": {token}, "content": {""}, "refs": {"nonsense"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "note-content"), "required") || !strings.Contains(fieldErrors(body, "note-refs"), "nonsense is not a STIX identifier") {
		t.Fatalf("bad note: %d\n%s", resp.StatusCode, body)
	}
	resp, body = a.post("/contribute/note", url.Values{"csrf": {token}, "abstract": {"Seen at a hospital"}, "content": {"Beaconing every 60 s."}, "refs": {indicator}})
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/objects/note--") || !strings.Contains(body, "Seen at a hospital") || !strings.Contains(body, indicator) {
		t.Fatalf("note: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	noInline(t, "/contribute", page)
}
