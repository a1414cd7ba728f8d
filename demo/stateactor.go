package demo

import (
	"mosaic"
)

// Ids that several stories refer to.
var (
	copperLanternID = sdoID("intrusion-set", "copper-lantern")
	lanternRATID    = sdoID("malware", "lanternrat")
)

// stateActor is story 4: Copper Lantern, a state actor that breaks into
// government and defence networks through edge devices. The AIVD and the MIVD
// work it in the op-glasshouse compartment, mostly TLP:AMBER+STRICT, the
// attribution and the sources TLP:RED; a police analyst admitted by name
// adds a server seized in an unrelated case; the AIVD tells the rest of the
// cell only what they need to act on.
func (d *dataset) stateActor() {
	const glasshouse = "compartment:op-glasshouse"
	strict := mosaic.TLPAmberStrict

	// The AIVD opens the case: what it knows of the intrusion set so far.
	b := d.batch("aivd-analyst", glasshouse, d.ago(57, 3), strict)
	isCreated := b.when
	isV1 := []prop{
		p("name", "Copper Lantern"),
		p("description", "State-sponsored intrusion set that targets Dutch central government, the defence industry and telecommunications for political and military intelligence. It gains access through edge devices (VPN appliances, mail gateways) and valid accounts, and hides its command and control behind a network of compromised home and small-office routers."),
		p("aliases", []string{"KOPERLAMP"}),
		p("first_seen", ts(d.now.Add(-700*day))),
		p("last_seen", ts(b.when.Add(-2*day))),
		p("goals", []string{"political intelligence on Dutch and EU policy", "military and defence-industrial intelligence"}),
		p("resource_level", "government"),
		p("primary_motivation", "organizational-gain"),
	}
	b.sdoAt("intrusion-set", "copper-lantern", isCreated, isCreated, isV1...)
	b.sdo("malware", "lanternrat",
		p("name", "LanternRAT"),
		p("description", "Modular remote-access trojan loaded into memory by WickLoader. Talks HTTPS to its C2 with a browser-like user agent, and carries plug-ins for file collection, screenshots and SOCKS tunnelling."),
		p("malware_types", []string{"remote-access-trojan", "backdoor"}),
		p("is_family", true),
		p("first_seen", ts(d.now.Add(-540*day))),
		p("implementation_languages", []string{"c++"}),
		p("architecture_execution_envs", []string{"x86-64"}),
		p("capabilities", []string{"communicates-with-c2", "exfiltrates-data", "captures-output-peripherals", "persists-after-system-reboot", "evades-av"}))
	wick := b.sdo("malware", "wickloader",
		p("name", "WickLoader"),
		p("description", "Small dropper, delivered as a signed-looking updater, that decrypts and loads LanternRAT in memory."),
		p("malware_types", []string{"dropper"}),
		p("is_family", true),
		p("implementation_languages", []string{"c"}),
		p("capabilities", []string{"installs-other-components", "anti-sandbox", "hides-executing-code"}))
	impacket := b.sdo("tool", "impacket",
		p("name", "Impacket"),
		p("description", "Open-source Python classes for network protocols; the actor uses its remote execution and secrets-dumping scripts for lateral movement."),
		p("tool_types", []string{"remote-access", "credential-exploitation"}))
	frp := b.sdo("tool", "frp",
		p("name", "frp (fast reverse proxy)"),
		p("description", "Open-source reverse proxy used to tunnel RDP out of victim networks."),
		p("tool_types", []string{"remote-access"}))
	orb := b.sdo("infrastructure", "copper-lantern-orb",
		p("name", "Copper Lantern ORB network"),
		p("description", "Operational relay box network of several hundred compromised home and small-office routers, used as multi-hop proxies in front of the C2 servers."),
		p("infrastructure_types", []string{"anonymization", "botnet"}),
		p("first_seen", ts(d.now.Add(-400*day))))
	c2 := b.sdo("infrastructure", "lanternrat-c2",
		p("name", "LanternRAT C2 servers"),
		p("description", "Rented virtual private servers that run the LanternRAT controller behind TLS certificates imitating software update services."),
		p("infrastructure_types", []string{"command-and-control"}))
	for _, t := range []string{lanternRATID, wick, impacket, frp, orb, c2} {
		b.rel(copperLanternID, "uses", t)
	}
	for _, t := range []string{"T1190", "T1133", "T1078", "T1003.001", "T1021.001", "T1071.001", "T1090.003", "T1560.001", "T1567.002", "T1584.008"} {
		b.rel(copperLanternID, "uses", attackPatternID(t))
	}
	b.rel(lanternRATID, "uses", attackPatternID("T1071.001"))
	b.rel(wick, "drops", lanternRATID, "WickLoader drops LanternRAT in memory.")
	b.rel(orb, "uses", c2, "Operators reach the C2 servers only through the ORB network.")
	b.rel(copperLanternID, "targets", identityID("mindig"))
	for _, s := range []string{"government-national", "defense", "telecommunications"} {
		b.rel(copperLanternID, "targets", sectorID(s))
	}
	var firstC2 string
	for i := range 5 {
		ip := d.ipv4("203.0.113")
		_, obs := b.indicator(ioc{"ipv4", ip, "LanternRAT C2 " + ip},
			"LanternRAT controller; TLS certificate imitates a software update service.",
			[]string{"malicious-activity", "attribution"}, 6*month, lanternRATID)
		b.rel(c2, "consists-of", obs)
		if i == 0 {
			firstC2 = ip
			b.rel(lanternRATID, "communicates-with", obs)
		}
	}
	v6 := d.ipv6("2001:db8:4c1e")
	_, obs := b.indicator(ioc{"ipv6", v6, "LanternRAT C2 " + v6}, "LanternRAT controller reached over IPv6.",
		[]string{"malicious-activity"}, 6*month, lanternRATID)
	b.rel(c2, "consists-of", obs)
	for _, dom := range []string{"update-check.lanternsoft.example", "cdn.mailsync.test", "owa-portal-gov.example"} {
		b.indicator(ioc{"domain", dom, "Copper Lantern domain " + dom},
			"Domain registered by the actor; resolves to LanternRAT C2 servers.",
			[]string{"malicious-activity", "attribution"}, 0, copperLanternID)
	}
	for _, f := range []string{"lanternrat_x64.dll", "wickloader_update.exe", "lanternrat_socks.plg"} {
		target := lanternRATID
		if f == "wickloader_update.exe" {
			target = wick
		}
		b.indicator(ioc{"file", f, "Copper Lantern sample " + f},
			"Sample recovered from a victim network.", []string{"malicious-activity"}, 0, target)
	}
	// The attribution is the most sensitive part and is kept TLP:RED.
	b.tlp = mosaic.TLPRed
	sponsor := b.sdo("threat-actor", "copper-lantern-sponsor",
		p("name", "Copper Lantern sponsor"),
		p("description", "The state intelligence service assessed to direct Copper Lantern. The assessment rests on sensitive sources; see the originator for the basis."),
		p("threat_actor_types", []string{"nation-state", "spy"}),
		p("roles", []string{"sponsor", "director"}),
		p("sophistication", "expert"),
		p("resource_level", "government"),
		p("primary_motivation", "organizational-gain"))
	attribution := b.rel(copperLanternID, "attributed-to", sponsor, "Assessed with high confidence on the basis of sensitive sources.")

	// The MIVD adds what it saw at a defence supplier.
	b = d.batch("mivd-analyst", glasshouse, d.ago(50, 6), strict)
	b.LegalBasis = "wiv2017"
	victim := b.identity("org/vanderhoek", "Vanderhoek Defence Systems", "organization", []string{"defense"},
		"Defence supplier (radar and communications systems).")
	incident := b.incident("copper-lantern-vanderhoek", "Intrusion at a defence supplier",
		"Copper Lantern entered the network of Vanderhoek Defence Systems through its VPN gateway with a valid account, moved to engineering file servers over RDP and staged archives for exfiltration. Detected by the MIVD's defensive sensors; the supplier was informed through its security officer.",
		victim, copperLanternID)
	b.rel(copperLanternID, "targets", victim)
	for range 2 {
		ip := d.ipv4("203.0.113")
		b.indicator(ioc{"ipv4", ip, "Copper Lantern ORB node " + ip},
			"Compromised router used as a proxy in front of LanternRAT C2 during the intrusion at the defence supplier.",
			[]string{"malicious-activity", "compromised"}, 3*month, copperLanternID)
	}
	v6 = d.ipv6("2001:db8:4c1e")
	b.indicator(ioc{"ipv6", v6, "Copper Lantern ORB node " + v6}, "Compromised router, reached over IPv6.",
		[]string{"compromised"}, 3*month, copperLanternID)
	b.indicator(ioc{"file", "vh_archive_tool.exe", "Renamed archiver used for staging"},
		"Renamed command-line archiver used to stage engineering documents in password-protected archives.",
		[]string{"malicious-activity"}, 0, copperLanternID)
	b.tlp = mosaic.TLPRed
	b.note("mivd-sigint-vanderhoek", "Operator tasking against defence R&D",
		"Sensitive reporting indicates the operators were tasked to collect radar design documents. Not to be used in releases; contact the MIVD liaison.",
		incident, copperLanternID)

	// After the TesselGate advisory the AIVD links the actor to the VPN
	// vulnerability and issues a new version of the intrusion set.
	b = d.batch("aivd-analyst", glasshouse, d.ago(34, 5), strict)
	isV2 := []prop{
		p("name", "Copper Lantern"),
		p("description", "State-sponsored intrusion set that targets Dutch central government, the defence industry and telecommunications for political and military intelligence. Since the disclosure of the TesselGate SSL-VPN vulnerability it exploits that vulnerability within days, and uses compromised appliances as additional relay nodes. It also uses valid accounts, and hides its command and control behind compromised home and small-office routers."),
		p("aliases", []string{"KOPERLAMP", "TA-GH-01"}),
		p("first_seen", ts(d.now.Add(-700*day))),
		p("last_seen", ts(b.when.Add(-1*day))),
		p("goals", []string{"political intelligence on Dutch and EU policy", "military and defence-industrial intelligence"}),
		p("resource_level", "government"),
		p("primary_motivation", "organizational-gain"),
	}
	b.sdoAt("intrusion-set", "copper-lantern", isCreated, b.when, isV2...)
	b.rel(copperLanternID, "targets", tesselGateVulnID, "Exploited against government networks three days after disclosure.")
	b.rel(copperLanternID, "uses", gateShellID, "A modified GateShell is dropped on compromised appliances.")
	for range 3 {
		ip := d.ipv4("203.0.113")
		_, obs := b.indicator(ioc{"ipv4", ip, "Compromised TesselGate appliance used as relay " + ip},
			"TesselGate appliance of an unrelated foreign organisation, compromised and used by Copper Lantern as a relay node.",
			[]string{"compromised"}, 2*month, copperLanternID)
		b.rel(orb, "consists-of", obs)
	}

	// What the rest of the cell needs: that a state actor exploits the
	// vulnerability, without the compartment's details.
	b = d.batch("aivd-liaison", mosaic.AudienceCell, d.ago(34, 2), mosaic.TLPAmber)
	b.note("aivd-cell-tesselgate", "State actor exploits TesselGate vulnerability",
		"The AIVD has indications that a state actor exploits the TesselGate SSL-VPN vulnerability against central government within days of disclosure and keeps access through a web shell. Partners are asked to treat TesselGate compromises at government and vital-sector organisations as potential espionage and to contact the AIVD liaison desk before remediation where possible.",
		tesselGateVulnID, tesselCampaignID)

	// A police analyst, admitted to the compartment by name, contributes a
	// server seized in an unrelated fraud case. Its address is one of the
	// AIVD's C2 addresses, so the two partners hold the same observable.
	// The batch is self-contained: the rest of the police sees it too (the
	// originator always does) and must not find references to objects it
	// cannot see.
	b = d.batch("politie-analyst", glasshouse, d.ago(20, 4), strict)
	seizedIP := b.ipv4Addr(firstC2)
	implant := b.file("svc_update_x64.dll", true)
	seized := b.sdo("observed-data", "politie-seized-vps",
		p("first_observed", ts(b.when.Add(-9*day))), p("last_observed", ts(b.when.Add(-2*day))),
		p("number_observed", 1), p("object_refs", []string{seizedIP, implant}))
	b.note("politie-seized-vps", "Seized VPS holds a LanternRAT-like controller",
		"A virtual server seized at a Dutch hosting provider in a fraud investigation turned out to run an unknown HTTPS controller and to hold an implant. Disk image available to compartment members through the police liaison.",
		seized, seizedIP, implant)

	// The AIVD recognises the implant and pulls the picture together.
	b = d.batch("aivd-analyst", glasshouse, d.ago(19, 6), strict)
	ind, _ := b.indicator(ioc{"file", "svc_update_x64.dll", "LanternRAT implant from seized server"},
		"LanternRAT build found on the server seized by the police.", []string{"malicious-activity"}, 0, lanternRATID)
	b.rel(c2, "consists-of", seized, "The seized server was a LanternRAT controller.")
	grouping := b.sdo("grouping", "op-glasshouse-cluster",
		p("name", "Op Glasshouse: edge-device intrusion cluster"),
		p("description", "Everything the compartment attributes to Copper Lantern's current activity: intrusion set, tooling, infrastructure, the intrusion at the defence supplier and the server seized by the police."),
		p("context", "suspicious-activity"),
		p("object_refs", []string{copperLanternID, lanternRATID, wick, orb, c2, incident, seized, ind, tesselGateVulnID}))
	rep := b.report("copper-lantern-edge-devices", "Copper Lantern: intrusions through edge devices",
		"Assessment of Copper Lantern's current campaign against Dutch government and defence networks: initial access through VPN appliances and valid accounts, LanternRAT on selected hosts, relay through compromised routers and appliances. Recommends hunting for the listed indicators and for anomalous VPN logins from residential address space.",
		[]string{"threat-report", "threat-actor"}, copperLanternID, lanternRATID, wick, orb, c2, incident, grouping)

	// The MIVD weighs in.
	b = d.batch("mivd-liaison", glasshouse, d.ago(5, 7), strict)
	b.opinion("mivd-on-cl-report", "agree",
		"Consistent with what the MIVD saw at the defence supplier; the relay through compromised appliances matches our sensor data.", rep)
	b.opinion("mivd-on-cl-grouping", "strongly-agree",
		"The seized server completes the C2 picture.", grouping)
	b.tlp = mosaic.TLPRed
	b.opinion("mivd-on-cl-attribution", "agree",
		"Independent MIVD reporting supports the attribution.", attribution)

	// Sensitive reporting stays with its originator.
	b = d.batch("aivd-liaison", mosaic.AudienceOriginator, d.ago(8, 3), mosaic.TLPRed)
	b.report("aivd-source-copper-lantern", "Source reporting on Copper Lantern tasking",
		"Summary of sensitive source reporting on the tasking of Copper Lantern against the Ministry of Digital Affairs. AIVD only.",
		[]string{"threat-actor"}, copperLanternID, sponsor)

	b = d.batch("mivd-analyst", mosaic.AudienceOriginator, d.ago(3, 5), mosaic.TLPRed)
	b.note("mivd-defensive-op", "Defensive operation against ORB nodes",
		"Planning notes for a defensive cyber operation against Copper Lantern relay nodes. MIVD only.",
		orb)

	// New activity in the last day.
	b = d.batch("aivd-analyst", glasshouse, d.ago(0, 9), strict)
	for range 2 {
		ip := d.ipv4("203.0.113")
		b.indicator(ioc{"ipv4", ip, "LanternRAT C2 " + ip}, "New LanternRAT controller, active since yesterday.",
			[]string{"malicious-activity"}, 3*month, lanternRATID)
	}
	b.indicator(ioc{"domain", "telemetry.lanternsoft.example", "Copper Lantern domain telemetry.lanternsoft.example"},
		"New C2 domain, registered two days ago.", []string{"malicious-activity"}, 0, copperLanternID)
	b.tlp = mosaic.TLPRed
	b.note("aivd-cl-active", "Operators active again",
		"Sensitive reporting shows the operators resumed activity against a ministry within the last 36 hours. Hunt for the new indicators now; do not contact the ministry before consulting the AIVD liaison.",
		copperLanternID, identityID("mindig"))
}
