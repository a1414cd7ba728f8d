package deconflict_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/deconflict"
	"mosaic/gate"
)

// viewer is user as the gate sees it.
func (s *server) viewer(user string) mosaic.Viewer {
	s.t.Helper()
	r, _ := http.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer "+s.tokens[user])
	v, err := gate.New(s.store, s.clock, gate.Limits{}).Authenticate(r, gate.Bearer)
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

// streamed reads every hit user may see after after through HitsAfter, in
// pages of limit, as the live stream does.
func (s *server) streamed(user string, after int64, limit int) []deconflict.HitView {
	s.t.Helper()
	out := []deconflict.HitView{}
	for {
		page, next, err := s.h.HitsAfter(bg, s.viewer(user), after, limit)
		if err != nil {
			s.t.Fatalf("HitsAfter(%s): %v", user, err)
		}
		if len(page) > 0 && next != page[len(page)-1].ID {
			s.t.Fatalf("HitsAfter(%s) next = %d after hit %d", user, next, page[len(page)-1].ID)
		}
		if len(page) == 0 {
			if next != after {
				s.t.Fatalf("HitsAfter(%s) moved from %d to %d with nothing to show", user, after, next)
			}
			return out
		}
		out = append(out, page...)
		after = next
	}
}

// HitsAfter shows every viewer exactly what GET hits shows it, oldest
// first, and audits what it shows.
func TestHitsAfter(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	a, b, c := s.partner("pa-analyst"), s.partner("pb-analyst"), s.partner("pc-analyst")
	if _, err := a.run(t, selectors(0, 10), "A-secret", false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.run(t, selectors(5, 10), "B-secret", false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.run(t, selectors(100, 3), "", true); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"pa-analyst", "pb-analyst", "pc-analyst"} {
		listed, err := s.partner(user).Hits(bg)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(listed)
		if diff := cmp.Diff(listed, s.streamed(user, 0, 2)); diff != "" {
			t.Errorf("%s: HitsAfter differs from GET hits (-listed +streamed):\n%s", user, diff)
		}
	}
	got := s.streamed("pa-analyst", 0, 100)
	if len(got) != 5 {
		t.Fatalf("pa sees %d hits, want 5", len(got))
	}
	for _, hv := range got {
		if hv.YourRef != "A-secret" || hv.OtherOrg != "pb" || hv.OtherContact != "desk@pb.example" || hv.Kind != "holder" {
			t.Errorf("pa's view: %+v", hv)
		}
	}
	if rest := s.streamed("pa-analyst", got[2].ID, 100); len(rest) != 2 || rest[0].ID != got[3].ID {
		t.Errorf("after the third hit: %+v", rest)
	}
	// No other organisation, and no role that may not use deconfliction,
	// sees any.
	for _, user := range []string{"pc-analyst", "pd-analyst", "sh-user", "pa-admin"} {
		if hs := s.streamed(user, 0, 100); len(hs) != 0 {
			t.Errorf("%s sees %d hits", user, len(hs))
		}
	}
	if last, err := s.h.LastHit(bg); err != nil || last != got[4].ID {
		t.Errorf("LastHit = %d, %v; want %d", last, err, got[4].ID)
	}
	if err := s.audit.Flush(bg); err != nil {
		t.Fatal(err)
	}
	entries, _ := s.store.AuditEntries(bg, 0, 10000)
	shown := map[string]int{}
	for _, e := range entries {
		if e.Action == "deconfliction.hits" && strings.Contains(e.Detail, "live stream") {
			shown[e.User]++
			if strings.Contains(e.Detail, "B-secret") || strings.Contains(e.Detail, "A-secret") {
				t.Errorf("audit detail with a reference: %s", e.Detail)
			}
		}
	}
	if shown["pa-analyst"] == 0 || shown["pb-analyst"] == 0 || len(shown) != 2 {
		t.Errorf("live reads audited by user: %v; want pa's and pb's only (nobody else was shown any)", shown)
	}
}

func TestHitsAfterCoordinatorMode(t *testing.T) {
	s := newServer(t, deconflict.Options{Coordinator: "pd"})
	if _, err := s.partner("pa-analyst").run(t, selectors(0, 4), "A-1", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.partner("pb-analyst").run(t, selectors(2, 4), "B-1", false); err != nil {
		t.Fatal(err)
	}
	for _, user := range []string{"pa-analyst", "pb-analyst", "pc-analyst"} {
		if hs := s.streamed(user, 0, 100); len(hs) != 0 {
			t.Errorf("%s sees %d hits in coordinator mode", user, len(hs))
		}
	}
	listed, err := s.partner("pd-analyst").Hits(bg)
	if err != nil || len(listed) != 2 {
		t.Fatalf("coordinator lists %d hits, %v", len(listed), err)
	}
	slices.Reverse(listed)
	got := s.streamed("pd-analyst", 0, 1)
	if diff := cmp.Diff(listed, got); diff != "" {
		t.Errorf("coordinator: HitsAfter differs from GET hits (-listed +streamed):\n%s", diff)
	}
	if len(got[0].Sides) != 2 || got[0].Sides[0].Ref != "B-1" || got[0].Sides[1].Ref != "A-1" {
		t.Errorf("coordinator's view: %+v", got[0])
	}
}
