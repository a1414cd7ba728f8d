package export_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mosaic"
	"mosaic/stix"
)

func TestSTIX(t *testing.T) {
	ip := indicator(1, "[ipv4-addr:value = '198.51.100.1']", "")
	domain := indicator(2, "[domain-name:value = 'evil.example']", "")
	// Another partner's content under ip's id and version.
	ipOther := indicator(1, "[ipv4-addr:value = '198.51.100.99']", "")
	otherExt := json.RawMessage(`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--` + uuid(9) + `","created_by_ref":"identity--` + uuid(8) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"other","schema":"https://example.org/schema","version":"1.0","extension_types":["property-extension"]}`)
	head := []string{stix.IdentityID, stix.ExtensionID}
	for _, tc := range []struct {
		name    string
		objs    []mosaic.StoredObject
		wantIDs []string // in bundle order
		// wantEnv is the envelope extension each object carries, by id;
		// an object not named carries none.
		wantEnv     map[string]map[string]any
		wantSummary string
	}{{
		name:        "empty",
		wantIDs:     head,
		wantSummary: "exported 0 objects",
	}, {
		name:    "envelopes and the markings in use",
		objs:    []mosaic.StoredObject{stored(ip, mosaic.TLPRed, "pa"), stored(domain, mosaic.TLPGreen, "pb")},
		wantIDs: append(head, "indicator--"+uuid(1), "indicator--"+uuid(2), stix.TLPMarkingID(mosaic.TLPGreen), stix.TLPMarkingID(mosaic.TLPRed)),
		wantEnv: map[string]map[string]any{
			"indicator--" + uuid(1): envelope("pa", "red"),
			"indicator--" + uuid(2): envelope("pb", "green"),
		},
		wantSummary: "exported 2 objects",
	}, {
		// The bundle holds the first contribution; the second's TLP is
		// not in use.
		name:        "duplicate id and version",
		objs:        []mosaic.StoredObject{stored(ip, mosaic.TLPAmber, "pa"), stored(ipOther, mosaic.TLPRed, "pb"), stored(ip, mosaic.TLPAmber, "pa")},
		wantIDs:     append(head, "indicator--"+uuid(1), stix.TLPMarkingID(mosaic.TLPAmber)),
		wantEnv:     map[string]map[string]any{"indicator--" + uuid(1): envelope("pa", "amber")},
		wantSummary: "exported 1 objects (2 further contributions with an id and version already in the bundle left out)",
	}, {
		// Stored copies of what every export writes itself are not
		// written twice.
		name: "Mosaic's own objects",
		objs: []mosaic.StoredObject{
			stored(stix.Identity(), mosaic.TLPClear, "pa"),
			stored(stix.ExtensionDefinition(), mosaic.TLPClear, "pa"),
			stored(stix.TLPMarkingDefinition(mosaic.TLPAmber), mosaic.TLPClear, "pa"),
			stored(domain, mosaic.TLPAmber, "pa"),
		},
		wantIDs:     append(head, "indicator--"+uuid(2), stix.TLPMarkingID(mosaic.TLPAmber)),
		wantEnv:     map[string]map[string]any{"indicator--" + uuid(2): envelope("pa", "amber")},
		wantSummary: "exported 1 objects",
	}, {
		name:        "another extension definition carries no envelope",
		objs:        []mosaic.StoredObject{stored(otherExt, mosaic.TLPClear, "pa")},
		wantIDs:     append(head, "extension-definition--"+uuid(9), stix.TLPMarkingID(mosaic.TLPClear)),
		wantSummary: "exported 1 objects",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, summary := write(t, "stix", tc.objs...)
			if summary != tc.wantSummary {
				t.Errorf("summary %q, want %q", summary, tc.wantSummary)
			}
			// What Mosaic exports, Mosaic and any STIX 2.1 tool accept.
			objs, err := stix.DecodeBundle([]byte(out), stix.DefaultLimits())
			if err != nil {
				t.Fatalf("not a valid bundle: %v\n%s", err, out)
			}
			var bundle struct{ Type, ID string }
			if err := json.Unmarshal([]byte(out), &bundle); err != nil || bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") {
				t.Errorf("bundle %+v, %v", bundle, err)
			}
			var raw struct{ Objects []json.RawMessage }
			if err := json.Unmarshal([]byte(out), &raw); err != nil || len(raw.Objects) != len(objs) {
				t.Fatalf("%d objects as written, %d decoded: %v", len(raw.Objects), len(objs), err)
			}
			var gotIDs []string
			gotEnv := map[string]map[string]any{}
			for i, o := range objs {
				gotIDs = append(gotIDs, o.ID)
				// DecodeBundle takes the envelope apart; the object as
				// written shows it as another tool reads it.
				var x struct {
					Extensions map[string]map[string]any `json:"extensions"`
				}
				if err := json.Unmarshal(raw.Objects[i], &x); err != nil {
					t.Fatal(err)
				}
				if env, ok := x.Extensions[stix.ExtensionID]; ok {
					gotEnv[o.ID] = env
				}
			}
			if diff := cmp.Diff(tc.wantIDs, gotIDs); diff != "" {
				t.Errorf("object ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEnv, gotEnv, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("envelopes (-want +got):\n%s", diff)
			}
			// Apart from the envelope, each object is the first
			// contribution of its id as stored.
			first := map[string]json.RawMessage{}
			for _, o := range tc.objs {
				want, probs := stix.DecodeObject(o.Object, stix.DefaultLimits())
				if len(probs) > 0 {
					t.Fatal(probs)
				}
				if first[want.ID] == nil {
					first[want.ID] = want.Canonical
				}
			}
			for _, o := range objs {
				if want, ok := first[o.ID]; ok {
					if diff := cmp.Diff(string(want), string(o.Canonical)); diff != "" {
						t.Errorf("%s (-want +got):\n%s", o.ID, diff)
					}
				}
			}
		})
	}
}

// envelope is the extension an object of the stored helper carries.
func envelope(originator, tlp string) map[string]any {
	return map[string]any{
		"extension_type": "property-extension", "originator": originator, "tlp": tlp,
		"audience": []any{"cell"}, "orcon": true, "legal_basis": "wpg", "review_by": "2027-01-01",
	}
}
