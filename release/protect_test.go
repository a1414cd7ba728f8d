package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/stix"
)

const (
	cellIdentity = "identity--65b1510e-f824-4cf9-ab65-458957372e5c"
	amberMarking = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
	sourceOrg    = "identity--3e3a4b1c-7d2e-4f60-8a9b-0c1d2e3f4a5b"
)

func origin(refs map[string]string) Origin {
	return Origin{IDKey: bytes.Repeat([]byte{9}, 32), Cell: cellIdentity, TLPMarking: amberMarking,
		FirstPublished: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Published: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC),
		Ref: func(id string) (string, bool) { to, ok := refs[id]; return to, ok }}
}

// A source indicator with everything that could tell where it came from.
func sourceIndicator(n int) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-1111-4111-8111-111111111111","created":"2026-10-0%dT08:15:00.000Z","modified":"2026-10-0%dT09:15:00.000Z",`+
		`"created_by_ref":%q,"name":"C2","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z",`+
		`"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],"external_references":[{"source_name":"source-internal","url":"https://intranet.source.example/case/%d"}],`+
		`"x_source_case":"OP-NIGHTJAR-%d","handler_note":"ask Jan in room 4","extensions":{"extension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee41":{"extension_type":"property-extension","legal_basis":"wiv2017"}}}`,
		n, 1+n%9, 1+n%9, sourceOrg, n, n)
}

func TestProtect(t *testing.T) {
	src := sourceIndicator(1)
	out, err := Protect([]byte(src), Sanitisation{}, origin(nil))
	if err != nil {
		t.Fatal(err)
	}
	m := props(t, out)
	want := map[string]any{"created_by_ref": cellIdentity, "created": "2026-12-01T09:00:00.000Z", "modified": "2026-12-07T09:00:00.000Z",
		"id": DerivedID(bytes.Repeat([]byte{9}, 32), "indicator", "indicator--00000001-1111-4111-8111-111111111111", Sanitisation{}.Canonical())}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	for _, gone := range []string{"00000001-1111", sourceOrg, "2026-10-02", "intranet", "NIGHTJAR", "wiv2017", "e828b379", "room 4"} {
		if strings.Contains(string(out), gone) {
			t.Errorf("%q is in the released object: %s", gone, out)
		}
	}
	// Allowed to say where it came from: the references stay, and the
	// creator is the originator's identity, as the directory names it.
	o := origin(nil)
	o.Attribute, o.Creator = true, "identity--0c6e6f3a-5d0b-4a8e-9c55-2f1e0d3b7a19"
	out, err = Protect([]byte(src), Sanitisation{}, o)
	if err != nil {
		t.Fatal(err)
	}
	if m := props(t, out); m["created_by_ref"] != o.Creator || m["external_references"] == nil {
		t.Errorf("attributed: %s", out)
	}
}

func TestProtectReferences(t *testing.T) {
	rel := `{"type":"relationship","spec_version":"2.1","id":"relationship--2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
		`"relationship_type":"indicates","source_ref":"indicator--00000001-1111-4111-8111-111111111111","target_ref":"malware--3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b"}`
	released := map[string]string{"indicator--00000001-1111-4111-8111-111111111111": "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}
	if _, err := Protect([]byte(rel), Sanitisation{}, origin(released)); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "malware--3c4d5e6f") {
		t.Fatalf("a reference to an object not released: %v", err)
	}
	released["malware--3c4d5e6f-7081-4293-a4b5-c6d7e8f90a1b"] = "malware--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	out, err := Protect([]byte(rel), Sanitisation{}, origin(released))
	if err != nil {
		t.Fatal(err)
	}
	if m := props(t, out); m["source_ref"] != "indicator--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa" || m["target_ref"] != "malware--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb" {
		t.Errorf("references: %s", out)
	}
}

// An SCO gets the id STIX derives from its value, whatever id its source
// gave it (a random one would lead back to the source), and loses its
// source's markings. One whose type gives no such id gets a derived one.
func TestProtectSCO(t *testing.T) {
	sco := `{"type":"domain-name","spec_version":"2.1","id":"domain-name--dd6d8c43-7ae4-4a04-b7d4-6a6c5a6bd5b9","value":"evil.example","object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}`
	out, err := Protect([]byte(sco), Sanitisation{}, origin(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := stix.SCOID("domain-name", map[string]any{"value": "evil.example"})
	if m := props(t, out); m["id"] != want || strings.Contains(string(out), "dd6d8c43") || strings.Contains(string(out), "e828b379") || m["created_by_ref"] != nil {
		t.Errorf("released SCO: %s", out)
	}
	if id, err := ReleasedID(bytes.Repeat([]byte{9}, 32), []byte(sco), Sanitisation{}); err != nil || id != want {
		t.Errorf("ReleasedID %s, %v", id, err)
	}
	proc := `{"type":"process","spec_version":"2.1","id":"process--dd6d8c43-7ae4-4a04-b7d4-6a6c5a6bd5b9","pid":4242}`
	out, err = Protect([]byte(proc), Sanitisation{}, origin(nil))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := ReleasedID(bytes.Repeat([]byte{9}, 32), []byte(proc), Sanitisation{}); strings.Contains(string(out), "dd6d8c43") || props(t, out)["id"] != id {
		t.Errorf("released process: %s, want id %s", out, id)
	}
}

// Property: over many source objects, nothing that names the source (its
// id, its creator, its times, its references, its custom properties, its
// envelope) reaches the released object, which is valid STIX; the same
// source so sanitised is released under the same id again.
func TestProtectLeavesNoSource(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for i := range 300 {
		n := rng.IntN(1 << 30)
		src := sourceIndicator(n)
		s := Sanitisation{}
		if rng.IntN(2) == 0 {
			s.Rewrite = map[string]string{"name": "C2 server"}
		}
		out, err := Protect([]byte(src), s, origin(nil))
		if err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		if _, probs := stix.DecodeObject(out, stix.DefaultLimits()); len(probs) > 0 {
			t.Fatalf("round %d: %v", i, probs)
		}
		for _, gone := range []string{fmt.Sprintf("%08x-1111", n), sourceOrg, "T08:15", "T09:15", "intranet", "NIGHTJAR", "wiv2017", "e828b379", "room 4"} {
			if strings.Contains(string(out), gone) {
				t.Fatalf("round %d: %q is in %s", i, gone, out)
			}
		}
		again, _ := Protect([]byte(src), s, origin(nil))
		var a, b map[string]any
		json.Unmarshal(out, &a)
		json.Unmarshal(again, &b)
		if a["id"] != b["id"] {
			t.Fatalf("round %d: released twice under %v and %v", i, a["id"], b["id"])
		}
	}
}

// An SCO whose id derives from its references is not released, since its
// id would still name its sources; extensions never are.
func TestProtectRefusesDerivedSCOs(t *testing.T) {
	nt := `{"type":"network-traffic","spec_version":"2.1","id":"network-traffic--2568d22a-8998-58eb-99ec-3c8ca74f527d","dst_ref":"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4","protocols":["tcp"]}`
	refs := map[string]string{"ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4": "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4"}
	if _, err := Protect([]byte(nt), Sanitisation{}, origin(refs)); mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(err.Error(), "not released yet") {
		t.Errorf("network-traffic: %v", err)
	}
	ext := `{"type":"domain-name","spec_version":"2.1","id":"domain-name--dd6d8c43-7ae4-5a04-b7d4-6a6c5a6bd5b9","value":"evil.example","extensions":{"x-acme-ext":{"case":"OP-NIGHTJAR"}}}`
	out, err := Protect([]byte(ext), Sanitisation{}, origin(nil))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "NIGHTJAR") || strings.Contains(string(out), "extensions") {
		t.Errorf("an extension was released: %s", out)
	}
}
