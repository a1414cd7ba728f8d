// Package content is the content service: the one way every door of Mosaic
// (the REST API, TAXII, the web UI and its live stream, deconfliction, the
// demo and the feed poller) reads and writes cell content.
//
// Each method takes the viewer a request runs for, applies the policy
// (package policy; the store compiles its visibility rule into every
// query), calls the store, audits the read or the refusal, and hands back
// what the door renders. A read the audit log cannot take fails: nothing
// is shown that nobody can account for (DESIGN §5, audit). Releases,
// advisories and cases are added here, not to the doors.
//
// A door only translates: it parses its request into a filter, names the
// access for the audit log (Access), and writes the answer in its format.
package content

import (
	"context"
	"sort"

	"mosaic"
	"mosaic/ingest"
	"mosaic/stix"
)

// Store is what the content service needs of the store.
type Store interface {
	mosaic.Objects
	mosaic.Situation
	Org(ctx context.Context, name string) (mosaic.Organisation, error)
	Orgs(ctx context.Context) ([]mosaic.Organisation, error)
}

// Recorder takes audit entries of reads (package audit's Log). Record
// fails when the log cannot take the entry.
type Recorder interface {
	Record(e mosaic.AuditEntry) error
}

// Service is the content service.
type Service struct {
	store  Store
	ingest *ingest.Ingester
	audit  Recorder
	clock  mosaic.Clock

	releases   ReleaseStore // nil: this server makes no releases
	releaseCfg ReleaseConfig
	pictures   pictureCache
}

// New returns the content service on store, storing contributions under
// cfg and auditing reads into audit.
func New(store Store, cfg ingest.Config, audit Recorder, clock mosaic.Clock) *Service {
	if clock == nil {
		clock = mosaic.SystemClock{}
	}
	return &Service{store: store, ingest: ingest.New(store, cfg, clock), audit: audit, clock: clock}
}

// Access names an access for the audit log: the action, such as
// "objects.list" or "taxii.manifest" (the door and what was done), and a
// detail the door adds, such as the query it was asked or the collection.
type Access struct {
	Action string
	Detail string
}

func (a Access) detail(more string) string {
	switch {
	case a.Detail == "":
		return more
	case more == "":
		return a.Detail
	}
	return a.Detail + ": " + more
}

// Audit records an access by v that is no read of objects (a deconfliction
// request, a TAXII status, a sign-in, a refusal the door decided) with the
// ids it concerns and decision d. It fails with CodeUnavailable when the
// audit log cannot take the entry; the caller must then not answer as if
// it had been recorded.
func (s *Service) Audit(v mosaic.Viewer, a Access, ids []string, d mosaic.Decision) error {
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	e.ObjectIDs, e.Decision, e.Detail = ids, d, a.Detail
	return s.audit.Record(e)
}

// Refuse audits a refused request of v as a (a denial for CodeForbidden,
// an error otherwise, with the error's safe message) and returns err. When
// even the audit entry cannot be written the caller still gets err: the
// request was refused either way.
func (s *Service) Refuse(v mosaic.Viewer, a Access, err error) error {
	if err == nil {
		return nil
	}
	d := mosaic.Failed
	switch {
	case mosaic.ErrorCode(err) == mosaic.CodeForbidden:
		d = mosaic.Denied
	case mosaic.ClientGone(err):
		d = mosaic.Canceled
	}
	_ = s.Audit(v, Access{Action: a.Action, Detail: a.detail(mosaic.ErrorMessage(err))}, nil, d)
	return err
}

// read audits a read by v of the objects ids.
func (s *Service) read(v mosaic.Viewer, a Access, ids []string, d mosaic.Decision) error {
	if a.Action == "" {
		return mosaic.Internal(errUnnamed, "audit a read")
	}
	return s.Audit(v, a, ids, d)
}

type unnamedError struct{}

func (unnamedError) Error() string { return "a read without an audit action" }

var errUnnamed = unnamedError{}

// Limits are the limits on decoded content: objects per upload, nesting,
// string and object sizes.
func (s *Service) Limits() stix.Limits { return s.ingest.Config().Limits }

// LegalBases lists the legal bases contributions may name, sorted.
func (s *Service) LegalBases() []string {
	var out []string
	for b := range s.ingest.Config().LegalBases {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

// ids returns the STIX id of each of objs, for the audit log.
func ids(objs []mosaic.StoredObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = stix.ReadHead(o.Object).ID
	}
	return out
}
