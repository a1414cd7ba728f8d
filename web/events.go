package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/problem"
)

// EventsPath is where the live stream is served.
const EventsPath = "/api/v1/events"

// Event is the data of one server-sent event: a record the viewer may see
// that was stored after the previous event, as the REST API shows records.
type Event struct {
	Object   json.RawMessage `json:"object"`
	Envelope mosaic.Envelope `json:"envelope"`
}

// HitSource gives the live stream the deconfliction hits a viewer may see
// (package deconflict's Handler, which keeps the rules of who sees which
// hit and how, and audits what it shows). A hit's position is its ID as the
// viewer sees it: a partner's are its organisation's own numbers, counting
// only its own hits, so positions differ from viewer to viewer; each
// viewer's grow in commit order.
type HitSource interface {
	// HitsAfter returns up to limit hits v may see with positions above
	// after, oldest first, as v is to see them, and the position to ask
	// after next.
	HitsAfter(ctx context.Context, v mosaic.Viewer, after int64, limit int) ([]mosaic.HitView, int64, error)
	// LastHit returns the position of the newest hit in v's numbering:
	// where a stream of v's that starts now begins.
	LastHit(ctx context.Context, v mosaic.Viewer) (int64, error)
}

// MaxStream is how long one stream lasts before the server ends it; the
// browser's EventSource reconnects with Last-Event-ID and misses nothing.
// Short streams keep a shutdown from waiting long for them.
const MaxStream = 5 * time.Minute

// eventBatch is how many records one poll reads at most.
const eventBatch = 100

// heartbeat is how often an idle stream sends a comment, so that proxies
// do not take it for dead.
const heartbeat = 15 * time.Second

// Events serves GET /api/v1/events: server-sent events, one per record the
// caller may see ("object", an Event), and with a HitSource one per
// deconfliction hit the caller may see ("hit", a mosaic.HitView as GET
// /api/v1/deconfliction/hits shows it), and, with releases, one per
// receipt or report of sightings on a release whose feedback the caller
// reads ("feedback", a mosaic.FeedbackEvent: the release, the recipient
// organisation, receipt or sighting, and the time; nothing of what was
// reported), each kind in commit order, resumable with Last-Event-ID. It
// takes an API token (Authorization: Bearer, through g, like the REST API)
// or the web session's cookie (the UI's live updates). Each event's id is
// the stream's position after it, the record's storage position and, with
// hits, the hit's as the viewer numbers it (HitSource), with releases the
// last receipt's and sighting's, sealed (see eventID), since record
// positions count every organisation's records. Streams end when ctx does.
//
// The stream polls the store, so it sees what every replica stores: the
// database is the fan-out.
func (s *Server) Events(ctx context.Context, g *gate.Gate) http.Handler {
	// Errors are answered as the REST API answers them, with RFC 9457
	// problem details.
	return middleware.Wrap(middleware.Options{Log: s.log, WriteError: problem.WriteError}, func(w http.ResponseWriter, r *http.Request) error {
		q := &request{id: middleware.RequestID(r.Context()), lang: pickLanguage(r), path: r.URL.RequestURI()}
		// who resolves the caller's credentials to a viewer, now: at the
		// start and again on every poll, so that a sign-out, an expired
		// session, a revoked token, a disabled user or a new role ends the
		// stream within a poll rather than at its end.
		var who func() (mosaic.Viewer, error)
		if r.Header.Get("Authorization") != "" {
			who = func() (mosaic.Viewer, error) { return g.Authenticate(r, gate.Bearer) }
		} else {
			who = func() (mosaic.Viewer, error) {
				c := &request{}
				if err := s.loadSession(r, c); err != nil {
					return mosaic.Viewer{}, err
				}
				if c.viewer.User == "" {
					return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeUnauth, "send an API token as Authorization: Bearer TOKEN, or sign in")
				}
				return c.viewer, nil
			}
		}
		var err error
		if q.viewer, err = who(); err != nil {
			return err
		}
		middleware.SetUser(r.Context(), q.viewer.User)
		// The cookie's stream counts against the same per-user request
		// rate as a token's.
		if err := g.Admit(q.viewer); err != nil {
			return err
		}
		return s.stream(ctx, w, r, q, who)
	})
}

// Bounds on the live streams open at once: each holds a connection and a
// goroutine that asks the database every poll.
const (
	MaxStreamsPerUser = 3
	MaxStreams        = 200
)

// openStream counts a stream of v, or refuses it beyond the bounds; the
// returned func closes it.
func (s *Server) openStream(v mosaic.Viewer) (func(), error) {
	s.streamMu.Lock()
	defer s.streamMu.Unlock()
	if s.streams >= s.maxStreams {
		return nil, mosaic.RateLimited(10*time.Second, "too many live streams are open")
	}
	if s.streamsOf[v.UserID] >= s.maxStreamsPerUser {
		return nil, mosaic.RateLimited(10*time.Second, "you have %d live streams open already; close one", s.maxStreamsPerUser)
	}
	s.streams++
	s.streamsOf[v.UserID]++
	return func() {
		s.streamMu.Lock()
		defer s.streamMu.Unlock()
		s.streams--
		if s.streamsOf[v.UserID]--; s.streamsOf[v.UserID] <= 0 {
			delete(s.streamsOf, v.UserID)
		}
	}, nil
}

// writeTimeout bounds one write of a stream: a client that stops reading
// must not hold the goroutine for the rest of the stream.
const writeTimeout = 10 * time.Second

// streamAccess names the stream's reads for the audit log: the UI's live
// updates and SOC tooling with an API token alike.
var streamAccess = content.Access{Action: "events.read", Detail: "stream"}

// eventIDPurpose binds event ids that carry a hit position, so that a
// listing cursor (sealed with the same key) is never read as one, nor one
// of these as a cursor. v3 ids carry the viewer's own hit number.
const eventIDPurpose = "mosaic web event id v3"

// feedbackEventIDPurpose binds event ids of a server whose stream carries
// recipients' feedback: the record position, the hit position and the
// last receipt's and sighting's, each -1 for a kind the server does not
// stream. An id of the other forms has no feedback positions, and
// feedback then starts when the stream does.
const feedbackEventIDPurpose = "mosaic web event id v4"

// oldEventIDPurpose bound ids whose hit position was a global hit id,
// before each organisation numbered its hits itself. Read as a number of
// the viewer's own, a global id is too large (it counts others' hits too)
// and would skip the viewer's later hits; so such an id resumes the
// records only, and hits start when the stream does, as for an id from
// before hits joined the stream.
const oldEventIDPurpose = "mosaic web event id v2"

// position is where a stream stands: the last record, the last hit and
// the last receipt and sighting it sent. hasHit and hasFeedback are false
// when the position came from an id without those positions.
type position struct {
	seq, hit    int64
	hasHit      bool
	feedback    mosaic.FeedbackPosition
	hasFeedback bool
}

// eventID seals p. Without a hit source it is a listing cursor of p.seq,
// the only form ids had before hits joined the stream, so that a server
// without deconfliction keeps handing out what it always did, and a server
// that gains deconfliction later starts hits at that moment rather than
// at the first hit ever recorded.
func (s *Server) eventID(ctx context.Context, p position) (string, error) {
	switch {
	case p.hasFeedback:
		hit := int64(-1)
		if p.hasHit {
			hit = p.hit
		}
		return s.eventIDs.Seal(ctx, feedbackEventIDPurpose, p.seq, hit, p.feedback.Receipt, p.feedback.Sighting)
	case s.hits == nil:
		return s.cursors.Seal(ctx, p.seq)
	}
	return s.eventIDs.Seal(ctx, eventIDPurpose, p.seq, p.hit)
}

// parseEventID opens an id of either form; ok is false for "".
func (s *Server) parseEventID(ctx context.Context, id string) (p position, ok bool, err error) {
	if id == "" {
		return p, false, nil
	}
	four, ok, err := s.eventIDs.Open(ctx, feedbackEventIDPurpose, id, 4)
	if err != nil {
		return p, false, err
	}
	if ok && four[0] >= 0 {
		p = position{seq: four[0], hit: four[1], hasHit: four[1] >= 0}
		if four[2] >= 0 && four[3] >= 0 {
			p.feedback, p.hasFeedback = mosaic.FeedbackPosition{Receipt: four[2], Sighting: four[3]}, true
		}
		return p, true, nil
	}
	both, ok, err := s.eventIDs.Open(ctx, eventIDPurpose, id, 2)
	if err != nil {
		return p, false, err
	}
	if ok && both[0] >= 0 && both[1] >= 0 {
		return position{seq: both[0], hit: both[1], hasHit: true}, true, nil
	}
	old, ok, err := s.eventIDs.Open(ctx, oldEventIDPurpose, id, 2)
	if err != nil {
		return p, false, err
	}
	if ok && old[0] >= 0 {
		return position{seq: old[0]}, true, nil
	}
	seq, ok, err := s.cursors.Open(ctx, id)
	if err != nil {
		return position{}, false, err
	}
	if !ok {
		return position{}, false, uiErr(mosaic.CodeInvalid, "error.cursor")
	}
	return position{seq: seq}, true, nil
}

func (s *Server) stream(ctx context.Context, w http.ResponseWriter, r *http.Request, q *request, who func() (mosaic.Viewer, error)) error {
	if !policy.SeesContent(q.viewer) {
		return s.content.Refuse(q.viewer, streamAccess, mosaic.Errorf(mosaic.CodeForbidden, "role %s of a %s organisation sees no cell content", q.viewer.Role, q.viewer.OrgKind))
	}
	at, resumed, err := s.parseEventID(r.Context(), r.Header.Get("Last-Event-ID"))
	if err != nil {
		if c := problem.Code(err); c == mosaic.CodeInternal || c == mosaic.CodeUnavailable {
			return err
		}
		return mosaic.Errorf(mosaic.CodeInvalid, "Last-Event-ID is not an event id of this server")
	}
	if !resumed {
		// Without an id the stream starts now: after the newest record the
		// viewer can see.
		if at.seq, err = s.content.Newest(r.Context(), q.viewer); err != nil {
			return err
		}
	}
	if s.hits != nil && !at.hasHit {
		// No id, or one from before hits joined the stream or were
		// numbered per organisation: hits start now, not with every hit
		// ever recorded.
		if at.hit, err = s.hits.LastHit(r.Context(), q.viewer); err != nil {
			return err
		}
		at.hasHit = true
	}
	if !at.hasFeedback {
		// As for hits: feedback starts now, not with every receipt ever
		// reported.
		if at.feedback, at.hasFeedback, err = s.content.LastFeedback(r.Context()); err != nil {
			return err
		}
	}
	closeStream, err := s.openStream(q.viewer)
	if err != nil {
		return err
	}
	defer closeStream()
	rc := http.NewResponseController(w)
	// write sends one piece of the stream within writeTimeout; the
	// server's own write timeout would end the whole stream early.
	write := func(format string, args ...any) error {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	// send writes one event whose id is the stream's position after it.
	send := func(event string, data any) error {
		id, err := s.eventID(r.Context(), at)
		if err != nil {
			return err
		}
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		return write("id: %s\nevent: %s\ndata: %s\n\n", id, event, b)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	w.WriteHeader(http.StatusOK)
	if err := write("retry: 2000\n\n"); err != nil {
		return nil
	}
	end := time.NewTimer(MaxStream)
	defer end.Stop()
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	quiet := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Context().Done():
			return nil
		case <-end.C:
			return nil
		case <-tick.C:
		}
		v, err := who()
		if err != nil || !policy.SeesContent(v) {
			return nil // the client reconnects and is told why
		}
		q.viewer = v
		// Nothing is sent that the audit log cannot account for: Follow
		// fails when it cannot audit what it read.
		objs, err := s.content.Follow(r.Context(), q.viewer, at.seq, eventBatch, streamAccess)
		if err != nil {
			s.log.Error("event stream poll", "request_id", q.id, "err", err)
			return nil // the client reconnects and resumes
		}
		for _, o := range objs {
			at.seq = o.Seq
			if err := send("object", Event{Object: o.Object, Envelope: o.Envelope}); err != nil {
				return nil
			}
		}
		var hits []mosaic.HitView
		if s.hits != nil {
			// Asked only once the records are out: the source audits the
			// hits it returns as shown, as GET /api/v1/deconfliction/hits
			// does, and fails when the audit log cannot take that.
			var next int64
			if hits, next, err = s.hits.HitsAfter(r.Context(), q.viewer, at.hit, eventBatch); err != nil {
				s.log.Error("event stream poll of hits", "request_id", q.id, "err", err)
				return nil
			}
			for _, hv := range hits {
				at.hit = hv.ID
				if err := send("hit", hv); err != nil {
					return nil
				}
			}
			// The source may have passed over hits this viewer may not
			// see; the next event's id need not make it look at them again.
			at.hit = max(at.hit, next)
		}
		var feedback []mosaic.FeedbackEvent
		if at.hasFeedback {
			// That a recipient reported, on a release whose feedback the
			// viewer reads: pages with sections marked data-live-refresh
			// fetch themselves again. Receipts and sightings are numbered
			// as they are inserted, and on PostgreSQL two reports on
			// different releases may commit out of that order; one passed
			// over is shown at the next refresh of the page all the same.
			var next mosaic.FeedbackPosition
			if feedback, next, err = s.content.FeedbackAfter(r.Context(), q.viewer, at.feedback, eventBatch, streamAccess); err != nil {
				s.log.Error("event stream poll of feedback", "request_id", q.id, "err", err)
				return nil
			}
			// The events of a batch carry no positions of their own: a
			// stream cut within one resumes before it, and sends some
			// again, which only refreshes a page once more.
			for i, e := range feedback {
				if i == len(feedback)-1 {
					at.feedback = next
				}
				if err := send("feedback", e); err != nil {
					return nil
				}
			}
			at.feedback = next
		}
		if len(objs) == 0 && len(hits) == 0 && len(feedback) == 0 {
			if time.Since(quiet) >= heartbeat {
				if err := write(": keep-alive\n\n"); err != nil {
					return nil
				}
				quiet = time.Now()
			}
			continue
		}
		quiet = time.Now()
	}
}
