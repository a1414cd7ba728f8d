package ingest_test

import (
	"context"
	"strings"
	"testing"

	"mosaic"
	"mosaic/storetest"
)

// TestAuthorshipAnyCase: pb may not name pa's identity as creator in any
// case of its UUID, which the decoder accepts in either (RFC 9562).
func TestAuthorshipAnyCase(t *testing.T) {
	in, s, _ := setup(t)
	ctx := context.Background()
	pb := partner(t, s, "pb")
	pa, err := s.Org(ctx, "pa")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(pa.Identity, "--")
	upper := pa.Identity[:i] + strings.ToUpper(pa.Identity[i:])
	if _, _, err := in.Bundle(ctx, pb, bundleOf(obj(1, `,"created_by_ref":"`+pa.Identity+`"`)), mosaic.EnvelopeDefaults{}); err == nil {
		t.Fatal("control: pa's identity as creator accepted")
	}
	if _, _, err := in.Bundle(ctx, pb, bundleOf(obj(2, `,"created_by_ref":"`+upper+`"`)), mosaic.EnvelopeDefaults{}); err == nil {
		t.Errorf("pb stored an object created_by_ref %s (pa's identity in upper case)", upper)
	}
}

// TestReshareThirdPartyCopy: pb holds a vendor's report for compartment
// ops at AMBER+STRICT under ORCON; pa, a member of ops, is refused when it
// imports pb's export (the handling object names pb), and again when it
// leaves the handling object out to share the report with the whole cell
// at TLP:CLEAR without ORCON: a copy of a third party's object goes no
// further than the least restricted contribution of it.
func TestReshareThirdPartyCopy(t *testing.T) {
	in, s, pa := setup(t)
	ctx := context.Background()
	pb := partner(t, s, "pb")
	if err := s.AddMember(ctx, "ops", "pb", "", mosaic.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	vendor := `,"created_by_ref":"identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"`
	report := obj(7, vendor)
	ops := mosaic.Audience{Compartments: []string{"ops"}}
	h := handlingObj(1, `"tlp":"amber+strict","originator":"pb","audience":["compartment:ops"],"orcon":true`, report)
	if _, _, err := in.Bundle(ctx, pb, bundleOf(h, report), mosaic.EnvelopeDefaults{Audience: &ops}); err != nil {
		t.Fatal(err)
	}
	_, _, err := in.Bundle(ctx, pa, bundleOf(h, report), mosaic.EnvelopeDefaults{})
	if err == nil {
		t.Fatal("control: pb's handling accepted from pa")
	}
	cell, no := mosaic.Audience{Cell: true}, false
	clear := handlingObj(2, `"tlp":"clear"`, report)
	if _, _, err := in.Bundle(ctx, pa, bundleOf(clear, report), mosaic.EnvelopeDefaults{Audience: &cell, ORCON: &no}); err == nil {
		objs, _ := s.Object(ctx, pa, "malware--"+storetest.UUID(7), true)
		for _, o := range objs {
			t.Logf("%s: %s", o.Envelope.Originator, envString(o.Envelope))
		}
		t.Errorf("pa re-shared pb's compartmented AMBER+STRICT/ORCON contribution to the cell at TLP:CLEAR without ORCON")
	}
}

// TestStricterTLPOnResubmission: pa holds a third party's object at
// AMBER; submitting it again with a handling object that says RED is not
// "unchanged": the TLP a handling object gives is compared, and a stored
// record's TLP does not change, so it is a conflict.
func TestStricterTLPOnResubmission(t *testing.T) {
	in, s, pa := setup(t)
	ctx := context.Background()
	ops := mosaic.Audience{Compartments: []string{"ops"}}
	m := obj(8, "")
	if _, _, err := in.Bundle(ctx, pa, bundleOf(m), mosaic.EnvelopeDefaults{Audience: &ops}); err != nil {
		t.Fatal(err)
	}
	res, _, err := in.Bundle(ctx, pa, bundleOf(handlingObj(1, `"tlp":"red","audience":["compartment:ops"]`, m), m), mosaic.EnvelopeDefaults{})
	if e, _ := stored(t, s, pa, 8); err == nil && e.TLP != mosaic.TLPRed {
		t.Errorf("asked for TLP:RED: result %+v, no error, record %s", res, envString(e))
	}
}
