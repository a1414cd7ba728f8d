package feed

import (
	"bytes"
	"encoding/json"

	"mosaic/stix"
)

// withoutEnvelope removes Mosaic's envelope extension from a remote
// object, and extensions with it when nothing else is left there.
//
// A remote Mosaic writes its envelope into every object it serves: its
// originator, audience, legal basis and review date. Those describe the
// object's handling over there, by another organisation, under another
// legal regime; here the feed's configured envelope governs, and the
// originator is the feed's local organisation. Left in place, the
// extension would either be refused by ingest (it names another
// originator) or, without an originator, override the feed's envelope with
// the remote one. The TLP is not in the extension but in the object's
// markings, so it travels with the object and is kept.
//
// The extension is taken out of the raw JSON, before the object is
// validated, so that an extension written by a newer Mosaic (with
// properties this one does not know) does not make the object invalid.
// importPage also drops the extension as decoded, so that a spelling this
// function misses cannot set the handling either.
func withoutEnvelope(raw json.RawMessage) (json.RawMessage, error) {
	// A key can spell the id with \u escapes ("…ee4\u0031"), which the
	// decoder reads as the id itself. The other escapes of JSON stand for
	// characters that are in no extension id, so an object with neither the
	// id literally nor a \u escape cannot hold the extension.
	if !bytes.Contains(raw, []byte(stix.ExtensionID)) && !bytes.Contains(raw, []byte(`\u`)) {
		return raw, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	extRaw, ok := top["extensions"]
	if !ok {
		return raw, nil // the id occurs elsewhere, in a reference or text
	}
	var exts map[string]json.RawMessage
	if err := json.Unmarshal(extRaw, &exts); err != nil {
		// Not an object: leave it to validation to say so.
		return raw, nil
	}
	if _, ok := exts[stix.ExtensionID]; !ok {
		return raw, nil
	}
	delete(exts, stix.ExtensionID)
	if len(exts) == 0 {
		delete(top, "extensions")
	} else {
		b, err := marshal(exts)
		if err != nil {
			return nil, err
		}
		top["extensions"] = b
	}
	return marshal(top)
}

// marshal encodes without escaping <, > and &, so that text is kept as the
// remote wrote it.
func marshal(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
