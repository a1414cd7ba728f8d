package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"mosaic"
	"mosaic/content"
	"mosaic/stix"
)

// pageResult is what storing one page did.
type pageResult struct {
	mosaic.IngestResult
	// Rejected are the problems of the objects refused, one or more per
	// object.
	Rejected []mosaic.Problem
	// RejectedObjects counts the objects refused.
	RejectedObjects int
	// Handling counts the handling objects of the page, which are no
	// content: they give other objects of the page their TLP.
	Handling int
}

// importPage stores a page's objects for v under the feed's envelope.
//
// Remote content is not ours to fix, and one bad object must not hold up a
// feed for ever (the operator cannot change what the remote serves), nor
// make the feed skip a whole page of good ones. So a page is stored without
// the objects that cannot be stored as they are: invalid STIX, an object
// whose handling the envelope breaks (TLP:RED to the cell), or different
// content under a key the organisation already holds. Each of those is
// counted and reported in the feed's state and log, never dropped
// silently. What is wrong with the feed itself rather than with an object
// (a legal basis that is not configured, a review date in the past, an
// audience the organisation may not use, a user who may not contribute)
// fails the whole page and the poll, without moving the feed on: the
// operator fixes the feed, and the next poll takes up the same page.
func importPage(ctx context.Context, in Contributor, v mosaic.Viewer, f mosaic.Feed, raws []json.RawMessage) (pageResult, error) {
	var res pageResult
	lim := in.Limits()
	if n := len(raws); n > lim.MaxObjects && lim.MaxObjects > 0 {
		return res, mosaic.Errorf(mosaic.CodeTooLarge, "the page has %d objects, more than the limit of %d", n, lim.MaxObjects)
	}
	objs := make([]stix.Object, 0, len(raws))
	// levels holds the strictest TLP the page's handling objects give each
	// version they name: two contributions of one object, handled at two
	// levels over there, may both be on the page.
	levels := map[stix.Version]mosaic.TLP{}
	type version struct{ id, modified string }
	seen := map[version][32]byte{}
	for i, raw := range raws {
		raw, err := withoutEnvelope(raw)
		if err != nil {
			res.reject(mosaic.Problem{Object: fmt.Sprintf("objects[%d]", i), Reason: "not a JSON object: " + jsonReason(err)})
			continue
		}
		o, probs := stix.DecodeObject(raw, lim)
		if len(probs) > 0 {
			for j := range probs {
				if probs[j].Object == "" {
					probs[j].Object = fmt.Sprintf("objects[%d]", i)
				}
			}
			res.reject(probs...)
			continue
		}
		// Whatever withoutEnvelope did not see (it works on the text, the
		// decoder unescapes keys), the remote's envelope must not reach
		// ingest, where an object's own extension wins over the feed's.
		// Canonical and Hash leave the extension out, so nothing else
		// changes.
		o.Ext = nil
		if o.Handling != nil {
			// A handling object of a remote Mosaic gives a third party's
			// objects their handling over there; here the feed's envelope
			// governs, as for the extension. Its TLP is kept: it is the
			// only place the objects' level travels, and ingest takes the
			// strictest of it and their own markings.
			res.Handling++
			if o.Handling.TLP != "" {
				for _, n := range o.Handling.Names {
					if t, ok := levels[n]; !ok || o.Handling.TLP.Rank() > t.Rank() {
						levels[n] = o.Handling.TLP
					}
				}
			}
			continue
		}
		// A server may list one version twice; the store takes each once.
		k := version{o.ID, o.ModifiedKey}
		if h, dup := seen[k]; dup {
			if h != o.Hash {
				res.reject(mosaic.Problem{Object: o.ID, Reason: "the page holds two different objects with this id and modified timestamp"})
			}
			continue
		}
		seen[k] = o.Hash
		objs = append(objs, o)
	}
	// Each round takes out the objects the last one refused; the store
	// names every refused object at once, so two rounds are the rule.
	// A problem names an id, not a version: the versions of an id named
	// while the batch holds more than one of them are tried alone after
	// the rest, so that a good version is not refused for a bad one.
	// Every request carries the levels, so that no version goes in
	// without the TLP the remote handles it under, however the rounds
	// below split the page; ingest ignores what names nothing of a
	// request.
	handling := handlingOf(levels)
	contribute := func(objs []stix.Object) (mosaic.IngestResult, error) {
		return in.ContributeObjects(ctx, v, slices.Concat(handling, objs), f.Defaults(), content.Access{Action: "feed.import", Detail: f.Name})
	}
	var alone []stix.Object
	for len(objs) > 0 {
		r, err := contribute(objs)
		if err == nil {
			res.add(r)
			break
		}
		bad := objectProblems(err)
		if bad == nil {
			return res, err
		}
		versions := map[string]int{}
		for _, o := range objs {
			versions[o.ID]++
		}
		for id := range bad {
			if versions[id] == 0 {
				// A problem about no object of the page: about the feed.
				return res, err
			}
		}
		kept := objs[:0]
		for _, o := range objs {
			switch ps, named := bad[o.ID]; {
			case !named:
				kept = append(kept, o)
			case versions[o.ID] == 1:
				res.reject(ps...)
			default:
				alone = append(alone, o)
			}
		}
		objs = kept
	}
	for _, o := range alone {
		r, err := contribute([]stix.Object{o})
		if err == nil {
			res.add(r)
			continue
		}
		bad := objectProblems(err)
		ps, ok := bad[o.ID]
		if !ok || len(bad) > 1 {
			return res, err
		}
		res.reject(ps...)
	}
	return res, nil
}

// handlingOf returns a handling object per TLP level that gives the
// versions of levels their level, and nothing else.
func handlingOf(levels map[stix.Version]mosaic.TLP) []stix.Object {
	by := map[mosaic.TLP][]stix.Version{}
	for n, t := range levels {
		by[t] = append(by[t], n)
	}
	var out []stix.Object
	for _, t := range mosaic.TLPLevels {
		if len(by[t]) > 0 {
			out = append(out, stix.Object{ID: stix.HandlingType + " (the remote's TLP:" + strings.ToUpper(string(t)) + ")", Type: stix.HandlingType,
				Handling: &stix.Handling{TLP: t, Names: by[t]}})
		}
	}
	return out
}

// objectProblems returns, for an error that refuses particular objects of
// a batch (invalid or conflicting content), each refused object's
// problems by id; nil when the error is about the batch as a whole.
func objectProblems(err error) map[string][]mosaic.Problem {
	var e *mosaic.Error
	if !errors.As(err, &e) || (e.Code != mosaic.CodeInvalid && e.Code != mosaic.CodeConflict) || len(e.Problems) == 0 {
		return nil
	}
	out := map[string][]mosaic.Problem{}
	for _, p := range e.Problems {
		if p.Object == "" || strings.HasPrefix(p.Object, "objects[") {
			return nil
		}
		out[p.Object] = append(out[p.Object], p)
	}
	return out
}

func (r *pageResult) add(ir mosaic.IngestResult) {
	r.New += ir.New
	r.NewVersions += ir.NewVersions
	r.Unchanged += ir.Unchanged
}

func (r *pageResult) reject(ps ...mosaic.Problem) {
	r.RejectedObjects++
	r.Rejected = append(r.Rejected, ps...)
}

// summary says in one line which objects were refused and why, for the
// feed's state.
func (r *pageResult) summary(max int) string {
	var b strings.Builder
	if r.RejectedObjects == 1 {
		b.WriteString("1 object refused:")
	} else {
		fmt.Fprintf(&b, "%d objects refused:", r.RejectedObjects)
	}
	for i, p := range r.Rejected {
		if b.Len() > max {
			fmt.Fprintf(&b, " … and %d more problems", len(r.Rejected)-i)
			break
		}
		b.WriteString(" " + describe(p))
		if i < len(r.Rejected)-1 {
			b.WriteString(";")
		}
	}
	return b.String()
}

func describe(p mosaic.Problem) string {
	s := p.Object
	if p.Property != "" {
		s += " " + p.Property
	}
	return s + ": " + clean(p.Reason)
}
