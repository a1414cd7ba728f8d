package taxii

import (
	"mime"
	"net/http"
	"strconv"
	"strings"

	"mosaic"
)

// acceptable reports whether the Accept header values admit the one media
// type this server answers in, application/taxii+json;version=2.1. TAXII
// §3.1 requires clients to send a TAXII media range; requests with other
// ranges MAY be served or refused with 406. Following RFC 7231 §5.3.2, the
// most specific range that matches decides, and q=0 refuses: so
// "application/taxii+json", "application/taxii+json;version=2.1",
// "application/*" and "*/*" are served, "application/taxii+json;version=2.0"
// is not. No Accept header at all means any media type (RFC 7231), and is
// served too.
func acceptable(values []string) bool {
	best, q := -1, 0.0
	seen := false
	for _, v := range values {
		for _, elem := range splitList(v) {
			if strings.TrimSpace(elem) == "" {
				continue
			}
			seen = true
			mt, params, err := mime.ParseMediaType(elem)
			if err != nil {
				continue // RFC 7231: an invalid range is ignored
			}
			spec := specificity(mt, params)
			if spec < 0 {
				continue
			}
			weight := 1.0
			if s, ok := params["q"]; ok {
				w, err := strconv.ParseFloat(s, 64)
				if err != nil || w < 0 || w > 1 {
					continue
				}
				weight = w
			}
			if spec > best || (spec == best && weight > q) {
				best, q = spec, weight
			}
		}
	}
	if !seen {
		return true
	}
	return best >= 0 && q > 0
}

// specificity ranks how closely a media range names the TAXII 2.1 media
// type: 3 for application/taxii+json;version=2.1, 2 for
// application/taxii+json without a version (the latest the server
// supports, TAXII §1.6.8.2), 1 for application/*, 0 for */*, and -1 when
// it does not match at all.
func specificity(mt string, params map[string]string) int {
	switch mt {
	case "application/taxii+json":
		switch v, ok := params["version"]; {
		case !ok:
			return 2
		case v == "2.1":
			return 3
		}
	case "application/*":
		return 1
	case "*/*":
		return 0
	}
	return -1
}

// splitList splits a header value at the commas that are not inside a
// quoted string.
func splitList(s string) []string {
	var out []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case quoted && c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// contentType accepts the media type of an upload: a TAXII envelope as
// application/taxii+json, with version 2.1 or without a version (the
// latest, which is 2.1), in UTF-8.
func contentType(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "application/taxii+json" {
		v, cs := params["version"], params["charset"]
		if (v == "" || v == "2.1") && (cs == "" || strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	return mosaic.Errorf(mosaic.CodeUnsupported, "send a TAXII envelope as %s", MediaType)
}
