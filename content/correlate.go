package content

import (
	"context"
	"maps"
	"slices"

	"mosaic"
	"mosaic/correlation"
	"mosaic/stix"
)

// CheckID returns a CodeInvalid error when id is no STIX identifier.
func CheckID(id string) error {
	if !stix.IsID(id) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%q is not a STIX identifier (type--uuid)", id)
	}
	return nil
}

// Correlated is an object v can see that shares observables with another,
// and the normalised observables the two have in common.
type Correlated struct {
	mosaic.StoredObject
	Shared []string
}

// Correlations is one page of the objects correlated with one object.
type Correlations struct {
	Objects []Correlated
	Next    int64 // zero on the last page
}

// Correlations lists the other objects v can see that share an observable
// with the newest version of id that v can see, across originators, up to
// limit of them, stored before position before (zero: the newest). The read
// is audited as a, with id and the correlated objects. CodeNotFound
// (audited as such) when v cannot see id.
func (s *Service) Correlations(ctx context.Context, v mosaic.Viewer, id string, limit int, before int64, a Access) (Correlations, error) {
	objs, err := s.get(ctx, v, id, false, a)
	if err != nil {
		return Correlations{}, err
	}
	c, err := s.correlate(ctx, v, id, objs[0].Object, limit, before)
	if err != nil {
		return c, err
	}
	read := []string{id}
	for _, o := range c.Objects {
		read = append(read, stix.ReadHead(o.Object).ID)
	}
	if err := s.read(v, a, read, mosaic.Allowed); err != nil {
		return Correlations{}, err
	}
	return c, nil
}

// correlate finds the objects correlated with obj, the object id, without
// auditing: the caller audits them with whatever else it read.
func (s *Service) correlate(ctx context.Context, v mosaic.Viewer, id string, obj []byte, limit int, before int64) (Correlations, error) {
	out := Correlations{Objects: []Correlated{}}
	obs := correlation.Observables(obj)
	if len(obs) == 0 {
		return out, nil
	}
	p, err := s.store.Objects(ctx, v, mosaic.ObjectFilter{AnyObservable: obs, NotID: id, Limit: limit, Before: before})
	if err != nil {
		return out, err
	}
	for _, o := range p.Objects {
		out.Objects = append(out.Objects, Correlated{StoredObject: o, Shared: correlation.Shared(obs, o.Object)})
	}
	out.Next = p.Next
	return out, nil
}

// View is everything an object's page shows: its versions, the
// relationships that point to or from it, the newest version of each of
// their other ends, and the objects it correlates with; all as far as the
// viewer may see them.
type View struct {
	Versions      []mosaic.StoredObject // newest first
	Relationships []mosaic.StoredObject // newest stored first
	// Ends holds, by id, the newest visible version of the other end of
	// each relationship; an end the viewer cannot see is absent.
	Ends         map[string]mosaic.StoredObject
	Correlations []Correlated
}

// View reads object id's page for v: every visible version, up to
// maxRelationships relationships with their other ends, and up to
// maxCorrelations correlated objects; audited as one read of a with every
// id shown. CodeNotFound (audited as such) when v cannot see id.
func (s *Service) View(ctx context.Context, v mosaic.Viewer, id string, maxRelationships, maxCorrelations int, a Access) (View, error) {
	var out View
	var err error
	if out.Versions, err = s.get(ctx, v, id, true, a); err != nil {
		return out, err
	}
	if out.Relationships, err = s.store.Relationships(ctx, v, id, maxRelationships); err != nil {
		return out, err
	}
	var ends []string
	for _, rel := range out.Relationships {
		m := correlation.Props(rel.Object)
		for _, k := range []string{"source_ref", "target_ref"} {
			if ref, _ := m[k].(string); ref != id && ref != "" && !slices.Contains(ends, ref) {
				ends = append(ends, ref)
			}
		}
	}
	out.Ends = map[string]mosaic.StoredObject{}
	if len(ends) > 0 {
		p, err := s.store.Objects(ctx, v, mosaic.ObjectFilter{IDs: ends, Limit: 2 * len(ends)})
		if err != nil {
			return out, err
		}
		for _, o := range p.Objects {
			if oid := stix.ReadHead(o.Object).ID; oid != "" {
				if _, seen := out.Ends[oid]; !seen {
					out.Ends[oid] = o // the newest stored of its originators' versions
				}
			}
		}
	}
	c, err := s.correlate(ctx, v, id, out.Versions[0].Object, maxCorrelations, 0)
	if err != nil {
		return out, err
	}
	out.Correlations = c.Objects
	read := []string{id}
	for _, rel := range out.Relationships {
		read = append(read, stix.ReadHead(rel.Object).ID)
	}
	for _, c := range out.Correlations {
		read = append(read, stix.ReadHead(c.Object).ID)
	}
	read = append(read, slices.Sorted(maps.Keys(out.Ends))...)
	if err := s.read(v, a, read, mosaic.Allowed); err != nil {
		return View{}, err
	}
	return out, nil
}
