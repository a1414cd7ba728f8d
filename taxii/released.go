package taxii

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/stix"
)

// Collections of released objects: what the cell released, as each
// recipient receives it. They are read-only: a release is made through the
// release workflow, with the consent of whoever the information came from,
// never by adding objects to a collection.
//
// Their keys are the content service's names for them, so that the audit
// log names the collection a read was of as Released does: "public",
// "org:NAME" (what was delivered to the organisation, never TLP:RED) and
// "user:NAME" (what was delivered to the user by name, TLP:RED among it).

// releasesOn reports whether this server makes releases; without them
// there are no released collections, and nothing is served without
// credentials.
func (s *Server) releasesOn() bool {
	return s.content.ReleasesOn()
}

// releasedCollections returns the collections of released objects v
// receives: its organisation's and its own, when the policy makes v a
// recipient (policy.ReleaseScopeOf), and the public one, which everyone
// receives, without credentials too.
func (s *Server) releasedCollections(ctx context.Context, v mosaic.Viewer) ([]collection, error) {
	if !s.releasesOn() {
		return nil, nil
	}
	sc := policy.ReleaseScopeOf(v)
	var out []collection
	mk := func(key, title, desc string) error {
		c, err := s.releasedCollection(ctx, key, title, desc)
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	if sc.Org != "" {
		if err := mk("org:"+sc.Org, "Releases to "+sc.Org,
			fmt.Sprintf("STIX objects the cell released to %s, sanitised and without their sources, for everyone at %s to read. TLP:RED is never here: it goes to named users only.", sc.Org, sc.Org)); err != nil {
			return nil, err
		}
	}
	if sc.User != "" {
		if err := mk("user:"+sc.User, "Releases to "+sc.User,
			fmt.Sprintf("STIX objects the cell released to %s by name, TLP:RED among them: for %s only, not for the organisation.", sc.User, sc.User)); err != nil {
			return nil, err
		}
	}
	if err := mk(string(mosaic.RecipientPublic), "Public releases",
		"STIX objects the cell released to the public, sanitised and without their sources; readable without credentials."); err != nil {
		return nil, err
	}
	return out, nil
}

// ReleasedCollections returns the collections of released objects v
// receives, as the collections endpoint lists them to v, for the web UI
// to point v's TAXII client at: nothing of a collection v does not
// receive.
func (s *Server) ReleasedCollections(ctx context.Context, v mosaic.Viewer) ([]mosaic.ReleasedCollection, error) {
	cs, err := s.releasedCollections(ctx, v)
	if err != nil {
		return nil, err
	}
	out := make([]mosaic.ReleasedCollection, len(cs))
	for i, c := range cs {
		out[i] = mosaic.ReleasedCollection{ID: c.ID, Title: c.Title, Description: c.Description, Key: c.released}
	}
	return out, nil
}

// Root is the path of the API root, "/taxii2/api/" by default.
func (s *Server) Root() string { return s.root }

func (s *Server) releasedCollection(ctx context.Context, key, title, desc string) (collection, error) {
	// Derived like every collection id (collectionID), from a name of
	// its own so that no key of the cell's content can ever give it.
	id, err := s.collectionID(ctx, "released "+key)
	if err != nil {
		return collection{}, err
	}
	return collection{
		Collection: Collection{ID: id, Title: title, Description: desc, CanRead: true, CanWrite: false, MediaTypes: []string{STIXMediaType}},
		key:        key, released: key,
	}, nil
}

// publicCollectionID returns the public collection's id, "" when this
// server makes no releases.
func (s *Server) publicCollectionID(ctx context.Context) (string, error) {
	if !s.releasesOn() {
		return "", nil
	}
	return s.collectionID(ctx, "released "+string(mosaic.RecipientPublic))
}

// anonymousRoot lets a request without credentials read discovery, the
// API root and the collections, which then list the public collection
// alone: how an anonymous client finds it. Without releases nothing is
// told to such a client, not even that this is a TAXII server.
func (s *Server) anonymousRoot(r *http.Request) (bool, error) {
	return s.releasesOn(), nil
}

// anonymousPublic lets a request without credentials read the public
// collection, and no other: any other collection id is a 401, whether or
// not there is such a collection, so that the answer tells nothing.
func (s *Server) anonymousPublic(r *http.Request) (bool, error) {
	id, err := s.publicCollectionID(r.Context())
	if err != nil || id == "" {
		return false, err
	}
	return r.PathValue("id") == id, nil
}

// hasCredentials reports whether the request tries to authenticate. One
// that does is authenticated, and fails as it would anywhere else, rather
// than read as anonymous: a client with a wrong token must be told.
func hasCredentials(r *http.Request) bool {
	return len(r.Header.Values("Authorization")) > 0
}

// admitAnonymous takes one request from the budgets of the request's
// client address, its network and all clients without credentials
// (ratelimit.Addresses).
func (s *Server) admitAnonymous(r *http.Request) error {
	if ok, wait := s.anonymous.Allow(r.RemoteAddr, s.clock.Now()); !ok {
		return mosaic.RateLimited(wait, "rate limit of %s requests a minute without credentials exceeded; authenticate for more", strconv.Itoa(s.opts.AnonymousPerMinute))
	}
	return nil
}

// maxReleased is the most entries one call of Released returns, whatever
// limit it is asked for (sqlstore caps it so); every call here asks for
// at most this many, so that a full answer means there may be more.
const maxReleased = 1000

// maxReleasedRounds bounds the calls one page makes to fill itself when
// the version selection leaves entries out.
const maxReleasedRounds = 4

// listReleased reads one page of the released collection c for v, oldest
// added first, as list does for the cell's content: with object set only
// that object's versions (CodeNotFound when c holds none), with all set
// every version. Released returns every version; the selection of
// match[version] is made here (selectVersions), against every version the
// collection holds of the page's objects, so that it does not depend on
// where a page ends. A page the selection leaves short is filled with
// further calls, a few at most; it may then be shorter than the limit,
// which TAXII allows (§3.4), and next continues after the last entry
// looked at.
func (s *Server) listReleased(ctx context.Context, v mosaic.Viewer, c collection, q query, object string, all bool, a content.Access) (page, error) {
	base := mosaic.ReleasedFilter{Collection: c.released, IDs: q.ids, Types: q.types, AddedAfter: q.addedAfter}
	if object != "" {
		base.IDs = []string{object}
	}
	if q.noMatch {
		if object != "" {
			if err := s.releasedExists(ctx, v, c, object, a); err != nil {
				return page{}, err
			}
			return page{}, nil
		}
		return page{}, s.content.Audit(v, a, nil, mosaic.Allowed)
	}
	versions := q.versions
	switch {
	case all:
		versions = []string{mosaic.VersionAll}
	case len(versions) == 0:
		versions = []string{mosaic.VersionLast}
	}
	var out []mosaic.ReleasedEntry
	var probe *mosaic.ReleasedEntry // the first entry after the page, when known
	after, more, looked := q.after, false, false
	for round := 0; ; round++ {
		need := q.limit - len(out)
		f := base
		f.After, f.Limit = after, min(need+1, maxReleased)
		got, err := s.content.Released(ctx, v, f, a)
		if err != nil {
			return page{}, err
		}
		looked = looked || len(got) > 0
		more, probe = len(got) >= f.Limit, nil
		if len(got) > need {
			probe, got = &got[need], got[:need]
		}
		sel, err := s.selectVersions(ctx, v, c, got, versions, a)
		if err != nil {
			return page{}, err
		}
		out = append(out, sel...)
		if len(got) > 0 {
			after = got[len(got)-1].Seq
		}
		if !more || len(out) >= q.limit || round == maxReleasedRounds-1 {
			break
		}
	}
	if object != "" && !looked && q.after == 0 {
		// Without added_after, the first call asked what releasedExists
		// would ask again.
		if q.addedAfter.IsZero() {
			return page{}, s.noObject(v, a, object)
		}
		if err := s.releasedExists(ctx, v, c, object, a); err != nil {
			return page{}, err
		}
	}
	p := page{more: more}
	for _, e := range out {
		p.objs = append(p.objs, mosaic.StoredObject{Object: e.Object, Envelope: mosaic.Envelope{Added: e.Added}, Seq: e.Seq})
	}
	if more {
		// Without the entry after the page, assume the worst, as list
		// does: that the page ends inside a release.
		last := len(p.objs) - 1
		p.splitsBatch = probe == nil || last < 0 || probe.Added.Equal(p.objs[last].Envelope.Added)
		if seq := endBeforeBatch(&p); seq != 0 {
			after = seq
		}
		var err error
		if p.next, err = s.sealCursor(ctx, after, q.binding); err != nil {
			return page{}, err
		}
	}
	return p, nil
}

// releasedExists answers CodeNotFound, audited as such, when collection c
// holds no version of object for v; nil when it holds one.
func (s *Server) releasedExists(ctx context.Context, v mosaic.Viewer, c collection, object string, a content.Access) error {
	got, err := s.content.Released(ctx, v, mosaic.ReleasedFilter{Collection: c.released, IDs: []string{object}, Limit: 1}, a)
	if err != nil {
		return err
	}
	if len(got) > 0 {
		return nil
	}
	return s.noObject(v, a, object)
}

// noObject audits that object was not found, which Released, asked for
// it, audits as a read of nothing, and answers CodeNotFound.
func (s *Server) noObject(v mosaic.Viewer, a content.Access, object string) error {
	if err := s.content.Audit(v, a, []string{object}, mosaic.NotFound); err != nil {
		return err
	}
	return errNoObject(object)
}

// releasedVersion is the key a released object's TAXII version compares
// by: that of its modified timestamp, or of its date_added for an
// observable, which has no versions of its own (version).
func releasedVersion(e mosaic.ReleasedEntry) string {
	v := version(stix.ReadHead(e.Object), e.Added)
	if k, err := stix.TimeKey(v); err == nil {
		return k
	}
	return v
}

// selectVersions keeps the entries of page that versions selects (TAXII
// §3.4.1: last, first, all or timestamps, any of which may match): the
// newest or oldest of their object's versions in the collection, or the
// versions named. Whether an entry is an object's newest or oldest
// depends on versions outside the page, before and after it, so these are
// looked up, every version of the page's objects; a withdrawal's revoked
// version is the newest. Ties, which one release cannot make, go to the
// entry stored last (for last) or first (for first).
func (s *Server) selectVersions(ctx context.Context, v mosaic.Viewer, c collection, page []mosaic.ReleasedEntry, versions []string, a content.Access) ([]mosaic.ReleasedEntry, error) {
	if len(page) == 0 {
		return nil, nil
	}
	keys := map[string]bool{}
	var last, first bool
	for _, ver := range versions {
		switch ver {
		case mosaic.VersionAll:
			return page, nil
		case mosaic.VersionLast:
			last = true
		case mosaic.VersionFirst:
			first = true
		default:
			keys[ver] = true
		}
	}
	type bound struct {
		key string
		seq int64
	}
	newest, oldest := map[string]bound{}, map[string]bound{}
	note := func(e mosaic.ReleasedEntry) {
		b := bound{releasedVersion(e), e.Seq}
		if n, ok := newest[e.ID]; !ok || b.key > n.key || b.key == n.key && b.seq > n.seq {
			newest[e.ID] = b
		}
		if o, ok := oldest[e.ID]; !ok || b.key < o.key || b.key == o.key && b.seq < o.seq {
			oldest[e.ID] = b
		}
	}
	if last || first {
		var ids []string
		seen := map[string]bool{}
		for _, e := range page {
			note(e)
			if !seen[e.ID] {
				seen[e.ID] = true
				ids = append(ids, e.ID)
			}
		}
		if err := s.allVersions(ctx, v, c, ids, a, note); err != nil {
			return nil, err
		}
	}
	var out []mosaic.ReleasedEntry
	for _, e := range page {
		b := bound{releasedVersion(e), e.Seq}
		if last && newest[e.ID] == b || first && oldest[e.ID] == b || keys[b.key] {
			out = append(out, e)
		}
	}
	return out, nil
}

// allVersions calls note with every version collection c holds of ids.
func (s *Server) allVersions(ctx context.Context, v mosaic.Viewer, c collection, ids []string, a content.Access, note func(mosaic.ReleasedEntry)) error {
	f := mosaic.ReleasedFilter{Collection: c.released, IDs: ids, Limit: maxReleased}
	// Each object has a version per release of it and one per
	// withdrawal: a few, so the bound is far beyond what a collection
	// holds, and only stops a store that never ends.
	for range 1000 {
		got, err := s.content.Released(ctx, v, f, a)
		if err != nil {
			return err
		}
		for _, e := range got {
			note(e)
		}
		if len(got) < f.Limit {
			return nil
		}
		f.After = got[len(got)-1].Seq
	}
	return mosaic.Internal(fmt.Errorf("collection %s: no end to the versions of %d objects", c.released, len(ids)), "select versions")
}
