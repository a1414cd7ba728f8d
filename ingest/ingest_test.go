package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
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
	_, _, err := in.Bundle(context.Background(), v, bundleOf(
		obj(1, ""),
		obj(2, ext(`"audience":["compartment:ops"],"orcon":true,"legal_basis":"wbni","review_by":"2030-01-01"`)),
		obj(3, `,"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"]`),
	), mosaic.EnvelopeDefaults{Audience: &cell, ORCON: &no, LegalBasis: &wpg, ReviewBy: &review})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		want string
	}{
		// Batch parameters apply; no TLP marking: the default, written into the object.
		{1, "cell amber false wpg 2031-02-03"},
		// The object's own extension wins over the batch.
		{2, "compartment:ops amber true wbni 2030-01-01"},
		// TLP 1.0 GREEN is TLP 2.0 green.
		{3, "cell green false wpg 2031-02-03"},
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
		if _, ok := o["object_marking_refs"]; !ok {
			t.Errorf("object %d has no TLP marking: %s", tc.n, objs[0].Object)
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
	if res != (mosaic.IngestResult{New: 1, Unchanged: 3}) {
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
