// Package demo holds the data of the demo installation: the organisations of
// a fictional Dutch cyber intel/info cell (five partners, vital-sector
// stakeholders and an oversight body), their users and compartments, and a
// STIX 2.1 data set that tells four coherent stories:
//
//  1. "Ward Sweep": the MarshLock ransomware campaign against hospitals, worked
//     by NCSC, police and prosecution (partly in the ransomware-taskforce
//     compartment).
//  2. Mass exploitation of a fictional TesselGate SSL-VPN vulnerability, shared
//     cell-wide by the NCSC, with incidents in several vital sectors.
//  3. "Operation Bankrun": a hacktivist DDoS campaign against banks, worked by
//     police and NCSC.
//  4. "Copper Lantern": a state actor's intrusion set, worked by the two
//     intelligence services in the op-glasshouse compartment.
//
// A low-volume NCSC feed of phishing indicators fills in the last two weeks.
//
// The cell's threat level per sector follows the stories, with a history of
// changes (ThreatLevels).
//
// Releases lists what the cell releases of the stories to the stakeholders:
// drafts, consents (one sanitised), publications, receipts, sightings and a
// withdrawal, with advice in plain language.
//
// The package only produces data; the demo command creates the organisations,
// users and compartments through the store, posts each Batch through the
// normal ingest path as its user, sets each ThreatLevel through the content
// service as its user, as the web UI does, and makes each Release through
// the content service as its users would. Everything here is fictional:
// addresses come from the documentation ranges, domains end in .example,
// .test or .invalid, and hashes are derived from names.
package demo
