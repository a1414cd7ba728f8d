package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/audit"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/ingest"
	"mosaic/stix"
	"mosaic/storetest"
)

// newGatedHarness is newHarness on sqlite with a gate of limits l.
func newGatedHarness(t *testing.T, l gate.Limits) *harness {
	h := newHarness(t, stores["sqlite"])
	seed(t, h)
	al := audit.New(h.store, 50*time.Millisecond, quietLog())
	t.Cleanup(func() { al.Close(context.Background()) })
	c := content.New(h.store, ingest.Config{
		DefaultTLP: mosaic.TLPAmber,
		LegalBases: map[string]time.Duration{"wiv2017": 365 * 24 * time.Hour, "wpg": 365 * 24 * time.Hour, "wbni": 365 * 24 * time.Hour, "wjsg": 730 * 24 * time.Hour},
		Limits:     stix.DefaultLimits(),
	}, al, h.clock)
	g := gate.New(h.store.(gate.Authenticator), h.clock, l)
	a := api.New(c, h.store, api.Limits{MaxBodyBytes: 16 << 20, MaxPageSize: 1000, TokenLifetime: 24 * time.Hour, Gate: g}, h.clock, quietLog())
	h.srv = newServer(t, a)
	return h
}

// rawRequest opens a connection to h's server and sends a request of
// user's, with head's lines as its headers and body as the start of its
// body; the connection stays open for the caller to read or leave.
func rawRequest(t *testing.T, h *harness, d *net.Dialer, user, head string, body []byte) net.Conn {
	t.Helper()
	c, err := d.Dial("tcp", strings.TrimPrefix(h.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req := head + "Host: mosaic\r\nAuthorization: Bearer " + h.token(user) + "\r\n\r\n"
	if _, err := c.Write(append([]byte(req), body...)); err != nil {
		t.Fatal(err)
	}
	return c
}

// stalledUpload starts an upload of user's that announces 1 MiB and sends
// body of it.
func stalledUpload(t *testing.T, h *harness, user string, body []byte) net.Conn {
	return rawRequest(t, h, &net.Dialer{}, user, "POST /api/v1/bundles HTTP/1.1\r\nContent-Type: application/stix+json;version=2.1\r\nContent-Length: 1048576\r\n", body)
}

func readStatus(c net.Conn) (int, string, error) {
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var p api.Problem
	_ = json.NewDecoder(resp.Body).Decode(&p)
	return resp.StatusCode, p.Detail, nil
}

// served runs do, which must not wait on anyone else's stalled client;
// the bound only keeps a broken build from hanging the test.
func served(t *testing.T, what string, do func() response) response {
	t.Helper()
	got := make(chan response, 1)
	go func() { got <- do() }()
	select {
	case r := <-got:
		return r
	case <-time.After(time.Minute):
		t.Fatalf("%s waits behind another user's stalled connections", what)
		return response{}
	}
}

// One user's uploads that send their headers and a byte and then stall
// hold turns of that user's only: the rest of that user's uploads are
// refused, and another user's upload is served.
func TestStalledUploadsDoNotHoldOthersUp(t *testing.T) {
	h := newGatedHarness(t, gate.Limits{ReadingTurnsPerUser: 2, UserTurnWait: 100 * time.Millisecond, TransferWindow: 10 * time.Minute})
	h.token("pb-analyst")
	statuses := make(chan int, gate.MaxReading)
	for range gate.MaxReading {
		c := stalledUpload(t, h, "pa-analyst", []byte("{"))
		go func() {
			if code, _, err := readStatus(c); err == nil {
				statuses <- code
			}
		}()
	}
	for range gate.MaxReading - 2 {
		select {
		case code := <-statuses:
			if code != http.StatusTooManyRequests {
				t.Fatalf("an upload beyond the user's two: %d, want 429", code)
			}
		case <-time.After(time.Minute):
			t.Fatal("the uploads beyond the user's two were not refused")
		}
	}
	r := served(t, "an upload", func() response { return h.post("pb-analyst", nil, ind(1, "")) })
	if r.status != http.StatusCreated {
		t.Fatalf("another user's upload: %d %s", r.status, r.body)
	}
	select {
	case code := <-statuses:
		t.Errorf("a stalled upload was answered %d while it could still keep the pace", code)
	default:
	}
}

// An upload that arrives slower than the pace is refused with 429, and its
// turns come back.
func TestSlowUploadIsCutOff(t *testing.T) {
	h := newGatedHarness(t, gate.Limits{ReadingTurnsPerUser: 1, TransferWindow: 200 * time.Millisecond})
	// More than the first chunk, so that it takes a shared turn too.
	c := stalledUpload(t, h, "pa-analyst", []byte(`{"type":"bundle","x":"`+strings.Repeat("x", gate.FirstChunk+1000)))
	code, detail, err := readStatus(c)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusTooManyRequests || !strings.Contains(detail, "slower than 64 KiB/s") {
		t.Fatalf("a stalled upload: %d %q, want 429 naming the pace", code, detail)
	}
	if r := h.post("pa-analyst", nil, ind(1, "")); r.status != http.StatusCreated {
		t.Fatalf("the same user's next upload: %d %s", r.status, r.body)
	}
}

// Clients that ask for large pages and never read them hold no shared
// listing turn: another user's listing is served. They hold their own
// user's turns until the pages are written, so that the user's next
// listing waits and is refused, and pages in memory stay bounded.
func TestUnreadListingsDoNotHoldOthersUp(t *testing.T) {
	h := newGatedHarness(t, gate.Limits{ListingTurnsPerUser: 2, UserTurnWait: 200 * time.Millisecond})
	desc := `,"description":"` + strings.Repeat("d", 13<<10) + `"`
	for b := range 3 {
		objs := make([]string, 300+b)
		for i := range objs {
			objs[i] = ind(b*1000+i+1, desc)
		}
		if r := h.post("pa-analyst", nil, objs...); r.status != http.StatusCreated {
			t.Fatalf("upload: %d %.300s", r.status, r.body)
		}
	}
	h.token("pb-analyst")
	const asked = gate.MaxListing
	begun, refused := stallListings(t, h, "pa-analyst", asked)
	if begun != 2 || refused != asked-2 {
		t.Fatalf("%d listings of one user's: %d answered, %d refused; want 2 answered (the user's turns), the rest refused", asked, begun, refused)
	}
	r := served(t, "a listing", func() response { return h.do("pb-analyst", "GET", "/api/v1/objects", nil, "", nil) })
	if r.status != http.StatusOK {
		t.Fatalf("another user's listing: %d %.300s", r.status, r.body)
	}
}

// stallListings asks for n listings of user's of a thousand objects and
// reads no more of each answer than its status line, with a small receive
// buffer, so that the server's writes stall early; it returns how many
// were answered (200) and how many refused (429).
func stallListings(t *testing.T, h *harness, user string, n int) (begun, refused int) {
	t.Helper()
	small := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		_ = rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	q := url.Values{"limit": {"1000"}}.Encode()
	answers := make(chan string, n)
	for range n {
		c := rawRequest(t, h, small, user, "GET /api/v1/objects?"+q+" HTTP/1.1\r\n", nil)
		go func() {
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				line = err.Error()
			}
			answers <- line
		}()
	}
	for range n {
		select {
		case line := <-answers:
			switch {
			case strings.HasPrefix(line, "HTTP/1.1 200"):
				begun++
			case strings.HasPrefix(line, "HTTP/1.1 429"):
				refused++
			default:
				t.Fatalf("answer %q", line)
			}
		case <-time.After(time.Minute):
			t.Fatal("a listing was neither answered nor refused")
		}
	}
	return begun, refused
}

// Every answer that may be large takes a listing turn, not the listings
// alone: while a user's two unread listings hold its turns, its request
// for an object's versions, correlations, occurrences or the audit waits
// and is refused, and another user's is served.
func TestLargeAnswersTakeListingTurns(t *testing.T) {
	h := newGatedHarness(t, gate.Limits{ListingTurnsPerUser: 2, UserTurnWait: 200 * time.Millisecond})
	desc := `,"description":"` + strings.Repeat("d", 13<<10) + `"`
	objs := make([]string, 400)
	for i := range objs {
		objs[i] = ind(i+1, desc)
	}
	if r := h.post("pa-analyst", url.Values{"audience": {"cell"}}, objs...); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %.300s", r.status, r.body)
	}
	h.token("pb-analyst")
	if begun, _ := stallListings(t, h, "pa-analyst", 2); begun != 2 {
		t.Fatalf("%d of 2 listings answered", begun)
	}
	id := "indicator--" + storetest.UUID(1)
	for _, path := range []string{"/api/v1/objects/" + id + "?versions=all", "/api/v1/objects/" + id + "/correlations", "/api/v1/observables?value=10.0.0.1"} {
		if r := h.do("pa-analyst", "GET", path, nil, "", nil); r.status != http.StatusTooManyRequests {
			t.Errorf("%s while the user's listings go unread: %d, want 429", path, r.status)
		}
		if r := served(t, path, func() response { return h.do("pb-analyst", "GET", path, nil, "", nil) }); r.status != http.StatusOK {
			t.Errorf("%s of another user's: %d %.200s", path, r.status, r.body)
		}
	}
}
