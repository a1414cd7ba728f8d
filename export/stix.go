package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"mosaic"
	"mosaic/stix"
)

// stixWriter writes a STIX 2.1 bundle with each object's envelope in
// Mosaic's extension and the TLP marking definitions in use.
type stixWriter struct {
	w    *bufio.Writer
	seen map[string]bool
	tlps map[mosaic.TLP]bool
	// own holds the ids of the objects the writer writes itself, once:
	// Mosaic's identity and extension definition and the TLP marking
	// definitions. Stored copies of them are left out.
	own        map[string]bool
	n, skipped int
}

func newSTIX(w *bufio.Writer) *stixWriter {
	own := map[string]bool{stix.IdentityID: true, stix.ExtensionID: true}
	for _, t := range mosaic.TLPLevels {
		own[stix.TLPMarkingID(t)] = true
	}
	return &stixWriter{w: w, seen: map[string]bool{}, tlps: map[mosaic.TLP]bool{}, own: own}
}

func (s *stixWriter) Begin() error {
	fmt.Fprintf(s.w, `{"type":"bundle","id":%q,"objects":[`+"\n", stix.NewID("bundle"))
	// Mosaic's identity and extension definition make the envelope
	// extension self-describing for any other tool.
	s.w.Write(stix.Identity())
	s.w.WriteString(",\n")
	// A bufio.Writer keeps its first error, so the last write reports any.
	_, err := s.w.Write(stix.ExtensionDefinition())
	return err
}

func (s *stixWriter) Object(o mosaic.StoredObject) error {
	var head struct{ ID, Modified, Created string }
	if err := json.Unmarshal(o.Object, &head); err != nil {
		return err
	}
	// Two partners may hold different content under one id and version; a
	// bundle may hold only one of them.
	key := head.ID + "|" + head.Modified + "|" + head.Created
	if s.seen[key] {
		s.skipped++
		return nil
	}
	s.seen[key] = true
	if s.own[head.ID] {
		return nil // written once, at the start or the end
	}
	obj := o.Object
	// An extension definition cannot carry extensions itself.
	if !strings.HasPrefix(head.ID, "extension-definition--") {
		withEnv, err := stix.WithEnvelope(o.Object, o.Envelope)
		if err != nil {
			return err
		}
		obj = withEnv
	}
	s.w.WriteString(",\n")
	s.w.Write(obj)
	s.tlps[o.Envelope.TLP] = true
	s.n++
	return nil
}

func (s *stixWriter) End() (string, error) {
	for _, t := range mosaic.TLPLevels {
		if s.tlps[t] {
			s.w.WriteString(",\n")
			s.w.Write(stix.TLPMarkingDefinition(t))
		}
	}
	s.w.WriteString("\n]}\n")
	msg := fmt.Sprintf("exported %d objects", s.n)
	if s.skipped > 0 {
		msg += fmt.Sprintf(" (%d further contributions with an id and version already in the bundle left out)", s.skipped)
	}
	return msg, s.w.Flush()
}
