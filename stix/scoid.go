package stix

import "strings"

// idContributing names each SCO type's id contributing properties (STIX
// 2.1 §6, each object's "ID Contributing Properties"). A process has
// none: its id is random.
var idContributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// preferredHashes is the order in which one hash of a hashes property is
// chosen to contribute to an id (STIX 2.1 §2.9): only one does.
var preferredHashes = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// DeterministicSCOID is the id STIX 2.1 gives an SCO of type typ with
// properties props (§2.9), and false when the type has no id
// contributing properties or the object holds none of them, where STIX
// has it take a random (version 4) id.
func DeterministicSCOID(typ string, props map[string]any) (string, bool) {
	names, ok := idContributing[typ]
	if !ok {
		return "", false
	}
	contributing := map[string]any{}
	for _, n := range names {
		v, ok := props[n]
		if !ok || v == nil {
			continue
		}
		if n == "hashes" {
			h, ok := v.(map[string]any)
			if !ok || len(h) == 0 {
				continue
			}
			v = oneHash(h)
		}
		contributing[n] = v
	}
	if len(contributing) == 0 {
		return "", false
	}
	return SCOID(typ, contributing), true
}

// oneHash picks the hash that contributes to an id: the first of the
// preferred algorithms present (in any case), else the first by name.
func oneHash(h map[string]any) map[string]any {
	for _, p := range preferredHashes {
		for k, v := range h {
			if strings.EqualFold(k, p) {
				return map[string]any{k: v}
			}
		}
	}
	first := ""
	for k := range h {
		if first == "" || k < first {
			first = k
		}
	}
	return map[string]any{first: h[first]}
}
