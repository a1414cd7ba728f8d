package misp

import (
	"slices"
	"strings"
)

type mispTemplate struct {
	meta                    string
	required, requiredOneOf []string
	rels                    map[string]mispRelation
}

type mispRelation struct {
	typ        string   // the template's misp-attribute
	categories []string // the categories the template allows, if it says
	multiple   bool
}

// conform makes the event one MISP accepts as it is: every attribute of a
// type and category describeTypes.json allows together, and every object
// of a misp-objects template, with only the template's relations, each of
// the template's type, as often as it allows, and the relations it
// requires. ToSTIX writes a relation's STIX property or x_misp_ name
// alike for - and _, and STIX from elsewhere labels what it likes, so
// what comes back may not be spelled as the template spells it: a
// relation the template has with the other separator takes that name;
// one it does not have at all is left out and named in the skips; an
// object without its required relations, or of no template, cannot be a
// MISP object, and its attributes become attributes of the event.
func (f *fromSTIX) conform() {
	var objs []*outObject
	kept := map[string]bool{}
	for _, a := range f.attrs {
		kept[a.UUID] = true
	}
	loose := func(o *outObject, why string) {
		f.skip(objectWhat(o), why+"; its attributes are exported as attributes of the event, without the object")
		for _, a := range o.Attribute {
			a.Relation = ""
			f.attrs = append(f.attrs, a)
			kept[a.UUID] = true
		}
	}
	for _, o := range f.objs {
		tpl, ok := mispTemplates[o.Name]
		if !ok {
			loose(o, "misp-objects has no template "+o.Name)
			continue
		}
		o.MetaCategory = tpl.meta
		count := map[string]int{}
		var attrs []*outAttr
		for _, a := range o.Attribute {
			rel := a.Relation
			if _, ok := tpl.rels[rel]; !ok {
				if alt := otherSeparator(rel); alt != rel {
					if _, ok := tpl.rels[alt]; ok {
						rel = alt
					}
				}
			}
			r, ok := tpl.rels[rel]
			switch {
			case !ok:
				f.skip(objectWhat(o)+" attribute "+a.Relation+"="+a.Value, "misp-objects template "+o.Name+" has no relation "+a.Relation)
				continue
			case count[rel] > 0 && !r.multiple:
				f.skip(objectWhat(o)+" attribute "+a.Relation+"="+a.Value, "misp-objects template "+o.Name+" allows one "+rel)
				continue
			}
			count[rel]++
			a.Relation, a.Type = rel, r.typ
			a.Category = categoryFor(a.Category, a.Type, r.categories)
			attrs = append(attrs, a)
		}
		o.Attribute = attrs
		var missing []string
		for _, rel := range tpl.required {
			if count[rel] == 0 {
				missing = append(missing, rel)
			}
		}
		if len(tpl.requiredOneOf) > 0 && !slices.ContainsFunc(tpl.requiredOneOf, func(r string) bool { return count[r] > 0 }) {
			missing = append(missing, "one of "+strings.Join(tpl.requiredOneOf, ", "))
		}
		switch {
		case len(attrs) == 0:
			f.skip(objectWhat(o), "none of its attributes has a relation of misp-objects template "+o.Name)
		case len(missing) > 0:
			loose(o, "misp-objects template "+o.Name+" requires "+strings.Join(missing, " and "))
		default:
			objs = append(objs, o)
			kept[o.UUID] = true
			for _, a := range attrs {
				kept[a.UUID] = true
			}
		}
	}
	f.objs = objs
	var attrs []*outAttr
	for _, a := range f.attrs {
		if _, ok := mispDefaultCategory[a.Type]; !ok {
			f.skip("attribute "+a.UUID+" ("+a.Type+")", "MISP has no attribute type "+a.Type)
			delete(kept, a.UUID)
			continue
		}
		a.Category = categoryFor(a.Category, a.Type, nil)
		attrs = append(attrs, a)
	}
	f.attrs = attrs
	for _, o := range f.objs {
		var refs []outRef
		for _, r := range o.ObjectReference {
			if kept[r.ReferencedUUID] {
				refs = append(refs, r)
				continue
			}
			f.skip(objectWhat(o)+" reference "+r.RelationshipType+" "+r.ReferencedUUID, "what it refers to is not an object of the event")
		}
		o.ObjectReference = refs
	}
}

func objectWhat(o *outObject) string {
	return "MISP object " + o.UUID + " (" + o.Name + ")"
}

// otherSeparator spells a relation with - for _ and _ for -.
func otherSeparator(rel string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-':
			return '_'
		case '_':
			return '-'
		}
		return r
	}, rel)
}

// categoryFor keeps an attribute's category when MISP allows it for the
// type (and the template, when it lists categories), else takes the
// template's first that MISP allows, else the type's default.
func categoryFor(cur, typ string, template []string) string {
	ok := func(c string) bool {
		return slices.Contains(mispCategoryTypes[c], typ) && (len(template) == 0 || slices.Contains(template, c))
	}
	if ok(cur) {
		return cur
	}
	for _, c := range template {
		if ok(c) {
			return c
		}
	}
	return mispDefaultCategory[typ]
}
