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

// upload posts fields as the contribute form does, multipart, with file in
// the file field of the kind fields name.
func (b *browser) upload(path string, fields map[string]string, file []byte) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if file != nil {
		fw, _ := mw.CreateFormFile(fields["kind"]+"-file", "upload.json")
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
	for _, want := range []string{`<form class="contribute" method="post" action="/contribute" enctype="multipart/form-data">`,
		`id="kind-bundle" name="kind" value="bundle" checked>`, `id="kind-misp" name="kind" value="misp">`, `id="kind-list" name="kind" value="list">`,
		`id="kind-indicator" name="kind" value="indicator">`, `id="kind-note" name="kind" value="note">`, `<legend>What are you adding?</legend>`,
		`<option value="compartment:ops">`, `<option value="wbni">`} {
		if !strings.Contains(page, want) {
			t.Errorf("contribute page lacks %s", want)
		}
	}
	// One form with one handling block, whichever kind is added.
	for want, n := range map[string]int{"<form ": 2 /* and sign-out */, `name="csrf"`: 2, "<legend>Handling</legend>": 1, `name="audience"`: 1,
		`name="tlp"`: 1, `name="orcon"`: 1, `name="legal_basis"`: 1, `name="review_by"`: 1, `type="submit"`: 2} {
		if got := strings.Count(page, want); got != n {
			t.Errorf("the contribute page has %s %d times, want %d", want, got, n)
		}
	}
	// Without script the browser sends whichever kind is chosen: no field
	// of another kind's fieldset may stop it.
	if strings.Contains(page, " required") {
		t.Error("a field of the contribute form is required in the browser")
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
		{"no token", map[string]string{"kind": "bundle"}, bundle, http.StatusForbidden, "", "form has expired"},
		{"no kind", map[string]string{"csrf": token}, bundle, http.StatusBadRequest, "kind", "Choose what you are adding"},
		{"unknown kind", map[string]string{"csrf": token, "kind": "poem"}, bundle, http.StatusBadRequest, "kind", "Choose what you are adding"},
		{"no file", map[string]string{"csrf": token, "kind": "bundle"}, "", http.StatusBadRequest, "bundle-file", "Choose a file"},
		{"not STIX", map[string]string{"csrf": token, "kind": "bundle"}, `{"type":"bundle"}`, http.StatusBadRequest, "bundle-file", ""},
		{"bad review date", map[string]string{"csrf": token, "kind": "bundle", "review_by": "2020-01-01"}, bundle, http.StatusBadRequest, "handling-review", "2020-01-01"},
		{"foreign compartment", map[string]string{"csrf": token, "kind": "bundle", "audience": "compartment:other"}, bundle, http.StatusBadRequest, "handling-audience", "no such compartment"},
		{"a TLP for a bundle", map[string]string{"csrf": token, "kind": "bundle", "tlp": "green"}, bundle, http.StatusBadRequest, "handling-tlp", "their own TLP markings"},
		{"stored", map[string]string{"csrf": token, "kind": "bundle", "audience": "cell"}, bundle, http.StatusCreated, "", "Stored: 1 new objects, 0 new versions, 0 unchanged."},
		{"again", map[string]string{"csrf": token, "kind": "bundle", "audience": "cell"}, bundle, http.StatusCreated, "", "0 new objects, 0 new versions, 1 unchanged."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var file []byte
			if tc.file != "" {
				file = []byte(tc.file)
			}
			resp, body := a.upload("/contribute", tc.fields, file)
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
	form := url.Values{"csrf": {token}, "kind": {"indicator"}, "name": {"Typed beacon"}, "pattern": {"[ipv4-addr:value = "}, "tlp": {"green"}, "audience": {"cell"}}
	resp, body := a.post("/contribute", form)
	if resp.StatusCode != http.StatusBadRequest || fieldErrors(body, "indicator-pattern") == "" || !strings.Contains(body, `value="Typed beacon"`) ||
		!strings.Contains(body, `id="kind-indicator" name="kind" value="indicator" checked>`) {
		t.Fatalf("bad pattern: %d\n%s", resp.StatusCode, body)
	}
	form.Set("pattern", "[ipv4-addr:value = '192.0.2.44']")
	resp, body = a.post("/contribute", form)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/objects/indicator--") || !strings.Contains(body, "TLP:GREEN") || !strings.Contains(body, "Typed beacon") {
		t.Fatalf("indicator: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	indicator := strings.TrimPrefix(resp.Request.URL.Path, "/objects/")

	// A note about it, started from its page: the form offers a note, about
	// the object.
	if !strings.Contains(body, `/contribute?ref=`+indicator+`#fields-note`) {
		t.Error("the object page offers no note")
	}
	if _, page := a.get("/contribute?ref=" + indicator); !strings.Contains(page, `id="kind-note" name="kind" value="note" checked>`) ||
		!strings.Contains(page, `name="refs" rows="4" aria-describedby="note-refs-help">`+indicator+`</textarea>`) {
		t.Errorf("the note form from an object's page:\n%s", page)
	}
	resp, body = a.post("/contribute", url.Values{"csrf": {token}, "kind": {"note"}, "content": {""}, "refs": {"nonsense"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "note-content"), "required") || !strings.Contains(fieldErrors(body, "note-refs"), "nonsense is not a STIX identifier") {
		t.Fatalf("bad note: %d\n%s", resp.StatusCode, body)
	}
	resp, body = a.upload("/contribute", map[string]string{"csrf": token, "kind": "note", "abstract": "Seen at a hospital", "content": "Beaconing every 60 s.", "refs": indicator}, nil)
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
	event, err := os.ReadFile("../misp/testdata/events/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := a.upload("/contribute", map[string]string{"csrf": token, "kind": "misp"}, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[]}`))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "misp-file"), "not a MISP event") {
		t.Errorf("a bundle as a MISP event: %d\n%s", resp.StatusCode, fieldErrors(body, "misp-file"))
	}
	resp, body = a.upload("/contribute", map[string]string{"csrf": token, "kind": "misp", "audience": "compartment:other"}, event)
	if resp.StatusCode != http.StatusBadRequest || fieldErrors(body, "handling-audience") == "" {
		t.Errorf("a foreign compartment: %d", resp.StatusCode)
	}
	resp, body = a.upload("/contribute", map[string]string{"csrf": token, "kind": "misp", "tlp": "clear"}, event)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(fieldErrors(body, "handling-tlp"), "their own TLP markings") {
		t.Errorf("a TLP for a MISP event: %d", resp.StatusCode)
	}
	resp, body = a.upload("/contribute", map[string]string{"csrf": token, "kind": "misp", "audience": "cell"}, event)
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
	resp, body := a.upload("/contribute", map[string]string{"csrf": token, "kind": "list", "list": bad, "audience": "cell"}, nil)
	got := fieldErrors(body, "list-list")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(got, "Line 2: &#34;not an indicator&#34;") || !strings.Contains(got, "Line 6:") || strings.Contains(got, "Line 1:") {
		t.Fatalf("a list with bad lines: %d\n%s", resp.StatusCode, got)
	}
	if _, body := a.get("/objects?type=indicator"); objectLink.MatchString(body) {
		t.Fatal("a list with bad lines stored something")
	}
	good := "198.51.100.23\n2001:DB8::1\n10.1.0.0/16\nEVIL.example.\nhttp://Evil.example:80/a'b\nD41D8CD98F00B204E9800998ECF8427E\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nSomeone@Evil.example\n198.51.100.23\n"
	resp, body = a.upload("/contribute", map[string]string{"csrf": token, "kind": "list", "list": good, "audience": "cell", "tlp": "green"}, nil)
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

// A list may come as a text file, which stands for the written list.
func TestContributeIndicatorListFile(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)
	resp, body := a.upload("/contribute", map[string]string{"csrf": token, "kind": "list", "list": "not an indicator", "audience": "cell"}, []byte("# from a file\n198.51.100.31\nbad.example\n"))
	if resp.StatusCode != http.StatusCreated || !strings.Contains(body, "Stored: 2 new objects") {
		t.Fatalf("a list file: %d\n%s", resp.StatusCode, body)
	}
}

// The server reads the chosen kind's fields only: what a browser sends of
// the other fieldsets, as it sends every field of a form, is not stored.
func TestContributeReadsOnlyTheChosenKind(t *testing.T) {
	e := newEnv(t)
	a := e.signedIn(t, e.w.A)
	_, page := a.get("/contribute")
	token := csrf(t, page)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": token, "kind": "indicator", "name": "Chosen beacon", "pattern": "[ipv4-addr:value = '192.0.2.45']",
		"list": "198.51.100.99", "content": "A note nobody chose", "refs": "indicator--" + storetest.UUID(3), "audience": "cell"} {
		mw.WriteField(k, v)
	}
	for _, field := range []string{"bundle-file", "misp-file", "list-file"} {
		fw, _ := mw.CreateFormFile(field, "other.json")
		fw.Write([]byte(`{"type":"bundle","id":"bundle--` + storetest.UUID(2) + `","objects":[` +
			storetest.Indicator(701, "2026-10-01T00:00:00.000Z", "Unchosen beacon", "[ipv4-addr:value = '203.0.113.10']") + `]}`))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", a.base+"/contribute", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, body := a.do(req)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Request.URL.Path, "/objects/indicator--") || !strings.Contains(body, "Chosen beacon") {
		t.Fatalf("indicator: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	res, err := e.w.Store.Objects(bg, e.w.A, mosaic.ObjectFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 {
		var got []string
		for _, o := range res.Objects {
			got = append(got, string(o.Object))
		}
		t.Errorf("stored %d objects, want the indicator alone:\n%s", len(res.Objects), strings.Join(got, "\n"))
	}
}
