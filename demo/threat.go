package demo

import (
	"time"

	"mosaic"
)

// ThreatLevel is one setting of a sector's threat level in the demo: who
// set it, to what, why, and when in the stories.
type ThreatLevel struct {
	User   string // a partner analyst or liaison, who may set levels
	Sector string // of the STIX industry-sector vocabulary
	Level  mosaic.ThreatLevel
	Reason string
	At     time.Time
}

// ThreatLevels returns the cell's threat level settings for the sectors the
// stories hit, oldest first, as of now: each sector's level moves as its
// story unfolds, so that its page has a history. The demo command sets
// them through the content service, as the web UI's sector page does.
// Reasons say only what the whole cell may know: nothing of a compartment
// or of a TLP:RED note.
func ThreatLevels(now time.Time) []ThreatLevel {
	now = now.UTC().Truncate(time.Minute)
	ago := func(days, hours int) time.Time {
		return now.Add(-time.Duration(days)*24*time.Hour - time.Duration(hours)*time.Hour)
	}
	return []ThreatLevel{
		{"ncsc-analyst", "healthcare", mosaic.ThreatModerate,
			"TesselGate SSL-VPN, which many hospitals use for remote access, has a critical vulnerability with a public proof of concept. No compromise at a Dutch care institution is known.",
			ago(40, 6)},
		{"ncsc-analyst-2", "government-national", mosaic.ThreatSubstantial,
			"TesselGate exploitation succeeded on a test portal of the Ministry of Digital Affairs; the web shell was removed within hours. Other ministries run the same appliances.",
			ago(36, 1)},
		{"aivd-liaison", "government-national", mosaic.ThreatHigh,
			"The AIVD has indications that a state actor exploits the TesselGate vulnerability against central government and keeps access through web shells. Treat a compromise as potential espionage and call the AIVD liaison desk before remediating.",
			ago(34, 1)},
		{"ncsc-analyst-2", "energy", mosaic.ThreatSubstantial,
			"GateShell found on a TesselGate appliance in Deltanet's office network; no sign of access to grid control systems. Grid operators are hunting on their own appliances.",
			ago(25, 4)},
		{"ncsc-analyst", "healthcare", mosaic.ThreatHigh,
			"Ward Sweep: MarshLock ransomware encrypted the systems of Lindeveld Hospital Group; emergency care diverted for 36 hours. Entry through a supplier's VPN account without multi-factor authentication, and other hospitals use the same supplier.",
			ago(22, 2)},
		{"ncsc-liaison", "healthcare", mosaic.ThreatCritical,
			"A second hospital, St. Aldegonde, hit by MarshLock the same way. The affiliates keep going: every care institution must enforce multi-factor authentication on all remote access now.",
			ago(13, 1)},
		{"ncsc-analyst-2", "energy", mosaic.ThreatModerate,
			"The other grid operators' hunts found no further compromise and their appliances are patched. Exploit attempts go on, and are blocked.",
			ago(10, 3)},
		{"ncsc-analyst", "financial-services", mosaic.ThreatSubstantial,
			"RedSurge Collective announced DDoS attacks on Dutch banks; Hanzebank's online banking was down for about 40 minutes. Waves follow about an hour after each announcement on the group's channel.",
			ago(5, 3)},
		{"ncsc-analyst-2", "financial-services", mosaic.ThreatHigh,
			"A second bank, Zuiderbank, unavailable for two hours; RedSurge names more banks and payment processors. Keep scrubbing ready and rate-limit login pages.",
			ago(3, 5)},
		{"ncsc-analyst", "financial-services", mosaic.ThreatHigh,
			"A payment processor hit: card payments in web shops failed for 25 minutes. Scrubbing held against the second, larger wave on Hanzebank.",
			ago(0, 6)},
		{"ncsc-analyst-2", "healthcare", mosaic.ThreatCritical,
			"Five care institutions hit in three weeks; today's attack at Oostervaart Medical Centre was stopped before encryption. A MarshLock build for VMware ESXi is in use.",
			ago(0, 3)},
	}
}
