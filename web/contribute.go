package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"mosaic"
	"mosaic/policy"
	"mosaic/stix"
)

// contributeKinds are what the contribute form adds, in the order it
// offers them. Each has a fieldset of its own fields; the handling fields
// are common to all.
var contributeKinds = []string{"bundle", "misp", "list", "indicator", "note"}

// fileKinds are the kinds whose fieldset has a file field, named
// "<kind>-file".
var fileKinds = []string{"bundle", "misp", "list"}

// contributeView is the contribute page: one form, what it adds, what was
// entered and the problems found, by field.
type contributeView struct {
	// Kind is what the form adds: the kind that was sent, or the one to
	// offer first; "" when a form came without one.
	Kind       string
	Kinds      []string
	Errors     map[string][]string
	Other      []string // problems not tied to a field
	Done       string   // what a successful upload stored
	Skipped    []string // what of a MISP event could not be mapped to STIX
	Values     map[string]string
	Audiences  []string
	LegalBases []string
	TLPs       []mosaic.TLP
}

// Field returns the problems of a field of kind's fieldset: none unless
// the form added that kind, whose fields alone the server read.
func (v contributeView) Field(kind, name string) []string {
	if v.Kind != kind {
		return nil
	}
	return v.Errors[name]
}

// Value returns what was entered in a field of kind's fieldset.
func (v contributeView) Value(kind, name string) string {
	if v.Kind != kind {
		return ""
	}
	return v.Values[name]
}

func (s *Server) newContributeView(r *http.Request, q *request) (contributeView, error) {
	v := contributeView{Kind: contributeKinds[0], Kinds: contributeKinds, Errors: map[string][]string{}, Values: map[string]string{}, TLPs: mosaic.TLPLevels}
	comps, err := s.store.Memberships(r.Context(), q.viewer)
	if err != nil {
		return v, err
	}
	v.Audiences = []string{mosaic.AudienceOriginator, mosaic.AudienceCell}
	for _, c := range comps {
		v.Audiences = append(v.Audiences, "compartment:"+c)
	}
	v.LegalBases = s.content.LegalBases()
	return v, nil
}

func (s *Server) contributePage(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := policy.MayContribute(q.viewer); err != nil {
		return err
	}
	v, err := s.newContributeView(r, q)
	if err != nil {
		return err
	}
	// An object's page links here to write a note about it.
	if ref := r.URL.Query().Get("ref"); stix.IsID(ref) {
		v.Kind = "note"
		v.Values["refs"] = ref
	}
	s.renderContribute(w, q, http.StatusOK, v)
	return nil
}

func (s *Server) renderContribute(w http.ResponseWriter, q *request, status int, v contributeView) {
	p := s.newPage(q, "contribute")
	p.Title = p.T("contribute.title")
	p.Data = v
	s.render(w, status, "contribute", p)
}

// contributeFile names the file field of the kind the form adds, the only
// file the upload wrapper reads; "" for a kind without one.
func contributeFile(r *http.Request) string {
	if k := r.PostFormValue("kind"); slices.Contains(fileKinds, k) {
		return k + "-file"
	}
	return ""
}

// contribute stores what the contribute form adds, reading only the fields
// of the kind it names and the handling fields.
func (s *Server) contribute(w http.ResponseWriter, r *http.Request, q *request) error {
	if err := s.content.MayContribute(q.viewer, ingestAccess); err != nil {
		return err
	}
	v, err := s.newContributeView(r, q)
	if err != nil {
		return err
	}
	v.Kind = r.PostFormValue("kind")
	p := envelopeParams(r, &v)
	switch v.Kind {
	case "bundle":
		return s.contributeBundle(w, r, q, v, p)
	case "misp":
		return s.contributeMISP(w, r, q, v, p)
	case "list":
		return s.contributeList(w, r, q, v, p)
	case "indicator":
		return s.contributeIndicator(w, r, q, v, p)
	case "note":
		return s.contributeNote(w, r, q, v, p)
	}
	v.Kind = ""
	v.Errors["kind"] = append(v.Errors["kind"], q.t("contribute.kind.missing"))
	s.renderContribute(w, q, http.StatusBadRequest, v)
	return nil
}

// envelopeParams reads the form's handling fields but TLP. Empty
// fields leave the defaults: the organisation's default audience, ORCON,
// its legal regime, the legal basis's review period.
func envelopeParams(r *http.Request, v *contributeView) mosaic.EnvelopeDefaults {
	var p mosaic.EnvelopeDefaults
	for _, k := range []string{"audience", "orcon", "legal_basis", "review_by"} {
		v.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	if a := v.Values["audience"]; a != "" {
		aud, err := mosaic.ParseAudience(a)
		if err != nil {
			v.Errors["audience"] = append(v.Errors["audience"], mosaic.ErrorMessage(err))
		} else {
			p.Audience = &aud
		}
	}
	switch v.Values["orcon"] {
	case "yes", "no":
		b := v.Values["orcon"] == "yes"
		p.ORCON = &b
	}
	if b := v.Values["legal_basis"]; b != "" {
		p.LegalBasis = &b
	}
	if d := v.Values["review_by"]; d != "" {
		p.ReviewBy = &d
	}
	return p
}

// problemField says which field of a form a problem concerns.
func problemField(p mosaic.Problem) string {
	prop := p.Property
	if i := strings.LastIndex(prop, "."); i >= 0 && strings.HasPrefix(prop, "extensions") {
		prop = prop[i+1:]
	}
	switch {
	case prop == "legal_basis", prop == "review_by", prop == "audience", prop == "orcon":
		return prop
	case prop == "object_marking_refs":
		return "tlp"
	case strings.HasPrefix(prop, "pattern"):
		return "pattern"
	case prop == "name", prop == "description", prop == "content", prop == "abstract":
		return prop
	case strings.HasPrefix(prop, "object_refs"):
		return "refs"
	}
	return ""
}

// MaxShownProblems is how many problems of an upload the page lists.
const MaxShownProblems = 50

// ingestAccess names a contribution through the UI for the audit log.
var ingestAccess = access("objects.ingest", "")

// stored runs an ingest (whose refusal the content service audits) and
// sorts its problems onto the form's fields. It reports whether the
// contribution was stored.
func (s *Server) stored(v *contributeView, fileField string, store func() (mosaic.IngestResult, error)) (mosaic.IngestResult, bool, error) {
	res, err := store()
	if err == nil {
		return res, true, nil
	}
	switch mosaic.ErrorCode(err) {
	case mosaic.CodeInvalid, mosaic.CodeConflict, mosaic.CodeTooLarge:
	default:
		return res, false, err
	}
	var e *mosaic.Error
	problems := []mosaic.Problem{{Reason: mosaic.ErrorMessage(err)}}
	if errors.As(err, &e) && len(e.Problems) > 0 {
		problems = e.Problems
		v.Other = append(v.Other, e.Message)
	}
	if strings.Contains(mosaic.ErrorMessage(err), "audience") && len(problems) == 1 && problems[0].Property == "" {
		v.Errors["audience"] = append(v.Errors["audience"], problems[0].Reason)
		return res, false, nil
	}
	shown := 0
	for _, p := range problems {
		f := problemField(p)
		msg := p.Reason
		if p.Object != "" && fileField != "" {
			msg = p.Object + ": " + msg
			if p.Property != "" {
				msg = p.Object + " " + p.Property + ": " + p.Reason
			}
		}
		if f == "" || (fileField != "" && f != "audience" && f != "orcon" && f != "legal_basis" && f != "review_by") {
			f = fileField
		}
		if shown == MaxShownProblems {
			v.Other = append(v.Other, fmt.Sprintf("… and %d more problems", len(problems)-shown))
			break
		}
		shown++
		if f == "" {
			v.Other = append(v.Other, msg)
		} else {
			v.Errors[f] = append(v.Errors[f], msg)
		}
	}
	return res, false, nil
}

func (s *Server) contributeBundle(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults) error {
	if len(q.file) == 0 {
		v.Errors["file"] = append(v.Errors["file"], q.t("contribute.file.missing"))
	}
	ownMarkings(r, q, &v)
	return s.storeBundle(w, r, q, v, "file", q.file, p)
}

// ownMarkings refuses a TLP chosen for a bundle or a MISP event: their
// objects carry their own markings, which the form does not overwrite, and
// a choice that would be ignored must not look as if it were applied.
func ownMarkings(r *http.Request, q *request, v *contributeView) {
	if tlp := r.PostFormValue("tlp"); tlp != "" {
		v.Values["tlp"] = tlp
		v.Errors["tlp"] = append(v.Errors["tlp"], q.t("contribute.tlp.own"))
	}
}

// storeBundle stores body, a STIX bundle made from the form, as storeForm
// does.
func (s *Server) storeBundle(w http.ResponseWriter, r *http.Request, q *request, v contributeView, field string, body []byte, p mosaic.EnvelopeDefaults) error {
	return s.storeForm(w, q, v, field, func() (mosaic.IngestResult, error) {
		res, _, err := s.content.Contribute(r.Context(), q.viewer, body, p, ingestAccess)
		return res, err
	}, nil)
}

// storeForm stores what store stores, unless the form has errors, and
// shows the form again: with each error next to its field (field for the
// store's own), or with what was stored. then, when set, adds to the view
// of a stored upload.
func (s *Server) storeForm(w http.ResponseWriter, q *request, v contributeView, field string, store func() (mosaic.IngestResult, error), then func(*contributeView)) error {
	if len(v.Errors) > 0 {
		s.renderContribute(w, q, http.StatusBadRequest, v)
		return nil
	}
	// The upload wrapper holds a storing turn for this request.
	res, ok, err := s.stored(&v, field, store)
	if err != nil {
		return err
	}
	if !ok {
		s.renderContribute(w, q, http.StatusBadRequest, v)
		return nil
	}
	// The kind stays chosen, for the next of the same; what was entered
	// is stored and goes.
	v.Values = map[string]string{}
	v.Done = q.t("contribute.done", res.New, res.NewVersions, res.Unchanged)
	if then != nil {
		then(&v)
	}
	s.renderContribute(w, q, http.StatusCreated, v)
	return nil
}

// tlpMarking reads the form's TLP field into v and returns the marking
// references it names (nil for none or a bad one, which is v's error).
func tlpMarking(r *http.Request, v *contributeView) []string {
	tlp := r.PostFormValue("tlp")
	v.Values["tlp"] = tlp
	if tlp == "" {
		return nil
	}
	t, err := mosaic.ParseTLP(tlp)
	if err != nil {
		v.Errors["tlp"] = append(v.Errors["tlp"], mosaic.ErrorMessage(err))
		return nil
	}
	return []string{stix.TLPMarkingID(t)}
}

// identity is the viewer's organisation's STIX identity: what the forms
// make, the organisation creates, and says so in created_by_ref.
func (s *Server) identity(r *http.Request, q *request) (string, error) {
	o, err := s.store.Org(r.Context(), q.viewer.Org)
	return o.Identity, err
}

// single stores one object made from a form and goes to its page.
func (s *Server) single(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults, obj map[string]any) error {
	if m := tlpMarking(r, &v); m != nil {
		obj["object_marking_refs"] = m
	}
	if len(v.Errors) > 0 {
		s.renderContribute(w, q, http.StatusBadRequest, v)
		return nil
	}
	identity, err := s.identity(r, q)
	if err != nil {
		return err
	}
	obj["created_by_ref"] = identity
	body, err := json.Marshal(map[string]any{"type": "bundle", "id": stix.NewID("bundle"), "objects": []any{obj}})
	if err != nil {
		return mosaic.Internal(err, "encode object")
	}
	_, ok, err := s.stored(&v, "", func() (mosaic.IngestResult, error) {
		res, _, err := s.content.Contribute(r.Context(), q.viewer, body, p, ingestAccess)
		return res, err
	})
	if err != nil {
		return err
	}
	if !ok {
		s.renderContribute(w, q, http.StatusBadRequest, v)
		return nil
	}
	http.Redirect(w, r, "/objects/"+obj["id"].(string), http.StatusSeeOther)
	return nil
}

func (s *Server) contributeIndicator(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults) error {
	for _, k := range []string{"name", "pattern", "description"} {
		v.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	if v.Values["name"] == "" {
		v.Errors["name"] = append(v.Errors["name"], q.t("contribute.required"))
	}
	if v.Values["pattern"] == "" {
		v.Errors["pattern"] = append(v.Errors["pattern"], q.t("contribute.required"))
	}
	now := s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	obj := map[string]any{"type": "indicator", "spec_version": "2.1", "id": stix.NewID("indicator"), "created": now, "modified": now,
		"name": v.Values["name"], "pattern": v.Values["pattern"], "pattern_type": "stix", "valid_from": now}
	if d := v.Values["description"]; d != "" {
		obj["description"] = d
	}
	return s.single(w, r, q, v, p, obj)
}

func (s *Server) contributeNote(w http.ResponseWriter, r *http.Request, q *request, v contributeView, p mosaic.EnvelopeDefaults) error {
	for _, k := range []string{"abstract", "content", "refs"} {
		v.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	if v.Values["content"] == "" {
		v.Errors["content"] = append(v.Errors["content"], q.t("contribute.required"))
	}
	refs := strings.Fields(v.Values["refs"])
	if len(refs) == 0 {
		v.Errors["refs"] = append(v.Errors["refs"], q.t("contribute.refs.missing"))
	}
	for _, ref := range refs {
		if !stix.IsID(ref) {
			v.Errors["refs"] = append(v.Errors["refs"], q.t("contribute.refs.bad", ref))
		}
	}
	now := s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	obj := map[string]any{"type": "note", "spec_version": "2.1", "id": stix.NewID("note"), "created": now, "modified": now,
		"content": v.Values["content"], "object_refs": refs}
	if a := v.Values["abstract"]; a != "" {
		obj["abstract"] = a
	}
	return s.single(w, r, q, v, p, obj)
}

// fieldView is one field of a kind's fieldset, for the templates.
type fieldView struct {
	ID, Name, Label, Value, Help, Describe string
	Errors                                 []string
	Long                                   bool
	Accept                                 string // a file field's types
}

// longFields are written in a text area.
var longFields = []string{"description", "content", "refs", "list"}

func fieldErrors(id string, errs []string) fieldView { return fieldView{ID: id, Errors: errs} }

func textField(p *page, kind, name, label, help string) fieldView {
	v, _ := p.Data.(contributeView)
	f := fieldView{ID: kind + "-" + name, Name: name, Label: p.T(label), Value: v.Value(kind, name), Errors: v.Field(kind, name),
		Long: slices.Contains(longFields, name)}
	var describe []string
	if help != "" {
		f.Help = p.T(help)
		describe = append(describe, f.ID+"-help")
	}
	if len(f.Errors) > 0 {
		describe = append(describe, f.ID+"-errors")
	}
	f.Describe = strings.Join(describe, " ")
	return f
}

// fileField is kind's file field, "<kind>-file" (see contributeFile); its
// problems are the kind's "file" ones.
func fileField(p *page, kind, label, help, accept string) fieldView {
	f := textField(p, kind, "file", label, help)
	f.Name, f.Value, f.Long, f.Accept = f.ID, "", false, accept
	return f
}
