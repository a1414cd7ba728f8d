package demo

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"mosaic"
)

// Release is a release of the demo, made through the content service as
// its users would: Drafter drafts it, each Consent is decided by its
// liaison in order (an organisation asked without one here stays
// pending), and if Publish it is published, reported on by Receipts and
// Sightings, and withdrawn with Withdraw as the reason if that is set.
// Titles are unique: they are how a resumed seeding knows a release it
// made before.
type Release struct {
	Drafter    string // an analyst or liaison of a partner
	Title      string
	Advice     string
	AdviceNL   string    // the advice in Dutch, where it is written in both
	Recipients []string  // as mosaic.ParseRecipient reads them
	Deadline   time.Time // when the consents are needed by; zero for none
	Objects    []Pin
	Consents   []Consent
	Publish    bool
	Receipts   []Receipt
	Sightings  []Sighting
	Withdraw   string // "" keeps it
}

// Pin is one object of the data set as a release pins it: the newest
// version the data set gives it, of one originator.
type Pin struct {
	ID         string
	Modified   string // "" for an SCO
	Originator string // the organisation that contributed it
	TLP        mosaic.TLP
}

// Consent is a liaison's decision: "approve", "approve-sanitised" (with
// Sanitise, by STIX id of the organisation's own objects) or "refuse".
type Consent struct {
	User      string
	Decision  string
	Reason    string
	Sanitise  map[string]Sanitisation
	Attribute bool
}

// Sanitisation is how a liaison lets one object go (see
// release.Sanitisation): Generalise names kinds of value such as
// "addresses"; TLP lowers or raises its level ("" keeps it).
type Sanitisation struct {
	Remove     []string
	Rewrite    map[string]string
	Generalise []string
	TLP        mosaic.TLP
}

// Receipt is a recipient user's report on a published release.
type Receipt struct {
	User    string
	Status  mosaic.ReceiptStatus
	Comment string
}

// Sighting is a recipient user's STIX sighting of a released object: Of
// is the source object's id in the data set; the recipient knows the
// released object only by its released id, which Bundle is given.
type Sighting struct {
	User        string
	Of          string
	Count       int
	FirstSeen   time.Time
	LastSeen    time.Time
	Description string
}

// Bundle returns the sighting as the STIX bundle a recipient reports,
// against released, the id the object has in the release. Its id derives
// from the release, the user and the object, so a report made again is
// the same sighting.
func (s Sighting) Bundle(release, released string, now time.Time) []byte {
	id := SightingID(release, s)
	sighting := object{
		p("type", "sighting"), p("spec_version", "2.1"), p("id", id),
		p("created", ts(now)), p("modified", ts(now)),
		p("description", s.Description), p("first_seen", ts(s.FirstSeen)), p("last_seen", ts(s.LastSeen)),
		p("count", s.Count), p("sighting_of_ref", released),
	}
	bundle := object{p("type", "bundle"), p("id", sdoID("bundle", "sighting|"+id)), p("objects", []object{sighting})}
	b, err := bundle.MarshalJSON()
	if err != nil {
		panic(fmt.Sprintf("demo: encoding a sighting: %v", err))
	}
	return b
}

// SightingID is the id of the sighting s reports on release.
func SightingID(release string, s Sighting) string {
	return sdoID("sighting", "release|"+release+"|"+s.User+"|"+s.Of)
}

// Releases returns the demo's releases as of now (the time Batches was
// given), in the order to make them: the oldest first, so that a
// listing, newest first, starts with the requests still open. They follow
// the stories: the ransomware against hospitals goes to the healthcare
// stakeholder, the SSL-VPN exploitation to several sectors, the DDoS to
// the bank, and the phishing feed to the public. Every recipient may
// receive the levels of what it is sent (TLP 2.0: CLEAR to the public,
// GREEN to sectors, AMBER to named organisations).
func Releases(now time.Time) []Release {
	ix := indexOf(Batches(now))
	n := now.UTC().Truncate(time.Minute)
	hours := func(h int) time.Time { return n.Add(-time.Duration(h) * time.Hour) }

	// The first list of TesselGate scanners, withdrawn once it was stale
	// and one scanner turned out to be a research project.
	scanners := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.originator == "ncsc" && !o.revoked &&
			strings.HasPrefix(o.str("description"), "Sends the TesselGate exploit to VPN portals")
	})
	wave := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.str("description") == "New wave of exploit attempts, now also against the 9.1 branch."
	})
	mivdSources := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.originator == "mivd" && strings.HasPrefix(o.str("name"), "TesselGate exploitation source ")
	})
	c2A := ix.named("indicator", "ReedLoader C2 "+marshC2A, "ncsc")
	c2B := ix.named("indicator", "ReedLoader C2 "+marshC2B, "ncsc")
	marshDomain := ix.named("indicator", "Ward Sweep domain marsh-update.example", "ncsc")
	nodes := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.str("description") == "Source of attack traffic in Operation Bankrun."
	})
	surgeC2s := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.originator == "politie" && strings.HasPrefix(o.str("name"), "SurgeNet C2 ")
	})
	phishing := ix.all(func(o indexed) bool {
		return o.typ == "indicator" && o.tlp == mosaic.TLPClear && strings.HasPrefix(o.str("name"), "Phishing site ")
	})
	ncscApproves := Consent{User: "ncsc-liaison", Decision: "approve"}
	c2Sanitised := func() Sanitisation {
		return Sanitisation{Generalise: []string{"addresses"}, Rewrite: map[string]string{
			"name":        "ReedLoader C2 in 198.51.100.0/24",
			"description": "Command and control of the ReedLoader loader used against Dutch hospitals. The exact address is withheld for an ongoing investigation: block the whole range.",
		}}
	}

	return []Release{
		{
			Drafter: "ncsc-analyst",
			Title:   "TesselGate SSL-VPN: block the exploitation scanners",
			Advice: "TesselGate SSL-VPN portals are being exploited at scale (see the public advisory).\n" +
				"1. Block the scanner addresses in this release at your edge for at least a month.\n" +
				"2. Look in your VPN appliance's access log for requests from them since the advisory; if you find any, check the appliance for compromise.",
			Recipients: []string{"sector:energy", "sector:telecommunications", "sector:transportation"},
			Objects:    scanners,
			Consents:   []Consent{ncscApproves},
			Publish:    true,
			Receipts: []Receipt{
				{User: "poldertel-stakeholder", Status: mosaic.ReceiptReceived, Comment: "Doorgezet naar ons SOC."},
			},
			Withdraw: "This list is a month old and most scanners have moved on; one of the addresses is a university's research project. Remove blocks you set only for this list and use the release \"TesselGate SSL-VPN: patch to 9.2.5, check for web shells, block the new scanners\" instead.",
		},
		{
			Drafter: "ncsc-analyst-2",
			Title:   "TesselGate SSL-VPN: patch to 9.2.5, check for web shells, block the new scanners",
			Advice: "A new wave of exploitation of the TesselGate SSL-VPN vulnerability started yesterday, now also against the 9.1 branch. If you run TesselGate:\n" +
				"1. Upgrade to 9.2.5 (9.1.12 on the 9.1 branch) today. Until then, switch off the web portal.\n" +
				"2. Check every appliance for compromise, also if it was patched earlier: run the vendor's integrity checker and look for PHP files in the help directory. Reset all VPN and administrator passwords if anything is found.\n" +
				"3. Block the scanner addresses in this release for a month.\n" +
				"Report a compromise to the NCSC liaison desk (+31 70 000 0505); we can help with the forensic image.",
			Recipients: []string{"sector:energy", "sector:infrastructure-water", "sector:telecommunications", "sector:transportation", "sector:government-national"},
			Objects: append(ix.pins("course-of-action", "tesselgate-patch", "tesselgate-compromise-check", "tesselgate-restrict-portal"),
				wave...),
			Consents: []Consent{ncscApproves},
			Publish:  true,
			Receipts: []Receipt{
				{User: "poldertel-stakeholder", Status: mosaic.ReceiptApplied, Comment: "Alle portals bijgewerkt naar 9.2.5 en de scanners geblokkeerd aan de rand. Geen webshells gevonden."},
				{User: "westhaven-stakeholder", Status: mosaic.ReceiptNeedHelp, Comment: "The integrity checker found a PHP file in the help directory of a second appliance. We would like help with the forensic image."},
				{User: "deltanet-stakeholder", Status: mosaic.ReceiptInProgress, Comment: "Upgrade planned in tonight's maintenance window; the web portal is off until then."},
				{User: "aquanoord-stakeholder", Status: mosaic.ReceiptNotAffected, Comment: "We do not run TesselGate. The scanners are blocked all the same."},
				{User: "mindig-stakeholder", Status: mosaic.ReceiptReceived, Comment: "Forwarded to the departmental CERTs."},
			},
			Sightings: []Sighting{
				{User: "poldertel-stakeholder", Of: wave[0].ID, Count: 38, FirstSeen: hours(20), LastSeen: hours(3), Description: "Exploit attempts against our customer portals, blocked at the edge."},
				{User: "westhaven-stakeholder", Of: wave[1].ID, Count: 9, FirstSeen: hours(18), LastSeen: hours(2), Description: "Exploit attempts in the appliance's access log."},
				{User: "deltanet-stakeholder", Of: wave[1].ID, Count: 4, FirstSeen: hours(16), LastSeen: hours(5), Description: "Blocked by the firewall in front of the VPN."},
			},
		},
		{
			Drafter: "ncsc-analyst",
			Title:   "Ward Sweep ransomware: block the ReedLoader servers and secure remote access",
			Advice: "MarshLock affiliates keep attacking Dutch hospitals through supplier VPN accounts without multi-factor authentication. Five care institutions were hit in three weeks.\n" +
				"1. Enforce multi-factor authentication on every VPN and remote desktop account today, suppliers' accounts included, and disable accounts nobody uses.\n" +
				"2. Block the ReedLoader command and control range and the domains in this release, and search your firewall and DNS logs of the last month for them.\n" +
				"3. Make sure one backup of your clinical systems is offline, and test restoring it.\n" +
				"4. Put the ESXi management interfaces in a network of their own.\n" +
				"Call the NCSC liaison desk (+31 70 000 0505) at once if you find a hit.",
			AdviceNL: "Affiliates van MarshLock blijven Nederlandse ziekenhuizen aanvallen via VPN-accounts van leveranciers zonder meerfactorauthenticatie. In drie weken werden vijf zorginstellingen getroffen.\n" +
				"1. Dwing vandaag meerfactorauthenticatie af op elk VPN- en remote-desktopaccount, ook die van leveranciers, en zet ongebruikte accounts uit.\n" +
				"2. Blokkeer de command-and-controlreeks van ReedLoader en de domeinen in deze publicatie, en doorzoek de firewall- en DNS-logs van de afgelopen maand erop.\n" +
				"3. Zorg dat één back-up van de klinische systemen offline staat, en test het terugzetten.\n" +
				"4. Zet de beheerinterfaces van ESXi in een eigen netwerk.\n" +
				"Bel direct de liaisondesk van het NCSC (+31 70 000 0505) als u iets vindt.",
			Recipients: []string{"org:lindeveld"},
			Objects: append(append(ix.pins("course-of-action", "mfa-remote-access", "offline-backups", "esxi-hardening"),
				ix.pins("malware", "reedloader")...), c2A, c2B, marshDomain),
			Consents: []Consent{{User: "ncsc-liaison", Decision: "approve-sanitised", Sanitise: map[string]Sanitisation{
				c2A.ID: c2Sanitised(), c2B.ID: c2Sanitised(),
			}}},
			Publish: true,
			Receipts: []Receipt{
				{User: "lindeveld-stakeholder", Status: mosaic.ReceiptInProgress, Comment: "MFA enforced for all supplier accounts; the range is blocked. Offline backup test planned for Thursday."},
				{User: "lindeveld-stakeholder", Status: mosaic.ReceiptApplied, Comment: "All four steps done. Two hits in the DNS logs, see the sightings."},
			},
			Sightings: []Sighting{
				{User: "lindeveld-stakeholder", Of: marshDomain.ID, Count: 2, FirstSeen: hours(30), LastSeen: hours(26), Description: "DNS queries from two radiology workstations after the restore; blocked at the resolver, workstations reinstalled."},
				{User: "lindeveld-stakeholder", Of: c2A.ID, Count: 1, FirstSeen: hours(29), LastSeen: hours(29), Description: "One outbound connection attempt from a restored file server, blocked at the firewall."},
			},
		},
		{
			Drafter: "ncsc-analyst",
			Title:   "Operation Bankrun: keep DDoS scrubbing ready and block SurgeNet",
			Advice: "RedSurge Collective attacks Dutch banks in waves of a few hours; it announces each wave on its channel about an hour before.\n" +
				"1. Agree with your scrubbing provider on automatic diversion, and rate-limit TLS handshakes and login requests per source on the online banking login pages.\n" +
				"2. Block the SurgeNet node addresses for two weeks and the C2 addresses and domains for a month.\n" +
				"3. Report each wave to the NCSC, with NetFlow if you can, so that the police can trace the organisers.",
			Recipients: []string{"org:hanzebank"},
			Objects:    append(append(ix.pins("course-of-action", "ddos-scrubbing"), nodes...), surgeC2s...),
			Consents: []Consent{
				ncscApproves,
				{User: "politie-liaison", Decision: "approve", Attribute: true},
			},
			Publish: true,
			Receipts: []Receipt{
				{User: "hanzebank-stakeholder", Status: mosaic.ReceiptReceived, Comment: "Shared with our scrubbing provider."},
				{User: "hanzebank-stakeholder", Status: mosaic.ReceiptApplied, Comment: "Automatic diversion agreed and node addresses blocked; the second wave did no harm."},
			},
			Sightings: []Sighting{
				{User: "hanzebank-stakeholder", Of: nodes[0].ID, Count: 1840, FirstSeen: hours(8), LastSeen: hours(5), Description: "HTTPS flood against the login page, filtered by the scrubbing service."},
				{User: "hanzebank-stakeholder", Of: nodes[3].ID, Count: 960, FirstSeen: hours(8), LastSeen: hours(6), Description: "TLS handshake flood, filtered by the scrubbing service."},
			},
		},
		{
			Drafter: "ncsc-analyst-2",
			Title:   "Phishing: nepwebsites van Nederlandse banken en diensten",
			Advice: "Criminelen zetten steeds nieuwe phishingsites op die Nederlandse banken, zorgverzekeraars en diensten nadoen. De sites in deze publicatie zijn offline gehaald.\n" +
				"1. Blokkeer de domeinen en URL's in uw webproxy of DNS-resolver.\n" +
				"2. Waarschuw medewerkers en klanten: uw bank vraagt nooit via e-mail of sms om in te loggen.\n" +
				"3. Meld nieuwe phishingsites aan uw bank of aan de dienst die wordt nagebootst.\n" +
				"Phishing sites imitating Dutch banks and services, taken down: block them and warn your users.",
			Recipients: []string{"public"},
			Objects:    phishing,
			Consents:   []Consent{ncscApproves},
			Publish:    true,
		},
		{
			Drafter: "ncsc-analyst",
			Title:   "TesselGate SSL-VPN: block two more exploitation sources",
			Advice: "Two more sources send the TesselGate exploit, seen against defence networks but not yet in our scanner lists.\n" +
				"1. Block both addresses at your edge for a month.\n" +
				"2. Expose the management interface of the appliance only to an administration network.",
			AdviceNL: "Nog twee bronnen sturen de TesselGate-exploit, gezien tegen defensienetwerken maar nog niet in onze scannerlijsten.\n" +
				"1. Blokkeer beide adressen een maand lang aan de rand van uw netwerk.\n" +
				"2. Stel de beheerinterface van het apparaat alleen open voor een beheernetwerk.",
			Recipients: []string{"org:deltanet", "org:westhaven", "org:mindig"},
			Deadline:   n.Add(36 * time.Hour),
			Objects:    append(ix.pins("course-of-action", "tesselgate-restrict-portal"), mivdSources...),
			// The MIVD's liaison has not decided yet.
			Consents: []Consent{ncscApproves},
		},
		{
			Drafter: "politie-analyst",
			Title:   "RedSurge Collective: expect a third wave against online banking",
			Advice: "RedSurge Collective has announced a third wave against Dutch banks for this week, with the same tool.\n" +
				"1. Keep your scrubbing provider on standby and the rate limits on the login pages in place.\n" +
				"2. Tell the police liaison (htc-liaison@politie.example) when a wave starts; do not contact the group.",
			Recipients: []string{"org:hanzebank"},
			Deadline:   n.Add(20 * time.Hour),
			Objects: append(ix.pins("threat-actor", "redsurge-collective"), append(ix.pins("tool", "surgeflood"),
				ix.pins("course-of-action", "ddos-scrubbing")...)...),
			// The police approved; the NCSC's liaison has not decided on
			// its advice on scrubbing yet.
			Consents: []Consent{{User: "politie-liaison", Decision: "approve", Attribute: true}},
		},
	}
}

// indexed is the newest version of one object in the data set.
type indexed struct {
	id, typ, modified string
	originator        string
	tlp               mosaic.TLP
	revoked           bool
	obj               map[string]any
}

func (o indexed) str(key string) string { s, _ := o.obj[key].(string); return s }

func (o indexed) pin() Pin {
	return Pin{ID: o.id, Modified: o.modified, Originator: o.originator, TLP: o.tlp}
}

type index struct {
	order []string
	objs  map[string]indexed // by id and originator
}

// indexOf reads the batches: each object's newest version by each
// originator, in the order they first appear.
func indexOf(batches []Batch) *index {
	ix := &index{objs: map[string]indexed{}}
	users := map[string]User{}
	for _, u := range Users() {
		users[u.Name] = u
	}
	tlps := map[string]mosaic.TLP{}
	for l, id := range markingIDs {
		tlps[id] = l
	}
	for _, b := range batches {
		var bundle struct {
			Objects []map[string]any `json:"objects"`
		}
		if err := json.Unmarshal(b.Bundle, &bundle); err != nil {
			panic(fmt.Sprintf("demo: a batch of %s: %v", b.User, err))
		}
		org := users[b.User].Org
		for _, obj := range bundle.Objects {
			o := indexed{obj: obj, originator: org}
			o.id, _ = obj["id"].(string)
			o.typ, _ = obj["type"].(string)
			o.modified, _ = obj["modified"].(string)
			o.revoked, _ = obj["revoked"].(bool)
			if refs, _ := obj["object_marking_refs"].([]any); len(refs) == 1 {
				s, _ := refs[0].(string)
				o.tlp = tlps[s]
			}
			key := o.id + "|" + org
			old, ok := ix.objs[key]
			if !ok {
				ix.order = append(ix.order, key)
			}
			if !ok || o.modified >= old.modified {
				ix.objs[key] = o
			}
		}
	}
	return ix
}

// all pins every object that matches, in the data set's order.
func (ix *index) all(match func(indexed) bool) []Pin {
	var out []Pin
	for _, k := range ix.order {
		if o := ix.objs[k]; match(o) {
			out = append(out, o.pin())
		}
	}
	if len(out) == 0 {
		panic("demo: a release pins nothing")
	}
	return out
}

// named pins the object of typ called name that org contributed.
func (ix *index) named(typ, name, org string) Pin {
	out := ix.all(func(o indexed) bool { return o.typ == typ && o.originator == org && o.str("name") == name })
	if len(out) != 1 {
		panic(fmt.Sprintf("demo: %d %s objects named %q", len(out), typ, name))
	}
	return out[0]
}

// pins pins the objects of typ that the data set names so (sdoID).
func (ix *index) pins(typ string, names ...string) []Pin {
	var out []Pin
	for _, n := range names {
		id := sdoID(typ, n)
		got := ix.all(func(o indexed) bool { return o.id == id })
		if len(got) != 1 {
			panic(fmt.Sprintf("demo: %s %s has %d originators", typ, n, len(got)))
		}
		out = append(out, got[0])
	}
	return out
}
