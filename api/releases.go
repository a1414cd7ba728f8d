package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"mosaic"
	"mosaic/content"
	"mosaic/export"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/release"
)

// ReleaseKeys is the answer of GET /api/v1/releases/keys.
type ReleaseKeys struct {
	Keys []release.PublicKey `json:"keys"`
}

// releaseKeys publishes the release signing keys' public halves, oldest
// first, to anyone: a recipient pins them (mosaic release pin) after
// checking an id with the cell, and verifies snapshots offline.
func (s *Server) releaseKeys(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	keys := s.content.ReleaseKeys()
	if keys == nil {
		return mosaic.Errorf(mosaic.CodeNotFound, "this server makes no releases")
	}
	return writeJSON(w, http.StatusOK, ReleaseKeys{Keys: keys})
}

// Recipients is the answer of GET /api/v1/recipients.
type Recipients struct {
	Recipients []content.Recipient `json:"recipients"`
}

// recipients lists whom a release may be addressed to (see
// content.Service.Recipients).
func (s *Server) recipients(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	rs, err := s.content.Recipients(r.Context(), v, content.Access{Action: "recipients.read"})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, Recipients{Recipients: rs})
}

// Release is a release as the cell sees it: its drafting organisation in
// full, an organisation asked for consent its own part (the store cuts
// items and consents to it). Items carry their objects in the answer to
// GET only, cut to what the caller can see; the answers to a change
// leave the objects out, and those to a consent, publish or withdrawal
// the items too (read the release for them). Another organisation's
// consent shows the sanitisations of the items shown only. Delivery is
// the release as it was delivered to the caller, when it was.
type Release struct {
	mosaic.Release
	Items    []ReleaseItem `json:"items,omitempty"`
	Delivery *Delivery     `json:"delivery,omitempty"`
}

// ReleaseItem is an item of a release; Object is absent from the answers
// to changes.
type ReleaseItem struct {
	mosaic.ReleaseItem
	Object json.RawMessage `json:"object,omitempty"`
}

// Delivery is a published release as one recipient receives it: its own
// snapshot's parts, and the digest and signature of that snapshot as
// GET /api/v1/releases/{id}/snapshot serves it sealed.
type Delivery struct {
	mosaic.Delivery
	Digest    string `json:"digest"`
	KeyID     string `json:"key_id"`
	Signature []byte `json:"signature"`
}

// ReleasePage is the answer of GET /api/v1/releases and of GET
// /api/v1/public/releases.
type ReleasePage struct {
	Releases []mosaic.ReleaseSummary `json:"releases"`
	Next     string                  `json:"next,omitempty"`
}

// PublishRequest is the body of POST /api/v1/releases/{id}/publish: the
// revision the caller means to publish; 0 (or no body) for the current
// one.
type PublishRequest struct {
	Revision int `json:"revision"`
}

// WithdrawRequest is the body of POST /api/v1/releases/{id}/withdraw.
type WithdrawRequest struct {
	Reason string `json:"reason"`
}

// ReceiptRequest is the body of POST /api/v1/releases/{id}/receipts, and
// its answer.
type ReceiptRequest struct {
	Status  mosaic.ReceiptStatus `json:"status"`
	Comment string               `json:"comment,omitempty"`
}

// SightingsResult is the answer of POST /api/v1/releases/{id}/sightings.
type SightingsResult struct {
	Sightings int `json:"sightings"`
}

// cellRelease renders r for v; items says whether the items are shown,
// objects whether they carry their objects. The sanitisations of other
// organisations' consents are cut to the items shown: they name objects
// and hold text made from them, and r's items are cut to what v can see
// only where they are shown (content.Service.Release).
func cellRelease(v mosaic.Viewer, r mosaic.Release, items, objects bool) (Release, error) {
	var shown map[string]bool
	if items {
		shown = map[string]bool{}
		for _, it := range r.Items {
			shown[strings.ToLower(it.ID)] = true
		}
	}
	consents, err := cutSanitise(r.Consents, v.Org, shown)
	if err != nil {
		return Release{}, err
	}
	r.Consents = consents
	out := Release{Release: r}
	if r.Consents == nil {
		out.Consents = []mosaic.ReleaseConsent{}
	}
	if r.Recipients == nil {
		out.Recipients = []string{}
	}
	if !items {
		return out, nil
	}
	for _, it := range r.Items {
		ri := ReleaseItem{ReleaseItem: it}
		if objects {
			ri.Object = it.Object
		}
		out.Items = append(out.Items, ri)
	}
	return out, nil
}

// cutSanitise keeps, of the sanitisations of consents other than org's,
// those of the objects in shown.
func cutSanitise(cs []mosaic.ReleaseConsent, org string, shown map[string]bool) ([]mosaic.ReleaseConsent, error) {
	out := slices.Clone(cs)
	for i, c := range out {
		if c.Org == org || len(c.Sanitise) == 0 || string(c.Sanitise) == "null" {
			continue
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(c.Sanitise, &m); err != nil {
			return nil, mosaic.Internal(err, "decode a consent's sanitisation")
		}
		for id := range m {
			if !shown[strings.ToLower(id)] {
				delete(m, id)
			}
		}
		out[i].Sanitise = nil
		if len(m) > 0 {
			b, err := json.Marshal(m)
			if err != nil {
				return nil, mosaic.Internal(err, "encode a consent's sanitisation")
			}
			out[i].Sanitise = b
		}
	}
	return out, nil
}

func deliveryOf(d mosaic.Delivery) Delivery {
	return Delivery{Delivery: d, Digest: d.Seal.Digest, KeyID: d.Seal.KeyID, Signature: d.Seal.Signature}
}

// MaxReleasePage is the largest page of a listing of releases, whatever
// the server's max_page_size.
const MaxReleasePage = 1000

// releaseStates are the states a listing filters on.
var releaseStates = []mosaic.ReleaseState{mosaic.ReleaseDraft, mosaic.ReleaseAwaitingConsent, mosaic.ReleaseReady, mosaic.ReleasePublished, mosaic.ReleaseWithdrawn}

// releaseAccess names a release request for the audit log; a request
// without a token says so.
func releaseAccess(r *http.Request, action string) content.Access {
	a := content.Access{Action: action}
	if strings.HasPrefix(r.URL.Path, "/api/v1/public/") {
		a.Detail = "without a token"
	}
	return a
}

// releaseID is the release a path names. Release ids are UUIDs; what
// cannot be one is not looked for, and so never reaches the audit log.
func releaseID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if len(id) > 64 || strings.Trim(strings.ToLower(id), "0123456789abcdef-") != "" || id == "" {
		return "", mosaic.Errorf(mosaic.CodeNotFound, "release %.64q not found", id)
	}
	return id, nil
}

// turnsOf is the viewer whose listing turns a request takes: its user's,
// or without a token its client address's.
func turnsOf(r *http.Request, v mosaic.Viewer) mosaic.Viewer {
	if v.UserID == 0 {
		return anonymousTurns(r)
	}
	return v
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "state", "asked", "limit", "cursor")
	if err != nil {
		return err
	}
	var f mosaic.ReleaseFilter
	switch q.Get("asked") {
	case "", "false":
	case "true":
		f.Asked = true
	default:
		return invalidParam("asked", "want true or false")
	}
	states, err := list(q, "state")
	if err != nil {
		return err
	}
	for _, st := range states {
		if !slices.Contains(releaseStates, mosaic.ReleaseState(st)) {
			return invalidParam("state", "want draft, awaiting-consent, ready, published or withdrawn, comma-separated")
		}
		f.States = append(f.States, mosaic.ReleaseState(st))
	}
	if f.Limit, err = s.limitParam(q); err != nil {
		return err
	}
	// The store pages no further; a larger page would end the listing
	// early with no next.
	f.Limit = min(f.Limit, MaxReleasePage)
	if f.Before, err = s.cursorParam(r, q); err != nil {
		return err
	}
	a := releaseAccess(r, "releases.list")
	a.Detail = strings.TrimSpace(a.Detail + " " + r.URL.RawQuery)
	return s.listed(w, r, turnsOf(r, v), func() (any, error) {
		rs, err := s.content.ReleaseList(r.Context(), v, f, a)
		if err != nil {
			return nil, err
		}
		page := ReleasePage{Releases: rs}
		if page.Releases == nil {
			page.Releases = []mosaic.ReleaseSummary{}
		}
		if len(rs) == f.Limit {
			if page.Next, err = s.cursors.Seal(r.Context(), rs[len(rs)-1].Seq); err != nil {
				return nil, err
			}
		}
		return page, nil
	})
}

func (s *Server) getRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	return s.listed(w, r, turnsOf(r, v), func() (any, error) {
		view, err := s.content.Release(r.Context(), v, id, releaseAccess(r, "releases.read"))
		if err != nil {
			return nil, err
		}
		if view.Release == nil {
			return deliveryOf(*view.Delivery), nil
		}
		out, err := cellRelease(v, *view.Release, true, true)
		if err != nil {
			return nil, err
		}
		if view.Delivery != nil {
			d := deliveryOf(*view.Delivery)
			out.Delivery = &d
		}
		return out, nil
	})
}

// releaseBody reads the body of a release request that may be large (a
// draft, a consent's sanitisations, a report of sightings) as an upload:
// under the body limit, in v's upload turns, once may allows v, and in
// a media type ctype accepts. A refusal is audited as a.
func (s *Server) releaseBody(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, a content.Access, may func(mosaic.Viewer) error, ctype func(*http.Request) error) (body []byte, up *gate.Upload, err error) {
	// Checked first, so that nobody who may not holds a turn.
	if err := may(v); err != nil {
		return nil, nil, s.content.Refuse(v, a, err)
	}
	defer func() {
		if err != nil {
			err = s.content.Refuse(v, a, err)
		}
	}()
	if _, err := queryParams(r); err != nil {
		return nil, nil, err
	}
	if err := ctype(r); err != nil {
		return nil, nil, err
	}
	return s.gate.Turns().ReadUpload(w, r, v, s.limits.MaxBodyBytes, "the limit")
}

// mayReport allows the recipients of releases, who report on them.
func mayReport(v mosaic.Viewer) error {
	if sc := policy.ReleaseScopeOf(v); sc.Org == "" && sc.User == "" {
		return mosaic.Errorf(mosaic.CodeForbidden, "only a release's recipients report on it")
	}
	return nil
}

func (s *Server) draftRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	a := releaseAccess(r, "releases.draft")
	body, up, err := s.releaseBody(w, r, v, a, policy.MayDraftRelease, jsonContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	var d content.Draft
	if err := decodeStrict(body, &d); err != nil {
		return s.content.Refuse(v, a, err)
	}
	rel, err := s.content.DraftRelease(r.Context(), v, d, a)
	if err != nil {
		return err
	}
	out, err := cellRelease(v, rel, true, false)
	if err != nil {
		return err
	}
	return s.answerUploadStatus(w, up, http.StatusCreated, out)
}

func (s *Server) reviseRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.revise")
	body, up, err := s.releaseBody(w, r, v, a, policy.MayDraftRelease, jsonContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	var d content.Draft
	if err := decodeStrict(body, &d); err != nil {
		return s.content.Refuse(v, a, err)
	}
	rel, err := s.content.ReviseRelease(r.Context(), v, id, d, a)
	if err != nil {
		return err
	}
	out, err := cellRelease(v, rel, true, false)
	if err != nil {
		return err
	}
	return s.answerUploadStatus(w, up, http.StatusOK, out)
}

func (s *Server) consentRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.consent")
	body, up, err := s.releaseBody(w, r, v, a, s.content.MightConsent, jsonContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	var c content.Consent
	if err := decodeStrict(body, &c); err != nil {
		return s.content.Refuse(v, a, err)
	}
	rel, err := s.content.Consent(r.Context(), v, id, c, a)
	if err != nil {
		return err
	}
	out, err := cellRelease(v, rel, false, false)
	if err != nil {
		return err
	}
	return s.answerUploadStatus(w, up, http.StatusOK, out)
}

func (s *Server) publishRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.publish")
	if _, err := queryParams(r); err != nil {
		return s.content.Refuse(v, a, err)
	}
	var req PublishRequest
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &req); err != nil {
			return s.content.Refuse(v, a, err)
		}
	}
	if req.Revision < 0 {
		return s.content.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "revision %d: a revision is positive", req.Revision))
	}
	rel, err := s.content.Publish(r.Context(), v, id, req.Revision, a)
	if err != nil {
		return err
	}
	out, err := cellRelease(v, rel, false, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) withdrawRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.withdraw")
	if _, err := queryParams(r); err != nil {
		return s.content.Refuse(v, a, err)
	}
	var req WithdrawRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return s.content.Refuse(v, a, err)
	}
	rel, err := s.content.Withdraw(r.Context(), v, id, req.Reason, a)
	if err != nil {
		return err
	}
	out, err := cellRelease(v, rel, false, false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) releaseReceipt(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.receipt")
	if _, err := queryParams(r); err != nil {
		return s.content.Refuse(v, a, err)
	}
	var req ReceiptRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		return s.content.Refuse(v, a, err)
	}
	if err := s.content.Receipt(r.Context(), v, id, req.Status, req.Comment, a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, req)
}

func (s *Server) releaseSightings(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	a := releaseAccess(r, "releases.sightings")
	body, up, err := s.releaseBody(w, r, v, a, mayReport, stixContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	n, err := s.content.ReportSightings(r.Context(), v, id, body, a)
	if err != nil {
		return err
	}
	return s.answerUpload(w, up, SightingsResult{Sightings: n})
}

func (s *Server) releaseFeedback(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		fb, err := s.content.Feedback(r.Context(), v, id, releaseAccess(r, "releases.feedback"))
		if err != nil {
			return nil, err
		}
		if fb.Receipts == nil {
			fb.Receipts = []mosaic.Receipt{}
		}
		if fb.Sightings == nil {
			fb.Sightings = []mosaic.ReportedSighting{}
		}
		return fb, nil
	})
}

func (s *Server) releaseRecord(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		return s.content.ReleaseRecord(r.Context(), v, id, releaseAccess(r, "releases.record"))
	})
}

func (s *Server) releaseSnapshot(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	return s.rendered(w, r, turnsOf(r, v), func() (rendering, error) {
		file, err := s.content.SnapshotFile(r.Context(), v, id, releaseAccess(r, "releases.snapshot"))
		if err != nil {
			return rendering{}, err
		}
		return rendering{body: file, contentType: "application/json", filename: "release-" + id + ".json"}, nil
	})
}

func (s *Server) releaseWithdrawal(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	entry, err := s.content.WithdrawalEntry(r.Context(), v, id, releaseAccess(r, "releases.withdrawal"))
	if err != nil {
		return err
	}
	middleware.Write(w, http.StatusOK, entry, "application/json")
	return nil
}

// exportTypes are the media types and file name extensions of the
// export formats.
var exportTypes = map[string]struct{ contentType, ext string }{
	"stix": {"application/stix+json;version=2.1", "json"},
	"misp": {"application/json", "json"},
	"csv":  {"text/csv; charset=utf-8", "csv"},
}

// exportRelease writes the bundle delivered to the caller through
// package export. The released objects are plain STIX: each is handled
// at the TLP its marking names (the release's where it names none), with
// no originator or audience, and a STIX export holds them exactly as
// released, without handling objects.
func (s *Server) exportRelease(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "format")
	if err != nil {
		return err
	}
	id, err := releaseID(r)
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" {
		format = "stix"
	}
	if !slices.Contains(export.Formats(), format) {
		return invalidParam("format", "want one of "+strings.Join(export.Formats(), ", "))
	}
	return s.rendered(w, r, v, func() (rendering, error) {
		d, err := s.content.Delivered(r.Context(), v, id, releaseAccess(r, "releases.export"))
		if err != nil {
			return rendering{}, err
		}
		if !d.Withdrawn.IsZero() {
			return rendering{}, mosaic.Errorf(mosaic.CodeConflict, "release %s was withdrawn: its objects are revoked, and are not to be acted on", id)
		}
		body, err := export.Released(d.Bundle, d.TLP, format, s.clock.Now())
		if err != nil {
			return rendering{}, err
		}
		t, ok := exportTypes[format]
		if !ok {
			t.contentType, t.ext = "text/plain; charset=utf-8", "txt"
		}
		return rendering{body: body, contentType: t.contentType, filename: "release-" + id + "-" + format + "." + t.ext}, nil
	})
}
