package taxii

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/middleware"
	"mosaic/stix"
)

// Status is the status resource (TAXII §4.3.1). Mosaic stores an upload
// all or nothing, before it answers, so a status is always complete and
// nothing is pending.
type Status struct {
	ID               string                `json:"id"`
	Status           string                `json:"status"`
	RequestTimestamp string                `json:"request_timestamp"`
	TotalCount       int                   `json:"total_count"`
	SuccessCount     int                   `json:"success_count"`
	Successes        []mosaic.StatusDetail `json:"successes,omitempty"`
	FailureCount     int                   `json:"failure_count"`
	Failures         []mosaic.StatusDetail `json:"failures,omitempty"`
	PendingCount     int                   `json:"pending_count"`
}

func statusResource(st mosaic.UploadStatus) Status {
	return Status{
		ID: st.ID, Status: "complete", RequestTimestamp: formatTime(st.Created),
		TotalCount: st.Total, SuccessCount: st.Success, Successes: st.Successes,
		FailureCount: st.Failure, Failures: st.Failures, PendingCount: st.Pending,
	}
}

// addObjects stores the objects of an envelope (TAXII §5.5) under the
// collection's audience as the batch default: added to a compartment's
// collection, they are shared with that compartment. An object's own
// Mosaic envelope extension still decides for that object, as on every
// other way in. The answer is 202 with the status resource, which is also
// kept for GET status. Mosaic stores an upload all or nothing: when it
// refuses one object it stores none, and the status lists every object as
// a failure, each with the reason that applies to it.
func (s *Server) addObjects(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	requested := s.clock.Now()
	c, err := s.collection(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	a := content.Access{Action: "taxii.ingest", Detail: c.key}
	if !c.CanWrite {
		// TAXII §5.5: 403 for a collection the client may read but not
		// write.
		return s.content.Refuse(v, a, mosaic.Errorf(mosaic.CodeForbidden, "you may not add objects to this collection"))
	}
	if err := contentType(r); err != nil {
		return err
	}
	body, up, err := s.gate.Turns().ReadUpload(w, r, v, s.opts.MaxContentLength, "the max_content_length")
	if err != nil {
		return err
	}
	defer up.Done()

	lim := s.content.Limits()
	raws, err := splitEnvelope(body, limitsOrDefault(lim).MaxObjects)
	if err != nil {
		return s.content.Refuse(v, a, err)
	}
	items := decodeAll(raws, lim)
	st := mosaic.UploadStatus{ID: stix.NewUUID(), User: v.User, Created: requested, Total: len(items)}
	var refused *mosaic.Error
	if probs := dedupe(items); probs > 0 {
		refused = &mosaic.Error{Code: mosaic.CodeInvalid, Message: fmt.Sprintf("%d objects are invalid", probs)}
		_ = s.content.Refuse(v, a, refused)
	} else {
		objs := make([]stix.Object, 0, len(items))
		for _, it := range items {
			if !it.dup {
				objs = append(objs, it.obj)
			}
		}
		aud := c.audience
		_, err := s.content.ContributeObjects(r.Context(), v, objs, mosaic.EnvelopeDefaults{Audience: &aud}, a)
		switch code := mosaic.ErrorCode(err); {
		case err == nil:
		case code == mosaic.CodeInvalid || code == mosaic.CodeConflict:
			errors.As(err, &refused)
		default:
			return err
		}
	}
	if refused != nil {
		st.Failures = failures(items, refused, requested)
		st.Failure = len(st.Failures)
	} else {
		if st.Successes, err = s.successes(r.Context(), v, items); err != nil {
			return err
		}
		st.Success = len(st.Successes)
	}
	if err := s.store.PutStatus(r.Context(), st); err != nil {
		if refused == nil {
			// The objects are stored; sending them again is harmless,
			// since an identical object is a no-op.
			return mosaic.Internal(err, "keep the status of a stored upload")
		}
		return err
	}
	// The status lists every object, so it may be large: the storing
	// turn is back before the client reads it, and it is written at the
	// pace, holding only one of the user's own turns.
	up.Stored()
	b, err := encode(statusResource(st))
	if err != nil {
		return err
	}
	middleware.WritePaced(w, http.StatusAccepted, b, MediaType, s.gate.Turns().Pace())
	return nil
}

// limitsOrDefault fills in the defaults of the limits this package reads
// itself; package stix fills in the rest.
func limitsOrDefault(l stix.Limits) stix.Limits {
	if l.MaxObjects <= 0 {
		l.MaxObjects = stix.DefaultLimits().MaxObjects
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = stix.DefaultLimits().MaxDepth
	}
	return l
}

// splitEnvelope returns the members of an envelope's objects list (TAXII
// §3.7), as slices of body. Other members (more, next, custom properties)
// are ignored, as TAXII §7.1.1 allows. What is not a JSON object with one
// objects list is unprocessable content, 422 (TAXII §5.5).
func splitEnvelope(body []byte, maxObjects int) ([]json.RawMessage, error) {
	if !json.Valid(body) {
		var x any
		err := json.Unmarshal(body, &x)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, unprocessable("the body is not JSON: %s at byte %d", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
		}
		return nil, unprocessable("the body is not JSON")
	}
	i := skipSpace(body, 0)
	if body[i] != '{' {
		return nil, unprocessable("the body is not a TAXII envelope: want a JSON object with an objects list")
	}
	var list []byte
	found := false
	for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; {
		kEnd := skipString(body, i)
		key := unquote(body[i:kEnd])
		i = skipSpace(body, skipSpace(body, kEnd)+1) // past the colon
		vEnd := skipValue(body, i)
		if key == "objects" {
			if found {
				return nil, unprocessable("the envelope has objects twice")
			}
			found, list = true, body[i:vEnd]
		}
		if i = skipSpace(body, vEnd); i < len(body) && body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	if !found || len(list) == 0 || list[0] != '[' {
		return nil, unprocessable("the envelope has no objects list")
	}
	var out []json.RawMessage
	for j := skipSpace(list, 1); j < len(list) && list[j] != ']'; {
		end := skipValue(list, j)
		if len(out) == maxObjects {
			// Not 413: TAXII §4.2.1 forbids it for a body within
			// max_content_length.
			return nil, unprocessable("the envelope has more than %d objects; send them in several requests", maxObjects)
		}
		out = append(out, json.RawMessage(list[j:end]))
		if j = skipSpace(list, end); j < len(list) && list[j] == ',' {
			j = skipSpace(list, j+1)
		}
	}
	if len(out) == 0 {
		return nil, unprocessable("the envelope's objects list is empty")
	}
	return out, nil
}

// item is one object of an upload.
type item struct {
	raw   json.RawMessage
	obj   stix.Object
	probs []mosaic.Problem
	// dup marks an object that appeared before in the upload, identical:
	// it succeeds or fails with its first appearance and is stored once.
	dup bool
}

// decodeAll decodes and validates each object, on every core when there
// are many. An object sits two levels deeper in an envelope than on its
// own, so its depth limit is two levels less, the same as in a bundle.
func decodeAll(raws []json.RawMessage, lim stix.Limits) []item {
	lim = limitsOrDefault(lim)
	lim.MaxDepth = max(1, lim.MaxDepth-2)
	items := make([]item, len(raws))
	const chunk = 64
	var next atomic.Int64
	work := func() {
		for {
			lo := int(next.Add(chunk)) - chunk
			if lo >= len(raws) {
				return
			}
			for i := lo; i < min(lo+chunk, len(raws)); i++ {
				items[i].raw = raws[i]
				items[i].obj, items[i].probs = stix.DecodeObject(raws[i], lim)
				for j := range items[i].probs {
					if items[i].probs[j].Object == "" {
						items[i].probs[j].Object = fmt.Sprintf("objects[%d]", i)
					}
				}
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), (len(raws)+chunk-1)/chunk)
	var wg sync.WaitGroup
	var panicked atomic.Value
	for range max(1, workers) {
		wg.Go(func() {
			// A panic here would take the whole server down: no handler
			// recovers on this goroutine. The upload fails instead.
			defer func() {
				if p := recover(); p != nil {
					panicked.CompareAndSwap(nil, fmt.Sprint(p))
				}
			}()
			work()
		})
	}
	wg.Wait()
	if p := panicked.Load(); p != nil {
		panic(p) // on the handler's goroutine, which recovers it
	}
	return items
}

// dedupe marks repeated identical objects and reports the same id and
// version twice with different content as a problem of the later one, as
// a bundle's decoding does. It returns the number of objects with
// problems.
func dedupe(items []item) int {
	type key struct{ id, modified string }
	first := map[key]int{}
	bad := 0
	for i := range items {
		it := &items[i]
		if len(it.probs) > 0 {
			bad++
			continue
		}
		k := key{it.obj.ID, it.obj.ModifiedKey}
		j, seen := first[k]
		if !seen {
			first[k] = i
			continue
		}
		prev := items[j].obj
		if prev.Hash == it.obj.Hash && reflect.DeepEqual(prev.Ext, it.obj.Ext) {
			it.dup = true
			continue
		}
		p := mosaic.Problem{Object: it.obj.ID, Reason: fmt.Sprintf("objects[%d] and objects[%d] have the same id and version but different content: a new version needs a later modified timestamp", j, i)}
		if prev.Hash == it.obj.Hash {
			p.Property, p.Reason = "extensions."+stix.ExtensionID, fmt.Sprintf("objects[%d] and objects[%d] are the same object with different Mosaic envelope extensions", j, i)
		}
		it.probs = append(it.probs, p)
		bad++
	}
	return bad
}

// detailOf returns an object's id and version for its status: the STIX id
// (or "objects[N]" when it has none usable) and its modified, else created
// timestamp, as submitted (TAXII §4.3.1). Objects with neither (SCOs) are
// versioned by the time they were added; sco reports those.
func detailOf(it item, i int) (id, version string, sco bool) {
	h := stix.Head{ID: it.obj.ID, Created: it.obj.Created, Modified: it.obj.Modified}
	if h.ID == "" {
		h = stix.ReadHead(it.raw)
		if !stix.IsID(h.ID) {
			h.ID = fmt.Sprintf("objects[%d]", i)
		}
	}
	switch {
	case h.Modified != "":
		return h.ID, h.Modified, false
	case h.Created != "":
		return h.ID, h.Created, false
	}
	return h.ID, "", true
}

// failures lists every object of a refused upload with the reasons that
// concern it: its own problems, else those the store named it in, else why
// the upload as a whole was refused.
func failures(items []item, refused *mosaic.Error, requested time.Time) []mosaic.StatusDetail {
	byID := map[string][]string{}
	var general []string
	for _, p := range refused.Problems {
		if p.Object == "" {
			general = append(general, reason(p))
		} else {
			byID[p.Object] = append(byID[p.Object], reason(p))
		}
	}
	whole := refused.Message
	if len(general) > 0 {
		whole += ": " + strings.Join(general, "; ")
	}
	out := make([]mosaic.StatusDetail, len(items))
	for i, it := range items {
		id, version, sco := detailOf(it, i)
		if sco {
			// Never added, so no date_added: the time it would have had.
			version = formatTime(requested)
		}
		var reasons []string
		for _, p := range it.probs {
			reasons = append(reasons, reason(p))
		}
		if len(reasons) == 0 {
			reasons = byID[id]
		}
		msg := strings.Join(reasons, "; ")
		if msg == "" {
			msg = "not stored: Mosaic stores an upload all or nothing, and " + lowerFirst(whole)
		}
		out[i] = mosaic.StatusDetail{ID: id, Version: version, Message: truncate(msg, 2000)}
	}
	return out
}

func reason(p mosaic.Problem) string {
	if p.Property != "" {
		return p.Property + ": " + p.Reason
	}
	return p.Reason
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n-- // not in the middle of a UTF-8 sequence
	}
	return s[:n] + "…"
}

// successes lists every object of a stored upload. An SCO's version is the
// date_added of its record (as in the manifest), which the store chose, so
// it is read back.
func (s *Server) successes(ctx context.Context, v mosaic.Viewer, items []item) ([]mosaic.StatusDetail, error) {
	out := make([]mosaic.StatusDetail, len(items))
	var scos []string
	for i, it := range items {
		id, version, sco := detailOf(it, i)
		out[i] = mosaic.StatusDetail{ID: id, Version: version}
		if sco {
			scos = append(scos, id)
		}
	}
	if len(scos) == 0 {
		return out, nil
	}
	added, err := s.content.AddedTimes(ctx, v, scos)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Version == "" {
			if t, ok := added[out[i].ID]; ok {
				out[i].Version = formatTime(t)
			}
		}
	}
	return out, nil
}

// uuidForm reports whether s is a UUID as this server writes them.
func uuidForm(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f'):
			return false
		}
	}
	return true
}

// getStatus returns the status of an upload to the user who made it
// (TAXII §4.3); to anyone else it does not exist.
func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id := r.PathValue("status")
	if !uuidForm(id) {
		return mosaic.Errorf(mosaic.CodeNotFound, "no such status")
	}
	st, err := s.store.Status(r.Context(), id, v.User)
	a := content.Access{Action: "taxii.status", Detail: id}
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		if err := s.content.Audit(v, a, nil, mosaic.NotFound); err != nil {
			return err
		}
		return mosaic.Errorf(mosaic.CodeNotFound, "no such status")
	}
	if err != nil {
		return err
	}
	if err := s.content.Audit(v, a, nil, mosaic.Allowed); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, statusResource(st))
}
