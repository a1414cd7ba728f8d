package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"mosaic"
	"mosaic/ingest"
	"mosaic/policy"
	"mosaic/stix"
)

// Object is a record as the API returns it: the STIX object and its
// envelope.
type Object struct {
	Object   json.RawMessage `json:"object"`
	Envelope mosaic.Envelope `json:"envelope"`
}

func apiObjects(objs []mosaic.StoredObject) []Object {
	out := make([]Object, len(objs))
	for i, o := range objs {
		out[i] = Object{Object: o.Object, Envelope: o.Envelope}
	}
	return out
}

func ids(objs []mosaic.StoredObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = objectID(o.Object)
	}
	return out
}

func (s *Server) postBundle(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	return s.auditRefusal(v, s.ingestBundle(w, r, v))
}

// auditRefusal leaves a trace of a refused write, and returns err: if even
// the trace fails, the error the caller gets is unchanged.
func (s *Server) auditRefusal(v mosaic.Viewer, err error) error {
	if err != nil {
		d := mosaic.Failed
		if mosaic.ErrorCode(err) == mosaic.CodeForbidden {
			d = mosaic.Denied
		}
		_ = s.recordRead(v, "objects.ingest", nil, d, mosaic.ErrorMessage(err))
	}
	return err
}

// upload takes the steps every upload shares: the right to contribute,
// the content type, the envelope parameters and the body, read in the
// gate's turns. done gives the storing turn back.
func (s *Server) upload(w http.ResponseWriter, r *http.Request, v mosaic.Viewer, contentType func(*http.Request) error) (body []byte, p ingest.Params, done func(), err error) {
	if err := policy.MayContribute(v); err != nil {
		return nil, p, nil, err
	}
	if err := contentType(r); err != nil {
		return nil, p, nil, err
	}
	if p, err = envelopeParams(r); err != nil {
		return nil, p, nil, err
	}
	if r.ContentLength > s.limits.MaxBodyBytes {
		return nil, p, nil, s.tooLarge(r.ContentLength)
	}
	body, done, err = s.readUpload(w, r)
	return body, p, done, err
}

func (s *Server) ingestBundle(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	body, p, done, err := s.upload(w, r, v, stixContentType)
	if err != nil {
		return err
	}
	defer done()
	res, _, err := s.ingest.Bundle(r.Context(), v, body, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

// envelopeParams reads a batch's envelope defaults from the query.
func envelopeParams(r *http.Request) (ingest.Params, error) {
	var p ingest.Params
	q, err := queryParams(r, "audience", "orcon", "legal_basis", "review_by")
	if err != nil {
		return p, err
	}
	if q.Has("audience") {
		a, err := mosaic.ParseAudience(q.Get("audience"))
		if err != nil {
			return p, invalidParam("audience", mosaic.ErrorMessage(err))
		}
		p.Audience = &a
	}
	if p.ORCON, err = boolParam(q, "orcon"); err != nil {
		return p, err
	}
	if q.Has("legal_basis") {
		l := q.Get("legal_basis")
		p.LegalBasis = &l
	}
	if q.Has("review_by") {
		d := q.Get("review_by")
		p.ReviewBy = &d
	}
	return p, nil
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
	if f.Before, err = s.decodeCursor(r.Context(), q.Get("cursor")); err != nil {
		return err
	}
	done, err := s.gate.Turns().List(r.Context())
	if err != nil {
		return err
	}
	defer done()
	page, err := s.store.Objects(r.Context(), v, f)
	if err != nil {
		return err
	}
	action := "objects.list"
	if f.Query != "" {
		action = "objects.search"
	}
	if err := s.recordRead(v, action, ids(page.Objects), mosaic.Allowed, r.URL.RawQuery); err != nil {
		return err
	}
	next, err := s.encodeCursor(r.Context(), page.Next)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ObjectPage{Objects: apiObjects(page.Objects), Next: next})
	return nil
}

// stixID accepts upper-case hex as the STIX schemas do, so every stored id
// can be asked for.
var stixID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ObjectVersions is the answer of GET /api/v1/objects/{id}.
type ObjectVersions struct {
	Object
	Versions []Object `json:"versions,omitempty"`
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
	id := r.PathValue("id")
	if !stixID.MatchString(id) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX identifier (type--uuid)", id)
	}
	objs, err := s.store.Object(r.Context(), v, id, all)
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		if aerr := s.recordRead(v, "objects.get", []string{id}, mosaic.NotFound, ""); aerr != nil {
			return aerr
		}
		return err
	}
	if err != nil {
		return err
	}
	if err := s.recordRead(v, "objects.get", []string{id}, mosaic.Allowed, ""); err != nil {
		return err
	}
	out := ObjectVersions{Object: Object{Object: objs[0].Object, Envelope: objs[0].Envelope}}
	if all {
		out.Versions = apiObjects(objs)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, v mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	st, err := s.store.Stats(r.Context(), v)
	if err != nil {
		return err
	}
	if err := s.recordRead(v, "stats.read", nil, mosaic.Allowed, ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
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
	writeJSON(w, http.StatusOK, Me{User: u, Org: o, Compartments: comps, SeesContent: policy.SeesContent(v), MayContrib: policy.MayContribute(v) == nil})
	return nil
}

// extensionDefinition publishes Mosaic's envelope extension as a STIX bundle
// with the identity that defines it.
func (s *Server) extensionDefinition(w http.ResponseWriter, r *http.Request, _ mosaic.Viewer) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"type":    "bundle",
		"id":      "bundle--" + stix.ExtensionID[len("extension-definition--"):],
		"objects": []json.RawMessage{stix.Identity(), stix.ExtensionDefinition()},
	})
	return nil
}

// uploadReadTime is how long reading one upload's body may take, so that a
// client trickling bytes cannot hold a reading slot for long.
const uploadReadTime = 2 * time.Minute

// readUpload reads an upload's body in one of the gate's reading turns,
// within uploadReadTime, and waits for a storing turn; done gives it back.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (body []byte, done func(), err error) {
	return s.gate.Turns().Read(r.Context(), func() ([]byte, error) {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTime))
		return s.readBody(w, r)
	})
}
