package api_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"mosaic"
	"mosaic/storetest"
)

// TestMembershipInsider: the insider's ways around the consent of every
// organisation concerned to a new compartment member.
func TestMembershipInsider(t *testing.T) {
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			t.Run("consents follow members", func(t *testing.T) { insiderFrozenConsents(t, open) })
			t.Run("remove then add", func(t *testing.T) { insiderRemoveThenAdd(t, open) })
			t.Run("members stay unnamed", func(t *testing.T) { insiderLearnMembers(t, open) })
		})
	}
}

// sees reports whether user reads object id.
func sees(h *harness, user, id string) bool {
	return h.do(user, "GET", "/api/v1/objects/"+id, nil, "", nil).status == 200
}

// The admin asks for pb to join compartment red while it is still empty:
// the request needs pb's approver alone. pa joins red meanwhile and shares
// with it; pb's approver's approval of the old request must not make pb a
// member without pa's agreement.
func insiderFrozenConsents(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	h.change("pa-admin", "POST", "/api/v1/compartments", `{"name":"red"}`, 201)
	early := h.change("pa-admin", "PUT", "/api/v1/compartments/red/orgs/pb", "", 202)
	if len(early.Request.Consents) != 0 {
		t.Fatalf("an empty compartment's first member needs consents %v", early.Request.Consents)
	}
	paJoins := h.change("pa-admin", "PUT", "/api/v1/compartments/red/orgs/pa", "", 202)
	h.decide("pa-liaison", paJoins.Request.ID, "approve", "", 200)
	id := "indicator--" + storetest.UUID(81)
	if r := h.post("pa-analyst", url.Values{"audience": {"compartment:red"}}, strings.Replace(ind(81, ""), "indicator--"+storetest.UUID(81), id, 1)); r.status != 200 && r.status != 201 {
		t.Fatalf("pa shares with red: %d %s", r.status, r.body)
	}
	if sees(h, "pb-analyst", id) {
		t.Fatal("pb reads red's content before joining")
	}
	// pb's approver approves the request made while red was empty.
	r := h.do("pb-liaison", "POST", "/api/v1/requests/"+itoa(early.Request.ID)+"/approve", nil, "", nil)
	var c mosaic.Compartment
	h.get("pa-admin", "/api/v1/compartments/red", nil, &c)
	if slices.Contains(c.Orgs, "pb") || sees(h, "pb-analyst", id) {
		t.Errorf("pb joined red (answer %d) and reads pa's red content without pa's consent; members %v", r.status, c.Orgs)
	}
}

// pa is a member of ops and shared with it. The admin removes pa (at once:
// removal waits for nobody) and asks for pb to join the ops it emptied:
// pa, which shared with ops, must still agree.
func insiderRemoveThenAdd(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	id := "indicator--" + storetest.UUID(82)
	if r := h.post("pa-analyst", url.Values{"audience": {"compartment:ops"}}, ind(82, redMarking)); r.status != 200 && r.status != 201 {
		t.Fatalf("pa shares with ops: %d %s", r.status, r.body)
	}
	if sees(h, "pb-analyst", id) {
		t.Fatal("pb reads ops before")
	}
	h.change("pa-admin", "DELETE", "/api/v1/compartments/ops/orgs/pa", "", 200)
	out := h.change("pa-admin", "PUT", "/api/v1/compartments/ops/orgs/pb", "", 202)
	h.do("pb-liaison", "POST", "/api/v1/requests/"+itoa(out.Request.ID)+"/approve", nil, "", nil)
	if sees(h, "pb-analyst", id) {
		t.Errorf("pb reads pa's TLP:RED ops content, pa never agreed (consents asked: %q)", consentOrgs(*out.Request))
	}
}

// pb's approver, asked whether pb-liaison2 may join ops, must not learn
// which organisations are in ops (an admin-only fact: compartments are
// need-to-know groups).
func insiderLearnMembers(t *testing.T, open storetest.Opener) {
	h := insiderHarness(t, open)
	out := h.change("pa-admin", "PUT", "/api/v1/compartments/ops/users/pb-liaison2", "", 202)
	var r mosaic.ChangeRequest
	h.get("pb-liaison", "/api/v1/requests/"+itoa(out.Request.ID), nil, &r)
	// pb is not in ops: it should not learn that pa is.
	if _, ok := r.Consent("pa"); ok || strings.Contains(r.Summary, "(pa)") {
		t.Errorf("pb's approver, not a member of ops, learns its members: consents %q, summary %q", consentOrgs(r), r.Summary)
	}
	// Nor does a liaison of pb learn it from the listing.
	var list struct{ Requests []mosaic.ChangeRequest }
	h.get("pb-liaison", "/api/v1/requests", nil, &list)
	for _, x := range list.Requests {
		if _, ok := x.Consent("pa"); x.ID == out.Request.ID && (ok || strings.Contains(x.Summary, "(pa)")) {
			t.Errorf("listing shows ops' members to pb: %q / %q", x.Summary, consentOrgs(x))
		}
	}
}
