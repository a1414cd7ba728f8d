package misp

import (
	"fmt"
	"strconv"
	"strings"

	"mosaic"
)

// field maps one object_relation of a MISP object template to a property
// of the STIX object it becomes, as misp-stix's mapping does.
type field struct {
	rel  string // object_relation
	path string // dotted property path in the STIX object; "hashes" takes the key from the attribute type
	kind byte   // 's' string, 'i' integer, 'f' number, 't' timestamp, 'b' boolean, 'l' list of strings
}

// scoTemplate describes a MISP object template that misp-stix exports as
// one main SCO (in observed-data, with an indicator when an attribute has
// to_ids). Relations it does not list become x_misp_<relation> properties.
type scoTemplate struct {
	typ    string
	fields []field
	fixed  map[string]string // constant properties, also compared in the pattern (account_type)
}

func accountTemplate(platform string, fields ...field) scoTemplate {
	return scoTemplate{typ: "user-account", fields: fields, fixed: map[string]string{"account_type": platform}}
}

var scoTemplates = map[string]scoTemplate{
	"mutex": {typ: "mutex", fields: []field{{"name", "name", 's'}}},
	"asn":   {typ: "autonomous-system", fields: []field{{"asn", "number", 'i'}, {"description", "name", 's'}}},
	"directory": {typ: "directory", fields: []field{{"path", "path", 's'}, {"path-encoding", "path_enc", 's'},
		{"creation-time", "ctime", 't'}, {"modification-time", "mtime", 't'}, {"access-time", "atime", 't'}}},
	"url": {typ: "url", fields: []field{{"url", "value", 's'}}},
	"x509": {typ: "x509-certificate", fields: []field{
		{"x509-fingerprint-md5", "hashes", 's'}, {"x509-fingerprint-sha1", "hashes", 's'}, {"x509-fingerprint-sha256", "hashes", 's'},
		{"issuer", "issuer", 's'}, {"subject", "subject", 's'}, {"serial-number", "serial_number", 's'}, {"version", "version", 's'},
		{"validity-not-before", "validity_not_before", 't'}, {"validity-not-after", "validity_not_after", 't'},
		{"pubkey-info-algorithm", "subject_public_key_algorithm", 's'}, {"pubkey-info-exponent", "subject_public_key_exponent", 'i'},
		{"pubkey-info-modulus", "subject_public_key_modulus", 's'}, {"self_signed", "is_self_signed", 'b'}}},
	"credential": {typ: "user-account", fields: []field{{"username", "user_id", 's'}, {"password", "credential", 's'}}},
	"user-account": {typ: "user-account", fields: []field{{"username", "account_login", 's'}, {"user-id", "user_id", 's'},
		{"display-name", "display_name", 's'}, {"account-type", "account_type", 's'}, {"password", "credential", 's'},
		{"disabled", "is_disabled", 'b'}, {"privileged", "is_privileged", 'b'}, {"can_escalate_privs", "can_escalate_privs", 'b'},
		{"is_service_account", "is_service_account", 'b'},
		{"created", "account_created", 't'}, {"expires", "account_expires", 't'}, {"first_login", "account_first_login", 't'},
		{"last_login", "account_last_login", 't'}, {"password_last_changed", "credential_last_changed", 't'},
		{"group", "extensions.unix-account-ext.groups", 'l'}, {"group-id", "extensions.unix-account-ext.gid", 'i'},
		{"home_dir", "extensions.unix-account-ext.home_dir", 's'}, {"shell", "extensions.unix-account-ext.shell", 's'}}},
	"facebook-account": accountTemplate("facebook", field{"account-id", "user_id", 's'}, field{"account-name", "account_login", 's'}),
	"github-user": accountTemplate("github", field{"id", "user_id", 's'}, field{"username", "account_login", 's'},
		field{"user-fullname", "display_name", 's'}),
	"gitlab-user": accountTemplate("gitlab", field{"id", "user_id", 's'}, field{"username", "account_login", 's'},
		field{"name", "display_name", 's'}),
	"parler-account":   accountTemplate("parler", field{"account-id", "user_id", 's'}, field{"account-name", "account_login", 's'}),
	"reddit-account":   accountTemplate("reddit", field{"account-id", "user_id", 's'}, field{"account-name", "account_login", 's'}),
	"telegram-account": accountTemplate("telegram", field{"id", "user_id", 's'}, field{"username", "account_login", 's'}),
	"twitter-account": accountTemplate("twitter", field{"id", "user_id", 's'}, field{"name", "account_login", 's'},
		field{"displayed-name", "display_name", 's'}),
	"android-app": {typ: "software", fields: []field{{"name", "name", 's'}}},
	"cpe-asset": {typ: "software", fields: []field{{"cpe", "cpe", 's'}, {"product", "name", 's'}, {"vendor", "vendor", 's'},
		{"version", "version", 's'}, {"language", "languages", 'g'}}},
	"artifact": {typ: "artifact", fields: []field{{"md5", "hashes", 's'}, {"sha1", "hashes", 's'}, {"sha256", "hashes", 's'},
		{"sha512", "hashes", 's'}, {"mime_type", "mime_type", 's'}, {"url", "url", 's'},
		{"encryption_algorithm", "encryption_algorithm", 's'}, {"decryption_key", "decryption_key", 's'}}},
	"hashlookup": {typ: "file", fields: []field{{"FileName", "name", 's'}, {"FileSize", "size", 'i'}, {"MD5", "hashes", 's'},
		{"SHA-1", "hashes", 's'}, {"SHA-256", "hashes", 's'}, {"SHA-512", "hashes", 's'}, {"SSDEEP", "hashes", 's'}, {"TLSH", "hashes", 's'}}},
	"registry-key": {typ: "windows-registry-key", fields: []field{{"key", "key", 'k'}, {"last-modified", "modified_time", 't'}}},
	"file": {typ: "file", fields: []field{{"filename", "name", 's'}, {"size-in-bytes", "size", 'i'}, {"file-encoding", "name_enc", 's'},
		{"mimetype", "mime_type", 's'}, {"creation-time", "ctime", 't'}, {"modification-time", "mtime", 't'}, {"access-time", "atime", 't'}}},
	"ip-port":            {typ: "network-traffic", fields: []field{{"first-seen", "start", 't'}, {"last-seen", "end", 't'}, {"dst-port", "dst_port", 'i'}, {"src-port", "src_port", 'i'}}},
	"network-connection": {typ: "network-traffic", fields: []field{{"dst-port", "dst_port", 'i'}, {"src-port", "src_port", 'i'}, {"first-packet-seen", "start", 't'}}},
	"network-socket":     {typ: "network-traffic", fields: []field{{"dst-port", "dst_port", 'i'}, {"src-port", "src_port", 'i'}}},
	"netflow":            {typ: "network-traffic", fields: []field{{"dst-port", "dst_port", 'i'}, {"src-port", "src_port", 'i'}, {"first-packet-seen", "start", 't'}}},
	"http-request":       {typ: "network-traffic"},
	"domain-ip":          {typ: "domain-name", fields: []field{{"domain", "value", 's'}}},
	"email":              {typ: "email-message"},
	"process": {typ: "process", fields: []field{{"pid", "pid", 'i'}, {"command-line", "command_line", 's'},
		{"current-directory", "cwd", 's'}, {"hidden", "is_hidden", 'b'}, {"creation-time", "created_time", 't'}}},
}

// objBuilder builds the STIX objects of one MISP object.
type objBuilder struct {
	c    *converter
	o    *object
	u    string
	main obj
	typ  string
	scos []obj
	cmps []cmp
	used []bool
	errs []string // the values that did not convert, first first
}

func (b *objBuilder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Sprintf(format, args...))
}

// convertValue reads a MISP value as the kind of a STIX property.
func convertValue(kind byte, v string) (any, error) {
	v = strings.TrimSpace(v)
	switch kind {
	case 'i':
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.ToUpper(v), "AS"), 0, 64)
		if err != nil || n < -(1<<53-1) || n > 1<<53-1 {
			return nil, fmt.Errorf("%q is not an integer", truncate(v, 40))
		}
		return n, nil
	case 'f':
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", truncate(v, 40))
		}
		return f, nil
	case 't':
		if t, ok := isoTime(text(v)); ok {
			return stamp(t), nil
		}
		if t, ok := epoch(text(v)); ok {
			return stamp(t), nil
		}
		return nil, fmt.Errorf("%q is not a time", truncate(v, 40))
	case 'k':
		return fullHive(v), nil
	case 'g':
		// STIX wants RFC 5646 language codes: MISP's "ENG" is "eng".
		return strings.ToLower(v), nil
	case 'b':
		switch strings.ToLower(v) {
		case "1", "true", "yes":
			return true, nil
		case "0", "false", "no":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", truncate(v, 40))
	}
	return v, nil
}

// set stores v at the dotted path of o, making the dictionaries on the way;
// list kinds append.
func set(o obj, path string, v any, list bool) {
	parts := splitPath(path)
	for _, p := range parts[:len(parts)-1] {
		next, ok := o[p].(obj)
		if !ok {
			next = obj{}
			o[p] = next
		}
		o = next
	}
	last := parts[len(parts)-1]
	if list {
		l, _ := o[last].([]any)
		o[last] = append(l, v)
		return
	}
	if _, ok := o[last]; !ok {
		o[last] = v
	}
}

// splitPath cuts a dotted path; extension names keep their hyphens.
func splitPath(p string) []string { return strings.Split(p, ".") }

// patternPath is the pattern form of a dotted property path.
func patternPath(typ, path string) string {
	parts := splitPath(path)
	for i, p := range parts {
		parts[i] = comp(p)
	}
	return typ + ":" + strings.Join(parts, ".")
}

// apply maps the template's fields onto the main object.
func (b *objBuilder) apply(fields []field) {
	for _, f := range fields {
		for i := range b.o.Attribute {
			a := &b.o.Attribute[i]
			if b.used[i] || string(a.ObjectRelation) != f.rel {
				continue
			}
			b.used[i] = true
			path := f.path
			val := string(a.Value)
			if path == "hashes" {
				t := string(a.Type)
				t = strings.TrimPrefix(t, "x509-fingerprint-")
				k, ok := hashKeys[t]
				if !ok {
					k, ok = hashKeys[strings.ToLower(strings.ReplaceAll(f.rel, "-", ""))]
				}
				if !ok {
					b.used[i] = false
					continue
				}
				path = "hashes." + k
			}
			v, err := convertValue(f.kind, val)
			if err != nil {
				b.fail("its %s %v", f.rel, err)
				continue
			}
			set(b.main, path, v, f.kind == 'l' || f.kind == 'g')
			if a.ToIDs {
				pp := patternPath(b.typ, path)
				if f.kind == 'l' || f.kind == 'g' {
					pp += "[*]"
				}
				b.cmps = append(b.cmps, cmp{pp, v})
			}
		}
	}
}

// rest turns the relations no mapping used into x_misp_<relation>
// properties of the main object, as misp-stix does, so that nothing of
// the object is lost.
func (b *objBuilder) rest(target obj, typ string) {
	for i := range b.o.Attribute {
		if b.used[i] {
			continue
		}
		a := &b.o.Attribute[i]
		b.used[i] = true
		p := customProperty(string(a.ObjectRelation))
		if p == "" {
			p = customProperty(string(a.Type))
		}
		if p == "" {
			continue
		}
		var v any = string(a.Value)
		if d, ok := base64Data(string(a.Data)); ok {
			v = obj{"value": string(a.Value), "data": d}
		}
		switch prev := target[p].(type) {
		case nil:
			target[p] = v
		case []any:
			target[p] = append(prev, v)
		default:
			target[p] = []any{prev, v}
		}
		if a.ToIDs && typ != "" {
			if s, ok := v.(string); ok {
				b.cmps = append(b.cmps, cmp{typ + ":" + p, s})
			}
		}
	}
}

// attr returns the attributes with one of the relations, marking them used.
func (b *objBuilder) attr(rels ...string) []*attribute {
	var out []*attribute
	for i := range b.o.Attribute {
		a := &b.o.Attribute[i]
		for _, r := range rels {
			if !b.used[i] && string(a.ObjectRelation) == r {
				b.used[i] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// ipRef adds an address SCO (id from the attribute UUID, as misp-stix)
// and returns its id.
func (b *objBuilder) ipRef(a *attribute) (obj, bool) {
	u := normUUID(string(a.UUID))
	if u == "" {
		u = uuid5(b.u + " - " + string(a.ObjectRelation) + " - " + string(a.Value))
	}
	ip, err := ipSCO(u, string(a.Value))
	if err != nil {
		b.fail("its %s %v", a.ObjectRelation, err)
		return nil, false
	}
	b.scos = append(b.scos, ip)
	return ip, true
}

func attrUUID(b *objBuilder, a *attribute) string {
	if u := normUUID(string(a.UUID)); u != "" {
		return u
	}
	return uuid5(b.u + " - " + string(a.ObjectRelation) + " - " + string(a.Value))
}

// special handles the parts of the observable templates that need more
// than a field list: references to other SCOs, lists and extensions.
func (b *objBuilder) special(name string, parts []*object) {
	switch name {
	case "domain-ip":
		var ips []any
		for _, a := range b.attr("ip", "ip-dst", "ip-src") {
			if ip, ok := b.ipRef(a); ok {
				ips = append(ips, ip["id"])
				if a.ToIDs {
					b.cmps = append(b.cmps, cmp{"domain-name:resolves_to_refs[*].value", string(a.Value)})
				}
			}
		}
		// Further domains are SCOs of their own that resolve to the same
		// addresses (misp-stix's "perfect domain & ip matching").
		for _, a := range b.attr("domain", "hostname") {
			d := sco("domain-name", attrUUID(b, a))
			d["value"] = string(a.Value)
			if len(ips) > 0 {
				d["resolves_to_refs"] = ips
			}
			b.scos = append(b.scos, d)
			if a.ToIDs {
				b.cmps = append(b.cmps, cmp{"domain-name:value", string(a.Value)})
			}
		}
		if len(ips) > 0 {
			b.main["resolves_to_refs"] = ips
		}
	case "ip-port", "network-connection", "network-socket", "netflow", "http-request":
		for _, side := range []string{"src", "dst"} {
			rels := []string{"ip-" + side}
			if side == "dst" && name == "ip-port" {
				rels = append(rels, "ip")
			}
			for _, a := range b.attr(rels...) {
				if _, ok := b.main[side+"_ref"]; ok {
					b.used[indexOf(b.o, a)] = false
					continue
				}
				if ip, ok := b.ipRef(a); ok {
					b.main[side+"_ref"] = ip["id"]
					if a.ToIDs {
						b.cmps = append(b.cmps, cmp{"network-traffic:" + side + "_ref.type", ip["type"]},
							cmp{"network-traffic:" + side + "_ref.value", string(a.Value)})
					}
				}
			}
		}
		var protocols []any
		for _, a := range b.attr("layer3-protocol", "layer4-protocol", "layer7-protocol", "protocol") {
			protocols = append(protocols, strings.ToLower(strings.TrimSpace(string(a.Value))))
		}
		if name == "http-request" {
			protocols = []any{"tcp", "http"}
			ext := obj{}
			for _, a := range b.attr("method") {
				ext["request_method"] = string(a.Value)
			}
			for _, a := range b.attr("uri") {
				ext["request_value"] = string(a.Value)
				if a.ToIDs {
					b.cmps = append(b.cmps, cmp{"network-traffic:extensions.'http-request-ext'.request_value", string(a.Value)})
				}
			}
			hdr := obj{}
			for _, a := range b.attr("user-agent") {
				hdr["User-Agent"] = []any{string(a.Value)}
			}
			for _, a := range b.attr("content-type") {
				hdr["Content-Type"] = []any{string(a.Value)}
			}
			if len(hdr) > 0 {
				ext["request_header"] = hdr
			}
			if ext["request_method"] != nil && ext["request_value"] != nil {
				b.main["extensions"] = obj{"http-request-ext": ext}
			} else {
				for k, v := range ext {
					if k == "request_header" {
						continue
					}
					b.main["x_misp_"+k] = v
				}
			}
		}
		if name == "network-socket" {
			ext := obj{}
			for _, a := range b.attr("address-family") {
				if strings.HasPrefix(string(a.Value), "AF_") {
					ext["address_family"] = string(a.Value)
				} else {
					b.used[indexOf(b.o, a)] = false
				}
			}
			for _, a := range b.attr("socket-type") {
				if strings.HasPrefix(string(a.Value), "SOCK_") {
					ext["socket_type"] = string(a.Value)
				} else {
					b.used[indexOf(b.o, a)] = false
				}
			}
			for _, a := range b.attr("state") {
				if a.Value == "listening" {
					ext["is_listening"] = true
				} else {
					b.used[indexOf(b.o, a)] = false
				}
			}
			if ext["address_family"] != nil {
				b.main["extensions"] = obj{"socket-ext": ext}
			} else {
				for k, v := range ext {
					b.main["x_misp_"+k] = v
				}
			}
		}
		if len(protocols) == 0 {
			protocols = []any{"tcp"}
			if name == "ip-port" {
				protocols = []any{"ipv4"}
			}
		}
		b.main["protocols"] = protocols
	case "email":
		b.email()
	case "file":
		b.file(parts)
	case "process":
		if as := b.attr("image"); len(as) > 0 {
			f := sco("file", attrUUID(b, as[0]))
			f["name"] = string(as[0].Value)
			b.scos = append(b.scos, f)
			b.main["image_ref"] = f["id"]
			if as[0].ToIDs {
				b.cmps = append(b.cmps, cmp{"process:image_ref.name", string(as[0].Value)})
			}
		}
		if as := b.attr("parent-pid"); len(as) > 0 {
			p := sco("process", attrUUID(b, as[0]))
			if v, err := convertValue('i', string(as[0].Value)); err == nil {
				p["pid"] = v
				b.scos = append(b.scos, p)
				b.main["parent_ref"] = p["id"]
			} else {
				b.fail("its parent-pid %v", err)
			}
		}
		var children []any
		for _, a := range b.attr("child-pid") {
			p := sco("process", attrUUID(b, a))
			if v, err := convertValue('i', string(a.Value)); err == nil {
				p["pid"] = v
				b.scos = append(b.scos, p)
				children = append(children, p["id"])
			} else {
				b.fail("its child-pid %v", err)
			}
		}
		if len(children) > 0 {
			b.main["child_refs"] = children
		}
	case "registry-key":
		value := obj{}
		for _, r := range []struct{ rel, prop string }{{"name", "name"}, {"data", "data"}, {"data-type", "data_type"}} {
			for _, a := range b.attr(r.rel) {
				value[r.prop] = string(a.Value)
				if a.ToIDs {
					b.cmps = append(b.cmps, cmp{"windows-registry-key:values[*]." + r.prop, string(a.Value)})
				}
			}
		}
		if len(value) > 0 {
			b.main["values"] = []any{value}
		}
	case "artifact":
		for _, a := range b.attr("payload_bin") {
			if d, ok := base64Data(string(a.Data)); ok {
				b.main["payload_bin"] = d
			} else {
				b.used[indexOf(b.o, a)] = false
			}
		}
	}
}

func indexOf(o *object, a *attribute) int {
	for i := range o.Attribute {
		if &o.Attribute[i] == a {
			return i
		}
	}
	return -1
}

// email maps the email template: addresses become email-addr SCOs (ids
// from their attributes), attachments file SCOs in body_multipart, and the
// pattern names them by position, as misp-stix does.
func (b *objBuilder) email() {
	b.main["is_multipart"] = false
	addr := func(rel, prop string, list bool) {
		names := b.attr(rel + "-display-name")
		for i, a := range b.attr(rel) {
			e := sco("email-addr", attrUUID(b, a))
			e["value"] = string(a.Value)
			if i < len(names) {
				e["display_name"] = string(names[i].Value)
			}
			b.scos = append(b.scos, e)
			path := "email-message:" + prop + ".value"
			if list {
				l, _ := b.main[prop].([]any)
				b.main[prop] = append(l, e["id"])
				path = fmt.Sprintf("email-message:%s[%d].value", prop, len(l))
			} else if _, ok := b.main[prop]; ok {
				b.used[indexOf(b.o, a)] = false
				continue
			} else {
				b.main[prop] = e["id"]
			}
			if a.ToIDs {
				b.cmps = append(b.cmps, cmp{path, string(a.Value)})
			}
		}
		for i := len(b.attr(rel)); i < len(names); i++ {
			b.used[indexOf(b.o, names[i])] = false
		}
	}
	addr("from", "from_ref", false)
	addr("to", "to_refs", true)
	addr("cc", "cc_refs", true)
	addr("bcc", "bcc_refs", true)
	simple := []struct{ rel, path string }{{"subject", "subject"}, {"message-id", "message_id"}, {"email-body", "body"},
		{"reply-to", "additional_header_fields.Reply-To"}, {"x-mailer", "additional_header_fields.X-Mailer"}}
	for _, s := range simple {
		for _, a := range b.attr(s.rel) {
			if s.path == "body" && b.main["body"] != nil {
				b.used[indexOf(b.o, a)] = false
				continue
			}
			set(b.main, s.path, string(a.Value), false)
			if a.ToIDs {
				b.cmps = append(b.cmps, cmp{patternPath("email-message", s.path), string(a.Value)})
			}
		}
	}
	for _, a := range b.attr("send-date") {
		if v, err := convertValue('t', string(a.Value)); err == nil {
			b.main["date"] = v
		} else {
			b.used[indexOf(b.o, a)] = false
		}
	}
	var parts []any
	for _, a := range b.attr("attachment") {
		f := sco("file", attrUUID(b, a))
		f["name"] = string(a.Value)
		b.scos = append(b.scos, f)
		parts = append(parts, obj{"body_raw_ref": f["id"], "content_disposition": "attachment"})
		if a.ToIDs {
			b.cmps = append(b.cmps, cmp{fmt.Sprintf("email-message:body_multipart[%d].body_raw_ref.name", len(parts)-1), string(a.Value)})
		}
	}
	if len(parts) > 0 {
		b.main["is_multipart"] = true
		b.main["body_multipart"] = parts
		if body, ok := b.main["body"]; ok {
			// STIX forbids body on a multipart message (§6.5); the body
			// is kept as a custom property instead.
			delete(b.main, "body")
			b.main["x_misp_email_body"] = body
		}
	}
}

// file maps the file template, with its path as a directory SCO, its
// malware sample as an artifact, and the pe and pe-section objects it
// includes as the windows-pebinary-ext extension.
func (b *objBuilder) file(parts []*object) {
	for i := range b.o.Attribute {
		a := &b.o.Attribute[i]
		if b.used[i] {
			continue
		}
		if k, ok := hashKeys[string(a.Type)]; ok && string(a.ObjectRelation) == string(a.Type) {
			b.used[i] = true
			set(b.main, "hashes."+k, string(a.Value), false)
			if a.ToIDs {
				b.cmps = append(b.cmps, cmp{"file:hashes." + comp(k), string(a.Value)})
			}
		}
	}
	for _, a := range b.attr("path", "fullpath") {
		if b.main["parent_directory_ref"] != nil {
			b.used[indexOf(b.o, a)] = false
			continue
		}
		d := sco("directory", attrUUID(b, a))
		d["path"] = string(a.Value)
		b.scos = append(b.scos, d)
		b.main["parent_directory_ref"] = d["id"]
		if a.ToIDs {
			b.cmps = append(b.cmps, cmp{"file:parent_directory_ref.path", string(a.Value)})
		}
	}
	for _, a := range b.attr("malware-sample") {
		name, md5, err := split("malware-sample", string(a.Value))
		d, ok := base64Data(string(a.Data))
		if err != nil || !ok || b.main["content_ref"] != nil {
			b.used[indexOf(b.o, a)] = false
			continue
		}
		art := sco("artifact", attrUUID(b, a))
		art["payload_bin"], art["mime_type"], art["hashes"] = d, "application/zip", obj{"MD5": md5}
		art["encryption_algorithm"], art["decryption_key"] = "mime-type-indicated", "infected"
		art["x_misp_filename"] = name
		b.scos = append(b.scos, art)
		b.main["content_ref"] = art["id"]
		if a.ToIDs {
			b.cmps = append(b.cmps, cmp{"file:content_ref.hashes.MD5", md5})
		}
	}
	for _, pe := range parts {
		if string(pe.Name) == "pe" {
			b.pe(pe, parts)
		}
	}
}

var peFields = []field{{"type", "pe_type", 's'}, {"imphash", "imphash", 's'}, {"number-sections", "number_of_sections", 'i'},
	{"entrypoint-address", "optional_header.address_of_entry_point", 'i'}}

var sectionFields = []field{{"name", "name", 's'}, {"size-in-bytes", "size", 'i'}, {"entropy", "entropy", 'f'}}

// pe adds a pe object (and the pe-section objects it includes) to the
// file as windows-pebinary-ext.
func (b *objBuilder) pe(pe *object, parts []*object) {
	ext := obj{}
	prefix := "file:extensions.'windows-pebinary-ext'."
	sub := &objBuilder{c: b.c, o: pe, u: b.u, main: ext, typ: "file", used: make([]bool, len(pe.Attribute))}
	for _, f := range peFields {
		for _, a := range sub.attr(f.rel) {
			v, err := convertValue(f.kind, string(a.Value))
			if err != nil {
				b.fail("its pe %s %v", f.rel, err)
				continue
			}
			set(ext, f.path, v, false)
			if a.ToIDs {
				b.cmps = append(b.cmps, cmp{prefix + strings.Join(splitPathQuoted(f.path), "."), v})
			}
		}
	}
	sub.rest(ext, "")
	for _, a := range pe.Attribute {
		if a.ToIDs {
			if p := customProperty(string(a.ObjectRelation)); p != "" && ext[p] != nil {
				if s, ok := ext[p].(string); ok {
					b.cmps = append(b.cmps, cmp{prefix + p, s})
				}
			}
		}
	}
	var sections []any
	for _, ref := range pe.ObjectReference {
		for _, s := range parts {
			if string(s.Name) != "pe-section" || normUUID(string(s.UUID)) != normUUID(string(ref.ReferencedUUID)) {
				continue
			}
			sec := obj{}
			ss := &objBuilder{c: b.c, o: s, u: b.u, main: sec, typ: "file", used: make([]bool, len(s.Attribute))}
			for _, f := range sectionFields {
				for _, a := range ss.attr(f.rel) {
					v, err := convertValue(f.kind, string(a.Value))
					if err != nil {
						b.fail("its pe-section %s %v", f.rel, err)
						continue
					}
					set(sec, f.path, v, false)
				}
			}
			for i := range s.Attribute {
				a := &s.Attribute[i]
				if k, ok := hashKeys[string(a.Type)]; ok && !ss.used[i] {
					ss.used[i] = true
					set(sec, "hashes."+k, string(a.Value), false)
					if a.ToIDs {
						b.cmps = append(b.cmps, cmp{fmt.Sprintf("%ssections[%d].hashes.%s", prefix, len(sections), comp(k)), string(a.Value)})
					}
				}
			}
			ss.rest(sec, "")
			if sec["name"] == nil {
				// STIX requires a section name, MISP does not; PE
				// section names may be empty, so "" is a faithful value.
				sec["name"] = ""
			}
			sections = append(sections, sec)
		}
	}
	if len(sections) > 0 {
		ext["sections"] = sections
	}
	if ext["pe_type"] == nil {
		// STIX requires pe_type, which MISP's pe template leaves
		// optional. The file name's extension tells it for the three
		// kinds STIX names; otherwise the PE data stays on the file as
		// a custom property rather than in an invalid extension.
		if t := peTypeOf(ext); t != "" {
			ext["pe_type"] = t
		} else {
			b.main["x_misp_pe"] = ext
			return
		}
	}
	if b.main["extensions"] == nil {
		b.main["extensions"] = obj{"windows-pebinary-ext": ext}
	}
}

// peTypeOf guesses pe_type from a pe object's file names.
func peTypeOf(ext obj) string {
	for _, k := range []string{"x_misp_original_filename", "x_misp_internal_filename"} {
		name, _ := ext[k].(string)
		name = strings.ToLower(strings.TrimSpace(name))
		for _, t := range []string{"exe", "dll", "sys"} {
			if strings.HasSuffix(name, "."+t) {
				return t
			}
		}
	}
	return ""
}

func splitPathQuoted(p string) []string {
	parts := splitPath(p)
	for i, s := range parts {
		parts[i] = comp(s)
	}
	return parts
}

// sdoTemplate describes a MISP object template that misp-stix exports as
// a STIX domain object.
type sdoTemplate struct {
	typ    string
	fields []field
	build  func(b *objBuilder) // extra properties
}

var sdoTemplates = map[string]sdoTemplate{
	"vulnerability": {typ: "vulnerability", fields: []field{{"id", "name", 's'}, {"description", "description", 's'}},
		build: func(b *objBuilder) {
			if ref := vulnerabilityRef(fmt.Sprint(b.main["name"])); ref != nil {
				b.main["external_references"] = []any{ref}
			}
		}},
	"attack-pattern": {typ: "attack-pattern", fields: []field{{"name", "name", 's'}, {"summary", "description", 's'}},
		build: func(b *objBuilder) {
			for _, a := range b.attr("id") {
				id := strings.TrimPrefix(strings.TrimSpace(string(a.Value)), "CAPEC-")
				b.main["external_references"] = []any{obj{"source_name": "capec", "external_id": "CAPEC-" + id}}
			}
		}},
	"course-of-action": {typ: "course-of-action", fields: []field{{"name", "name", 's'}, {"description", "description", 's'}}},
	"intrusion-set": {typ: "intrusion-set", fields: []field{{"name", "name", 's'}, {"description", "description", 's'},
		{"aliases", "aliases", 'l'}, {"goals", "goals", 'l'}, {"resource_level", "resource_level", 's'},
		{"primary-motivation", "primary_motivation", 's'}, {"secondary-motivation", "secondary_motivations", 'l'},
		{"first_seen", "first_seen", 't'}, {"last_seen", "last_seen", 't'}}},
	"organization": {typ: "identity", fields: []field{{"name", "name", 's'}, {"description", "description", 's'}, {"role", "roles", 'l'}},
		build: identityBuild("organization", "address", "e-mail", "phone-number")},
	"person": {typ: "identity", fields: []field{{"full-name", "name", 's'}, {"text", "description", 's'}, {"role", "roles", 'l'}},
		build: identityBuild("individual", "phone-number")},
	"employee": {typ: "identity", fields: []field{{"full-name", "name", 's'}, {"text", "description", 's'}, {"employee-type", "roles", 'l'}},
		build: identityBuild("individual", "email-address")},
	"legal-entity": {typ: "identity", fields: []field{{"name", "name", 's'}, {"text", "description", 's'}, {"business", "sectors", 'l'}},
		build: identityBuild("organization", "phone-number", "website")},
	"news-agency": {typ: "identity", fields: []field{{"name", "name", 's'}},
		build: identityBuild("organization", "address", "e-mail", "phone-number", "link")},
	"identity": {typ: "identity", fields: []field{{"name", "name", 's'}, {"description", "description", 's'},
		{"identity_class", "identity_class", 's'}, {"roles", "roles", 'l'}, {"contact_information", "contact_information", 's'}}},
	"geolocation": {typ: "location", fields: []field{{"address", "street_address", 's'}, {"city", "city", 's'},
		{"countrycode", "country", 's'}, {"latitude", "latitude", 'f'}, {"longitude", "longitude", 'f'},
		{"region", "region", 's'}, {"text", "description", 's'}, {"zipcode", "postal_code", 's'}}},
	"yara":     ruleTemplate("yara", "yara", "yara-rule-name"),
	"sigma":    ruleTemplate("sigma", "sigma", "sigma-rule-name"),
	"suricata": ruleTemplate("suricata", "suricata", ""),
}

func ruleTemplate(patternType, rel, nameRel string) sdoTemplate {
	fields := []field{{rel, "pattern", 's'}, {"comment", "description", 's'}, {"version", "pattern_version", 's'}}
	if nameRel != "" {
		fields = append(fields, field{nameRel, "name", 's'})
	}
	return sdoTemplate{typ: "indicator", fields: fields, build: func(b *objBuilder) {
		b.main["pattern_type"] = patternType
		b.main["valid_from"] = b.main["created"]
	}}
}

// identityBuild completes an identity: its class, a name from first and
// last name, and contact details gathered into contact_information as
// misp-stix writes it ("relation: value / relation: value").
func identityBuild(class string, contacts ...string) func(b *objBuilder) {
	return func(b *objBuilder) {
		b.main["identity_class"] = class
		if b.main["name"] == nil {
			var n []string
			for _, a := range b.attr("first-name", "last-name") {
				n = append(n, string(a.Value))
			}
			if len(n) > 0 {
				b.main["name"] = strings.Join(n, " ")
			}
		}
		var info []string
		for _, rel := range contacts {
			var vs []string
			for _, a := range b.attr(rel) {
				vs = append(vs, string(a.Value))
			}
			if len(vs) > 0 {
				info = append(info, rel+": "+strings.Join(vs, "; "))
			}
		}
		if len(info) > 0 {
			b.main["contact_information"] = strings.Join(info, " / ")
		}
	}
}

// objectLabels are the labels misp-stix gives the STIX objects of a MISP
// object.
func objectLabels(o *object) []string {
	return []string{fmt.Sprintf("misp:category=%q", string(o.MetaCategory)), fmt.Sprintf("misp:name=%q", string(o.Name))}
}

// objects converts the event's MISP objects and their references. A pe
// object that a file object includes, and the pe-section objects that pe
// includes, go into the file's STIX object as misp-stix does.
func (c *converter) objects() {
	byUUID := map[string]*object{}
	for i := range c.ev.Object {
		if u := normUUID(string(c.ev.Object[i].UUID)); u != "" {
			byUUID[u] = &c.ev.Object[i]
		}
	}
	partOf := map[*object]*object{} // pe or pe-section -> the file it is folded into
	parts := map[*object][]*object{}
	for i := range c.ev.Object {
		f := &c.ev.Object[i]
		if f.Name != "file" {
			continue
		}
		for _, r := range f.ObjectReference {
			pe := byUUID[normUUID(string(r.ReferencedUUID))]
			if pe == nil || pe.Name != "pe" || partOf[pe] != nil {
				continue
			}
			partOf[pe] = f
			parts[f] = append(parts[f], pe)
			for _, r2 := range pe.ObjectReference {
				s := byUUID[normUUID(string(r2.ReferencedUUID))]
				if s != nil && s.Name == "pe-section" && partOf[s] == nil {
					partOf[s] = f
					parts[f] = append(parts[f], s)
				}
			}
		}
	}
	mapped := map[*object]bool{}
	for i := range c.ev.Object {
		o := &c.ev.Object[i]
		if partOf[o] != nil {
			continue
		}
		mapped[o] = c.object(o, parts[o])
		if !mapped[o] {
			c.skipExtras(o, "its object was not converted")
		}
	}
	for i := range c.ev.Object {
		o := &c.ev.Object[i]
		f := partOf[o]
		if f == nil {
			continue
		}
		if !mapped[f] {
			c.skip(fmt.Sprintf("object %s (name: %s)", o.UUID, o.Name), fmt.Sprintf("it is part of file object %s, which was not converted", f.UUID))
			c.skipExtras(o, "its object was not converted")
		} else {
			c.mapped++ // in its file's windows-pebinary-ext
			ids := c.main[normUUID(string(f.UUID))]
			c.main[normUUID(string(o.UUID))] = ids
			for i := range o.Attribute {
				c.attributeExtras(&o.Attribute[i], ids)
			}
		}
	}
	// References become relationships between what their ends became.
	for i := range c.ev.Object {
		o := &c.ev.Object[i]
		for _, r := range o.ObjectReference {
			what := fmt.Sprintf("reference %s (object %s %s %s)", r.UUID, o.UUID, r.RelationshipType, r.ReferencedUUID)
			target := byUUID[normUUID(string(r.ReferencedUUID))]
			if partOf[target] != nil && (partOf[target] == o || partOf[target] == partOf[o]) {
				if mapped[partOf[target]] {
					c.mapped++ // folded into the file's extension
				} else {
					c.skip(what, "its object was not converted")
				}
				continue
			}
			src, dst := c.main[normUUID(string(o.UUID))], c.main[normUUID(string(r.ReferencedUUID))]
			switch {
			case len(src) == 0:
				c.skip(what, "its object was not converted")
				continue
			case len(dst) == 0:
				c.skip(what, "the object or attribute it refers to is not in the event or was not converted")
				continue
			}
			rt := strings.Trim(propertyName.ReplaceAllString(strings.ToLower(string(r.RelationshipType)), "-"), "-")
			rt = strings.ReplaceAll(rt, "_", "-")
			if rt == "" {
				rt = "related-to"
			}
			if c.commit(what, []obj{relationship(src[0], rt, dst[0], c.attrTime(o.Timestamp))}) {
				c.mapped++
			}
		}
	}
}

// object converts one MISP object (with the pe and pe-section objects
// folded into it) and reports whether it was converted. An attribute whose
// value does not convert, or would make the STIX invalid, is left out and
// reported: one bad value (an ssdeep hash with a line break) must not cost
// the object its valid attributes.
func (c *converter) object(o *object, parts []*object) bool {
	name := string(o.Name)
	what := fmt.Sprintf("object %s (name: %s)", o.UUID, name)
	u := normUUID(string(o.UUID))
	if u == "" {
		c.skip(what, "it has no valid UUID, from which its STIX ids are made")
		return false
	}
	_, isSCO := scoTemplates[name]
	if _, isSDO := sdoTemplates[name]; !isSCO && !isSDO {
		c.skip(what, fmt.Sprintf("misp-stix 2026.6.30 maps object template %q to no STIX 2.1 object that Mosaic imports (only a custom x-misp-object)", name))
		return false
	}
	all := append([]*object{o}, parts...)
	res := c.objectSTIX(all, u)
	first := res
	var dropped []Skip
	var left map[*attribute]bool
	for len(res.bad) > 0 {
		// Leave each attribute out in turn: one whose absence takes
		// problems away and brings none is a bad one.
		var culprits []*attribute
		var whys, of []string
		for _, x := range all {
			for i := range x.Attribute {
				a := &x.Attribute[i]
				if left[a] {
					continue
				}
				without := c.objectSTIX(leaveOut(all, left, a), u)
				if gone := res.without(without); gone != "" {
					culprits = append(culprits, a)
					whys = append(whys, gone)
					of = append(of, fmt.Sprintf("object %s (name: %s)", x.UUID, x.Name))
				}
			}
		}
		if len(culprits) == 0 {
			c.skip(what, first.bad[0].msg)
			return false
		}
		if left == nil {
			left = map[*attribute]bool{}
		}
		for i, a := range culprits {
			left[a] = true
			dropped = append(dropped, Skip{What: fmt.Sprintf("attribute %s (object_relation: %s) of %s", a.UUID, a.ObjectRelation, of[i]),
				Reason: why(whys[i])})
		}
		res = c.objectSTIX(leaveOut(all, left, nil), u)
	}
	if !c.commitTLP(what, res.objs, res.tlp) {
		return false
	}
	c.skipped = append(c.skipped, dropped...)
	c.dropped += len(dropped)
	c.main[u] = res.ids
	c.mapped++
	for i := range o.Attribute {
		a := &o.Attribute[i]
		if left[a] {
			c.skipAttributeExtras(a, "its attribute was not converted")
			continue
		}
		if au := normUUID(string(a.UUID)); au != "" {
			c.main[au] = res.ids
		}
		c.attributeExtras(a, res.ids)
	}
	return true
}

// why turns a problem into the reason an attribute was left out.
func why(p string) string {
	if s, ok := strings.CutPrefix(p, "its STIX "); ok {
		p = "with it the object's STIX " + s
	}
	return p + "; the rest of the object is converted without it"
}

// leaveOut returns copies of the objects without the attributes of left
// and without a (when not nil), keeping the objects' order and UUIDs.
func leaveOut(all []*object, left map[*attribute]bool, a *attribute) []*object {
	out := make([]*object, len(all))
	for i, x := range all {
		y := *x
		y.Attribute = nil
		for j := range x.Attribute {
			if b := &x.Attribute[j]; !left[b] && b != a {
				y.Attribute = append(y.Attribute, *b)
			}
		}
		out[i] = &y
	}
	return out
}

// problem is one thing wrong with the STIX of a MISP object: msg says
// what, key tells problems apart across conversions.
type problem struct{ key, msg string }

// objectResult is the STIX of a MISP object, or what is wrong with it.
type objectResult struct {
	objs []obj
	ids  []string // the main ones, indicator first
	tlp  mosaic.TLP
	bad  []problem
}

// without returns the message of the first problem of r that other does
// not have, or "" when other has fewer problems than r but not all of
// them in r, or no fewer.
func (r objectResult) without(other objectResult) string {
	if len(other.bad) >= len(r.bad) {
		return ""
	}
	keys := map[string]bool{}
	for _, p := range r.bad {
		keys[p.key] = true
	}
	gone := map[string]bool{}
	for _, p := range r.bad {
		gone[p.key] = true
	}
	for _, p := range other.bad {
		if !keys[p.key] {
			return ""
		}
		gone[p.key] = false
	}
	for _, p := range r.bad {
		if gone[p.key] {
			return p.msg
		}
	}
	return ""
}

// objectSTIX builds the STIX objects of a MISP object (all[0], with the pe
// and pe-section objects folded into it) and lists what is wrong with
// them.
func (c *converter) objectSTIX(all []*object, u string) objectResult {
	o, parts := all[0], all[1:]
	name := string(o.Name)
	ts := c.attrTime(o.Timestamp)
	// One MISP object is one set of STIX objects, under the strictest of
	// its attributes' TLPs (each its own, else the event's).
	var res objectResult
	var tags []string
	for i := range o.Attribute {
		t, l := c.attributeTLP(&o.Attribute[i])
		res.tlp = stricter(res.tlp, t)
		tags = append(tags, l...)
	}
	if len(o.Attribute) == 0 {
		res.tlp = c.tlp
	}
	labels := append(objectLabels(o), tags...)
	b := &objBuilder{c: c, o: o, u: u, used: make([]bool, len(o.Attribute))}
	if t, ok := scoTemplates[name]; ok {
		b = c.buildSCO(o, parts, t, u)
		for _, e := range b.errs {
			res.bad = append(res.bad, problem{e, e})
		}
		if len(b.main) <= 3+len(t.fixed) {
			msg := "none of its attributes maps to a property of the STIX " + t.typ
			res.bad = append(res.bad, problem{msg, msg})
			return res
		}
		toIDs := false
		for _, a := range o.Attribute {
			toIDs = toIDs || bool(a.ToIDs)
		}
		od := c.observedData(o.FirstSeen, o.LastSeen, ts, u, labels, b.scos)
		res.objs = append([]obj{od}, b.scos...)
		res.ids = []string{od["id"].(string)}
		if toIDs && len(b.cmps) > 0 {
			for k, v := range t.fixed {
				b.cmps = append([]cmp{{t.typ + ":" + k, v}}, b.cmps...)
			}
			ind := c.indicator(&attribute{Category: o.MetaCategory, Comment: o.Comment, FirstSeen: o.FirstSeen, LastSeen: o.LastSeen}, u, ts, labels, buildPattern(b.cmps))
			res.objs = append(res.objs, ind, relationship(ind["id"].(string), "based-on", od["id"].(string), ts))
			res.ids = append([]string{ind["id"].(string)}, res.ids...)
		}
	} else {
		t := sdoTemplates[name]
		b.typ = t.typ
		b.main = obj{"type": t.typ, "spec_version": "2.1", "id": t.typ + "--" + u,
			"created": stamp(ts), "modified": stamp(ts), "labels": toAny(labels)}
		b.apply(t.fields)
		if t.build != nil {
			t.build(b)
		}
		b.rest(b.main, "")
		for _, e := range b.errs {
			res.bad = append(res.bad, problem{e, e})
		}
		res.objs, res.ids = []obj{b.main}, []string{b.main["id"].(string)}
	}
	_, _, probs := c.prepare(res.objs, res.tlp)
	res.bad = append(res.bad, probs...)
	return res
}

// buildSCO maps a MISP object of an observable template (with the pe and
// pe-section objects folded into it) onto its main SCO and the SCOs that
// refers to, and the pattern comparisons of its to_ids attributes.
func (c *converter) buildSCO(o *object, parts []*object, t scoTemplate, u string) *objBuilder {
	b := &objBuilder{c: c, o: o, u: u, used: make([]bool, len(o.Attribute)), typ: t.typ, main: sco(t.typ, u)}
	b.scos = []obj{b.main}
	for k, v := range t.fixed {
		b.main[k] = v
	}
	b.apply(t.fields)
	b.special(string(o.Name), parts)
	b.rest(b.main, t.typ)
	return b
}

// skipExtras reports the sightings and galaxy clusters of an object's
// attributes when the object was not converted.
func (c *converter) skipExtras(o *object, why string) {
	for i := range o.Attribute {
		c.skipAttributeExtras(&o.Attribute[i], why)
	}
}

// skipAttributeExtras reports the sightings and galaxy clusters of an
// attribute that was not converted.
func (c *converter) skipAttributeExtras(a *attribute, why string) {
	for _, s := range a.Sighting {
		c.skip(fmt.Sprintf("sighting %s of attribute %s", s.UUID, a.UUID), why)
	}
	for _, g := range a.Galaxy {
		for _, cl := range g.GalaxyCluster {
			c.skip(clusterWhat(&g, &cl), why)
		}
	}
}
