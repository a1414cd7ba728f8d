package content

import (
	"context"
	"fmt"
	"time"

	"mosaic"
	"mosaic/stix"
)

// Page is one page of a listing: the records, oldest or newest stored
// first as the filter asks, and where the next page starts (zero on the
// last).
type Page struct {
	Objects []mosaic.StoredObject
	Next    int64
	// NextAdded is when the first record after the page was added, zero
	// when the page is the last or the store ended it early by size. TAXII
	// tells from it whether a page ends inside one upload's records, which
	// share their date_added.
	NextAdded time.Time
}

// List reads one page of the records v may see that f selects (see
// mosaic.Objects.Objects), and audits it as a with the ids read.
func (s *Service) List(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter, a Access) (Page, error) {
	p, err := s.list(ctx, v, f)
	if err != nil {
		return p, err
	}
	if err := s.read(v, a, ids(p.Objects), mosaic.Allowed); err != nil {
		return Page{}, err
	}
	return p, nil
}

// list reads a page and one record more, which it leaves out but for its
// added time.
func (s *Service) list(ctx context.Context, v mosaic.Viewer, f mosaic.ObjectFilter) (Page, error) {
	if f.Limit <= 0 {
		return Page{}, mosaic.Errorf(mosaic.CodeInvalid, "limit must be positive")
	}
	limit := f.Limit
	f.Limit++
	p, err := s.store.Objects(ctx, v, f)
	if err != nil {
		return Page{}, err
	}
	out := Page{Objects: p.Objects, Next: p.Next}
	if len(p.Objects) > limit {
		out.Objects = p.Objects[:limit]
		out.Next, out.NextAdded = out.Objects[limit-1].Seq, p.Objects[limit].Envelope.Added
	}
	return out, nil
}

// Get returns the versions of object id that v can see, newest first; with
// all false only the newest. It audits the read as a, and a missing or
// hidden object, which are one and the same to v, as not found.
// CodeInvalid for an id that is no STIX identifier, CodeNotFound.
func (s *Service) Get(ctx context.Context, v mosaic.Viewer, id string, all bool, a Access) ([]mosaic.StoredObject, error) {
	objs, err := s.get(ctx, v, id, all, a)
	if err != nil {
		return nil, err
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return nil, err
	}
	return objs, nil
}

// get reads an object, auditing only its absence.
func (s *Service) get(ctx context.Context, v mosaic.Viewer, id string, all bool, a Access) ([]mosaic.StoredObject, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	objs, err := s.store.Object(ctx, v, id, all)
	if mosaic.ErrorCode(err) == mosaic.CodeNotFound {
		if aerr := s.read(v, a, []string{id}, mosaic.NotFound); aerr != nil {
			return nil, aerr
		}
	}
	return objs, err
}

// ListObject reads one page of the versions of object id that f selects,
// as List does, and tells an object v cannot find in f's scope (audience
// and originators), which is CodeNotFound, from one whose versions the
// other filters all leave out, which is an empty page. It audits the read
// as a, once, with the id.
func (s *Service) ListObject(ctx context.Context, v mosaic.Viewer, id string, f mosaic.ObjectFilter, a Access) (Page, error) {
	if err := CheckID(id); err != nil {
		return Page{}, err
	}
	f.IDs = []string{id}
	p, err := s.list(ctx, v, f)
	if err != nil {
		return p, err
	}
	found := len(p.Objects) > 0
	if !found {
		if found, err = s.exists(ctx, v, id, f); err != nil {
			return Page{}, err
		}
	}
	if !found {
		if err := s.read(v, a, []string{id}, mosaic.NotFound); err != nil {
			return Page{}, err
		}
		return Page{}, errNoObject(id)
	}
	if err := s.read(v, a, []string{id}, mosaic.Allowed); err != nil {
		return Page{}, err
	}
	return p, nil
}

// Exists reports whether v finds object id in scope (its audience and
// originators filters; the rest is ignored), and audits the question as a:
// as found when it is there (Allowed, or Denied when the door refuses what
// was asked of the object), as not found otherwise.
func (s *Service) Exists(ctx context.Context, v mosaic.Viewer, id string, scope mosaic.ObjectFilter, a Access, found mosaic.Decision) (bool, error) {
	if err := CheckID(id); err != nil {
		return false, err
	}
	ok, err := s.exists(ctx, v, id, scope)
	if err != nil {
		return false, err
	}
	d := found
	if !ok {
		d = mosaic.NotFound
	}
	if err := s.read(v, a, []string{id}, d); err != nil {
		return false, err
	}
	return ok, nil
}

// maxSkips bounds how often exists looks further after the store dropped
// the record it read.
const maxSkips = 1000

func (s *Service) exists(ctx context.Context, v mosaic.Viewer, id string, scope mosaic.ObjectFilter) (bool, error) {
	f := mosaic.ObjectFilter{IDs: []string{id}, Audience: scope.Audience, Originators: scope.Originators,
		Versions: []string{mosaic.VersionAll}, Ascending: true, Limit: 1}
	for range maxSkips {
		p, err := s.store.Objects(ctx, v, f)
		if err != nil {
			return false, err
		}
		if len(p.Objects) > 0 {
			return true, nil
		}
		if p.Next == 0 {
			return false, nil
		}
		// The store read a record and then dropped it (seen through a
		// compartment v joined while it read); look further.
		f.After = p.Next
	}
	return false, mosaic.Internal(fmt.Errorf("object %s: no end to the records", id), "find object")
}

func errNoObject(id string) error {
	return mosaic.Errorf(mosaic.CodeNotFound, "object %s not found", id)
}

// Stats counts what v can see, audited as a.
func (s *Service) Stats(ctx context.Context, v mosaic.Viewer, a Access) (mosaic.Stats, error) {
	st, err := s.store.Stats(ctx, v)
	if err != nil {
		return st, err
	}
	if err := s.read(v, a, nil, mosaic.Allowed); err != nil {
		return mosaic.Stats{}, err
	}
	return st, nil
}

// Newest returns the storage position of the newest record v can see,
// zero when there is none: where a live stream that starts now begins. It
// shows no content, and is not audited.
func (s *Service) Newest(ctx context.Context, v mosaic.Viewer) (int64, error) {
	p, err := s.store.Objects(ctx, v, mosaic.ObjectFilter{Limit: 1})
	if err != nil || len(p.Objects) == 0 {
		return 0, err
	}
	return p.Objects[0].Seq, nil
}

// Follow returns up to limit records v can see that were stored after
// position after, every version, oldest first: what a live stream sends
// next. A read that returns records is audited as a; an empty one is not,
// since a stream asks every second.
func (s *Service) Follow(ctx context.Context, v mosaic.Viewer, after int64, limit int, a Access) ([]mosaic.StoredObject, error) {
	p, err := s.store.Objects(ctx, v, mosaic.ObjectFilter{Ascending: true, After: after, Limit: limit, Versions: []string{mosaic.VersionAll}})
	if err != nil || len(p.Objects) == 0 {
		return nil, err
	}
	if err := s.read(v, a, ids(p.Objects), mosaic.Allowed); err != nil {
		return nil, err
	}
	return p.Objects, nil
}

// Situation is the situational picture as one viewer may see it: the
// counts, the newest records, and the current threat level of each sector
// that has one.
type Situation struct {
	mosaic.Picture
	Latest  []mosaic.StoredObject
	Threats []mosaic.SectorThreat
}

// Picture returns the situational picture as v may see it at now (see
// mosaic.Situation.Picture), the latest newest records v can see and the
// sectors' threat levels, audited as one read of a.
func (s *Service) Picture(ctx context.Context, v mosaic.Viewer, now time.Time, since int64, latest int, a Access) (Situation, error) {
	var out Situation
	var err error
	if out.Picture, err = s.store.Picture(ctx, v, now, since); err != nil {
		return Situation{}, err
	}
	if out.Threats, err = s.store.ThreatLevels(ctx, v, "", 0); err != nil {
		return Situation{}, err
	}
	p, err := s.List(ctx, v, mosaic.ObjectFilter{Limit: latest}, a)
	if err != nil {
		return Situation{}, err
	}
	out.Latest = p.Objects
	return out, nil
}

// ThreatLevels returns one sector's threat levels, newest first, at most
// limit (see mosaic.Situation.ThreatLevels), audited as a: the reasons are
// the cell's assessments.
func (s *Service) ThreatLevels(ctx context.Context, v mosaic.Viewer, sector string, limit int, a Access) ([]mosaic.SectorThreat, error) {
	out, err := s.store.ThreatLevels(ctx, v, sector, limit)
	if err != nil {
		return nil, err
	}
	if err := s.read(v, a, nil, mosaic.Allowed); err != nil {
		return nil, err
	}
	return out, nil
}

// SetThreatLevel records v's threat level for a sector with the reason,
// audited in the same transaction (see mosaic.Situation.SetThreatLevel).
func (s *Service) SetThreatLevel(ctx context.Context, v mosaic.Viewer, sector string, level mosaic.ThreatLevel, reason string) error {
	e := mosaic.NewAuditEntry(v, s.clock.Now(), "threat-levels.set")
	e.Detail = sector + " " + string(level)
	return s.store.SetThreatLevel(ctx, v, sector, level, reason, e)
}

// AddedTimes returns when v's organisation's records of the objects ids
// were stored, by id: an upload's answer names the version of each object
// it stored, and an object without timestamps (an SCO) is versioned by the
// time its record was added. Only v's organisation's own records are read,
// and only their times, so the answer shows nothing v did not contribute.
func (s *Service) AddedTimes(ctx context.Context, v mosaic.Viewer, ids []string) (map[string]time.Time, error) {
	const chunk = 500
	out := make(map[string]time.Time, len(ids))
	for lo := 0; lo < len(ids); lo += chunk {
		part := ids[lo:min(lo+chunk, len(ids))]
		f := mosaic.ObjectFilter{IDs: part, Originators: []string{v.Org}, Versions: []string{mosaic.VersionAll}, Ascending: true, Limit: len(part)}
		for {
			p, err := s.store.Objects(ctx, v, f)
			if err != nil {
				return nil, err
			}
			for _, o := range p.Objects {
				out[stix.ReadHead(o.Object).ID] = o.Envelope.Added
			}
			if p.Next == 0 {
				break
			}
			f.After = p.Next
		}
	}
	return out, nil
}

// Contribution is one organisation's contribution of an object as a
// viewer sees it: its newest visible version.
type Contribution struct {
	Originator string     `json:"originator"`
	Modified   string     `json:"modified,omitempty"` // the version's modified (created for those without), "" for an SCO
	TLP        mosaic.TLP `json:"tlp"`
	// Shown marks the contribution whose version is shown as the object:
	// the newest of all.
	Shown bool `json:"shown,omitempty"`
}

// Contributions says whose versions of one object v sees, from versions
// (as Get returns them with all set: every visible version, newest first):
// each originator's newest, in that order, the first being the one shown.
// Several partners may hold one STIX id with different content; a reader
// must be told whose version it reads. Only records v can see count.
func Contributions(versions []mosaic.StoredObject) []Contribution {
	var out []Contribution
	seen := map[string]bool{}
	for _, o := range versions {
		if seen[o.Envelope.Originator] {
			continue
		}
		seen[o.Envelope.Originator] = true
		h := stix.ReadHead(o.Object)
		mod := h.Modified
		if mod == "" {
			mod = h.Created
		}
		out = append(out, Contribution{Originator: o.Envelope.Originator, Modified: mod, TLP: o.Envelope.TLP, Shown: len(out) == 0})
	}
	return out
}
