package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/ingest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

func setup(t *testing.T) (*ingest.Ingester, mosaic.Store, mosaic.Viewer) {
	clock := storetest.NewClock(storetest.Epoch)
	s, err := sqlite.Open(context.Background(), t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	v := analyst(t, s)
	if err := s.CreateCompartment(context.Background(), &mosaic.Compartment{Name: "ops"}, mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(context.Background(), "ops", "pa", "", mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	cfg := Config
	cfg.LegalBases = map[string]time.Duration{"wbni": 365 * 24 * time.Hour, "wpg": 30 * 24 * time.Hour}
	return ingest.New(s, cfg, clock), s, v
}

func obj(n int, extra string) string {
	return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"m%d","is_family":true%s}`, storetest.UUID(n), n, extra)
}

func ext(props string) string {
	return `,"extensions":{"` + stix.ExtensionID + `":{"extension_type":"property-extension",` + props + `}}`
}

func bundleOf(objs ...string) []byte {
	return []byte(`{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` + strings.Join(objs, ",") + `]}`)
}

func TestEnvelopeResolution(t *testing.T) {
	in, s, v := setup(t)
	cell := mosaic.Audience{Cell: true}
	wpg, review := "wpg", "2031-02-03"
	no := false
	pa, err := s.Org(context.Background(), "pa")
	if err != nil {
		t.Fatal(err)
	}
	byPA := `,"created_by_ref":"` + pa.Identity + `"`
	_, _, err = in.Bundle(context.Background(), v, bundleOf(
		obj(1, ""),
		obj(2, ext(`"audience":["compartment:ops"],"orcon":true,"legal_basis":"wbni","review_by":"2030-01-01"`)),
		obj(3, `,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]`),
		obj(5, byPA),
	), mosaic.EnvelopeDefaults{Audience: &cell, ORCON: &no, LegalBasis: &wpg, ReviewBy: &review})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n      int
		want   string
		marked bool // has object_marking_refs as stored
	}{
		// Batch parameters apply; no TLP marking: the default, and the
		// third party's object is kept as it came.
		{1, "cell amber false wpg 2031-02-03", false},
		// The object's own extension wins over the batch.
		{2, "compartment:ops amber true wbni 2030-01-01", false},
		// TLP 1.0 GREEN is TLP 2.0 green.
		{3, "cell green false wpg 2031-02-03", true},
		// pa's own object is completed with the default marking.
		{5, "cell amber false wpg 2031-02-03", true},
	} {
		objs, err := s.Object(context.Background(), v, "malware--"+storetest.UUID(tc.n), false)
		if err != nil {
			t.Fatal(err)
		}
		e := objs[0].Envelope
		if got := fmt.Sprintf("%s %s %v %s %s", e.Audience, e.TLP, e.ORCON, e.LegalBasis, e.ReviewBy); got != tc.want {
			t.Errorf("object %d: envelope %q, want %q", tc.n, got, tc.want)
		}
		var o map[string]any
		json.Unmarshal(objs[0].Object, &o)
		if _, ok := o["object_marking_refs"]; ok != tc.marked {
			t.Errorf("object %d: object_marking_refs %v, want %v: %s", tc.n, ok, tc.marked, objs[0].Object)
		}
		if strings.Contains(string(objs[0].Object), stix.ExtensionID) {
			t.Errorf("object %d keeps the envelope extension", tc.n)
		}
	}
	// Without parameters: the organisation's defaults; the review date by
	// legal basis.
	if _, _, err := in.Bundle(context.Background(), v, bundleOf(obj(4, "")), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	objs, _ := s.Object(context.Background(), v, "malware--"+storetest.UUID(4), false)
	if e := objs[0].Envelope; !e.Audience.IsOriginator() || !e.ORCON || e.LegalBasis != "wbni" || e.ReviewBy != "2027-11-01" {
		t.Errorf("defaults: %+v", e)
	}
}

func TestEnvelopeProblems(t *testing.T) {
	in, _, v := setup(t)
	cell := mosaic.Audience{Cell: true}
	red := `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`
	_, _, err := in.Bundle(context.Background(), v, bundleOf(
		obj(1, red),
		obj(2, ext(`"legal_basis":"gdpr"`)),
		obj(3, ext(`"review_by":"2001-01-01"`)),
		obj(4, red+ext(`"audience":["originator"]`)),
	), mosaic.EnvelopeDefaults{Audience: &cell})
	e, ok := err.(*mosaic.Error)
	if !ok || e.Code != mosaic.CodeInvalid {
		t.Fatalf("error %v", err)
	}
	var got []string
	for _, p := range e.Problems {
		got = append(got, p.Object[len(p.Object)-2:]+" "+p.Property[strings.LastIndex(p.Property, ".")+1:])
	}
	want := []string{"01 object_marking_refs", "02 legal_basis", "03 review_by"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems %v, want %v (%+v)", got, want, e.Problems)
	}
	bad := "gdpr"
	if _, _, err := in.Bundle(context.Background(), v, bundleOf(obj(5, "")), mosaic.EnvelopeDefaults{LegalBasis: &bad}); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("unknown legal basis parameter: %v", err)
	}
}

func TestPublishedObjectsAreNotStored(t *testing.T) {
	in, s, v := setup(t)
	body := []byte(`{"type":"bundle","id":"bundle--` + storetest.UUID(1) + `","objects":[` + string(stix.Identity()) + `,` + string(stix.ExtensionDefinition()) + `,` + string(stix.TLPMarkingDefinition(mosaic.TLPRed)) + `,` + obj(1, "") + `]}`)
	res, _, err := in.Bundle(context.Background(), v, body, mosaic.EnvelopeDefaults{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res, mosaic.IngestResult{New: 1, Unchanged: 3}) {
		t.Errorf("result %+v", res)
	}
	st, _ := s.Stats(context.Background(), v)
	if st.Total != 1 {
		t.Errorf("%d records stored, want 1", st.Total)
	}
	// Mosaic's ids with other content are refused.
	forged := strings.Replace(string(stix.Identity()), `"system"`, `"individual"`, 1)
	if _, _, err := in.Bundle(context.Background(), v, bundleOf(forged), mosaic.EnvelopeDefaults{}); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("forged identity: %v", err)
	}
}

func TestOthersExportIsRefused(t *testing.T) {
	in, _, v := setup(t)
	foreign := obj(1, ext(`"originator":"pb","audience":["cell"]`))
	_, _, err := in.Bundle(context.Background(), v, bundleOf(foreign), mosaic.EnvelopeDefaults{})
	if e, ok := err.(*mosaic.Error); !ok || len(e.Problems) != 1 || !strings.Contains(e.Problems[0].Reason, "pb's contribution") {
		t.Fatalf("importing pb's exported record as pa: %v", err)
	}
	// One's own export imports back.
	if _, _, err := in.Bundle(context.Background(), v, bundleOf(obj(2, ext(`"originator":"pa","audience":["cell"]`))), mosaic.EnvelopeDefaults{}); err != nil {
		t.Errorf("own export: %v", err)
	}
}

// partner creates another partner organisation and its analyst.
func partner(t *testing.T, s mosaic.Store, name string) mosaic.Viewer {
	t.Helper()
	ctx := context.Background()
	o := mosaic.Organisation{Name: name, FullName: name, Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := s.CreateOrg(ctx, &o, mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	u := mosaic.User{Name: name + "-analyst", Org: name, Role: mosaic.Analyst}
	if err := s.CreateUser(ctx, &u, "", mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

// markingID is a marking definition id of Mosaic's tests, not an official one.
func markingID(n int) string { return "marking-definition--" + storetest.UUID(1000+n) }

// tlpMarking is a marking definition under its own id that declares level
// through the TLP 2.0 extension.
func tlpMarking(n int, level string) string {
	return `{"type":"marking-definition","spec_version":"2.1","id":"` + markingID(n) + `","created":"2026-09-01T00:00:00.000Z","name":"TLP:` + strings.ToUpper(level) + `",` +
		`"extensions":{"` + stix.TLP2ExtensionID + `":{"extension_type":"property-extension","tlp_2_0":"` + level + `"}}}`
}

func marked(refs ...string) string {
	b, _ := json.Marshal(refs)
	return `,"object_marking_refs":` + string(b)
}

func granular(ref string) string {
	return `,"granular_markings":[{"marking_ref":"` + ref + `","selectors":["name"]}]`
}

// stored returns the envelope and object_marking_refs of pa's record of malware n.
func stored(t *testing.T, s mosaic.Store, v mosaic.Viewer, n int) (mosaic.Envelope, []any) {
	t.Helper()
	objs, err := s.Object(context.Background(), v, "malware--"+storetest.UUID(n), false)
	if err != nil {
		t.Fatalf("malware %d: %v", n, err)
	}
	var o map[string]any
	if err := json.Unmarshal(objs[0].Object, &o); err != nil {
		t.Fatal(err)
	}
	refs, _ := o["object_marking_refs"].([]any)
	return objs[0].Envelope, refs
}

// problems returns "object property: reason" of each problem of a refusal.
func problems(t *testing.T, err error) []string {
	t.Helper()
	e, ok := err.(*mosaic.Error)
	if !ok || e.Code != mosaic.CodeInvalid {
		t.Errorf("error %v, want CodeInvalid", err)
		return nil
	}
	var out []string
	for _, p := range e.Problems {
		out = append(out, p.Object+" "+p.Property+": "+p.Reason)
	}
	return out
}

const redToCell = "TLP:RED may only be shared with the audience originator or with compartments, not with the cell"

// TestTLPMarkingDefinitions: a marking definition that declares a TLP level
// sets the TLP of what it marks whatever its id, from the batch or from
// what the submitter can see in the store, and only from there.
func TestTLPMarkingDefinitions(t *testing.T) {
	ctx := context.Background()
	cell := mosaic.Audience{Cell: true}
	originator := mosaic.Audience{}
	type env struct {
		in     *ingest.Ingester
		s      mosaic.Store
		va, vb mosaic.Viewer
	}
	start := func(t *testing.T) env {
		in, s, va := setup(t)
		return env{in, s, va, partner(t, s, "pb")}
	}
	submit := func(e env, v mosaic.Viewer, aud mosaic.Audience, objs ...string) error {
		_, _, err := e.in.Bundle(ctx, v, bundleOf(objs...), mosaic.EnvelopeDefaults{Audience: &aud})
		return err
	}
	refused := func(t *testing.T, what string, err error, want string) {
		t.Helper()
		if got := problems(t, err); len(got) != 1 || !strings.Contains(got[0], want) {
			t.Errorf("%s: problems %q, want one with %q", what, got, want)
		}
	}
	mustSubmit := func(t *testing.T, e env, v mosaic.Viewer, aud mosaic.Audience, objs ...string) {
		t.Helper()
		if err := submit(e, v, aud, objs...); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("RED to the cell", func(t *testing.T) {
		e := start(t)
		err := submit(e, e.va, cell, tlpMarking(1, "red"), obj(1, marked(markingID(1))))
		refused(t, "RED marking definition", err, "malware--"+storetest.UUID(1)+" object_marking_refs: "+redToCell)
	})
	t.Run("RED to the originator", func(t *testing.T) {
		e := start(t)
		mustSubmit(t, e, e.va, originator, tlpMarking(1, "red"), obj(1, marked(markingID(1))))
		// Its own marking says RED: no default marking is added.
		if env, refs := stored(t, e.s, e.va, 1); env.TLP != mosaic.TLPRed || len(refs) != 1 || refs[0] != markingID(1) {
			t.Errorf("TLP %s, object_marking_refs %v", env.TLP, refs)
		}
	})
	t.Run("granular", func(t *testing.T) {
		e := start(t)
		err := submit(e, e.va, cell, tlpMarking(2, "red"), obj(2, marked(stix.TLPMarkingID(mosaic.TLPGreen))+granular(markingID(2))))
		refused(t, "granular RED marking definition", err, redToCell)
	})
	t.Run("strictest wins", func(t *testing.T) {
		e := start(t)
		mustSubmit(t, e, e.va, originator,
			tlpMarking(3, "clear"), tlpMarking(4, "amber+strict"), tlpMarking(5, "green"),
			obj(3, marked(markingID(3), stix.TLPMarkingID(mosaic.TLPRed))),
			obj(4, marked(stix.TLPMarkingID(mosaic.TLPGreen), markingID(4), markingID(3))),
			obj(5, marked(markingID(3))),
			obj(6, marked(markingID(5), "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82")), // TLP 1.0 amber
			obj(7, marked(markingID(5))+granular(markingID(4))),
		)
		for n, want := range map[int]mosaic.TLP{3: mosaic.TLPRed, 4: mosaic.TLPAmberStrict, 5: mosaic.TLPClear, 6: mosaic.TLPAmber, 7: mosaic.TLPAmberStrict} {
			if env, refs := stored(t, e.s, e.va, n); env.TLP != want || slices.Contains(refs, any(stix.TLPMarkingID(mosaic.TLPAmber))) {
				t.Errorf("malware %d: TLP %s, object_marking_refs %v; want %s and no default marking", n, env.TLP, refs, want)
			}
		}
	})
	t.Run("OpenCTI", func(t *testing.T) {
		// OpenCTI writes TLP:AMBER+STRICT (and TLP:CLEAR) as a statement
		// with properties of its own.
		e := start(t)
		opencti := `{"type":"marking-definition","spec_version":"2.1","id":"` + markingID(6) + `","created":"2026-09-01T00:00:00.000Z","name":"TLP:AMBER+STRICT",` +
			`"definition_type":"statement","definition":{"statement":"custom"},"x_opencti_definition_type":"TLP","x_opencti_definition":"TLP:AMBER+STRICT"}`
		mustSubmit(t, e, e.va, originator, opencti, obj(8, marked(markingID(6))))
		if env, _ := stored(t, e.s, e.va, 8); env.TLP != mosaic.TLPAmberStrict {
			t.Errorf("TLP %s", env.TLP)
		}
	})
	t.Run("stored by the submitter's organisation", func(t *testing.T) {
		e := start(t)
		mustSubmit(t, e, e.va, originator, tlpMarking(1, "red"))
		refused(t, "audience cell", submit(e, e.va, cell, obj(10, marked(markingID(1)))), redToCell)
		mustSubmit(t, e, e.va, originator, obj(10, marked(markingID(1))))
		if env, _ := stored(t, e.s, e.va, 10); env.TLP != mosaic.TLPRed {
			t.Errorf("TLP %s", env.TLP)
		}
	})
	t.Run("stored, hidden from the submitter", func(t *testing.T) {
		// pb cannot see pa's marking: for pb it is exactly an unknown id.
		e := start(t)
		mustSubmit(t, e, e.va, originator, tlpMarking(1, "red"))
		mustSubmit(t, e, e.vb, cell, obj(11, marked(markingID(1))), obj(12, marked(markingID(99))))
		e11, refs11 := stored(t, e.s, e.vb, 11)
		e12, refs12 := stored(t, e.s, e.vb, 12)
		if e11.TLP != mosaic.TLPAmber || e12.TLP != e11.TLP || len(refs11) != 1 || len(refs12) != 1 {
			t.Errorf("hidden marking: TLP %s %v; unknown marking: TLP %s %v", e11.TLP, refs11, e12.TLP, refs12)
		}
	})
	t.Run("stored, visible to the submitter", func(t *testing.T) {
		// A marking definition pa shares with the cell counts for pb.
		e := start(t)
		mustSubmit(t, e, e.va, cell, tlpMarking(7, "red"))
		refused(t, "audience cell", submit(e, e.vb, cell, obj(13, marked(markingID(7)))), redToCell)
		mustSubmit(t, e, e.vb, originator, obj(13, marked(markingID(7))))
		if env, _ := stored(t, e.s, e.vb, 13); env.TLP != mosaic.TLPRed {
			t.Errorf("TLP %s", env.TLP)
		}
	})
	t.Run("TLP 1.0", func(t *testing.T) {
		// A TLP 1.0 definition under another id than STIX's four is
		// refused (STIX 2.1 §7.2.1.4); one stored by other means counts
		// all the same.
		e := start(t)
		tlp1 := `{"type":"marking-definition","spec_version":"2.1","id":"` + markingID(8) + `","created":"2026-09-01T00:00:00.000Z","name":"TLP:RED","definition_type":"tlp","definition":{"tlp":"red"}}`
		refused(t, "in the bundle", submit(e, e.va, originator, tlp1, obj(14, marked(markingID(8)))), markingID(8)+" definition_type: TLP 1.0 markings must be one of the four")
		created, _ := stix.TimeKey("2026-09-01T00:00:00.000Z")
		rec := mosaic.Record{ID: markingID(8), Type: "marking-definition", CreatedKey: created, ModifiedKey: created, Object: []byte(tlp1),
			Envelope: mosaic.Envelope{Originator: "pa", TLP: mosaic.TLPAmber, LegalBasis: "wbni", ReviewBy: "2027-11-01"}}
		rec.Hash = sha256.Sum256(rec.Object)
		if _, err := e.s.Ingest(ctx, e.va, []mosaic.Record{rec}, mosaic.AuditEntry{Action: "test"}); err != nil {
			t.Fatal(err)
		}
		refused(t, "stored", submit(e, e.va, cell, obj(14, marked(markingID(8)))), redToCell)
	})
	t.Run("named TLP:RED, declaring nothing", func(t *testing.T) {
		e := start(t)
		named := `{"type":"marking-definition","spec_version":"2.1","id":"` + markingID(9) + `","created":"2026-09-01T00:00:00.000Z","name":"TLP:RED","definition_type":"statement","definition":{"statement":"Do not share"}}`
		refused(t, "marking", submit(e, e.va, originator, named, obj(15, marked(markingID(9)))),
			markingID(9)+` name: name "TLP:RED" reads as a TLP label, but the marking definition declares no TLP level`)
	})
}

// TestMarkingLookupsBounded: a batch cannot make ingest read the store
// without bound.
func TestMarkingLookupsBounded(t *testing.T) {
	in, _, v := setup(t)
	var refs []string
	for n := range 1001 {
		refs = append(refs, markingID(n))
	}
	_, _, err := in.Bundle(context.Background(), v, bundleOf(obj(1, marked(refs[:1000]...))), mosaic.EnvelopeDefaults{})
	if err != nil {
		t.Fatalf("1000 marking definitions: %v", err)
	}
	_, _, err = in.Bundle(context.Background(), v, bundleOf(obj(2, marked(refs...))), mosaic.EnvelopeDefaults{})
	if got := problems(t, err); len(got) != 1 || !strings.Contains(got[0], "refer to 1001 marking definitions that are neither in the batch nor official TLP markings") {
		t.Errorf("1001 marking definitions: %q", got)
	}
}

// TestAuthorship: each organisation's STIX identity is bound to it; no
// other organisation submits objects naming it as their creator, or the
// identity object itself.
func TestAuthorship(t *testing.T) {
	in, s, pa := setup(t)
	ctx := context.Background()
	pb := mosaic.Organisation{Name: "pb", FullName: "B", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := s.CreateOrg(ctx, &pb, mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pb.Identity, "identity--") {
		t.Fatalf("pb's identity %q", pb.Identity)
	}
	own, err := s.Org(ctx, "pa")
	if err != nil || own.Identity == "" || own.Identity == pb.Identity {
		t.Fatalf("pa's identity %q, pb's %q: %v", own.Identity, pb.Identity, err)
	}
	for _, tc := range []struct {
		name, obj string
		ok        bool
	}{
		{"created by pa, by pa", obj(1, `,"created_by_ref":"`+own.Identity+`"`), true},
		{"created by a third party", obj(2, `,"created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"`), true},
		{"created by pb, by pa", obj(3, `,"created_by_ref":"`+pb.Identity+`"`), false},
		{"pb's identity object, by pa", `{"type":"identity","spec_version":"2.1","id":"` + pb.Identity + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"B","identity_class":"organization"}`, false},
		// A UUID in upper case is the same UUID.
		{"created by pb in upper case, by pa", obj(4, `,"created_by_ref":"identity--`+strings.ToUpper(strings.TrimPrefix(pb.Identity, "identity--"))+`"`), false},
		{"pb's identity object in upper case, by pa", `{"type":"identity","spec_version":"2.1","id":"identity--` + strings.ToUpper(strings.TrimPrefix(pb.Identity, "identity--")) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"B","identity_class":"organization"}`, false},
	} {
		_, _, err := in.Bundle(ctx, pa, bundleOf(tc.obj), mosaic.EnvelopeDefaults{})
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v, want stored %v", tc.name, err, tc.ok)
		}
		if err != nil && (mosaic.ErrorCode(err) != mosaic.CodeInvalid || !strings.Contains(fmt.Sprint(err.(*mosaic.Error).Problems), "organisation pb")) {
			t.Errorf("%s: %v, want a problem naming pb", tc.name, err)
		}
	}
}

// TestUpperCaseTLPID: an object marked with an official TLP id written in
// upper case is handled at that level, not at the default: TLP:RED so
// marked may not go to the cell.
func TestUpperCaseTLPID(t *testing.T) {
	in, s, pa := setup(t)
	ctx := context.Background()
	red := "marking-definition--" + strings.ToUpper(strings.TrimPrefix(stix.TLPMarkingID(mosaic.TLPRed), "marking-definition--"))
	cell := mosaic.Audience{Cell: true}
	if _, _, err := in.Bundle(ctx, pa, bundleOf(obj(1, `,"object_marking_refs":["`+red+`"]`)), mosaic.EnvelopeDefaults{Audience: &cell}); err == nil {
		t.Error("TLP:RED under an upper-case id went to the cell")
	}
	if _, _, err := in.Bundle(ctx, pa, bundleOf(obj(1, `,"object_marking_refs":["`+red+`"]`)), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	if e, _ := stored(t, s, pa, 1); e.TLP != mosaic.TLPRed {
		t.Errorf("stored at %s, want red", e.TLP)
	}
}

// TestMarkingSquatting: a marking definition another organisation stored
// first, under an id others refer to, may raise the level of their objects
// but never lower it below the default; the submitter's own definitions
// count as they declare.
func TestMarkingSquatting(t *testing.T) {
	in, s, pa := setup(t)
	ctx := context.Background()
	pb := partner(t, s, "pb")
	cell := mosaic.Audience{Cell: true}
	// pb stores, for the whole cell, a definition declaring CLEAR and one
	// declaring AMBER+STRICT.
	if _, _, err := in.Bundle(ctx, pb, bundleOf(tlpMarking(1, "clear"), tlpMarking(2, "amber+strict")), mosaic.EnvelopeDefaults{Audience: &cell}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.Bundle(ctx, pa, bundleOf(obj(1, marked(markingID(1))), obj(2, marked(markingID(2)))), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	if e, _ := stored(t, s, pa, 1); e.TLP != mosaic.TLPAmber {
		t.Errorf("pa's object under pb's CLEAR definition: %s, want the default amber", e.TLP)
	}
	if e, _ := stored(t, s, pa, 2); e.TLP != mosaic.TLPAmberStrict {
		t.Errorf("pa's object under pb's AMBER+STRICT definition: %s", e.TLP)
	}
	// pa's own definition counts as it declares.
	if _, _, err := in.Bundle(ctx, pa, bundleOf(tlpMarking(3, "green")), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.Bundle(ctx, pa, bundleOf(obj(3, marked(markingID(3)))), mosaic.EnvelopeDefaults{}); err != nil {
		t.Fatal(err)
	}
	if e, _ := stored(t, s, pa, 3); e.TLP != mosaic.TLPGreen {
		t.Errorf("pa's object under its own GREEN definition: %s", e.TLP)
	}
}

// TestWarnings: values that must never be blocked are stored, and the
// contributor is told, object by object.
func TestWarnings(t *testing.T) {
	in, _, pa := setup(t)
	resolver := `{"type":"indicator","spec_version":"2.1","id":"indicator--` + storetest.UUID(1) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '8.8.8.8'] OR [ipv4-addr:value = '45.77.1.2']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`
	all := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--` + storetest.UUID(2) + `","value":"0.0.0.0/0"}`
	fine := obj(3, "")
	res, _, err := in.Bundle(context.Background(), pa, bundleOf(resolver, all, fine), mosaic.EnvelopeDefaults{})
	if err != nil || res.New != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	if len(res.Warnings) != 2 || res.Warnings[0].Object != "indicator--"+storetest.UUID(1) || !strings.Contains(res.Warnings[0].Reason, "public resolver") ||
		res.Warnings[1].Object != "ipv4-addr--"+storetest.UUID(2) || !strings.Contains(res.Warnings[1].Reason, "too broad") {
		t.Errorf("warnings %+v", res.Warnings)
	}
}
