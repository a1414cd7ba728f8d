package taxii

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/stix"
)

// endpoint names a listing endpoint: which filters it takes (TAXII §5.3,
// 5.4, 5.6, 5.7, 5.8), and which cursors belong to it.
type endpoint struct {
	name   string
	match  []string // the match fields it supports
	paging bool     // whether it takes added_after, limit and next
}

var (
	epObjects  = endpoint{"objects", []string{"id", "type", "version", "spec_version"}, true}
	epManifest = endpoint{"manifest", []string{"id", "type", "version", "spec_version"}, true}
	epObject   = endpoint{"object", []string{"version", "spec_version"}, true}
	epVersions = endpoint{"versions", []string{"spec_version"}, true}
	epDelete   = endpoint{"delete", []string{"version", "spec_version"}, false}
)

// query is a listing request's filters, checked.
type query struct {
	ids, types []string
	// versions are the store's version selectors (mosaic.VersionLast, ...,
	// or timestamp keys); nil is the default, the last version.
	versions []string
	// noMatch is set when match[spec_version] names no version Mosaic
	// stores (it stores STIX 2.1 only): nothing can match.
	noMatch bool
	// addedAfter is the added_after time, truncated to microseconds, the
	// precision of date_added; zero when not given.
	addedAfter time.Time
	limit      int
	after      int64 // the storage position next continues after
	// binding ties a cursor to the query it continues (see sealCursor).
	binding string
}

// MaxMatchValues is the most values one match field takes.
const MaxMatchValues = 500

// stixID is the form of a STIX identifier; upper-case hex is accepted as
// the STIX schemas do, so that every stored id can be asked for.
var stixID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

var specVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

func invalidParam(name, reason string) error {
	return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "invalid URL parameter " + name, Problems: []mosaic.Problem{{Property: name, Reason: reason}}}
}

// parseQuery reads the URL parameters of a listing on ep in collection
// coll (and of object, for the per-object endpoints). A malformed parameter
// is a 400 (TAXII §3.4), and so is a parameter given twice, which TAXII
// forbids for added_after and every match field. Match fields the endpoint
// does not take and parameters TAXII does not define are ignored, as
// TAXII §3.4 allows for fields a server does not understand.
func (s *Server) parseQuery(r *http.Request, ep endpoint, coll, object string) (query, error) {
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return query{}, mosaic.Errorf(mosaic.CodeInvalid, "malformed query string")
	}
	q := query{limit: s.opts.DefaultPageSize}
	bind := []string{ep.name, coll, object}
	// Fixed order, so that the binding does not depend on the order the
	// client wrote the parameters in.
	names := []string{}
	if ep.paging {
		names = append(names, "added_after", "limit", "next")
	}
	for _, f := range ep.match {
		names = append(names, "match["+f+"]")
	}
	var next string
	for _, name := range names {
		vs, ok := values[name]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			return query{}, invalidParam(name, "given more than once; give it once, with several values joined by commas where it takes several")
		}
		v := vs[0]
		switch name {
		case "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return query{}, invalidParam(name, "want a whole number greater than zero")
			}
			// A larger limit than the server gives is served with fewer
			// objects and "more" (TAXII §3.4).
			q.limit = min(n, s.opts.MaxPageSize)
			continue // the page size may change between pages
		case "next":
			next = v
			continue // checked below, against the rest of the query
		case "added_after":
			t, err := parseTime(v)
			if err != nil {
				return query{}, invalidParam(name, err.Error())
			}
			q.addedAfter = t
		case "match[id]":
			if q.ids, err = matchList(name, v, func(x string) string {
				if !stixID.MatchString(x) {
					return fmt.Sprintf("%q is not a STIX identifier (type--UUID)", x)
				}
				return ""
			}); err != nil {
				return query{}, err
			}
		case "match[type]":
			if q.types, err = matchList(name, v, nil); err != nil {
				return query{}, err
			}
		case "match[version]":
			if q.versions, err = versionList(v); err != nil {
				return query{}, err
			}
		case "match[spec_version]":
			svs, err := matchList(name, v, func(x string) string {
				if !specVersion.MatchString(x) {
					return fmt.Sprintf("%q is not a specification version such as 2.1", x)
				}
				return ""
			})
			if err != nil {
				return query{}, err
			}
			// Mosaic stores STIX 2.1 only: 2.1 selects everything, any
			// other version nothing.
			q.noMatch = !slices.Contains(svs, "2.1")
		}
		bind = append(bind, name+"="+v)
	}
	q.binding = strings.Join(bind, "\x00")
	if next != "" {
		if q.after, err = s.openCursor(r.Context(), next, q.binding); err != nil {
			return query{}, err
		}
	}
	return q, nil
}

// matchList splits a match field's comma-separated values (TAXII §3.4:
// "separated by a comma without any spaces") and checks each with bad,
// which says what is wrong or "".
func matchList(name, v string, bad func(string) string) ([]string, error) {
	parts := strings.Split(v, ",")
	if len(parts) > MaxMatchValues {
		return nil, invalidParam(name, fmt.Sprintf("at most %d values", MaxMatchValues))
	}
	for _, p := range parts {
		switch {
		case p == "":
			return nil, invalidParam(name, "an empty value; separate values by single commas")
		case strings.ContainsAny(p, " \t"):
			return nil, invalidParam(name, fmt.Sprintf("%q has spaces; separate values by commas without spaces", p))
		case bad != nil && bad(p) != "":
			return nil, invalidParam(name, bad(p))
		}
	}
	slices.Sort(parts)
	return slices.Compact(parts), nil
}

// versionList reads match[version]: last, first, all or STIX timestamps,
// each at most once, and all alone (TAXII §3.4.1).
func versionList(v string) ([]string, error) {
	const name = "match[version]"
	parts, err := matchList(name, v, nil)
	if err != nil {
		return nil, err
	}
	if n := len(strings.Split(v, ",")); n != len(parts) {
		return nil, invalidParam(name, "a value given twice; each keyword and each version may occur once")
	}
	out := make([]string, 0, len(parts))
	keys := map[string]string{}
	for _, p := range parts {
		switch p {
		case mosaic.VersionLast, mosaic.VersionFirst:
			out = append(out, p)
		case mosaic.VersionAll:
			if len(parts) > 1 {
				return nil, invalidParam(name, "all may not be combined with other versions")
			}
			out = append(out, p)
		default:
			k, err := stix.TimeKey(p)
			if err != nil {
				return nil, invalidParam(name, fmt.Sprintf("%q is not last, first, all or a STIX timestamp such as 2016-01-01T01:01:01.000Z", p))
			}
			if prev, ok := keys[k]; ok {
				return nil, invalidParam(name, fmt.Sprintf("%s and %s are the same version", prev, p))
			}
			keys[k] = p
			out = append(out, k)
		}
	}
	return out, nil
}

// parseTime reads added_after. TAXII timestamps have microseconds
// ("YYYY-MM-DDTHH:MM:SS.ssssssZ"); any number of fraction digits is
// accepted, since clients echo the X-TAXII-Date-Added-Last header of other
// servers with other precisions. The time is truncated to microseconds:
// date_added has no finer precision, so "added after t" is "added after t
// truncated".
func parseTime(v string) (time.Time, error) {
	k, err := stix.TimeKey(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a timestamp such as 2026-11-01T09:00:00.000000Z", v)
	}
	t, err := stix.KeyTime(k)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a timestamp such as 2026-11-01T09:00:00.000000Z", v)
	}
	return t.Truncate(time.Microsecond), nil
}

// formatTime writes a TAXII timestamp: UTC with microseconds (TAXII §2).
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// A cursor is the storage position a listing continues after, sealed
// (package seal): positions count every organisation's records, so an
// open one would tell a viewer how many hidden records lie between two it
// may see. The purpose binds it to the endpoint,
// collection, object and filters of the query that made it, so that a
// cursor is never taken for another query's (TAXII appendix B: next "MUST
// NOT be implicitly trusted").
const cursorPurpose = "mosaic taxii cursor v1\x00"

func (s *Server) sealCursor(ctx context.Context, seq int64, binding string) (string, error) {
	return s.cursors.Seal(ctx, cursorPurpose+binding, seq)
}

func (s *Server) openCursor(ctx context.Context, c, binding string) (int64, error) {
	p, ok, err := s.cursors.Open(ctx, cursorPurpose+binding, c, 1)
	if err != nil {
		return 0, err
	}
	if !ok || p[0] <= 0 {
		return 0, invalidParam("next", "not a next value this server gave for this query; repeat the query's other parameters unchanged with the next value of the previous page")
	}
	return p[0], nil
}
