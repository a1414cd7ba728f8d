package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
	"mosaic/storetest"
)

// handlingObj is a handling object naming the given objects (each by its
// id and modified) with the handling properties props, as Mosaic writes
// them but for what a test leaves out.
func handlingObj(n int, props string, named ...string) string {
	var names []string
	for _, o := range named {
		h := stix.ReadHead([]byte(o))
		names = append(names, `{"id":"`+h.ID+`","modified":"`+h.Modified+`"}`)
	}
	if props != "" {
		props = "," + props
	}
	return `{"type":"x-mosaic-handling","spec_version":"2.1","id":"x-mosaic-handling--` + storetest.UUID(n) + `",` +
		`"created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
		`"extensions":{"` + stix.HandlingExtensionID + `":{"extension_type":"new-sdo"}},` +
		`"object_versions":[` + strings.Join(names, ",") + `]` + props + `}`
}

// TestThirdPartyKeptAsReceived: an object another identity created, or
// nobody named, is stored byte for byte as it came (in canonical form);
// the organisation's own object is completed with the default marking.
func TestThirdPartyKeptAsReceived(t *testing.T) {
	in, s, v := setup(t)
	ctx := context.Background()
	pa, err := s.Org(ctx, "pa")
	if err != nil {
		t.Fatal(err)
	}
	objs := map[int]string{
		1: obj(1, ""),
		2: obj(2, `,"created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"`),
		3: obj(3, `,"created_by_ref":"`+pa.Identity+`"`),
	}
	if _, _, err := in.Bundle(ctx, v, bundleOf(objs[1], objs[2], objs[3]), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	for n, raw := range objs {
		want, probs := stix.DecodeObject([]byte(raw), stix.DefaultLimits())
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		got, err := s.Object(ctx, v, want.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Envelope.TLP != mosaic.TLPAmber {
			t.Errorf("malware %d: TLP %s, want the default", n, got[0].Envelope.TLP)
		}
		kept := bytes.Equal(got[0].Object, want.Canonical)
		if own := n == 3; kept == own {
			t.Errorf("malware %d (pa's own: %v): stored as it came: %v\n%s", n, own, kept, got[0].Object)
		}
		if n == 3 && !bytes.Contains(got[0].Object, []byte(stix.TLPMarkingID(mosaic.TLPAmber))) {
			t.Errorf("pa's own object without the default marking: %s", got[0].Object)
		}
	}
}

// TestHandlingObjects: a handling object in a batch gives the objects of the
// batch it names their handling, with the rules of the property extension;
// it is stored nowhere, changes no record of another submission, and
// lowers no TLP an object's own markings set.
func TestHandlingObjects(t *testing.T) {
	ctx := context.Background()
	red := stix.TLPMarkingID(mosaic.TLPRed)
	green := stix.TLPMarkingID(mosaic.TLPGreen)

	t.Run("applies to the objects it names", func(t *testing.T) {
		in, s, v := setup(t)
		m1, m2, m3 := obj(1, ""), obj(2, ""), obj(3, "")
		h := handlingObj(1, `"tlp":"amber+strict","originator":"pa","audience":["compartment:ops"],"orcon":false,"legal_basis":"wpg","review_by":"2030-05-06"`, m1, m2)
		res, ids, err := in.Bundle(ctx, v, bundleOf(h, m1, m2, m3), mosaic.EnvelopeDefaults{})
		if err != nil {
			t.Fatal(err)
		}
		if res.New != 3 || len(ids) != 3 {
			t.Errorf("result %+v, ids %v: want the three objects, not the handling object", res, ids)
		}
		for n, want := range map[int]string{1: "compartment:ops amber+strict false wpg 2030-05-06", 2: "compartment:ops amber+strict false wpg 2030-05-06", 3: "originator amber true wbni 2027-11-01"} {
			e, refs := stored(t, s, v, n)
			if got := envString(e); got != want || refs != nil {
				t.Errorf("malware %d: %s, markings %v; want %s and the object as it came", n, got, refs, want)
			}
		}
		if st, _ := s.Stats(ctx, v); st.Total != 3 || st.ByType[stix.HandlingType] != 0 {
			t.Errorf("stats %+v: the handling object must not be stored", st)
		}
	})
	t.Run("names another version", func(t *testing.T) {
		in, s, v := setup(t)
		m1 := obj(1, "")
		later := strings.Replace(m1, `"modified":"2026-10-01T00:00:00.000Z"`, `"modified":"2026-10-02T00:00:00.000Z"`, 1)
		if _, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, `"audience":["cell"]`, later), m1), mosaic.EnvelopeDefaults{}); err != nil {
			t.Fatal(err)
		}
		if e, _ := stored(t, s, v, 1); !e.Audience.IsOriginator() {
			t.Errorf("a handling object for another version applied: %s", envString(e))
		}
	})
	t.Run("the strictest TLP wins", func(t *testing.T) {
		in, s, v := setup(t)
		m1, m2 := obj(1, marked(red)), obj(2, marked(green))
		if _, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, `"tlp":"clear"`, m1), handlingObj(2, `"tlp":"amber"`, m2), m1, m2), mosaic.EnvelopeDefaults{}); err != nil {
			t.Fatal(err)
		}
		if e, _ := stored(t, s, v, 1); e.TLP != mosaic.TLPRed {
			t.Errorf("a handling object lowered TLP:RED to %s", e.TLP)
		}
		if e, _ := stored(t, s, v, 2); e.TLP != mosaic.TLPAmber {
			t.Errorf("a handling object's stricter TLP gave %s", e.TLP)
		}
		// TLP:RED from a handling object goes to the cell no more than
		// from a marking.
		cell := mosaic.Audience{Cell: true}
		m4 := obj(4, "")
		_, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(3, `"tlp":"red"`, m4), m4), mosaic.EnvelopeDefaults{Audience: &cell})
		if got := problems(t, err); len(got) != 1 || !strings.Contains(got[0], redToCell) {
			t.Errorf("TLP:RED to the cell: %q", got)
		}
	})
	t.Run("the object's own extension wins", func(t *testing.T) {
		in, s, v := setup(t)
		m1 := obj(1, marked(green)+ext(`"audience":["compartment:ops"],"orcon":true`))
		if _, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, `"tlp":"amber","audience":["cell"],"orcon":false,"legal_basis":"wpg"`, m1), m1), mosaic.EnvelopeDefaults{}); err != nil {
			t.Fatal(err)
		}
		// Audience and ORCON from the extension, the legal basis from the
		// handling object, the TLP the strictest of the two.
		if e, _ := stored(t, s, v, 1); envString(e) != "compartment:ops amber true wpg 2026-12-01" {
			t.Errorf("envelope %s", envString(e))
		}
	})
	t.Run("refused as the extension is", func(t *testing.T) {
		in, _, v := setup(t)
		for _, tc := range []struct{ name, props, want string }{
			{"another originator", `"originator":"pb"`, "x-mosaic-handling--" + storetest.UUID(1) + " originator: this handling object describes organisation pb's contributions"},
			{"an unknown legal basis", `"legal_basis":"gdpr"`, "legal_basis: legal basis \"gdpr\" is not one of"},
			{"a past review date", `"review_by":"2001-01-01"`, "review_by: review date 2001-01-01 is in the past"},
			{"a compartment pa is not in", `"audience":["compartment:other"]`, "other"},
		} {
			m1 := obj(1, "")
			_, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, tc.props, m1), m1), mosaic.EnvelopeDefaults{})
			if got := mosaic.ErrorMessage(err) + " " + strings.Join(problems(t, err), "; "); err == nil || !strings.Contains(got, tc.want) {
				t.Errorf("%s: %v, want a refusal with %q", tc.name, got, tc.want)
			}
		}
	})
	t.Run("two that disagree", func(t *testing.T) {
		in, _, v := setup(t)
		m1 := obj(1, "")
		_, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, `"orcon":true`, m1), handlingObj(2, `"orcon":false`, m1), m1), mosaic.EnvelopeDefaults{})
		if got := problems(t, err); len(got) != 1 || !strings.Contains(got[0], "give this object different handling") {
			t.Errorf("problems %q", got)
		}
		// Two that agree are one.
		if _, _, err := in.Bundle(ctx, v, bundleOf(handlingObj(1, `"orcon":true`, m1), handlingObj(2, `"orcon":true`, m1), m1), mosaic.EnvelopeDefaults{}); err != nil {
			t.Error(err)
		}
	})
}

// TestHandlingInsider: what a partner can do with a handling object
// reaches its own submission and nothing else.
func TestHandlingInsider(t *testing.T) {
	ctx := context.Background()
	in, s, pa := setup(t)
	pb := partner(t, s, "pb")
	cell := mosaic.Audience{Cell: true}
	// pb holds malware 1 and 2 for itself, and shares malware 3 with the
	// cell.
	m1, m2, m3 := obj(1, ""), obj(2, ""), obj(3, "")
	if _, _, err := in.Bundle(ctx, pb, bundleOf(m1, m2), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.Bundle(ctx, pb, bundleOf(m3), mosaic.EnvelopeDefaults{Audience: &cell}); err != nil {
		t.Fatal(err)
	}
	before := map[int]string{}
	for n := 1; n <= 3; n++ {
		e, _ := stored(t, s, pb, n)
		before[n] = envString(e)
	}

	// A handling object naming pb's records, without them in the batch,
	// changes nothing stored and stores nothing.
	wide := `"tlp":"clear","audience":["cell"],"orcon":false`
	res, _, err := in.Bundle(ctx, pa, bundleOf(handlingObj(1, wide, m1, m2, m3), obj(9, "")), mosaic.EnvelopeDefaults{})
	if err != nil || res.New != 1 {
		t.Fatalf("result %+v, %v", res, err)
	}
	// With pb's objects in the batch it is pa's handling of pa's own
	// contribution of them, nothing more; the other rules of submission
	// apply as ever (malware 3 is pb's for the cell at TLP:AMBER, and pa
	// may not hand it on at TLP:CLEAR).
	_, _, err = in.Bundle(ctx, pa, bundleOf(handlingObj(2, wide, m3), m3), mosaic.EnvelopeDefaults{})
	if err == nil {
		t.Errorf("re-sharing pb's object at a lower TLP through a handling object was accepted")
	}
	// Nor drop pb's originator control.
	if _, _, err := in.Bundle(ctx, pa, bundleOf(handlingObj(3, `"audience":["compartment:ops"],"orcon":false`, m3), m3), mosaic.EnvelopeDefaults{}); err == nil {
		t.Errorf("re-sharing pb's object without ORCON through a handling object was accepted")
	}
	if _, _, err := in.Bundle(ctx, pa, bundleOf(handlingObj(3, `"audience":["compartment:ops"]`, m3), m3), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	objs, err := s.Object(ctx, pa, "malware--"+storetest.UUID(3), true)
	if err != nil || len(objs) != 2 {
		t.Fatalf("pa sees %d records of malware 3, want pa's and pb's: %v", len(objs), err)
	}
	for _, o := range objs {
		if o.Envelope.Originator == "pa" && envString(o.Envelope) != "compartment:ops amber true wbni 2027-11-01" {
			t.Errorf("pa's contribution of malware 3: %s", envString(o.Envelope))
		}
	}
	for n := 1; n <= 3; n++ {
		if e, _ := stored(t, s, pb, n); envString(e) != before[n] || e.Originator != "pb" {
			t.Errorf("pb's malware %d: %s %s, was %s", n, e.Originator, envString(e), before[n])
		}
	}
	// pa sees none of pb's records it could not see before.
	for n := 1; n <= 2; n++ {
		if objs, err := s.Object(ctx, pa, "malware--"+storetest.UUID(n), true); mosaic.ErrorCode(err) != mosaic.CodeNotFound {
			t.Errorf("pa sees pb's malware %d: %v %v", n, objs, err)
		}
	}
	if st, _ := s.Stats(ctx, pa); st.ByType[stix.HandlingType] != 0 {
		t.Errorf("a handling object was stored: %+v", st)
	}
}

func envString(e mosaic.Envelope) string {
	return fmt.Sprintf("%s %s %v %s %s", e.Audience, e.TLP, e.ORCON, e.LegalBasis, e.ReviewBy)
}
