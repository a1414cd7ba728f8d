package demo

import (
	"time"

	"mosaic"
)

// ransomware is story 1: "Ward Sweep", the MarshLock ransomware campaign
// against hospitals. The NCSC shares the technical picture cell-wide (the
// victims' names under TLP:AMBER), the police and the prosecution work the
// criminal investigation in the ransomware-taskforce compartment, and the
// most sensitive notes (a suspect, an informant, the action day) are TLP:RED
// for the taskforce or for their originator only.
func (d *dataset) ransomware() {
	const taskforce = "compartment:ransomware-taskforce"
	healthcare := sectorID("healthcare")

	// The first hospital is hit; the NCSC describes the malware and the
	// campaign and shares the indicators.
	b := d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(22, 5), mosaic.TLPGreen)
	marshCreated := b.when
	marshV1 := []prop{
		p("name", "MarshLock"),
		p("description", "Ransomware offered as a service since last year. Encrypts Windows hosts and network shares with per-file keys, deletes shadow copies and leaves README_MARSH.txt. Data is stolen before encryption and published on a leak site if the victim does not pay."),
		p("malware_types", []string{"ransomware"}),
		p("is_family", true),
		p("first_seen", ts(d.now.Add(-300*day))),
		p("implementation_languages", []string{"go"}),
		p("architecture_execution_envs", []string{"x86-64"}),
		p("capabilities", []string{"compromises-data-availability", "exfiltrates-data", "degrades-system-updates"}),
	}
	marsh := b.sdoAt("malware", "marshlock", marshCreated, marshCreated, marshV1...)
	reed := b.sdo("malware", "reedloader",
		p("name", "ReedLoader"),
		p("description", "Loader that the MarshLock affiliates install after logging in through the VPN; fetches a post-exploitation beacon over HTTPS."),
		p("malware_types", []string{"downloader", "dropper"}),
		p("is_family", true),
		p("implementation_languages", []string{"c#"}),
		p("capabilities", []string{"communicates-with-c2", "installs-other-components", "evades-av"}))
	b.tlp = mosaic.TLPAmber
	campaignCreated := b.when
	campaignProps := func(last time.Time, description string) []prop {
		return []prop{
			p("name", "Ward Sweep"),
			p("description", description),
			p("aliases", []string{"MarshLock healthcare wave"}),
			p("first_seen", ts(campaignCreated.Add(-2*day))),
			p("last_seen", ts(last)),
			p("objective", "Extortion of healthcare providers by encrypting clinical systems and threatening to publish patient data."),
		}
	}
	campaign := b.sdoAt("campaign", "ward-sweep", campaignCreated, campaignCreated,
		campaignProps(b.when, "MarshLock affiliates break into hospitals through VPN accounts without multi-factor authentication, steal patient data and encrypt clinical systems. One Dutch hospital group hit so far.")...)
	for _, t := range []string{marsh, reed} {
		b.rel(campaign, "uses", t)
	}
	for _, t := range []string{"T1133", "T1078", "T1003.001", "T1087.002", "T1021.001", "T1567.002", "T1486", "T1490"} {
		b.rel(campaign, "uses", attackPatternID(t))
	}
	b.rel(marsh, "uses", attackPatternID("T1486"))
	b.rel(marsh, "uses", attackPatternID("T1490"))
	b.rel(campaign, "targets", healthcare)
	b.rel(marsh, "targets", healthcare, "Affiliates are paid a bonus for healthcare victims.")
	lindeveld := identityID("lindeveld")
	b.rel(campaign, "targets", lindeveld)
	lindeveldIncident := b.incident("ward-sweep-lindeveld", "Ransomware at Lindeveld Hospital Group",
		"MarshLock encrypted the hospital information system and file servers of Lindeveld Hospital Group. Emergency care diverted to neighbouring hospitals for 36 hours; patient data of about 40,000 patients stolen. Entry through a VPN account of an external supplier without multi-factor authentication.",
		lindeveld, campaign, marsh)

	// Indicators: two C2 addresses the police will also find (the shared
	// observables), more C2, domains, URLs and samples.
	sharedC2 := []string{marshC2A, marshC2B}
	var c2Inds, c2Obs []string
	for _, ip := range append(sharedC2, d.ipv4("198.51.100"), d.ipv4("198.51.100"), d.ipv4("198.51.100")) {
		ind, obs := b.indicator(ioc{"ipv4", ip, "ReedLoader C2 " + ip},
			"Command and control of the ReedLoader beacon used in Ward Sweep.", []string{"malicious-activity"}, 3*month,
			reed)
		c2Inds, c2Obs = append(c2Inds, ind), append(c2Obs, obs)
	}
	b.rel(reed, "communicates-with", c2Obs[0])
	b.rel(reed, "communicates-with", c2Obs[1])
	var domInds, domObs []string
	for _, dom := range []string{"marsh-update.example", "cdn-sync-telemetry.test", "supplier-portal-login.example"} {
		ind, obs := b.indicator(ioc{"domain", dom, "Ward Sweep domain " + dom},
			"Domain used for ReedLoader C2 or for phishing supplier credentials.", []string{"malicious-activity"}, 0,
			campaign)
		domInds, domObs = append(domInds, ind), append(domObs, obs)
	}
	b.rel(reed, "communicates-with", domObs[0])
	for _, u := range []string{"https://marsh-update.example/api/v2/check", "https://cdn-sync-telemetry.test/s/beacon.bin"} {
		b.indicator(ioc{"url", u, "ReedLoader URL " + u}, "ReedLoader stage download or check-in URL.",
			[]string{"malicious-activity"}, 0, reed)
	}
	var hashInds []string
	for _, f := range []string{"marshlock_win64.exe", "reedloader.dll", "README_MARSH.txt", "svc_backup_cleanup.ps1"} {
		target := marsh
		if f == "reedloader.dll" {
			target = reed
		}
		ind, _ := b.indicator(ioc{"file", f, "Ward Sweep file " + f}, "File found at Lindeveld Hospital Group.",
			[]string{"malicious-activity"}, 0, target)
		hashInds = append(hashInds, ind)
	}

	// Sightings at the first victim, the tools the affiliates used.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(21, 3), mosaic.TLPAmber)
	for i, ind := range []string{c2Inds[0], c2Inds[2], domInds[0], hashInds[0]} {
		b.sighting(ind, []string{lindeveld}, marshCreated.Add(-6*day), marshCreated.Add(-1*day), 2+3*i,
			"Found in the firewall and EDR logs of Lindeveld Hospital Group during incident response.")
	}
	b.tlp = mosaic.TLPGreen
	for _, t := range []struct {
		name, title, description string
		types                    []string // none fits Rclone
	}{
		{"rclone", "Rclone", "Open-source file synchronisation tool; used to copy stolen data to cloud storage.", nil},
		{"adfind", "AdFind", "Active Directory query tool; used to list domain administrators and hosts.", []string{"information-gathering"}},
		{"mimikatz", "Mimikatz", "Credential dumping tool; used to read passwords and hashes from LSASS memory.", []string{"credential-exploitation"}},
	} {
		tool := b.sdo("tool", t.name, p("name", t.title), p("description", t.description), p("tool_types", t.types))
		b.rel(campaign, "uses", tool)
	}

	// The police start the investigation in the taskforce compartment:
	// who is behind it, and the infrastructure they traced.
	b = d.batch("politie-analyst-2", taskforce, d.ago(19, 6), mosaic.TLPAmberStrict)
	b.LegalBasis = "wpg"
	actor := b.sdo("threat-actor", "marshlock-operators",
		p("name", "MarshLock operators"),
		p("description", "Group that develops MarshLock, runs its leak site and negotiation portal, and recruits affiliates on criminal forums."),
		p("threat_actor_types", []string{"crime-syndicate"}),
		p("aliases", []string{"MarshLock RaaS"}),
		p("roles", []string{"director", "malware-author", "infrastructure-operator"}),
		p("sophistication", "advanced"),
		p("resource_level", "organization"),
		p("primary_motivation", "personal-gain"))
	affiliate := b.sdo("intrusion-set", "grey-heron",
		p("name", "Grey Heron"),
		p("description", "MarshLock affiliate behind the Ward Sweep intrusions; specialises in healthcare and buys VPN credentials from access brokers."),
		p("aliases", []string{"Affiliate 12"}),
		p("first_seen", ts(d.now.Add(-120*day))),
		p("resource_level", "team"),
		p("primary_motivation", "personal-gain"))
	b.rel(campaign, "attributed-to", affiliate)
	b.rel(affiliate, "attributed-to", actor, "Grey Heron operates under the MarshLock affiliate programme.")
	b.rel(marsh, "authored-by", actor)
	b.rel(affiliate, "uses", marsh)
	b.rel(affiliate, "uses", reed)
	b.rel(affiliate, "targets", healthcare)
	c2Infra := b.sdo("infrastructure", "grey-heron-c2",
		p("name", "Grey Heron C2 servers"),
		p("description", "Virtual servers rented with stolen payment cards, traced through the hosting providers."),
		p("infrastructure_types", []string{"command-and-control"}))
	exfil := b.sdo("infrastructure", "grey-heron-exfil",
		p("name", "Grey Heron exfiltration server"),
		p("description", "Server that receives the stolen data before it is published on the MarshLock leak site."),
		p("infrastructure_types", []string{"exfiltration"}))
	b.rel(affiliate, "uses", c2Infra)
	b.rel(affiliate, "uses", exfil)
	// The police's own copies of the two C2 addresses, unmarked so the
	// installation's default applies: the same SCOs as the NCSC's.
	b.tlp = ""
	for _, ip := range sharedC2 {
		b.rel(c2Infra, "consists-of", b.ipv4Addr(ip))
	}
	b.tlp = mosaic.TLPAmberStrict
	exfilIP := d.ipv4("198.51.100")
	_, exfilObs := b.indicator(ioc{"ipv4", exfilIP, "Grey Heron exfiltration server " + exfilIP},
		"Receives stolen data over SFTP; identified through the hosting provider.", []string{"malicious-activity"}, 3*month, affiliate)
	b.rel(exfil, "consists-of", exfilObs)
	panelIP := d.ipv4("198.51.100")
	_, panelObs := b.indicator(ioc{"ipv4", panelIP, "Grey Heron C2 panel " + panelIP},
		"Administration panel of the C2 servers.", []string{"malicious-activity"}, 3*month, affiliate)
	b.rel(c2Infra, "consists-of", panelObs)

	// The prosecution opens a criminal investigation.
	b = d.batch("om-liaison", taskforce, d.ago(18, 4), mosaic.TLPAmberStrict)
	b.note("om-26marsh-opened", "Criminal investigation 26MARSH opened",
		"The National Public Prosecutor's Office opened criminal investigation 26MARSH into the Ward Sweep attacks. Requests for information to hosting providers go through the police; victims are asked to report to the police and to preserve logs.",
		campaign, actor, affiliate)
	b.tlp = "" // default marking
	b.opinion("om-on-grey-heron", "agree",
		"The evidence from the hosting providers supports the link between Grey Heron and the MarshLock programme.", affiliate, actor)

	// More hospitals.
	victims := []struct {
		days, hours   int
		name, title   string
		details       string
		newIndicators int
		ongoing       bool // beaconing until minutes before the report
	}{
		{13, 3, "aldegonde", "St. Aldegonde Hospital", "MarshLock encrypted the radiology and laboratory systems of St. Aldegonde Hospital; outpatient appointments cancelled for two days. Same supplier VPN account pattern as at Lindeveld.", 4, false},
		{6, 5, "merelhof", "Merelhof Mental Healthcare", "Intrusion detected during data theft, before encryption; about 3,000 patient files stolen. The attacker used Rclone to cloud storage.", 2, false},
		{2, 7, "noorderzorg", "Noorderzorg Rehabilitation Centre", "Encryption of the file servers; care continued on paper. The leak site lists Noorderzorg with a seven-day deadline.", 3, false},
		{0, 5, "oostervaart", "Oostervaart Medical Centre", "Attack stopped by the EDR while ReedLoader tried to reach its C2; no encryption. Incident response ongoing.", 0, true},
	}
	var lastIncident string
	for _, v := range victims {
		b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(v.days, v.hours), mosaic.TLPAmber)
		victim := b.identity("org/"+v.name, v.title, "organization", []string{"healthcare"},
			"Healthcare provider; not a stakeholder of the cell, reported through the healthcare sector CERT.")
		b.rel(campaign, "targets", victim)
		lastIncident = b.incident("ward-sweep-"+v.name, "Ransomware at "+v.title, v.details, victim, campaign, marsh)
		for i := range v.newIndicators {
			ip := d.ipv4("198.51.100")
			ind, _ := b.indicator(ioc{"ipv4", ip, "ReedLoader C2 " + ip},
				"ReedLoader C2 found at "+v.title+".", []string{"malicious-activity"}, 3*month, reed)
			if i == 0 {
				b.sighting(ind, []string{victim}, b.when.Add(-3*day), b.when.Add(-4*time.Hour), 7, "Beacon traffic in the victim's firewall logs.")
			}
		}
		last := b.when.Add(-2 * time.Hour)
		if v.ongoing {
			last = b.when.Add(-20 * time.Minute)
		}
		b.sighting(c2Inds[1], []string{victim}, b.when.Add(-2*day), last, 4, "Beacon traffic to a known Ward Sweep C2 address.")
	}

	// Analysis of a Linux variant: a second version of the malware family,
	// and the sample as a malware instance.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(6, 8), mosaic.TLPGreen)
	b.sdoAt("malware", "marshlock", marshCreated, b.when,
		p("name", "MarshLock"),
		p("description", "Ransomware offered as a service since last year. Encrypts Windows hosts and network shares with per-file keys, deletes shadow copies and leaves README_MARSH.txt; since this month also a Linux build that encrypts VMware ESXi datastores after stopping all virtual machines. Data is stolen before encryption and published on a leak site if the victim does not pay."),
		p("malware_types", []string{"ransomware"}),
		p("is_family", true),
		p("first_seen", ts(d.now.Add(-300*day))),
		p("implementation_languages", []string{"go"}),
		p("architecture_execution_envs", []string{"x86-64"}),
		p("capabilities", []string{"compromises-data-availability", "compromises-system-availability", "exfiltrates-data", "degrades-system-updates", "anti-sandbox"}))
	sample := b.file("marshlock_esxi.elf", true)
	instance := b.sdo("malware", "marshlock-esxi-sample",
		p("name", "MarshLock ESXi encryptor (St. Aldegonde sample)"),
		p("description", "Linux build of MarshLock recovered from an ESXi host at St. Aldegonde Hospital."),
		p("malware_types", []string{"ransomware"}),
		p("is_family", false),
		p("architecture_execution_envs", []string{"x86-64"}),
		p("sample_refs", []string{sample}))
	b.rel(instance, "variant-of", marsh)
	ind, _ := b.indicator(ioc{"file", "marshlock_esxi.elf", "MarshLock ESXi encryptor"},
		"SHA-256 of the Linux build of MarshLock.", []string{"malicious-activity"}, 0, marsh)
	hashInds = append(hashInds, ind)

	// The police's most sensitive finding, for the taskforce only.
	b = d.batch("politie-liaison", taskforce, d.ago(5, 4), mosaic.TLPAmberStrict)
	panel := b.file("marsh_affiliate_panel.zip", false)
	seized := b.sdo("observed-data", "politie-grey-heron-image",
		p("first_observed", ts(b.when.Add(-4*day))), p("last_observed", ts(b.when.Add(-3*day))),
		p("number_observed", 1), p("object_refs", []string{scoID("ipv4-addr", map[string]any{"value": panelIP}), panel}))
	b.tlp = mosaic.TLPRed
	b.note("politie-grey-heron-suspect", "Suspect linked to Grey Heron",
		"Payments for the C2 servers lead to a cryptocurrency wallet used by a forum user known as 'marshwarden', who is probably resident in the EU. Do not act on this without consulting the police liaison: covert measures are running.",
		affiliate, c2Infra, seized)

	// What the police keep to themselves entirely.
	b = d.batch("politie-liaison", mosaic.AudienceOriginator, d.ago(4, 2), mosaic.TLPRed)
	b.note("politie-informant-marsh", "Informant reporting on MarshLock affiliates",
		"Summary of informant reporting on the recruitment of MarshLock affiliates. Police only: protects a source.",
		actor, affiliate)

	// The public report for the sector, and what hospitals should do.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(6, 3), mosaic.TLPGreen)
	mfa := b.sdo("course-of-action", "mfa-remote-access",
		p("name", "Enforce multi-factor authentication on all remote access"),
		p("description", "Require MFA for every VPN and remote desktop account, suppliers' accounts included, and remove accounts that are not in use."))
	backups := b.sdo("course-of-action", "offline-backups",
		p("name", "Keep offline, tested backups of clinical systems"),
		p("description", "Keep at least one backup copy offline or immutable, including the hypervisor configuration, and test restoring it."))
	esxi := b.sdo("course-of-action", "esxi-hardening",
		p("name", "Harden VMware ESXi management"),
		p("description", "Put ESXi management interfaces in a separate network, disable SSH, and use accounts that are not in the Windows domain."))
	b.rel(mfa, "mitigates", attackPatternID("T1133"))
	b.rel(mfa, "mitigates", attackPatternID("T1078"))
	b.rel(backups, "mitigates", attackPatternID("T1486"))
	b.rel(esxi, "mitigates", marsh)
	b.report("ward-sweep-report", "MarshLock ransomware against Dutch healthcare",
		"For nearly three weeks, MarshLock affiliates have attacked Dutch hospitals and care institutions through supplier VPN accounts without multi-factor authentication. This report describes the attack chain, the tools used, and what healthcare organisations should do now.",
		[]string{"threat-report", "campaign"},
		append([]string{campaign, marsh, reed, mfa, backups, esxi, attackPatternID("T1133"), attackPatternID("T1486")}, hashInds[:2]...)...)

	// A later version of the campaign, after the newest attack.
	b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(0, 3), mosaic.TLPAmber)
	b.sdoAt("campaign", "ward-sweep", campaignCreated, b.when,
		campaignProps(b.when.Add(-1*time.Hour), "MarshLock affiliates break into hospitals through VPN accounts without multi-factor authentication, steal patient data and encrypt clinical systems. Five Dutch care institutions hit in three weeks, the latest attack stopped before encryption; an ESXi variant is in use.")...)
	b.note("ward-sweep-status", "Ward Sweep: status",
		"Five victims, one attack stopped today. Healthcare sector CERT is calling all hospitals that use the same supplier.",
		campaign, lastIncident, lindeveldIncident)

	// The prosecution plans the action day.
	b = d.batch("om-analyst", taskforce, d.ago(0, 2), mosaic.TLPAmberStrict)
	b.note("om-26marsh-seizure", "Seizure of C2 servers authorised",
		"The examining magistrate authorised seizure of the Grey Heron C2 and exfiltration servers. The police coordinate with the hosting providers; victims' data found on the servers will be reported to the NCSC for notification.",
		c2Infra, exfil, campaign)
	b = d.batch("om-liaison", mosaic.AudienceOriginator, d.ago(0, 1), mosaic.TLPRed)
	b.note("om-26marsh-action-day", "Action day 26MARSH",
		"Date and locations of the action day of investigation 26MARSH. OM only until the day itself.",
		affiliate, actor)
}
