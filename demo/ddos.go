package demo

import (
	"time"

	"mosaic"
)

// ddos is story 3: "Operation Bankrun", DDoS attacks on banks by the
// hacktivist RedSurge Collective, over the last week and still going on.
// The police know the actor and its botnet, the NCSC sees the attacks at the
// banks (observed network traffic, sightings, incidents); the investigation
// of the actor's members is in the hacktivist-watch compartment.
func (d *dataset) ddos() {
	const watch = "compartment:hacktivist-watch"

	// The police know the actor from earlier actions.
	b := d.batch("politie-analyst", mosaic.AudienceCell, d.ago(6, 8), mosaic.TLPAmber)
	actor := b.sdo("threat-actor", "redsurge-collective",
		p("name", "RedSurge Collective"),
		p("description", "Hacktivist group that announces DDoS attacks on its channel against countries that support sanctions it opposes, and recruits volunteers who run its attack tool for small rewards."),
		p("threat_actor_types", []string{"activist"}),
		p("aliases", []string{"RedSurge", "Red Surge Army"}),
		p("roles", []string{"agent", "infrastructure-operator"}),
		p("sophistication", "minimal"),
		p("resource_level", "club"),
		p("primary_motivation", "ideology"),
		p("goals", []string{"disrupt online services of financial institutions", "publicity"}))
	tool := b.sdo("tool", "surgeflood",
		p("name", "SurgeFlood"),
		p("description", "DDoS client handed out to volunteers; fetches target lists from the C2 and floods the targets with TLS handshakes and HTTP requests."),
		p("tool_types", []string{"denial-of-service"}))
	botnet := b.sdo("infrastructure", "surgenet-botnet",
		p("name", "SurgeNet"),
		p("description", "Volunteers' machines and rented servers running SurgeFlood, a few thousand at peak."),
		p("infrastructure_types", []string{"botnet"}))
	c2 := b.sdo("infrastructure", "surgenet-c2",
		p("name", "SurgeNet C2"),
		p("description", "Servers that hand out target lists to SurgeFlood clients."),
		p("infrastructure_types", []string{"command-and-control"}))
	b.rel(actor, "uses", tool)
	b.rel(actor, "uses", botnet)
	b.rel(actor, "uses", c2)
	b.rel(c2, "controls", botnet)
	b.rel(botnet, "hosts", tool)
	for _, ip := range []string{surgeC2, d.ipv4("192.0.2"), d.ipv4("192.0.2")} {
		_, obs := b.indicator(ioc{"ipv4", ip, "SurgeNet C2 " + ip}, "Hands out target lists to SurgeFlood clients.",
			[]string{"malicious-activity"}, month, c2)
		b.rel(c2, "consists-of", obs)
	}
	for _, dom := range []string{"targets.redsurge.test", "surge-c2.invalid"} {
		_, obs := b.indicator(ioc{"domain", dom, "SurgeNet C2 domain " + dom}, "C2 domain hard-coded in SurgeFlood.",
			[]string{"malicious-activity"}, 0, c2)
		b.rel(c2, "consists-of", obs)
	}

	// The first wave against Hanzebank; the NCSC describes the campaign.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(5, 4), mosaic.TLPAmber)
	campaign := b.sdo("campaign", "operation-bankrun",
		p("name", "Operation Bankrun"),
		p("description", "Announced DDoS campaign of RedSurge Collective against Dutch banks and payment processors, in waves of a few hours, mostly against online banking login pages."),
		p("first_seen", ts(b.when.Add(-1*day))),
		p("objective", "Disrupt online banking and draw media attention."))
	b.rel(campaign, "attributed-to", actor)
	b.rel(campaign, "uses", tool)
	b.rel(campaign, "uses", botnet)
	b.rel(campaign, "uses", attackPatternID("T1498.001"))
	b.rel(campaign, "uses", attackPatternID("T1499.002"))
	b.rel(campaign, "targets", sectorID("financial-services"))
	hanzebank := identityID("hanzebank")
	b.rel(campaign, "targets", hanzebank)
	b.incident("bankrun-hanzebank-1", "DDoS on Hanzebank online banking (wave 1)",
		"Three hours of HTTPS floods against the login pages of Hanzebank; online banking unavailable for about 40 minutes until the scrubbing service filtered the traffic.",
		hanzebank, campaign)
	// The NCSC's own copy of the C2 address the police shared: the same
	// observable, held by two originators.
	b.indicator(ioc{"ipv4", surgeC2, "SurgeNet C2 " + surgeC2 + " (seen by NCSC)"},
		"SurgeFlood clients in Dutch networks contact this address.", []string{"malicious-activity"}, month, c2, campaign)
	bankFront := b.ipv4Addr(hanzebankIP)
	b.tlp = mosaic.TLPGreen
	scrubbing := b.sdo("course-of-action", "ddos-scrubbing",
		p("name", "Keep DDoS scrubbing ready and rate-limit login pages"),
		p("description", "Agree on automatic diversion to the scrubbing service with the provider, and rate-limit TLS handshakes and login requests per source."))
	b.rel(scrubbing, "mitigates", attackPatternID("T1498.001"))
	b.rel(scrubbing, "mitigates", attackPatternID("T1499.002"))
	var nodeInds, nodeObs []string
	for range 8 {
		ip := d.ipv4("192.0.2")
		ind, obs := b.indicator(ioc{"ipv4", ip, "SurgeNet node " + ip}, "Source of attack traffic in Operation Bankrun.",
			[]string{"malicious-activity"}, 2*week, botnet)
		nodeInds, nodeObs = append(nodeInds, ind), append(nodeObs, obs)
	}

	// The police's investigation of the members.
	b = d.batch("politie-analyst-2", watch, d.ago(4, 2), mosaic.TLPAmberStrict)
	channel := b.url("https://chat.example/c/redsurge-official")
	targets, _ := b.indicator(ioc{"url", "https://paste.example/raw/bankrun-targets", "Operation Bankrun target list"},
		"Target list that the channel posts before each wave; gives an hour's warning.", []string{"attribution"}, 0, campaign)
	b.note("redsurge-channel", "RedSurge channel monitored",
		"The police follow the RedSurge channel, where targets are announced about an hour before each wave. The NCSC is alerted when a Dutch target appears.",
		actor, channel, targets)
	b.tlp = mosaic.TLPRed
	b.note("redsurge-member-nl", "RedSurge member identified in the Netherlands",
		"One of the channel's administrators is identified as resident in the Netherlands; an arrest is being prepared. Do not share outside the compartment.",
		actor, channel)

	// The NCSC's view from the banks: traffic, sightings, another victim.
	flows := func(b *draft, from []string, to string, n int, start time.Time) []string {
		var refs []string
		for i := range n {
			begin := start.Add(time.Duration(i*7) * time.Minute)
			f := b.flow(from[i], to, 40000+d.rng.IntN(20000), 443, begin, begin.Add(95*time.Minute), 200000+d.rng.IntN(800000))
			refs = append(refs, f, from[i])
		}
		return append(refs, to)
	}
	b = d.batch("ncsc-analyst-2", mosaic.AudienceCell, d.ago(3, 6), mosaic.TLPAmber)
	zuiderbank := b.identity("org/zuiderbank", "Zuiderbank", "organization", []string{"financial-services"},
		"Regional bank; not a stakeholder of the cell, reported through the financial sector CERT.")
	b.rel(campaign, "targets", zuiderbank)
	b.incident("bankrun-zuiderbank", "DDoS on Zuiderbank",
		"HTTPS and TLS floods against Zuiderbank's website and app backend; unavailable for two hours.",
		zuiderbank, campaign)
	start := b.when.Add(-26 * time.Hour)
	refs := flows(b, nodeObs[:3], bankFront, 3, start)
	b.sdo("observed-data", "bankrun-netflow-wave1",
		p("first_observed", ts(start)), p("last_observed", ts(start.Add(2*time.Hour))), p("number_observed", 1840),
		p("object_refs", refs))
	for i, ind := range nodeInds[:3] {
		b.sighting(ind, []string{hanzebank}, start, start.Add(2*time.Hour), 600+100*i, "Attack traffic in the bank's NetFlow.")
	}
	b.sighting(nodeInds[3], []string{zuiderbank}, b.when.Add(-8*time.Hour), b.when.Add(-6*time.Hour), 950, "Attack traffic in the bank's NetFlow.")

	// The second wave, in the last day.
	b = d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(0, 7), mosaic.TLPAmber)
	betaalhuis := b.identity("org/betaalhuis", "Betaalhuis Payment Services", "organization", []string{"financial-services"},
		"Payment processor; not a stakeholder of the cell.")
	b.rel(campaign, "targets", betaalhuis)
	b.incident("bankrun-betaalhuis", "DDoS on a payment processor",
		"Floods against Betaalhuis's payment API caused failed card payments in web shops for about 25 minutes.",
		betaalhuis, campaign)
	b.incident("bankrun-hanzebank-2", "DDoS on Hanzebank online banking (wave 2)",
		"Second wave against Hanzebank, four times the volume of the first; scrubbing held, no unavailability.",
		hanzebank, campaign)
	b.tlp = mosaic.TLPGreen
	var newObs []string
	for range 5 {
		ip := d.ipv4("192.0.2")
		ind, obs := b.indicator(ioc{"ipv4", ip, "SurgeNet node " + ip}, "Source of attack traffic in wave 2 of Operation Bankrun.",
			[]string{"malicious-activity"}, 2*week, botnet)
		nodeInds, newObs = append(nodeInds, ind), append(newObs, obs)
	}
	b.tlp = mosaic.TLPAmber
	start = b.when.Add(-5 * time.Hour)
	refs = flows(b, newObs[:3], bankFront, 3, start)
	b.sdo("observed-data", "bankrun-netflow-wave2",
		p("first_observed", ts(start)), p("last_observed", ts(start.Add(3*time.Hour))), p("number_observed", 7215),
		p("object_refs", refs))
	for i, ind := range nodeInds[8:11] {
		b.sighting(ind, []string{hanzebank, betaalhuis}, start, start.Add(3*time.Hour), 2000+300*i, "Attack traffic in NetFlow of both targets.")
	}

	// The police's summary for the cell, and the AIVD's angle.
	b = d.batch("politie-liaison", mosaic.AudienceCell, d.ago(0, 2), mosaic.TLPGreen)
	b.report("bankrun-report", "RedSurge Collective: DDoS campaign against the financial sector",
		"RedSurge Collective announces its targets on its channel about an hour before each wave and uses a volunteer botnet. Attacks so far hit three banks and a payment processor. Scrubbing and rate limiting on login pages are effective; the police are investigating the organisers.",
		[]string{"threat-report", "campaign"}, actor, campaign, tool, botnet, scrubbing)
	b = d.batch("aivd-analyst", watch, d.ago(0, 1), mosaic.TLPAmberStrict)
	b.note("aivd-redsurge-influence", "RedSurge and foreign influence",
		"RedSurge's announcements are amplified by accounts that the AIVD links to a foreign influence operation. No sign that the attacks themselves are state-directed.",
		actor, campaign)
}
