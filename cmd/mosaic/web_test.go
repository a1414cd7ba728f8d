package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/config"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/web/cdp"
)

// TestBrowser drives a real headless Chromium through the demo: sign in as
// ncsc-analyst, see the situational picture, search, open an object, and
// check that an object of a compartment the NCSC is not in appears nowhere.
// With MOSAIC_UI_SCREENSHOTS=DIR it also writes screenshots of the picture
// at 1440 and 1024 pixels wide into DIR (docs/ holds the ones in the
// README).
func TestBrowser(t *testing.T) {
	d := newDemoBrowser(t)
	ctx, m, creds, tab, eval, waitFor := d.ctx, d.m, d.creds, d.tab, d.eval, d.waitFor

	// An object of op-glasshouse, which the NCSC is not in, as its
	// originator sees it.
	aivd, err := m.Store.Authenticate(ctx, credential.HashToken(creds["aivd-analyst"].Token), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	page, err := m.Store.Objects(ctx, aivd, mosaic.ObjectFilter{Audience: "compartment:op-glasshouse", Types: []string{"intrusion-set", "indicator", "malware"}, Limit: 1})
	if err != nil || len(page.Objects) == 0 {
		t.Fatalf("no op-glasshouse object in the demo: %v", err)
	}
	var hidden struct{ ID, Name string }
	_ = json.Unmarshal(page.Objects[0].Object, &hidden)

	// Anyone not signed in lands on the sign-in page.
	if err := tab.Navigate(ctx, m.URL()+"/"); err != nil {
		t.Fatal(err)
	}
	if got := eval("location.pathname"); got != "/login" {
		t.Fatalf("not signed in, at %s", got)
	}
	eval(`document.querySelector("#user").value = "ncsc-analyst"; document.querySelector("#password").value = ` +
		jsString(creds["ncsc-analyst"].Password) + `; document.querySelector("form[action='/login'] button").click(); ""`)
	waitFor(`location.pathname === "/" && document.readyState === "complete" && document.querySelector("h1")`)
	if got := eval(`document.querySelector("h1").textContent`); got != "Situational picture" {
		t.Fatalf("home page heading %q", got)
	}
	// The stylesheet applied (the CSP let it in) and the charts are there,
	// each with a text alternative.
	if got := eval(`getComputedStyle(document.querySelector(".top")).backgroundColor`); got != "rgb(20, 33, 61)" {
		t.Errorf("header background %q: the stylesheet did not apply", got)
	}
	if got := eval(`String(document.querySelectorAll("svg[role=img] > title").length)`); got == "0" {
		t.Error("no charts with a text alternative")
	}
	text := eval("document.body.innerText")
	for _, want := range []string{"Healthcare", "Financial services", "Campaigns", "Latest objects"} {
		if !strings.Contains(text, want) {
			t.Errorf("picture lacks %q:\n%s", want, text)
		}
	}
	html := eval("document.documentElement.outerHTML")
	if strings.Contains(html, hidden.ID) || (hidden.Name != "" && strings.Contains(html, hidden.Name)) {
		t.Errorf("the picture shows hidden %s %q", hidden.ID, hidden.Name)
	}
	d.screenshots(t, "ui-picture")

	// Live: a record stored now appears on the open page, through the event
	// stream and the page's script, which the CSP lets in.
	ncsc, err := m.Store.Authenticate(ctx, credential.HashToken(creds["ncsc-analyst"].Token), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// Created a minute ago, whenever the test runs: the picture counts by
	// creation time.
	created := time.Now().UTC().Add(-time.Minute).Format("2006-01-02T15:04:05.000Z")
	live := `{"type":"bundle","id":"bundle--6d4e5c3b-2a19-4f08-9e7d-6c5b4a392817","objects":[{"type":"indicator","spec_version":"2.1",` +
		`"id":"indicator--6d4e5c3b-2a19-4f08-9e7d-6c5b4a392818","created":"` + created + `","modified":"` + created + `",` +
		`"name":"Live beacon from the browser test","pattern":"[ipv4-addr:value = '192.0.2.201']","pattern_type":"stix","valid_from":"` + created + `"}]}`
	// The indicators created in the last 24 hours, as the picture counts
	// them.
	const dayCount = `document.querySelector("#picture-types a[href='/objects?type=indicator']").closest("tr").querySelector("td.num").textContent`
	before, err := strconv.Atoi(eval(dayCount))
	if err != nil {
		t.Fatalf("the picture's indicator count: %v", err)
	}
	audienceCell := mosaic.Audience{Cell: true}
	if _, _, err := m.Content.Contribute(ctx, ncsc, []byte(live), mosaic.EnvelopeDefaults{Audience: &audienceCell}, content.Access{Action: "objects.ingest", Detail: "test"}); err != nil {
		t.Fatal(err)
	}
	waitFor(`document.querySelector("#live-status").textContent !== "" && document.querySelector("table[data-live] tbody tr").textContent.includes("Live beacon from the browser test")`)
	// The counts follow, without a reload.
	waitFor(dayCount + ` === "` + strconv.Itoa(before+1) + `"`)

	// An upload through the contribute form.
	upload := filepath.Join(t.TempDir(), "upload.json")
	bundle := strings.ReplaceAll(strings.ReplaceAll(live, "6c5b4a392818", "6c5b4a392819"), "Live beacon", "Uploaded beacon")
	if err := os.WriteFile(upload, []byte(bundle), 0o600); err != nil {
		t.Fatal(err)
	}
	eval(`document.querySelector("a[href='/contribute']").click(); ""`)
	waitFor(`location.pathname === "/contribute" && document.readyState === "complete" && document.querySelector("#bundle-file")`)
	if err := tab.SetFiles(ctx, "#bundle-file", upload); err != nil {
		t.Fatal(err)
	}
	eval(`document.querySelector("#kind-bundle").checked = true; document.querySelector("#handling-audience").value = "cell"; document.querySelector("form.contribute button[type=submit]").click(); ""`)
	// The answer is the contribute page again, with what was stored or what
	// was wrong, which the page before had neither of.
	waitFor(`document.readyState === "complete" && document.querySelector(".done, .field-errors, .alert")`)
	if got := eval(`(document.querySelector(".done") || document.body).innerText`); !strings.Contains(got, "Stored: 1 new objects") {
		t.Fatalf("upload: %s", got)
	}

	// A search through the form, then the first result.
	eval(`document.querySelector("a[href='/objects']").click(); ""`)
	waitFor(`location.pathname === "/objects" && document.readyState === "complete" && document.querySelector("#q")`)
	eval(`document.querySelector("#q").value = "marshlock"; document.querySelector("form[role=search] button").click(); ""`)
	waitFor(`location.search.includes("q=marshlock") && document.readyState === "complete" && document.querySelector("h1")`)
	if n := eval(`String(document.querySelectorAll("table.objects tbody tr").length)`); n == "0" {
		t.Fatalf("search for marshlock found nothing:\n%s", eval("document.body.innerText"))
	}
	eval(`document.querySelector("table.objects tbody a").click(); ""`)
	waitFor(`location.pathname.startsWith("/objects/") && document.readyState === "complete" && document.querySelector(".tlp-banner")`)
	if got := eval(`document.querySelector(".tlp-banner .tlp-label").textContent`); !strings.HasPrefix(got, "TLP:") {
		t.Errorf("TLP banner %q", got)
	}
	if got := eval(`document.querySelector(".envelope").innerText`); !strings.Contains(got, "Legal basis") || !strings.Contains(got, "Originator") {
		t.Errorf("envelope:\n%s", got)
	}
	if dir := os.Getenv("MOSAIC_UI_SCREENSHOTS"); dir != "" {
		if err := tab.Resize(ctx, 1440, 1000); err != nil {
			t.Fatal(err)
		}
		png, err := tab.Screenshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "ui-object-1440.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The hidden object: not found by id, not found by its name.
	if err := tab.Navigate(ctx, m.URL()+"/objects/"+hidden.ID); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.querySelector("h1").textContent`); got != "Not found" {
		t.Errorf("hidden object's page: %q", got)
	}
	if hidden.Name != "" {
		if err := tab.Navigate(ctx, m.URL()+"/objects?q="+strings.ReplaceAll(hidden.Name, " ", "+")); err != nil {
			t.Fatal(err)
		}
		if html := eval("document.documentElement.outerHTML"); strings.Contains(html, hidden.ID) {
			t.Errorf("a search for %q shows the hidden object", hidden.Name)
		}
	}
}

// demoBrowser is the demo, seeded and served, with a headless Chromium
// tab on it; the test skips without Chromium or with -short.
type demoBrowser struct {
	ctx     context.Context
	m       *Main
	creds   map[string]DemoCredential
	tab     *cdp.Page
	eval    func(expr string) string
	waitFor func(cond string)
}

func newDemoBrowser(t *testing.T) *demoBrowser {
	t.Helper()
	chromium := cdp.Find()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser test")
	}
	if testing.Short() {
		t.Skip("the browser test seeds the demo and starts a browser; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)

	dir := t.TempDir()
	c := config.Default()
	c.Addr, c.Data = "127.0.0.1:0", dir
	m := &Main{Config: c, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t.Cleanup(func() { m.Close() })
	if err := m.OpenStore(ctx); err != nil {
		t.Fatal(err)
	}
	if err := SeedDemo(ctx, m, env{stdout: io.Discard, stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	creds := map[string]DemoCredential{}
	b, err := os.ReadFile(filepath.Join(dir, CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	var list []DemoCredential
	if err := json.Unmarshal(b, &list); err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		creds[d.User] = d
	}

	br, err := cdp.Start(chromium)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	tab, err := br.NewPage(ctx, 1440, 1000)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(expr string) string {
		t.Helper()
		var s string
		if err := tab.Eval(ctx, expr, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	waitFor := func(cond string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := tab.WaitFor(wctx, cond); err != nil {
			t.Fatalf("%v\npage: %s", err, eval("location.href + '\\n' + document.body.innerText"))
		}
	}

	return &demoBrowser{ctx: ctx, m: m, creds: creds, tab: tab, eval: eval, waitFor: waitFor}
}

// signIn signs user in through the form.
func (d *demoBrowser) signIn(t *testing.T, user string) {
	t.Helper()
	if err := d.tab.Navigate(d.ctx, d.m.URL()+"/login"); err != nil {
		t.Fatal(err)
	}
	if d.eval(`document.querySelector("form.signout") ? "in" : ""`) != "" {
		d.eval(`document.querySelector("form.signout button").click(); ""`)
		d.waitFor(`location.pathname === "/login" && document.readyState === "complete" && document.querySelector("#user")`)
	}
	d.eval(`document.querySelector("#user").value = ` + jsString(user) + `; document.querySelector("#password").value = ` +
		jsString(d.creds[user].Password) + `; document.querySelector("form[action='/login'] button").click(); ""`)
	d.waitFor(`location.pathname === "/" && document.readyState === "complete" && document.querySelector("h1")`)
}

// screenshots writes the page at 1440 and 1024 pixels wide into the
// directory MOSAIC_UI_SCREENSHOTS names, as NAME-WIDTH.png; without it,
// nothing.
func (d *demoBrowser) screenshots(t *testing.T, name string) {
	t.Helper()
	dir := os.Getenv("MOSAIC_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, width := range []int{1440, 1024} {
		if err := d.tab.Resize(d.ctx, width, 1000); err != nil {
			t.Fatal(err)
		}
		png, err := d.tab.Screenshot(d.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.tab.Resize(d.ctx, 1440, 1000); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
