package export_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mosaic"
	"mosaic/export"
	"mosaic/stix"
)

// ownMarked is indicator n as its originator made it: marked with its TLP
// at ingest, and ByOriginator.
func ownMarked(n int, tlp mosaic.TLP, originator string) mosaic.StoredObject {
	o := stored(indicator(n, "[ipv4-addr:value = '198.51.100.1']", `,"object_marking_refs":["`+stix.TLPMarkingID(tlp)+`"]`), tlp, originator)
	o.ByOriginator = true
	return o
}

// exported is a STIX export taken apart.
type exported struct {
	ids []string // in bundle order; a handling object as "handling(ID ID ...)"
	env map[string]map[string]any
	raw map[string]json.RawMessage
}

// readExport checks that out is a bundle Mosaic and any STIX 2.1 tool
// accept, and takes it apart.
func readExport(t *testing.T, out string) exported {
	t.Helper()
	objs, err := stix.DecodeBundle([]byte(out), stix.DefaultLimits())
	if err != nil {
		t.Fatalf("not a valid bundle: %v\n%s", err, out)
	}
	var bundle struct {
		Type, ID string
		Objects  []json.RawMessage
	}
	if err := json.Unmarshal([]byte(out), &bundle); err != nil || bundle.Type != "bundle" || !strings.HasPrefix(bundle.ID, "bundle--") || len(bundle.Objects) != len(objs) {
		t.Fatalf("bundle %s %s, %d objects as written, %d decoded: %v", bundle.Type, bundle.ID, len(bundle.Objects), len(objs), err)
	}
	e := exported{env: map[string]map[string]any{}, raw: map[string]json.RawMessage{}}
	for i, o := range objs {
		if o.Handling != nil {
			var names []string
			for _, n := range o.Handling.Names {
				names = append(names, n.ID)
			}
			e.ids = append(e.ids, "handling("+strings.Join(names, " ")+")")
			continue
		}
		e.ids = append(e.ids, o.ID)
		e.raw[o.ID] = bundle.Objects[i]
		// DecodeBundle takes the envelope apart; the object as written
		// shows it as another tool reads it.
		var x struct {
			Extensions map[string]map[string]any `json:"extensions"`
		}
		if err := json.Unmarshal(bundle.Objects[i], &x); err != nil {
			t.Fatal(err)
		}
		if env, ok := x.Extensions[stix.ExtensionID]; ok {
			e.env[o.ID] = env
		}
	}
	return e
}

func handlingOf(ids ...string) string { return "handling(" + strings.Join(ids, " ") + ")" }

func TestSTIX(t *testing.T) {
	ip := indicator(1, "[ipv4-addr:value = '198.51.100.1']", "")
	domain := indicator(2, "[domain-name:value = 'evil.example']", "")
	// Another partner's content under ip's id and version.
	ipOther := indicator(1, "[ipv4-addr:value = '198.51.100.99']", "")
	otherExt := json.RawMessage(`{"type":"extension-definition","spec_version":"2.1","id":"extension-definition--` + uuid(9) + `","created_by_ref":"identity--` + uuid(8) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"other","schema":"https://example.org/schema","version":"1.0","extension_types":["property-extension"]}`)
	head := []string{stix.IdentityID, stix.ExtensionID, stix.HandlingExtensionID}
	i1, i2, i3 := "indicator--"+uuid(1), "indicator--"+uuid(2), "indicator--"+uuid(3)
	green := stored(indicator(3, "[ipv4-addr:value = '198.51.100.3']", ""), mosaic.TLPGreen, "pb")
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
		name:    "the originators' own objects carry their envelopes",
		objs:    []mosaic.StoredObject{ownMarked(1, mosaic.TLPRed, "pa"), ownMarked(2, mosaic.TLPGreen, "pb")},
		wantIDs: append(head, i1, i2, stix.TLPMarkingID(mosaic.TLPGreen), stix.TLPMarkingID(mosaic.TLPRed)),
		wantEnv: map[string]map[string]any{
			i1: envelope("pa", "red"),
			i2: envelope("pb", "green"),
		},
		wantSummary: "exported 2 objects",
	}, {
		name: "third parties' objects as they came, their handling before them",
		objs: []mosaic.StoredObject{stored(ip, mosaic.TLPAmber, "pa"), stored(domain, mosaic.TLPAmber, "pa"), green},
		// The first two are handled alike, and share a handling object.
		wantIDs: append(head, handlingOf(i1, i2), i1, i2, handlingOf(i3), i3, stix.TLPMarkingID(mosaic.TLPGreen), stix.TLPMarkingID(mosaic.TLPAmber)),
		wantSummary: "exported 3 objects\n3 objects of third parties as they came in, their handling in 2 handling objects beside them in the bundle\n" +
			"warning: 3 objects handled above TLP:CLEAR leave without a TLP marking of their own; their TLP is only in the handling objects (x-mosaic-handling), which a tool that does not know them ignores",
	}, {
		name:        "an own object between third parties' ends a handling object",
		objs:        []mosaic.StoredObject{stored(ip, mosaic.TLPClear, "pa"), ownMarked(2, mosaic.TLPClear, "pa"), stored(indicator(3, "[ipv4-addr:value = '198.51.100.3']", ""), mosaic.TLPClear, "pa")},
		wantIDs:     append(head, handlingOf(i1), i1, i2, handlingOf(i3), i3, stix.TLPMarkingID(mosaic.TLPClear)),
		wantEnv:     map[string]map[string]any{i2: envelope("pa", "clear")},
		wantSummary: "exported 3 objects\n2 objects of third parties as they came in, their handling in 2 handling objects beside them in the bundle",
	}, {
		// The bundle holds the first contribution.
		name:        "duplicate id and version",
		objs:        []mosaic.StoredObject{ownMarked(1, mosaic.TLPAmber, "pa"), stored(ipOther, mosaic.TLPRed, "pb"), ownMarked(1, mosaic.TLPAmber, "pa")},
		wantIDs:     append(head, i1, stix.TLPMarkingID(mosaic.TLPAmber)),
		wantEnv:     map[string]map[string]any{i1: envelope("pa", "amber")},
		wantSummary: "exported 1 objects (2 further contributions with an id and version already in the bundle left out)",
	}, {
		// Stored copies of what every export writes itself are not
		// written twice.
		name: "Mosaic's own objects",
		objs: []mosaic.StoredObject{
			stored(stix.Identity(), mosaic.TLPClear, "pa"),
			stored(stix.ExtensionDefinition(), mosaic.TLPClear, "pa"),
			stored(stix.HandlingExtensionDefinition(), mosaic.TLPClear, "pa"),
			stored(stix.TLPMarkingDefinition(mosaic.TLPAmber), mosaic.TLPClear, "pa"),
			ownMarked(2, mosaic.TLPAmber, "pa"),
		},
		wantIDs:     append(head, i2, stix.TLPMarkingID(mosaic.TLPAmber)),
		wantEnv:     map[string]map[string]any{i2: envelope("pa", "amber")},
		wantSummary: "exported 1 objects",
	}, {
		name:        "an extension definition carries no envelope",
		objs:        []mosaic.StoredObject{{Object: otherExt, Envelope: stored(nil, mosaic.TLPClear, "pa").Envelope, ByOriginator: true}},
		wantIDs:     append(head, handlingOf("extension-definition--"+uuid(9)), "extension-definition--"+uuid(9), stix.TLPMarkingID(mosaic.TLPClear)),
		wantSummary: "exported 1 objects\n1 objects of third parties as they came in, their handling in 1 handling objects beside them in the bundle",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, summary := write(t, "stix", tc.objs...)
			if summary != tc.wantSummary {
				t.Errorf("summary %q, want %q", summary, tc.wantSummary)
			}
			got := readExport(t, out)
			if diff := cmp.Diff(tc.wantIDs, got.ids); diff != "" {
				t.Errorf("object ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantEnv, got.env, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("envelopes (-want +got):\n%s", diff)
			}
			// An object with its handling beside it is written byte for
			// byte as stored; an own object is, apart from the envelope.
			first := map[string]mosaic.StoredObject{}
			for _, o := range tc.objs {
				id := stix.ReadHead(o.Object).ID
				if _, ok := first[id]; !ok {
					first[id] = o
				}
			}
			for id, raw := range got.raw {
				o, ok := first[id]
				switch {
				case !ok:
				case !o.ByOriginator || strings.HasPrefix(id, "extension-definition--"):
					if !bytes.Equal(raw, o.Object) {
						t.Errorf("%s changed:\nstored   %s\nexported %s", id, o.Object, raw)
					}
				default:
					want, _ := stix.DecodeObject(o.Object, stix.DefaultLimits())
					gotObj, _ := stix.DecodeObject(raw, stix.DefaultLimits())
					if diff := cmp.Diff(string(want.Canonical), string(gotObj.Canonical)); diff != "" {
						t.Errorf("%s (-want +got):\n%s", id, diff)
					}
				}
			}
		})
	}
}

// TestSTIXHandlingGroups: a handling object names at most
// stix.MaxHandlingNames objects, and what it says is each object's
// envelope.
func TestSTIXHandlingGroups(t *testing.T) {
	var objs []mosaic.StoredObject
	for n := range stix.MaxHandlingNames + 2 {
		objs = append(objs, stored(indicator(n+1, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPGreen, "pa"))
	}
	other := stored(indicator(5000, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPRed, "pa")
	other.Envelope.Audience = mosaic.Audience{Compartments: []string{"ops"}}
	objs = append(objs, other)
	out, _ := write(t, "stix", objs...)
	got, err := stix.DecodeBundle([]byte(out), stix.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	var tlps []mosaic.TLP
	for _, o := range got {
		if o.Handling != nil {
			sizes = append(sizes, len(o.Handling.Names))
			tlps = append(tlps, o.Handling.TLP)
			if a := o.Handling.Envelope.Audience; o.Handling.TLP == mosaic.TLPRed && (a == nil || a.String() != "compartment:ops") {
				t.Errorf("the red handling object's audience is %v", a)
			}
		}
	}
	if !cmp.Equal(sizes, []int{stix.MaxHandlingNames, 2, 1}) || !cmp.Equal(tlps, []mosaic.TLP{mosaic.TLPGreen, mosaic.TLPGreen, mosaic.TLPRed}) {
		t.Errorf("handling objects of %v objects, TLP %v", sizes, tlps)
	}
}

// TestSTIXHandlingFile: with HandlingTo, the export holds the objects
// alone, as stored, and the handling objects are a bundle of their own.
func TestSTIXHandlingFile(t *testing.T) {
	objs := []mosaic.StoredObject{
		stored(indicator(1, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPRed, "pa"),
		ownMarked(2, mosaic.TLPGreen, "pa"),
	}
	objs[0].Envelope.Audience = mosaic.Audience{}
	var main, side bytes.Buffer
	w, err := export.New("stix", &main, now, export.HandlingTo(&side))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Begin(); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := w.Object(o); err != nil {
			t.Fatal(err)
		}
	}
	summary, err := w.End()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "1 objects of third parties as they came in, their handling in 1 handling objects in the handling file") ||
		!strings.Contains(summary, "warning: 1 objects handled above TLP:CLEAR leave without a TLP marking of their own") {
		t.Errorf("summary %q", summary)
	}
	m := readExport(t, main.String())
	i1, i2 := "indicator--"+uuid(1), "indicator--"+uuid(2)
	if want := []string{stix.IdentityID, stix.ExtensionID, i1, i2, stix.TLPMarkingID(mosaic.TLPGreen)}; !cmp.Equal(m.ids, want) {
		t.Errorf("export: %v, want %v", m.ids, want)
	}
	if !bytes.Equal(m.raw[i1], objs[0].Object) {
		t.Errorf("the third party's object changed: %s", m.raw[i1])
	}
	s := readExport(t, side.String())
	if want := []string{stix.IdentityID, stix.HandlingExtensionID, handlingOf(i1), stix.TLPMarkingID(mosaic.TLPRed)}; !cmp.Equal(s.ids, want) {
		t.Errorf("handling file: %v, want %v", s.ids, want)
	}
	// Only the STIX format writes handling objects.
	if _, err := export.New("csv", &main, now, export.HandlingTo(&side)); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("csv with a handling file: %v", err)
	}
}

// TestSTIXUnmarkedWarning: what counts as leaving without a TLP marking of
// one's own.
func TestSTIXUnmarkedWarning(t *testing.T) {
	declares := json.RawMessage(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--` + uuid(70) + `","created":"2026-09-01T00:00:00.000Z","name":"TLP:AMBER",` +
		`"extensions":{"` + stix.TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"amber"}}}`)
	statement := json.RawMessage(`{"type":"marking-definition","spec_version":"2.1","id":"marking-definition--` + uuid(71) + `","created":"2026-09-01T00:00:00.000Z","definition_type":"statement","definition":{"statement":"Copyright"}}`)
	refs := func(ids ...string) string {
		b, _ := json.Marshal(ids)
		return `,"object_marking_refs":` + string(b)
	}
	objs := []mosaic.StoredObject{
		stored(indicator(1, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPAmber, "pa"),                                                               // counted
		stored(indicator(2, "[ipv4-addr:value = '198.51.100.1']", ""), mosaic.TLPClear, "pa"),                                                               // CLEAR
		stored(indicator(3, "[ipv4-addr:value = '198.51.100.1']", refs("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82")), mosaic.TLPAmber, "pa"), // TLP 1.0
		stored(indicator(4, "[ipv4-addr:value = '198.51.100.1']", refs("marking-definition--"+uuid(70))), mosaic.TLPAmber, "pa"),                            // declared later
		stored(indicator(5, "[ipv4-addr:value = '198.51.100.1']", refs("marking-definition--"+uuid(71))), mosaic.TLPAmber, "pa"),                            // a statement: counted
		stored(declares, mosaic.TLPClear, "pa"),
		stored(statement, mosaic.TLPClear, "pa"),
	}
	_, summary := write(t, "stix", objs...)
	if !strings.Contains(summary, "warning: 2 objects handled above TLP:CLEAR leave without a TLP marking of their own") {
		t.Errorf("summary %q", summary)
	}
}

// envelope is the extension an object of the stored helper carries.
func envelope(originator, tlp string) map[string]any {
	return map[string]any{
		"extension_type": "property-extension", "originator": originator, "tlp": tlp,
		"audience": []any{"cell"}, "orcon": true, "legal_basis": "wpg", "review_by": "2027-01-01",
	}
}
