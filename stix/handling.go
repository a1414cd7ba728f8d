package stix

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/jcs"
)

// A third party's object is kept and served exactly as it came in: STIX
// 2.1 §3.6 lets only its creator change it, and every copy of one id and
// modified must be the same. Its handling (TLP, originator, audience,
// ORCON, legal basis, review date) therefore travels beside it, in a
// handling object: a custom STIX domain object, defined by the extension
// definition HandlingExtensionID, that names the records it describes.

// HandlingExtensionID is the id of the extension definition of Mosaic's
// handling object, a STIX 2.1 new-sdo extension. It never changes.
const HandlingExtensionID = "extension-definition--d7f43707-f4c7-4984-a395-826069ac1d1f"

// HandlingType is the type of the handling object. The "x-" prefix keeps
// it apart from any type a future STIX may define, and tools that know
// custom objects only as STIX 2.1 §11.2 describes them accept it too.
const HandlingType = "x-mosaic-handling"

// MaxHandlingNames is the most records one handling object names: a writer
// holds the records of one handling object until it has written it, so
// this bounds what an export holds in memory.
const MaxHandlingNames = 1000

// handlingPublished is when the handling extension definition was created.
const handlingPublished = "2026-12-07T00:00:00.000Z"

// handlingNamespace is the namespace of the handling objects' UUIDs (RFC
// 9562 version 5): the UUID of their extension definition.
var handlingNamespace = uuidBytes(strings.TrimPrefix(HandlingExtensionID, "extension-definition--"))

// Handling is a handling object as submitted.
type Handling struct {
	// TLP is the level it states, "" when it states none. It is a floor:
	// an object's own markings may be stricter.
	TLP mosaic.TLP
	// Envelope holds the rest, in the form of Mosaic's property extension.
	Envelope EnvelopeExt
	// Names are the versions of objects it describes.
	Names []Version
}

// Version names one version of an object: its id and the comparison key
// (TimeKey) of its modified timestamp, or of its created timestamp for an
// object without modified (a marking definition), or "" for an object
// with neither (an SCO); the same key as Object.ModifiedKey.
type Version struct {
	ID, Key string
}

// Version returns the version the object is.
func (o *Object) Version() Version { return Version{o.ID, o.ModifiedKey} }

// SameHandling reports whether records with envelopes a and b are handled
// alike, so that one handling object can describe both. When they were
// added does not count.
func SameHandling(a, b mosaic.Envelope) bool {
	return a.Originator == b.Originator && a.TLP == b.TLP && a.Audience.Equal(b.Audience) &&
		a.ORCON == b.ORCON && a.LegalBasis == b.LegalBasis && a.ReviewBy == b.ReviewBy
}

// HandlingObject returns the handling object that describes objs, in
// canonical form. The objects must share their handling (SameHandling):
// the envelope is the first's, with the audience as far as the reader may
// know it, as the store gives it. Each object is named by its id and its
// modified timestamp as written, or its created timestamp when it has no
// modified, or by its id alone when it has neither.
//
// The result depends on nothing but objs: its created and modified are
// the latest time one of them was added, and its id is a version-5 UUID
// of the rest of its content, so two exports of the same records hold the
// same handling object and different content never shares an id.
func HandlingObject(objs []mosaic.StoredObject) json.RawMessage {
	env := objs[0].Envelope
	var added time.Time
	names := make([]any, len(objs))
	for i, o := range objs {
		h := ReadHead(o.Object)
		n := map[string]any{"id": h.ID}
		switch {
		case h.Modified != "":
			n["modified"] = h.Modified
		case h.Created != "":
			n["created"] = h.Created
		}
		names[i] = n
		if o.Envelope.Added.After(added) {
			added = o.Envelope.Added
		}
	}
	ts := handlingPublished
	if !added.IsZero() {
		ts = added.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	props := map[string]any{
		"type": HandlingType, "spec_version": "2.1",
		"created": ts, "modified": ts, "created_by_ref": IdentityID,
		"extensions":      map[string]any{HandlingExtensionID: map[string]any{"extension_type": "new-sdo"}},
		"object_versions": names,
		"audience":        env.Audience.List(),
		"orcon":           env.ORCON,
	}
	if env.TLP != "" {
		props["tlp"] = string(env.TLP)
		// The handling object says as much as the records' TLP, so it is
		// marked as they are handled.
		props["object_marking_refs"] = []any{TLPMarkingID(env.TLP)}
	}
	for k, v := range map[string]string{"originator": env.Originator, "legal_basis": env.LegalBasis, "review_by": env.ReviewBy} {
		if v != "" {
			props[k] = v
		}
	}
	props["id"] = HandlingType + "--" + uuid5(handlingNamespace, appendJSON(nil, props))
	return appendJSON(nil, props)
}

// handlingProps are the properties of a handling object beyond the common
// ones.
var handlingProps = []string{"object_versions", "tlp", "originator", "audience", "orcon", "legal_basis", "review_by"}

// handling reads a handling object's own properties; the common ones are
// checked as any object's.
func (c *checker) handling(ext *EnvelopeExt) *Handling {
	if ext != nil {
		c.add("extensions."+ExtensionID, "a handling object describes other objects' handling and carries no envelope extension of its own")
	}
	h := &Handling{}
	exts, _ := c.props["extensions"].(map[string]any)
	if e, ok := exts[HandlingExtensionID].(map[string]any); !ok || len(e) != 1 || e["extension_type"] != "new-sdo" {
		c.addf("extensions", `a handling object declares its type with "extensions": {%q: {"extension_type": "new-sdo"}}`, HandlingExtensionID)
	}
	if _, ok := c.props["object_versions"]; !ok {
		c.add("object_versions", "object_versions is required: a handling object names the objects it describes")
	}
	for _, k := range sortedKeys(c.props) {
		v := c.props[k]
		switch k {
		case "object_versions":
			h.Names = c.handlingNames(k, v)
		case "tlp":
			s, ok := c.str(k, v)
			if ok && !slices.Contains(mosaic.TLPLevels, mosaic.TLP(s)) {
				c.addf(k, "tlp %q is not one of clear, green, amber, amber+strict, red", truncate(s, 60))
				continue
			}
			h.TLP = mosaic.TLP(s)
		case "originator", "audience", "orcon", "legal_basis", "review_by":
			// Read as the property extension reads them, with the same
			// checks and messages.
			c.envelopeField(&h.Envelope, k, k, v)
		default:
			if info := propTable[k]; !info.common && k != "type" && k != "id" {
				c.addf(k, "a handling object has no property %q; its own properties are %s", truncate(k, 100), strings.Join(handlingProps, ", "))
			}
		}
	}
	return h
}

// handlingNames reads object_versions: a list of {"id", and "modified" or
// "created" or neither}.
func (c *checker) handlingNames(k string, v any) []Version {
	l, ok := c.list(k, v)
	if !ok {
		return nil
	}
	if len(l) > MaxHandlingNames {
		c.addf(k, "object_versions names %d objects, more than the %d one handling object may name", len(l), MaxHandlingNames)
		return nil
	}
	out := make([]Version, 0, len(l))
	for i, e := range l {
		p := item(k, i)
		m, ok := c.object(p, e)
		if !ok {
			continue
		}
		var n Version
		id, ok := m["id"].(string)
		if _, r := identifierReason(id); !ok || r != "" {
			c.addf(p+".id", "id must be the STIX identifier of the object described, not %s", short(m["id"]))
			continue
		}
		n.ID = id
		_, modified := m["modified"]
		_, created := m["created"]
		good := !(modified && created)
		if !good {
			c.add(p, "names a version by modified or by created, not both")
		}
		for _, key := range sortedKeys(m) {
			switch key {
			case "id":
			case "modified", "created":
				if c.timestamp(p+"."+key, m[key], false) {
					n.Key, _ = timeKey(m[key].(string))
				} else {
					good = false
				}
			default:
				c.addf(p, "%q is not a property of a named object: name it by id and modified, created or neither", truncate(key, 100))
				good = false
			}
		}
		if good {
			out = append(out, n)
		}
	}
	return out
}

// handlingSchema is the handling object's JSON Schema, the normative
// definition its extension definition carries in its schema property.
const handlingSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Mosaic handling",
  "description": "Handling data of STIX objects shared through Mosaic that are kept exactly as their creator made them. It names the objects it describes; their TLP, originator, audience, originator control, legal basis and review date are its own properties, so the objects themselves need not change.",
  "type": "object",
  "properties": {
    "type": {"const": "x-mosaic-handling"},
    "spec_version": {"const": "2.1"},
    "id": {"type": "string", "pattern": "^x-mosaic-handling--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
    "created": {"type": "string", "format": "date-time"},
    "modified": {"type": "string", "format": "date-time"},
    "created_by_ref": {"type": "string", "pattern": "^identity--"},
    "revoked": {"type": "boolean"},
    "labels": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    "confidence": {"type": "integer", "minimum": 0, "maximum": 100},
    "lang": {"type": "string"},
    "external_references": {"type": "array", "minItems": 1},
    "object_marking_refs": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^marking-definition--"}, "description": "The TLP 2.0 marking of the handling object itself, the level of the objects it describes."},
    "granular_markings": {"type": "array", "minItems": 1},
    "extensions": {
      "type": "object",
      "properties": {"extension-definition--d7f43707-f4c7-4984-a395-826069ac1d1f": {"type": "object", "properties": {"extension_type": {"const": "new-sdo"}}, "required": ["extension_type"], "additionalProperties": false}},
      "required": ["extension-definition--d7f43707-f4c7-4984-a395-826069ac1d1f"]
    },
    "object_versions": {
      "type": "array", "minItems": 1, "maxItems": 1000,
      "description": "The objects described, each by its id and the version: its modified timestamp, or its created timestamp when it has no modified (a marking definition), or neither when it has no version (a cyber-observable object).",
      "items": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "modified": {"type": "string", "format": "date-time"}, "created": {"type": "string", "format": "date-time"}},
        "required": ["id"],
        "not": {"required": ["modified", "created"]},
        "additionalProperties": false
      }
    },
    "tlp": {"enum": ["clear", "green", "amber", "amber+strict", "red"], "description": "The TLP 2.0 level the objects are handled under. The strictest of it and an object's own TLP markings applies."},
    "originator": {"type": "string", "description": "Short name of the partner organisation that contributed the objects."},
    "audience": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^(originator|cell|compartment:[a-z][a-z0-9-]{1,62})$"}, "description": "Who inside Mosaic may see the objects: [\"originator\"], [\"cell\"] or one or more [\"compartment:NAME\"]."},
    "orcon": {"type": "boolean", "description": "Originator control: nothing leaves the cell without the originator's consent."},
    "legal_basis": {"type": "string", "description": "The legal regime under which the originator provided the objects."},
    "review_by": {"type": "string", "format": "date", "description": "Date (YYYY-MM-DD) by which the objects must be reassessed."}
  },
  "required": ["type", "spec_version", "id", "created", "modified", "extensions", "object_versions"],
  "additionalProperties": false
}`

var handlingDefinition = sync.OnceValue(func() json.RawMessage {
	return extensionDefinition(HandlingExtensionID, handlingPublished, "Mosaic handling",
		"A handling object: the handling data (TLP, originator, audience, originator control, legal basis, review date) of STIX objects that Mosaic keeps exactly as their creator made them, beside those objects. It names each object it describes by id and version.",
		compactSchema("handling", handlingSchema), "new-sdo")
})

// HandlingExtensionDefinition returns the extension-definition object of
// the handling object in canonical form. Its schema property holds the
// handling object's JSON Schema. The caller may keep and change the slice.
func HandlingExtensionDefinition() json.RawMessage {
	return slices.Clone(handlingDefinition())
}

// uuid5 returns the version-5 UUID (RFC 9562 §5.5) of name in namespace.
func uuid5(namespace [16]byte, name []byte) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write(name)
	return FormatUUID(h.Sum(nil)[:16], 5)
}

// FormatUUID writes 16 bytes as a UUID of the given version (RFC 9562),
// setting its version and variant bits.
func FormatUUID(b []byte, version byte) string {
	b = slices.Clone(b[:16])
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// scoNamespace is the namespace of STIX 2.1's deterministic SCO ids (§2.9).
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// SCOID is the id STIX 2.1 gives an SCO of type typ (§2.9): a version-5
// UUID, in the STIX namespace, of the canonical JSON of its id
// contributing properties, which the caller gives.
func SCOID(typ string, contributing map[string]any) string {
	name := appendJSON(nil, contributing)
	// RFC 8785 proper: it differs from appendJSON's form in a few escapes
	// (U+2028 and U+2029), which would change the id.
	if canon, err := jcs.Canonical(name); err == nil {
		name = canon
	}
	return typ + "--" + uuid5(scoNamespace, name)
}

// uuidBytes reads a UUID in its text form; it panics on anything else, as
// it reads constants only.
func uuidBytes(s string) [16]byte {
	var out [16]byte
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != len(out) {
		panic("stix: not a UUID: " + s)
	}
	copy(out[:], b)
	return out
}

// CarriesEnvelope reports whether o is served with its envelope in Mosaic's
// property extension: an object its originator made, which no one has
// seen in another form. Anyone else's object is served as stored, with a
// handling object beside it; so is an extension definition, which cannot
// carry extensions itself.
func CarriesEnvelope(o mosaic.StoredObject) bool {
	return o.ByOriginator && ReadHead(o.Object).Type != "extension-definition"
}

// HandlingStarts reports, for each of objs in order, whether a handling
// object is written immediately before it: before each run of consecutive
// objects that do not carry their envelope and are handled alike, at most
// MaxHandlingNames long. carries says for each whether it carries its
// envelope (CarriesEnvelope), which costs a read of the object, so that
// callers read each once.
func HandlingStarts(objs []mosaic.StoredObject) (starts, carries []bool) {
	starts, carries = make([]bool, len(objs)), make([]bool, len(objs))
	run := 0
	for i, o := range objs {
		if carries[i] = CarriesEnvelope(o); carries[i] {
			run = 0
			continue
		}
		if run == 0 || run == MaxHandlingNames || !SameHandling(objs[i-1].Envelope, o.Envelope) {
			starts[i], run = true, 0
		}
		run++
	}
	return starts, carries
}
