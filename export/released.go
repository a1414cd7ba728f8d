package export

import (
	"bytes"
	"encoding/json"
	"io"
	"time"

	"mosaic"
	"mosaic/stix"
)

// Released writes the objects of a released bundle in format, for a
// recipient: each object at the TLP its marking names (the release's tlp
// where it names none), with no originator or audience, and a STIX export
// without handling objects, since released objects carry their marking and
// nothing of their sources. The TLP definitions the bundle holds are left
// to each writer, which names the levels it uses itself.
func Released(bundle []byte, tlp mosaic.TLP, format string, now time.Time) ([]byte, error) {
	var b struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		return nil, mosaic.Internal(err, "decode a released bundle")
	}
	var buf bytes.Buffer
	var opts []Option
	if format == "stix" {
		opts = append(opts, HandlingTo(io.Discard))
	}
	ew, err := New(format, &buf, now, opts...)
	if err != nil {
		return nil, err
	}
	if err := ew.Begin(); err != nil {
		return nil, mosaic.Internal(err, "export")
	}
	for _, raw := range b.Objects {
		var h struct {
			Type              string   `json:"type"`
			ID                string   `json:"id"`
			ObjectMarkingRefs []string `json:"object_marking_refs"`
		}
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, mosaic.Internal(err, "decode a released object")
		}
		if _, ok := stix.TLPFromMarking(h.ID); ok && h.Type == "marking-definition" {
			continue
		}
		level, marked := mosaic.TLP(""), false
		for _, ref := range h.ObjectMarkingRefs {
			if t, ok := stix.TLPFromMarking(ref); ok && (!marked || t.Rank() > level.Rank()) {
				level, marked = t, true
			}
		}
		if !marked {
			level = tlp
		}
		if err := ew.Object(mosaic.StoredObject{Object: raw, Envelope: mosaic.Envelope{TLP: level}}); err != nil {
			return nil, mosaic.Internal(err, "export a released object")
		}
	}
	if _, err := ew.End(); err != nil {
		return nil, mosaic.Internal(err, "export")
	}
	return buf.Bytes(), nil
}
