package misp

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// galaxySDO maps MISP galaxy types to the STIX object type misp-stix
// exports their clusters as (its documentation's "Galaxies to STIX 2.1
// mapping" summary, plus the stix-2.x-<type> galaxies it also knows).
var galaxySDO = func() map[string]string {
	m := map[string]string{"branded-vulnerability": "vulnerability"}
	add := func(sdo string, types ...string) {
		for _, t := range types {
			m[t] = sdo
		}
	}
	add("attack-pattern", "cmtmf-attack-pattern", "mitre-attack-pattern", "mitre-enterprise-attack-attack-pattern",
		"mitre-ics-techniques", "mitre-mobile-attack-attack-pattern", "mitre-pre-attack-attack-pattern")
	add("course-of-action", "mitre-course-of-action", "mitre-enterprise-attack-course-of-action", "mitre-mobile-attack-course-of-action")
	add("intrusion-set", "mitre-enterprise-attack-intrusion-set", "mitre-intrusion-set", "mitre-mobile-attack-intrusion-set", "mitre-pre-attack-intrusion-set")
	add("malware", "android", "backdoor", "banker", "cryptominers", "malpedia", "mitre-enterprise-attack-malware",
		"mitre-ics-software", "mitre-malware", "mitre-mobile-attack-malware", "ransomware", "stealer")
	add("threat-actor", "360net-threat-actor", "microsoft-activity-group", "mitre-ics-groups", "threat-actor")
	add("tool", "botnet", "exploit-kit", "mitre-enterprise-attack-tool", "mitre-mobile-attack-tool", "mitre-tool", "rat", "tds", "tool")
	for _, t := range []string{"attack-pattern", "campaign", "course-of-action", "intrusion-set", "malware", "threat-actor", "tool", "vulnerability"} {
		add(t, "stix-2.0-"+t, "stix-2.1-"+t)
	}
	return m
}()

// relationshipTypes is misp-stix's choice of relationship_type from the
// object an attribute became to a galaxy's object; other pairs are
// related-to.
var relationshipTypes = map[string]map[string]string{
	"indicator": {"attack-pattern": "indicates", "campaign": "indicates", "intrusion-set": "indicates",
		"malware": "indicates", "threat-actor": "indicates", "tool": "indicates"},
	"campaign": {"attack-pattern": "uses", "intrusion-set": "attributed-to", "malware": "uses",
		"threat-actor": "attributed-to", "tool": "uses", "vulnerability": "targets"},
}

func clusterWhat(g *galaxy, cl *cluster) string {
	return fmt.Sprintf("galaxy cluster %s (%s: %s)", cl.UUID, g.Type, cl.Value)
}

// cluster converts one galaxy cluster; from are the STIX ids of the
// attribute or object it is attached to, linked to it by relationships.
func (c *converter) cluster(g *galaxy, cl *cluster, from []string) {
	what := clusterWhat(g, cl)
	gt := string(g.Type)
	if gt == "" {
		gt = string(cl.Type)
	}
	sdoType, ok := galaxySDO[gt]
	if !ok {
		c.skip(what, fmt.Sprintf("misp-stix 2026.6.30 maps galaxy type %q to no STIX 2.1 object that Mosaic imports", gt))
		return
	}
	name := strings.TrimSpace(string(cl.Value))
	if name == "" {
		c.skip(what, "it has no value to name it by")
		return
	}
	u := c.clusterUUID(g, cl)
	ts := stamp(c.ts)
	o := obj{"type": sdoType, "spec_version": "2.1", "id": sdoType + "--" + u, "created": ts, "modified": ts,
		"labels": []any{fmt.Sprintf("misp:galaxy-name=%q", g.Name), fmt.Sprintf("misp:galaxy-type=%q", gt)}}
	meta := map[string]any{}
	for k, raw := range cl.Meta {
		var v any
		if json.Unmarshal(raw, &v) == nil && v != nil {
			meta[k] = v
		}
	}
	var refs []any
	if id, ok := firstString(meta["external_id"]); ok {
		// "APT16 - G0023" is the cluster APT16 with ATT&CK id G0023.
		name = strings.TrimSpace(strings.TrimSuffix(name, " - "+id))
		refs = append(refs, externalID(gt, id))
		delete(meta, "external_id")
	}
	o["name"] = name
	if d := strings.TrimSpace(string(cl.Description)); d != "" {
		o["description"] = d
	}
	for _, r := range strings2(meta["refs"]) {
		refs = append(refs, obj{"source_name": "url", "url": r})
	}
	delete(meta, "refs")
	if sdoType == "vulnerability" {
		for _, a := range strings2(meta["aliases"]) {
			if ref := vulnerabilityRef(a); ref != nil {
				refs = append(refs, ref)
			}
		}
		delete(meta, "aliases")
	}
	if len(refs) > 0 {
		o["external_references"] = refs
	}
	if syn := strings2(meta["synonyms"]); len(syn) > 0 && sdoType != "attack-pattern" && sdoType != "course-of-action" && sdoType != "vulnerability" {
		o["aliases"] = toAny(syn)
		delete(meta, "synonyms")
	}
	if kc := strings2(meta["kill_chain"]); len(kc) > 0 && (sdoType == "attack-pattern" || sdoType == "malware" || sdoType == "tool") {
		var phases []any
		for _, p := range kc {
			chain, phase, ok := strings.Cut(p, ":")
			if ok && chain != "" && phase != "" {
				phases = append(phases, obj{"kill_chain_name": chain, "phase_name": phase})
			}
		}
		if len(phases) > 0 {
			o["kill_chain_phases"] = phases
			delete(meta, "kill_chain")
		}
	}
	if sdoType == "malware" {
		o["is_family"] = false // as misp-stix writes galaxy malware
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if p := customProperty(k); p != "" {
			o[p] = meta[k]
		}
	}
	objs := []obj{o}
	for _, src := range from {
		srcType, _, _ := strings.Cut(src, "--")
		rt := relationshipTypes[srcType][sdoType]
		if rt == "" {
			rt = "related-to"
		}
		objs = append(objs, relationship(src, rt, o["id"].(string), c.ts))
	}
	if c.commit(what, objs) {
		c.mapped++
	}
}

// clusterUUID is the UUID a cluster's STIX id is made from: its own, or,
// when it has none or shares it with its galaxy or with clusters of other
// values (older MISP exports do both), one derived from its galaxy type
// and value, so that different clusters never share an id and the same
// cluster always gets the same one.
func (c *converter) clusterUUID(g *galaxy, cl *cluster) string {
	if c.clusterValues == nil {
		c.clusterValues = map[string]map[string]bool{}
		note := func(gs []galaxy) {
			for _, g := range gs {
				for _, cl := range g.GalaxyCluster {
					u := normUUID(string(cl.UUID))
					if c.clusterValues[u] == nil {
						c.clusterValues[u] = map[string]bool{}
					}
					c.clusterValues[u][string(g.Type)+"="+string(cl.Value)] = true
					if u == normUUID(string(g.UUID)) {
						c.clusterValues[u]["galaxy"] = true
					}
				}
			}
		}
		note(c.ev.Galaxy)
		for _, a := range c.ev.Attribute {
			note(a.Galaxy)
		}
		for _, o := range c.ev.Object {
			for _, a := range o.Attribute {
				note(a.Galaxy)
			}
		}
	}
	if u := normUUID(string(cl.UUID)); u != "" && len(c.clusterValues[u]) == 1 {
		return u
	}
	return uuid5(fmt.Sprintf("galaxy-cluster - %s - %s", g.Type, cl.Value))
}

// externalID is the external reference of a galaxy cluster's external_id.
func externalID(galaxyType, id string) obj {
	src := "mitre-attack"
	switch {
	case strings.HasPrefix(id, "CAPEC-"):
		src = "capec"
	case strings.HasPrefix(id, "CVE-"):
		src = "cve"
	case strings.HasPrefix(id, "CWE-"):
		src = "cwe"
	case !strings.HasPrefix(galaxyType, "mitre-"):
		src = galaxyType
	}
	return obj{"source_name": src, "external_id": id}
}

var propertyName = regexp.MustCompile(`[^a-z0-9_]+`)

// customProperty turns a MISP key into a valid STIX custom property name
// (§11.1: a-z, 0-9 and _, 3 to 250 characters). misp-stix writes
// x_misp_<key> and keeps hyphens, which STIX does not allow.
func customProperty(key string) string {
	p := "x_misp_" + strings.Trim(propertyName.ReplaceAllString(strings.ToLower(key), "_"), "_")
	if p == "x_misp_" || len(p) > 250 {
		return ""
	}
	// Names ending in _ref or _refs must hold STIX ids (§3.1).
	if strings.HasSuffix(p, "_ref") || strings.HasSuffix(p, "_refs") {
		p = strings.Replace(p, "_ref", "_reference", 1)
	}
	return p
}

func firstString(v any) (string, bool) {
	ss := strings2(v)
	if len(ss) == 0 {
		return "", false
	}
	return ss[0], true
}

// strings2 reads a galaxy meta value, a string or a list of strings.
func strings2(v any) []string {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) != "" {
			return []string{x}
		}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// sighting converts one sighting of an attribute that became the STIX
// objects ids: a sighting (MISP type 0) or, for a false positive (type
// 1), an opinion that strongly disagrees, as misp-stix does.
func (c *converter) sighting(s *sighting, a *attribute, ids []string) {
	what := fmt.Sprintf("sighting %s of attribute %s", s.UUID, a.UUID)
	u := normUUID(string(s.UUID))
	if u == "" {
		c.skip(what, "it has no valid UUID, from which its STIX id is made")
		return
	}
	ts := c.ts
	if t, ok := epoch(s.DateSighting); ok {
		ts = t
	}
	objs := c.sightingIdentity(s.Organisation)
	var who string
	if len(objs) > 0 {
		who = objs[0]["id"].(string)
	}
	switch strings.TrimSpace(string(s.Type)) {
	case "", "0":
		o := obj{"type": "sighting", "spec_version": "2.1", "id": "sighting--" + u, "created": stamp(ts), "modified": stamp(ts),
			"first_seen": stamp(ts), "last_seen": stamp(ts), "count": 1}
		var observed []any
		for _, id := range ids {
			if strings.HasPrefix(id, "observed-data--") && len(ids) > 1 {
				observed = append(observed, id)
			} else if _, ok := o["sighting_of_ref"]; !ok {
				o["sighting_of_ref"] = id
			}
		}
		if len(observed) > 0 {
			o["observed_data_refs"] = observed
		}
		if who != "" {
			o["where_sighted_refs"] = []any{who}
		}
		if s.Source != "" {
			o["description"] = string(s.Source)
		}
		if c.commit(what, append(objs, o)) {
			c.mapped++
		}
	case "1":
		o := obj{"type": "opinion", "spec_version": "2.1", "id": "opinion--" + u, "created": stamp(ts), "modified": stamp(ts),
			"opinion": "strongly-disagree", "explanation": "False positive Sighting", "object_refs": toAny(ids)}
		if s.Organisation != nil && s.Organisation.Name != "" {
			o["authors"] = []any{string(s.Organisation.Name)}
		}
		if c.commit(what, append(objs, o)) {
			c.mapped++
		}
	default:
		c.skip(what, fmt.Sprintf("MISP sighting type %s (expiration) has no STIX 2.1 equivalent in misp-stix", s.Type))
	}
}
