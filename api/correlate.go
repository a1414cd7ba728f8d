package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"mosaic"
	"mosaic/search"
)

// Correlated is an object that shares observables with another.
type Correlated struct {
	Object
	Shared []string `json:"shared"` // the normalised observables the two have in common
}

// CorrelationPage is the answer of GET /api/v1/objects/{id}/correlations.
type CorrelationPage struct {
	Objects []Correlated `json:"objects"`
	Next    string       `json:"next,omitempty"`
}

// observablesOf returns an object's normalised observables.
func observablesOf(obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	var props map[string]any
	if dec.Decode(&props) != nil {
		return nil
	}
	typ, _ := props["type"].(string)
	_, obs := search.ObjectTerms(typ, props)
	return obs
}

// MaxCorrelationTerms is how many of an object's observables a correlation
// looks for; a report listing thousands of addresses correlates on its
// first ones.
const MaxCorrelationTerms = 500

func (s *Server) correlations(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "limit", "cursor")
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if !stixID.MatchString(id) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX identifier (type--uuid)", id)
	}
	objs, err := s.store.Object(r.Context(), v, id, false)
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		if aerr := s.recordRead(v, "objects.correlations", []string{id}, mosaic.NotFound, ""); aerr != nil {
			return aerr
		}
		return err
	}
	if err != nil {
		return err
	}
	obs := observablesOf(objs[0].Object)
	if len(obs) > MaxCorrelationTerms {
		obs = obs[:MaxCorrelationTerms]
	}
	page := CorrelationPage{Objects: []Correlated{}}
	if len(obs) > 0 {
		f := mosaic.ObjectFilter{AnyObservable: obs, NotID: id}
		if f.Limit, err = s.limitParam(q); err != nil {
			return err
		}
		if f.Before, err = s.decodeCursor(r.Context(), q.Get("cursor")); err != nil {
			return err
		}
		found, err := s.store.Objects(r.Context(), v, f)
		if err != nil {
			return err
		}
		for _, o := range found.Objects {
			var shared []string
			for _, x := range observablesOf(o.Object) {
				if slices.Contains(obs, x) {
					shared = append(shared, x)
				}
			}
			page.Objects = append(page.Objects, Correlated{Object: Object{Object: o.Object, Envelope: o.Envelope}, Shared: shared})
		}
		if page.Next, err = s.encodeCursor(r.Context(), found.Next); err != nil {
			return err
		}
	}
	ids := []string{id}
	for _, o := range page.Objects {
		ids = append(ids, objectID(o.Object.Object))
	}
	if err := s.recordRead(v, "objects.correlations", ids, mosaic.Allowed, r.URL.RawQuery); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// observableKinds maps what GET /api/v1/observables takes as type to the
// kinds of package search: its own names and the STIX types.
var observableKinds = map[string]search.Kind{
	"ipv4": search.KindIPv4, "ipv4-addr": search.KindIPv4, "ipv6": search.KindIPv6, "ipv6-addr": search.KindIPv6,
	"cidr": search.KindCIDR, "domain": search.KindDomain, "domain-name": search.KindDomain, "url": search.KindURL,
	"email": search.KindEmail, "email-addr": search.KindEmail, "md5": search.KindMD5, "sha1": search.KindSHA1,
	"sha256": search.KindSHA256, "sha512": search.KindSHA512, "mac": search.KindMAC, "mac-addr": search.KindMAC,
}

// Occurrences is the answer of GET /api/v1/observables.
type Occurrences struct {
	Observable struct {
		Type  search.Kind `json:"type"`
		Value string      `json:"value"`
	} `json:"observable"`
	Objects []Object `json:"objects"`
	Next    string   `json:"next,omitempty"`
}

func (s *Server) observables(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "type", "value", "limit", "cursor")
	if err != nil {
		return err
	}
	value := strings.TrimSpace(q.Get("value"))
	if value == "" {
		return invalidParam("value", "name the observable, such as 198.51.100.7 or evil.example.com")
	}
	var out Occurrences
	var norm string
	var ok bool
	if t := q.Get("type"); t != "" {
		kind, known := observableKinds[t]
		if !known {
			return invalidParam("type", "want one of ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, sha512, mac (or the STIX type)")
		}
		norm, ok = search.NormalizeObservable(kind, value)
		out.Observable.Type = kind
	} else {
		out.Observable.Type, norm, ok = search.GuessObservable(value)
	}
	if !ok {
		return invalidParam("value", "not an observable of that type")
	}
	out.Observable.Value = norm
	f := mosaic.ObjectFilter{AnyObservable: []string{search.ObservableTerm(norm)}}
	if f.Limit, err = s.limitParam(q); err != nil {
		return err
	}
	if f.Before, err = s.decodeCursor(r.Context(), q.Get("cursor")); err != nil {
		return err
	}
	page, err := s.store.Objects(r.Context(), v, f)
	if err != nil {
		return err
	}
	if err := s.recordRead(v, "observables.occurrences", ids(page.Objects), mosaic.Allowed, r.URL.RawQuery); err != nil {
		return err
	}
	out.Objects = apiObjects(page.Objects)
	if out.Next, err = s.encodeCursor(r.Context(), page.Next); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func objectID(obj []byte) string {
	var head struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(obj, &head)
	return head.ID
}
