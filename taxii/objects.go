package taxii

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/stix"
)

// Envelope is the envelope resource (TAXII §3.7), the answer of the get
// objects and get an object endpoints. An empty answer is an empty object.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// Manifest is the manifest resource (TAXII §5.3.1). Next is not in the
// resource's table in TAXII 2.1, but the endpoint takes a next parameter
// (§5.3), and this is where a client finds its value.
type Manifest struct {
	More    bool             `json:"more,omitempty"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// ManifestRecord describes one version of an object (TAXII §5.3.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Versions is the versions resource (TAXII §5.8.1), with Next as in
// Manifest.
type Versions struct {
	More     bool     `json:"more,omitempty"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// The resources below leave out more when it is false and they are empty,
// since TAXII wants an empty resource to be an empty object (§3.7, §5.3.1,
// §5.8.1), and otherwise always say it, for clients that look for it.

// MarshalJSON writes the envelope.
func (e Envelope) MarshalJSON() ([]byte, error) {
	if len(e.Objects) == 0 && !e.More {
		return []byte("{}"), nil
	}
	type full struct {
		More    bool              `json:"more"`
		Next    string            `json:"next,omitempty"`
		Objects []json.RawMessage `json:"objects,omitempty"`
	}
	return json.Marshal(full(e))
}

// MarshalJSON writes the manifest.
func (m Manifest) MarshalJSON() ([]byte, error) {
	if len(m.Objects) == 0 && !m.More {
		return []byte("{}"), nil
	}
	type full struct {
		More    bool             `json:"more"`
		Next    string           `json:"next,omitempty"`
		Objects []ManifestRecord `json:"objects,omitempty"`
	}
	return json.Marshal(full(m))
}

// MarshalJSON writes the versions.
func (vs Versions) MarshalJSON() ([]byte, error) {
	if len(vs.Versions) == 0 && !vs.More {
		return []byte("{}"), nil
	}
	type full struct {
		More     bool     `json:"more"`
		Next     string   `json:"next,omitempty"`
		Versions []string `json:"versions,omitempty"`
	}
	return json.Marshal(full(vs))
}

// The headers that carry the date_added of a page's first and last object
// (TAXII §3.2).
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// page is one page of a listing.
type page struct {
	objs []mosaic.StoredObject
	more bool
	next string // the sealed cursor, when more
	// splitsBatch says that the next object the caller may see shares the
	// last one's date_added: the page ends inside a batch.
	splitsBatch bool
}

// list reads one page of collection c for v, oldest added first (TAXII
// §3.3), through the content service, which audits it as a: what v may not
// see is not in the answer, because the store's query does not return it.
// With object set, only that object's versions, and CodeNotFound when v
// finds no version of it in c; with all set, every version whatever q
// says.
func (s *Server) list(ctx context.Context, v mosaic.Viewer, c collection, q query, object string, all bool, a content.Access) (page, error) {
	f := mosaic.ObjectFilter{Types: q.types, IDs: q.ids, Versions: q.versions, Ascending: true, After: q.after, Limit: q.limit}
	if all {
		f.Versions = []string{mosaic.VersionAll}
	}
	if !q.addedAfter.IsZero() {
		// Every record was added after 1970, so an earlier time filters
		// nothing, which is what a bound of zero means to the store.
		f.AddedAfter = max(0, q.addedAfter.UnixMicro())
	}
	c.scope(&f)
	var p content.Page
	var err error
	switch {
	case q.noMatch && object != "":
		// Nothing can match, but a missing object is still told apart
		// from one whose versions the filters leave out.
		var ok bool
		if ok, err = s.content.Exists(ctx, v, object, f, a, mosaic.Allowed); err == nil && !ok {
			err = errNoObject(object)
		}
	case q.noMatch:
		err = s.content.Audit(v, a, nil, mosaic.Allowed)
	case object != "":
		p, err = s.content.ListObject(ctx, v, object, f, a)
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			err = errNoObject(object)
		}
	default:
		p, err = s.content.List(ctx, v, f, a)
	}
	if err != nil {
		return page{}, err
	}
	out := page{objs: p.Objects, more: p.Next != 0}
	if out.more {
		// A page the store cut by size, or one whose records were all
		// dropped, does not know what comes next, so assume the worst:
		// that it ends inside a batch.
		out.splitsBatch = p.NextAdded.IsZero() || len(out.objs) == 0 || p.NextAdded.Equal(out.objs[len(out.objs)-1].Envelope.Added)
		after := p.Next
		if seq := endBeforeBatch(&out); seq != 0 {
			after = seq
		}
		if out.next, err = s.sealCursor(ctx, after, q.binding); err != nil {
			return page{}, err
		}
	}
	return out, nil
}

// endBeforeBatch ends a page that ends inside a batch before that batch,
// when the page holds records added before it, and returns the storage
// position of its new last record (zero when the page stays as it is).
// Its X-TAXII-Date-Added-Last is then the date_added of its last record,
// as TAXII §3.2 says, and a client that polls with it loses nothing: the
// next record starts a later batch. The cost is a page shorter than the
// limit, which TAXII allows (§3.4, §3.5); the records left out were audited as
// read with the page, which errs on the side of saying too much. A page
// that is all one batch is left as it is, since cutting it would leave
// nothing to serve; setDateHeaders dates it before the batch.
func endBeforeBatch(p *page) int64 {
	if !p.more || !p.splitsBatch || len(p.objs) == 0 {
		return 0
	}
	added := p.objs[len(p.objs)-1].Envelope.Added
	i := len(p.objs) - 1
	for i > 0 && p.objs[i-1].Envelope.Added.Equal(added) {
		i--
	}
	if i == 0 {
		return 0
	}
	p.objs, p.splitsBatch = p.objs[:i], false
	return p.objs[i-1].Seq
}

// setDateHeaders sets X-TAXII-Date-Added-First and -Last, which TAXII §3.2
// requires on every successful answer of the listing endpoints: the
// date_added of the page's first and last object. A client polls with
// added_after set to the last one, and added_after is strict. Every record
// of one batch (one upload) has the same date_added, and a later commit a
// later one (stamps of their own would let a reader count the records
// between two of a batch that they may not see). So a page must never
// give as its last date that of a batch it ends inside: a client polling
// with it would lose the rest of the batch. endBeforeBatch ends such a
// page before the batch when the page holds an earlier one; a page that is
// all one batch, with more of it to come, is dated one microsecond before
// the batch, both headers alike: -Last must not be before -First, and a
// client that polls with it gets the whole batch again, the part it has
// included, never less. A client that follows next gets each record once.
//
// A page without objects has no dates of its own. TAXII gives no value
// for the headers then; Mosaic repeats the added_after it was asked with,
// which is where a client polling with it stands and loses nothing from,
// and without added_after sends neither header rather than a date of its
// own making (a date now could pass over records being committed, and any
// other would be invented), as the OASIS reference server does. A client
// without a date to go on keeps the one it had.
func setDateHeaders(w http.ResponseWriter, p page, q query) {
	var first, last time.Time
	switch {
	case len(p.objs) > 0:
		first, last = p.objs[0].Envelope.Added, p.objs[len(p.objs)-1].Envelope.Added
		if p.splitsBatch {
			last = last.Add(-time.Microsecond)
			if first.After(last) {
				first = last
			}
		}
	case !q.addedAfter.IsZero():
		first, last = q.addedAfter, q.addedAfter
	default:
		return
	}
	// Spelt as TAXII spells them: Set would send X-Taxii-Date-Added-First,
	// which is the same header to HTTP but not to every client.
	w.Header()[HeaderDateAddedFirst] = []string{formatTime(first)}
	w.Header()[HeaderDateAddedLast] = []string{formatTime(last)}
}

func detail(c collection, r *http.Request) string {
	if r.URL.RawQuery == "" {
		return c.key
	}
	return c.key + " " + r.URL.RawQuery
}

// readable returns v's collection named in the path, if v may read it.
func (s *Server) readable(r *http.Request, v mosaic.Viewer) (collection, error) {
	c, err := s.collection(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return c, err
	}
	if !c.CanRead {
		return c, mosaic.Errorf(mosaic.CodeForbidden, "you may not read this collection")
	}
	return c, nil
}

// objectParam returns the object id in the path.
func objectParam(r *http.Request) (string, error) {
	id := r.PathValue("object")
	if !stix.IsID(id) {
		return "", mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX identifier (type--UUID)", id)
	}
	return id, nil
}

func errNoObject(id string) error {
	return mosaic.Errorf(mosaic.CodeNotFound, "no object %s in this collection", id)
}

// listing is what the listing endpoints share: the collection, the query,
// the page, the object in the path (for one object's endpoints), and the
// listing's turns.
type listing struct {
	c     collection
	q     query
	p     page
	id    string
	turns *gate.Listing
}

// read takes the steps the listing endpoints share: the collection v may
// read, a listing turn, the object in the path (for one object's
// endpoints), the query, and the page, audited as action.
func (s *Server) read(r *http.Request, v mosaic.Viewer, ep endpoint, action string, oneObject, all bool) (listing, error) {
	var rd listing
	c, err := s.readable(r, v)
	if err != nil {
		return rd, err
	}
	rd.c = c
	if oneObject {
		if rd.id, err = objectParam(r); err != nil {
			return rd, err
		}
	}
	if rd.q, err = s.parseQuery(r, ep, c.ID, rd.id); err != nil {
		return rd, err
	}
	if rd.turns, err = s.gate.Turns().List(r.Context(), v); err != nil {
		return rd, err
	}
	list := s.list
	if c.released != "" {
		list = s.listReleased
	}
	if rd.p, err = list(r.Context(), v, c, rd.q, rd.id, all, content.Access{Action: action, Detail: detail(c, r)}); err != nil {
		rd.turns.Done()
		return rd, err
	}
	return rd, nil
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	rd, err := s.read(r, v, epObjects, "taxii.objects", false, false)
	if err != nil {
		return err
	}
	return s.writeRendered(w, &rd, func() ([]byte, error) { return s.envelope(r.Context(), &rd) })
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	rd, err := s.read(r, v, epObject, "taxii.object", true, false)
	if err != nil {
		return err
	}
	return s.writeRendered(w, &rd, func() ([]byte, error) { return s.envelope(r.Context(), &rd) })
}

// writeRendered renders the page rd holds with render while it holds a
// shared listing turn, gives that turn back, and only then writes the
// page: a client that never reads its answer holds only turns of its own
// user's and a writing turn, and those no longer than the pace allows.
func (s *Server) writeRendered(w http.ResponseWriter, rd *listing, render func() ([]byte, error)) error {
	defer rd.turns.Done()
	b, err := func() ([]byte, error) {
		defer rd.turns.Rendered()
		return render()
	}()
	if err != nil {
		return err
	}
	setDateHeaders(w, rd.p, rd.q)
	middleware.WritePaced(w, http.StatusOK, b, MediaType, s.gate.Turns().Pace())
	return nil
}

// envelope fits the page rd holds to the limit asked for and renders it.
// Released objects are served exactly as released: they carry no handling
// of the cell's, and must not, since it would name where they came from.
func (s *Server) envelope(ctx context.Context, rd *listing) ([]byte, error) {
	if rd.c.released != "" {
		objs := make([]json.RawMessage, len(rd.p.objs))
		for i, o := range rd.p.objs {
			objs[i] = o.Object
		}
		return writeEnvelope(rd.p, objs), nil
	}
	var err error
	if rd.p, err = s.fit(ctx, rd.p, rd.q); err != nil {
		return nil, err
	}
	return renderEnvelope(rd.p)
}

// fit shortens a page whose records and handling objects together would
// be more than the limit asked for: TAXII counts every object of the
// envelope. The page then ends before the first record that does not fit,
// with next pointing at it. A page of one record and its handling object
// is served as it is, above a limit of 1: the record is useless without
// its handling. The records left out were audited as read with the page;
// the audit errs on the side of saying too much.
func (s *Server) fit(ctx context.Context, p page, q query) (page, error) {
	if q.limit <= 0 || len(p.objs) == 0 {
		return p, nil
	}
	starts, _ := stix.HandlingStarts(p.objs)
	n := 0
	for i := range p.objs {
		cost := 1
		if starts[i] {
			cost++
		}
		if n+cost > q.limit && i > 0 {
			last, next := p.objs[i-1], p.objs[i]
			p.objs, p.more = p.objs[:i], true
			p.splitsBatch = next.Envelope.Added.Equal(last.Envelope.Added)
			after := last.Seq
			if seq := endBeforeBatch(&p); seq != 0 {
				after = seq
			}
			var err error
			if p.next, err = s.sealCursor(ctx, after, q.binding); err != nil {
				return page{}, err
			}
			return p, nil
		}
		n += cost
	}
	return p, nil
}

// renderEnvelope renders a page as an envelope. An object its
// originator made carries its handling data in Mosaic's envelope
// extension, as an export does: the originator, audience (as far as the
// viewer may know it), originator control, legal basis and review date
// travel with the object to whatever the client does with it. Anyone
// else's object is served exactly as stored, after a handling object that
// names it and the consecutive objects handled alike (STIX 2.1 §3.6: only
// its creator may change it). The body is written by hand: encoding/json
// would re-validate and copy every object.
func renderEnvelope(p page) ([]byte, error) {
	objs, err := withHandling(p.objs)
	if err != nil {
		return nil, err
	}
	return writeEnvelope(p, objs), nil
}

// writeEnvelope writes the envelope of page p, which serves objs.
func writeEnvelope(p page, objs []json.RawMessage) []byte {
	size := 64 + len(p.next)
	for _, o := range objs {
		size += len(o) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	if len(objs) > 0 || p.more {
		b = append(b, `"more":`...)
		b = strconv.AppendBool(b, p.more)
		if p.next != "" {
			b = append(b, `,"next":`...)
			b = strconv.AppendQuote(b, p.next)
		}
		if len(objs) > 0 {
			b = append(b, `,"objects":[`...)
			for i, o := range objs {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, o...)
			}
			b = append(b, ']')
		}
	}
	b = append(b, '}')
	return b
}

// withHandling returns objs as served: each that carries its envelope
// with it, and each run of the others after their handling object.
func withHandling(objs []mosaic.StoredObject) ([]json.RawMessage, error) {
	starts, carries := stix.HandlingStarts(objs)
	env, err := withEnvelopes(objs, carries)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0, len(objs))
	for i := range objs {
		if starts[i] {
			j := i + 1
			for j < len(objs) && !starts[j] && !carries[j] {
				j++
			}
			out = append(out, stix.HandlingObject(objs[i:j]))
		}
		out = append(out, env[i])
	}
	return out, nil
}

// withEnvelopes adds the envelope extension to each object that carries
// it (carries, from stix.HandlingStarts), on every core for a large page:
// it re-encodes the object. The others are as stored.
func withEnvelopes(objs []mosaic.StoredObject, carries []bool) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(objs))
	const chunk = 64
	var next atomic.Int64
	var failed atomic.Value
	work := func() {
		for {
			lo := int(next.Add(chunk)) - chunk
			if lo >= len(objs) {
				return
			}
			for i := lo; i < min(lo+chunk, len(objs)); i++ {
				if !carries[i] {
					out[i] = objs[i].Object
					continue
				}
				o, err := stix.WithEnvelope(objs[i].Object, objs[i].Envelope)
				if err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
				out[i] = o
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(objs)+chunk-1)/chunk)
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				// A panic here would take the whole server down: no
				// handler recovers on this goroutine.
				defer func() {
					if p := recover(); p != nil {
						failed.CompareAndSwap(nil, fmt.Errorf("panic: %v", p))
					}
				}()
				work()
			})
		}
		wg.Wait()
	}
	if err, _ := failed.Load().(error); err != nil {
		return nil, mosaic.Internal(err, "add envelopes")
	}
	return out, nil
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	rd, err := s.read(r, v, epManifest, "taxii.manifest", false, false)
	if err != nil {
		return err
	}
	return s.writeRendered(w, &rd, func() ([]byte, error) {
		p := rd.p
		out := Manifest{More: p.more, Next: p.next}
		for _, o := range p.objs {
			h := stix.ReadHead(o.Object)
			out.Objects = append(out.Objects, ManifestRecord{ID: h.ID, DateAdded: formatTime(o.Envelope.Added), Version: version(h, o.Envelope.Added), MediaType: STIXMediaType})
		}
		return encode(out)
	})
}

func (s *Server) getVersions(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	rd, err := s.read(r, v, epVersions, "taxii.versions", true, true)
	if err != nil {
		return err
	}
	return s.writeRendered(w, &rd, func() ([]byte, error) {
		p := rd.p
		// Versions in the order they were added, like every listing
		// here, so that the date headers and added_after mean the same
		// as elsewhere.
		out := Versions{More: p.more, Next: p.next}
		for _, o := range p.objs {
			out.Versions = append(out.Versions, version(stix.ReadHead(o.Object), o.Envelope.Added))
		}
		return encode(out)
	})
}

func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, mosaic.Internal(err, "encode answer")
	}
	return b, nil
}

// deleteObject answers a DELETE as TAXII §5.7 prescribes for a client that
// may not delete: Mosaic does not destroy intelligence on a client's
// request. Records are destroyed when their retention ends, by the
// governed retention process, which leaves a tombstone and the audit
// trail; a TAXII DELETE cannot do that. So: 404 where the collection or the
// object is not there for the caller (§5.7's table: can_read and can_write
// both false), and otherwise 403 ("the client has access to the object,
// but not to delete it").
func (s *Server) deleteObject(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	c, err := s.collection(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	id, err := objectParam(r)
	if err != nil {
		return err
	}
	if _, err := s.parseQuery(r, epDelete, c.ID, id); err != nil {
		return err
	}
	const refusal = "Mosaic does not delete objects through TAXII: records are destroyed only when their retention ends, by the governed retention process, which keeps a tombstone and the audit trail"
	a := content.Access{Action: "taxii.delete", Detail: detail(c, r)}
	if c.CanRead != c.CanWrite {
		// §5.7: 403 for a client that may read but not write, or the
		// other way round, whether or not the object is there.
		if err := s.content.Audit(v, a, []string{id}, mosaic.Denied); err != nil {
			return err
		}
		return mosaic.Errorf(mosaic.CodeForbidden, "%s", refusal)
	}
	var scope mosaic.ObjectFilter
	c.scope(&scope)
	ok, err := s.content.Exists(r.Context(), v, id, scope, a, mosaic.Denied)
	if err != nil {
		return err
	}
	if !ok {
		return errNoObject(id)
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "%s", refusal)
}
