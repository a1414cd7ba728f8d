package demo

import (
	"strings"
	"time"

	"mosaic"
)

// technique is an ATT&CK technique as the demo describes it.
type technique struct {
	id, name, tactic, description string
}

// techniques are the ATT&CK techniques the stories use. The names, ids and
// tactics are MITRE's; the descriptions are the demo's own.
var techniques = map[string]technique{
	"T1190":     {"T1190", "Exploit Public-Facing Application", "initial-access", "Exploiting a weakness in an Internet-facing system, such as a VPN appliance or web server, to get a first foothold."},
	"T1133":     {"T1133", "External Remote Services", "initial-access", "Using remote access services such as VPN or remote desktop gateways to enter and persist in a network."},
	"T1078":     {"T1078", "Valid Accounts", "initial-access", "Logging in with stolen or bought credentials of existing accounts."},
	"T1505.003": {"T1505.003", "Server Software Component: Web Shell", "persistence", "Placing a web shell on a web-facing server to keep access and run commands."},
	"T1486":     {"T1486", "Data Encrypted for Impact", "impact", "Encrypting data on systems and network shares to make it unavailable, usually for ransom."},
	"T1490":     {"T1490", "Inhibit System Recovery", "impact", "Deleting shadow copies and backups so that encrypted systems cannot be restored."},
	"T1567.002": {"T1567.002", "Exfiltration Over Web Service: Exfiltration to Cloud Storage", "exfiltration", "Uploading stolen data to a cloud storage service."},
	"T1003.001": {"T1003.001", "OS Credential Dumping: LSASS Memory", "credential-access", "Reading credentials from the memory of the Windows LSASS process."},
	"T1087.002": {"T1087.002", "Account Discovery: Domain Account", "discovery", "Listing domain accounts and groups to find administrators."},
	"T1021.001": {"T1021.001", "Remote Services: Remote Desktop Protocol", "lateral-movement", "Moving between systems over RDP with valid credentials."},
	"T1566.001": {"T1566.001", "Phishing: Spearphishing Attachment", "initial-access", "Sending targeted e-mail with a malicious attachment."},
	"T1498.001": {"T1498.001", "Network Denial of Service: Direct Network Flood", "impact", "Flooding a target's network with traffic to exhaust its bandwidth."},
	"T1499.002": {"T1499.002", "Endpoint Denial of Service: Service Exhaustion Flood", "impact", "Flooding a service, such as a web application, with requests to exhaust its resources."},
	"T1071.001": {"T1071.001", "Application Layer Protocol: Web Protocols", "command-and-control", "Hiding command and control traffic in HTTP(S)."},
	"T1090.003": {"T1090.003", "Proxy: Multi-hop Proxy", "command-and-control", "Routing traffic through a chain of proxies, such as compromised routers, to hide its origin."},
	"T1560.001": {"T1560.001", "Archive Collected Data: Archive via Utility", "collection", "Compressing and encrypting collected data with an archiver before exfiltration."},
	"T1584.008": {"T1584.008", "Compromise Infrastructure: Network Devices", "resource-development", "Taking over routers and other network devices to use as operational infrastructure."},
}

// attackPattern returns the attack-pattern object of an ATT&CK technique.
// It has no creator and its timestamps are midnight before the data set
// starts, so that every partner that contributes it contributes the very
// same object: the case of one STIX object held by several originators.
func attackPattern(now time.Time, id string) object {
	t, ok := techniques[id]
	if !ok {
		panic("demo: unknown technique " + id)
	}
	at := ts(now.Truncate(24 * time.Hour).Add(-60 * day))
	url := "https://attack.mitre.org/techniques/" + strings.ReplaceAll(t.id, ".", "/") + "/"
	return object{
		p("type", "attack-pattern"), p("spec_version", "2.1"), p("id", attackPatternID(id)),
		p("created", at), p("modified", at),
		p("name", t.name), p("description", t.description),
		p("kill_chain_phases", []killChainPhase{{"mitre-attack", t.tactic}}),
		p("external_references", []extRef{{SourceName: "mitre-attack", URL: url, ExternalID: t.id}}),
		p("object_marking_refs", []string{markingIDs[mosaic.TLPClear]}),
	}
}

func attackPatternID(id string) string { return sdoID("attack-pattern", "mitre-attack/"+id) }

// attackCatalogue has the NCSC and the AIVD each contribute the techniques
// their stories refer to, before the stories start. Seven techniques are in
// both sets.
func (d *dataset) attackCatalogue() {
	ncsc := d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(59, 2), mosaic.TLPClear)
	ncsc.ORCON = ptr(false) // public knowledge
	for _, id := range []string{"T1190", "T1133", "T1078", "T1505.003", "T1486", "T1490", "T1567.002",
		"T1003.001", "T1087.002", "T1021.001", "T1566.001", "T1498.001", "T1499.002"} {
		ncsc.add(attackPattern(d.now, id))
	}
	aivd := d.batch("aivd-analyst", "compartment:op-glasshouse", d.ago(58, 20), mosaic.TLPClear)
	for _, id := range []string{"T1190", "T1133", "T1078", "T1505.003", "T1003.001", "T1021.001",
		"T1567.002", "T1071.001", "T1090.003", "T1560.001", "T1584.008"} {
		aivd.add(attackPattern(d.now, id))
	}
}

// Sector identities (identity_class "class") stand for a whole sector, the
// target of campaigns that hit it broadly.
var sectorIdentities = []struct{ name, title, sector string }{
	{"sector/healthcare", "Healthcare sector (NL)", "healthcare"},
	{"sector/financial-services", "Financial sector (NL)", "financial-services"},
	{"sector/energy", "Energy sector (NL)", "energy"},
	{"sector/infrastructure-water", "Drinking water sector (NL)", "infrastructure-water"},
	{"sector/telecommunications", "Telecommunications sector (NL)", "telecommunications"},
	{"sector/transportation", "Transport and ports sector (NL)", "transportation"},
	{"sector/government-national", "Central government (NL)", "government-national"},
	{"sector/government-local", "Local government (NL)", "government-local"},
	{"sector/defense", "Defence and defence industry (NL)", "defense"},
}

func sectorID(sector string) string { return sdoID("identity", "sector/"+sector) }

// directory has each partner contribute its own identity (every
// created_by_ref points at one of them) and the NCSC the identities of the
// sectors and stakeholders, all cell-wide: none of it is secret, and every
// later batch may refer to it.
func (d *dataset) directory() {
	for i, o := range Organisations() {
		if o.Kind != mosaic.Partner {
			continue
		}
		b := d.batch(o.Name+"-liaison", mosaic.AudienceCell, d.now.Add(-60*day+time.Duration(i)*10*time.Minute), mosaic.TLPClear)
		b.ORCON = ptr(false)
		// No sectors: partners are not victims, and the situational picture
		// counts sectors from identities.
		b.identity("org/"+o.Name, o.FullName, "organization", nil,
			"Partner in the joint cyber intel/info cell; contributes under "+o.LegalRegime+".",
			p("contact_information", o.Contact))
	}

	b := d.batch("ncsc-analyst", mosaic.AudienceCell, d.ago(59, 4), mosaic.TLPGreen)
	b.ORCON = ptr(false)
	for _, s := range sectorIdentities {
		b.identity(s.name, s.title, "class", []string{s.sector},
			"The "+strings.TrimSuffix(strings.ToLower(s.title), " (nl)")+" in the Netherlands as a whole, for campaigns that target the sector rather than one organisation.")
	}
	for _, o := range Organisations() {
		if o.Kind != mosaic.Stakeholder {
			continue
		}
		b.identity("org/"+o.Name, o.FullName, "organization", o.Sectors,
			"Vital-sector stakeholder of the cell; receives releases and advisories.")
	}
}
