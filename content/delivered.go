package content

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/policy"
	"mosaic/release"
	"mosaic/stix"
)

// ReleaseView is a release as one viewer may see it: the cell's side
// (Release, for the drafting organisation and, for their own part, the
// organisations asked) and what was delivered to the viewer (Delivery).
// Either may be nil; never both.
type ReleaseView struct {
	Release  *mosaic.Release
	Delivery *mosaic.Delivery
	// Complete says that the viewer sees every item of Release: only
	// then may it revise, publish or withdraw it.
	Complete bool
}

// ReleaseList lists the releases v sees, newest first.
func (s *Service) ReleaseList(ctx context.Context, v mosaic.Viewer, f mosaic.ReleaseFilter, a Access) ([]mosaic.ReleaseSummary, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	out, err := s.releases.ReleaseList(ctx, policy.ReleaseScopeOf(v), f)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r.ID
	}
	if err := s.read(v, a, ids, mosaic.Allowed); err != nil {
		return nil, err
	}
	return out, nil
}

// Release returns release id as v may see it. A release v may not see is
// CodeNotFound, like one that does not exist.
func (s *Service) Release(ctx context.Context, v mosaic.Viewer, id string, a Access) (ReleaseView, error) {
	var out ReleaseView
	if err := s.releasesOn(); err != nil {
		return out, err
	}
	sc := policy.ReleaseScopeOf(v)
	if sc.DraftOrg != "" {
		r, complete, err := s.cellView(ctx, v, id)
		switch {
		case err == nil:
			out.Release, out.Complete = &r, complete
		case mosaic.ErrorCode(err) != mosaic.CodeNotFound:
			return out, err
		}
	}
	d, err := s.releases.Delivered(ctx, sc, id)
	switch {
	case err == nil:
		out.Delivery = &d
	case mosaic.ErrorCode(err) != mosaic.CodeNotFound:
		return out, err
	}
	if out.Release == nil && out.Delivery == nil {
		if err := s.read(v, a, []string{id}, mosaic.NotFound); err != nil {
			return out, err
		}
		return out, mosaic.Errorf(mosaic.CodeNotFound, "release %s not found", id)
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return out, err
	}
	if out.Delivery != nil {
		s.noteRead(ctx, v, *out.Delivery)
	}
	return out, nil
}

// cellView returns release id as v sees it from the cell's side, and
// whether v sees every item of it. The store cuts an asked
// organisation's view to its own part; here the rest is cut to what v
// can see now: a colleague of the drafter may not be in every
// compartment the drafter is in, and the drafter may have left one.
// Items v cannot see go, and with them the consents of organisations
// whose items v sees none of (that they were asked says they hold
// something in it) and other organisations' sanitisations of them.
func (s *Service) cellView(ctx context.Context, v mosaic.Viewer, id string) (mosaic.Release, bool, error) {
	r, err := s.releases.Release(ctx, policy.ReleaseScopeOf(v), id)
	if err != nil {
		return r, false, err
	}
	if r.DrafterOrg != v.Org && (r.State == mosaic.ReleaseReady || r.State == mosaic.ReleaseAwaitingConsent) {
		// An organisation asked must not watch the others decide: that
		// the release became ready, or changed when, says that others
		// were asked and when they answered.
		r.State, r.Updated = mosaic.ReleaseAwaitingConsent, r.Created
		for _, c := range r.Consents {
			if c.Org == v.Org && c.Decided.After(r.Updated) {
				r.Updated = c.Decided
			}
		}
	}
	items, err := s.visibleItems(ctx, v, r)
	if err != nil {
		return r, false, err
	}
	complete := len(items) == len(r.Items)
	// What v may see decides what of the consents it is shown; a
	// discarded release's copies are gone, and nobody is shown an item.
	visible := items
	if r.State == mosaic.ReleaseWithdrawn && r.Published.IsZero() {
		items = nil
	}
	r.Items = items
	if complete {
		return r, true, nil
	}
	if r.DrafterOrg == v.Org {
		// A colleague of the drafter who does not see every item is not
		// told the level of those it cannot see.
		r.TLP = policy.ReleaseTLP(releasedLevels(visible, nil))
	}
	seen := map[string]bool{}
	orgs := map[string]bool{r.DrafterOrg: true, v.Org: true}
	for _, it := range visible {
		orgs[it.Originator] = true
	}
	for _, it := range items {
		seen[strings.ToLower(it.ID)] = true
	}
	var consents []mosaic.ReleaseConsent
	for _, c := range r.Consents {
		if !orgs[c.Org] {
			continue
		}
		if c.Org != v.Org && len(c.Sanitise) > 0 {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(c.Sanitise, &m); err != nil {
				return r, false, mosaic.Internal(err, "decode a consent's sanitisation")
			}
			for k := range m {
				if !seen[strings.ToLower(k)] {
					delete(m, k)
				}
			}
			if c.Sanitise, err = json.Marshal(m); err != nil {
				return r, false, mosaic.Internal(err, "encode a consent's sanitisation")
			}
		}
		consents = append(consents, c)
	}
	r.Consents = consents
	return r, false, nil
}

// mayManage returns nil when v may publish or withdraw r: a member of
// its drafting organisation who sees every item of it. One who does not
// would act on what it has not seen.
func mayManage(v mosaic.Viewer, r mosaic.Release, complete bool) error {
	switch {
	case r.DrafterOrg != v.Org:
		return mosaic.Errorf(mosaic.CodeNotFound, "release %s not found", r.ID)
	case !complete:
		return mosaic.Errorf(mosaic.CodeForbidden, "you cannot see every object of release %s; its drafter, or a colleague who can, acts on it", r.ID)
	}
	return nil
}

// visibleItems cuts a release's items to those v can see.
func (s *Service) visibleItems(ctx context.Context, v mosaic.Viewer, r mosaic.Release) ([]mosaic.ReleaseItem, error) {
	if len(r.Items) == 0 {
		return r.Items, nil
	}
	var idList []string
	seen := map[string]bool{}
	for _, it := range r.Items {
		if k := strings.ToLower(it.ID); !seen[k] {
			seen[k] = true
			idList = append(idList, it.ID)
		}
	}
	type contribution struct{ id, originator, modified string }
	visible := map[contribution]bool{}
	if err := s.eachVersion(ctx, v, idList, func(o mosaic.StoredObject) {
		h := stix.ReadHead(o.Object)
		visible[contribution{strings.ToLower(h.ID), o.Envelope.Originator, h.Modified}] = true
	}); err != nil {
		return nil, err
	}
	var out []mosaic.ReleaseItem
	for _, it := range r.Items {
		if visible[contribution{strings.ToLower(it.ID), it.Originator, it.Modified}] {
			out = append(out, it)
		}
	}
	return out, nil
}

// Delivered returns release id as delivered to v, and CodeNotFound when
// it was not (the drafting organisation included): what a recipient
// downloads or exports.
func (s *Service) Delivered(ctx context.Context, v mosaic.Viewer, id string, a Access) (mosaic.Delivery, error) {
	if err := s.releasesOn(); err != nil {
		return mosaic.Delivery{}, err
	}
	d, err := s.releases.Delivered(ctx, policy.ReleaseScopeOf(v), id)
	if err != nil {
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
			_ = s.read(v, a, []string{id}, mosaic.NotFound)
		}
		return d, err
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return d, err
	}
	s.noteRead(ctx, v, d)
	return d, nil
}

// SnapshotFile returns the sealed snapshot of release id as delivered to
// v, which `mosaic release verify` checks.
func (s *Service) SnapshotFile(ctx context.Context, v mosaic.Viewer, id string, a Access) ([]byte, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	d, err := s.releases.Delivered(ctx, policy.ReleaseScopeOf(v), id)
	if err != nil {
		_ = s.read(v, a, []string{id}, mosaic.NotFound)
		return nil, err
	}
	file, err := SnapshotOf(d).File(d.Seal)
	if err != nil {
		_ = s.read(v, a, []string{id}, mosaic.Failed)
		return nil, err
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return nil, err
	}
	s.noteRead(ctx, v, d)
	return file, nil
}

// SnapshotOf is the snapshot a delivery was sealed over.
func SnapshotOf(d mosaic.Delivery) release.Snapshot {
	return release.Snapshot{Release: d.ID, Title: d.Title, Advice: d.Advice, AdviceNL: d.AdviceNL, TLP: d.TLP, Published: d.Published, Supersedes: d.Supersedes, Bundle: d.Bundle}
}

// WithdrawalEntry returns the signed withdrawal entry of a withdrawn
// release delivered to v; CodeNotFound when there is none.
func (s *Service) WithdrawalEntry(ctx context.Context, v mosaic.Viewer, id string, a Access) (json.RawMessage, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	d, err := s.releases.Delivered(ctx, policy.ReleaseScopeOf(v), id)
	if err == nil && len(d.Withdrawal) == 0 {
		err = mosaic.Errorf(mosaic.CodeNotFound, "release %s is not withdrawn", id)
	}
	if err != nil {
		_ = s.read(v, a, []string{id}, mosaic.NotFound)
		return nil, err
	}
	return d.Withdrawal, s.read(v, a, []string{id}, mosaic.Allowed)
}

// Withdraw withdraws a published release of v's organisation: a signed
// withdrawal entry, and a revoked version of each released SDO and SRO
// for the recipients' collections. The snapshot itself never changes.
func (s *Service) Withdraw(ctx context.Context, v mosaic.Viewer, id, reason string, a Access) (mosaic.Release, error) {
	r, err := s.withdraw(ctx, v, id, reason, a)
	if err != nil {
		return r, s.Refuse(v, a, err)
	}
	return r, nil
}

func (s *Service) withdraw(ctx context.Context, v mosaic.Viewer, id, reason string, a Access) (mosaic.Release, error) {
	if err := s.releasesOn(); err != nil {
		return mosaic.Release{}, err
	}
	if err := policy.MayDraftRelease(v); err != nil {
		return mosaic.Release{}, err
	}
	switch {
	case strings.TrimSpace(reason) == "":
		return mosaic.Release{}, mosaic.Errorf(mosaic.CodeInvalid, "a withdrawal needs a reason, which its recipients are told")
	case utf8.RuneCountInString(reason) > MaxReleaseReason:
		return mosaic.Release{}, mosaic.Errorf(mosaic.CodeTooLarge, "a reason has at most %d characters", MaxReleaseReason)
	}
	reason = lines(reason)
	if err := CheckText("reason", reason, true); err != nil {
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
	now := s.clock.Now().UTC()
	w := mosaic.Withdrawal{Withdrawn: now, Reason: reason}
	switch r.State {
	case mosaic.ReleasePublished:
	case mosaic.ReleaseWithdrawn:
		return r, mosaic.Errorf(mosaic.CodeConflict, "release %s is withdrawn already", id)
	default:
		// Never published: discarded, with nothing to sign or revoke.
		e := mosaic.NewAuditEntry(v, now, a.Action)
		e.ObjectIDs, e.Detail = []string{id}, a.detail("discarded")
		if err := s.releases.Withdraw(ctx, sc, id, w, e); err != nil {
			return r, err
		}
		r, _, err = s.cellView(ctx, v, id)
		return r, err
	}
	objs, err := s.releases.PublishedObjects(ctx, sc, id)
	if err != nil {
		return r, err
	}
	for _, o := range objs {
		if o.Modified == "" || o.Revoked || o.Type == "identity" || o.Type == "marking-definition" {
			// An observable has no versions to revoke; the cell's
			// identity and the TLP definitions stand for every release.
			continue
		}
		rev, err := revoked(o.Object, now)
		if err != nil {
			return r, err
		}
		w.Revoked = append(w.Revoked, mosaic.ReleasedObject{ID: o.ID, Type: o.Type, Modified: stix.FormatTime(now), Object: rev, Revoked: true})
	}
	if w.Entry, err = release.SealWithdrawal(id, now, s.releaseCfg.Keys.Current()); err != nil {
		return r, err
	}
	e := mosaic.NewAuditEntry(v, now, a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail(reason)
	if err := s.releases.Withdraw(ctx, sc, id, w, e); err != nil {
		return r, err
	}
	r, _, err = s.cellView(ctx, v, id)
	return r, err
}

// revoked is the revoked version of a released object (STIX 2.1 §3.6):
// the same object, modified at the withdrawal, with revoked set.
func revoked(obj []byte, at time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, mosaic.Internal(err, "decode a released object")
	}
	m["revoked"], m["modified"] = true, stix.FormatTime(at)
	out, err := json.Marshal(m)
	if err != nil {
		return nil, mosaic.Internal(err, "encode a revoked object")
	}
	return out, nil
}

// Receipt records v's report on a release delivered to it; a refusal is
// audited.
func (s *Service) Receipt(ctx context.Context, v mosaic.Viewer, id string, status mosaic.ReceiptStatus, comment string, a Access) error {
	return s.Refuse(v, a, s.receipt(ctx, v, id, status, comment, a))
}

func (s *Service) receipt(ctx context.Context, v mosaic.Viewer, id string, status mosaic.ReceiptStatus, comment string, a Access) error {
	if err := s.releasesOn(); err != nil {
		return err
	}
	sc := policy.ReleaseScopeOf(v)
	switch {
	case sc.Org == "" && sc.User == "":
		return mosaic.Errorf(mosaic.CodeForbidden, "only a release's recipients report on it")
	case !slices.Contains(mosaic.ReceiptStatuses, status):
		return mosaic.Errorf(mosaic.CodeInvalid, "status is %q: it is one of received, in-progress, applied, not-affected, need-help", status)
	case utf8.RuneCountInString(comment) > MaxReleaseReason:
		return mosaic.Errorf(mosaic.CodeInvalid, "a comment is UTF-8 text of at most %d characters", MaxReleaseReason)
	}
	comment = lines(comment)
	if err := CheckText("comment", comment, true); err != nil {
		return err
	}
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail(string(status))
	return s.releases.AddReceipt(ctx, sc, id, mosaic.Receipt{Org: v.Org, User: v.User, Status: status, Comment: comment, Time: s.clock.Now().UTC()}, e)
}

// ReportSightings records the sightings in a STIX bundle that v reports
// against the objects of a release delivered to it: each a valid STIX
// sighting whose sighting_of_ref is an object of the release. A refusal
// is audited.
func (s *Service) ReportSightings(ctx context.Context, v mosaic.Viewer, id string, bundle []byte, a Access) (int, error) {
	n, err := s.reportSightings(ctx, v, id, bundle, a)
	return n, s.Refuse(v, a, err)
}

func (s *Service) reportSightings(ctx context.Context, v mosaic.Viewer, id string, bundle []byte, a Access) (int, error) {
	if err := s.releasesOn(); err != nil {
		return 0, err
	}
	sc := policy.ReleaseScopeOf(v)
	if sc.Org == "" && sc.User == "" {
		return 0, mosaic.Errorf(mosaic.CodeForbidden, "only a release's recipients report on it")
	}
	d, err := s.releases.Delivered(ctx, sc, id)
	if err != nil {
		return 0, err
	}
	var held struct {
		Objects []struct {
			ID string `json:"id"`
		} `json:"objects"`
	}
	if err := json.Unmarshal(d.Bundle, &held); err != nil {
		return 0, mosaic.Internal(err, "decode a released bundle")
	}
	released := map[string]bool{}
	for _, o := range held.Objects {
		released[strings.ToLower(o.ID)] = true
	}
	objs, err := stix.DecodeBundle(bundle, s.Limits())
	if err != nil {
		return 0, err
	}
	var probs []mosaic.Problem
	if len(objs) == 0 || len(objs) > MaxSightingsPerPost {
		return 0, mosaic.Errorf(mosaic.CodeInvalid, "a report holds 1 to %d sightings, not %d", MaxSightingsPerPost, len(objs))
	}
	now := s.clock.Now().UTC()
	var out []mosaic.ReportedSighting
	for _, o := range objs {
		of, _ := o.Props["sighting_of_ref"].(string)
		switch {
		case len(o.Canonical) > mosaic.MaxSightingBytes:
			probs = append(probs, mosaic.Problem{Object: o.ID, Reason: fmt.Sprintf("a sighting holds at most %d bytes", mosaic.MaxSightingBytes)})
		case o.Type != "sighting":
			probs = append(probs, mosaic.Problem{Object: o.ID, Reason: "a " + o.Type + ", not a sighting"})
		case !released[strings.ToLower(of)]:
			probs = append(probs, mosaic.Problem{Object: o.ID, Property: "sighting_of_ref", Reason: of + " is no object of this release"})
		default:
			out = append(out, mosaic.ReportedSighting{Org: v.Org, User: v.User, Sighting: o.Canonical, Time: now})
		}
	}
	if len(probs) > 0 {
		return 0, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "sightings", Problems: probs}
	}
	e := mosaic.NewAuditEntry(v, now, a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail(strconv.Itoa(len(out))+" sightings")
	if err := s.releases.AddSightings(ctx, sc, id, out, e); err != nil {
		return 0, err
	}
	return len(out), nil
}

// Feedback returns the feedback on release id that v may read: all of
// it for the drafting organisation and the feedback readers (the NCSC by
// default), a recipient's own otherwise. CodeNotFound for anyone else.
func (s *Service) Feedback(ctx context.Context, v mosaic.Viewer, id string, a Access) (mosaic.Feedback, error) {
	if err := s.releasesOn(); err != nil {
		return mosaic.Feedback{}, err
	}
	drafter, _, err := s.releases.ReleaseOrigin(ctx, id)
	if f, ok := policy.FeedbackReach(v, drafter, s.releaseCfg.FeedbackReaders, s.releaseCfg.FeedbackReadersFor); err == nil && ok {
		if _, derr := s.releases.Delivered(ctx, policy.ReleaseScopeOf(v), id); derr == nil {
			// A reader that received the release too reads its own
			// organisation's feedback beside the others'.
			if f.Orgs != nil && !slices.Contains(f.Orgs, v.Org) {
				f.Orgs = append(f.Orgs, v.Org)
			}
			f.Except = slices.DeleteFunc(f.Except, func(o string) bool { return o == v.Org })
		}
		fb, err := s.releases.Feedback(ctx, id, f)
		if err != nil {
			return fb, err
		}
		return fb, s.read(v, a, []string{id}, mosaic.Allowed)
	}
	if err != nil && mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		return mosaic.Feedback{}, err
	}
	if _, err := s.releases.Delivered(ctx, policy.ReleaseScopeOf(v), id); err != nil {
		_ = s.read(v, a, []string{id}, mosaic.NotFound)
		return mosaic.Feedback{}, err
	}
	fb, err := s.releases.Feedback(ctx, id, mosaic.FeedbackFilter{Orgs: []string{v.Org}})
	if err != nil {
		return fb, err
	}
	return fb, s.read(v, a, []string{id}, mosaic.Allowed)
}

// ReleaseRecord returns the cell-side record of a published release to
// its drafting organisation.
func (s *Service) ReleaseRecord(ctx context.Context, v mosaic.Viewer, id string, a Access) (json.RawMessage, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	// The record names every source, its originator and legal basis: it
	// is for who sees every item, as publishing is.
	r, complete, err := s.cellView(ctx, v, id)
	if err == nil && mayManage(v, r, complete) != nil {
		err = mosaic.Errorf(mosaic.CodeNotFound, "release %s not found", id)
	}
	var rec json.RawMessage
	if err == nil {
		rec, err = s.releases.ReleaseRecord(ctx, policy.ReleaseScopeOf(v), id)
	}
	if err != nil {
		_ = s.read(v, a, []string{id}, mosaic.NotFound)
		return nil, err
	}
	return rec, s.read(v, a, []string{id}, mosaic.Allowed)
}

// Released lists the released objects of a collection v receives (TAXII:
// public, its organisation's, its own).
func (s *Service) Released(ctx context.Context, v mosaic.Viewer, f mosaic.ReleasedFilter, a Access) ([]mosaic.ReleasedEntry, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	out, err := s.releases.Released(ctx, policy.ReleaseScopeOf(v), f)
	if err != nil {
		_ = s.read(v, a, nil, mosaic.NotFound)
		return nil, err
	}
	ids := make([]string, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	return out, s.read(v, a, ids, mosaic.Allowed)
}

// ReleasedCount returns how many objects a collection of released objects
// v receives holds (see Released); the read is audited, naming no object.
func (s *Service) ReleasedCount(ctx context.Context, v mosaic.Viewer, collection string, a Access) (int, error) {
	if err := s.releasesOn(); err != nil {
		return 0, err
	}
	n, err := s.releases.ReleasedCount(ctx, policy.ReleaseScopeOf(v), collection)
	if err != nil {
		_ = s.read(v, a, nil, mosaic.NotFound)
		return 0, err
	}
	return n, s.read(v, a, nil, mosaic.Allowed)
}
