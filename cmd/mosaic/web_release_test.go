package main

import (
	"strings"
	"testing"
)

// TestBrowserReleasePages opens the release pages of the demo in Chromium
// as their users would: the NCSC analyst's release builder on a release
// that waits for the MIVD's consent, the MIVD liaison's consent inbox and
// request, and a stakeholder's portal and release. With
// MOSAIC_UI_SCREENSHOTS=DIR it writes each at 1440 and 1024 pixels wide
// into DIR (docs/ holds the ones in the README).
func TestBrowserReleasePages(t *testing.T) {
	d := newDemoBrowser(t)
	const waiting = "TesselGate SSL-VPN: block two more exploitation sources"

	d.signIn(t, "ncsc-analyst")
	if err := d.tab.Navigate(d.ctx, d.m.URL()+"/outgoing"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(`document.readyState === "complete" && document.querySelector("#outgoing")`)
	list := d.eval(`document.querySelector("#outgoing").innerText`)
	for _, want := range []string{waiting, "awaiting consent", "published", "withdrawn"} {
		if !strings.Contains(list, want) {
			t.Errorf("the NCSC's releases lack %q:\n%s", want, list)
		}
	}
	d.eval(`[...document.querySelectorAll("#outgoing a")].find(a => a.textContent === ` + jsString(waiting) + `).click(); ""`)
	d.waitFor(`location.pathname.startsWith("/outgoing/") && document.readyState === "complete" && document.querySelector("#consent-status")`)
	if got := d.eval(`document.querySelector("#consent-status").innerText`); !strings.Contains(got, "mivd") || !strings.Contains(got, "pending") {
		t.Errorf("the consents of the waiting release:\n%s", got)
	}
	if got := d.eval(`document.querySelector("#rules") ? "" : "no rules"`); got != "" {
		t.Error("the builder shows no dissemination rules")
	}
	d.screenshots(t, "ui-builder")

	d.signIn(t, "mivd-liaison")
	if err := d.tab.Navigate(d.ctx, d.m.URL()+"/consents"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(`document.readyState === "complete" && document.querySelector("main table")`)
	if got := d.eval(`document.querySelector("main table").innerText`); !strings.Contains(got, waiting) || !strings.Contains(got, "pending") {
		t.Errorf("the MIVD's inbox:\n%s", got)
	}
	d.screenshots(t, "ui-consents")

	d.signIn(t, "deltanet-stakeholder")
	if err := d.tab.Navigate(d.ctx, d.m.URL()+"/releases"); err != nil {
		t.Fatal(err)
	}
	d.waitFor(`document.readyState === "complete" && document.querySelector("table.releases a")`)
	// The TesselGate advice (TLP:AMBER, with receipts and sightings of
	// other stakeholders, which this one must not see).
	d.eval(`[...document.querySelectorAll("table.releases a")].find(a => a.textContent.includes("TesselGate")).click(); ""`)
	d.waitFor(`location.pathname.startsWith("/releases/") && document.readyState === "complete" && document.querySelector(".tlp-banner")`)
	if got := d.eval(`document.querySelector(".tlp-label").innerText`); !strings.HasPrefix(got, "TLP:") {
		t.Errorf("the portal's banner: %q", got)
	}
	if got := d.eval(`document.querySelector(".advice").innerText`); got == "" {
		t.Error("the release's advice is empty")
	}
	if got := d.eval(`document.body.innerText`); strings.Contains(got, waiting) || strings.Contains(got, "Exploit attempts in the appliance's access log") {
		t.Error("the stakeholder sees a release that is not published, or another stakeholder's sighting")
	}
	d.screenshots(t, "ui-portal")
}
