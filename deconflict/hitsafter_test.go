package deconflict_test

import (
	"fmt"
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
	if last, err := s.h.LastHit(bg, s.viewer("pa-analyst")); err != nil || last != got[4].ID {
		t.Errorf("LastHit(pa) = %d, %v; want %d", last, err, got[4].ID)
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
	// pc's check makes a hit with pa only, then pd's with pa and pb: the
	// coordinator, who sees every hit, has them by their global ids.
	if _, err := s.partner("pc-analyst").run(t, selectors(0, 1), "", true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.partner("pd-analyst").run(t, selectors(3, 1), "", true); err != nil {
		t.Fatal(err)
	}
	all, err := s.store.Hits(bg, "", 100)
	if err != nil || len(all) != 5 {
		t.Fatalf("%d hits stored, %v", len(all), err)
	}
	got = s.streamed("pd-analyst", 0, 100)
	for i, hv := range got {
		if want := all[len(all)-1-i].ID; hv.ID != want {
			t.Errorf("the coordinator's hit %d has id %d, want the global id %d", i, hv.ID, want)
		}
	}
	if last, err := s.h.LastHit(bg, s.viewer("pd-analyst")); err != nil || last != all[0].ID {
		t.Errorf("LastHit(coordinator) = %d, %v; want the newest global id %d", last, err, all[0].ID)
	}
	// The sides' positions are their own numbers, though they see no hits
	// now: pa was a side of all but pb's share of pd's check.
	if last, err := s.h.LastHit(bg, s.viewer("pa-analyst")); err != nil || last != 4 {
		t.Errorf("LastHit(pa) in coordinator mode = %d, %v; want 4", last, err)
	}
}

// Each organisation's hit ids count its own hits only, on every way it is
// shown them: the answer to its submission, GET hits, HitsAfter (the live
// stream) and LastHit. The gaps of global ids would tell a partner how many
// hits the others had in between.
func TestHitIDsCountOwnHits(t *testing.T) {
	s := newServer(t, deconflict.Options{})
	a, b, c, d := s.partner("pa-analyst"), s.partner("pb-analyst"), s.partner("pc-analyst"), s.partner("pd-analyst")
	ids := func(hs []deconflict.HitView) []int64 {
		out := []int64{}
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	run := func(p *partner, sels []deconflict.Selector, ref string, check bool, want ...int64) {
		t.Helper()
		hits, err := p.run(t, sels, ref, check)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(hits); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("%s's submission answered hits %v, want %v", p.org, got, want)
		}
	}
	run(a, selectors(0, 10), "A", false)
	run(c, selectors(100, 10), "C", false)
	run(b, selectors(5, 2), "B", false, 1, 2)
	// A burst between pc and pd, which pa and pb are no side of.
	run(d, selectors(100, 10), "", true, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	run(b, selectors(7, 2), "", true, 3, 4)
	run(d, selectors(0, 1), "", true, 11)
	for _, tc := range []struct {
		user string
		want []int64 // newest first
	}{
		{"pa-analyst", []int64{5, 4, 3, 2, 1}},
		{"pb-analyst", []int64{4, 3, 2, 1}},
		{"pc-analyst", []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"pd-analyst", []int64{11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
	} {
		listed, err := s.partner(tc.user).Hits(bg)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(listed); !slices.Equal(got, tc.want) {
			t.Errorf("GET hits for %s: ids %v, want %v", tc.user, got, tc.want)
		}
		if last, err := s.h.LastHit(bg, s.viewer(tc.user)); err != nil || last != tc.want[0] {
			t.Errorf("LastHit(%s) = %d, %v; want %d", tc.user, last, err, tc.want[0])
		}
	}
	if got := ids(s.streamed("pa-analyst", 2, 2)); !slices.Equal(got, []int64{3, 4, 5}) {
		t.Errorf("pa's hits after its second: %v, want [3 4 5]", got)
	}
	if last, err := s.h.LastHit(bg, s.viewer("sh-user")); err != nil || last != 0 {
		t.Errorf("LastHit(sh) = %d, %v; want 0", last, err)
	}
	// The audit log, which only auditors read, keeps the global ids too,
	// labelled as such.
	if err := s.audit.Flush(bg); err != nil {
		t.Fatal(err)
	}
	entries, _ := s.store.AuditEntries(bg, 0, 10000)
	var stream []string
	hit := 0
	for _, e := range entries {
		switch {
		case e.Action == "deconfliction.hits" && e.User == "pa-analyst" && strings.Contains(e.Detail, "live stream"):
			stream = append(stream, e.Detail)
			if !strings.Contains(e.Detail, "global hit ids ") {
				t.Errorf("live stream audited as %q", e.Detail)
			}
		case e.Action == "deconfliction.hit":
			hit++
			if !strings.HasPrefix(e.Detail, "global hit id ") {
				t.Errorf("hit audited as %q", e.Detail)
			}
		}
	}
	if len(stream) != 2 || !strings.Contains(stream[0], "pa's hits 3, 4;") || !strings.Contains(stream[1], "pa's hits 5;") {
		t.Errorf("pa's live-stream reads audited as %q; want its hits 3 and 4, then 5", stream)
	}
	if hit != 15 {
		t.Errorf("%d hits audited, want 15", hit)
	}
}
