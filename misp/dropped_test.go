package misp

import (
	"encoding/json"
	"strings"
	"testing"
)

// badFileObject is a file object with valid hashes and name, and an
// ssdeep hash with a line break in it, which no STIX file may hold.
func badFileObject(extra ...map[string]any) []byte {
	attrs := []any{
		map[string]any{"uuid": "afd18263-c072-41ef-94b4-627081a2b3c0", "type": "filename", "object_relation": "filename", "value": "evil.exe"},
		map[string]any{"uuid": "b0e29374-d183-4201-a5c5-738192b3c4d0", "type": "md5", "object_relation": "md5", "value": "0749bae92ca336a02c83d126e04ec628", "to_ids": true},
		map[string]any{"uuid": "c1f3a485-e294-4312-b6d6-849203c4d5e0", "type": "sha256", "object_relation": "sha256", "value": "b3c4ae251f8094fa15b510051835c657eaef2a6cea46075d3aec964b14a99f68", "to_ids": true},
		map[string]any{"uuid": "d204b596-f3a5-4423-87e7-95a314d5e6f0", "type": "ssdeep", "object_relation": "ssdeep", "value": "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:\r\n96:s4Ud1Lj96tHHl", "to_ids": true,
			"Sighting": []any{map[string]any{"uuid": "e315c6a7-04b6-4534-98f8-a6b425e6f700", "type": "0", "date_sighting": "1790812800"}}},
	}
	for _, e := range extra {
		attrs = append(attrs, e)
	}
	doc, _ := json.Marshal(map[string]any{"Event": map[string]any{
		"uuid": "5a8c3f1e-7b2d-4c9a-8e6f-1d2b3c4d5e60", "info": "bad ssdeep", "timestamp": "1790812800", "Tag": []any{map[string]any{"name": "tlp:green"}},
		"Object": []any{map[string]any{"uuid": "9ec07152-bf61-40de-83a3-516f708192a0", "name": "file", "meta-category": "file", "timestamp": "1790812800", "Attribute": attrs}},
	}})
	return doc
}

// TestBadAttributeLeftOut checks that an object attribute whose value
// would make the object's STIX invalid is left out and named, and the
// object is converted with its other attributes.
func TestBadAttributeLeftOut(t *testing.T) {
	c, err := ToSTIX(badFileObject())
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, c.Objects)
	objs := byID(t, c.Objects)
	file := objs["file--9ec07152-bf61-40de-83a3-516f708192a0"]
	if file == nil {
		t.Fatalf("the file object was dropped: %+v", c.Skipped)
	}
	if h, _ := file["hashes"].(map[string]any); file["name"] != "evil.exe" || len(h) != 2 || h["MD5"] == nil || h["SHA-256"] == nil {
		t.Errorf("file %v", file)
	}
	ind := objs["indicator--9ec07152-bf61-40de-83a3-516f708192a0"]
	if p, _ := ind["pattern"].(string); !strings.Contains(p, "MD5") || !strings.Contains(p, "SHA-256") || strings.Contains(p, "SSDEEP") {
		t.Errorf("pattern %v", ind["pattern"])
	}
	// The ssdeep attribute is named, and so is its sighting, which has no
	// attribute to go with.
	if len(c.Skipped) != 2 || !strings.HasPrefix(c.Skipped[0].What, "attribute d204b596-f3a5-4423-87e7-95a314d5e6f0 (object_relation: ssdeep) of object 9ec07152-bf61-40de-83a3-516f708192a0 (name: file)") ||
		!strings.Contains(c.Skipped[0].Reason, "hashes.SSDEEP") || !strings.Contains(c.Skipped[0].Reason, "the rest of the object is converted without it") ||
		!strings.HasPrefix(c.Skipped[1].What, "sighting e315c6a7-04b6-4534-98f8-a6b425e6f700") {
		t.Errorf("skipped %+v", c.Skipped)
	}
	if got := c.mapped + len(c.Skipped) - c.dropped; got != 2 {
		t.Errorf("mapped %d, skipped %d, attributes left out %d: want the object and the sighting", c.mapped, len(c.Skipped), c.dropped)
	}
	if u := c.Mapped["d204b596-f3a5-4423-87e7-95a314d5e6f0"]; u != nil {
		t.Errorf("the left out attribute is mapped to %v", u)
	}
	if u := c.Mapped["b0e29374-d183-4201-a5c5-738192b3c4d0"]; len(u) != 2 {
		t.Errorf("the md5 attribute is mapped to %v", u)
	}

	// Two bad values: both are left out.
	c, err = ToSTIX(badFileObject(map[string]any{"uuid": "f426d7b8-15c7-4645-a909-b7c536f70810", "type": "size-in-bytes", "object_relation": "size-in-bytes", "value": "many"}))
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, c.Objects)
	var what []string
	for _, s := range c.Skipped {
		what = append(what, s.What+": "+s.Reason)
	}
	if all := strings.Join(what, "\n"); len(c.Skipped) != 3 || !strings.Contains(all, "d204b596-f3a5-4423-87e7-95a314d5e6f0") ||
		!strings.Contains(all, `f426d7b8-15c7-4645-a909-b7c536f70810 (object_relation: size-in-bytes) of object 9ec07152-bf61-40de-83a3-516f708192a0 (name: file): its size-in-bytes "many" is not an integer`) {
		t.Errorf("skipped:\n%s", all)
	}
	if byID(t, c.Objects)["file--9ec07152-bf61-40de-83a3-516f708192a0"] == nil {
		t.Error("the file object was dropped")
	}
}

// TestBadHashesLeftOut checks two malformed hashes of one file object:
// both are left out, the valid one stays.
func TestBadHashesLeftOut(t *testing.T) {
	c, err := ToSTIX(badFileObject(
		map[string]any{"uuid": "f426d7b8-15c7-4645-a909-b7c536f70810", "type": "sha1", "object_relation": "sha1", "value": "not a hash"},
		map[string]any{"uuid": "0537e8c9-26d8-4756-ba1a-c8d647081921", "type": "sha512", "object_relation": "sha512", "value": "abc"}))
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, c.Objects)
	file := byID(t, c.Objects)["file--9ec07152-bf61-40de-83a3-516f708192a0"]
	if h, _ := file["hashes"].(map[string]any); len(h) != 2 || h["MD5"] == nil || h["SHA-256"] == nil {
		t.Errorf("file %v; skipped %+v", file, c.Skipped)
	}
	var left []string
	for _, s := range c.Skipped {
		if u, _, ok := strings.Cut(strings.TrimPrefix(s.What, "attribute "), " "); ok && strings.HasPrefix(s.What, "attribute ") {
			left = append(left, u)
		}
	}
	if strings.Join(left, " ") != "d204b596-f3a5-4423-87e7-95a314d5e6f0 f426d7b8-15c7-4645-a909-b7c536f70810 0537e8c9-26d8-4756-ba1a-c8d647081921" {
		t.Errorf("left out %v, want the ssdeep, sha1 and sha512 attributes; skipped %+v", left, c.Skipped)
	}
}

// TestOnlyBadAttributes checks that an object with nothing valid left is
// still reported whole, for the first thing wrong with it.
func TestOnlyBadAttributes(t *testing.T) {
	doc := []byte(`{"uuid": "5a8c3f1e-7b2d-4c9a-8e6f-1d2b3c4d5e60", "info": "x", "timestamp": "1790812800",
	  "Object": [{"uuid": "9ec07152-bf61-40de-83a3-516f708192a0", "name": "file", "timestamp": "1790812800",
	    "Attribute": [{"uuid": "d204b596-f3a5-4423-87e7-95a314d5e6f0", "type": "ssdeep", "object_relation": "ssdeep", "value": "96:a\r\nb"}]}]}`)
	c, err := ToSTIX(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Skipped) != 1 || c.Skipped[0].What != "object 9ec07152-bf61-40de-83a3-516f708192a0 (name: file)" || !strings.Contains(c.Skipped[0].Reason, "hashes.SSDEEP") {
		t.Errorf("skipped %+v", c.Skipped)
	}
}

// An indicator in a pattern language MISP has no attribute type for is
// left out of the export and named in the summary, beside one that maps.
func TestUnmappedPatternNamed(t *testing.T) {
	pcre := `{"type":"indicator","spec_version":"2.1","id":"indicator--6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"beacon pcre","pattern":"/beacon[0-9]+/","pattern_type":"pcre","valid_from":"2026-10-01T00:00:00Z"}`
	ok := `{"type":"indicator","spec_version":"2.1","id":"indicator--7e2f3a4b-5c6d-4e7f-8a90-a1b2c3d4e5f6","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"beacon ip","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	out, skipped, err := Events([]json.RawMessage{json.RawMessage(pcre), json.RawMessage(ok)}, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "198.51.100.7") {
		t.Errorf("the stix indicator is missing:\n%s", out)
	}
	found := false
	for _, s := range skipped {
		found = found || (strings.Contains(s.What, "indicator--6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6") && strings.Contains(s.Reason, `pattern_type "pcre"`))
	}
	if !found {
		t.Errorf("the pcre indicator is not named: %+v", skipped)
	}
}
