package api

import (
	"net/http"
	"strings"

	"mosaic"
	"mosaic/content"
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

func (s *Server) correlations(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "limit", "cursor")
	if err != nil {
		return err
	}
	limit, err := s.limitParam(q)
	if err != nil {
		return err
	}
	before, err := s.cursorParam(r, q)
	if err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		c, err := s.content.Correlations(r.Context(), v, r.PathValue("id"), limit, before, content.Access{Action: "objects.correlations", Detail: r.URL.RawQuery})
		if err != nil {
			return nil, err
		}
		page := CorrelationPage{Objects: []Correlated{}}
		for _, o := range c.Objects {
			page.Objects = append(page.Objects, Correlated{Object: apiObject(o.StoredObject), Shared: o.Shared})
		}
		if page.Next, err = s.cursors.Seal(r.Context(), c.Next); err != nil {
			return nil, err
		}
		return page, nil
	})
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
	if f.Before, err = s.cursorParam(r, q); err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		page, err := s.content.List(r.Context(), v, f, content.Access{Action: "observables.occurrences", Detail: r.URL.RawQuery})
		if err != nil {
			return nil, err
		}
		out.Objects = apiObjects(page.Objects)
		if out.Next, err = s.cursors.Seal(r.Context(), page.Next); err != nil {
			return nil, err
		}
		return out, nil
	})
}
