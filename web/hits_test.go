package web_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/deconflict"
	"mosaic/gate"
	"mosaic/seal"
	"mosaic/storetest"
	"mosaic/web"
)

// rawEvent is one server-sent event of any kind.
type rawEvent struct {
	id, name, data string
}

// rawStream opens the event stream with token and delivers every event
// until the test ends.
func rawStream(t *testing.T, base, token, lastID string) <-chan rawEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+web.EventsPath, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		resp.Body.Close()
		t.Fatalf("stream: %d", resp.StatusCode)
	}
	ch := make(chan rawEvent, 100)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev rawEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.id != "":
				ch <- ev
				ev = rawEvent{}
			}
		}
	}()
	// The stream starts at its first poll; give it that.
	time.Sleep(100 * time.Millisecond)
	return ch
}

// next reads the stream's next event.
func next(t *testing.T, ch <-chan rawEvent) rawEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("the stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return rawEvent{}
}

// label names an event for comparison: "object NAME" or "hit ID".
func label(t *testing.T, ev rawEvent) string {
	t.Helper()
	switch ev.name {
	case "object":
		var e web.Event
		var o struct{ Name string }
		if err := json.Unmarshal([]byte(ev.data), &e); err != nil || json.Unmarshal(e.Object, &o) != nil {
			t.Fatalf("bad object event %s", ev.data)
		}
		return "object " + o.Name
	case "hit":
		return fmt.Sprintf("hit %d", hitOf(t, ev).ID)
	}
	t.Fatalf("event %q", ev.name)
	return ""
}

func hitOf(t *testing.T, ev rawEvent) mosaic.HitView {
	t.Helper()
	var hv mosaic.HitView
	if ev.name != "hit" || json.Unmarshal([]byte(ev.data), &hv) != nil {
		t.Fatalf("not a hit event: %s %s", ev.name, ev.data)
	}
	return hv
}

// expect reads len(want) events and fails unless they are want, with the
// records in want's order and the hits in want's order. How the two kinds
// interleave is not promised: a poll reads records, then hits, and what
// committed in between may come first.
func expect(t *testing.T, ch <-chan rawEvent, want ...string) map[string]rawEvent {
	t.Helper()
	var got []string
	evs := map[string]rawEvent{}
	for range want {
		ev := next(t, ch)
		l := label(t, ev)
		evs[l] = ev
		got = append(got, l)
	}
	kind := func(ls []string, k string) []string {
		var out []string
		for _, l := range ls {
			if strings.HasPrefix(l, k+" ") {
				out = append(out, l)
			}
		}
		return out
	}
	if !slices.Equal(kind(got, "object"), kind(want, "object")) || !slices.Equal(kind(got, "hit"), kind(want, "hit")) {
		t.Fatalf("events %q, want %q", got, want)
	}
	return evs
}

// hitsEnv is the web UI with deconfliction's handler as its hit source,
// and that handler served too, to compare the stream with GET hits.
type hitsEnv struct {
	*env
	decon  *httptest.Server
	tokens map[string]string // by user
	n      int
}

func newHitsEnv(t *testing.T, coordinator string) *hitsEnv {
	t.Helper()
	var h *deconflict.Handler
	e := newEnv(t, func(o *web.Options) {
		h = deconflict.NewHandler(deconflict.Options{Store: o.Store.(mosaic.Store), Audit: o.Content, Clock: o.Clock, Log: o.Log,
			Gate: gate.New(o.Store.(mosaic.Store), o.Clock, gate.Limits{}), Coordinator: coordinator})
		o.Hits = h
		o.MaxStreamsPerUser = 10 // the tests resume one stream several ways
	})
	he := &hitsEnv{env: e, decon: httptest.NewServer(h), tokens: map[string]string{}}
	t.Cleanup(he.decon.Close)
	for _, v := range []mosaic.Viewer{e.w.A, e.w.B, e.w.C} {
		secret, hash := credential.NewToken()
		if _, err := e.w.Store.CreateToken(bg, v.User, hash, "soc", e.w.Clock.Now().Add(time.Hour), false, mosaic.AuditEntry{Action: "setup"}); err != nil {
			t.Fatal(err)
		}
		he.tokens[v.User] = secret
	}
	return he
}

// submit registers (with a reference) or checks (without) one token of
// name for v, and returns the hits it made.
func (he *hitsEnv) submit(t *testing.T, v mosaic.Viewer, ref, name string) []mosaic.Hit {
	t.Helper()
	he.n++
	sum := sha256.Sum256([]byte(name))
	sub := mosaic.Submission{RequestID: fmt.Sprintf("%032x", he.n), Epoch: 1, Ref: ref, Check: ref == "",
		Tokens: []mosaic.DeconflictionToken{{Type: "ipv4", Token: sum[:]}}}
	if ref != "" {
		sub.Expires = he.w.Clock.Now().Add(24 * time.Hour)
	}
	res, err := he.w.Store.Submit(bg, v, sub, mosaic.NewAuditEntry(v, he.w.Clock.Now(), "deconfliction.register"))
	if err != nil {
		t.Fatal(err)
	}
	return res.Hits
}

// listed is GET /api/v1/deconfliction/hits for v.
func (he *hitsEnv) listed(t *testing.T, v mosaic.Viewer) []mosaic.HitView {
	t.Helper()
	req, _ := http.NewRequest("GET", he.decon.URL+deconflict.Prefix+"hits", nil)
	req.Header.Set("Authorization", "Bearer "+he.tokens[v.User])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []mosaic.HitView
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET hits: %d, %v", resp.StatusCode, err)
	}
	return out
}

func (he *hitsEnv) object(t *testing.T, n int, name string) {
	t.Helper()
	he.w.Ingest(t, he.w.A, storetest.Record(t, storetest.Indicator(n, "2026-10-01T00:00:00.000Z", name, "[ipv4-addr:value = '198.51.100.9']"), cellEnv()))
}

// sameAsListed fails unless ev shows hit id to v exactly as GET hits does.
func (he *hitsEnv) sameAsListed(t *testing.T, v mosaic.Viewer, ev rawEvent, id int64) mosaic.HitView {
	t.Helper()
	got := hitOf(t, ev)
	for _, want := range he.listed(t, v) {
		if want.ID == id {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s's hit event differs from GET hits (-listed +event):\n%s", v.User, diff)
			}
			return got
		}
	}
	t.Fatalf("%s's stream shows hit %d, which GET hits does not list", v.User, id)
	return got
}

func TestEventsCarryHits(t *testing.T) {
	he := newHitsEnv(t, "")
	w := he.w
	// A hit from before the streams opened does not come.
	he.submit(t, w.A, "A-0", "old")
	if hs := he.submit(t, w.B, "B-0", "old"); len(hs) != 1 {
		t.Fatalf("old hit: %d", len(hs))
	}
	streamA := rawStream(t, he.srv.URL, he.tokens[w.A.User], "")
	streamB := rawStream(t, he.srv.URL, he.tokens[w.B.User], "")
	streamC := rawStream(t, he.srv.URL, he.tokens[w.C.User], "")

	he.object(t, 1, "First")
	he.submit(t, w.A, "A-secret-1", "shared")
	hits := he.submit(t, w.B, "B-secret-1", "shared")
	if len(hits) != 1 {
		t.Fatalf("%d hits, want 1", len(hits))
	}
	// pa and pb see the hit under their own numbers, both their second.
	h1 := hits[0].Number("pa")
	if n := hits[0].Number("pb"); n != h1 {
		t.Fatalf("the hit is pa's %d and pb's %d, want the same", h1, n)
	}
	l1 := fmt.Sprintf("hit %d", h1)
	evA := expect(t, streamA, "object First", l1)
	evB := expect(t, streamB, "object First", l1)
	// Each side sees its own reference and the other's contact, never the
	// other's reference, just as GET hits shows them.
	if hv := he.sameAsListed(t, w.A, evA[l1], h1); hv.YourRef != "A-secret-1" || hv.OtherOrg != "pb" || hv.Kind != "holder" || hv.Type != "ipv4" || hv.OtherContact == "" {
		t.Errorf("pa's view %+v", hv)
	}
	if hv := he.sameAsListed(t, w.B, evB[l1], h1); hv.YourRef != "B-secret-1" || hv.OtherOrg != "pa" || hv.Kind != "register" {
		t.Errorf("pb's view %+v", hv)
	}
	if strings.Contains(evA[l1].data, "B-secret-1") || strings.Contains(evB[l1].data, "A-secret-1") {
		t.Errorf("a side sees the other's reference: %s / %s", evA[l1].data, evB[l1].data)
	}
	// pc, no side, never hears of it: the records on either side of the
	// hit come with nothing between them.
	he.object(t, 2, "Marker")
	expect(t, streamC, "object First", "object Marker")
	he.object(t, 3, "Marker 2")
	expect(t, streamC, "object Marker 2")
	expect(t, streamA, "object Marker", "object Marker 2")
	if got := strings.Join(he.audit.actions(w.A.User), " "); !strings.Contains(got, "deconfliction.hits:allow") {
		t.Errorf("the hit shown to pa is not audited: %s", got)
	}
	if got := strings.Join(he.audit.actions(w.C.User), " "); strings.Contains(got, "deconfliction.hits") {
		t.Errorf("pc was shown hits: %s", got)
	}

	// Resuming after the hit brings the later records and hits, each once;
	// resuming after the record before it brings the hit again, and
	// nothing twice.
	he.object(t, 4, "Later")
	hits = he.submit(t, w.C, "", "shared") // a check: hits with pa and pb
	if len(hits) != 2 {
		t.Fatalf("check: %d hits, want 2", len(hits))
	}
	var h2 int64 // pc's hit with pa, as pa numbers it
	for _, h := range hits {
		if h.HolderOrg == "pa" {
			h2 = h.Number("pa")
		}
	}
	l2 := fmt.Sprintf("hit %d", h2)
	expect(t, streamA, "object Later", l2)
	// The stream was opened after both committed: its first poll sends the
	// records, then the hits.
	resumed := rawStream(t, he.srv.URL, he.tokens[w.A.User], evA[l1].id)
	var order []string
	for range 4 {
		order = append(order, label(t, next(t, resumed)))
	}
	if want := []string{"object Marker", "object Marker 2", "object Later", l2}; !slices.Equal(order, want) {
		t.Fatalf("resumed after the hit: %q, want %q", order, want)
	}
	if evA[l1].id == evA["object First"].id {
		t.Fatal("a record and a hit had the same event id")
	}
	fromObject := rawStream(t, he.srv.URL, he.tokens[w.A.User], evA["object First"].id)
	last := expect(t, fromObject, "object Marker", "object Marker 2", "object Later", l1, l2)
	he.object(t, 5, "Last")
	expect(t, resumed, "object Last")
	expect(t, fromObject, "object Last")
	// And from the last event, hit h2, nothing comes again.
	again := rawStream(t, he.srv.URL, he.tokens[w.A.User], last[l2].id)
	he.object(t, 6, "After all")
	expect(t, again, "object Last", "object After all")
}

// An event id from a stream without hits (a server without deconfliction,
// or from before hits joined the stream) still resumes the records; hits
// then start at that moment rather than with every hit ever recorded.
func TestEventsResumeOldIDs(t *testing.T) {
	he := newHitsEnv(t, "")
	w := he.w
	plain, err := web.New(web.Options{Content: content.New(w.Store, ingestConfig, he.audit, w.Clock), Store: w.Store, Clock: w.Clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), EventPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	mux := http.NewServeMux()
	mux.Handle("GET "+web.EventsPath, plain.Events(ctx, gate.New(w.Store, w.Clock, gate.Limits{})))
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		cancel()
		srv.Close()
	})
	old := rawStream(t, srv.URL, he.tokens[w.A.User], "")
	he.object(t, 1, "Seen")
	he.submit(t, w.A, "A-1", "shared")
	he.submit(t, w.B, "B-1", "shared")
	seen := expect(t, old, "object Seen")
	he.object(t, 2, "Missed")
	resumed := rawStream(t, he.srv.URL, he.tokens[w.A.User], seen["object Seen"].id)
	hits := he.submit(t, w.C, "", "shared")
	var h2 int64
	for _, h := range hits {
		if h.HolderOrg == "pa" {
			h2 = h.Number("pa")
		}
	}
	expect(t, resumed, "object Missed", fmt.Sprintf("hit %d", h2))
}

func TestEventsCarryHitsToTheCoordinatorOnly(t *testing.T) {
	he := newHitsEnv(t, "pc")
	w := he.w
	streamA := rawStream(t, he.srv.URL, he.tokens[w.A.User], "")
	streamB := rawStream(t, he.srv.URL, he.tokens[w.B.User], "")
	streamC := rawStream(t, he.srv.URL, he.tokens[w.C.User], "")
	he.submit(t, w.A, "A-secret-1", "shared")
	hits := he.submit(t, w.B, "B-secret-1", "shared")
	if len(hits) != 1 {
		t.Fatalf("%d hits, want 1", len(hits))
	}
	// The coordinator sees every hit, under the global ids.
	l := fmt.Sprintf("hit %d", hits[0].ID)
	evC := expect(t, streamC, l)
	hv := he.sameAsListed(t, w.C, evC[l], hits[0].ID)
	if len(hv.Sides) != 2 || hv.Sides[0].Ref != "B-secret-1" || hv.Sides[1].Ref != "A-secret-1" || hv.YourRef != "" {
		t.Errorf("the coordinator's view %+v", hv)
	}
	// The sides hear of it from the coordinator, not from the stream.
	he.object(t, 1, "Marker")
	expect(t, streamA, "object Marker")
	expect(t, streamB, "object Marker")
	he.object(t, 2, "Marker 2")
	expect(t, streamA, "object Marker 2")
	expect(t, streamB, "object Marker 2")
	for _, v := range []mosaic.Viewer{w.A, w.B} {
		if got := strings.Join(he.audit.actions(v.User), " "); strings.Contains(got, "deconfliction.hits") {
			t.Errorf("%s was shown hits: %s", v.User, got)
		}
	}
}

// A partner's hit ids count its own hits only: a burst of other
// organisations' hits between two of its own leaves no gap, on the stream
// and in GET hits; and a stream resumed after its hit n brings n+1, …
// and nothing else.
func TestEventsHitIDsCountOwnHits(t *testing.T) {
	he := newHitsEnv(t, "")
	w := he.w
	streamA := rawStream(t, he.srv.URL, he.tokens[w.A.User], "")
	// burst has pb and pc make n hits with each other.
	bursts := 0
	burst := func(n int) {
		for range n {
			bursts++
			name := fmt.Sprintf("burst-%d", bursts)
			he.submit(t, w.B, "B-burst", name)
			if hs := he.submit(t, w.C, "", name); len(hs) != 1 {
				t.Fatalf("burst: %d hits", len(hs))
			}
		}
	}
	he.submit(t, w.A, "A-1", "one")
	he.submit(t, w.B, "", "one") // pa's 1, with pb
	burst(5)
	he.submit(t, w.A, "A-2", "two")
	he.submit(t, w.C, "", "two") // pa's 2, with pc
	burst(3)
	he.submit(t, w.B, "B-3", "three")
	// Globally it is the eleventh: eight of the ten before are pb and pc's.
	if hs := he.submit(t, w.A, "", "three"); len(hs) != 1 || hs[0].ID != 11 {
		t.Fatalf("pa's third hit: %+v, want global id 11", hs)
	}
	evs := expect(t, streamA, "hit 1", "hit 2", "hit 3")
	if got := he.listed(t, w.A); len(got) != 3 || got[0].ID != 3 || got[1].ID != 2 || got[2].ID != 1 {
		t.Errorf("GET hits for pa: %+v, want ids 3, 2, 1", got)
	}
	for n := range int64(3) {
		he.sameAsListed(t, w.A, evs[fmt.Sprintf("hit %d", n+1)], n+1)
	}
	// pb sees its own count: its hit with pa, the eight of the bursts,
	// then its second with pa.
	if got := he.listed(t, w.B); len(got) != 10 || got[0].ID != 10 || got[9].ID != 1 {
		t.Errorf("GET hits for pb: %d hits, newest %+v", len(got), got[0])
	}

	// Resumed after hit 1: hits 2 and 3, then what comes later, once.
	resumed := rawStream(t, he.srv.URL, he.tokens[w.A.User], evs["hit 1"].id)
	expect(t, resumed, "hit 2", "hit 3")
	burst(4)
	he.submit(t, w.C, "", "one") // pa's 4, with pc
	expect(t, resumed, "hit 4")
	expect(t, streamA, "hit 4")
	// And nothing else: the next event is the record that follows.
	he.object(t, 1, "Marker")
	expect(t, resumed, "object Marker")
	expect(t, streamA, "object Marker")
	// A stream resumed after the last hit brings none of the hits again.
	last := rawStream(t, he.srv.URL, he.tokens[w.A.User], evs["hit 3"].id)
	expect(t, last, "hit 4", "object Marker")
}

// An event id from before hits were numbered per organisation holds a
// global hit id, larger than the viewer's own numbers; read as one of
// them it would skip the viewer's later hits. It resumes the records, and
// hits start when the stream does.
func TestEventsResumeGlobalHitIDs(t *testing.T) {
	he := newHitsEnv(t, "")
	w := he.w
	he.submit(t, w.A, "A-1", "one")
	he.submit(t, w.B, "", "one") // pa's 1
	for i := range 5 {
		name := fmt.Sprintf("burst-%d", i)
		he.submit(t, w.B, "B-burst", name)
		he.submit(t, w.C, "", name)
	}
	he.object(t, 1, "Seen")
	stream := rawStream(t, he.srv.URL, he.tokens[w.A.User], "")
	he.object(t, 2, "Missed")
	ev := expect(t, stream, "object Missed")["object Missed"]
	// The id as the server sealed it before: the record position the
	// stream had and the global id of the newest hit.
	sealer := seal.New(w.Store, "web-cursor")
	pos, ok, err := sealer.Open(bg, "mosaic web event id v3", ev.id, 2)
	if err != nil || !ok {
		t.Fatalf("open the event id: %v, %v", ok, err)
	}
	all, err := w.Store.Hits(bg, "", 1)
	if err != nil || len(all) != 1 || all[0].ID != 6 {
		t.Fatalf("newest hit: %+v, %v", all, err)
	}
	old, err := sealer.Seal(bg, "mosaic web event id v2", pos[0]-1, all[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	resumed := rawStream(t, he.srv.URL, he.tokens[w.A.User], old)
	he.submit(t, w.C, "", "one") // pa's 2
	expect(t, resumed, "object Missed", "hit 2")
}
