package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"mosaic"
	"mosaic/stix"
)

// Reporting a sighting from the portal: a recipient says that it saw one
// of a release's indicators or observations, when, how many times and
// where. The page builds the STIX 2.1 sighting and reports it through the
// content service, as the REST API's sightings do.

// MaxSightingWhere bounds in characters where a sighting was seen, which
// the sighting keeps as its description.
const MaxSightingWhere = 200

// MaxSightingCount is the most times one sighting may count.
const MaxSightingCount = 999_999_999

// sightingTimeLayout is the form of a datetime-local input's value.
const sightingTimeLayout = "2006-01-02T15:04"

// sightableTypes are the types a sighting may be of that the form offers: a
// sighting refers to a STIX Domain Object, so observations are offered as
// their observed-data.
var sightableTypes = []string{"indicator", "observed-data"}

type sightingOption struct {
	ID, Type, Name string
}

// sightingForm is the form to report a sighting, as last filled in.
type sightingForm struct {
	Of       []sightingOption
	Chosen   string
	Seen     string
	Count    string
	Where    string
	MaxWhere int
	Error    string
}

// sightable lists the indicators and observations of a released bundle
// that a sighting may be of, in the bundle's order.
func sightable(bundle []byte) ([]sightingOption, error) {
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, mosaic.Internal(err, "decode a released bundle")
	}
	var out []sightingOption
	for _, raw := range b.Objects {
		m := props(raw)
		if t := str(m, "type"); slices.Contains(sightableTypes, t) {
			out = append(out, sightingOption{ID: str(m, "id"), Type: t, Name: displayName(m)})
		}
	}
	return out, nil
}

// sightingBundle is the STIX 2.1 bundle of one sighting of of, seen
// count times at seen, where, made at now.
func sightingBundle(of string, seen time.Time, count int, where string, now time.Time) ([]byte, error) {
	sighting := map[string]any{
		"type":            "sighting",
		"spec_version":    "2.1",
		"id":              "sighting--" + stix.NewUUID(),
		"created":         stix.FormatTime(now),
		"modified":        stix.FormatTime(now),
		"first_seen":      stix.FormatTime(seen),
		"last_seen":       stix.FormatTime(seen),
		"count":           count,
		"sighting_of_ref": of,
	}
	if where != "" {
		sighting["description"] = where
	}
	return json.Marshal(map[string]any{
		"type":    "bundle",
		"id":      "bundle--" + stix.NewUUID(),
		"objects": []any{sighting},
	})
}

// portalSighting reports the sighting the form on a release's page
// describes, and sends the user back to the page, which confirms it; a
// sighting refused is shown on the page with the form as it was filled
// in.
func (s *Server) portalSighting(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.portalOn(r, q); err != nil {
		return err
	}
	id, err := portalID(r)
	if err != nil {
		return err
	}
	p := s.newPage(q, "releases")
	v, err := s.portalReleaseView(r, q, p, id)
	if err != nil {
		return err
	}
	f := &v.Sighting
	f.Chosen = r.PostFormValue("of")
	f.Seen = strings.TrimSpace(r.PostFormValue("seen"))
	f.Count = strings.TrimSpace(r.PostFormValue("count"))
	f.Where = strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("where"), "\r\n", "\n"))
	show := func(status int, msg string) error {
		f.Error = msg
		p.Title = v.Title
		p.Data = v
		s.render(w, status, "portal-release", p)
		return nil
	}
	if !v.Withdrawn.IsZero() {
		return show(http.StatusConflict, p.T("portal.sighting.withdrawn"))
	}
	seen, err := time.ParseInLocation(sightingTimeLayout, f.Seen, time.UTC)
	if err != nil {
		seen, err = time.ParseInLocation(sightingTimeLayout+":05", f.Seen, time.UTC)
	}
	if err != nil || seen.Year() < 1 || seen.Year() > 9999 {
		return show(http.StatusBadRequest, p.T("portal.sighting.badtime", shorten(f.Seen, 32)))
	}
	count, err := strconv.Atoi(f.Count)
	if err != nil || count < 1 || count > MaxSightingCount {
		return show(http.StatusBadRequest, p.T("portal.sighting.badcount", shorten(f.Count, 32), MaxSightingCount))
	}
	if n := utf8.RuneCountInString(f.Where); n > MaxSightingWhere || !utf8.ValidString(f.Where) {
		return show(http.StatusBadRequest, p.T("portal.sighting.longwhere", MaxSightingWhere, n))
	}
	if strings.ContainsFunc(f.Where, unicode.IsControl) {
		return show(http.StatusBadRequest, p.T("portal.sighting.badwhere"))
	}
	if f.Chosen == "" {
		return show(http.StatusBadRequest, p.T("portal.sighting.noobject"))
	}
	bundle, err := sightingBundle(f.Chosen, seen, count, f.Where, s.clock.Now())
	if err != nil {
		return err
	}
	if _, err := s.content.ReportSightings(r.Context(), q.viewer, id, bundle, access("web.release.sighting", "")); err != nil {
		switch mosaic.ErrorCode(err) {
		case mosaic.CodeInvalid, mosaic.CodeTooLarge, mosaic.CodeConflict:
			return show(http.StatusBadRequest, p.T("portal.sighting.refused", problemText(err)))
		}
		return notDelivered(err, id)
	}
	http.Redirect(w, r, "/releases/"+id+"?"+url.Values{"sighted": {"1"}}.Encode()+"#reported", http.StatusSeeOther)
	return nil
}
