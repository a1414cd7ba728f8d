package release

import (
	"strings"
	"testing"
)

// Source protection: what Protect lets through below the top level of an
// object. It strips the properties STIX does not define for the type,
// extensions and granular markings, and maps references, at the top level
// only.

// observed-data's (deprecated, still defined) "objects" is released as
// the source wrote it: the embedded observable keeps the id the source gave
// it, its custom properties and its extensions.
func TestAttackProtectObservedDataObjects(t *testing.T) {
	src := `{"type":"observed-data","spec_version":"2.1","id":"observed-data--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","created":"2026-10-01T08:15:42.123Z","modified":"2026-10-01T08:15:42.123Z",` +
		`"first_observed":"2026-10-01T00:00:00Z","last_observed":"2026-10-01T00:00:00Z","number_observed":1,` +
		`"objects":{"0":{"type":"ipv4-addr","id":"ipv4-addr--5e1b5f3a-0d7c-4c2e-9c1a-2b3c4d5e6f70","value":"10.0.0.1","x_source_case":"OP-NIGHTJAR","extensions":{"x-handler-ext":{"handler":"Jan in room 4"}}}}}`
	out, err := Protect([]byte(src), Sanitisation{}, origin(nil))
	if err != nil {
		return // refused: the defence holds
	}
	for _, leak := range []string{"5e1b5f3a-0d7c", "NIGHTJAR", "room 4", "extensions", "x_source_case"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("%q is in the released observed-data: %s", leak, out)
		}
	}
}

// A reference below the top level (email-message's body_multipart[].
// body_raw_ref) is neither mapped to a released id nor refused: the
// released object names the source's own id of the attachment, a
// reference no recipient can resolve.
func TestAttackProtectNestedReference(t *testing.T) {
	src := `{"type":"email-message","spec_version":"2.1","id":"email-message--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","is_multipart":true,"subject":"invoice",` +
		`"body_multipart":[{"content_type":"application/zip","body_raw_ref":"artifact--5e1b5f3a-0d7c-4c2e-9c1a-2b3c4d5e6f70"}]}`
	out, err := Protect([]byte(src), Sanitisation{}, origin(nil))
	if err != nil {
		return // refused: the defence holds
	}
	if strings.Contains(string(out), "5e1b5f3a-0d7c") {
		t.Errorf("the released email names the source's artifact id: %s", out)
	}
}

// Custom properties and extensions inside a defined list or dictionary
// (a kill chain phase, a registry key's value) are released.
func TestAttackProtectNestedCustomProperties(t *testing.T) {
	for _, src := range []string{
		`{"type":"malware","spec_version":"2.1","id":"malware--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","created":"2026-10-01T08:15:42.123Z","modified":"2026-10-01T08:15:42.123Z","name":"m","is_family":false,` +
			`"kill_chain_phases":[{"kill_chain_name":"lockheed-martin-cyber-kill-chain","phase_name":"delivery","x_source_case":"OP-NIGHTJAR","extensions":{"x-handler-ext":{"handler":"Jan in room 4"}}}]}`,
		`{"type":"windows-registry-key","spec_version":"2.1","id":"windows-registry-key--0a6a2c52-6bd2-4c6d-a2c0-7d8e1c5c0001","key":"HKEY_LOCAL_MACHINE\\Software\\Run",` +
			`"values":[{"name":"updater","data":"c:\\u.exe","x_source_case":"OP-NIGHTJAR"}]}`,
	} {
		out, err := Protect([]byte(src), Sanitisation{}, origin(nil))
		if err != nil {
			continue // refused: the defence holds
		}
		for _, leak := range []string{"NIGHTJAR", "room 4", "x_source_case"} {
			if strings.Contains(string(out), leak) {
				t.Errorf("%q is in the released object: %s", leak, out)
			}
		}
	}
}

func TestAttackProtectRewrittenCreator(t *testing.T) {
	const other = "identity--7f6e5d4c-3b2a-4190-8a7b-6c5d4e3f2a1b"
	o := origin(nil)
	o.Attribute = true
	out, err := Protect([]byte(sourceIndicator(1)), Sanitisation{Rewrite: map[string]string{"created_by_ref": other}}, o)
	if err != nil {
		return // refused: the defence holds
	}
	if strings.Contains(string(out), other) {
		t.Errorf("the released object is attributed to %s, whom the source never named: %s", other, out)
	}
}
