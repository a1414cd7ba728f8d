// Package ingest turns submitted STIX content into records: it decodes and
// validates a bundle, resolves each object's envelope from the batch
// defaults, the object's own Mosaic extension and the organisation's
// settings, extracts the search terms, and hands the batch to the store,
// which keeps it all or nothing.
package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"mosaic"
	"mosaic/blockable"
	"mosaic/policy"
	"mosaic/search"
	"mosaic/stix"
	"mosaic/warninglist"
)

// Config is what ingest needs from the installation's configuration.
type Config struct {
	DefaultTLP mosaic.TLP
	// LegalBases maps each accepted legal basis to its review period.
	LegalBases map[string]time.Duration
	Limits     stix.Limits
}

// Store is what ingest needs of the store: the submitter's organisation,
// for its defaults, the marking definitions the submitter can see, for
// the TLP of what they mark (as mosaic.Objects.Object), and the batch's
// writer.
type Store interface {
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
	Orgs(ctx context.Context) ([]mosaic.Organisation, error)
	Objects(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (mosaic.ObjectPage, error)
	Ingest(ctx context.Context, v mosaic.Viewer, recs []mosaic.Record, a mosaic.AuditEntry) (mosaic.IngestResult, error)
}

// Ingester stores submitted content.
type Ingester struct {
	store Store
	cfg   Config
	clock mosaic.Clock
}

// New returns an Ingester on store.
func New(store Store, cfg Config, clock mosaic.Clock) *Ingester {
	return &Ingester{store: store, cfg: cfg, clock: clock}
}

// Config returns the ingester's configuration.
func (in *Ingester) Config() Config { return in.cfg }

// Bundle decodes a STIX bundle and stores it for v's organisation. Errors:
// CodeForbidden (v may not contribute), CodeInvalid with every problem,
// CodeTooLarge, CodeConflict (see mosaic.Objects.Ingest).
func (in *Ingester) Bundle(ctx context.Context, v mosaic.Viewer, body []byte, p mosaic.EnvelopeDefaults) (mosaic.IngestResult, []string, error) {
	if err := policy.MayContribute(v); err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	objs, err := stix.DecodeBundle(body, in.cfg.Limits)
	if err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	return in.Objects(ctx, v, objs, p)
}

// Objects stores decoded objects for v's organisation. It also returns the
// ids of the batch, for the caller's own records.
func (in *Ingester) Objects(ctx context.Context, v mosaic.Viewer, objs []stix.Object, p mosaic.EnvelopeDefaults) (mosaic.IngestResult, []string, error) {
	if err := policy.MayContribute(v); err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	if err := in.checkParams(p); err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	org, err := in.store.Org(ctx, v.Org)
	if err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	levels, err := in.markingLevels(ctx, v, objs)
	if err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	others, err := in.otherIdentities(ctx, org)
	if err != nil {
		return mosaic.IngestResult{}, nil, err
	}
	now := in.clock.Now()
	handling, problems := in.handlingIndex(org, objs, now)
	recs := make([]mosaic.Record, 0, len(objs))
	ids := make([]string, 0, len(objs))
	unchanged := 0
	var terms []*stix.Object // the object of each record, for its search terms
	for i := range objs {
		o := &objs[i]
		if o.Handling != nil {
			// A handling object gives the objects it names their handling
			// (handlingIndex); it is no one's content and is not stored.
			continue
		}
		if h, ok := publishedHash[strings.ToLower(o.ID)]; ok {
			// Mosaic's own published objects and the TLP 2.0 marking
			// definitions arrive with exports; they belong to nobody's
			// contribution and are not stored.
			if o.Hash != h {
				problems = append(problems, mosaic.Problem{Object: o.ID, Reason: "this id belongs to an object Mosaic publishes and the content differs from it"})
			} else {
				unchanged++
			}
			continue
		}
		if p := authorship(o, others); p != nil {
			problems = append(problems, *p)
			continue
		}
		o.ResolveTLP(levels.level)
		h := handling[o.Version()]
		createdBy, _ := o.Props["created_by_ref"].(string)
		if !o.HasTLP && o.Type != "marking-definition" && org.Identity != "" && strings.EqualFold(createdBy, org.Identity) {
			// The organisation's own object, which no one has seen in
			// another form, is completed: the level Mosaic handles it
			// under travels with it, in standard STIX, to every reader
			// and export. Anyone else's object is kept as it came (STIX
			// 2.1 §3.6: only its creator may change it, and every copy of
			// one version must be the same); its level travels beside it,
			// in a handling object.
			t := in.cfg.DefaultTLP
			if h != nil && h.TLP != "" {
				t = h.TLP
			}
			o.MarkTLP(t)
		}
		env, explicit, probs := in.envelope(org, o, h, p, now)
		if len(probs) > 0 {
			problems = append(problems, probs...)
			continue
		}
		recs = append(recs, mosaic.Record{
			ID: o.ID, Type: o.Type, CreatedKey: o.CreatedKey, ModifiedKey: o.ModifiedKey,
			Envelope: env, Explicit: explicit, CreatedBy: createdBy, Object: o.Canonical, Hash: o.Hash,
		})
		terms = append(terms, o)
		ids = append(ids, o.ID)
	}
	if len(problems) > 0 {
		return mosaic.IngestResult{}, ids, &mosaic.Error{Code: mosaic.CodeInvalid, Message: fmt.Sprintf("%d problems in the bundle; nothing was stored", len(problems)), Problems: problems}
	}
	wait := searchTerms(recs, terms)
	// Whatever the store did, the workers must be done before the records
	// go back to the caller.
	defer wait()
	a := mosaic.NewAuditEntry(v, now, "objects.ingest")
	a.ObjectIDs = ids
	res, err := in.store.Ingest(ctx, v, recs, a)
	res.Unchanged += unchanged
	if err == nil {
		res.Warnings = warnings(terms)
	}
	return res, ids, err
}

// warnings names the blockable values of objs that must never be blocked:
// a report may name them honestly (a sandbox's resolver, a connectivity
// check), but a blocklist must not, and the contributor should know.
func warnings(objs []*stix.Object) []mosaic.Problem {
	var out []mosaic.Problem
	for _, o := range objs {
		for _, val := range blockable.FromProps(o.Props) {
			why, ok := warninglist.Reason(val.Kind, val.Value)
			if !ok {
				continue
			}
			if len(out) == mosaic.MaxWarnings {
				return out
			}
			out = append(out, mosaic.Problem{Object: o.ID, Reason: why + "; it is stored, and left out of blocklists"})
		}
	}
	return out
}

// markings maps the marking definitions a batch refers to by ids other
// than the official TLP ones to the TLP level each declares, "" for none
// (a statement, or a marking nobody the submitter can see has defined).
type markings map[string]mosaic.TLP

func (m markings) level(id string) (mosaic.TLP, bool) {
	t := m[id]
	return t, t != ""
}

// stricter keeps the stricter of the level m holds for id and t.
func (m markings) stricter(id string, t mosaic.TLP) {
	if old, ok := m[id]; !ok || t.Rank() > old.Rank() {
		m[id] = t
	}
}

// maxMarkingLookups bounds the store reads one batch can cause: each
// marking definition it refers to without holding it costs one.
const maxMarkingLookups = 1000

// markingLevels works out the TLP levels of the marking definitions objs
// refer to: the official TLP ones are the decoder's; a marking definition
// declares its level by its content whatever its id (stix.MarkingTLP). The
// batch's own definitions come first; a reference the batch cannot resolve
// is looked up among the records v can see, and only there, so a marking
// someone else keeps from v is exactly as unknown as one that does not
// exist. An unknown marking is not a TLP marking: the object keeps its
// other markings' level, or the default. Of several versions or
// contributions of one marking the strictest counts.
func (in *Ingester) markingLevels(ctx context.Context, v mosaic.Viewer, objs []stix.Object) (markings, error) {
	m := markings{}
	for i := range objs {
		if o := &objs[i]; o.Type == "marking-definition" {
			t, _ := stix.MarkingTLP(o.Props)
			m.stricter(o.ID, t)
		}
	}
	var missing []string
	for i := range objs {
		for id := range objs[i].MarkingRefs() {
			if _, official := stix.TLPFromMarking(id); official {
				continue
			}
			if _, known := m[id]; !known {
				m[id] = ""
				missing = append(missing, id)
			}
		}
	}
	if len(missing) > maxMarkingLookups {
		reason := fmt.Sprintf("the objects refer to %d marking definitions that are neither in the batch nor official TLP markings, more than the %d that are looked up among stored records for one batch; include the marking definitions or split the batch", len(missing), maxMarkingLookups)
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: reason + "; nothing was stored", Problems: []mosaic.Problem{{Property: "object_marking_refs", Reason: reason}}}
	}
	if len(missing) == 0 {
		return m, nil
	}
	// One listing for all of them, in pages the store bounds by size,
	// rather than a read per reference.
	f := mosaic.ObjectFilter{IDs: missing, Types: []string{"marking-definition"}, Versions: []string{mosaic.VersionAll}, Ascending: true, Limit: maxMarkingLookups}
	for {
		page, err := in.store.Objects(ctx, v, f)
		if err != nil {
			return nil, err
		}
		for _, so := range page.Objects {
			var props map[string]any
			if err := json.Unmarshal(so.Object, &props); err != nil {
				return nil, mosaic.Internal(err, "ingest: reading a stored marking definition")
			}
			id, _ := props["id"].(string)
			t, ok := stix.MarkingTLP(props)
			if ok && so.Envelope.Originator != v.Org && t.Rank() < in.cfg.DefaultTLP.Rank() {
				// Another organisation's definition may raise the level
				// of the submitter's objects, never lower it below the
				// default: else whoever stores a definition first under
				// an id others use (an external source's marking) would
				// set their objects' TLP.
				t = in.cfg.DefaultTLP
			}
			m.stricter(id, t)
		}
		if page.Next == 0 {
			return m, nil
		}
		f.After = page.Next
	}
}

// otherIdentities maps the STIX identity of every Mosaic organisation but
// org to its name.
func (in *Ingester) otherIdentities(ctx context.Context, org mosaic.Organisation) (map[string]string, error) {
	orgs, err := in.store.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(orgs))
	for _, o := range orgs {
		if o.Name != org.Name && o.Identity != "" {
			// Lower case: a UUID may be written in either (RFC 9562 §4),
			// and an identity so spelt is still the organisation's.
			out[strings.ToLower(o.Identity)] = o.Name
		}
	}
	return out, nil
}

// authorship refuses an object that names another Mosaic organisation's
// identity as its creator, or is that identity: each organisation's
// identity is bound to it (mosaic.Organisation.Identity), and which
// identity belongs to whom is public, so refusing tells nothing.
func authorship(o *stix.Object, others map[string]string) *mosaic.Problem {
	by, _ := o.Props["created_by_ref"].(string)
	if name := others[strings.ToLower(by)]; name != "" {
		return &mosaic.Problem{Object: o.ID, Property: "created_by_ref",
			Reason: fmt.Sprintf("%s is the identity of organisation %s: only %s submits objects it created", by, name, name)}
	}
	if name := others[strings.ToLower(o.ID)]; name != "" {
		return &mosaic.Problem{Object: o.ID, Reason: fmt.Sprintf("this is the identity of organisation %s: only Mosaic describes it", name)}
	}
	return nil
}

// publishedHash holds the hashes of the canonical forms of Mosaic's
// published identity and extension definitions and of the TLP 2.0 marking
// definitions.
var publishedHash = func() map[string][32]byte {
	out := map[string][32]byte{}
	raws := [][]byte{stix.Identity(), stix.ExtensionDefinition(), stix.HandlingExtensionDefinition()}
	for _, t := range mosaic.TLPLevels {
		raws = append(raws, stix.TLPMarkingDefinition(t))
	}
	for _, raw := range raws {
		o, probs := stix.DecodeObject(raw, stix.DefaultLimits())
		if len(probs) > 0 {
			panic(fmt.Sprintf("Mosaic's own published object is invalid: %v", probs))
		}
		out[o.ID] = o.Hash
	}
	return out
}()

func (in *Ingester) checkParams(p mosaic.EnvelopeDefaults) error {
	var problems []mosaic.Problem
	if p.LegalBasis != nil {
		if _, ok := in.cfg.LegalBases[*p.LegalBasis]; !ok {
			problems = append(problems, mosaic.Problem{Property: "legal_basis", Reason: in.legalBasisReason(*p.LegalBasis)})
		}
	}
	if p.ReviewBy != nil {
		if r := in.reviewReason(*p.ReviewBy, in.clock.Now()); r != "" {
			problems = append(problems, mosaic.Problem{Property: "review_by", Reason: r})
		}
	}
	if len(problems) > 0 {
		return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "invalid envelope parameters; nothing was stored", Problems: problems}
	}
	return nil
}

func (in *Ingester) legalBasisReason(b string) string {
	known := make([]string, 0, len(in.cfg.LegalBases))
	for k := range in.cfg.LegalBases {
		known = append(known, k)
	}
	sort.Strings(known)
	return fmt.Sprintf("legal basis %q is not one of %v", b, known)
}

func (in *Ingester) reviewReason(s string, now time.Time) string {
	d, err := mosaic.ParseDate(s)
	if err != nil {
		return mosaic.ErrorMessage(err)
	}
	if d.Before(today(now)) {
		return fmt.Sprintf("review date %s is in the past", s)
	}
	return ""
}

func today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// envelope resolves one object's envelope: the object's own extension
// wins, then the handling object h that names it (nil when none does),
// then the batch parameters, then the organisation's and installation's
// defaults. The TLP is the strictest of the object's markings and h's; the
// default applies when neither says one.
//
// The extension wins over a handling object field by field because it is
// part of the object and cannot be separated from it, while a handling
// object travels beside the objects it names and can be paired with the
// wrong ones (a side file given with another bundle). Mosaic never writes
// both for one object: its own objects carry the extension, anyone else's
// a handling object. Either may only narrow what the object's markings
// say: neither lowers its TLP.
func (in *Ingester) envelope(org mosaic.Organisation, o *stix.Object, h *stix.Handling, p mosaic.EnvelopeDefaults, now time.Time) (mosaic.Envelope, mosaic.EnvelopeFields, []mosaic.Problem) {
	env := mosaic.Envelope{Originator: org.Name, TLP: in.cfg.DefaultTLP, Audience: org.DefaultAudience, ORCON: true, LegalBasis: org.LegalRegime}
	var x mosaic.EnvelopeFields
	if o.HasTLP {
		env.TLP = o.TLP
	}
	ext, hx := o.Ext, &stix.EnvelopeExt{}
	if ext == nil {
		ext = &stix.EnvelopeExt{}
	}
	if h != nil {
		// Its originator, legal basis and review date were checked once,
		// for all the objects it names, by handlingIndex.
		hx = &h.Envelope
		if h.TLP != "" && (!o.HasTLP || h.TLP.Rank() > env.TLP.Rank()) {
			env.TLP, x.TLP = h.TLP, true
		}
	}
	if a := firstOf(ext.Audience, hx.Audience, p.Audience); a != nil {
		env.Audience, x.Audience = *a, true
	}
	if b := firstOf(ext.ORCON, hx.ORCON, p.ORCON); b != nil {
		env.ORCON, x.ORCON = *b, true
	}
	if l := firstOf(ext.LegalBasis, hx.LegalBasis, p.LegalBasis); l != nil {
		env.LegalBasis, x.LegalBasis = *l, true
	}
	var problems []mosaic.Problem
	prop := "extensions." + stix.ExtensionID
	if ext.Originator != nil && *ext.Originator != org.Name {
		// An export carries its records' originators. Importing another
		// organisation's record as one's own would hand it to one's whole
		// organisation and drop the originator's control over it.
		problems = append(problems, mosaic.Problem{Object: o.ID, Property: prop + ".originator",
			Reason: fmt.Sprintf("this object is organisation %s's contribution (exported from Mosaic); only %s can submit it with this envelope; remove Mosaic's extension to contribute the content as your own", *ext.Originator, *ext.Originator)})
	}
	if _, ok := in.cfg.LegalBases[env.LegalBasis]; !ok {
		problems = append(problems, mosaic.Problem{Object: o.ID, Property: prop + ".legal_basis", Reason: in.legalBasisReason(env.LegalBasis)})
	}
	if r := firstOf(ext.ReviewBy, hx.ReviewBy, p.ReviewBy); r != nil {
		env.ReviewBy, x.ReviewBy = *r, true
		if ext.ReviewBy != nil {
			if reason := in.reviewReason(*r, now); reason != "" {
				problems = append(problems, mosaic.Problem{Object: o.ID, Property: prop + ".review_by", Reason: reason})
			}
		}
	} else if period, ok := in.cfg.LegalBases[env.LegalBasis]; ok {
		env.ReviewBy = today(now).Add(period).Format(mosaic.DateLayout)
	}
	if err := policy.CheckEnvelope(env); err != nil {
		problems = append(problems, mosaic.Problem{Object: o.ID, Property: "object_marking_refs", Reason: mosaic.ErrorMessage(err)})
	}
	return env, x, problems
}

// handlingIndex maps each version of an object of the batch that a
// handling object of the batch names to that handling, and checks once
// each handling object that names any: its originator must be the
// submitter's organisation (as the property extension's, and for the same
// reason), its legal basis one Mosaic knows and its review date not past.
// A handling object that names nothing in the batch changes nothing and
// is not checked further: it is no content and is never stored, so it
// cannot reach a record another submission made. Two handling objects that
// give one version different handling are refused: which one was meant
// cannot be told.
func (in *Ingester) handlingIndex(org mosaic.Organisation, objs []stix.Object, now time.Time) (map[stix.Version]*stix.Handling, []mosaic.Problem) {
	var inBatch map[stix.Version]bool
	out := map[stix.Version]*stix.Handling{}
	from := map[stix.Version]string{}
	var problems []mosaic.Problem
	for i := range objs {
		h := objs[i].Handling
		if h == nil {
			continue
		}
		if inBatch == nil {
			inBatch = make(map[stix.Version]bool, len(objs))
			for j := range objs {
				if objs[j].Handling == nil {
					inBatch[objs[j].Version()] = true
				}
			}
		}
		id := objs[i].ID
		named := slices.ContainsFunc(h.Names, func(v stix.Version) bool { return inBatch[v] })
		if !named {
			continue
		}
		if probs := in.checkHandling(org, id, h, now); len(probs) > 0 {
			problems = append(problems, probs...)
			continue
		}
		for _, v := range h.Names {
			if !inBatch[v] {
				continue
			}
			if prev, ok := out[v]; ok && !sameHandling(prev, h) {
				problems = append(problems, mosaic.Problem{Object: v.ID,
					Reason: fmt.Sprintf("handling objects %s and %s give this object different handling", from[v], id)})
				continue
			}
			out[v], from[v] = h, id
		}
	}
	return out, problems
}

// checkHandling checks what a handling object says of every object it
// names.
func (in *Ingester) checkHandling(org mosaic.Organisation, id string, h *stix.Handling, now time.Time) []mosaic.Problem {
	var problems []mosaic.Problem
	if o := h.Envelope.Originator; o != nil && *o != org.Name {
		problems = append(problems, mosaic.Problem{Object: id, Property: "originator",
			Reason: fmt.Sprintf("this handling object describes organisation %s's contributions (exported from Mosaic); only %s can submit them with this handling. Without it the objects would be your own contribution, under your own handling and within the rule on re-sharing another organisation's contribution", *o, *o)})
	}
	if l := h.Envelope.LegalBasis; l != nil {
		if _, ok := in.cfg.LegalBases[*l]; !ok {
			problems = append(problems, mosaic.Problem{Object: id, Property: "legal_basis", Reason: in.legalBasisReason(*l)})
		}
	}
	if r := h.Envelope.ReviewBy; r != nil {
		if reason := in.reviewReason(*r, now); reason != "" {
			problems = append(problems, mosaic.Problem{Object: id, Property: "review_by", Reason: reason})
		}
	}
	return problems
}

func sameHandling(a, b *stix.Handling) bool {
	return a.TLP == b.TLP && a.Envelope.Equal(&b.Envelope)
}

func firstOf[T any](xs ...*T) *T {
	if i := slices.IndexFunc(xs, func(x *T) bool { return x != nil }); i >= 0 {
		return xs[i]
	}
	return nil
}

// searchTerms starts working out the records' search terms on every core
// and sets each record's Terms to wait for its own. After decoding it is
// the largest share of the work before the store's, and the store needs
// the terms only after it has written the records, so the two overlap: on
// two cores that hides most of it. The returned function waits for the
// workers.
func searchTerms(recs []mosaic.Record, objs []*stix.Object) func() {
	const chunk = 256
	words := make([][]string, len(recs))
	obs := make([][]string, len(recs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (len(recs)+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(recs) {
					return
				}
				for i := lo; i < min(lo+chunk, len(recs)); i++ {
					words[i], obs[i] = search.ObjectTerms(objs[i].Type, objs[i].Props)
				}
			}
		})
	}
	for i := range recs {
		recs[i].Terms = func() ([]string, []string) {
			wg.Wait()
			return words[i], obs[i]
		}
	}
	return wg.Wait
}
