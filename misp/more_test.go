package misp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oneAttribute converts an event holding one attribute.
func oneAttribute(t *testing.T, typ, value string, toIDs bool, extra map[string]any) *Convert {
	t.Helper()
	a := map[string]any{"uuid": "5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81", "type": typ, "category": "Network activity",
		"value": value, "to_ids": toIDs, "timestamp": "1603642920"}
	for k, v := range extra {
		a[k] = v
	}
	c, err := ToSTIX(mispStixEvent(t, "Attribute", []any{a}))
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, c.Objects)
	return c
}

// attributeCases are the attribute types checked one by one: the value,
// the pattern with to_ids, and the SCO types of the observed-data.
var attributeCases = []struct {
	typ, value, pattern, scos string
}{
	{"ip-src", "1.2.3.4", "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '1.2.3.4']", "network-traffic ipv4-addr"},
	{"ip-dst", "2001:db8::1", "[network-traffic:dst_ref.type = 'ipv6-addr' AND network-traffic:dst_ref.value = '2001:db8::1']", "network-traffic ipv6-addr"},
	{"ip-dst", "10.0.0.0/8", "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '10.0.0.0/8']", "network-traffic ipv4-addr"},
	{"domain", "circl.lu", "[domain-name:value = 'circl.lu']", "domain-name"},
	{"hostname", "www.circl.lu", "[domain-name:value = 'www.circl.lu']", "domain-name"},
	{"url", "https://circl.lu/x?a=1", "[url:value = 'https://circl.lu/x?a=1']", "url"},
	{"uri", "https://circl.lu/y", "[url:value = 'https://circl.lu/y']", "url"},
	{"link", "https://misp-project.org/", "[url:value = 'https://misp-project.org/']", "url"},
	{"email", "a@example.com", "[email-addr:value = 'a@example.com']", "email-addr"},
	{"email-src", "a@example.com", "[email-message:from_ref.value = 'a@example.com']", "email-message email-addr"},
	{"email-dst", "b@example.com", "[email-message:to_refs[*].value = 'b@example.com']", "email-message email-addr"},
	{"email-subject", "Invoice", "[email-message:subject = 'Invoice']", "email-message"},
	{"email-body", "Hello", "[email-message:body = 'Hello']", "email-message"},
	{"email-message-id", "<1@x>", "[email-message:message_id = '<1@x>']", "email-message"},
	{"email-attachment", "a.zip", "[email-message:body_multipart[*].body_raw_ref.name = 'a.zip']", "email-message file"},
	{"md5", "b2a5abfeef9e36964281a31e17b57c97", "[file:hashes.MD5 = 'b2a5abfeef9e36964281a31e17b57c97']", "file"},
	{"sha1", "2920d5e6c579fce772e5506caf03af65579088bd", "[file:hashes.'SHA-1' = '2920d5e6c579fce772e5506caf03af65579088bd']", "file"},
	{"sha224", "5d6dc524ce96b1bb5e96d8dc116ff53b457ffb7f16afd9019a0dd8e9", "[file:hashes.'SHA-224' = '5d6dc524ce96b1bb5e96d8dc116ff53b457ffb7f16afd9019a0dd8e9']", "file"},
	{"sha256", "7fa3abc229fd3cb9a0a6f07d9da15e35528c630d0ad5902d5422b305cae7eaa4", "[file:hashes.'SHA-256' = '7fa3abc229fd3cb9a0a6f07d9da15e35528c630d0ad5902d5422b305cae7eaa4']", "file"},
	{"sha512", strings.Repeat("ab", 64), "[file:hashes.'SHA-512' = '" + strings.Repeat("ab", 64) + "']", "file"},
	{"sha3-256", strings.Repeat("cd", 32), "[file:hashes.'SHA3-256' = '" + strings.Repeat("cd", 32) + "']", "file"},
	{"ssdeep", "96:QRWkwoBevsL0JsIQ3pq8dxbuTet7eU/uEzAfue9atn0JbIi:QRWktBe80JsIIq8dxKyPew0JbIi", "[file:hashes.SSDEEP = '96:QRWkwoBevsL0JsIQ3pq8dxbuTet7eU/uEzAfue9atn0JbIi:QRWktBe80JsIIq8dxKyPew0JbIi']", "file"},
	{"imphash", "68f013d7437aa653a8a98a05807afeb1", "[file:hashes.IMPHASH = '68f013d7437aa653a8a98a05807afeb1']", "file"},
	{"tlsh", "c325af62e2f15cf7c32316389d1b57a46827be703d3879866bf52c385f396813829297", "[file:hashes.TLSH = 'c325af62e2f15cf7c32316389d1b57a46827be703d3879866bf52c385f396813829297']", "file"},
	{"authentihash", strings.Repeat("ef", 32), "[file:hashes.AUTHENTIHASH = '" + strings.Repeat("ef", 32) + "']", "file"},
	{"filename", "evil.exe", "[file:name = 'evil.exe']", "file"},
	{"filename|md5", "evil.exe|b2a5abfeef9e36964281a31e17b57c97", "[file:name = 'evil.exe' AND file:hashes.MD5 = 'b2a5abfeef9e36964281a31e17b57c97']", "file"},
	{"filename|sha1", "evil.exe|2920d5e6c579fce772e5506caf03af65579088bd", "[file:name = 'evil.exe' AND file:hashes.'SHA-1' = '2920d5e6c579fce772e5506caf03af65579088bd']", "file"},
	{"filename|sha256", "evil.exe|7fa3abc229fd3cb9a0a6f07d9da15e35528c630d0ad5902d5422b305cae7eaa4", "[file:name = 'evil.exe' AND file:hashes.'SHA-256' = '7fa3abc229fd3cb9a0a6f07d9da15e35528c630d0ad5902d5422b305cae7eaa4']", "file"},
	{"filename|ssdeep", "a.exe|3:a:b", "[file:name = 'a.exe' AND file:hashes.SSDEEP = '3:a:b']", "file"},
	{"ip-dst|port", "5.6.7.8|5678", "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '5.6.7.8' AND network-traffic:dst_port = 5678]", "network-traffic ipv4-addr"},
	{"ip-src|port", "1.2.3.4|1234", "[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '1.2.3.4' AND network-traffic:src_port = 1234]", "network-traffic ipv4-addr"},
	{"hostname|port", "circl.lu|443", "[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'circl.lu' AND network-traffic:dst_port = 443]", "domain-name network-traffic"},
	{"domain|ip", "circl.lu|149.13.33.14", "[domain-name:value = 'circl.lu' AND domain-name:resolves_to_refs[*].value = '149.13.33.14']", "domain-name ipv4-addr"},
	{"mac-address", "12:34:56:78:90:ab", "[mac-addr:value = '12:34:56:78:90:ab']", "mac-addr"},
	{"AS", "AS174", "[autonomous-system:number = 174]", "autonomous-system"},
	{"mutex", "Global\\x", "[mutex:name = 'Global\\\\x']", "mutex"},
	{"regkey", "HKLM\\Software\\x", "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\Software\\\\x']", "windows-registry-key"},
	{"regkey|value", "HKCU\\Run|c:\\a.exe", "[windows-registry-key:key = 'HKEY_CURRENT_USER\\\\Run' AND windows-registry-key:values[*].data = 'c:\\\\a.exe']", "windows-registry-key"},
	{"x509-fingerprint-sha1", "46:ab:a9:9a:a7:15:8e:46:09:aa:a7:2b:50:99:08:42:fd:22:ae:86", "[x509-certificate:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86']", "x509-certificate"},
	{"x509-fingerprint-md5", "8764605c6f388c89096b534d33565802", "[x509-certificate:hashes.MD5 = '8764605c6f388c89096b534d33565802']", "x509-certificate"},
	{"x509-fingerprint-sha256", strings.Repeat("01", 32), "[x509-certificate:hashes.'SHA-256' = '" + strings.Repeat("01", 32) + "']", "x509-certificate"},
	{"github-username", "octocat", "[user-account:account_type = 'github' AND user-account:account_login = 'octocat']", "user-account"},
	{"email-reply-to", "r@example.com", "[email-message:additional_header_fields.'Reply-To' = 'r@example.com']", "email-message"},
	{"email-x-mailer", "Outlook", "[email-message:additional_header_fields.'X-Mailer' = 'Outlook']", "email-message"},
	{"email-header", "from x by y", "[email-message:received_lines[*] = 'from x by y']", "email-message"},
	{"user-agent", "Mozilla/5.0", "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'Mozilla/5.0']", ""},
	{"http-method", "POST", "[network-traffic:extensions.'http-request-ext'.request_method = 'POST']", ""},
	{"port", "8443", "[network-traffic:dst_port = 8443]", ""},
	{"size-in-bytes", "1234", "[file:size = 1234]", ""},
	{"filename", "it's.exe", "[file:name = 'it\\'s.exe']", "file"},
}

// TestAttributeTypes converts each attribute type with to_ids set (an
// indicator with the pattern, plus observed-data) and unset (observed-data
// only).
func TestAttributeTypes(t *testing.T) {
	for _, tc := range attributeCases {
		t.Run(tc.typ+" "+tc.value, func(t *testing.T) {
			c := oneAttribute(t, tc.typ, tc.value, true, nil)
			if len(c.Skipped) > 0 {
				t.Fatalf("skipped: %+v", c.Skipped)
			}
			objs := byID(t, c.Objects)
			ind := objs["indicator--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81"]
			if ind == nil || ind["pattern"] != tc.pattern {
				t.Errorf("pattern = %v, want %s", ind["pattern"], tc.pattern)
			}
			if ind["valid_from"] != "2020-10-25T16:22:00.000Z" {
				t.Errorf("valid_from = %v", ind["valid_from"])
			}
			c = oneAttribute(t, tc.typ, tc.value, false, nil)
			objs = byID(t, c.Objects)
			od := objs["observed-data--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81"]
			if tc.scos == "" {
				if len(c.Skipped) != 1 || od != nil {
					t.Errorf("to_ids unset: want one skip and no observed-data, got %+v", c.Skipped)
				}
				return
			}
			if od == nil {
				t.Fatalf("no observed-data; skipped %+v", c.Skipped)
			}
			var types []string
			for _, r := range od["object_refs"].([]any) {
				id := r.(string)
				types = append(types, id[:strings.Index(id, "--")])
				if objs[id] == nil {
					t.Errorf("observed-data refers to missing %s", id)
				}
			}
			if got := strings.Join(types, " "); got != tc.scos {
				t.Errorf("SCOs %s, want %s", got, tc.scos)
			}
			if objs["indicator--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81"] != nil {
				t.Error("an indicator without to_ids")
			}
		})
	}
}

// TestOtherAttributeTypes covers the types that are no observable.
func TestOtherAttributeTypes(t *testing.T) {
	for _, tc := range []struct{ typ, value, want string }{
		{"comment", "UPX packed", "note"},
		{"text", "Key: 1234", "note"},
		{"campaign-name", "MartyMcFly", "campaign"},
		{"vulnerability", "CVE-2017-11774", "vulnerability"},
		{"yara", "rule x { condition: true }", "indicator"},
		{"sigma", "title: x", "indicator"},
		{"snort", "alert tcp any any -> any any (msg:\"x\";)", "indicator"},
		{"suricata", "alert dns any any -> any any (msg:\"x\";)", "indicator"},
		{"btc", "1E38kt7ryhbRXUzbam6iQ6sd93VHUUdjEE", ""},
		{"iban", "LU1234567890ABCDEF1234567890", ""},
		{"foo-bar", "x", ""},
		{"ip-dst", "not an ip", ""},
		{"domain|ip", "circl.lu", ""},
		{"url", "/relative/only", ""},
		{"md5", "not a hash", ""},
	} {
		t.Run(tc.typ+" "+tc.value, func(t *testing.T) {
			c := oneAttribute(t, tc.typ, tc.value, false, nil)
			id := tc.want + "--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81"
			objs := byID(t, c.Objects)
			if tc.want == "" {
				if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0].What, "5a3c2fcd") || c.mapped != 0 {
					t.Fatalf("want skipped with a reason, got %+v", c.Skipped)
				}
				t.Logf("%s: %s", c.Skipped[0].What, c.Skipped[0].Reason)
				return
			}
			if objs[id] == nil {
				t.Fatalf("no %s; skipped %+v", id, c.Skipped)
			}
			if tc.want == "indicator" && objs[id]["pattern_type"] != tc.typ {
				t.Errorf("pattern_type = %v", objs[id]["pattern_type"])
			}
		})
	}
}

// TestTLPAndLabels checks that the strictest TLP tag marks every object,
// that tlp:white is TLP:CLEAR and that other tags become labels.
func TestTLPAndLabels(t *testing.T) {
	for _, tc := range []struct {
		tags []string
		want string
	}{
		{[]string{"tlp:white"}, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"},
		{[]string{"tlp:clear", "tlp:amber"}, "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"},
		{[]string{"tlp:amber+strict", "tlp:green"}, "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"},
		{[]string{"TLP:RED", "tlp:amber"}, "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
		{nil, ""},
	} {
		var tags []any
		for _, n := range append(tc.tags, `circl:incident-classification="malware"`) {
			tags = append(tags, map[string]any{"name": n})
		}
		doc, _ := json.Marshal(map[string]any{"uuid": "a6ef17d6-91cb-4a05-b10b-2f045daf874c", "info": "x", "timestamp": "1603642920",
			"Tag":       tags,
			"Attribute": []any{map[string]any{"uuid": "91ae0a21-c7ae-4c7f-b84b-b84a7ce53d1f", "type": "domain", "category": "Network activity", "value": "circl.lu", "to_ids": true, "timestamp": "1603642920"}}})
		c, err := ToSTIX(doc)
		if err != nil {
			t.Fatal(err)
		}
		checkValid(t, c.Objects)
		for id, o := range byID(t, c.Objects) {
			refs, _ := o["object_marking_refs"].([]any)
			if tc.want == "" && len(refs) != 0 || tc.want != "" && (len(refs) != 1 || refs[0] != tc.want) {
				t.Errorf("%v: %s marked %v, want %s", tc.tags, id, refs, tc.want)
			}
			if o["type"] == "report" && !strings.Contains(strings.Join(strings.Fields(jsonString(o["labels"])), ""), `incident-classification`) {
				t.Errorf("report labels %v lack the tag", o["labels"])
			}
		}
	}
}

func jsonString(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestSightingsAndGalaxies checks that sightings refer to the indicator
// and that an attribute's galaxy is linked to it.
func TestSightingsAndGalaxies(t *testing.T) {
	c := oneAttribute(t, "domain", "circl.lu", true, map[string]any{
		"Sighting": []any{
			map[string]any{"uuid": "3c2d8b6e-8f43-4d1c-9b4e-0a1b2c3d4e5f", "type": "0", "date_sighting": "1603650000",
				"Organisation": map[string]any{"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"}},
			map[string]any{"uuid": "4c2d8b6e-8f43-4d1c-9b4e-0a1b2c3d4e5f", "type": "1", "date_sighting": "1603650000"},
			map[string]any{"uuid": "5c2d8b6e-8f43-4d1c-9b4e-0a1b2c3d4e5f", "type": "2", "date_sighting": "1603650000"},
		},
		"Galaxy": []any{map[string]any{"uuid": "d752161c-78f6-11e7-a0ea-bfa79b407ce4", "name": "Malware", "type": "mitre-malware",
			"GalaxyCluster": []any{map[string]any{"uuid": "b8eb28e4-48a6-40ae-951a-328714f75eda", "type": "mitre-malware",
				"value": "BISCUIT - S0017", "meta": map[string]any{"external_id": []any{"S0017"}, "synonyms": []any{"BISCUIT"}, "mitre_platforms": []any{"Windows"}}}}}},
	})
	objs := byID(t, c.Objects)
	s := objs["sighting--3c2d8b6e-8f43-4d1c-9b4e-0a1b2c3d4e5f"]
	if s == nil || s["sighting_of_ref"] != "indicator--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81" {
		t.Errorf("sighting = %v", s)
	}
	if objs["opinion--4c2d8b6e-8f43-4d1c-9b4e-0a1b2c3d4e5f"] == nil {
		t.Error("no opinion for the false positive")
	}
	m := objs["malware--b8eb28e4-48a6-40ae-951a-328714f75eda"]
	if m == nil || m["name"] != "BISCUIT" || m["x_misp_mitre_platforms"] == nil {
		t.Errorf("malware = %v", m)
	}
	rel := objs["relationship--"+uuid5("indicator--5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81 - indicates - malware--b8eb28e4-48a6-40ae-951a-328714f75eda")]
	if rel == nil {
		t.Error("no indicates relationship to the malware")
	}
	if len(c.Skipped) != 1 || !strings.Contains(c.Skipped[0].What, "5c2d8b6e") {
		t.Errorf("skipped %+v, want the expiration sighting", c.Skipped)
	}
	if c.mapped != 4 { // attribute, two sightings, one cluster
		t.Errorf("mapped %d, want 4", c.mapped)
	}
}

// TestRoundTrip converts simple attributes to STIX and back and keeps
// their types, values and to_ids.
func TestRoundTrip(t *testing.T) {
	for _, tc := range attributeCases {
		for _, toIDs := range []bool{true, false} {
			c := oneAttribute(t, tc.typ, tc.value, toIDs, nil)
			if len(c.Skipped) > 0 {
				continue // port and friends without to_ids
			}
			doc, skips, err := FromSTIX(c.Objects, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(skips) > 0 {
				t.Errorf("%s: FromSTIX skipped %+v", tc.typ, skips)
			}
			var ev struct {
				Event struct {
					Info      string
					Attribute []struct {
						UUID, Type, Value string
						ToIDs             bool `json:"to_ids"`
					}
					Tag []struct{ Name string }
				}
			}
			if err := json.Unmarshal(doc, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Event.Info != "MISP-STIX-Converter test event" {
				t.Errorf("info = %q", ev.Event.Info)
			}
			if len(ev.Event.Attribute) != 1 {
				t.Fatalf("%s: %d attributes: %s", tc.typ, len(ev.Event.Attribute), doc)
			}
			a := ev.Event.Attribute[0]
			want := tc.value
			switch tc.typ {
			case "regkey", "regkey|value":
				want = fullHive(tc.value)
			case "x509-fingerprint-sha1":
				want = strings.ReplaceAll(tc.value, ":", "")
			case "AS":
				want = "174"
			}
			if a.Type != tc.typ || a.Value != want || a.ToIDs != toIDs || a.UUID != "5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81" {
				t.Errorf("%s %q to_ids %v came back as %+v", tc.typ, tc.value, toIDs, a)
			}
		}
	}
}

// TestFromSTIXComplex checks the other paths of FromSTIX: a pattern no
// attribute holds, SDOs as galaxies, TLP as a tag, what is skipped.
func TestFromSTIXComplex(t *testing.T) {
	objs := []json.RawMessage{
		json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--1b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d","created":"2020-10-25T16:22:00.000Z","modified":"2020-10-25T16:22:00.000Z","pattern":"[file:name = 'a.exe' AND file:size = 10]","pattern_type":"stix","valid_from":"2020-10-25T16:22:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`),
		json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"indicator--2b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d","created":"2020-10-25T16:22:00.000Z","modified":"2020-10-25T16:22:00.000Z","pattern":"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']","pattern_type":"stix","valid_from":"2020-10-25T16:22:00Z"}`),
		json.RawMessage(`{"type":"threat-actor","spec_version":"2.1","id":"threat-actor--3b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d","created":"2020-10-25T16:22:00.000Z","modified":"2020-10-25T16:22:00.000Z","name":"Sofacy","aliases":["APT28"],"labels":["apt"]}`),
		json.RawMessage(`{"type":"infrastructure","spec_version":"2.1","id":"infrastructure--4b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d","created":"2020-10-25T16:22:00.000Z","modified":"2020-10-25T16:22:00.000Z","name":"C2"}`),
	}
	doc, skips, err := FromSTIX(objs, "An import")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	for _, want := range []string{`"type": "filename"`, `"object_relation": "size-in-bytes"`, `"type": "stix2-pattern"`, `"tlp:amber"`,
		`misp-galaxy:threat-actor=\"Sofacy\"`, `"info": "An import"`} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s in %s", want, s)
		}
	}
	if len(skips) != 1 || skips[0].What != "infrastructure--4b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d" {
		t.Errorf("skips %+v, want the infrastructure", skips)
	}
	if _, _, err := FromSTIX([]json.RawMessage{json.RawMessage(`[1]`)}, ""); err == nil {
		t.Error("no error for a non-object")
	}
}

// TestFromSTIXEvents converts the test events to STIX and back: every
// attribute comes back.
func TestFromSTIXEvents(t *testing.T) {
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, file := range files {
		doc, _ := os.ReadFile(file)
		c, err := ToSTIX(doc)
		if err != nil {
			t.Fatal(err)
		}
		out, skips, err := FromSTIX(c.Objects, "")
		if err != nil {
			t.Fatal(err)
		}
		if !IsEvent(out) {
			t.Errorf("%s: FromSTIX output is no MISP event", file)
		}
		t.Logf("%s: %d bytes, %d skipped", filepath.Base(file), len(out), len(skips))
	}
}

func TestIsEvent(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{"Event": {"info": "x", "Attribute": []}}`, true},
		{`{"info": "x", "uuid": "a6ef17d6-91cb-4a05-b10b-2f045daf874c"}`, true},
		{`{"Attribute": [], "Object": []}`, true},
		{`{"type": "bundle", "id": "bundle--a6ef17d6-91cb-4a05-b10b-2f045daf874c", "objects": []}`, false},
		{`{"type": "indicator", "info": "x"}`, false},
		{`{"Event": "x"}`, false},
		{`[]`, false},
		{`not json`, false},
		{`{}`, false},
	} {
		if got := IsEvent([]byte(tc.doc)); got != tc.want {
			t.Errorf("IsEvent(%s) = %v, want %v", tc.doc, got, tc.want)
		}
		if _, err := ToSTIX([]byte(tc.doc)); (err == nil) != tc.want {
			t.Errorf("ToSTIX(%s) error %v", tc.doc, err)
		}
	}
}

func TestFeedEvents(t *testing.T) {
	got, err := FeedEvents([]byte(`{"5c066053-0e94-46eb-9746-4b7d950d210f": {"info": "b"}, "57c4445b-c548-4654-af0b-4be3950d210f": {"info": "a"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "57c4445b-c548-4654-af0b-4be3950d210f,5c066053-0e94-46eb-9746-4b7d950d210f" {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{`[]`, `{"../etc/passwd": {}}`, `{"5C066053-0E94-46EB-9746-4B7D950D210F": {}}`} {
		if _, err := FeedEvents([]byte(bad)); err == nil {
			t.Errorf("no error for %s", bad)
		}
	}
}

// FuzzToSTIX checks that no input makes ToSTIX panic and that whatever it
// returns is valid STIX.
func FuzzToSTIX(f *testing.F) {
	files, _ := filepath.Glob("testdata/events/*.json")
	for _, file := range files {
		doc, _ := os.ReadFile(file)
		f.Add(doc)
	}
	f.Add([]byte(`{"Event":{"info":"x","Attribute":[{"uuid":"5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81","type":"ip-dst|port","value":"1.2.3.4|99999","to_ids":"1"}]}}`))
	f.Add([]byte(`{"info":"x","Tag":[{"name":"tlp:red"}],"Object":[{"uuid":"5a3c2fcd-0b9c-4b36-8c5d-4f4402de0b81","name":"email","Attribute":[{"object_relation":"to","value":"a@b.c","to_ids":1}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := ToSTIX(doc)
		if err != nil {
			return
		}
		checkValid(t, c.Objects)
		if _, _, err := FromSTIX(c.Objects, "fuzz"); err != nil {
			t.Fatal(err)
		}
	})
}
