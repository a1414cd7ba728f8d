package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/storetest"
	"mosaic/web/cdp"
)

// tab is a Chromium tab on the test server, failing the test on any error.
type tab struct {
	t    *testing.T
	ctx  context.Context
	page *cdp.Page
	base string
}

// newTab starts a headless Chromium for the test, or skips it when there
// is none (apt-get install -y chromium) or with -short.
func newTab(t *testing.T, e *env, width, height int) *tab {
	t.Helper()
	chromium := cdp.Find()
	if chromium == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium); skipping the browser test")
	}
	if testing.Short() {
		t.Skip("the browser test starts a browser; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	b, err := cdp.Start(chromium)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, err := b.NewPage(ctx, width, height)
	if err != nil {
		t.Fatal(err)
	}
	return &tab{t: t, ctx: ctx, page: p, base: e.srv.URL}
}

func (b *tab) eval(expr string, result any) {
	b.t.Helper()
	if err := b.page.Eval(b.ctx, expr, result); err != nil {
		b.t.Fatal(err)
	}
}

func (b *tab) text(expr string) string {
	b.t.Helper()
	var s string
	b.eval(expr, &s)
	return s
}

func (b *tab) navigate(path string) {
	b.t.Helper()
	if err := b.page.Navigate(b.ctx, b.base+path); err != nil {
		b.t.Fatal(err)
	}
}

// waitFor waits for a JavaScript condition; the wait is bounded only so
// that a broken page fails the test rather than hanging it.
func (b *tab) waitFor(cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := b.page.WaitFor(ctx, cond); err != nil {
		b.t.Fatalf("%v\npage: %s", err, b.text("location.href + '\\n' + document.body.innerText"))
	}
}

// signIn signs in through the sign-in form, as a person would.
func (b *tab) signIn(v mosaic.Viewer) {
	b.t.Helper()
	b.navigate("/login")
	b.eval(`document.querySelector("#user").value = `+jsString(v.User)+`; document.querySelector("#password").value = `+jsString(password(v.User))+
		`; document.querySelector("form[action='/login'] button").click(); ""`, nil)
	b.waitFor(`location.pathname === "/" && document.readyState === "complete" && document.querySelector("h1")`)
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// seedEverySector stores a campaign that targets an identity in each sector
// of the vocabulary, so that the picture has a row for every sector, with
// the longest names there are, and a threat level with a long reason.
func seedEverySector(t *testing.T, e *env) {
	t.Helper()
	now := e.w.Clock.Now().Add(-2 * time.Hour).Format("2006-01-02T15:04:05.000Z")
	campaign := "campaign--" + storetest.UUID(1900)
	recs := []mosaic.Record{storetest.Record(t, `{"type":"campaign","spec_version":"2.1","id":"`+campaign+`","created":"`+now+`","modified":"`+now+`","name":"Everywhere"}`, cellEnv())}
	for i, sector := range mosaic.Sectors {
		identity := "identity--" + storetest.UUID(2000+i)
		recs = append(recs,
			storetest.Record(t, `{"type":"identity","spec_version":"2.1","id":"`+identity+`","created":"`+now+`","modified":"`+now+`","name":"Sector `+sector+`","identity_class":"class","sectors":["`+sector+`"]}`, cellEnv()),
			storetest.Record(t, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+storetest.UUID(2100+i)+`","created":"`+now+`","modified":"`+now+`","relationship_type":"targets","source_ref":"`+campaign+`","target_ref":"`+identity+`"}`, cellEnv()))
	}
	e.w.Ingest(t, e.w.A, recs...)
	for _, sector := range []string{"government-emergency-services", "financial-services"} {
		if err := e.w.Store.SetThreatLevel(bg, e.w.A, sector, mosaic.ThreatSubstantial, strings.Repeat("A long reason that goes on and on. ", 8), mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserLayout checks in Chromium that the picture's tables fit their
// columns at common desktop widths, in both languages, with a row for every
// sector: a table wider than its column runs into the page margin or makes
// the page scroll sideways. The charts' labels must end before their bars.
func TestBrowserLayout(t *testing.T) {
	e := newEnv(t)
	b := newTab(t, e, 1440, 1000)
	seedEverySector(t, e)
	b.signIn(e.w.C)
	// What sticks out: each table against the box it is laid out in (its
	// grid track in the chart-and-table grid, else its section), each
	// section against its own width, and the page against the window.
	const measure = `(() => {
		const out = [];
		for (const t of document.querySelectorAll("main table")) {
			const box = t.parentElement;
			let room = box.clientWidth;
			if (getComputedStyle(box).display === "grid") {
				const tracks = getComputedStyle(box).gridTemplateColumns.split(" ").map(parseFloat);
				room = tracks.length === 1 ? tracks[0] : tracks[[...box.children].indexOf(t) % tracks.length];
			}
			const what = (t.closest("section") || {}).id || t.className;
			if (t.getBoundingClientRect().width > room + 0.5) {
				out.push(what + " table: " + Math.round(t.getBoundingClientRect().width) + " px in " + Math.round(room) + " px");
			}
		}
		for (const s of document.querySelectorAll("main section")) {
			if (s.scrollWidth > s.clientWidth) {
				out.push("section " + (s.id || s.getAttribute("aria-labelledby")) + ": " + s.scrollWidth + " px wide in " + s.clientWidth + " px");
			}
		}
		for (const svg of document.querySelectorAll("svg.bars")) {
			const rects = svg.querySelectorAll("rect.bar");
			svg.querySelectorAll("text.label").forEach((l, i) => {
				if (l.getBBox().x + l.getComputedTextLength() > rects[i].x.baseVal.value) {
					out.push("chart " + svg.getAttribute("aria-labelledby") + ": label " + l.textContent + " runs into its bar");
				}
			});
		}
		if (document.documentElement.scrollWidth > document.documentElement.clientWidth) {
			out.push("page: " + document.documentElement.scrollWidth + " px wide in " + document.documentElement.clientWidth + " px");
		}
		return out.join("\n");
	})()`
	for _, lang := range []string{"en", "nl"} {
		b.navigate("/language?lang=" + lang + "&back=/")
		b.waitFor(`document.documentElement.lang === "` + lang + `" && document.querySelector("#picture-sectors table")`)
		if n := b.text(`String(document.querySelectorAll("#picture-sectors tbody tr").length)`); n != fmt.Sprint(len(mosaic.Sectors)) {
			t.Fatalf("%s: %s sector rows, want %d", lang, n, len(mosaic.Sectors))
		}
		for _, width := range []int{1440, 1280, 1024} {
			if err := b.page.Resize(b.ctx, width, 1000); err != nil {
				t.Fatal(err)
			}
			if got := b.text(measure); got != "" {
				t.Errorf("%s at %d px:\n%s", lang, width, got)
			}
		}
		if err := b.page.Resize(b.ctx, 1440, 1000); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserContribute adds an indicator through the contribute form in
// Chromium with scripts off: choosing the kind shows its fieldset alone,
// and the one form sends it.
func TestBrowserContribute(t *testing.T) {
	e := newEnv(t)
	b := newTab(t, e, 1440, 1000)
	b.signIn(e.w.A)
	if err := b.page.DisableScripts(b.ctx); err != nil {
		t.Fatal(err)
	}
	b.navigate("/contribute")
	const shown = `[...document.querySelectorAll("fieldset.kind")].filter(f => f.offsetParent !== null).map(f => f.id).join(" ")`
	if got := b.text(shown); got != "fields-bundle" {
		t.Errorf("fieldsets shown at first: %q", got)
	}
	b.eval(`document.querySelector("label[for=kind-indicator]").click(); ""`, nil)
	if got := b.text(shown); got != "fields-indicator" {
		t.Errorf("fieldsets shown for an indicator: %q", got)
	}
	b.eval(`document.querySelector("#indicator-name").value = "Browser beacon";
		document.querySelector("#indicator-pattern").value = "[ipv4-addr:value = '192.0.2.77']";
		document.querySelector("#handling-audience").value = "cell";
		document.querySelector("#handling-tlp").value = "green";
		document.querySelector("form.contribute button[type=submit]").click(); ""`, nil)
	b.waitFor(`location.pathname.startsWith("/objects/indicator--") && document.readyState === "complete" && document.querySelector(".tlp-banner")`)
	if got := b.text(`document.querySelector("h1").innerText + " " + document.querySelector(".tlp-label").innerText`); !strings.Contains(got, "Browser beacon") || !strings.Contains(got, "TLP:GREEN") {
		t.Errorf("the stored indicator's page: %q", got)
	}
}

// TestBrowserPublicRelease reads a public release in Chromium without
// signing in, from the sign-in page's footer on: its advice keeps its
// lines, and neither a long pattern nor a long word in the advice makes
// the page scroll sideways.
func TestBrowserPublicRelease(t *testing.T) {
	e, _ := newReleaseEnv(t)
	long := "[url:value = 'http://" + strings.Repeat("a", 300) + ".example/']"
	e.publish(t, "Patch the gateways", "Patch now.\n  Then check the logs for "+strings.Repeat("x", 200)+".", mosaic.TLPClear, "public",
		indicatorAt(720, "Gateway exploit", long))
	b := newTab(t, e, 1024, 800)
	b.navigate("/login")
	b.eval(`document.querySelector("footer a[href='/public/releases']").click(); ""`, nil)
	b.waitFor(`location.pathname === "/public/releases" && document.readyState === "complete" && document.querySelector("table.releases a")`)
	b.eval(`document.querySelector("table.releases a").click(); ""`, nil)
	b.waitFor(`location.pathname.startsWith("/public/releases/") && document.readyState === "complete" && document.querySelector(".tlp-banner")`)
	if got := b.text(`document.querySelector(".tlp-label").innerText + " " + document.querySelector("h1").innerText`); got != "TLP:CLEAR Patch the gateways" {
		t.Errorf("release page: %q", got)
	}
	if got := b.text(`document.querySelector(".advice").innerText`); !strings.HasPrefix(got, "Patch now.\n  Then check") {
		t.Errorf("the advice lost its lines: %q", got)
	}
	for _, width := range []int{1024, 400} {
		if err := b.page.Resize(b.ctx, width, 800); err != nil {
			t.Fatal(err)
		}
		if got := b.text(`String(document.documentElement.scrollWidth > document.documentElement.clientWidth)`); got != "false" {
			t.Errorf("at %d px the page scrolls sideways: %s px wide", width, b.text(`String(document.documentElement.scrollWidth)`))
		}
	}
}
