package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"

	"mosaic"
	"mosaic/misp"
	"mosaic/search"
	"mosaic/stix"
)

// contributeMISP stores a MISP event, converted to STIX 2.1 as the REST
// API's POST /api/v1/misp/events does, all or nothing, and lists what of
// it could not be mapped rather than dropping it silently.
func (s *Server) contributeMISP(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults) error {
	body := q.file
	switch {
	case len(body) == 0:
		v.Errors["file"] = append(v.Errors["file"], q.t("contribute.file.missing"))
	case !misp.IsEvent(body):
		v.Errors["file"] = append(v.Errors["file"], q.t("contribute.misp.notevent"))
	}
	ownMarkings(r, q, &v)
	var skipped []misp.Skip
	return s.storeForm(w, q, v, "file", func() (mosaic.IngestResult, error) {
		res, sk, err := s.content.ContributeMISP(r.Context(), q.viewer, body, p, ingestAccess)
		skipped = sk
		return res, err
	}, func(v *contributeView) {
		for i, sk := range skipped {
			if i == MaxShownProblems {
				v.Skipped = append(v.Skipped, q.t("contribute.misp.more", len(skipped)-i))
				break
			}
			v.Skipped = append(v.Skipped, sk.What+": "+sk.Reason)
		}
	})
}

// MaxListLines bounds a text list of indicators.
const MaxListLines = 10_000

// contributeList stores a text list of indicators, one observable a line
// (IP address, CIDR block, domain, URL, hash or e-mail address, its kind
// guessed), each as a STIX indicator whose pattern is built from the
// normalised value. One bad line stores nothing: the list is checked whole
// first, and the problems are named by line. A text file, when one is
// chosen, stands for the written list.
func (s *Server) contributeList(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults) error {
	text := r.PostFormValue("list")
	if len(q.file) > 0 {
		text = string(q.file)
	}
	if len(text) <= maxFormBytes {
		v.Values["list"] = text
	}
	marking := tlpMarking(r, &v)
	now := s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	identity, err := s.identity(r, q)
	if err != nil {
		return err
	}
	objs, problems := parseIndicatorList(q, text, now, identity, marking)
	if len(problems) > 0 {
		v.Errors["list"] = problems
	}
	if len(v.Errors) > 0 {
		s.renderContribute(w, q, http.StatusBadRequest, v)
		return nil
	}
	body, err := json.Marshal(map[string]any{"type": "bundle", "id": stix.NewID("bundle"), "objects": objs})
	if err != nil {
		return mosaic.Internal(err, "encode indicators")
	}
	return s.storeBundle(w, r, q, v, "list", body, p)
}

// parseIndicatorList turns the lines of text into indicators, or says what
// is wrong with which lines. Empty lines and lines starting with # are
// skipped; a value given twice makes one indicator.
func parseIndicatorList(q *request, text, now, identity string, marking []string) ([]any, []string) {
	var objs []any
	var problems []string
	seen := map[string]bool{}
	lines := strings.Split(text, "\n")
	if len(lines) > MaxListLines {
		return nil, []string{q.t("contribute.list.toolong", MaxListLines)}
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pattern, value, ok := observablePattern(line)
		if !ok {
			if len(problems) == MaxShownProblems {
				problems = append(problems, q.t("contribute.list.more"))
				break
			}
			problems = append(problems, q.t("contribute.list.bad", i+1, shorten(line, 80)))
			continue
		}
		if seen[pattern] {
			continue
		}
		seen[pattern] = true
		o := map[string]any{"type": "indicator", "spec_version": "2.1", "id": stix.NewID("indicator"), "created": now, "modified": now, "created_by_ref": identity,
			"name": shorten(value, 200), "pattern": pattern, "pattern_type": "stix", "valid_from": now}
		if marking != nil {
			o["object_marking_refs"] = marking
		}
		objs = append(objs, o)
	}
	if len(objs) == 0 && len(problems) == 0 {
		problems = append(problems, q.t("contribute.list.empty"))
	}
	return objs, problems
}

// observablePattern guesses what kind of observable s is and returns the
// STIX pattern that matches its normalised value, and that value.
func observablePattern(s string) (pattern, value string, ok bool) {
	kind, v, ok := search.GuessObservable(s)
	if !ok {
		return "", "", false
	}
	if n, ok := search.NormalizeObservable(kind, v); ok {
		v = n
	}
	var path string
	switch kind {
	case search.KindIPv4:
		path = "ipv4-addr:value"
	case search.KindIPv6:
		path = "ipv6-addr:value"
	case search.KindCIDR:
		pfx, err := netip.ParsePrefix(v)
		if err != nil {
			return "", "", false
		}
		path = "ipv6-addr:value"
		if pfx.Addr().Is4() {
			path = "ipv4-addr:value"
		}
	case search.KindDomain:
		path = "domain-name:value"
	case search.KindURL:
		path = "url:value"
	case search.KindEmail:
		path = "email-addr:value"
	case search.KindMAC:
		path = "mac-addr:value"
	case search.KindMD5:
		path = "file:hashes.MD5"
	case search.KindSHA1:
		path = "file:hashes.'SHA-1'"
	case search.KindSHA256:
		path = "file:hashes.'SHA-256'"
	case search.KindSHA512:
		path = "file:hashes.'SHA-512'"
	default:
		return "", "", false
	}
	// A STIX pattern's string literal escapes quote and backslash.
	lit := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v)
	return fmt.Sprintf("[%s = '%s']", path, lit), v, true
}
