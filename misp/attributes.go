package misp

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

// hashKeys maps MISP hash attribute types to the STIX hashes key misp-stix
// uses, in observables and patterns alike. sha512/224 and sha512/256 go to
// SHA-224 and SHA-256 as misp-stix maps them; the misp:type label keeps
// the original type, so FromSTIX restores it.
var hashKeys = map[string]string{
	"md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384",
	"sha512": "SHA-512", "sha512/224": "SHA-224", "sha512/256": "SHA-256",
	"sha3-224": "SHA3-224", "sha3-256": "SHA3-256", "sha3-384": "SHA3-384", "sha3-512": "SHA3-512",
	"ssdeep": "SSDEEP", "tlsh": "TLSH", "imphash": "IMPHASH", "authentihash": "AUTHENTIHASH",
	"pehash": "PEHASH", "vhash": "VHASH", "telfhash": "TELFHASH", "cdhash": "CDHASH", "impfuzzy": "IMPFUZZY",
}

// indicatorOnly are the attribute types misp-stix exports as an indicator
// when to_ids is set and as a custom object otherwise: they describe no
// observable object on their own.
var indicatorOnly = map[string]func(v string) (cmp, error){
	"port": func(v string) (cmp, error) {
		p, err := port(v)
		return cmp{"network-traffic:dst_port", p}, err
	},
	"size-in-bytes": func(v string) (cmp, error) {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return cmp{"file:size", n}, err
	},
	"http-method": func(v string) (cmp, error) {
		return cmp{"network-traffic:extensions.'http-request-ext'.request_method", v}, nil
	},
	"user-agent": func(v string) (cmp, error) {
		return cmp{"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'", v}, nil
	},
}

// ruleTypes are detection rules, exported as indicators in their own
// pattern language whatever to_ids says.
var ruleTypes = map[string]string{"yara": "yara", "sigma": "sigma", "snort": "snort", "suricata": "suricata"}

// attribute converts one attribute of the event (not of a MISP object).
func (c *converter) attribute(a *attribute) {
	u := normUUID(string(a.UUID))
	typ := string(a.Type)
	what := fmt.Sprintf("attribute %s (type: %s)", a.UUID, typ)
	ids := c.attributeObjects(a, u, what)
	if ids == nil {
		for _, s := range a.Sighting {
			c.skip(fmt.Sprintf("sighting %s of attribute %s", s.UUID, a.UUID), "its attribute was not converted")
		}
		for _, g := range a.Galaxy {
			for _, cl := range g.GalaxyCluster {
				c.skip(clusterWhat(&g, &cl), "its attribute was not converted")
			}
		}
		return
	}
	c.main[u] = ids
	c.mapped++
	c.attributeExtras(a, ids)
}

// attributeExtras converts the galaxies and sightings attached to an
// attribute or object that became the STIX objects ids.
func (c *converter) attributeExtras(a *attribute, ids []string) {
	for _, g := range a.Galaxy {
		for i := range g.GalaxyCluster {
			c.cluster(&g, &g.GalaxyCluster[i], ids)
		}
	}
	for i := range a.Sighting {
		c.sighting(&a.Sighting[i], a, ids)
	}
}

// attributeObjects builds and commits the STIX objects of one attribute
// and returns their ids, main object first, or nil after reporting why
// there are none.
func (c *converter) attributeObjects(a *attribute, u, what string) []string {
	typ := string(a.Type)
	if u == "" {
		c.skip(what, "it has no valid UUID, from which its STIX ids are made")
		return nil
	}
	value := string(a.Value)
	if strings.TrimSpace(value) == "" {
		c.skip(what, "its value is empty")
		return nil
	}
	ts := c.attrTime(a.Timestamp)
	tlp, tags := c.attributeTLP(a)
	labels := append([]string{fmt.Sprintf("misp:type=%q", typ), fmt.Sprintf("misp:category=%q", string(a.Category))}, tags...)
	sdo := func(stixType string) obj {
		return obj{"type": stixType, "spec_version": "2.1", "id": stixType + "--" + u,
			"created": stamp(ts), "modified": stamp(ts), "labels": toAny(labels)}
	}
	switch {
	case typ == "campaign-name":
		o := sdo("campaign")
		o["name"] = value
		if a.Comment != "" {
			o["description"] = string(a.Comment)
		}
		return c.commitIDs(what, tlp, o)
	case typ == "vulnerability":
		o := sdo("vulnerability")
		o["name"] = value
		if ref := vulnerabilityRef(value); ref != nil {
			o["external_references"] = []any{ref}
		}
		if a.Comment != "" {
			o["description"] = string(a.Comment)
		}
		return c.commitIDs(what, tlp, o)
	case typ == "comment" || typ == "text":
		// misp-stix exports these as custom x-misp-attribute objects.
		// Mosaic keeps free text as a STIX note on the event's report
		// instead: standard STIX that every consumer can read.
		o := sdo("note")
		o["content"] = value
		if a.Comment != "" {
			o["abstract"] = string(a.Comment)
		}
		o["object_refs"] = []any{c.reportID()}
		return c.commitIDs(what, tlp, o)
	case ruleTypes[typ] != "":
		o := c.indicator(a, u, ts, labels, value)
		o["pattern_type"] = ruleTypes[typ]
		delete(o, "pattern_version")
		return c.commitIDs(what, tlp, o)
	case indicatorOnly[typ] != nil:
		if !a.ToIDs {
			c.skip(what, "with to_ids unset misp-stix maps it to no STIX 2.1 object (only a custom x-misp-attribute object, which Mosaic does not import): it describes no observable on its own")
			return nil
		}
		m, err := indicatorOnly[typ](value)
		if err != nil {
			c.skip(what, "its value is not valid for the type: "+err.Error())
			return nil
		}
		return c.commitIDs(what, tlp, c.indicator(a, u, ts, labels, buildPattern([]cmp{m})))
	}
	scos, cmps, err := observable(typ, u, value, string(a.Data))
	if err != nil {
		c.skip(what, err.Error())
		return nil
	}
	od := c.observedData(a.FirstSeen, a.LastSeen, ts, u, labels, scos)
	objs := append([]obj{od}, scos...)
	ids := []string{od["id"].(string)}
	if a.ToIDs {
		ind := c.indicator(a, u, ts, labels, buildPattern(cmps))
		objs = append(objs, ind, relationship(ind["id"].(string), "based-on", od["id"].(string), ts))
		ids = append([]string{ind["id"].(string)}, ids...)
	}
	if !c.commitTLP(what, objs, tlp) {
		return nil
	}
	return ids
}

// attributeTLP returns the TLP an attribute is shared under and its other
// tags. Its own tlp tag wins over the event's, looser or stricter, as MISP
// reads it: Mosaic's MISP export writes the strictest TLP on the event and
// each attribute's own where it differs, which must import back unchanged.
func (c *converter) attributeTLP(a *attribute) (mosaic.TLP, []string) {
	tlp, tags := splitTags(a.Tag, galaxyTagNames(a.Galaxy))
	if tlp == "" {
		tlp = c.tlp
	}
	return tlp, tags
}

func (c *converter) commitIDs(what string, tlp mosaic.TLP, o obj) []string {
	if !c.commitTLP(what, []obj{o}, tlp) {
		return nil
	}
	return []string{o["id"].(string)}
}

// attrTime is an attribute's or object's timestamp, or the event's.
func (c *converter) attrTime(s text) time.Time {
	if t, ok := epoch(s); ok {
		return t
	}
	return c.ts
}

// indicator builds the indicator of an attribute or object with to_ids.
func (c *converter) indicator(a *attribute, u string, ts time.Time, labels []string, pat string) obj {
	o := obj{"type": "indicator", "spec_version": "2.1", "id": "indicator--" + u,
		"created": stamp(ts), "modified": stamp(ts), "labels": toAny(labels),
		"pattern": pat, "pattern_type": "stix", "pattern_version": "2.1",
		"kill_chain_phases": []any{obj{"kill_chain_name": "misp-category", "phase_name": string(a.Category)}}}
	if a.Category == "" {
		delete(o, "kill_chain_phases")
	}
	valid := ts
	if t, ok := isoTime(a.FirstSeen); ok {
		valid = t
	}
	o["valid_from"] = stamp(valid)
	if t, ok := isoTime(a.LastSeen); ok && t.After(valid) {
		o["valid_until"] = stamp(t)
	}
	if a.Comment != "" {
		o["description"] = string(a.Comment)
	}
	return o
}

// observedData wraps SCOs in the observed-data misp-stix writes for an
// attribute or object without to_ids (and beside the indicator of one
// with to_ids).
func (c *converter) observedData(first, last text, ts time.Time, u string, labels []string, scos []obj) obj {
	f, l := ts, ts
	if t, ok := isoTime(first); ok {
		f, l = t, t
	}
	if t, ok := isoTime(last); ok && !t.Before(f) {
		l = t
	}
	refs := make([]any, len(scos))
	for i, s := range scos {
		refs[i] = s["id"]
	}
	return obj{"type": "observed-data", "spec_version": "2.1", "id": "observed-data--" + u,
		"created": stamp(ts), "modified": stamp(ts), "labels": toAny(labels),
		"first_observed": stamp(f), "last_observed": stamp(l), "number_observed": 1, "object_refs": refs}
}

// sco starts a cyber-observable object whose id misp-stix derives from a
// MISP UUID.
func sco(typ, u string) obj {
	return obj{"type": typ, "spec_version": "2.1", "id": typ + "--" + u}
}

// ipSCO is an ipv4-addr or ipv6-addr for an address or CIDR block.
func ipSCO(u, v string) (obj, error) {
	v = strings.TrimSpace(v)
	addr := v
	if p, err := netip.ParsePrefix(v); err == nil {
		addr = p.Addr().String()
	} else if _, err := netip.ParseAddr(v); err != nil {
		return nil, fmt.Errorf("%q is not an IP address", v)
	}
	typ := "ipv4-addr"
	if a, _ := netip.ParseAddr(addr); a.Is6() && !a.Is4In6() {
		typ = "ipv6-addr"
	}
	o := sco(typ, u)
	o["value"] = v
	return o, nil
}

func port(v string) (int64, error) {
	p, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || p < 0 || p > 65535 {
		return 0, fmt.Errorf("%q is not a port number", v)
	}
	return p, nil
}

// split cuts a composite value (domain|ip, filename|md5, ...) at its "|".
func split(typ, v string) (string, string, error) {
	a, b, ok := strings.Cut(v, "|")
	if !ok || strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
		return "", "", fmt.Errorf("its value %q is not the two parts, joined by |, that a %s attribute has", truncate(v, 80), typ)
	}
	return strings.TrimSpace(a), strings.TrimSpace(b), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// observable builds the SCOs and the pattern comparisons of an attribute
// type that misp-stix exports as observed-data (and an indicator with
// to_ids), or an error naming why the value does not fit.
func observable(typ, u, v, data string) ([]obj, []cmp, error) {
	if k, ok := hashKeys[typ]; ok {
		f := sco("file", u)
		f["hashes"] = obj{k: v}
		return []obj{f}, []cmp{{"file:hashes." + comp(k), v}}, nil
	}
	if h, ok := strings.CutPrefix(typ, "filename|"); ok {
		if k, ok := hashKeys[h]; ok {
			name, hv, err := split(typ, v)
			if err != nil {
				return nil, nil, err
			}
			f := sco("file", u)
			f["name"], f["hashes"] = name, obj{k: hv}
			return []obj{f}, []cmp{{"file:name", name}, {"file:hashes." + comp(k), hv}}, nil
		}
	}
	switch typ {
	case "AS":
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "AS"), 10, 64)
		if err != nil || n < 0 {
			return nil, nil, fmt.Errorf("its value %q is not an AS number", truncate(v, 80))
		}
		o := sco("autonomous-system", u)
		o["number"] = n
		return []obj{o}, []cmp{{"autonomous-system:number", n}}, nil
	case "domain", "hostname":
		o := sco("domain-name", u)
		o["value"] = v
		return []obj{o}, []cmp{{"domain-name:value", v}}, nil
	case "domain|ip":
		d, ip, err := split(typ, v)
		if err != nil {
			return nil, nil, err
		}
		ipo, err := ipSCO(u, ip)
		if err != nil {
			return nil, nil, err
		}
		o := sco("domain-name", u)
		o["value"], o["resolves_to_refs"] = d, []any{ipo["id"]}
		return []obj{o, ipo}, []cmp{{"domain-name:value", d}, {"domain-name:resolves_to_refs[*].value", ip}}, nil
	case "hostname|port":
		h, p, err := split(typ, v)
		if err != nil {
			return nil, nil, err
		}
		pn, err := port(p)
		if err != nil {
			return nil, nil, err
		}
		d := sco("domain-name", u)
		d["value"] = h
		nt := sco("network-traffic", u)
		nt["dst_ref"], nt["dst_port"], nt["protocols"] = d["id"], pn, []any{"tcp"}
		// misp-stix writes [domain-name:value = ... AND network-traffic:dst_port = ...],
		// which no single object can satisfy (§9.5); the same meaning on
		// the network traffic alone is valid.
		return []obj{d, nt}, []cmp{{"network-traffic:dst_ref.type", "domain-name"}, {"network-traffic:dst_ref.value", h}, {"network-traffic:dst_port", pn}}, nil
	case "ip-src", "ip-dst", "ip-src|port", "ip-dst|port":
		side := "dst"
		if strings.HasPrefix(typ, "ip-src") {
			side = "src"
		}
		ip, p := v, ""
		if strings.HasSuffix(typ, "|port") {
			var err error
			if ip, p, err = split(typ, v); err != nil {
				return nil, nil, err
			}
		}
		ipo, err := ipSCO(u, ip)
		if err != nil {
			return nil, nil, err
		}
		nt := sco("network-traffic", u)
		nt[side+"_ref"], nt["protocols"] = ipo["id"], []any{"tcp"}
		cmps := []cmp{{"network-traffic:" + side + "_ref.type", ipo["type"]}, {"network-traffic:" + side + "_ref.value", ip}}
		if p != "" {
			pn, err := port(p)
			if err != nil {
				return nil, nil, err
			}
			nt[side+"_port"] = pn
			cmps = append(cmps, cmp{"network-traffic:" + side + "_port", pn})
		}
		return []obj{nt, ipo}, cmps, nil
	case "email":
		o := sco("email-addr", u)
		o["value"] = v
		return []obj{o}, []cmp{{"email-addr:value", v}}, nil
	case "email-src", "email-dst":
		addr := sco("email-addr", u)
		addr["value"] = v
		m := sco("email-message", u)
		m["is_multipart"] = false
		if typ == "email-src" {
			m["from_ref"] = addr["id"]
			return []obj{m, addr}, []cmp{{"email-message:from_ref.value", v}}, nil
		}
		m["to_refs"] = []any{addr["id"]}
		return []obj{m, addr}, []cmp{{"email-message:to_refs[*].value", v}}, nil
	case "email-subject", "email-body", "email-message-id", "email-header", "email-reply-to", "email-x-mailer":
		m := sco("email-message", u)
		m["is_multipart"] = false
		switch typ {
		case "email-subject":
			m["subject"] = v
			return []obj{m}, []cmp{{"email-message:subject", v}}, nil
		case "email-body":
			m["body"] = v
			return []obj{m}, []cmp{{"email-message:body", v}}, nil
		case "email-message-id":
			m["message_id"] = v
			return []obj{m}, []cmp{{"email-message:message_id", v}}, nil
		case "email-header":
			m["received_lines"] = []any{v}
			return []obj{m}, []cmp{{"email-message:received_lines[*]", v}}, nil
		case "email-reply-to":
			m["additional_header_fields"] = obj{"Reply-To": v}
			return []obj{m}, []cmp{{"email-message:additional_header_fields.'Reply-To'", v}}, nil
		default:
			m["additional_header_fields"] = obj{"X-Mailer": v}
			return []obj{m}, []cmp{{"email-message:additional_header_fields.'X-Mailer'", v}}, nil
		}
	case "email-attachment":
		f := sco("file", u)
		f["name"] = v
		m := sco("email-message", u)
		m["is_multipart"] = true
		m["body_multipart"] = []any{obj{"body_raw_ref": f["id"], "content_disposition": fmt.Sprintf("attachment; filename='%s'", v)}}
		return []obj{m, f}, []cmp{{"email-message:body_multipart[*].body_raw_ref.name", v}}, nil
	case "filename":
		f := sco("file", u)
		f["name"] = v
		return []obj{f}, []cmp{{"file:name", v}}, nil
	case "attachment":
		f := sco("file", u)
		f["name"] = v
		cmps := []cmp{{"file:name", v}}
		if payload, ok := base64Data(data); ok {
			art := sco("artifact", u)
			art["payload_bin"] = payload
			f["content_ref"] = art["id"]
			return []obj{f, art}, append(cmps, cmp{"file:content_ref.payload_bin", binary(payload)}), nil
		}
		return []obj{f}, cmps, nil
	case "malware-sample":
		name, md5, err := split(typ, v)
		if err != nil {
			return nil, nil, err
		}
		f := sco("file", u)
		f["name"], f["hashes"] = name, obj{"MD5": md5}
		cmps := []cmp{{"file:name", name}, {"file:hashes.MD5", md5}}
		if payload, ok := base64Data(data); ok {
			// MISP keeps samples as zip files encrypted with the password
			// "infected"; misp-stix says so on the artifact.
			art := sco("artifact", u)
			art["payload_bin"], art["mime_type"] = payload, "application/zip"
			art["encryption_algorithm"], art["decryption_key"] = "mime-type-indicated", "infected"
			f["content_ref"] = art["id"]
			return []obj{f, art}, append(cmps, cmp{"file:content_ref.payload_bin", binary(payload)},
				cmp{"file:content_ref.mime_type", "application/zip"},
				cmp{"file:content_ref.encryption_algorithm", "mime-type-indicated"},
				cmp{"file:content_ref.decryption_key", "infected"}), nil
		}
		return []obj{f}, cmps, nil
	case "github-username":
		o := sco("user-account", u)
		o["account_login"], o["account_type"] = v, "github"
		return []obj{o}, []cmp{{"user-account:account_type", "github"}, {"user-account:account_login", v}}, nil
	case "link", "url", "uri":
		o := sco("url", u)
		o["value"] = v
		return []obj{o}, []cmp{{"url:value", v}}, nil
	case "mac-address":
		o := sco("mac-addr", u)
		o["value"] = strings.ToLower(v)
		return []obj{o}, []cmp{{"mac-addr:value", strings.ToLower(v)}}, nil
	case "mutex":
		o := sco("mutex", u)
		o["name"] = v
		return []obj{o}, []cmp{{"mutex:name", v}}, nil
	case "regkey":
		v = fullHive(v)
		o := sco("windows-registry-key", u)
		o["key"] = v
		return []obj{o}, []cmp{{"windows-registry-key:key", v}}, nil
	case "regkey|value":
		k, d, err := split(typ, v)
		if err != nil {
			return nil, nil, err
		}
		k = fullHive(k)
		o := sco("windows-registry-key", u)
		o["key"], o["values"] = k, []any{obj{"data": d}}
		return []obj{o}, []cmp{{"windows-registry-key:key", k}, {"windows-registry-key:values[*].data", d}}, nil
	case "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256":
		k := hashKeys[strings.TrimPrefix(typ, "x509-fingerprint-")]
		h := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(v))
		o := sco("x509-certificate", u)
		o["hashes"] = obj{k: h}
		return []obj{o}, []cmp{{"x509-certificate:hashes." + comp(k), h}}, nil
	}
	return nil, nil, fmt.Errorf("misp-stix 2026.6.30 maps attribute type %q to no STIX 2.1 object (only to a custom x-misp-attribute object, which Mosaic does not import)", typ)
}

// base64Data returns an attachment's data when it is base64, as STIX
// binary properties need.
func base64Data(data string) (string, bool) {
	d := strings.Join(strings.Fields(data), "")
	if d == "" {
		return "", false
	}
	if _, err := base64.StdEncoding.DecodeString(d); err != nil {
		return "", false
	}
	return d, true
}

// hives are the abbreviations of registry hives that MISP values use and
// STIX forbids (§6.13: the key must begin with the hive in full).
var hives = map[string]string{"HKLM": "HKEY_LOCAL_MACHINE", "HKCU": "HKEY_CURRENT_USER", "HKCR": "HKEY_CLASSES_ROOT",
	"HKU": "HKEY_USERS", "HKCC": "HKEY_CURRENT_CONFIG"}

// fullHive writes a registry key's abbreviated hive in full.
func fullHive(k string) string {
	first, rest, _ := strings.Cut(k, `\`)
	if h, ok := hives[strings.ToUpper(first)]; ok {
		if rest == "" && !strings.Contains(k, `\`) {
			return h
		}
		return h + `\` + rest
	}
	return k
}

var cvePattern = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// vulnerabilityRef is the CVE external reference of a vulnerability name,
// or nil when it is no CVE id.
func vulnerabilityRef(v string) obj {
	v = strings.ToUpper(strings.TrimSpace(v))
	if !cvePattern.MatchString(v) {
		return nil
	}
	return obj{"source_name": "cve", "external_id": v}
}
