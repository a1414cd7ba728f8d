package storetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

// tok makes a distinct 32-byte token from a name.
func tok(name string) mosaic.DeconflictionToken {
	sum := sha256.Sum256([]byte(name))
	return mosaic.DeconflictionToken{Type: "ipv4", Token: sum[:]}
}

var requestSeq int

func sub(epoch int, ref string, expires time.Time, check bool, toks ...mosaic.DeconflictionToken) mosaic.Submission {
	requestSeq++
	return mosaic.Submission{RequestID: fmt.Sprintf("%032x", requestSeq), Epoch: epoch, Ref: ref, Expires: expires, Check: check, Tokens: toks}
}

// hitKey is a hit without its id and time, for comparison.
func hitKey(h mosaic.Hit) string {
	return fmt.Sprintf("%s %s/%s %s<-%s/%s e%d", h.Type, h.Org, h.Ref, h.Kind, h.HolderOrg, h.HolderRef, h.Epoch)
}

func hitKeys(hs []mosaic.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = hitKey(h)
	}
	slices.Sort(out)
	return out
}

func testDeconfliction(t *testing.T, open Opener) {
	t.Run("Epochs", func(t *testing.T) { testDeconflictionEpochs(t, open) })
	t.Run("Budget", func(t *testing.T) { testDeconflictionBudget(t, open) })
	t.Run("Hits", func(t *testing.T) { testDeconflictionHits(t, open) })
	t.Run("HitsAfter", func(t *testing.T) { testDeconflictionHitsAfter(t, open) })
	t.Run("HitsAfterConcurrent", func(t *testing.T) { testDeconflictionHitsAfterConcurrent(t, open) })
	t.Run("HitNumbers", func(t *testing.T) { testDeconflictionHitNumbers(t, open) })
	t.Run("Lifetime", func(t *testing.T) { testDeconflictionLifetime(t, open) })
}

func testDeconflictionEpochs(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	rec := mosaic.EpochRecord{Epoch: 1, Suite: "ristretto255-SHA512", PublicKey: bytes.Repeat([]byte{1}, 32), NotBefore: Epoch,
		Signer: bytes.Repeat([]byte{2}, 32), Signature: bytes.Repeat([]byte{3}, 64)}
	a := mosaic.AuditEntry{Time: Epoch, User: "evaluator", Action: "deconfliction.epoch.publish", Decision: mosaic.Allowed, Detail: "epoch 1"}
	added, err := s.PublishEpoch(bg, rec, a)
	if err != nil || !added {
		t.Fatalf("PublishEpoch = %v, %v; want true, nil", added, err)
	}
	if added, err := s.PublishEpoch(bg, rec, a); err != nil || added {
		t.Fatalf("PublishEpoch again = %v, %v; want false, nil", added, err)
	}
	changed := rec
	changed.PublicKey = bytes.Repeat([]byte{9}, 32)
	_, err = s.PublishEpoch(bg, changed, a)
	wantCode(t, err, mosaic.CodeConflict)
	rec2 := rec
	rec2.Epoch, rec2.PublicKey = 2, bytes.Repeat([]byte{4}, 32)
	if _, err := s.PublishEpoch(bg, rec2, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Epochs(bg)
	if err != nil {
		t.Fatal(err)
	}
	rec.Published, rec2.Published = Epoch, Epoch
	if diff := cmp.Diff([]mosaic.EpochRecord{rec, rec2}, got); diff != "" {
		t.Errorf("Epochs (-want +got):\n%s", diff)
	}
	entries, _ := s.AuditEntries(bg, 0, 1000)
	n := 0
	for _, e := range entries {
		if e.Action == "deconfliction.epoch.publish" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d publish audit entries, want 2 (one per new epoch)", n)
	}
}

func testDeconflictionBudget(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	a := mosaic.NewAuditEntry(w.A, Epoch, "deconfliction.evaluate")
	b, err := s.SpendBudget(bg, w.A, mosaic.PoolEvaluate, 60, 100, a)
	if err != nil || b.Used != 60 || b.Limit != 100 || b.Day != "2026-11-01" || b.Pool != mosaic.PoolEvaluate {
		t.Fatalf("SpendBudget = %+v, %v", b, err)
	}
	_, err = s.SpendBudget(bg, w.A, mosaic.PoolEvaluate, 41, 100, a)
	wantCode(t, err, mosaic.CodeRateLimited)
	// The refusal took nothing, and another organisation's budget is its own.
	if b, _ := s.Budget(bg, w.A, mosaic.PoolEvaluate, 100); b.Used != 60 {
		t.Errorf("after a refusal used = %d, want 60", b.Used)
	}
	if b, err := s.SpendBudget(bg, w.B, mosaic.PoolEvaluate, 100, 100, mosaic.NewAuditEntry(w.B, Epoch, "deconfliction.evaluate")); err != nil || b.Used != 100 {
		t.Errorf("pb: %+v, %v", b, err)
	}
	if b, err := s.SpendBudget(bg, w.A, mosaic.PoolEvaluate, 40, 100, a); err != nil || b.Used != 100 {
		t.Errorf("the rest: %+v, %v", b, err)
	}
	entries, _ := s.AuditEntries(bg, 0, 1000)
	denied := 0
	for _, e := range entries {
		if e.Action == "deconfliction.evaluate" && e.Decision == mosaic.Denied && e.Org == "pa" {
			denied++
		}
	}
	if denied != 1 {
		t.Errorf("%d denied evaluations audited, want 1", denied)
	}
	// Submitted tokens have a budget of their own, spent in the
	// submission's transaction: a refused submission stores nothing.
	exp := Epoch.Add(24 * time.Hour)
	if _, err := s.Submit(bg, w.A, mosaic.Submission{RequestID: "b1", Epoch: 1, Ref: "R", Expires: exp, Tokens: []mosaic.DeconflictionToken{tok("1"), tok("2")}, Limit: 3},
		mosaic.NewAuditEntry(w.A, Epoch, "deconfliction.register")); err != nil {
		t.Fatal(err)
	}
	_, err = s.Submit(bg, w.A, mosaic.Submission{RequestID: "b2", Epoch: 1, Ref: "S", Expires: exp, Tokens: []mosaic.DeconflictionToken{tok("3"), tok("4")}, Limit: 3},
		mosaic.NewAuditEntry(w.A, Epoch, "deconfliction.register"))
	wantCode(t, err, mosaic.CodeRateLimited)
	if gs, _ := s.Registrations(bg, w.A); len(gs) != 1 || gs[0].Ref != "R" {
		t.Errorf("after a refused submission: %+v", gs)
	}
	if b, _ := s.Budget(bg, w.A, mosaic.PoolSubmit, 3); b.Used != 2 || b.Pool != mosaic.PoolSubmit {
		t.Errorf("submit pool %+v, want 2 used", b)
	}
	if b, _ := s.Budget(bg, w.A, mosaic.PoolEvaluate, 100); b.Used != 100 {
		t.Errorf("the evaluate pool changed with submissions: %+v", b)
	}
	entries, _ = s.AuditEntries(bg, 0, 1000)
	if e := entries[len(entries)-1]; e.Action != "deconfliction.register" || e.Decision != mosaic.Denied {
		t.Errorf("refused submission audited as %+v", e)
	}
	// A new UTC day, a new budget.
	w.Clock.Add(15 * time.Hour)
	if b, err := s.SpendBudget(bg, w.A, mosaic.PoolEvaluate, 1, 100, a); err != nil || b.Used != 1 || b.Day != "2026-11-02" {
		t.Errorf("next day: %+v, %v", b, err)
	}
}

func testDeconflictionHits(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	exp := Epoch.Add(90 * 24 * time.Hour)
	submit := func(v mosaic.Viewer, sb mosaic.Submission) mosaic.SubmissionResult {
		t.Helper()
		res, err := s.Submit(bg, v, sb, mosaic.NewAuditEntry(v, w.Clock.Now(), "deconfliction.register"))
		if err != nil {
			t.Fatalf("Submit: %v", err)
		}
		return res
	}
	t1, t2, t3 := tok("192.0.2.1"), tok("192.0.2.2"), tok("192.0.2.3")
	if res := submit(w.A, sub(1, "A-1", exp, false, t1, t2)); res.Accepted != 2 || len(res.Hits) != 0 {
		t.Fatalf("first registration: %+v", res)
	}
	res := submit(w.B, sub(1, "B-9", exp, false, t3, t2))
	if got, want := hitKeys(res.Hits), []string{"ipv4 pb/B-9 register<-pa/A-1 e1"}; !slices.Equal(got, want) {
		t.Fatalf("hits = %v, want %v", got, want)
	}
	if res.Hits[0].Index != 1 {
		t.Errorf("hit index = %d, want 1", res.Hits[0].Index)
	}
	// Both sides see it; nobody else does.
	for org, want := range map[string]int{"pa": 1, "pb": 1, "pc": 0} {
		hs, err := s.Hits(bg, org, 100)
		if err != nil || len(hs) != want {
			t.Errorf("Hits(%s) = %v, %v; want %d", org, hitKeys(hs), err, want)
		}
	}
	// A check is reported like a registration, and stores nothing.
	res, err := s.Submit(bg, w.C, sub(1, "", time.Time{}, true, t1, tok("elsewhere")), mosaic.NewAuditEntry(w.C, Epoch, "deconfliction.check"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitKeys(res.Hits), []string{"ipv4 pc/ check<-pa/A-1 e1"}; !slices.Equal(got, want) {
		t.Errorf("check hits = %v, want %v", got, want)
	}
	if gs, _ := s.Registrations(bg, w.C); len(gs) != 0 {
		t.Errorf("a check registered: %+v", gs)
	}
	if hs, _ := s.Hits(bg, "pa", 100); len(hs) != 2 {
		t.Errorf("pa sees %d hits, want 2 (the check's too)", len(hs))
	}
	// Renewing a registration makes no new hit; the organisation's own
	// registrations never hit each other.
	if res := submit(w.B, sub(1, "B-9", exp.Add(time.Hour), false, t2)); len(res.Hits) != 0 {
		t.Errorf("renewal made hits: %v", hitKeys(res.Hits))
	}
	res = submit(w.A, sub(1, "A-2", exp, false, t2, t2))
	if got, want := hitKeys(res.Hits), []string{"ipv4 pa/A-2 register<-pb/B-9 e1"}; !slices.Equal(got, want) {
		t.Errorf("second reference hits = %v, want %v", got, want)
	}
	// Another epoch is another key: equal bytes there are no match.
	if res := submit(w.C, sub(2, "C-1", exp, false, t1, t2)); len(res.Hits) != 0 {
		t.Errorf("cross-epoch hits: %v", hitKeys(res.Hits))
	}
	// A replayed request is refused and stores nothing.
	replay := sub(1, "C-2", exp, false, t3)
	submit(w.C, replay)
	_, err = s.Submit(bg, w.C, replay, mosaic.NewAuditEntry(w.C, Epoch, "deconfliction.register"))
	wantCode(t, err, mosaic.CodeConflict)
	_, err = s.Submit(bg, w.A, replay, mosaic.NewAuditEntry(w.A, Epoch, "deconfliction.register"))
	wantCode(t, err, mosaic.CodeConflict)
	if gs, _ := s.Registrations(bg, w.A); len(gs) != 2 {
		t.Errorf("pa registrations after a refused replay: %+v", gs)
	}
	// Bad submissions.
	_, err = s.Submit(bg, w.A, sub(1, "", exp, false, t1), mosaic.NewAuditEntry(w.A, Epoch, "x"))
	wantCode(t, err, mosaic.CodeInvalid)
	_, err = s.Submit(bg, w.A, sub(1, "A-3", Epoch.Add(-time.Hour), false, t1), mosaic.NewAuditEntry(w.A, Epoch, "x"))
	wantCode(t, err, mosaic.CodeInvalid)

	// Every hit is in the audit log, and no token is.
	entries, _ := s.AuditEntries(bg, 0, 10000)
	n := 0
	for _, e := range entries {
		if e.Action == "deconfliction.hit" {
			n++
		}
		line := fmt.Sprint(e)
		for _, tk := range []mosaic.DeconflictionToken{t1, t2, t3} {
			for _, enc := range []string{hex.EncodeToString(tk.Token), base64.StdEncoding.EncodeToString(tk.Token), string(tk.Token)} {
				if strings.Contains(strings.ToLower(line), strings.ToLower(enc)) {
					t.Errorf("audit entry holds a token: %+v", e)
				}
			}
		}
	}
	if n != 4 {
		t.Errorf("%d hits audited, want 4", n)
	}
	all, _ := s.Hits(bg, "", 100)
	if len(all) != 4 || all[0].ID < all[3].ID {
		t.Errorf("Hits(all) = %v, want 4 newest first", hitKeys(all))
	}
}

func hitIDs(hs []mosaic.Hit) []int64 {
	out := make([]int64, len(hs))
	for i, h := range hs {
		out[i] = h.ID
	}
	return out
}

func testDeconflictionHitsAfter(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	exp := Epoch.Add(90 * 24 * time.Hour)
	submit := func(v mosaic.Viewer, sb mosaic.Submission) mosaic.Hit {
		t.Helper()
		res, err := s.Submit(bg, v, sb, mosaic.NewAuditEntry(v, w.Clock.Now(), "deconfliction.register"))
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("Submit = %d hits, %v; want 1", len(res.Hits), err)
		}
		return res.Hits[0]
	}
	t1, t2, t3 := tok("198.51.100.1"), tok("198.51.100.2"), tok("198.51.100.3")
	if res, err := s.Submit(bg, w.A, sub(1, "A-1", exp, false, t1, t2, t3), mosaic.NewAuditEntry(w.A, Epoch, "deconfliction.register")); err != nil || len(res.Hits) != 0 {
		t.Fatalf("first registration: %+v, %v", res, err)
	}
	h1 := submit(w.B, sub(1, "B-1", exp, false, t1))
	h2 := submit(w.C, sub(1, "", time.Time{}, true, t2))
	h3 := submit(w.B, sub(1, "B-2", exp, false, t3))
	// Each side numbers the hit among its own: pa holds all three; pb
	// submitted the first and the third, pc the second.
	for _, c := range []struct {
		h                 mosaic.Hit
		orgSeq, holderSeq int64
	}{{h1, 1, 1}, {h2, 1, 2}, {h3, 2, 3}} {
		if c.h.OrgSeq != c.orgSeq || c.h.HolderSeq != c.holderSeq {
			t.Errorf("hit %d of %s and %s numbered %d and %d, want %d and %d", c.h.ID, c.h.Org, c.h.HolderOrg, c.h.OrgSeq, c.h.HolderSeq, c.orgSeq, c.holderSeq)
		}
	}
	for _, c := range []struct {
		org   string
		after int64
		limit int
		want  []mosaic.Hit
	}{
		{"pa", 0, 100, []mosaic.Hit{h1, h2, h3}},
		{"pa", 0, 2, []mosaic.Hit{h1, h2}},
		{"pa", 2, 2, []mosaic.Hit{h3}},
		{"pa", 3, 100, []mosaic.Hit{}},
		// pb's hits are h1 and h3, its 1 and 2; pc's check with pa,
		// between them, is not pb's to see, nor to count.
		{"pb", 0, 100, []mosaic.Hit{h1, h3}},
		{"pb", 1, 100, []mosaic.Hit{h3}},
		{"pb", 2, 100, []mosaic.Hit{}},
		{"pc", 0, 100, []mosaic.Hit{h2}},
		{"pc", 1, 100, []mosaic.Hit{}},
		{"sh", 0, 100, []mosaic.Hit{}},
		{"nobody", 0, 100, []mosaic.Hit{}},
		// Every hit, as the coordinator lists them: by the global ids.
		{"", 0, 100, []mosaic.Hit{h1, h2, h3}},
		{"", h1.ID, 1, []mosaic.Hit{h2}},
		{"pa", 0, 0, []mosaic.Hit{}},
	} {
		got, err := s.HitsAfter(bg, c.org, c.after, c.limit)
		if err != nil {
			t.Fatalf("HitsAfter(%q, %d, %d): %v", c.org, c.after, c.limit, err)
		}
		if got == nil {
			t.Errorf("HitsAfter(%q, %d, %d) = nil, want an empty list", c.org, c.after, c.limit)
		}
		if !slices.Equal(hitIDs(got), hitIDs(c.want)) {
			t.Errorf("HitsAfter(%q, %d, %d) = %v, want %v", c.org, c.after, c.limit, hitIDs(got), hitIDs(c.want))
			continue
		}
		for i, h := range got {
			if c.org != "" && h.Org != c.org && h.HolderOrg != c.org {
				t.Errorf("HitsAfter(%q) gave hit %d of %s and %s", c.org, h.ID, h.Org, h.HolderOrg)
			}
			want := c.want[i]
			want.Index = 0
			if diff := cmp.Diff(want, h); diff != "" {
				t.Errorf("HitsAfter(%q) hit %d (-want +got):\n%s", c.org, h.ID, diff)
			}
		}
	}
}

// testDeconflictionHitsAfterConcurrent has several submissions make hits
// at once while readers follow them as the live stream does, one per
// organisation by its own numbers and one by the global ids: asking for
// the hits after the last one it got, each must see every hit exactly
// once, which needs numbers in commit order, and each organisation's
// numbers must come out 1, 2, 3, … without a gap or a repeat.
func testDeconflictionHitsAfterConcurrent(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	d := addPartner(t, w, "pd")
	const writers, each = 4, 15
	var toks []mosaic.DeconflictionToken
	for i := range writers * each {
		toks = append(toks, tok(fmt.Sprintf("held-%d", i)))
	}
	if _, err := s.Submit(bg, w.C, sub(1, "C-1", Epoch.Add(24*time.Hour), false, toks...), mosaic.NewAuditEntry(w.C, Epoch, "deconfliction.register")); err != nil {
		t.Fatal(err)
	}
	// pa checks twice as much as pb and pd; pc holds every token.
	by := []mosaic.Viewer{w.A, w.B, d, w.A}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for g := range writers {
		v := by[g]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range each {
				sb := mosaic.Submission{RequestID: fmt.Sprintf("%016x%016x", 0xc0c0+g, k), Epoch: 1, Check: true, Tokens: toks[g*each+k : g*each+k+1]}
				if _, err := s.Submit(bg, v, sb, mosaic.NewAuditEntry(v, Epoch, "deconfliction.check")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	readers := []string{"", "pa", "pb", "pc", "pd"}
	seen := map[string]map[int64]bool{} // by reader, global ids
	last := map[string]int64{}          // by reader, the number it got last
	for _, org := range readers {
		seen[org] = map[int64]bool{}
	}
	poll := func() {
		for _, org := range readers {
			hs, err := s.HitsAfter(bg, org, last[org], 7)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if seen[org][h.ID] {
					t.Errorf("reader %q read hit %d twice", org, h.ID)
				}
				if n := h.Number(org); n <= last[org] {
					t.Errorf("reader %q asked after %d and got %d", org, last[org], n)
				}
				seen[org][h.ID] = true
				last[org] = h.Number(org)
			}
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		poll()
	}
	for n := -1; n != len(seen[""]); {
		n = len(seen[""])
		poll()
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for org, want := range map[string]int{"": writers * each, "pa": 2 * each, "pb": each, "pc": writers * each, "pd": each} {
		all, err := s.HitsAfter(bg, org, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != want {
			t.Fatalf("reader %q: %d hits stored, want %d", org, len(all), want)
		}
		var missed []int64
		for i, h := range all {
			if !seen[org][h.ID] {
				missed = append(missed, h.ID)
			}
			if org == "" {
				continue
			}
			if h.Number(org) != int64(i+1) {
				t.Errorf("%s's hit %d of %d has number %d: the numbers have gaps or repeats", org, i+1, len(all), h.Number(org))
			}
			if i > 0 && h.ID <= all[i-1].ID {
				t.Errorf("%s's hits %d and %d are in another order than their global ids %d and %d", org, i, i+1, all[i-1].ID, h.ID)
			}
		}
		if len(missed) > 0 {
			t.Errorf("reader %q never saw hits %v: they committed after a later-numbered one", org, missed)
		}
	}
}

// addPartner adds partner organisation name with an analyst, beyond the
// World's three partners.
func addPartner(t *testing.T, w *World, name string) mosaic.Viewer {
	t.Helper()
	a := mosaic.AuditEntry{Time: Epoch, User: "test", Action: "setup", Decision: mosaic.Allowed}
	o := mosaic.Organisation{Name: name, FullName: "Partner " + name, Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := w.Store.CreateOrg(bg, &o, a); err != nil {
		t.Fatal(err)
	}
	w.Orgs[name] = o
	u := mosaic.User{Name: name + "-analyst", Org: name, Role: mosaic.Analyst}
	if err := w.Store.CreateUser(bg, &u, "", a); err != nil {
		t.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

// testDeconflictionHitNumbers has pa and pb make hits with each other,
// each side in turn, between bursts of hits of pc and pd: each
// organisation sees its hits numbered 1, 2, 3, … whatever the others did,
// and HitsAfter gives exactly its hits after a number.
func testDeconflictionHitNumbers(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	d := addPartner(t, w, "pd")
	exp := Epoch.Add(90 * 24 * time.Hour)
	var hits []mosaic.Hit // in commit order
	last := map[string]int64{}
	submit := func(v mosaic.Viewer, sb mosaic.Submission, want int) {
		t.Helper()
		res, err := s.Submit(bg, v, sb, mosaic.NewAuditEntry(v, w.Clock.Now(), "deconfliction.register"))
		if err != nil || len(res.Hits) != want {
			t.Fatalf("Submit by %s = %d hits, %v; want %d", v.Org, len(res.Hits), err, want)
		}
		for _, h := range res.Hits {
			last[h.Org]++
			last[h.HolderOrg]++
			if h.OrgSeq != last[h.Org] || h.HolderSeq != last[h.HolderOrg] {
				t.Errorf("hit %d: %s's number %d, %s's %d; want %d and %d", h.ID, h.Org, h.OrgSeq, h.HolderOrg, h.HolderSeq, last[h.Org], last[h.HolderOrg])
			}
			if len(hits) > 0 && h.ID <= hits[len(hits)-1].ID {
				t.Errorf("hit %d stored after hit %d", h.ID, hits[len(hits)-1].ID)
			}
			hits = append(hits, h)
		}
	}
	const rounds, burst = 6, 3
	var ofA, ofB, ofC []mosaic.DeconflictionToken
	for i := range rounds {
		ofA, ofB = append(ofA, tok(fmt.Sprintf("pa-%d", i))), append(ofB, tok(fmt.Sprintf("pb-%d", i)))
	}
	for i := range rounds * burst {
		ofC = append(ofC, tok(fmt.Sprintf("pc-%d", i)))
	}
	submit(w.A, sub(1, "A", exp, false, ofA...), 0)
	submit(w.B, sub(1, "B", exp, false, ofB...), 0)
	submit(w.C, sub(1, "C", exp, false, ofC...), 0)
	for i := range rounds {
		// pd checks some of pc's tokens: one submission, several hits.
		submit(d, sub(1, "", time.Time{}, true, ofC[i*burst:(i+1)*burst]...), burst)
		// pa's hit with pb, pa holding and then submitting in turn.
		if i%2 == 0 {
			submit(w.B, sub(1, "", time.Time{}, true, ofA[i]), 1)
		} else {
			submit(w.A, sub(1, "", time.Time{}, true, ofB[i]), 1)
		}
		// And pc's own hits with pd, as holder of pd's registration.
		own := tok(fmt.Sprintf("pd-%d", i))
		submit(d, sub(1, "D", exp, false, own), 0)
		submit(w.C, sub(1, "", time.Time{}, true, own), 1)
	}
	// One submission with hits on two holders: pa's and pc's next
	// numbers, and two of pd's.
	shared := tok("shared")
	submit(w.A, sub(1, "A-shared", exp, false, shared), 0)
	submit(w.C, sub(1, "C-shared", exp, false, shared), 1) // pc's hit with pa
	submit(d, sub(1, "", time.Time{}, true, shared), 2)
	want := map[string]int64{"pa": rounds + 2, "pb": rounds, "pc": rounds*burst + rounds + 2, "pd": rounds*burst + rounds + 2}
	if fmt.Sprint(last) != fmt.Sprint(want) {
		t.Fatalf("hits by organisation %v, want %v", last, want)
	}

	// of returns org's hits, oldest first, as the store should list them.
	of := func(org string) []mosaic.Hit {
		out := []mosaic.Hit{}
		for _, h := range hits {
			if org == "" || h.Org == org || h.HolderOrg == org {
				h.Index = 0
				out = append(out, h)
			}
		}
		return out
	}
	for _, org := range []string{"pa", "pb", "pc", "pd", ""} {
		mine := of(org)
		newest, err := s.Hits(bg, org, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range newest {
			if n := h.Number(org); org != "" && n != int64(len(newest)-i) {
				t.Errorf("Hits(%q)[%d] is its number %d, want %d: numbers 1 to %d, newest first, without gaps", org, i, n, len(newest)-i, len(newest))
			}
		}
		slices.Reverse(newest)
		if diff := cmp.Diff(mine, newest); diff != "" {
			t.Errorf("Hits(%q) (-want +got, oldest first):\n%s", org, diff)
		}
		if org == "" {
			continue
		}
		// After each number, pages of each size: exactly the hits that
		// follow it.
		for after := range int64(len(mine)) + 1 {
			for _, limit := range []int{1, 2, 100} {
				got, err := s.HitsAfter(bg, org, after, limit)
				if err != nil {
					t.Fatal(err)
				}
				want := mine[after:min(int(after)+limit, len(mine))]
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("HitsAfter(%q, %d, %d) (-want +got):\n%s", org, after, limit, diff)
				}
			}
		}
	}
}

func testDeconflictionLifetime(t *testing.T, open Opener) {
	w := NewWorld(t, open)
	s := w.Store
	t1, t2 := tok("a.example"), tok("b.example")
	t1.Type, t2.Type = "domain", "domain"
	reg := func(v mosaic.Viewer, sb mosaic.Submission) mosaic.SubmissionResult {
		t.Helper()
		res, err := s.Submit(bg, v, sb, mosaic.NewAuditEntry(v, w.Clock.Now(), "deconfliction.register"))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	reg(w.A, sub(1, "short", Epoch.Add(time.Hour), false, t1))
	reg(w.A, sub(1, "long", Epoch.Add(48*time.Hour), false, t2))
	gs, err := s.Registrations(bg, w.A)
	if err != nil {
		t.Fatal(err)
	}
	want := []mosaic.RegistrationGroup{
		{Ref: "long", Epoch: 1, Type: "domain", Count: 1, Registered: Epoch, Expires: Epoch.Add(48 * time.Hour)},
		{Ref: "short", Epoch: 1, Type: "domain", Count: 1, Registered: Epoch, Expires: Epoch.Add(time.Hour)},
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("Registrations (-want +got):\n%s", diff)
	}
	// Expired: gone from the list and from matching.
	w.Clock.Add(2 * time.Hour)
	if res := reg(w.B, sub(1, "B", Epoch.Add(72*time.Hour), true, t1)); len(res.Hits) != 0 {
		t.Errorf("an expired registration hit: %v", hitKeys(res.Hits))
	}
	if gs, _ := s.Registrations(bg, w.A); len(gs) != 1 || gs[0].Ref != "long" {
		t.Errorf("after expiry: %+v", gs)
	}
	// Registering an expired one again brings it back as new.
	reg(w.A, sub(1, "short", Epoch.Add(72*time.Hour), false, t1))
	if res := reg(w.B, sub(1, "", time.Time{}, true, t1)); len(res.Hits) != 1 {
		t.Errorf("renewed registration: %d hits, want 1", len(res.Hits))
	}
	// Removed: gone.
	n, err := s.RemoveRegistrations(bg, w.A, "long", mosaic.NewAuditEntry(w.A, w.Clock.Now(), "deconfliction.remove"))
	if err != nil || n != 1 {
		t.Fatalf("RemoveRegistrations = %d, %v", n, err)
	}
	if res := reg(w.B, sub(1, "", time.Time{}, true, t2)); len(res.Hits) != 0 {
		t.Errorf("a removed registration hit: %v", hitKeys(res.Hits))
	}
	_, err = s.RemoveRegistrations(bg, w.A, "long", mosaic.NewAuditEntry(w.A, w.Clock.Now(), "deconfliction.remove"))
	wantCode(t, err, mosaic.CodeNotFound)
	// Another organisation cannot remove pa's.
	_, err = s.RemoveRegistrations(bg, w.B, "short", mosaic.NewAuditEntry(w.B, w.Clock.Now(), "deconfliction.remove"))
	wantCode(t, err, mosaic.CodeNotFound)
	// A new epoch ends the old one's registrations at the given time.
	end := w.Clock.Now().Add(time.Hour)
	if n, err := s.EndEpochs(bg, 2, end, setup()); err != nil || n != 1 {
		t.Fatalf("EndEpochs = %d, %v", n, err)
	}
	if gs, _ := s.Registrations(bg, w.A); len(gs) != 1 || !gs[0].Expires.Equal(end) {
		t.Errorf("after EndEpochs: %+v", gs)
	}
	w.Clock.Add(2 * time.Hour)
	if gs, _ := s.Registrations(bg, w.A); len(gs) != 0 {
		t.Errorf("old epoch still live: %+v", gs)
	}
}
