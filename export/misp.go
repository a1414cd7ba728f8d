package export

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"

	"mosaic"
	"mosaic/misp"
)

// mispWriter writes MISP event JSON ({"response": [{"Event": ...}]}, one
// event per report and one for the objects outside reports) through
// misp.Events, which needs every object at once to group them. Each
// attribute carries the TLP its object is handled under, as a tlp:* tag
// of its own where it differs from its event's.
type mispWriter struct {
	w    *bufio.Writer
	objs []json.RawMessage
	tlp  map[string]mosaic.TLP // id -> the strictest TLP of its records
}

func newMISP(w *bufio.Writer) *mispWriter {
	return &mispWriter{w: w, tlp: map[string]mosaic.TLP{}}
}

// Begin writes nothing: the events are known only when every object is.
func (m *mispWriter) Begin() error { return nil }

func (m *mispWriter) Object(o mosaic.StoredObject) error {
	var head struct{ ID string }
	if err := json.Unmarshal(o.Object, &head); err != nil {
		return err
	}
	m.objs = append(m.objs, o.Object)
	if t := o.Envelope.TLP; t.Rank() > m.tlp[head.ID].Rank() {
		m.tlp[head.ID] = t
	}
	return nil
}

func (m *mispWriter) End() (string, error) {
	doc, skipped, err := misp.Events(m.objs, m.tlp, "Mosaic export")
	if err != nil {
		return "", err
	}
	if _, err := m.w.Write(doc); err != nil {
		return "", err
	}
	if err := m.w.Flush(); err != nil {
		return "", err
	}
	var out struct {
		Response []struct {
			Event struct {
				Attribute, Object []json.RawMessage
				Galaxy            []struct{ GalaxyCluster []json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal(doc, &out); err != nil {
		return "", err
	}
	attrs, objs, clusters := 0, 0, 0
	for _, e := range out.Response {
		attrs += len(e.Event.Attribute)
		objs += len(e.Event.Object)
		for _, g := range e.Event.Galaxy {
			clusters += len(g.GalaxyCluster)
		}
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "exported %d MISP events with %d attributes, %d objects and %d galaxy clusters from %d STIX objects",
		len(out.Response), attrs, objs, clusters, len(m.objs))
	if len(skipped) > 0 {
		// What MISP cannot hold is named, by reason, never dropped
		// silently.
		fmt.Fprintf(&msg, "\n%d STIX objects have no place in MISP event JSON and were left out:", len(skipped))
		byReason := map[string][]string{}
		var reasons []string
		for _, s := range skipped {
			if byReason[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.What)
		}
		for _, r := range reasons {
			whats := byReason[r]
			fmt.Fprintf(&msg, "\n  %d: %s: %s", len(whats), r, strings.Join(whats[:min(len(whats), 5)], ", "))
			if len(whats) > 5 {
				fmt.Fprintf(&msg, " and %d more", len(whats)-5)
			}
		}
	}
	return msg.String(), nil
}
