package demo

import "mosaic"

// Organisations returns the demo organisations: the five partners of the
// cell, seven stakeholders in different vital sectors and the oversight body.
// IDs and creation times are left for the store to set; every DefaultAudience
// is the zero value (originator), so sharing stays a choice per batch.
func Organisations() []mosaic.Organisation {
	return []mosaic.Organisation{
		// Partners. The contact is the liaison desk the other partners call
		// when deconfliction reports a hit or a release needs approval.
		{Name: "aivd", FullName: "General Intelligence and Security Service (AIVD)", Kind: mosaic.Partner,
			LegalRegime: "wiv2017", Contact: "Liaison desk: liaison@aivd.example, +31 70 000 0101"},
		{Name: "mivd", FullName: "Defence Intelligence and Security Service (MIVD)", Kind: mosaic.Partner,
			LegalRegime: "wiv2017", Contact: "Liaison desk: liaison@mivd.example, +31 70 000 0202"},
		{Name: "politie", FullName: "National Police of the Netherlands (Politie)", Kind: mosaic.Partner,
			LegalRegime: "wpg", Contact: "Team High Tech Crime liaison: htc-liaison@politie.example, +31 88 000 0303"},
		{Name: "om", FullName: "Public Prosecution Service (OM)", Kind: mosaic.Partner,
			LegalRegime: "wjsg", Contact: "National Public Prosecutor's Office, cybercrime desk: cyber@om.example, +31 88 000 0404"},
		{Name: "ncsc", FullName: "National Cyber Security Centre (NCSC)", Kind: mosaic.Partner,
			LegalRegime: "wbni", Contact: "24/7 liaison desk: liaison@ncsc.example, +31 70 000 0505"},

		// Stakeholders: one per vital sector the stories touch, so the
		// situational picture has something to show in each.
		{Name: "lindeveld", FullName: "Lindeveld Hospital Group", Kind: mosaic.Stakeholder,
			Sectors: []string{"healthcare"}, Contact: "CISO office: security@lindeveld.example, +31 30 000 1001"},
		{Name: "hanzebank", FullName: "Hanzebank N.V.", Kind: mosaic.Stakeholder,
			Sectors: []string{"financial-services"}, Contact: "CSIRT: csirt@hanzebank.example, +31 20 000 1002"},
		{Name: "deltanet", FullName: "Deltanet Grid Operator", Kind: mosaic.Stakeholder,
			Sectors: []string{"energy", "utilities"}, Contact: "SOC: soc@deltanet.example, +31 10 000 1003"},
		{Name: "aquanoord", FullName: "Aquanoord Drinking Water Company", Kind: mosaic.Stakeholder,
			Sectors: []string{"infrastructure-water"}, Contact: "Security desk: security@aquanoord.example, +31 50 000 1004"},
		{Name: "poldertel", FullName: "Poldertel Telecom B.V.", Kind: mosaic.Stakeholder,
			Sectors: []string{"telecommunications"}, Contact: "CERT: cert@poldertel.example, +31 70 000 1005"},
		{Name: "westhaven", FullName: "Port of Westhaven Authority", Kind: mosaic.Stakeholder,
			Sectors: []string{"transportation"}, Contact: "Port security office: security@westhaven.example, +31 10 000 1006"},
		{Name: "mindig", FullName: "Ministry of Digital Affairs", Kind: mosaic.Stakeholder,
			Sectors: []string{"government-national"}, Contact: "Departmental CERT: cert@mindig.example, +31 70 000 1007"},

		// Oversight of the two intelligence services.
		{Name: "ctivd", FullName: "Review Committee on the Intelligence and Security Services (CTIVD)", Kind: mosaic.Oversight,
			Contact: "Secretariat: secretariat@ctivd.example, +31 70 000 1008"},
	}
}

// User is a demo user: what the demo command needs to create a mosaic.User.
// ContentGrant only means something for auditors.
type User struct {
	Name         string
	Org          string
	Role         mosaic.Role
	DisplayName  string
	Email        string
	ContentGrant bool
}

// Users returns the demo users: an analyst and a liaison for every partner
// (a second analyst at the police and at the NCSC), one stakeholder user per
// stakeholder organisation, two auditors at the oversight body (one with and
// one without a content grant, to show both) and the administrator.
func Users() []User {
	return []User{
		{Name: "aivd-analyst", Org: "aivd", Role: mosaic.Analyst, DisplayName: "Sanne de Vries", Email: "s.devries@aivd.example"},
		{Name: "aivd-liaison", Org: "aivd", Role: mosaic.Liaison, DisplayName: "Pieter Bakker", Email: "p.bakker@aivd.example"},
		{Name: "mivd-analyst", Org: "mivd", Role: mosaic.Analyst, DisplayName: "Lotte Jansen", Email: "l.jansen@mivd.example"},
		{Name: "mivd-liaison", Org: "mivd", Role: mosaic.Liaison, DisplayName: "Ruben Visser", Email: "r.visser@mivd.example"},
		// politie-analyst is a named member of op-glasshouse; politie-analyst-2
		// is not, which shows that compartments can admit single users.
		{Name: "politie-analyst", Org: "politie", Role: mosaic.Analyst, DisplayName: "Fatima El Amrani", Email: "f.elamrani@politie.example"},
		{Name: "politie-analyst-2", Org: "politie", Role: mosaic.Analyst, DisplayName: "Jeroen Smit", Email: "j.smit@politie.example"},
		{Name: "politie-liaison", Org: "politie", Role: mosaic.Liaison, DisplayName: "Ingrid Mulder", Email: "i.mulder@politie.example"},
		{Name: "om-analyst", Org: "om", Role: mosaic.Analyst, DisplayName: "Thomas van Dijk", Email: "t.vandijk@om.example"},
		{Name: "om-liaison", Org: "om", Role: mosaic.Liaison, DisplayName: "Eva Hendriks", Email: "e.hendriks@om.example"},
		{Name: "ncsc-analyst", Org: "ncsc", Role: mosaic.Analyst, DisplayName: "Daan Meijer", Email: "d.meijer@ncsc.example"},
		{Name: "ncsc-analyst-2", Org: "ncsc", Role: mosaic.Analyst, DisplayName: "Noor Bos", Email: "n.bos@ncsc.example"},
		{Name: "ncsc-liaison", Org: "ncsc", Role: mosaic.Liaison, DisplayName: "Anouk de Boer", Email: "a.deboer@ncsc.example"},
		{Name: "admin", Org: "ncsc", Role: mosaic.Admin, DisplayName: "Kees Vermeulen (administrator)", Email: "mosaic-admin@ncsc.example"},

		{Name: "lindeveld-stakeholder", Org: "lindeveld", Role: mosaic.StakeholderViewer, DisplayName: "Marloes Kramer", Email: "m.kramer@lindeveld.example"},
		{Name: "hanzebank-stakeholder", Org: "hanzebank", Role: mosaic.StakeholderViewer, DisplayName: "Bram Dekker", Email: "b.dekker@hanzebank.example"},
		{Name: "deltanet-stakeholder", Org: "deltanet", Role: mosaic.StakeholderViewer, DisplayName: "Yasmin Koster", Email: "y.koster@deltanet.example"},
		{Name: "aquanoord-stakeholder", Org: "aquanoord", Role: mosaic.StakeholderViewer, DisplayName: "Gerrit Postma", Email: "g.postma@aquanoord.example"},
		{Name: "poldertel-stakeholder", Org: "poldertel", Role: mosaic.StakeholderViewer, DisplayName: "Linda Verbeek", Email: "l.verbeek@poldertel.example"},
		{Name: "westhaven-stakeholder", Org: "westhaven", Role: mosaic.StakeholderViewer, DisplayName: "Hamid Bouzid", Email: "h.bouzid@westhaven.example"},
		{Name: "mindig-stakeholder", Org: "mindig", Role: mosaic.StakeholderViewer, DisplayName: "Charlotte van Leeuwen", Email: "c.vanleeuwen@mindig.example"},

		{Name: "ctivd-auditor", Org: "ctivd", Role: mosaic.Auditor, DisplayName: "Marieke Kok", Email: "m.kok@ctivd.example"},
		{Name: "ctivd-inspector", Org: "ctivd", Role: mosaic.Auditor, DisplayName: "Joost Willems", Email: "j.willems@ctivd.example", ContentGrant: true},
	}
}

// Compartment is a demo need-to-know group: partner organisations and named
// partner users (analysts or liaisons), each list sorted.
type Compartment struct {
	Name        string
	Description string
	Orgs        []string
	Users       []string
}

// Compartments returns the demo compartments. Each story that needs to keep
// something from the rest of the cell has one.
func Compartments() []Compartment {
	return []Compartment{
		{Name: "hacktivist-watch",
			Description: "RedSurge Collective DDoS campaign against the financial sector: criminal investigation and mitigation. An AIVD analyst is admitted for the influence-operation angle.",
			Orgs:        []string{"ncsc", "politie"}, Users: []string{"aivd-analyst"}},
		{Name: "op-glasshouse",
			Description: "Joint AIVD/MIVD operation on the state actor Copper Lantern and its intrusions through edge devices. One police analyst is admitted for a seized server.",
			Orgs:        []string{"aivd", "mivd"}, Users: []string{"politie-analyst"}},
		{Name: "ransomware-taskforce",
			Description: "Taskforce on the MarshLock ransomware campaign against healthcare: criminal investigation 26MARSH and victim support.",
			Orgs:        []string{"ncsc", "om", "politie"}},
	}
}
