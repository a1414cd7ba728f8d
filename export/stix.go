package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"mosaic"
	"mosaic/stix"
)

// stixWriter writes a STIX 2.1 bundle. An object its originator made
// carries its envelope in Mosaic's extension; anyone else's object is
// written exactly as stored, and its handling goes into a handling object
// written immediately before it (or into the side bundle). Consecutive
// objects handled alike share one handling object, of at most
// stix.MaxHandlingNames objects: the writer holds those until it writes
// them, and no more.
type stixWriter struct {
	w *bufio.Writer
	// side, when set, takes the handling objects, as a bundle of their
	// own; the export then holds the objects alone.
	side *bufio.Writer
	seen map[string]bool
	// tlps and sideTLPs are the TLP 2.0 levels whose marking definitions
	// the objects of the export and of the side bundle name.
	tlps, sideTLPs map[mosaic.TLP]bool
	// own holds the ids of the objects the writer writes itself, once:
	// Mosaic's identity and extension definitions and the TLP marking
	// definitions. Stored copies of them are left out.
	own map[string]bool
	// group holds third parties' objects handled alike, in order, until
	// their handling object is written.
	group []mosaic.StoredObject
	// declares holds the ids of the marking definitions written that
	// declare a TLP level; pending, the marking references of each object
	// above TLP:CLEAR that names no official TLP marking, to be resolved
	// against declares at the end.
	declares map[string]bool
	pending  [][]string
	// unmarked counts the objects above TLP:CLEAR that leave without a
	// TLP marking of their own.
	unmarked int
	// below counts the objects whose own TLP marking is lower than the
	// level they are handled under.
	below                      int
	n, skipped, handled, hobjs int
}

func newSTIX(w *bufio.Writer, o options) *stixWriter {
	own := map[string]bool{stix.IdentityID: true, stix.ExtensionID: true, stix.HandlingExtensionID: true}
	for _, t := range mosaic.TLPLevels {
		own[stix.TLPMarkingID(t)] = true
	}
	s := &stixWriter{w: w, seen: map[string]bool{}, tlps: map[mosaic.TLP]bool{}, sideTLPs: map[mosaic.TLP]bool{}, own: own, declares: map[string]bool{}}
	if o.handling != nil {
		s.side = bufio.NewWriterSize(o.handling, bufferSize)
	}
	return s
}

// begin starts a bundle with Mosaic's identity and the extension
// definitions given, which make what follows self-describing for any
// other tool.
func begin(w *bufio.Writer, defs ...[]byte) error {
	fmt.Fprintf(w, `{"type":"bundle","id":%q,"objects":[`+"\n", stix.NewID("bundle"))
	// A bufio.Writer keeps its first error, so the last write reports any.
	_, err := w.Write(stix.Identity())
	for _, d := range defs {
		w.WriteString(",\n")
		_, err = w.Write(d)
	}
	return err
}

func (s *stixWriter) Begin() error {
	if s.side == nil {
		return begin(s.w, stix.ExtensionDefinition(), stix.HandlingExtensionDefinition())
	}
	if err := begin(s.side, stix.HandlingExtensionDefinition()); err != nil {
		return err
	}
	return begin(s.w, stix.ExtensionDefinition())
}

// head is what the writer reads of an object.
type head struct {
	ID, Type, Modified, Created string
	ObjectMarkingRefs           []string `json:"object_marking_refs"`
	GranularMarkings            []struct {
		MarkingRef string `json:"marking_ref"`
	} `json:"granular_markings"`
}

func (s *stixWriter) Object(o mosaic.StoredObject) error {
	var h head
	if err := json.Unmarshal(o.Object, &h); err != nil {
		return err
	}
	// Two partners may hold different content under one id and version; a
	// bundle may hold only one of them.
	key := h.ID + "|" + h.Modified + "|" + h.Created
	if s.seen[key] {
		s.skipped++
		return nil
	}
	s.seen[key] = true
	if s.own[h.ID] {
		return nil // written once, at the start or the end
	}
	if h.Type == "marking-definition" {
		var props map[string]any
		if err := json.Unmarshal(o.Object, &props); err != nil {
			return err
		}
		if _, ok := stix.MarkingTLP(props); ok {
			s.declares[h.ID] = true
		}
	}
	s.markings(h, o.Envelope.TLP)
	s.n++
	// An extension definition cannot carry extensions itself.
	if !stix.CarriesEnvelope(o) {
		if len(s.group) > 0 && (!stix.SameHandling(s.group[0].Envelope, o.Envelope) || len(s.group) == stix.MaxHandlingNames) {
			s.flush()
		}
		s.group = append(s.group, o)
		return nil
	}
	s.flush()
	obj, err := stix.WithEnvelope(o.Object, o.Envelope)
	if err != nil {
		return err
	}
	s.w.WriteString(",\n")
	_, err = s.w.Write(obj)
	return err
}

// markings notes the TLP 2.0 marking definitions an object names, for the
// end of the bundle, and whether it leaves without a TLP marking of its
// own though handled above TLP:CLEAR.
func (s *stixWriter) markings(h head, tlp mosaic.TLP) {
	refs := h.ObjectMarkingRefs
	for _, g := range h.GranularMarkings {
		refs = append(refs, g.MarkingRef)
	}
	official := false
	var marked mosaic.TLP
	for _, r := range refs {
		if t, ok := stix.TLPFromMarking(r); ok {
			official = true
			if t.Rank() > marked.Rank() {
				marked = t
			}
			if stix.TLPMarkingID(t) == r {
				s.tlps[t] = true
			}
		}
	}
	switch {
	case official && marked.Rank() < tlp.Rank():
		// Handled stricter than it says (the strictest of its markings
		// and the handling given beside it counts).
		s.below++
	case official || tlp.Rank() <= mosaic.TLPClear.Rank():
	case len(refs) == 0:
		s.unmarked++
	default:
		// A marking definition of the export may declare a level; it may
		// come later.
		s.pending = append(s.pending, refs)
	}
}

// flush writes the handling object of the group and then, unless the
// handling goes to the side bundle, the group's objects after it.
func (s *stixWriter) flush() {
	if len(s.group) == 0 {
		return
	}
	h := stix.HandlingObject(s.group)
	s.hobjs++
	s.handled += len(s.group)
	if s.side != nil {
		s.side.WriteString(",\n")
		s.side.Write(h)
		s.sideTLPs[s.group[0].Envelope.TLP] = true
	} else {
		s.w.WriteString(",\n")
		s.w.Write(h)
		s.tlps[s.group[0].Envelope.TLP] = true
	}
	for _, o := range s.group {
		s.w.WriteString(",\n")
		s.w.Write(o.Object)
	}
	clear(s.group)
	s.group = s.group[:0]
}

// end writes the TLP marking definitions in use and closes a bundle.
func end(w *bufio.Writer, tlps map[mosaic.TLP]bool) error {
	for _, t := range mosaic.TLPLevels {
		if tlps[t] {
			w.WriteString(",\n")
			w.Write(stix.TLPMarkingDefinition(t))
		}
	}
	w.WriteString("\n]}\n")
	return w.Flush()
}

func (s *stixWriter) End() (string, error) {
	s.flush()
	for _, refs := range s.pending {
		declared := false
		for _, r := range refs {
			declared = declared || s.declares[r]
		}
		if !declared {
			s.unmarked++
		}
	}
	if s.side != nil {
		if err := end(s.side, s.sideTLPs); err != nil {
			return "", err
		}
	}
	lines := []string{fmt.Sprintf("exported %d objects", s.n)}
	if s.skipped > 0 {
		lines[0] += fmt.Sprintf(" (%d further contributions with an id and version already in the bundle left out)", s.skipped)
	}
	if s.handled > 0 {
		where := "beside them in the bundle"
		if s.side != nil {
			where = "in the handling file"
		}
		lines = append(lines, fmt.Sprintf("%d objects of third parties as they came in, their handling in %d handling objects %s", s.handled, s.hobjs, where))
	}
	if s.unmarked > 0 {
		lines = append(lines, fmt.Sprintf("warning: %d objects handled above TLP:CLEAR leave without a TLP marking of their own; their TLP is only in the handling objects (%s), which a tool that does not know them ignores", s.unmarked, stix.HandlingType))
	}
	if s.below > 0 {
		lines = append(lines, fmt.Sprintf("warning: %d objects carry a TLP marking lower than the level they are handled under, which is only in their handling; a tool that reads the marking alone takes them as less restricted than they are", s.below))
	}
	return strings.Join(lines, "\n"), end(s.w, s.tlps)
}
