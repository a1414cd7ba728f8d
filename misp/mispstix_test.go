package misp

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// mispStixEvent wraps MISP attributes or objects in the event that
// misp-stix's documentation examples come from.
func mispStixEvent(t testing.TB, key string, v any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Event": map[string]any{
		"uuid": "a6ef17d6-91cb-4a05-b10b-2f045daf874c", "info": "MISP-STIX-Converter test event",
		"date": "2020-10-25", "timestamp": "1603642920", "published": false,
		"Orgc": map[string]any{"name": "MISP-Project", "uuid": "a0c22599-9e58-4da4-96ac-7051603fa951"},
		key:    v,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadMapping(t *testing.T, name string) map[string]struct {
	MISP json.RawMessage
	STIX json.RawMessage
} {
	b, err := os.ReadFile("testdata/misp-stix/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct {
		MISP json.RawMessage
		STIX json.RawMessage
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func byID(t testing.TB, objs []json.RawMessage) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, raw := range objs {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		out[o["id"].(string)] = o
	}
	return out
}

// patternDeviations are the attribute types whose pattern departs from
// misp-stix's on purpose (see the package documentation): integers
// compared as integers, header names as STIX names them, list properties
// with [*], and no comparisons across object types inside one observation.
var patternDeviations = map[string]string{
	"AS":             "[autonomous-system:number = 174]",
	"hostname|port":  "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'circl.lu' AND network-traffic:dst_port = 8443]",
	"ip-dst|port":    "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '5.6.7.8' AND network-traffic:dst_port = 5678]",
	"ip-src|port":    "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '1.2.3.4' AND network-traffic:src_port = 1234]",
	"port":           "[network-traffic:dst_port = 8443]",
	"size-in-bytes":  "[file:size = 1234]",
	"email-header":   "[email-message:received_lines[*] = 'from mail.example.com ([198.51.100.3]) by smtp.gmail.com']",
	"email-reply-to": "[email-message:additional_header_fields.'Reply-To' = 'reply-to@email.test']",
	"email-x-mailer": "[email-message:additional_header_fields.'X-Mailer' = 'Email X-Mailer test']",
	// misp-stix escapes % as in a LIKE pattern although it compares with =.
	"regkey|value": `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\Software\\mthjk' AND windows-registry-key:values[*].data = '%DATA%\\1234567890']`,
	// STIX requires the hive in full (§6.13).
	"regkey": `[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\Software\\mthjk']`,
	// Binary properties are compared as binary constants.
	"attachment":     "[file:name = 'attachment.test' AND file:content_ref.payload_bin = b'ZWNobyAiREFOR0VST1VTIE1BTFdBUkUiIAoK']",
	"malware-sample": "[file:name = 'oui' AND file:hashes.MD5 = '8764605c6f388c89096b534d33565802' AND file:content_ref.payload_bin = b'UEsDBAoACQAAAAaOU1EvUbiQ' AND file:content_ref.mime_type = 'application/zip' AND file:content_ref.encryption_algorithm = 'mime-type-indicated' AND file:content_ref.decryption_key = 'infected']",
}

// TestMispStixAttributes converts every attribute of misp-stix's
// documented mapping and compares the result with the documented STIX:
// the same objects by id, the same indicator pattern (apart from the
// deviations above), the same SCO properties, the same relationship ids.
func TestMispStixAttributes(t *testing.T) {
	for typ, ex := range loadMapping(t, "misp_attributes_to_stix21.json") {
		t.Run(typ, func(t *testing.T) {
			var attr map[string]any
			if err := json.Unmarshal(ex.MISP, &attr); err != nil {
				t.Fatal(err)
			}
			attr["to_ids"] = true
			if typ == "malware-sample" {
				attr["data"] = "UEsDBAoACQAAAAaOU1EvUbiQ" // the example's data is shortened with [...]
			}
			c, err := ToSTIX(mispStixEvent(t, "Attribute", []any{attr}))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Skipped) > 0 {
				t.Fatalf("skipped: %+v", c.Skipped)
			}
			checkValid(t, c.Objects)
			got := byID(t, c.Objects)
			var want []map[string]any
			if err := json.Unmarshal(ex.STIX, &want); err != nil {
				var one map[string]any
				if err := json.Unmarshal(ex.STIX, &one); err != nil {
					t.Fatal(err)
				}
				want = []map[string]any{one}
			}
			for _, w := range want {
				id := w["id"].(string)
				g, ok := got[id]
				if !ok {
					t.Errorf("no %s", id)
					continue
				}
				switch w["type"] {
				case "indicator":
					wp := w["pattern"].(string)
					if d, ok := patternDeviations[typ]; ok {
						wp = d
					}
					if ruleTypes[typ] != "" {
						wp = attr["value"].(string) // misp-stix's example wraps the rule in brackets
					}
					if g["pattern"] != wp {
						t.Errorf("pattern\n got %s\nwant %s", g["pattern"], wp)
					}
				case "observed-data", "relationship", "campaign", "vulnerability":
					for _, k := range []string{"object_refs", "name", "external_references", "relationship_type", "source_ref", "target_ref"} {
						if w[k] != nil && !sameElements(g[k], w[k]) {
							t.Errorf("%s %s = %v, want %v", id, k, g[k], w[k])
						}
					}
				default: // an SCO
					for k, v := range w {
						if k == "spec_version" || (k == "hashes" && hashKeyDiffers(v)) {
							continue
						}
						if typ == "regkey|value" || typ == "regkey" || typ == "email-reply-to" || typ == "email-x-mailer" ||
							(typ == "malware-sample" && k == "payload_bin") || (typ == "email-attachment" && k == "body_multipart") {
							continue
						}
						if !reflect.DeepEqual(g[k], v) {
							t.Errorf("%s %s = %v, want %v", id, k, g[k], v)
						}
					}
				}
			}
		})
	}
}

// hashKeyDiffers is true for misp-stix's SCO hash keys SHA224, SHA384,
// SHA3224 and SHA3384, which its own patterns write SHA-224, SHA-384,
// SHA3-224 and SHA3-384; Mosaic uses the pattern's spelling in both.
func hashKeyDiffers(v any) bool {
	for k := range v.(map[string]any) {
		if slices.Contains([]string{"SHA224", "SHA384", "SHA3224", "SHA3384"}, k) {
			return true
		}
	}
	return false
}

// sameElements compares JSON values, lists as sets.
func sameElements(a, b any) bool {
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if !okA || !okB {
		return reflect.DeepEqual(a, b)
	}
	if len(la) != len(lb) {
		return false
	}
	for _, x := range la {
		found := false
		for _, y := range lb {
			if reflect.DeepEqual(x, y) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// unsupportedTemplates are the object examples of misp-stix's mapping
// that Mosaic reports as skipped rather than converts.
var unsupportedTemplates = map[string]string{
	"Script object where state is \"Malicious\"":     "script",
	"Script object where state is not \"Malicious\"": "script",
	"annotation":     "annotation",
	"nova-rule":      "nova-rule",
	"owasp-crs-rule": "owasp-crs-rule",
	"wazuh-rule":     "wazuh-rule",
	// Not done yet: a pe without its file, registry-key-value objects,
	// image and lnk templates.
	"pe & pe-sections": "pe",
	"registry-key with references to registry-key-value(s)": "registry-key-value",
	"registry-key-value": "registry-key-value",
	"image":              "image",
	"lnk":                "lnk",
}

// partialTemplates convert, but without some SCOs misp-stix writes: the
// parent process's image, a netflow's autonomous systems, an artifact
// whose example data is shortened, an http-request's host, and every domain of a domain-ip as its
// own SCO.
var partialTemplates = map[string]bool{
	"process": true, "netflow": true, "http-request": true, "file": true, "domain-ip with the perfect domain & ip matching": true,
}

// TestMispStixObjects converts every object example of misp-stix's
// documented mapping: each converts (or is reported, for the templates
// above), validly, into the documented main object.
func TestMispStixObjects(t *testing.T) {
	for name, ex := range loadMapping(t, "misp_objects_to_stix21.json") {
		t.Run(name, func(t *testing.T) {
			var objs []map[string]any
			if err := json.Unmarshal(ex.MISP, &objs); err != nil {
				var one map[string]any
				if err := json.Unmarshal(ex.MISP, &one); err != nil {
					t.Fatal(err)
				}
				objs = []map[string]any{one}
			}
			c, err := ToSTIX(mispStixEvent(t, "Object", objs))
			if err != nil {
				t.Fatal(err)
			}
			checkValid(t, c.Objects)
			if _, ok := unsupportedTemplates[name]; ok {
				if len(c.Skipped) == 0 {
					t.Errorf("converted, want skipped")
				}
				return
			}
			if len(c.Skipped) > 0 {
				t.Fatalf("skipped: %+v", c.Skipped)
			}
			got := byID(t, c.Objects)
			var want []map[string]any
			if err := json.Unmarshal(ex.STIX, &want); err != nil {
				var one map[string]any
				json.Unmarshal(ex.STIX, &one)
				want = []map[string]any{one}
			}
			for _, w := range want {
				id := w["id"].(string)
				if _, ok := got[id]; !ok && w["type"] != "relationship" && !partialTemplates[name] {
					t.Errorf("no %s", id)
				}
			}
		})
	}
}
