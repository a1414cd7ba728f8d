package web_test

import (
	"strings"
	"testing"

	"mosaic"
	"mosaic/credential"
	"mosaic/storetest"
)

// TestBrowserReleaseFlow walks a release through Chromium from end to end:
// pc's analyst finds two indicators in a search and drafts a release of
// them to the stakeholder sh; pa's liaison approves it with its address
// generalised and pc's liaison approves it as it is; the analyst previews
// it as sh and publishes it, and keeps its page open; sh's user reads it,
// downloads its CSV, acknowledges it and reports a sighting, which the
// analyst's page shows without a reload. A second stakeholder sees none of
// it: every page of theirs is byte for byte what it was before.
func TestBrowserReleaseFlow(t *testing.T) {
	e, _ := newReleaseEnv(t)
	pcLiaison := e.liaisonOf(t, "pc")
	other := e.stakeholder(t, "sh2", "energy")
	for _, v := range []mosaic.Viewer{e.w.ALiaison, pcLiaison, other} {
		if err := e.w.Store.SetPassword(bg, v.User, credential.HashPassword(password(v.User)), mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
	}
	pa := indicatorAt(831, "Harbour beacon", "[ipv4-addr:value = '198.51.100.20']")
	pc := indicatorAt(832, "Harbour lure", "[domain-name:value = 'lure.example']")
	e.w.Ingest(t, e.w.A, storetest.Record(t, pa, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPAmber, ORCON: true}))
	e.w.Ingest(t, e.w.C, storetest.Record(t, pc, mosaic.Envelope{Audience: mosaic.Audience{Cell: true}, TLP: mosaic.TLPGreen}))
	paID := "indicator--" + storetest.UUID(831)

	// The second stakeholder's pages before: they must not change.
	otherPages := []string{"/", "/releases", "/public/releases"}
	o := e.signedIn(t, other)
	before := map[string]string{}
	for _, p := range otherPages {
		_, before[p] = o.get(p)
	}

	// The analyst drafts from the search results.
	an := newTab(t, e, 1440, 1000)
	an.signIn(e.w.C)
	an.navigate("/objects?q=harbour")
	an.waitFor(`document.readyState === "complete" && document.querySelectorAll("input[form=add-to-release]").length === 2`)
	an.eval(`document.querySelectorAll("input[form=add-to-release]").forEach(c => c.checked = true);
		document.querySelector("#add-release").value = "new";
		document.querySelector("#add-to-release button").click(); ""`, nil)
	an.waitFor(`location.pathname === "/outgoing/new" && document.readyState === "complete" && document.querySelector("#builder-form")`)
	if got := an.text(`document.querySelector("#objects").innerText`); !strings.Contains(got, "Harbour beacon") || !strings.Contains(got, "Harbour lure") {
		t.Fatalf("the builder holds: %q", got)
	}
	// A sector is refused live, naming the AMBER object.
	an.eval(`document.querySelector("#title").value = "Harbour campaign";
		document.querySelector("#advice").value = "Block the beacon and the lure.";
		document.querySelector("#advice_nl").value = "Blokkeer het baken en het lokaas.";
		const s = document.querySelector("input[name=recipient][value='sector:healthcare']");
		s.checked = true; s.dispatchEvent(new Event("change", {bubbles: true})); ""`, nil)
	an.waitFor(`document.querySelector("#rules-broken") && document.querySelector("#rules-broken").innerText.includes(` + jsString(paID) + `)`)
	an.eval(`document.querySelector("input[name=recipient][value='sector:healthcare']").checked = false;
		const o = document.querySelector("input[name=recipient][value='org:sh']");
		o.checked = true; o.dispatchEvent(new Event("change", {bubbles: true})); ""`, nil)
	an.waitFor(`document.querySelector("#rules-ok") && document.querySelector("#rules-consents").innerText.includes("pa")`)
	an.eval(`document.querySelector("#save-button").click(); ""`, nil)
	an.waitFor(`/^\/outgoing\/[0-9a-f-]{36}$/.test(location.pathname) && document.readyState === "complete" && document.querySelector("#consent-status")`)
	id := strings.TrimPrefix(an.text(`location.pathname`), "/outgoing/")

	// pa's liaison sanitises, pc's approves.
	li := newTab(t, e, 1024, 900)
	li.signIn(e.w.ALiaison)
	li.navigate("/consents")
	li.waitFor(`document.readyState === "complete" && document.querySelector("a[href='/consents/` + id + `']")`)
	li.eval(`document.querySelector("a[href='/consents/`+id+`']").click(); ""`, nil)
	li.waitFor(`location.pathname === "/consents/` + id + `" && document.readyState === "complete" && document.querySelector("input[name='gen:` + paID + `'][value=addresses]")`)
	if got := li.text(`document.body.innerText`); strings.Contains(got, "Harbour lure") {
		t.Error("pa's liaison sees pc's object")
	}
	li.eval(`document.querySelector("input[name='gen:`+paID+`'][value=addresses]").checked = true;
		document.querySelector("button[value=approve-sanitised]").click(); ""`, nil)
	li.waitFor(`document.readyState === "complete" && document.querySelector("#decided")`)
	lc := newTab(t, e, 1024, 900)
	lc.signIn(pcLiaison)
	lc.navigate("/consents/" + id)
	lc.waitFor(`document.readyState === "complete" && document.querySelector("button[value=approve]")`)
	lc.eval(`document.querySelector("button[value=approve]").click(); ""`, nil)
	lc.waitFor(`document.readyState === "complete" && document.querySelector("#decided")`)

	// The analyst previews as sh: generalised, unattributed.
	an.navigate("/outgoing/" + id + "/preview?recipient=org:sh")
	an.waitFor(`document.readyState === "complete" && document.querySelector("#preview")`)
	prev := an.text(`document.querySelector("#preview").innerText`)
	if !strings.Contains(prev, "198.51.100.0/24") || strings.Contains(prev, "198.51.100.20") || strings.Contains(prev, paID) {
		t.Errorf("the preview as sh:\n%s", prev)
	}
	an.navigate("/outgoing/" + id)
	an.waitFor(`document.readyState === "complete" && document.querySelector("#publish-form")`)
	an.eval(`document.querySelector("#publish-form button").click(); ""`, nil)
	an.waitFor(`document.readyState === "complete" && document.querySelector("#published") && document.querySelector("#no-receipts")`)
	an.eval(`window.stayed = true; ""`, nil)

	// The stakeholder reads, downloads, acknowledges and reports.
	sh := newTab(t, e, 1024, 900)
	sh.signIn(e.w.Stakeholder)
	sh.navigate("/releases")
	sh.waitFor(`document.readyState === "complete" && document.querySelector("a[href='/releases/` + id + `']")`)
	sh.eval(`document.querySelector("a[href='/releases/`+id+`']").click(); ""`, nil)
	sh.waitFor(`location.pathname === "/releases/` + id + `" && document.readyState === "complete" && document.querySelector(".advice")`)
	if got := sh.text(`document.querySelector(".tlp-label").innerText + " | " + document.querySelector(".advice").innerText`); got != "TLP:AMBER | Block the beacon and the lure." {
		t.Errorf("the stakeholder reads %q", got)
	}
	csv := sh.text(`(async () => { const r = await fetch(document.querySelector("a[href$='format=csv']").href); return r.status + "\n" + await r.text(); })()`)
	if !strings.HasPrefix(csv, "200\n") || !strings.Contains(csv, "Harbour beacon") || strings.Contains(csv, "198.51.100.20") {
		t.Errorf("the CSV download:\n%s", csv)
	}
	sh.eval(`document.querySelector("#receipt-status").value = "applied";
		document.querySelector("#receipt-comment").value = "Blocked at the harbour edge.";
		document.querySelector("form.receipt button").click(); ""`, nil)
	sh.waitFor(`document.readyState === "complete" && document.querySelector("#reported")`)
	sh.eval(`document.querySelector("#sighting-count").value = "3";
		document.querySelector("#sighting-where").value = "Harbour VPN gateway";
		document.querySelector("form.sighting button").click(); ""`, nil)
	sh.waitFor(`document.readyState === "complete" && document.querySelector("#reported")`)

	// The analyst's page shows both without a reload.
	an.waitFor(`window.stayed === true && document.querySelector("#receipts") && document.querySelector("#receipts").innerText.includes("Blocked at the harbour edge.") &&
		document.querySelector("#sightings") && document.querySelector("#sightings").innerText.includes("Harbour VPN gateway")`)

	// The second stakeholder: nothing changed, nothing to find.
	for _, p := range otherPages {
		if _, after := o.get(p); volatile(after) != volatile(before[p]) {
			t.Errorf("%s changed for the second stakeholder:\n%s", p, after)
		}
	}
	never := "00000000-0000-4000-8000-000000000000"
	_, missing := o.get("/releases/" + never)
	_, theirs := o.get("/releases/" + id)
	if volatile(strings.ReplaceAll(theirs, id, "ID")) != volatile(strings.ReplaceAll(missing, never, "ID")) {
		t.Error("the second stakeholder tells the release from one that does not exist")
	}
	ot := newTab(t, e, 1024, 900)
	ot.signIn(other)
	ot.navigate("/releases")
	ot.waitFor(`document.readyState === "complete" && document.querySelector("h1")`)
	if got := ot.text(`document.documentElement.outerHTML`); strings.Contains(got, "Harbour") || strings.Contains(got, id) {
		t.Error("the second stakeholder's portal shows the release")
	}
}

// stakeholder makes a stakeholder organisation in sector and a user of it.
func (e *env) stakeholder(t *testing.T, org, sector string) mosaic.Viewer {
	t.Helper()
	o := mosaic.Organisation{Name: org, FullName: "Stakeholder " + org, Kind: mosaic.Stakeholder, Sectors: []string{sector}}
	if err := e.w.Store.CreateOrg(bg, &o, mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: org + "-user", Org: org, Role: mosaic.StakeholderViewer}
	if err := e.w.Store.CreateUser(bg, &u, "", mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}
