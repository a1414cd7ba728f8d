package taxii

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/http"
	"slices"

	"mosaic"
	"mosaic/policy"
)

// Discovery is the discovery resource (TAXII §4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the API root resource (TAXII §4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Collection is the collection resource (TAXII §5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`
}

// Collections is the collections resource (TAXII §5.1.1); a caller
// without collections gets an empty object.
type Collections struct {
	Collections []Collection `json:"collections,omitempty"`
}

// collection is one of a viewer's collections: an audience, and what the
// viewer may do with it.
type collection struct {
	Collection
	key string // "cell", "compartment:NAME" or "organisation:NAME"; for released objects, as released says
	// audience is the batch default of objects added to it.
	audience mosaic.Audience
	// scope narrows a listing to the collection; nil for a collection of
	// released objects, which is no view of the cell's content.
	scope func(f *mosaic.ObjectFilter)
	// released names a collection of released objects as the content
	// service's Released takes it ("public", "org:NAME", "user:NAME"),
	// and is "" for the cell's content.
	released string
}

// collectionsFor returns the collections v may use, in a fixed order (TAXII
// §3.3): the cell, v's compartments by name, v's organisation, and then
// the released objects v receives (releasedCollections). Whoever sees no
// cell content has only the latter. The decisions are package policy's:
// who sees content at all, who may contribute, who receives releases;
// which objects a collection holds for v is decided again by the store,
// in the SQL of every read.
func (s *Server) collectionsFor(ctx context.Context, v mosaic.Viewer) ([]collection, error) {
	out, err := s.contentCollections(ctx, v)
	if err != nil {
		return nil, err
	}
	rel, err := s.releasedCollections(ctx, v)
	if err != nil {
		return nil, err
	}
	return append(out, rel...), nil
}

// contentCollections returns the collections of the cell's content v may
// use.
func (s *Server) contentCollections(ctx context.Context, v mosaic.Viewer) ([]collection, error) {
	if !policy.SeesContent(v) {
		return nil, nil
	}
	write := policy.MayContribute(v) == nil
	var out []collection
	mk := func(key, title, desc string, aud mosaic.Audience, scope func(*mosaic.ObjectFilter)) error {
		id, err := s.collectionID(ctx, key)
		if err != nil {
			return err
		}
		out = append(out, collection{
			Collection: Collection{ID: id, Title: title, Description: desc, CanRead: true, CanWrite: write, MediaTypes: []string{STIXMediaType}},
			key:        key, audience: aud, scope: scope,
		})
		return nil
	}
	if err := mk(mosaic.AudienceCell, "Cell",
		"STIX objects shared with the whole cell, from every partner. Objects added here are shared with the cell.",
		mosaic.Audience{Cell: true}, func(f *mosaic.ObjectFilter) { f.Audience = mosaic.AudienceCell }); err != nil {
		return nil, err
	}
	if !write {
		// An auditor with a content grant reads what the cell shares, and
		// has neither compartments nor contributions of its own.
		return out, nil
	}
	comps, err := s.store.Memberships(ctx, v)
	if err != nil {
		return nil, err
	}
	comps = slices.Clone(comps)
	slices.Sort(comps)
	for _, c := range slices.Compact(comps) {
		aud := "compartment:" + c
		if err := mk(aud, "Compartment "+c,
			fmt.Sprintf("STIX objects shared with compartment %s. Objects added here are shared with it.", c),
			mosaic.Audience{Compartments: []string{c}}, func(f *mosaic.ObjectFilter) { f.Audience = aud }); err != nil {
			return nil, err
		}
	}
	org := v.Org
	if err := mk("organisation:"+org, "Organisation "+org,
		fmt.Sprintf("STIX objects %s contributed, whatever their audience. Objects added here are seen by %s only.", org, org),
		mosaic.Audience{}, func(f *mosaic.ObjectFilter) { f.Originators = []string{org} }); err != nil {
		return nil, err
	}
	return out, nil
}

// collectionID derives a collection's id from its key: stable for an
// installation, the same for every user, and in the form TAXII §2 requires
// of an identifier (an RFC 4122 version 4 UUID). The bits come from an
// HMAC under a secret the store keeps rather than from a public namespace
// (as a version 5 UUID's would), so that an id seen in a log or a client's
// configuration does not let anyone test guesses of a compartment's name.
func (s *Server) collectionID(ctx context.Context, key string) (string, error) {
	s.idCacheMu.Lock()
	id, ok := s.idCache[key]
	s.idCacheMu.Unlock()
	if ok {
		return id, nil
	}
	s.keyMu.Lock()
	if s.collKey == nil {
		k, err := s.store.Secret(ctx, "taxii-collections")
		if err != nil {
			s.keyMu.Unlock()
			return "", err
		}
		s.collKey = k
	}
	secret := s.collKey
	s.keyMu.Unlock()
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("mosaic taxii collection v1\x00" + key))
	b := m.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // the RFC 4122 variant
	id = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
	s.idCacheMu.Lock()
	if len(s.idCache) > 10_000 {
		clear(s.idCache) // bounded; every entry can be made again
	}
	s.idCache[key] = id
	s.idCacheMu.Unlock()
	return id, nil
}

var errNoCollection = mosaic.Errorf(mosaic.CodeNotFound, "no such collection")

// collection returns v's collection with id. One v may not use answers
// exactly like one that does not exist.
func (s *Server) collection(ctx context.Context, v mosaic.Viewer, id string) (collection, error) {
	cs, err := s.collectionsFor(ctx, v)
	if err != nil {
		return collection{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return collection{}, errNoCollection
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	// API root URLs may be relative (TAXII §4.1.1), which keeps the answer
	// right behind any proxy.
	return writeJSON(w, http.StatusOK, Discovery{
		Title: s.opts.Title, Description: s.opts.Description, Contact: s.opts.Contact,
		Default: s.root, APIRoots: []string{s.root},
	})
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	return writeJSON(w, http.StatusOK, APIRoot{
		Title: s.opts.APIRootTitle, Description: s.opts.APIRootDescription,
		Versions: []string{MediaType}, MaxContentLength: s.opts.MaxContentLength,
	})
}

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	cs, err := s.collectionsFor(r.Context(), v)
	if err != nil {
		return err
	}
	var out Collections
	for _, c := range cs {
		out.Collections = append(out.Collections, c.Collection)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getCollection(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	c, err := s.collection(r.Context(), v, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c.Collection)
}
