package stix

import (
	"encoding/json"
	"slices"
	"testing"

	"mosaic"
)

func TestMarkTLP(t *testing.T) {
	raw := `{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.1']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	o, probs := DecodeObject([]byte(raw), DefaultLimits())
	if len(probs) > 0 || o.HasTLP {
		t.Fatalf("%v %v", probs, o.HasTLP)
	}
	o.MarkTLP(mosaic.TLPAmber)
	again, probs := DecodeObject(o.Canonical, DefaultLimits())
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if !again.HasTLP || again.TLP != mosaic.TLPAmber || string(again.Canonical) != string(o.Canonical) || again.Hash != o.Hash {
		t.Errorf("marked object decodes to TLP %v (%v), canonical %s", again.TLP, again.HasTLP, again.Canonical)
	}
}

const customMarking = "marking-definition--1d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"

func markingDef(id, props string) string {
	created := "2026-01-01T00:00:00.000Z"
	if _, ok := tlp1Level[id]; ok {
		created = "2017-01-20T00:00:00.000Z" // the schema allows no other
	}
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + id + `","created":"` + created + `"` + props + `}`
}

func tlp2Ext(level string) string {
	return `,"extensions":{"` + TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":` + level + `}}`
}

const statement = `,"definition_type":"statement","definition":{"statement":"Copyright 2026, Example Corp"}`

// TestMarkingTLP: what a marking definition declares, and what it may not
// show without declaring it.
func TestMarkingTLP(t *testing.T) {
	ext2 := "extensions." + TLP2ExtensionID + ".tlp_2_0"
	tests := []struct {
		name  string
		obj   string
		level mosaic.TLP // MarkingTLP's answer, "" for none
		want  []wantProblem
	}{
		{name: "TLP 2.0 extension under its own id", obj: markingDef(customMarking, `,"name":"TLP:RED"`+tlp2Ext(`"red"`)), level: mosaic.TLPRed},
		{name: "TLP 2.0 extension without a name", obj: markingDef(customMarking, tlp2Ext(`"amber+strict"`)), level: mosaic.TLPAmberStrict},
		{name: "TLP:WHITE is clear", obj: markingDef(customMarking, `,"name":"TLP:WHITE"`+tlp2Ext(`"clear"`)), level: mosaic.TLPClear},
		{name: "OpenCTI's TLP:AMBER+STRICT", obj: markingDef(customMarking, `,"name":"TLP:AMBER+STRICT","definition_type":"statement","definition":{"statement":"custom"},"x_opencti_definition_type":"TLP","x_opencti_definition":"TLP:AMBER+STRICT"`), level: mosaic.TLPAmberStrict},
		{name: "statement", obj: markingDef(customMarking, `,"name":"Copyright"`+statement)},
		{name: "a name that is no TLP label", obj: markingDef(customMarking, `,"name":"Red team notes"`+statement)},
		{name: "the official TLP 1.0 red", obj: markingDef("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", `,"name":"TLP:RED","definition_type":"tlp","definition":{"tlp":"red"}`), level: mosaic.TLPRed},

		// A TLP 1.0 definition declares a level, but STIX 2.1 §7.2.1.4 allows
		// only the four it defines.
		{name: "TLP 1.0 under its own id", obj: markingDef(customMarking, `,"name":"TLP:RED","definition_type":"tlp","definition":{"tlp":"red"}`), level: mosaic.TLPRed,
			want: []wantProblem{{customMarking, "definition_type", "TLP 1.0 markings must be one of the four"}}},
		{name: "TLP 1.0 in upper case", obj: markingDef(customMarking, `,"definition_type":"TLP","definition":{"tlp":"RED"}`), level: mosaic.TLPRed,
			want: []wantProblem{{customMarking, "definition_type", "TLP 1.0 markings must be one of the four"}}},
		{name: "official TLP 1.0 id in upper case", obj: markingDef("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", `,"definition_type":"TLP","definition":{"tlp":"red"}`), level: mosaic.TLPRed,
			want: []wantProblem{{"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "definition_type", `definition_type must be "tlp", not "TLP"`}}},

		{name: "named TLP:RED, declaring nothing", obj: markingDef(customMarking, `,"name":"TLP:RED"`+statement),
			want: []wantProblem{{customMarking, "name", `name "TLP:RED" reads as a TLP label, but the marking definition declares no TLP level, so what it marks would look TLP:RED to every reader`}}},
		{name: "named amber+strict in lower case", obj: markingDef(customMarking, `,"name":"tlp: amber+strict"`+statement),
			want: []wantProblem{{customMarking, "name", "declares no TLP level"}}},
		{name: "named RED without TLP:", obj: markingDef(customMarking, `,"name":"RED"`+statement),
			want: []wantProblem{{customMarking, "name", "declares no TLP level"}}},
		{name: "named TLP:RED, declaring clear", obj: markingDef(customMarking, `,"name":"TLP:RED"`+tlp2Ext(`"clear"`)), level: mosaic.TLPClear,
			want: []wantProblem{{customMarking, "name", `name "TLP:RED" reads as TLP:RED, but the marking definition is TLP:CLEAR`}}},
		{name: "tlp_2_0 not a level", obj: markingDef(customMarking, tlp2Ext(`"purple"`)),
			want: []wantProblem{{customMarking, ext2, `tlp_2_0 of the TLP 2.0 extension must be one of clear, green, amber, amber+strict, red, not "purple"`}}},
		{name: "tlp_2_0 in upper case", obj: markingDef(customMarking, tlp2Ext(`"RED"`)), level: mosaic.TLPRed,
			want: []wantProblem{{customMarking, ext2, `not "RED"`}}},
		{name: "tlp_2_0 missing", obj: markingDef(customMarking, `,"name":"TLP:RED","extensions":{"`+TLP2ExtensionID+`":{"extension_type":"property-extension"}}`),
			want: []wantProblem{{customMarking, "name", "declares no TLP level"}, {customMarking, ext2, "not null"}}},
		{name: "two levels", obj: markingDef(customMarking, `,"x_opencti_definition_type":"TLP","x_opencti_definition":"TLP:CLEAR"`+tlp2Ext(`"red"`)), level: mosaic.TLPRed,
			want: []wantProblem{{customMarking, "x_opencti_definition", "x_opencti_definition declares TLP:CLEAR, but tlp_2_0 declares TLP:RED: a marking definition has one TLP level"}}},
		{name: "OpenCTI, not a level", obj: markingDef(customMarking, statement+`,"x_opencti_definition_type":"TLP","x_opencti_definition":"TLP:PURPLE"`),
			want: []wantProblem{{customMarking, "x_opencti_definition", `must be a TLP level such as "TLP:AMBER+STRICT", not "TLP:PURPLE"`}}},
		{name: "an official TLP 2.0 id declaring another level", obj: markingDef(TLPMarkingID(mosaic.TLPGreen), `,"name":"TLP:GREEN"`+tlp2Ext(`"red"`)), level: mosaic.TLPRed,
			want: []wantProblem{{TLPMarkingID(mosaic.TLPGreen), ext2, "tlp_2_0 declares TLP:RED, but its id is that of the official TLP:GREEN marking definition"}}},
		{name: "an official TLP 1.0 id named otherwise", obj: markingDef("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", `,"name":"TLP:RED","definition_type":"tlp","definition":{"tlp":"green"}`), level: mosaic.TLPGreen,
			want: []wantProblem{{"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "name", "reads as TLP:RED, but the marking definition is TLP:GREEN"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, probs := DecodeObject([]byte(tt.obj), Limits{})
			checkProblems(t, probs, tt.want)
			props := o.Props
			if len(probs) > 0 {
				props = stdDecode(t, []byte(tt.obj))
			}
			level, ok := MarkingTLP(props)
			if level != tt.level || ok != (tt.level != "") {
				t.Errorf("MarkingTLP = %q, %v; want %q", level, ok, tt.level)
			}
		})
	}
	// Only marking definitions declare levels.
	if _, ok := MarkingTLP(stdDecode(t, []byte(set(indicator, "extensions", `{"`+TLP2ExtensionID+`":{"extension_type":"property-extension","tlp_2_0":"red"}}`)))); ok {
		t.Error("an indicator declares a TLP level")
	}
	// Every official definition, as published, passes the rules.
	for _, level := range mosaic.TLPLevels {
		o, probs := DecodeObject(TLPMarkingDefinition(level), Limits{})
		if got, ok := MarkingTLP(o.Props); len(probs) > 0 || !ok || got != level {
			t.Errorf("official %s: %v, MarkingTLP %q", level, probs, got)
		}
	}
}

// TestResolveTLP: the strictest of an object's markings, object level and
// granular, official or resolved by the caller.
func TestResolveTLP(t *testing.T) {
	other := "marking-definition--2d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"
	levels := map[string]mosaic.TLP{customMarking: mosaic.TLPRed, other: mosaic.TLPAmberStrict}
	level := func(id string) (mosaic.TLP, bool) { t, ok := levels[id]; return t, ok }
	statementID := "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"
	tests := []struct {
		name     string
		refs     []string
		granular []string
		want     mosaic.TLP
	}{
		{name: "none"},
		{name: "unknown only", refs: []string{statementID}},
		{name: "custom red", refs: []string{customMarking}, want: mosaic.TLPRed},
		{name: "custom red over official green", refs: []string{TLPMarkingID(mosaic.TLPGreen), customMarking}, want: mosaic.TLPRed},
		{name: "official red over custom amber+strict", refs: []string{other, TLPMarkingID(mosaic.TLPRed)}, want: mosaic.TLPRed},
		{name: "custom amber+strict over TLP 1.0 amber", refs: []string{tlpAmber1, other, statementID}, want: mosaic.TLPAmberStrict},
		{name: "granular custom red", refs: []string{TLPMarkingID(mosaic.TLPClear)}, granular: []string{customMarking}, want: mosaic.TLPRed},
		{name: "granular only", granular: []string{other}, want: mosaic.TLPAmberStrict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := indicator
			if len(tt.refs) > 0 {
				b, _ := json.Marshal(tt.refs)
				obj = set(obj, "object_marking_refs", string(b))
			}
			var gm []map[string]any
			for _, r := range tt.granular {
				gm = append(gm, map[string]any{"marking_ref": r, "selectors": []string{"name"}})
			}
			if gm != nil {
				b, _ := json.Marshal(gm)
				obj = set(obj, "granular_markings", string(b))
			}
			o, probs := DecodeObject([]byte(obj), Limits{})
			if len(probs) > 0 {
				t.Fatal(probs)
			}
			refs := slices.Collect(o.MarkingRefs())
			if want := append(slices.Clone(tt.refs), tt.granular...); !slices.Equal(refs, want) {
				t.Errorf("MarkingRefs = %v, want %v", refs, want)
			}
			o.ResolveTLP(level)
			if o.TLP != tt.want || o.HasTLP != (tt.want != "") {
				t.Errorf("TLP %q, HasTLP %v; want %q", o.TLP, o.HasTLP, tt.want)
			}
		})
	}
}
