package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/storetest"
	"mosaic/web"
)

type event struct {
	id   string
	data web.Event
}

// stream opens the event stream with the given headers (and the browser's
// cookies when b is not nil) and delivers its events until the test ends.
func (e *env) stream(t *testing.T, b *browser, header ...string) (*http.Response, <-chan event) {
	t.Helper()
	ctx, cancel := context.WithCancel(bg)
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+web.EventsPath, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := http.DefaultClient
	if b != nil {
		client = b.c
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan event, 100)
	if resp.StatusCode != 200 {
		resp.Body.Close()
		close(ch)
		return resp, ch
	}
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				ev.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data) != nil {
					t.Errorf("bad event data %s", line)
				}
			case line == "" && ev.id != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	return resp, ch
}

func objectName(ev event) string {
	var o struct{ ID, Name string }
	_ = json.Unmarshal(ev.data.Object, &o)
	return o.Name
}

// until reads the next event and fails unless it names want: a hidden
// object's event, or an old one, would come first.
func until(t *testing.T, ch <-chan event, want string) event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before %q", want)
			}
			if name := objectName(ev); name != want {
				t.Fatalf("event about %q before %q: %s", name, want, ev.data.Object)
			}
			return ev
		case <-timeout:
			t.Fatalf("no event about %q", want)
		}
	}
}

func TestEvents(t *testing.T) {
	e := newEnv(t)
	secret, hash := credential.NewToken()
	if _, err := e.w.Store.CreateToken(bg, e.w.C.User, hash, "soc", e.w.Clock.Now().Add(time.Hour), mosaic.AuditEntry{Action: "setup"}); err != nil {
		t.Fatal(err)
	}
	indicator := func(n int, name string) string {
		return storetest.Indicator(n, "2026-10-01T00:00:00.000Z", name, "[ipv4-addr:value = '198.51.100.7']")
	}
	own := mosaic.Envelope{}
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}}
	// What was there before the stream opened does not come.
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(1, "Old beacon"), cellEnv()))

	resp, token := e.stream(t, nil, "Authorization", "Bearer "+secret)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, cookie := e.stream(t, e.signedIn(t, e.w.C))
	if resp.StatusCode != 200 {
		t.Fatalf("stream with the session: %d", resp.StatusCode)
	}
	time.Sleep(100 * time.Millisecond) // both streams have started
	e.w.Ingest(t, e.w.A,
		storetest.Record(t, indicator(2, "Hidden own beacon"), own),
		storetest.Record(t, indicator(3, "Hidden ops beacon"), ops))
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(4, "Live beacon"), cellEnv()))
	first := until(t, token, "Live beacon")
	until(t, cookie, "Live beacon")
	if first.data.Envelope.Originator != "pa" || !first.data.Envelope.Audience.Cell {
		t.Errorf("event envelope %+v", first.data.Envelope)
	}

	// Resuming after the first event brings what came later, and only what
	// the viewer may see.
	e.w.Ingest(t, e.w.A, storetest.Record(t, indicator(5, "Hidden again"), own), storetest.Record(t, indicator(6, "Second live beacon"), cellEnv()))
	_, resumed := e.stream(t, nil, "Authorization", "Bearer "+secret, "Last-Event-ID", first.id)
	if ev := until(t, resumed, "Second live beacon"); ev.id == first.id {
		t.Error("resumed stream repeated the last event")
	}

	for _, tc := range []struct {
		name   string
		b      *browser
		header []string
		status int
	}{
		{"no credentials", nil, nil, http.StatusUnauthorized},
		{"bad token", nil, []string{"Authorization", "Bearer nonsense"}, http.StatusUnauthorized},
		{"stakeholder", e.signedIn(t, e.w.Stakeholder), nil, http.StatusForbidden},
		{"bad Last-Event-ID", nil, []string{"Authorization", "Bearer " + secret, "Last-Event-ID", "forged"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if resp, _ := e.stream(t, tc.b, tc.header...); resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
	if got := strings.Join(e.audit.actions(e.w.C.User), " "); !strings.Contains(got, "events.read:allow") {
		t.Errorf("events not audited: %s", got)
	}
}
