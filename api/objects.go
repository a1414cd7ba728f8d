package api

import (
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"mosaic"
	"mosaic/content"
	"mosaic/gate"
	"mosaic/middleware"
	"mosaic/policy"
	"mosaic/stix"
)

// Object is a record as the API returns it: the STIX object, its envelope
// and whether the object names its originator as its creator (see
// mosaic.StoredObject.ByOriginator).
type Object struct {
	Object       json.RawMessage `json:"object"`
	Envelope     mosaic.Envelope `json:"envelope"`
	ByOriginator bool            `json:"by_originator"`
}

func apiObject(o mosaic.StoredObject) Object {
	return Object{Object: o.Object, Envelope: o.Envelope, ByOriginator: o.ByOriginator}
}

func apiObjects(objs []mosaic.StoredObject) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		out[i] = apiObject(o)
	}
	return out
}

// ingestAccess names an upload for the audit log.
var ingestAccess = content.Access{Action: "objects.ingest"}

// upload takes the steps every upload shares: the right to contribute,
// the content type, the envelope parameters and the body, read in the
// gate's turns. done gives the storing turn back. A refusal is audited.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, contentType func(*http.Request) error) (body []byte, d mosaic.EnvelopeDefaults, up *gate.Upload, err error) {
	if err := s.content.MayContribute(v, ingestAccess); err != nil {
		return nil, d, nil, err
	}
	defer func() {
		if err != nil {
			err = s.content.Refuse(v, ingestAccess, err)
		}
	}()
	if err := contentType(r); err != nil {
		return nil, d, nil, err
	}
	if d, err = envelopeDefaults(r); err != nil {
		return nil, d, nil, err
	}
	body, up, err = s.gate.Turns().ReadUpload(w, r, v, s.limits.MaxBodyBytes, "the limit")
	return body, d, up, err
}

func (s *Server) postBundle(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	body, d, up, err := s.upload(w, r, v, stixContentType)
	if err != nil {
		return err
	}
	defer up.Done()
	res, _, err := s.content.Contribute(r.Context(), v, body, d, ingestAccess)
	if err != nil {
		return err
	}
	return s.answerUpload(w, up, res)
}

// answerUpload gives the storing turn back and then writes the answer of
// an upload at the pace: a client that does not read it holds only one of
// its own user's turns (the caller's up.Done gives it back), and that no
// longer than the pace allows.
func (s *Server) answerUpload(w http.ResponseWriter, up *gate.Upload, answer any) error {
	return s.answerUploadStatus(w, up, http.StatusCreated, answer)
}

// answerUploadStatus is answerUpload with another status than 201: an
// upload that changes what exists rather than adding to it.
func (s *Server) answerUploadStatus(w http.ResponseWriter, up *gate.Upload, status int, answer any) error {
	up.Stored()
	b, err := json.Marshal(answer)
	if err != nil {
		return mosaic.Internal(err, "encode answer")
	}
	middleware.WritePaced(w, status, b, "application/json", s.gate.Turns().Pace())
	return nil
}

// envelopeDefaults reads a batch's envelope defaults from the query.
func envelopeDefaults(r *http.Request) (mosaic.EnvelopeDefaults, error) {
	var d mosaic.EnvelopeDefaults
	q, err := queryParams(r, "audience", "orcon", "legal_basis", "review_by")
	if err != nil {
		return d, err
	}
	if q.Has("audience") {
		a, err := mosaic.ParseAudience(q.Get("audience"))
		if err != nil {
			return d, invalidParam("audience", mosaic.ErrorMessage(err))
		}
		d.Audience = &a
	}
	if d.ORCON, err = boolParam(q, "orcon"); err != nil {
		return d, err
	}
	if q.Has("legal_basis") {
		l := q.Get("legal_basis")
		d.LegalBasis = &l
	}
	if q.Has("review_by") {
		rb := q.Get("review_by")
		d.ReviewBy = &rb
	}
	return d, nil
}

// ObjectPage is the answer of GET /api/v1/objects.
type ObjectPage struct {
	Objects []Object `json:"objects"`
	Next    string   `json:"next,omitempty"`
}

func (s *Server) listObjects(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "type", "originator", "tlp", "audience", "created_after", "created_before", "modified_after", "modified_before", "q", "limit", "cursor")
	if err != nil {
		return err
	}
	f := mosaic.ObjectFilter{Audience: strings.TrimSpace(q.Get("audience")), Query: q.Get("q")}
	if f.Types, err = list(q, "type"); err != nil {
		return err
	}
	if f.Originators, err = list(q, "originator"); err != nil {
		return err
	}
	tlps, err := list(q, "tlp")
	if err != nil {
		return err
	}
	for _, t := range tlps {
		tlp, err := mosaic.ParseTLP(t)
		if err != nil {
			return invalidParam("tlp", mosaic.ErrorMessage(err))
		}
		f.TLPs = append(f.TLPs, tlp)
	}
	if f.Audience != "" {
		if _, err := mosaic.ParseAudience(f.Audience); err != nil || strings.Contains(f.Audience, ",") {
			return invalidParam("audience", "want one of originator, cell or compartment:NAME")
		}
	}
	for name, dst := range map[string]*string{"created_after": &f.CreatedAfter, "created_before": &f.CreatedBefore, "modified_after": &f.ModifiedAfter, "modified_before": &f.ModifiedBefore} {
		if *dst, err = timeParam(q, name); err != nil {
			return err
		}
	}
	if f.Limit, err = s.limitParam(q); err != nil {
		return err
	}
	if f.Before, err = s.cursorParam(r, q); err != nil {
		return err
	}
	return s.listed(w, r, v, func() (any, error) {
		action := "objects.list"
		if f.Query != "" {
			action = "objects.search"
		}
		page, err := s.content.List(r.Context(), v, f, content.Access{Action: action, Detail: r.URL.RawQuery})
		if err != nil {
			return nil, err
		}
		next, err := s.cursors.Seal(r.Context(), page.Next)
		if err != nil {
			return nil, err
		}
		return ObjectPage{Objects: apiObjects(page.Objects), Next: next}, nil
	})
}

// listed answers with the page build returns, built in one of v's listing
// turns (gate.Turns.List) and written at the pace. Every answer that may
// be large (a listing, an object's versions, correlations, occurrences,
// the audit) is held in memory until its client has read it, so each
// counts against the same turns, and a client that never reads holds only
// its own user's.
func (s *Server) listed(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, build func() (any, error)) error {
	return s.rendered(w, r, v, func() (rendering, error) {
		page, err := build()
		if err != nil {
			return rendering{}, err
		}
		b, err := json.Marshal(page)
		if err != nil {
			return rendering{}, mosaic.Internal(err, "encode answer")
		}
		return rendering{body: b, contentType: "application/json"}, nil
	})
}

// rendering is a large answer as rendered: JSON, a file to download (a
// sealed snapshot) or an export.
type rendering struct {
	body        []byte
	contentType string
	// filename, when set, makes the answer a download of that name.
	filename string
}

// rendered is listed for answers that are rendered rather than encoded.
func (s *Server) rendered(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, build func() (rendering, error)) error {
	turns := s.gate.Turns()
	l, err := turns.List(r.Context(), v)
	if err != nil {
		return err
	}
	defer l.Done()
	out, err := func() (rendering, error) {
		defer l.Rendered()
		return build()
	}()
	if err != nil {
		return err
	}
	if out.filename != "" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": out.filename}))
	}
	middleware.WritePaced(w, http.StatusOK, out.body, out.contentType, turns.Pace())
	return nil
}

// ObjectVersions is the answer of GET /api/v1/objects/{id}: the newest
// version the caller can see, whose contribution it is among those the
// caller can see, and with versions=all every visible version.
type ObjectVersions struct {
	Object
	Contributions []content.Contribution `json:"contributions"`
	Versions      []Object               `json:"versions,omitempty"`
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	q, err := queryParams(r, "versions")
	if err != nil {
		return err
	}
	all := false
	switch q.Get("versions") {
	case "", "latest":
	case "all":
		all = true
	default:
		return invalidParam("versions", "want latest or all")
	}
	return s.listed(w, r, v, func() (any, error) {
		// Every visible version is read, to say whose version is shown.
		objs, err := s.content.Get(r.Context(), v, r.PathValue("id"), true, content.Access{Action: "objects.get"})
		if err != nil {
			return nil, err
		}
		out := ObjectVersions{Object: apiObject(objs[0]), Contributions: content.Contributions(objs)}
		if all {
			out.Versions = apiObjects(objs)
		}
		return out, nil
	})
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	st, err := s.content.Stats(r.Context(), v, content.Access{Action: "stats.read"})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

// Me is the answer of GET /api/v1/me.
type Me struct {
	User         mosaic.User         `json:"user"`
	Org          mosaic.Organisation `json:"org"`
	Compartments []string            `json:"compartments"`
	SeesContent  bool                `json:"sees_content"`
	MayContrib   bool                `json:"may_contribute"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	u, err := s.store.User(r.Context(), v.User)
	if err != nil {
		return err
	}
	o, err := s.store.Org(r.Context(), v.Org)
	if err != nil {
		return err
	}
	comps, err := s.store.Memberships(r.Context(), v)
	if err != nil {
		return err
	}
	if comps == nil {
		comps = []string{}
	}
	return writeJSON(w, http.StatusOK, Me{User: u, Org: o, Compartments: comps, SeesContent: policy.SeesContent(v), MayContrib: policy.MayContribute(v) == nil})
}

// extensionDefinition publishes Mosaic's extension definitions, of the
// envelope extension and of the handling object, as a STIX bundle with the
// identity that defines them.
func (s *Server) extensionDefinition(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"type":    "bundle",
		"id":      "bundle--" + stix.ExtensionID[len("extension-definition--"):],
		"objects": []json.RawMessage{stix.Identity(), stix.ExtensionDefinition(), stix.HandlingExtensionDefinition()},
	})
}
