package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/middleware"
	"mosaic/stix"
)

// queryParams returns the request's query parameters after checking that
// each is one of allowed and given once. A misspelt parameter is an error,
// not silently ignored: a typo in "audience" must not share nothing, or
// everything, by accident.
func queryParams(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "malformed query string")
	}
	var problems []mosaic.Problem
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(allowed, k):
			problems = append(problems, mosaic.Problem{Property: k, Reason: "unknown query parameter; known: " + strings.Join(allowed, ", ")})
		case len(q[k]) > 1:
			problems = append(problems, mosaic.Problem{Property: k, Reason: "given more than once; join several values with commas"})
		}
	}
	if len(problems) > 0 {
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "invalid query parameters", Problems: problems}
	}
	return q, nil
}

func invalidParam(name, reason string) error {
	return &mosaic.Error{Code: mosaic.CodeInvalid, Message: "invalid query parameter " + name, Problems: []mosaic.Problem{{Property: name, Reason: reason}}}
}

// MaxListValues is the most values one list parameter (type, originator,
// tlp) takes.
const MaxListValues = 50

// list splits a comma-separated parameter.
func list(q url.Values, name string) ([]string, error) {
	v := q.Get(name)
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > MaxListValues {
		return nil, invalidParam(name, fmt.Sprintf("at most %d values", MaxListValues))
	}
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

func boolParam(q url.Values, name string) (*bool, error) {
	if !q.Has(name) {
		return nil, nil
	}
	b, err := strconv.ParseBool(q.Get(name))
	if err != nil {
		return nil, invalidParam(name, "want true or false")
	}
	return &b, nil
}

// timeParam reads a time bound as a STIX timestamp, an RFC 3339 time or a
// date, and returns its comparison key.
func timeParam(q url.Values, name string) (string, error) {
	v := q.Get(name)
	if v == "" {
		return "", nil
	}
	if k, err := stix.TimeKey(v); err == nil {
		return k, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return stix.TimeKey(stix.FormatTime(t.UTC()))
	}
	if t, err := time.Parse(mosaic.DateLayout, v); err == nil {
		return stix.TimeKey(stix.FormatTime(t))
	}
	return "", invalidParam(name, "want a timestamp such as 2026-11-01T00:00:00Z or a date such as 2026-11-01")
}

// cursorParam opens the cursor parameter: the position a listing
// continues before, zero for the first page.
func (s *Server) cursorParam(r *http.Request, q url.Values) (int64, error) {
	seq, ok, err := s.cursors.Open(r.Context(), q.Get("cursor"))
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, invalidParam("cursor", "not a cursor this server issued; use the next value of the previous page")
	}
	return seq, nil
}

func (s *Server) limitParam(q url.Values) (int, error) {
	if !q.Has("limit") {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n < 1 || n > s.limits.MaxPageSize {
		return 0, invalidParam("limit", "want a whole number from 1 to "+strconv.Itoa(s.limits.MaxPageSize))
	}
	return n, nil
}

// MaxJSONBytes bounds the JSON bodies of the directory and token
// endpoints, far below the upload limit: no organisation, user, token or
// membership needs more, and every user may call some of them.
const MaxJSONBytes = 64 << 10

// jsonReadTime bounds reading such a body, so that a client trickling
// bytes cannot hold a goroutine and a connection for long.
const jsonReadTime = 30 * time.Second

// decodeJSON reads a small JSON request body into v, rejecting unknown
// fields.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonContentType(r); err != nil {
		return err
	}
	b, err := middleware.ReadBody(w, r, MaxJSONBytes, "the limit", jsonReadTime)
	if err != nil {
		return err
	}
	return decodeStrict(b, v)
}

// decodeStrict decodes a JSON request body into v, rejecting unknown
// fields and trailing data.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var me *mosaic.Error
		if errors.As(err, &me) {
			return me
		}
		return mosaic.Errorf(mosaic.CodeInvalid, "request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return mosaic.Errorf(mosaic.CodeInvalid, "request body: trailing data after the JSON value")
	}
	return nil
}

func jsonContentType(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" || (params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8")) {
		return mosaic.Errorf(mosaic.CodeUnsupported, "send the body as application/json")
	}
	return nil
}

// stixContentType accepts the media types of a STIX bundle upload.
func stixContentType(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		switch {
		case mt == "application/json" && (params["charset"] == "" || strings.EqualFold(params["charset"], "utf-8")):
			return nil
		case mt == "application/stix+json" && (params["version"] == "" || params["version"] == "2.1"):
			return nil
		}
	}
	return mosaic.Errorf(mosaic.CodeUnsupported, "send a STIX bundle as application/json or application/stix+json;version=2.1")
}
