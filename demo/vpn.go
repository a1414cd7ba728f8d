package demo

import (
	"fmt"
	"time"

	"mosaic"
)

// Ids that several stories refer to.
var (
	tesselGateVulnID = sdoID("vulnerability", "tesselgate-ssl-vpn-rce")
	tesselCampaignID = sdoID("campaign", "tesselgate-mass-exploitation")
	gateShellID      = sdoID("malware", "gateshell")
)

// vpnExploitation is story 2: a critical vulnerability in the (fictional)
// TesselGate SSL-VPN appliance, exploited at scale days after disclosure.
// The NCSC shares it cell-wide, mostly TLP:AMBER, GREEN and CLEAR, with
// incidents in five vital sectors and local government; the MIVD adds what
// it saw; a false positive is revoked in a second version.
func (d *dataset) vpnExploitation() {
	// Disclosure: the public advisory.
	b := d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(41, 8), mosaic.TLPClear)
	b.ORCON = ptr(false) // a public advisory; anyone may pass it on
	// A six-digit sequence number, far above what the CVE programme has
	// assigned, so that the fictional id does not name a real vulnerability.
	cve := fmt.Sprintf("CVE-%d-910417", b.when.Year())
	product := b.sco("software",
		map[string]any{"name": "TesselGate SSL-VPN", "vendor": "Tessel Networks", "version": "9.2.1",
			"cpe": "cpe:2.3:a:tessel_networks:tesselgate_ssl-vpn:9.2.1:*:*:*:*:*:*:*"},
		p("name", "TesselGate SSL-VPN"), p("cpe", "cpe:2.3:a:tessel_networks:tesselgate_ssl-vpn:9.2.1:*:*:*:*:*:*:*"),
		p("vendor", "Tessel Networks"), p("version", "9.2.1"))
	b.sdo("vulnerability", "tesselgate-ssl-vpn-rce",
		p("name", cve),
		p("description", "Path traversal in the web portal of TesselGate SSL-VPN 9.0 to 9.2.3 lets an unauthenticated attacker read session files and, chained with a command injection in the diagnostics page, run commands as root. CVSS 3.1 base score 9.8."),
		p("external_references", []extRef{
			{SourceName: "cve", ExternalID: cve},
			{SourceName: "Tessel Networks PSIRT", ExternalID: "TSA-2026-007", URL: "https://psirt.tessel.example/advisories/TSA-2026-007"},
		}))
	patch := b.sdo("course-of-action", "tesselgate-patch",
		p("name", "Upgrade TesselGate SSL-VPN to 9.2.4 or later"),
		p("description", "Install the vendor's fixed release 9.2.4 (9.1.12 for the 9.1 branch). Until then, disable the web portal and allow VPN access only through the client."))
	b.rel(patch, "mitigates", tesselGateVulnID)
	advisoryCreated := b.when
	advisoryV1 := []prop{
		p("name", "Security advisory: critical vulnerability in TesselGate SSL-VPN ("+cve+")"),
		p("description", "A critical vulnerability in TesselGate SSL-VPN allows unauthenticated remote code execution. A proof of concept is public. Likelihood: high; impact: high. Upgrade to 9.2.4 immediately."),
		p("report_types", []string{"vulnerability"}),
		p("published", ts(b.when)),
		p("object_refs", []string{tesselGateVulnID, patch, product}),
	}
	b.sdoAt("report", "tesselgate-advisory", advisoryCreated, advisoryCreated, advisoryV1...)

	// Exploitation starts: the campaign, its tooling and its indicators.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(38, 3), mosaic.TLPAmber)
	b.sdo("campaign", "tesselgate-mass-exploitation",
		p("name", "TesselGate mass exploitation"),
		p("description", "Automated exploitation of the TesselGate SSL-VPN vulnerability from a changing set of scanners, followed by a GateShell web shell on vulnerable appliances. Several actors take part; most compromises are opportunistic."),
		p("first_seen", ts(b.when.Add(-1*day))),
		p("objective", "Persistent access to VPN appliances for resale or espionage."))
	b.sdo("malware", "gateshell",
		p("name", "GateShell"),
		p("description", "PHP web shell written to the TesselGate web root after exploitation; survives upgrades because it hides in the appliance's help pages."),
		p("malware_types", []string{"webshell", "backdoor"}),
		p("is_family", true),
		p("implementation_languages", []string{"php"}),
		p("capabilities", []string{"controls-local-machine", "persists-after-system-reboot", "steals-authentication-credentials"}))
	b.tlp = mosaic.TLPGreen
	scanners := b.sdo("infrastructure", "tesselgate-scanners",
		p("name", "TesselGate exploitation scanners"),
		p("description", "Hosts that scan the Internet for TesselGate portals and send the exploit."),
		p("infrastructure_types", []string{"reconnaissance"}),
		p("first_seen", ts(b.when.Add(-1*day))))
	var scannerInds []string
	var revokedIP, revokedInd string
	for i := range 8 {
		ip := d.ipv4("203.0.113")
		ind, _ := b.indicator(ioc{"ipv4", ip, "TesselGate exploitation scanner " + ip},
			"Sends the TesselGate exploit to VPN portals.", []string{"malicious-activity"}, month,
			scanners)
		scannerInds = append(scannerInds, ind)
		if i == 7 {
			revokedIP, revokedInd = ip, ind
		}
	}
	for range 2 {
		ip := d.ipv6("2001:db8:7e55")
		ind, _ := b.indicator(ioc{"ipv6", ip, "TesselGate exploitation scanner " + ip},
			"Sends the TesselGate exploit to VPN portals over IPv6.", []string{"malicious-activity"}, month,
			scanners)
		scannerInds = append(scannerInds, ind)
	}
	exploitCreated := b.when
	b.tlp = mosaic.TLPAmber
	staging := b.sdo("infrastructure", "gateshell-staging",
		p("name", "GateShell payload staging servers"),
		p("description", "Web servers from which exploited appliances download GateShell."),
		p("infrastructure_types", []string{"hosting-malware", "staging"}))
	for range 3 {
		ip := d.ipv4("198.51.100")
		_, u := b.indicator(ioc{"url", "http://" + ip + "/tg/help_en.txt", "GateShell download URL on " + ip},
			"Exploited appliances fetch GateShell from this URL.", []string{"malicious-activity"}, month,
			staging, gateShellID)
		b.rel(staging, "consists-of", u)
	}
	var webshellInds []string
	for _, f := range []string{"help_en.php", "tg_diag_ext.php", "portal_auth.inc.php"} {
		ind, _ := b.indicator(ioc{"file", f, "GateShell variant " + f},
			"GateShell web shell found on compromised appliances.", []string{"malicious-activity", "compromised"}, 0,
			gateShellID)
		webshellInds = append(webshellInds, ind)
	}
	b.rel(tesselCampaignID, "targets", tesselGateVulnID)
	b.rel(tesselCampaignID, "uses", attackPatternID("T1190"))
	b.rel(tesselCampaignID, "uses", attackPatternID("T1505.003"))
	b.rel(tesselCampaignID, "uses", gateShellID)
	b.rel(tesselCampaignID, "uses", scanners)
	b.rel(tesselCampaignID, "uses", staging)
	b.rel(gateShellID, "uses", attackPatternID("T1505.003"))
	b.rel(staging, "delivers", gateShellID)

	// Incidents, as the sector CERTs and the NCSC's own detection report
	// them.
	incidents := []struct {
		days, hours     int
		name, title     string
		victim, details string
		scanners        []int
	}{
		{36, 4, "aquanoord", "TesselGate compromise at a drinking water company", "org/aquanoord",
			"GateShell found on the remote-access appliance of Aquanoord Drinking Water Company. The process network is separated; no impact on water supply. Appliance rebuilt, all VPN credentials reset.", []int{0, 1}},
		{36, 2, "mindig", "TesselGate compromise at a ministry", "org/mindig",
			"Exploitation attempt succeeded on a test portal of the Ministry of Digital Affairs; web shell removed within hours. Forensic investigation ongoing.", []int{2}},
		{31, 6, "poldertel", "TesselGate compromise at a telecom provider", "org/poldertel",
			"Two of Poldertel's TesselGate clusters were compromised; attacker harvested session cookies of administrators. Customer networks not affected as far as known.", []int{3, 4}},
		{31, 3, "westhaven", "TesselGate compromise at a port authority", "org/westhaven",
			"GateShell on the VPN appliance used by terminal operators to reach the Port of Westhaven's systems. Access for terminal operators suspended for 14 hours.", []int{5}},
		{30, 9, "brakel", "TesselGate compromise at a municipality", "org/brakel",
			"A municipality's remote-access appliance was compromised and used to reach the file server. The municipality engaged an incident response firm.", []int{6, 8}},
		{25, 5, "deltanet", "TesselGate compromise at a grid operator", "org/deltanet",
			"GateShell found on an appliance in Deltanet's office network during a hunt prompted by the NCSC. No sign of access to grid control systems.", []int{9}},
	}
	for _, inc := range incidents {
		b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(inc.days, inc.hours), mosaic.TLPAmber)
		victim := sdoID("identity", inc.victim)
		if inc.name == "brakel" {
			victim = b.identity("org/brakel", "Municipality of Brakel", "organization", []string{"government-local"},
				"Municipality; not a stakeholder of the cell, reported through the municipal CERT.")
		}
		b.incident("tesselgate-"+inc.name, inc.title, inc.details, victim, tesselCampaignID, tesselGateVulnID, gateShellID)
		b.rel(tesselCampaignID, "targets", victim)
		for _, i := range inc.scanners {
			b.sighting(scannerInds[i], []string{victim}, b.when.Add(-2*day), b.when.Add(-3*time.Hour), 3+i,
				"Exploit requests in the appliance's access log.")
		}
	}

	// The MIVD saw the same wave against defence networks.
	b = d.batch("mivd-analyst", mosaic.AudienceCell, d.ago(33, 7), mosaic.TLPAmber)
	var mivdInds []string
	for range 2 {
		ip := d.ipv4("203.0.113")
		ind, _ := b.indicator(ioc{"ipv4", ip, "TesselGate exploitation source " + ip},
			"Exploit attempts against defence networks, not seen in the NCSC's list.", []string{"malicious-activity"}, month,
			tesselCampaignID)
		mivdInds = append(mivdInds, ind)
	}
	b.note("mivd-tesselgate", "Exploitation attempts against defence networks",
		"The MIVD registered exploitation attempts against TesselGate appliances in defence networks from two additional sources. No compromise. Shared so that partners can block them.",
		append([]string{tesselCampaignID, tesselGateVulnID}, mivdInds...)...)

	// Remediation advice for everyone.
	b = d.batch("ncsc-liaison", mosaic.AudienceCell, d.ago(30, 2), mosaic.TLPClear)
	b.ORCON = ptr(false)
	check := b.sdo("course-of-action", "tesselgate-compromise-check",
		p("name", "Check TesselGate appliances for compromise"),
		p("description", "Run the vendor's integrity checker, look for PHP files in the help directory, reset all VPN and administrator credentials, and rebuild the appliance from a clean image if anything is found."))
	restrict := b.sdo("course-of-action", "tesselgate-restrict-portal",
		p("name", "Restrict the TesselGate web portal"),
		p("description", "Expose the management interface only to an administration network, and the user portal only where it is needed."))
	b.rel(check, "remediates", gateShellID)
	b.rel(restrict, "mitigates", attackPatternID("T1190"))

	// A scanner turns out to be a university's research project: the
	// indicator is revoked in a new version, with a note why.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(5, 4), mosaic.TLPGreen)
	pattern := fmt.Sprintf("[ipv4-addr:value = '%s']", revokedIP)
	b.sdoAt("indicator", b.by+"|"+pattern, exploitCreated, b.when,
		p("name", "TesselGate exploitation scanner "+revokedIP),
		p("description", "Revoked: this address belongs to a university research project that measures how many portals are still vulnerable; it sends a harmless version check, not the exploit."),
		p("indicator_types", []string{"benign"}),
		p("pattern", pattern), p("pattern_type", "stix"), p("pattern_version", "2.1"),
		p("valid_from", ts(exploitCreated)), p("valid_until", ts(exploitCreated.Add(month))),
		p("revoked", true))
	b.note("tesselgate-false-positive", "Scanner "+revokedIP+" is a research project",
		"The university confirmed the scans; its scanner only checks the version banner. The indicator is revoked; please remove blocks on this address.",
		revokedInd)

	// The advisory is updated, a second version of the report.
	b = d.batch("ncsc-liaison", mosaic.AudienceCell, d.ago(5, 2), mosaic.TLPClear)
	b.ORCON = ptr(false)
	b.sdoAt("report", "tesselgate-advisory", advisoryCreated, b.when,
		p("name", "Security advisory: critical vulnerability in TesselGate SSL-VPN ("+cve+"), update 1"),
		p("description", "Update 1: the vulnerability is exploited at scale and appliances that were patched after exploitation may still hold a web shell. Upgrade to 9.2.5 (which also removes known web shells), check for compromise and reset credentials. Likelihood: high; impact: high."),
		p("report_types", []string{"vulnerability", "threat-report"}),
		p("published", ts(advisoryCreated)),
		p("object_refs", []string{tesselGateVulnID, patch, product, check, restrict, gateShellID}))

	// A new wave of scanning since yesterday.
	b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(0, 14), mosaic.TLPGreen)
	var wave []string
	for range 5 {
		ip := d.ipv4("203.0.113")
		ind, _ := b.indicator(ioc{"ipv4", ip, "TesselGate exploitation scanner " + ip},
			"New wave of exploit attempts, now also against the 9.1 branch.", []string{"malicious-activity"}, month,
			scanners)
		wave = append(wave, ind)
	}
	b.sighting(wave[0], []string{identityID("poldertel")}, b.when.Add(-20*time.Hour), b.when.Add(-2*time.Hour), 41,
		"Blocked exploit attempts at the telecom provider's portals.")
	b.sighting(wave[1], []string{identityID("westhaven"), identityID("deltanet")}, b.when.Add(-18*time.Hour), b.when.Add(-1*time.Hour), 12,
		"Blocked exploit attempts.")

	// Hours ago: a web shell variant turns up at the port after all.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(0, 6), mosaic.TLPAmber)
	b.sighting(webshellInds[1], []string{identityID("westhaven")}, b.when.Add(-5*time.Hour), b.when.Add(-1*time.Hour), 1,
		"Variant found on a second appliance at the port during re-inspection.")
}
