package content

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/jcs"
	"mosaic/policy"
	"mosaic/release"
	"mosaic/stix"
)

// Publish seals release id once every consent for its current revision
// is in: each object sanitised as its originators approved, stripped of
// its sources (release.Protect), bundled, and signed for each recipient;
// the cell-side record (legal bases, approvals, the mapping to sources)
// is bound to the digests. Only the drafting organisation publishes.
// CodeConflict names what is pending.
func (s *Service) Publish(ctx context.Context, v mosaic.Viewer, id string, revision int, a Access) (mosaic.Release, error) {
	r, err := s.publish(ctx, v, id, revision, a)
	if err != nil {
		return r, s.Refuse(v, a, err)
	}
	return r, nil
}

func (s *Service) publish(ctx context.Context, v mosaic.Viewer, id string, revision int, a Access) (mosaic.Release, error) {
	if err := s.releasesOn(); err != nil {
		return mosaic.Release{}, err
	}
	if err := policy.MayDraftRelease(v); err != nil {
		return mosaic.Release{}, err
	}
	sc := policy.ReleaseScopeOf(v)
	r, complete, err := s.cellView(ctx, v, id)
	if err != nil {
		return r, err
	}
	if err := mayManage(v, r, complete); err != nil {
		return r, err
	}
	if revision != 0 && revision != r.Revision {
		return r, mosaic.Errorf(mosaic.CodeConflict, "publish of revision %d, the release is at revision %d", revision, r.Revision)
	}
	if r.State != mosaic.ReleaseReady {
		var pending []string
		for _, c := range r.Consents {
			if c.State != mosaic.ConsentApproved {
				pending = append(pending, c.Org+" ("+string(c.State)+")")
			}
		}
		if len(pending) > 0 {
			return r, mosaic.Errorf(mosaic.CodeConflict, "release %s is %s: consent of %s", id, r.State, strings.Join(pending, ", "))
		}
		return r, mosaic.Errorf(mosaic.CodeConflict, "release %s is %s, not ready", id, r.State)
	}
	p, err := s.seal(ctx, r)
	if err != nil {
		return r, err
	}
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail("published "+p.Digest)
	if err := s.releases.Publish(ctx, sc, id, p, e); err != nil {
		return r, err
	}
	r, _, err = s.cellView(ctx, v, id)
	return r, err
}

// recordEntry maps one released object to its sources, for the cell only.
type recordEntry struct {
	Released   string   `json:"released"`
	Source     string   `json:"source"`
	Modified   string   `json:"modified,omitempty"`
	Originator []string `json:"originators"`
}

// Record is the cell-side record of a published release, bound to its
// digests: never served to a recipient.
type Record struct {
	Release    string                  `json:"release"`
	Revision   int                     `json:"revision"`
	Digest     string                  `json:"digest"`
	Seals      []mosaic.ReleaseSeal    `json:"seals"`
	LegalBases map[string][]string     `json:"legal_bases"` // originator → legal bases of what it provided
	Approvals  []mosaic.ReleaseConsent `json:"approvals"`
	Sources    []recordEntry           `json:"sources"`
	Relied     []recordEntry           `json:"relied_on,omitempty"`
}

// seal makes the publication of a ready release.
func (s *Service) seal(ctx context.Context, r mosaic.Release) (mosaic.Publication, error) {
	now := s.clock.Now().UTC().Truncate(time.Millisecond)
	keys := s.releaseCfg.Keys
	san, attribute, err := consentsOf(r)
	if err != nil {
		return mosaic.Publication{}, err
	}
	// One source object per id, with the originators it came from.
	type source struct {
		item        mosaic.ReleaseItem
		originators []string
		san         release.Sanitisation
		attribute   bool
	}
	var order []string
	byID := map[string]*source{}
	levels := map[string]map[string]mosaic.TLP{}
	var probs []mosaic.Problem
	for _, it := range r.Items {
		if it.Role != mosaic.ItemObject {
			continue
		}
		key := strings.ToLower(it.ID)
		src := byID[key]
		if src == nil {
			src = &source{item: it, attribute: true}
			byID[key] = src
			order = append(order, key)
		}
		src.originators = append(src.originators, it.Originator)
		os, sanitised := san[key][it.Originator]
		if sanitised {
			if len(src.originators) > 1 && string(os.Canonical()) != string(src.san.Canonical()) {
				probs = append(probs, mosaic.Problem{Object: it.ID, Reason: "its originators approved different sanitisations; draft it with one originator"})
			}
			src.san = os.Sanitisation
			if os.TLP != "" {
				if levels[it.ID] == nil {
					levels[it.ID] = map[string]mosaic.TLP{}
				}
				levels[it.ID][it.Originator] = os.TLP
			}
		} else if len(src.originators) > 1 && len(src.san.Canonical()) > 2 {
			probs = append(probs, mosaic.Problem{Object: it.ID, Reason: "one originator sanitised it and another did not; draft it with one originator"})
		}
		// Recipients see where an object came from only when every
		// originator of it allowed that.
		src.attribute = src.attribute && attribute[it.Originator]
	}
	if len(probs) > 0 {
		return mosaic.Publication{}, &mosaic.Error{Code: mosaic.CodeConflict, Message: "the consents do not agree", Problems: probs}
	}
	for _, it := range r.Items {
		if os, ok := san[strings.ToLower(it.ID)][it.Originator]; ok && it.Role == mosaic.ItemSource && os.TLP != "" {
			if levels[it.ID] == nil {
				levels[it.ID] = map[string]mosaic.TLP{}
			}
			levels[it.ID][it.Originator] = os.TLP
		}
	}
	tlps := map[string]mosaic.TLP{}
	released := releasedLevels(r.Items, levels)
	for _, x := range released {
		tlps[strings.ToLower(x.ID)] = x.TLP
	}
	tlp := policy.ReleaseTLP(released)
	var recipients []mosaic.Recipient
	for _, rc := range r.Recipients {
		rec, err := mosaic.ParseRecipient(rc)
		if err != nil {
			return mosaic.Publication{}, err
		}
		recipients = append(recipients, rec)
	}
	if probs := policy.ReleaseProblems(released, recipients); len(probs) > 0 {
		return mosaic.Publication{}, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the release breaks the dissemination rules", Problems: probs}
	}

	// References the release does not resolve are dropped first, from
	// the sources, as the drafter chose; then each object's released id
	// is known (an observable's from its sanitised value).
	srcs := map[string][]byte{}
	for _, key := range order {
		srcs[key] = byID[key].item.Object
	}
	if r.Dangling == mosaic.DanglingDrop {
		if srcs, err = dropDangling(srcs, &order); err != nil {
			return mosaic.Publication{}, err
		}
	}
	newID := map[string]string{}
	var derived []string
	for _, key := range order {
		src := byID[key]
		id, err := release.ReleasedID(keys.IDKey, srcs[key], src.san)
		if err != nil {
			return mosaic.Publication{}, mosaic.Errorf(mosaic.CodeConflict, "%s: its approved sanitisation no longer applies: %s", src.item.ID, mosaic.ErrorMessage(err))
		}
		newID[key] = id
		if !stix.IsSCOType(src.item.Type) {
			derived = append(derived, id)
		}
	}
	first, err := s.releases.FirstPublished(ctx, derived)
	if err != nil {
		return mosaic.Publication{}, err
	}
	cell := cellIdentity(keys)
	var objects []mosaic.ReleasedObject
	firsts := map[string]time.Time{}
	seen := map[string]bool{}
	record := Record{Release: r.ID, Revision: r.Revision, LegalBases: map[string][]string{}, Approvals: r.Consents}
	// The bundle, and the collections it goes to, hold what its objects
	// refer to: the cell's identity and the definition of each level
	// they are marked with.
	identity := cellIdentityObject(cell, s.releaseCfg.CellName, keys)
	bundleObjs := []json.RawMessage{identity}
	objects = append(objects, mosaic.ReleasedObject{ID: cell, Type: "identity", Modified: stix.ReadHead(identity).Modified, Object: identity})
	for _, l := range mosaic.TLPLevels {
		for _, key := range order {
			if tlps[key] == l {
				def := stix.TLPMarkingDefinition(l)
				h := stix.ReadHead(def)
				bundleObjs = append(bundleObjs, def)
				objects = append(objects, mosaic.ReleasedObject{ID: h.ID, Type: h.Type, Modified: h.Created, Object: def})
				break
			}
		}
	}
	attributed := map[string]json.RawMessage{}
	for _, key := range order {
		src := byID[key]
		if seen[newID[key]] {
			continue // two observables generalised to one
		}
		seen[newID[key]] = true
		fp, ok := first[newID[key]]
		if !ok {
			fp = now
		}
		creator := ""
		if src.attribute {
			// Attributed to its (first) originator, by the identity the
			// directory gives it, which the bundle then holds.
			org := slices.Min(src.originators)
			if attributed[org] == nil {
				o, err := s.store.Org(ctx, org)
				if err != nil {
					return mosaic.Publication{}, err
				}
				ident := orgIdentityObject(o)
				attributed[org] = ident
				bundleObjs = append(bundleObjs, ident)
				objects = append(objects, mosaic.ReleasedObject{ID: o.Identity, Type: "identity", Modified: stix.ReadHead(ident).Modified, Object: ident})
			}
			creator = stix.ReadHead(attributed[org]).ID
		}
		out, err := release.Protect(srcs[key], src.san, release.Origin{
			IDKey: keys.IDKey, Cell: cell, FirstPublished: fp, Published: now,
			TLPMarking: stix.TLPMarkingID(tlps[key]), Attribute: src.attribute, Creator: creator,
			Ref: func(ref string) (string, bool) {
				to, ok := newID[strings.ToLower(ref)]
				return to, ok
			},
		})
		if err != nil {
			return mosaic.Publication{}, mosaic.Errorf(mosaic.CodeConflict, "%s", mosaic.ErrorMessage(err))
		}
		ro := mosaic.ReleasedObject{ID: newID[key], Type: src.item.Type, Object: out}
		if !stix.IsSCOType(src.item.Type) {
			ro.Modified = stix.FormatTime(now)
			firsts[ro.ID] = fp
		}
		objects = append(objects, ro)
		bundleObjs = append(bundleObjs, out)
		record.Sources = append(record.Sources, recordEntry{Released: ro.ID, Source: src.item.ID, Modified: src.item.Modified, Originator: src.originators})
	}
	for _, it := range r.Items {
		if it.LegalBasis != "" && !slices.Contains(record.LegalBases[it.Originator], it.LegalBasis) {
			record.LegalBases[it.Originator] = append(record.LegalBases[it.Originator], it.LegalBasis)
		}
		if it.Role == mosaic.ItemSource {
			record.Relied = append(record.Relied, recordEntry{Source: it.ID, Modified: it.Modified, Originator: []string{it.Originator}})
		}
	}
	bundle, err := canonicalBundle(r.ID, bundleObjs)
	if err != nil {
		return mosaic.Publication{}, err
	}
	sum := sha256.Sum256(bundle)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	snap := release.Snapshot{Release: r.ID, Title: r.Title, Advice: r.Advice, AdviceNL: r.AdviceNL, TLP: tlp, Published: now, Supersedes: r.Supersedes, Bundle: bundle}
	seals, err := snap.Seal(r.Recipients, keys.Current())
	if err != nil {
		return mosaic.Publication{}, err
	}
	record.Digest, record.Seals = digest, seals
	rec, err := json.Marshal(record)
	if err != nil {
		return mosaic.Publication{}, mosaic.Internal(err, "encode the release record")
	}
	return mosaic.Publication{Revision: r.Revision, Published: now, TLP: tlp, Bundle: bundle, Digest: digest,
		Objects: objects, FirstPublished: firsts, Seals: seals, Consents: r.Consents, Record: rec}, nil
}

// dropDangling drops, until nothing changes, every reference to an
// object the release does not hold: from a list, the entry; an optional
// reference, the property; and an object that is no valid STIX without
// it (a relationship without its target, a report with no objects left),
// the object, which may leave others dangling in turn. It returns the
// sources, those it changed re-encoded.
func dropDangling(srcs map[string][]byte, order *[]string) (map[string][]byte, error) {
	objs := map[string]map[string]any{}
	for key, raw := range srcs {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // numbers stay as they were written
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, mosaic.Internal(err, "decode a source")
		}
		objs[key] = m
	}
	out := maps.Clone(srcs)
	for changed := true; changed; {
		changed = false
		for _, key := range *order {
			m := objs[key]
			if m == nil || !dropRefs(m, func(r string) bool { return objs[strings.ToLower(r)] != nil }) {
				continue
			}
			changed = true
			raw, err := json.Marshal(m)
			if err != nil {
				return nil, mosaic.Internal(err, "encode a source")
			}
			if _, probs := stix.DecodeObject(raw, stix.DefaultLimits()); len(probs) > 0 {
				objs[key], out[key] = nil, nil
				continue
			}
			out[key] = raw
		}
	}
	kept := (*order)[:0]
	for _, key := range *order {
		if objs[key] != nil {
			kept = append(kept, key)
		}
	}
	*order = kept
	return out, nil
}

// dropRefs drops m's references that held does not hold, and reports
// whether it dropped one.
func dropRefs(m map[string]any, held func(string) bool) bool {
	touched := false
	for k, v := range m {
		if k == "created_by_ref" || k == "object_marking_refs" {
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			if r, ok := v.(string); ok && !held(r) {
				delete(m, k)
				touched = true
			}
		case strings.HasSuffix(k, "_refs"):
			rs, ok := v.([]any)
			if !ok {
				continue
			}
			kept := rs[:0:0]
			for _, x := range rs {
				if r, ok := x.(string); ok && held(r) {
					kept = append(kept, x)
				}
			}
			if len(kept) != len(rs) {
				touched = true
				if len(kept) == 0 {
					delete(m, k)
				} else {
					m[k] = kept
				}
			}
		}
	}
	return touched
}

// cellIdentity is the id of the cell's own STIX identity, derived from
// the release id key: the same in every release of the installation,
// and telling nothing of it to anyone without the key.
func cellIdentity(k *release.Keys) string {
	m := hmac.New(sha256.New, k.IDKey)
	m.Write([]byte("mosaic cell identity"))
	return "identity--" + stix.FormatUUID(m.Sum(nil), 4)
}

// cellIdentityObject is the identity every released object names as its
// creator, dated when the release keys were made.
func cellIdentityObject(id, name string, k *release.Keys) json.RawMessage {
	t := stix.FormatTime(k.Signers[0].NotBefore.UTC())
	raw, _ := json.Marshal(map[string]any{
		"type": "identity", "spec_version": "2.1", "id": id, "created": t, "modified": t,
		"name": name, "identity_class": "organization",
	})
	return raw
}

// orgIdentityObject is an originator's identity as a release names it
// when the originator allowed attribution: its STIX identity, full name
// and nothing more.
func orgIdentityObject(o mosaic.Organisation) json.RawMessage {
	t := stix.FormatTime(o.Created.UTC())
	raw, _ := json.Marshal(map[string]any{
		"type": "identity", "spec_version": "2.1", "id": o.Identity, "created": t, "modified": t,
		"name": o.FullName, "identity_class": "organization",
	})
	return raw
}

// canonicalBundle makes the released bundle in canonical JSON; its id
// derives from the release's.
func canonicalBundle(releaseID string, objs []json.RawMessage) (json.RawMessage, error) {
	sum := sha256.Sum256([]byte("mosaic release bundle\n" + releaseID))
	raw, err := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + stix.FormatUUID(sum[:], 4), "objects": objs})
	if err != nil {
		return nil, mosaic.Internal(err, "encode bundle")
	}
	canon, err := jcs.Canonical(raw)
	if err != nil {
		return nil, mosaic.Internal(err, "canonical bundle")
	}
	return canon, nil
}
