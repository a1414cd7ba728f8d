// Package misp converts MISP events to STIX 2.1 and back.
//
// The mapping follows the misp-stix project's documented MISP-to-STIX 2.1
// mapping (github.com/MISP/misp-stix, documentation/ and
// documentation/mapping/*_to_stix21*.json) at version 2026.6.30, commit
// 713ae7b0f1dfc7f590d14ef7caf5bf3610672220. Its JSON mapping examples are
// in testdata/misp-stix and the tests check this package against them.
// In short:
//
//   - the event becomes a report (report--<event uuid>) referring to every
//     object, its Orgc an identity (identity--<org uuid>) that every object
//     names as created_by_ref;
//   - an attribute of a type misp-stix maps to observables becomes an
//     observed-data (observed-data--<attribute uuid>) with its SCOs
//     (<sco type>--<attribute uuid>), and, when to_ids is set, also an
//     indicator (indicator--<attribute uuid>) with a STIX pattern and a
//     based-on relationship to the observed-data, as misp-stix writes it
//     since it exports both; created and modified are the attribute's
//     timestamp, valid_from its first_seen or timestamp;
//   - composite types (domain|ip, ip-dst|port, filename|<hash>,
//     regkey|value, malware-sample, ...) give the SCOs and patterns the
//     mapping documents; campaign-name and vulnerability give campaign and
//     vulnerability objects; yara, sigma, snort and suricata give
//     indicators in those pattern languages; port, size-in-bytes,
//     http-method and user-agent give an indicator with to_ids and nothing
//     otherwise;
//   - a MISP object becomes one observed-data (observed-data--<object
//     uuid>) whose main SCO has the object's UUID, with an indicator when
//     any of its attributes has to_ids (its pattern compares the to_ids
//     attributes), for the templates of the mapping that describe
//     observables (file with its pe and pe-sections, domain-ip, ip-port,
//     network-connection, network-socket, netflow, http-request, url,
//     email, x509, asn, mutex, registry-key, directory, artifact, process,
//     user-account, credential, the social-network accounts, android-app,
//     cpe-asset, hashlookup); vulnerability, attack-pattern,
//     course-of-action, intrusion-set, identity templates (organization,
//     person, employee, legal-entity, news-agency, identity), geolocation
//     and rule templates (yara, sigma, suricata) become the SDOs the
//     mapping names. Relations the mapping has no property for become
//     x_misp_<relation> properties, as in misp-stix; object references
//     become relationships;
//   - galaxy clusters become attack-pattern, course-of-action,
//     intrusion-set, malware, threat-actor, tool or vulnerability objects
//     (<type>--<cluster uuid>), linked by relationships to the objects of
//     the attribute they are attached to;
//   - sightings become sightings (false positives opinions), referring
//     to the attribute's indicator, else its main object;
//   - tlp:* tags become the TLP 2.0 marking (tlp:white is TLP:CLEAR) in
//     object_marking_refs of every object of the event: an attribute's own
//     tlp tag wins over the event's, looser or stricter, as MISP reads
//     them; an attribute without one takes the event's (the strictest if
//     it has several), and a MISP object the strictest of its attributes';
//     other tags become labels, except the misp-galaxy tags of clusters the
//     event carries.
//
// Where Mosaic departs from misp-stix, and why:
//
//   - misp-stix exports what it cannot map to standard STIX as custom
//     objects (x-misp-attribute, x-misp-object, x-misp-galaxy-cluster).
//     Mosaic does not import those: other STIX consumers ignore them and
//     Mosaic cannot search, correlate or release them. They are reported
//     in Convert.Skipped instead, with the reason. comment and text
//     attributes, free text that a STIX note holds well, become notes on
//     the report.
//   - misp-stix writes an unpublished event as a grouping; Mosaic always
//     writes a report (published at the event's timestamp when the event
//     is not published), since the event is the report of its source.
//   - misp-stix marks tlp:white, green, amber and red with TLP 1.0
//     markings and only on the report; Mosaic uses TLP 2.0 on every
//     object, since Mosaic decides access per object.
//   - Patterns compare integers as integers (dst_port = 443, not '443'),
//     quote header names as STIX names them ('Reply-To'), and never join
//     comparisons on different object types inside one observation
//     (misp-stix's hostname|port pattern does, which §9.5 forbids); such a
//     pattern is written on the network traffic alone.
//   - Galaxy clusters without a usable UUID (missing, or shared with their
//     galaxy or with other clusters, as older MISP exports have them) get
//     one derived from their galaxy type and value; custom property names
//     are made valid STIX names (x_misp_cfr_type_of_incident rather than
//     x_misp_cfr-type-of-incident).
//
// Every object ToSTIX returns has passed stix.DecodeObject and every STIX
// pattern pattern.Parse; the parts of the event whose objects would not
// (an invalid IP address, a relative URL, a malformed hash) are reported
// as skipped, whole: an attribute's objects are added all or none. A MISP
// object is the exception: an attribute of it whose value does not convert
// or would make the STIX invalid (an ssdeep hash with a line break) is left
// out and reported as skipped, and the object converted with the others.
//
// FromSTIX and Events go the other way, after misp-stix's STIX-to-MISP
// mapping for what ToSTIX writes; Events makes the MISP event JSON of
// `mosaic export --format misp` (one event per report), with each
// attribute's TLP, and names every STIX object it has no place for. What
// ToSTIX made of a MISP event converts back to an event that ToSTIX
// converts to the same objects, so that Mosaic's own MISP export imports
// back unchanged: the report's order, a published event's time, the
// galaxy clusters of each attribute, and the MISP objects of the
// observable templates (rebuilt from their template and kept only when
// ToSTIX gives back the same objects; see rebuildObject).
package misp
