package feed

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/stix"
)

// Options tune a Poller. Zero fields take the defaults named.
type Options struct {
	// PageSize is the limit asked for per page (default 1000). The server
	// may give fewer.
	PageSize int
	// MaxPages bounds the pages of one poll (default 10,000); a poll that
	// reaches it stops, and the feed is due again at once if the poll
	// moved its position, or fails if it did not.
	MaxPages int
	// Backoff sets the waits after failed polls (default DefaultBackoff
	// with random jitter).
	Backoff Backoff
	// Recheck is the longest Run sleeps before it reads the feeds again,
	// to see feeds added or removed by another process (default a
	// minute).
	Recheck time.Duration
}

func (o Options) withDefaults() Options {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10_000
	}
	if o.Backoff.Min <= 0 {
		o.Backoff = DefaultBackoff
		o.Backoff.Jitter = rand.Float64
	}
	if o.Backoff.Max < o.Backoff.Min {
		o.Backoff.Max = o.Backoff.Min
	}
	if o.Recheck <= 0 {
		o.Recheck = time.Minute
	}
	return o
}

// Store is what feeds need of the store: the feeds themselves, the local
// users they import as, their compartments, and the audit log.
type Store interface {
	mosaic.Feeds
	User(ctx context.Context, name string) (mosaic.User, error)
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
	Memberships(ctx context.Context, v mosaic.Viewer) ([]string, error)
	AppendAudit(ctx context.Context, entries []mosaic.AuditEntry) error
}

// Contributor stores what a feed imports, as every way in stores content:
// the content service (package content).
type Contributor interface {
	ContributeObjects(ctx context.Context, v mosaic.Viewer, objs []stix.Object, d mosaic.EnvelopeDefaults, a content.Access) (mosaic.IngestResult, error)
	Limits() stix.Limits
}

// Poller polls feeds and imports what they bring.
type Poller struct {
	store  Store
	in     Contributor
	client *Client
	clock  mosaic.Clock
	log    *slog.Logger
	opts   Options

	mu      sync.Mutex
	polling map[int64]bool // guarded by mu; feeds being polled by this process
}

// NewPoller returns a Poller that stores through in, on store.
func NewPoller(store Store, in Contributor, client *Client, clock mosaic.Clock, log *slog.Logger, opts Options) *Poller {
	return &Poller{store: store, in: in, client: client, clock: clock, log: log, opts: opts.withDefaults(), polling: map[int64]bool{}}
}

// Progress is what one page of a poll did.
type Progress struct {
	Page       int // from 1
	Objects    int // in the page
	Result     mosaic.IngestResult
	Rejected   int    // objects refused
	AddedAfter string // where the feed now stands
}

// maxEmptyPages is how many pages in a row may come without objects while
// the server says there is more. A server may drop from a page what the
// reader may not see, so an empty page or a few are no fault; an endless
// run of them would have the poll ask until MaxPages without ever moving.
const maxEmptyPages = 100

// maxFutureSkew is how far X-TAXII-Date-Added-Last may be ahead of the
// clock here. The position only moves forward, so a date far ahead would
// keep the feed there, importing nothing until the remote's records catch
// up with it.
const maxFutureSkew = time.Hour

// Result is what a poll did.
type Result struct {
	Pages    int
	Objects  int
	Result   mosaic.IngestResult
	Rejected int
	// Complete is set when the poll read the collection to its end.
	Complete bool
}

// Poll polls f once now, whether or not it is due: it reads pages until
// the remote says there is no more, storing each and then the feed's new
// position, and records how the poll went in the feed's state (the next
// poll after Interval, or after a backoff when it failed). progress, when
// not nil, is called after each page. An error is also recorded in the
// state, except when ctx ends first: a poll cut short by shutdown is not
// the remote's failure, and the stored pages stand.
func (p *Poller) Poll(ctx context.Context, f mosaic.Feed, progress func(Progress)) (Result, error) {
	if !p.claim(f.ID) {
		return Result{}, mosaic.Errorf(mosaic.CodeConflict, "feed %s is being polled already", f.Name)
	}
	defer p.release(f.ID)
	log := p.log.With(slog.String("feed", f.Name))
	st := f.State
	st.LastPoll = p.clock.Now()
	res, v, err := p.poll(ctx, f, &st, log, progress)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound && errors.Is(err, errFeedGone) {
		return res, err
	}
	now := p.clock.Now()
	if err != nil {
		st.Failures++
		st.LastError = errorText(err)
		delay := p.opts.Backoff.Delay(st.Failures, err)
		st.NextPoll = now.Add(delay)
		log.Warn("feed poll failed", slog.String("err", st.LastError), slog.Int("failures", st.Failures), slog.Duration("retry_in", delay))
	} else {
		st.Failures, st.LastError = 0, ""
		st.NextPoll = now.Add(f.Interval)
		if res.Complete {
			st.LastSuccess = now
		} else {
			st.NextPoll = now // stopped at MaxPages: carry on at once
		}
		log.Info("feed polled", slog.Int("pages", res.Pages), slog.Int("new", res.Result.New), slog.Int("new_versions", res.Result.NewVersions),
			slog.Int("unchanged", res.Result.Unchanged), slog.Int("rejected", res.Rejected))
	}
	if serr := p.store.SaveFeedState(context.WithoutCancel(ctx), f.ID, st); serr != nil {
		return res, errors.Join(err, serr)
	}
	if v.User != "" {
		// The records' own audit entries say what was stored, as the
		// feed's user; this one says that a feed stored it, and from
		// where.
		a := mosaic.NewAuditEntry(v, now, "feeds.poll")
		a.Detail = fmt.Sprintf("feed %s collection %s%s: %d pages, %d new, %d new versions, %d unchanged, %d refused",
			f.Name, f.URL, f.Collection, res.Pages, res.Result.New, res.Result.NewVersions, res.Result.Unchanged, res.Rejected)
		if err != nil {
			a.Decision = mosaic.Failed
			a.Detail += "; " + st.LastError
		}
		if aerr := p.store.AppendAudit(context.WithoutCancel(ctx), []mosaic.AuditEntry{a}); aerr != nil {
			log.Error("feed poll not audited", slog.String("err", aerr.Error()))
		}
	}
	return res, err
}

var errFeedGone = errors.New("the feed was removed while it was polled")

func (p *Poller) claim(id int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.polling[id] {
		return false
	}
	p.polling[id] = true
	return true
}

func (p *Poller) release(id int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.polling, id)
}

func (p *Poller) poll(ctx context.Context, f mosaic.Feed, st *mosaic.FeedState, log *slog.Logger, progress func(Progress)) (Result, mosaic.Viewer, error) {
	var res Result
	v, err := viewer(ctx, p.store, f.User)
	if err != nil {
		return res, v, err
	}
	secret, err := ReadSecret(f.TokenFile)
	if err != nil {
		return res, v, err
	}
	auth := Auth{User: f.RemoteUser, Secret: secret}
	// Every version: without match[version] a TAXII server gives only each
	// object's latest (§3.4.1), and a version added and superseded between
	// two polls would never arrive.
	req := ObjectsRequest{APIRoot: f.URL, Collection: f.Collection, AddedAfter: st.AddedAfter, Limit: p.opts.PageSize, Version: "all"}
	var refused pageResult // of the whole poll, for the state
	// What this poll has stored (or refused), to tell a page that brings
	// something new from one that goes round in a circle: a server may
	// give the same next on every page (the OASIS reference server does),
	// so a repeated next says nothing.
	seen := pollObjects{}
	progressed := false // the position moved in this poll
	empty := 0          // pages in a row without objects
	for res.Pages < p.opts.MaxPages {
		page, err := p.client.Objects(ctx, auth, req)
		if err != nil {
			return res, v, err
		}
		// Checked before the page is stored: a date the feed cannot go on
		// from would have it read the page again and again.
		var lastKey, pos string
		if page.DateAddedLast != "" {
			if lastKey, err = stix.TimeKey(page.DateAddedLast); err == nil {
				pos, err = position(page)
			}
			if err != nil {
				return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("%s %q is not a timestamp", HeaderDateAddedLast, clean(page.DateAddedLast))}
			}
			limit := p.clock.Now().Add(maxFutureSkew).UTC()
			if limitKey, _ := stix.TimeKey(limit.Format(timeLayout)); lastKey > limitKey {
				return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("%s %s is more than %s ahead of the clock here (%s); the feed would wait there and import nothing: check the remote server's clock",
					HeaderDateAddedLast, page.DateAddedLast, maxFutureSkew, p.clock.Now().UTC().Format(time.RFC3339))}
			}
		}
		fresh, keys := seen.fresh(page.Objects)
		if len(page.Objects) > 0 && len(fresh) == 0 && page.More {
			if req.Next != "" {
				return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("page %d holds only objects this poll had already and says there is more: the server's next goes round in a circle", res.Pages+1)}
			}
			return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("asked again for what was added after %s, the server gives only objects this poll had already and says there is more: "+
				"more objects share one date_added than fit on a page, and without next the feed cannot get past them without losing some", req.AddedAfter)}
		}
		pr, err := importPage(ctx, p.in, v, f, fresh)
		if err != nil {
			return res, v, err
		}
		seen.add(keys)
		res.Pages++
		res.Objects += len(fresh) - pr.Handling
		res.Result.New += pr.New
		res.Result.NewVersions += pr.NewVersions
		res.Result.Unchanged += pr.Unchanged
		res.Rejected += pr.RejectedObjects
		st.Imported += int64(pr.New + pr.NewVersions)
		st.Unchanged += int64(pr.Unchanged)
		if pr.RejectedObjects > 0 {
			st.Rejected += int64(pr.RejectedObjects)
			refused.RejectedObjects += pr.RejectedObjects
			refused.Rejected = append(refused.Rejected, pr.Rejected...)
			st.LastRejection = st.LastPoll.UTC().Format(time.RFC3339) + ": " + refused.summary(900)
			for i, prob := range pr.Rejected {
				if i == 20 {
					log.Warn("more remote objects refused", slog.Int("problems", len(pr.Rejected)-i))
					break
				}
				log.Warn("remote object refused", slog.String("object", prob.Object), slog.String("property", prob.Property), slog.String("reason", clean(prob.Reason)))
			}
		}
		if len(page.Objects) > 0 {
			if page.DateAddedLast == "" {
				// Without the date the feed cannot move on: the next poll
				// reads the collection again (harmless, but slow).
				log.Warn("the server sends no " + HeaderDateAddedLast + "; every poll reads the whole collection")
			} else if cur, _ := stix.TimeKey(st.AddedAfter); st.AddedAfter == "" || timeKeyOf(pos) > cur {
				// Only forward: a date that goes back would read again
				// what is stored.
				st.AddedAfter = pos
				progressed = true
			}
		}
		// The page is stored; now the position, so that a restart goes
		// on from the next page.
		if err := p.store.SaveFeedState(context.WithoutCancel(ctx), f.ID, *st); err != nil {
			if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
				return res, v, &mosaic.Error{Code: mosaic.CodeNotFound, Message: errFeedGone.Error(), Err: errFeedGone}
			}
			return res, v, err
		}
		if progress != nil {
			progress(Progress{Page: res.Pages, Objects: len(fresh) - pr.Handling, Result: pr.IngestResult, Rejected: pr.RejectedObjects, AddedAfter: st.AddedAfter})
		}
		if !page.More {
			res.Complete = true
			return res, v, nil
		}
		if len(page.Objects) > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyPages {
			return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("the server gave %d pages in a row without objects and still says there is more", empty)}
		}
		switch {
		case page.Next != "":
			// TAXII §3.5: the next page is asked for with next and the
			// same query as the first.
			req.Next = page.Next
		case len(page.Objects) > 0 && page.DateAddedLast != "":
			// More without next: go on by date (TAXII §3.5), from where
			// the feed stands, just before the page's last date, so that
			// the rest of an upload the page ended inside comes too.
			req.Next, req.AddedAfter = "", st.AddedAfter
		default:
			return res, v, &ProtocolError{URL: f.URL, Reason: "the server says there is more but gives neither next nor an " + HeaderDateAddedLast + " to go on from"}
		}
		if err := ctx.Err(); err != nil {
			return res, v, err
		}
	}
	if !progressed {
		// Going on at once would read the same pages again, for ever.
		// A batch of records sharing one date_added that is longer than
		// MaxPages pages ends here too: no poll could get past it.
		from := "the start"
		if st.AddedAfter != "" {
			from = st.AddedAfter
		}
		return res, v, &ProtocolError{URL: f.URL, Reason: fmt.Sprintf("%d pages read without the position moving on from %s; the server says there is more without reaching a later %s",
			res.Pages, from, HeaderDateAddedLast)}
	}
	return res, v, nil
}

// position is where a feed stands after page, as the added_after to go
// on from. added_after is strict, and a server may give all the objects
// of one upload one date_added (the OASIS reference server and Mosaic
// do): a page that says there is more may have ended inside such an
// upload, so the feed stands one microsecond (TAXII's precision) before
// the page's last date, and whatever goes on from there reads the rest of
// the upload, and what it has of it again, which changes nothing. What
// was added before that date is complete, since a server lists in the
// order objects were added (§3.3). The last page is complete to its end.
func position(page Page) (string, error) {
	if !page.More {
		return page.DateAddedLast, nil
	}
	s := page.DateAddedLast
	if len(s) >= 19 && s[17:19] == "60" {
		// A leap second, which package time cannot read: the end of the
		// second before it is before all of it.
		return s[:17] + "59.999999Z", nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", err
	}
	return t.Add(-time.Microsecond).UTC().Format(timeLayout), nil
}

// timeKeyOf is the comparison key of a timestamp known to be valid.
func timeKeyOf(s string) string {
	k, _ := stix.TimeKey(s)
	return k
}

// maxSeenObjects bounds what a poll remembers of the objects it stored.
// Past it, the poll forgets and starts afresh: a server going round in a
// circle is then found a little later, and MaxPages bounds the poll
// whatever happens.
const maxSeenObjects = 1 << 18

// pollObjects is what a poll has stored or refused, by the hash of each
// object's text. An object the remote gives again in one poll (a page
// that went on by date from just before the last page's end repeats that
// date's objects) is not stored again: nothing would change.
type pollObjects map[[sha256.Size]byte]struct{}

// fresh returns the objects of objs the poll has not had, and their keys.
func (s pollObjects) fresh(objs []json.RawMessage) ([]json.RawMessage, [][sha256.Size]byte) {
	var out []json.RawMessage
	var keys [][sha256.Size]byte
	for _, o := range objs {
		k := sha256.Sum256(o)
		if _, ok := s[k]; ok {
			continue
		}
		out = append(out, o)
		keys = append(keys, k)
	}
	return out, keys
}

// add remembers keys, once their objects are stored.
func (s pollObjects) add(keys [][sha256.Size]byte) {
	if len(s)+len(keys) > maxSeenObjects {
		clear(s)
	}
	for _, k := range keys {
		s[k] = struct{}{}
	}
}

// timeLayout writes the clock's time as a STIX timestamp, to the
// microsecond as TAXII servers give dates.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// viewer is the local user a feed imports as, as a request would
// authenticate it.
func viewer(ctx context.Context, store Store, name string) (mosaic.Viewer, error) {
	u, err := store.User(ctx, name)
	if err != nil {
		return mosaic.Viewer{}, fmt.Errorf("local user: %w", err)
	}
	if u.Disabled {
		return mosaic.Viewer{}, mosaic.Errorf(mosaic.CodeForbidden, "local user %s is disabled", name)
	}
	o, err := store.Org(ctx, u.Org)
	if err != nil {
		return mosaic.Viewer{}, fmt.Errorf("local user's organisation: %w", err)
	}
	v := mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role, ContentGrant: u.ContentGrant}
	if err := policy.MayContribute(v); err != nil {
		return mosaic.Viewer{}, err
	}
	return v, nil
}

// CheckUser reports whether the local user exists, is enabled and may
// contribute, as a feed's user must.
func CheckUser(ctx context.Context, store Store, name string) error {
	_, err := viewer(ctx, store, name)
	return err
}

// errorText is an error as the feed's state keeps it: the safe message of
// Mosaic's own errors (with their problems), the whole text of the
// client's, which say nothing secret.
func errorText(err error) string {
	var e *mosaic.Error
	if errors.As(err, &e) {
		s := mosaic.ErrorMessage(err)
		for i, p := range e.Problems {
			if i == 5 {
				s += fmt.Sprintf("; … %d more", len(e.Problems)-i)
				break
			}
			s += "; " + describe(p)
		}
		return clean(s)
	}
	return clean(err.Error())
}

// PollDue polls every feed that is due and returns when the next one is.
// Feeds are polled one after the other: a feed is a background job, and
// one at a time keeps the store's single writer free for people.
func (p *Poller) PollDue(ctx context.Context) (time.Time, error) {
	feeds, err := p.store.Feeds(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var next time.Time
	for _, f := range feeds {
		if ctx.Err() != nil {
			return next, ctx.Err()
		}
		if f.State.NextPoll.After(p.clock.Now()) {
			if next.IsZero() || f.State.NextPoll.Before(next) {
				next = f.State.NextPoll
			}
			continue
		}
		_, _ = p.Poll(ctx, f, nil) // logged and recorded in the state
		// Read the state back: the poll moved the feed's next time.
		g, err := p.store.Feed(ctx, f.Name)
		if err != nil {
			continue // removed meanwhile
		}
		if next.IsZero() || g.State.NextPoll.Before(next) {
			next = g.State.NextPoll
		}
	}
	return next, nil
}

// Run polls feeds as they fall due until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	for {
		next, err := p.PollDue(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.log.Error("feeds cannot be read", slog.String("err", err.Error()))
		}
		wait := p.opts.Recheck
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(p.clock.Now()), time.Second))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
