package web_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mosaic"
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

func TestContributeMISPEvent(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)
	for _, want := range []string{`action="/contribute/misp"`, `action="/contribute/list"`} {
		if !strings.Contains(page, want) {
			t.Errorf("contribute page lacks %s", want)
		}
	}
	event, err := os.ReadFile("../misp/testdata/events/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := a.upload("/contribute/misp", map[string]string{"csrf": token}, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[]}`))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "misp-file"), "not a MISP event") {
		t.Errorf("a bundle as a MISP event: %d\n%s", resp.StatusCode, fieldErrors(body, "misp-file"))
	}
	resp, body = a.upload("/contribute/misp", map[string]string{"csrf": token, "audience": "compartment:other"}, event)
	if resp.StatusCode != http.StatusBadRequest || fieldErrors(body, "misp-audience") == "" {
		t.Errorf("a foreign compartment: %d", resp.StatusCode)
	}
	resp, body = a.upload("/contribute/misp", map[string]string{"csrf": token, "audience": "cell"}, event)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "Stored: ") || strings.Contains(body, "Stored: 0 new") {
		t.Fatalf("MISP event: %d\n%s", resp.StatusCode, body)
	}
	if _, body := e.signedIn(t, e.w.C).get("/objects?type=report"); !objectLink.MatchString(body) {
		t.Error("the event's report is not listed for pc")
	}
}

func TestContributeIndicatorList(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)
	bad := "198.51.100.23\nnot an indicator\n\n# a comment\nEVIL.example.\nfoo bar baz"
	resp, body := a.upload("/contribute/list", map[string]string{"csrf": token, "list": bad, "audience": "cell"}, nil)
	got := fieldErrors(body, "list-list")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, "Line 2: &#34;not an indicator&#34;") || !strings.Contains(got, "Line 6:") || strings.Contains(got, "Line 1:") {
		t.Fatalf("a list with bad lines: %d\n%s", resp.StatusCode, got)
	}
	if _, body := a.get("/objects?type=indicator"); objectLink.MatchString(body) {
		t.Fatal("a list with bad lines stored something")
	}
	good := "198.51.100.23\n2001:DB8::1\n10.1.0.0/16\nEVIL.example.\nhttp://Evil.example:80/a'b\nD41D8CD98F00B204E9800998ECF8427E\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nSomeone@Evil.example\n198.51.100.23\n"
	resp, body = a.upload("/contribute/list", map[string]string{"csrf": token, "list": good, "audience": "cell", "tlp": "green"}, nil)
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "Stored: 8 new objects") {
		t.Fatalf("a good list: %d\n%s", resp.StatusCode, body)
	}
	res, err := e.w.Store.Objects(bg, e.w.C, mosaic.ObjectFilter{Types: []string{"indicator"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for _, o := range res.Objects {
		var ind struct{ Pattern string }
		json.Unmarshal(o.Object, &ind)
		patterns = append(patterns, ind.Pattern)
		if o.Envelope.TLP != mosaic.TLPGreen {
			t.Errorf("%s has TLP %s", ind.Pattern, o.Envelope.TLP)
		}
	}
	slices.Sort(patterns)
	want := []string{
		"[domain-name:value = 'evil.example']",
		"[email-addr:value = 'someone@evil.example']",
		"[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
		"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
		"[ipv4-addr:value = '10.1.0.0/16']",
		"[ipv4-addr:value = '198.51.100.23']",
		"[ipv6-addr:value = '2001:db8::1']",
		`[url:value = 'http://evil.example/a\'b']`,
	}
	if strings.Join(patterns, "\n") != strings.Join(want, "\n") {
		t.Errorf("patterns:\n%s\nwant:\n%s", strings.Join(patterns, "\n"), strings.Join(want, "\n"))
	}
}
