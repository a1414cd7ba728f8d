package deconflict

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/problem"
)

// Store is what the handler needs of mosaic.Store.
type Store interface {
	mosaic.Deconfliction
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
}

// Auditor audits the reads and refusals of deconfliction requests: the
// content service, which audits every door's reads.
type Auditor interface {
	Audit(v mosaic.Viewer, a content.Access, ids []string, d mosaic.Decision) error
}

// Options configure a Handler. Zero limits take the defaults named.
type Options struct {
	Store     Store
	Evaluator Evaluator
	Audit     Auditor
	Gate      *gate.Gate
	Clock     mosaic.Clock
	Log       *slog.Logger
	// DailyBudget is the evaluations each organisation may ask for per UTC
	// day (default DefaultDailyBudget).
	DailyBudget int
	// MaxBatch is the most elements or tokens in one request (default
	// DefaultMaxBatch).
	MaxBatch int
	// Coordinator, when not "", names the organisation that alone is told
	// about hits; it then tells both sides.
	Coordinator string
	// EpochGrace is how long registrations of an old epoch keep matching
	// after a new epoch starts (default DefaultEpochGrace).
	EpochGrace time.Duration
}

// The defaults.
const (
	// DefaultDailyBudget: at 100,000 evaluations a day an organisation
	// needs 2^32/100,000 days, 118 years, to evaluate the whole IPv4 space,
	// and the five partners together still 24 years.
	DefaultDailyBudget = 100_000
	// DefaultMaxBatch keeps one evaluation under about 150 ms of evaluator
	// time, so that no partner's batch holds up another's for long.
	DefaultMaxBatch   = 1000
	DefaultEpochGrace = 30 * 24 * time.Hour
	// MaxRefBytes bounds a partner's reference.
	MaxRefBytes = 200
	// MaxExpiry is the longest a registration may live before it is
	// renewed.
	MaxExpiry = 5 * 366 * 24 * time.Hour
)

// Prefix is where the handler serves.
const Prefix = "/api/v1/deconfliction/"

// Handler serves the deconfliction API under Prefix:
//
//	GET    epochs          the evaluator's signed epoch records
//	POST   evaluate        VOPRF evaluation of blinded elements (budgeted)
//	GET    budget          the organisation's evaluations today
//	POST   registrations   register tokens under a reference
//	GET    registrations   the organisation's live registrations
//	DELETE registrations?ref=REF
//	POST   checks          check tokens without registering them
//	GET    hits            the hits the caller's organisation may see
//
// Only analysts and liaisons of partner organisations may use it.
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// NewHandler returns a Handler.
func NewHandler(o Options) *Handler {
	if o.DailyBudget <= 0 {
		o.DailyBudget = DefaultDailyBudget
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.EpochGrace <= 0 {
		o.EpochGrace = DefaultEpochGrace
	}
	if o.Clock == nil {
		o.Clock = mosaic.SystemClock{}
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	var paths []middleware.Route
	for _, rt := range h.routes() {
		h.mux.Handle(rt.pattern, h.wrap(rt.fn))
		method, path, _ := strings.Cut(rt.pattern, " ")
		paths = append(paths, middleware.Route{Method: method, Path: path})
	}
	// A known path with another method is a 405 naming the methods it
	// has, as in the REST API; like every answer here, only to those who
	// may use deconfliction.
	authed := func(fn middleware.Handler) http.Handler {
		return h.wrap(func(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error { return fn(w, r) })
	}
	middleware.AllowMethods(h.mux, paths, authed)
	h.mux.Handle(Prefix, authed(func(w http.ResponseWriter, r *http.Request) error {
		return mosaic.Errorf(mosaic.CodeNotFound, "no such endpoint: %s %s", r.Method, r.URL.Path)
	}))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// route is one endpoint: a "METHOD path" pattern and what serves it.
type route struct {
	pattern string
	fn      func(http.ResponseWriter, *http.Request, mosaic.Viewer) error
}

// routes are the endpoints NewHandler registers; Routes lists the same.
func (h *Handler) routes() []route {
	return []route{
		{"GET " + Prefix + "epochs", h.epochs},
		{"POST " + Prefix + "evaluate", h.evaluate},
		{"GET " + Prefix + "budget", h.budget},
		{"POST " + Prefix + "registrations", h.register},
		{"GET " + Prefix + "registrations", h.registrations},
		{"DELETE " + Prefix + "registrations", h.remove},
		{"POST " + Prefix + "checks", h.check},
		{"GET " + Prefix + "hits", h.hits},
	}
}

// Routes lists the "METHOD path" patterns the handler serves, exactly those
// it registers, so that package api's OpenAPI document can be checked
// against them.
func Routes() []string {
	var out []string
	for _, rt := range (&Handler{}).routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// maxBody bounds a request: a full batch of base64 tokens with their
// types and JSON punctuation, with room to spare.
func (h *Handler) maxBody() int64 { return int64(h.o.MaxBatch)*128 + 64<<10 }

// plain serves fn with the plumbing every door shares (package
// middleware), answering errors as problem details, as the REST API does.
func (h *Handler) plain(fn middleware.Handler) http.Handler {
	return middleware.Wrap(middleware.Options{Log: h.o.Log, WriteError: problem.WriteError, MaxBody: h.maxBody()}, fn)
}

// wrap authenticates, applies the per-user rate, checks the role, and
// audits refusals after authentication; what is audited is the safe
// message, which never holds a token or an element.
func (h *Handler) wrap(fn func(http.ResponseWriter, *http.Request, mosaic.Viewer) error) http.Handler {
	return h.plain(func(w http.ResponseWriter, r *http.Request) error {
		v, err := h.o.Gate.Authenticate(r, gate.Bearer)
		if err != nil {
			return err
		}
		middleware.SetUser(r.Context(), v.User)
		if err := h.o.Gate.Admit(v); err != nil {
			return err
		}
		if err = policy.MayDeconflict(v); err == nil {
			err = fn(w, r, v)
		}
		// The store audits a spent budget itself, in the transaction that
		// finds it spent.
		if err != nil && mosaic.ErrorCode(err) != mosaic.CodeRateLimited {
			d := mosaic.Denied
			if mosaic.ErrorCode(err) == mosaic.CodeInternal {
				d = mosaic.Failed
			}
			if aerr := h.o.Audit.Audit(v, content.Access{Action: "deconfliction." + action(r), Detail: mosaic.ErrorMessage(err)}, nil, d); aerr != nil {
				h.o.Log.Error("audit a refusal", slog.Any("err", aerr))
			}
		}
		return err
	})
}

// action names what a request does, for the audit log.
func action(r *http.Request) string {
	name := r.URL.Path[len(Prefix):]
	switch {
	case r.Method == http.MethodDelete:
		return "remove"
	case name == "registrations" && r.Method == http.MethodPost:
		return "register"
	case name == "checks":
		return "check"
	case name == "registrations", name == "hits", name == "budget", name == "epochs", name == "evaluate":
		return name
	}
	return "unknown"
}

func (h *Handler) record(v mosaic.Viewer, act, detail string) error {
	if err := h.o.Audit.Audit(v, content.Access{Action: "deconfliction." + act, Detail: detail}, nil, mosaic.Allowed); err != nil {
		return mosaic.Errorf(mosaic.CodeUnavailable, "the audit log cannot be written now; try again later")
	}
	return nil
}

// SyncEpochs publishes the evaluator's epochs in the store (each new one
// audited) and ends the registrations of old epochs after the grace
// period. It refuses an evaluator whose key for a published epoch changed.
func (h *Handler) SyncEpochs(ctx context.Context) ([]mosaic.EpochRecord, error) {
	recs, err := h.o.Evaluator.Epochs(ctx)
	if err != nil {
		return nil, mosaic.Internal(err, "fetch evaluator epochs")
	}
	kept, err := h.o.Store.Epochs(ctx)
	if err != nil {
		return nil, err
	}
	known := map[int][]byte{}
	for _, k := range kept {
		known[k.Epoch] = k.PublicKey
	}
	for _, rec := range recs {
		if pk, ok := known[rec.Epoch]; ok && bytes.Equal(pk, rec.PublicKey) {
			// Kept already: no write transaction for every client that
			// asks for the epochs.
			continue
		}
		if err := VerifyRecord(rec); err != nil {
			return nil, mosaic.Internal(err, "evaluator epoch")
		}
		a := mosaic.AuditEntry{Time: h.o.Clock.Now(), User: "deconfliction-evaluator", Action: "deconfliction.epoch.publish", Decision: mosaic.Allowed,
			Detail: fmt.Sprintf("epoch %d, suite %s, public key %s, signing key fingerprint %s", rec.Epoch, rec.Suite, hex.EncodeToString(rec.PublicKey), Fingerprint(rec.Signer))}
		added, err := h.o.Store.PublishEpoch(ctx, rec, a)
		if err != nil {
			return nil, err
		}
		if added && len(kept) > 0 && rec.Epoch == recs[len(recs)-1].Epoch {
			end := mosaic.AuditEntry{Time: h.o.Clock.Now(), User: "deconfliction-evaluator", Action: "deconfliction.epoch.end", Decision: mosaic.Allowed}
			if _, err := h.o.Store.EndEpochs(ctx, rec.Epoch, rec.NotBefore.Add(h.o.EpochGrace), end); err != nil {
				return nil, err
			}
		}
	}
	return h.o.Store.Epochs(ctx)
}

func (h *Handler) epochs(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	recs, err := h.SyncEpochs(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recs, "application/json")
	return nil
}

func (h *Handler) evaluate(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	var req EvaluateRequest
	if err := readJSON(w, r, h.maxBody(), &req); err != nil {
		return err
	}
	n := len(req.Elements)
	if n == 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "no elements to evaluate")
	}
	if n > h.o.MaxBatch {
		return mosaic.Errorf(mosaic.CodeTooLarge, "%d elements in one request; at most %d", n, h.o.MaxBatch)
	}
	// Malformed elements are refused before they cost budget.
	if _, err := DecodeElements(req.Elements); err != nil {
		return err
	}
	now := h.o.Clock.Now()
	a := mosaic.NewAuditEntry(v, now, "deconfliction.evaluate")
	a.Detail = fmt.Sprintf("%d elements in epoch %d", n, req.Epoch)
	b, err := h.o.Store.SpendBudget(r.Context(), v, mosaic.PoolEvaluate, n, h.o.DailyBudget, a)
	if err != nil {
		return budgetError(err, now)
	}
	ev, err := h.o.Evaluator.Evaluate(r.Context(), req.Epoch, req.Elements)
	if mosaic.ErrorCode(err) == mosaic.CodeRateLimited {
		// The separate evaluator's own budget: refused like the
		// organisation's, and audited here since the store did not.
		if aerr := h.o.Audit.Audit(v, content.Access{Action: a.Action, Detail: a.Detail + ": " + mosaic.ErrorMessage(err)}, nil, mosaic.Denied); aerr != nil {
			h.o.Log.Error("audit a refusal", slog.Any("err", aerr))
		}
		return budgetError(err, now)
	}
	if err != nil {
		return err
	}
	if err := checkEvaluation(ev, req.Epoch, n); err != nil {
		return mosaic.Internal(err, "evaluator")
	}
	writeJSON(w, http.StatusOK, EvaluateResponse{Evaluation: ev, Budget: b}, "application/json")
	return nil
}

func (h *Handler) budget(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	var out BudgetResponse
	var err error
	if out.Evaluate, err = h.o.Store.Budget(r.Context(), v, mosaic.PoolEvaluate, h.o.DailyBudget); err != nil {
		return err
	}
	if out.Submit, err = h.o.Store.Budget(r.Context(), v, mosaic.PoolSubmit, h.o.DailyBudget); err != nil {
		return err
	}
	if err := h.record(v, "budget", ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out, "application/json")
	return nil
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return h.submit(w, r, v, false)
}

func (h *Handler) check(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return h.submit(w, r, v, true)
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, check bool) error {
	var req SubmitRequest
	if err := readJSON(w, r, h.maxBody(), &req); err != nil {
		return err
	}
	if req.Org != v.Org {
		// A request body names the organisation it was made for: one
		// captured from another organisation and sent with this caller's
		// token is refused rather than taken as this organisation's.
		return mosaic.Errorf(mosaic.CodeForbidden, "this request was made for another organisation")
	}
	if len(req.RequestID) != 32 || !isHex(req.RequestID) {
		return mosaic.Errorf(mosaic.CodeInvalid, "request_id must be 32 hex digits, fresh for every request")
	}
	if n := len(req.Tokens); n == 0 {
		return mosaic.Errorf(mosaic.CodeInvalid, "no tokens")
	} else if n > h.o.MaxBatch {
		return mosaic.Errorf(mosaic.CodeTooLarge, "%d tokens in one request; at most %d", n, h.o.MaxBatch)
	}
	for i, t := range req.Tokens {
		if !ValidType(t.Type) {
			return mosaic.Errorf(mosaic.CodeInvalid, "token %d: unknown selector type", i)
		}
		if len(t.Token) != TokenSize {
			return mosaic.Errorf(mosaic.CodeInvalid, "token %d: want %d bytes, got %d", i, TokenSize, len(t.Token))
		}
	}
	if len(req.Ref) > MaxRefBytes || !utf8.ValidString(req.Ref) || !printable(req.Ref) {
		return mosaic.Errorf(mosaic.CodeInvalid, "ref: at most %d bytes of printable text", MaxRefBytes)
	}
	now := h.o.Clock.Now()
	if !check {
		if req.Ref == "" {
			return mosaic.Errorf(mosaic.CodeInvalid, "a registration needs your reference (ref)")
		}
		if !req.Expires.After(now) || req.Expires.Sub(now) > MaxExpiry {
			return mosaic.Errorf(mosaic.CodeInvalid, "expires must be in the future and at most five years ahead")
		}
	} else if !req.Expires.IsZero() {
		return mosaic.Errorf(mosaic.CodeInvalid, "a check has no expiry")
	}
	recs, err := h.o.Store.Epochs(r.Context())
	if err != nil {
		return err
	}
	if len(recs) == 0 || recs[len(recs)-1].Epoch != req.Epoch {
		return mosaic.Errorf(mosaic.CodeInvalid, "epoch %d is not the current epoch; fetch the epochs and evaluate again", req.Epoch)
	}
	act := "register"
	if check {
		act = "check"
	}
	a := mosaic.NewAuditEntry(v, now, "deconfliction."+act)
	a.Detail = fmt.Sprintf("%d tokens in epoch %d, ref %q", len(req.Tokens), req.Epoch, req.Ref)
	res, err := h.o.Store.Submit(r.Context(), v, mosaic.Submission{RequestID: req.RequestID, Epoch: req.Epoch, Ref: req.Ref, Expires: req.Expires, Check: check, Tokens: req.Tokens, Limit: h.o.DailyBudget}, a)
	if err != nil {
		return budgetError(err, now)
	}
	out := SubmitResponse{Accepted: res.Accepted, Hits: []HitView{}, Coordinated: h.o.Coordinator != ""}
	if !out.Coordinated {
		contacts := map[string]string{}
		for _, hit := range res.Hits {
			hv := h.view(r.Context(), v.Org, hit, contacts)
			idx := hit.Index
			hv.Index = &idx
			out.Hits = append(out.Hits, hv)
		}
	}
	status := http.StatusOK
	if !check {
		status = http.StatusCreated
	}
	writeJSON(w, status, out, "application/json")
	return nil
}

// view shows hit to org, one of its sides, under org's own number for it.
func (h *Handler) view(ctx context.Context, org string, hit mosaic.Hit, contacts map[string]string) HitView {
	hv := HitView{ID: hit.Number(org), Time: hit.Time, Epoch: hit.Epoch, Type: hit.Type, Kind: hit.Kind}
	if hit.Org == org {
		hv.YourRef, hv.OtherOrg = hit.Ref, hit.HolderOrg
	} else {
		hv.YourRef, hv.OtherOrg, hv.Kind = hit.HolderRef, hit.Org, "holder"
	}
	hv.OtherContact = h.contact(ctx, hv.OtherOrg, contacts)
	return hv
}

func (h *Handler) contact(ctx context.Context, org string, cache map[string]string) string {
	if c, ok := cache[org]; ok {
		return c
	}
	o, err := h.o.Store.Org(ctx, org)
	c := o.Contact
	if err != nil {
		c = ""
	}
	if c == "" {
		c = "the liaison of " + org + " (no contact recorded)"
	}
	cache[org] = c
	return c
}

func (h *Handler) registrations(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	gs, err := h.o.Store.Registrations(r.Context(), v)
	if err != nil {
		return err
	}
	if err := h.record(v, "registrations", ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gs, "application/json")
	return nil
}

func (h *Handler) remove(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		return mosaic.Errorf(mosaic.CodeInvalid, "name the reference to remove: ?ref=REF")
	}
	a := mosaic.NewAuditEntry(v, h.o.Clock.Now(), "deconfliction.remove")
	a.Detail = fmt.Sprintf("ref %q", ref)
	n, err := h.o.Store.RemoveRegistrations(r.Context(), v, ref, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RemoveResponse{Removed: n}, "application/json")
	return nil
}

// MaxHits is the most hits one listing returns.
const MaxHits = 10_000

func (h *Handler) hits(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	limit := MaxHits
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxHits {
			return mosaic.Errorf(mosaic.CodeInvalid, "limit: a number from 1 to %d", MaxHits)
		}
		limit = n
	}
	out, err := h.visibleHits(r.Context(), v, func(org string) ([]mosaic.Hit, error) {
		return h.o.Store.Hits(r.Context(), org, limit)
	})
	if err != nil {
		return err
	}
	if err := h.record(v, "hits", fmt.Sprintf("%d hits shown", len(out))); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out, "application/json")
	return nil
}

// HitsAfter returns up to limit of the hits v may see that arrived after
// position after, oldest first, each as GET hits shows it to v, and the
// position to ask after next. Positions are the hits' ids as v sees them:
// its organisation's own numbers, or the global ids for the coordinator
// (see numbering). A read that shows hits is audited as GET hits is, with
// the hits' numbers as shown and their global ids; one that shows none is
// not, since a stream asks every second. It is the live event stream's
// source of hits (package web), so that the stream and the endpoint share
// one set of rules. v need not be allowed to use deconfliction: then there
// are no hits for it.
func (h *Handler) HitsAfter(ctx context.Context, v mosaic.Viewer, after int64, limit int) ([]HitView, int64, error) {
	var global []string
	out, err := h.visibleHits(ctx, v, func(org string) ([]mosaic.Hit, error) {
		hits, err := h.o.Store.HitsAfter(ctx, org, after, limit)
		for _, hit := range hits {
			global = append(global, strconv.FormatInt(hit.ID, 10))
		}
		return hits, err
	})
	if err != nil || len(out) == 0 {
		return out, after, err
	}
	shown := make([]string, len(out))
	for i, hv := range out {
		shown[i] = strconv.FormatInt(hv.ID, 10)
	}
	// The auditor sees every hit, so the global ids tell it nothing new and
	// tie each hit to its deconfliction.hit entry.
	detail := fmt.Sprintf("%d hits shown on the live stream (%s's hits %s; global hit ids %s)", len(out), v.Org, strings.Join(shown, ", "), strings.Join(global, ", "))
	if h.numbering(v) == "" {
		detail = fmt.Sprintf("%d hits shown on the live stream (global hit ids %s)", len(out), strings.Join(global, ", "))
	}
	if err := h.record(v, "hits", detail); err != nil {
		return nil, after, err
	}
	return out, out[len(out)-1].ID, nil
}

// LastHit returns the position of the newest hit in v's numbering (see
// numbering): where a live stream of v's that starts now begins. It is
// the organisation's position even for a viewer who sees no hits now, so
// that one who may see them later on the same stream starts from the
// stream's start rather than from the first hit ever recorded.
func (h *Handler) LastHit(ctx context.Context, v mosaic.Viewer) (int64, error) {
	org := h.numbering(v)
	if org == "" && v.Org == "" {
		// A viewer of no organisation has no numbering, and no hits.
		return 0, nil
	}
	hits, err := h.o.Store.Hits(ctx, org, 1)
	if err != nil || len(hits) == 0 {
		return 0, err
	}
	return hits[0].Number(org), nil
}

// numbering names the organisation whose numbers v's hits go by: v's own,
// so that a partner's ids count only its own hits and their gaps say
// nothing about anybody else's; or "", the global ids, for the
// coordinator. The coordinator is shown every hit with both sides, so the
// global count is exactly what it sees anyway, and keeping the ids it has
// always had keeps its listings and the audit log's entries (which carry
// the global ids) in one numbering.
func (h *Handler) numbering(v mosaic.Viewer) string {
	if h.o.Coordinator != "" && v.Org == h.o.Coordinator {
		return ""
	}
	return v.Org
}

// visibleHits lists, through list, the hits v may see, as v is to see them.
// list gets the organisation whose hits to list, or "" for all. These are
// the rules for every way hits are shown after the fact: the sides see
// their own reference and the other's contact, never the other's
// reference, under their own numbers; in coordinator mode only the
// coordinator sees hits, with both sides, under the global ids; nobody
// else sees any.
func (h *Handler) visibleHits(ctx context.Context, v mosaic.Viewer, list func(org string) ([]mosaic.Hit, error)) ([]HitView, error) {
	out := []HitView{}
	if policy.MayDeconflict(v) != nil {
		return out, nil
	}
	contacts := map[string]string{}
	switch {
	case h.o.Coordinator != "" && v.Org == h.o.Coordinator:
		hits, err := list("")
		if err != nil {
			return nil, err
		}
		for _, hit := range hits {
			out = append(out, HitView{ID: hit.ID, Time: hit.Time, Epoch: hit.Epoch, Type: hit.Type, Kind: hit.Kind, Sides: []HitSide{
				{Org: hit.Org, Contact: h.contact(ctx, hit.Org, contacts), Ref: hit.Ref, Kind: hit.Kind},
				{Org: hit.HolderOrg, Contact: h.contact(ctx, hit.HolderOrg, contacts), Ref: hit.HolderRef, Kind: "holder"},
			}})
		}
	case h.o.Coordinator != "":
		// In coordinator mode the sides hear of a hit from the
		// coordinator only.
	default:
		hits, err := list(v.Org)
		if err != nil {
			return nil, err
		}
		for _, hit := range hits {
			out = append(out, h.view(ctx, v.Org, hit, contacts))
		}
	}
	return out, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
