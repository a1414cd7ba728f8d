package stix

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"mosaic"
)

// ExtensionID is the id of Mosaic's envelope extension, a STIX 2.1
// property-extension. It never changes: objects exported by any Mosaic
// carry it.
const ExtensionID = "extension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee41"

// IdentityID is the id of Mosaic as a STIX identity (identity_class
// "system"), the creator of the extension definition.
const IdentityID = "identity--65b1510e-f824-4cf9-ab65-458957372e5c"

// published is when the extension definition and identity were created.
const published = "2026-11-27T00:00:00.000Z"

// EnvelopeExt is Mosaic's envelope extension as submitted with an object.
// Every field is optional; nil means not given. The extension's tlp is not
// here: the TLP comes from the object's markings. Originator is what an
// export wrote; the originator of a record is always its submitter, and
// ingest refuses an object that says it is another organisation's.
type EnvelopeExt struct {
	Originator *string
	Audience   *mosaic.Audience // JSON: list form, such as ["cell"] or ["compartment:a", "compartment:b"]
	ORCON      *bool
	LegalBasis *string
	ReviewBy   *string // YYYY-MM-DD, checked with mosaic.ParseDate
}

// Equal reports whether e and f give the same fields the same values.
func (e *EnvelopeExt) Equal(f *EnvelopeExt) bool {
	if e == nil || f == nil {
		return e == f
	}
	return eqPtr(e.Originator, f.Originator) && eqPtr(e.ORCON, f.ORCON) && eqPtr(e.LegalBasis, f.LegalBasis) && eqPtr(e.ReviewBy, f.ReviewBy) &&
		(e.Audience == nil) == (f.Audience == nil) && (e.Audience == nil || e.Audience.Equal(*f.Audience))
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

var envelopeProps = []string{"extension_type", "originator", "tlp", "audience", "orcon", "legal_basis", "review_by"}

// envelopeExt reads Mosaic's extension from a submitted object.
func (c *checker) envelopeExt(v any) *EnvelopeExt {
	p := "extensions." + ExtensionID
	m, ok := c.object(p, v)
	if !ok {
		return nil
	}
	e := &EnvelopeExt{}
	if _, ok := m["extension_type"]; !ok {
		c.add(p+".extension_type", `extension_type is required: Mosaic's envelope extension has "extension_type": "property-extension"`)
	}
	for _, k := range sortedKeys(m) {
		kp, val := p+"."+k, m[k]
		switch k {
		case "extension_type":
			if s, _ := val.(string); s != "property-extension" {
				c.addf(kp, `extension_type must be "property-extension", not %s`, short(val))
			}
		case "tlp":
			// Set by the server on export, so ignored on input; the type
			// is still checked, so that nothing malformed passes silently.
			c.str(kp, val)
		case "originator", "audience", "orcon", "legal_basis", "review_by":
			c.envelopeField(e, kp, k, val)
		default:
			c.addf(p, "Mosaic's envelope extension has no property %q; its properties are %s", truncate(k, 100), strings.Join(envelopeProps, ", "))
		}
	}
	return e
}

// envelopeField reads one envelope field k, at path kp, into e: the same
// checks for the property extension and the handling object.
func (c *checker) envelopeField(e *EnvelopeExt, kp, k string, val any) {
	switch k {
	case "originator":
		if o, ok := c.str(kp, val); ok {
			e.Originator = &o
		}
	case "audience":
		items := c.stringList(kp, val)
		if items == nil {
			return
		}
		a, err := mosaic.ParseAudienceList(items)
		if err != nil {
			c.add(kp, mosaic.ErrorMessage(err))
			return
		}
		e.Audience = &a
	case "orcon":
		if b, ok := val.(bool); ok {
			e.ORCON = &b
		} else {
			c.boolean(kp, val)
		}
	case "legal_basis":
		if s, ok := c.str(kp, val); ok {
			e.LegalBasis = &s
		}
	case "review_by":
		s, ok := c.str(kp, val)
		if !ok {
			return
		}
		if _, err := mosaic.ParseDate(s); err != nil {
			c.add(kp, mosaic.ErrorMessage(err))
			return
		}
		e.ReviewBy = &s
	}
}

// envelopeValue is the extension for env, in the shape envelopeExt reads.
func envelopeValue(env mosaic.Envelope) map[string]any {
	m := map[string]any{
		"extension_type": "property-extension",
		"audience":       env.Audience.List(),
		"orcon":          env.ORCON,
	}
	for k, v := range map[string]string{"originator": env.Originator, "tlp": string(env.TLP), "legal_basis": env.LegalBasis, "review_by": env.ReviewBy} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// WithEnvelope returns obj with Mosaic's envelope extension carrying env,
// in canonical form: originator, tlp, audience (list form), orcon,
// legal_basis and review_by; empty strings are left out. An extension
// already there is replaced. Decoding the result with DecodeObject gives
// back obj's canonical form. The error is a CodeInvalid *mosaic.Error when
// obj is not a JSON object.
func WithEnvelope(obj json.RawMessage, env mosaic.Envelope) (json.RawMessage, error) {
	sc := newScanner(obj, DefaultLimits().withDefaults(), false)
	sc.lim.MaxObjectBytes = 1 << 62
	if err := sc.run(); err != nil {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "cannot add the envelope: %v", err)
	}
	if len(sc.issues) > 0 {
		return nil, mosaic.Errorf(mosaic.CodeInvalid, "cannot add the envelope: %s", sc.issues[0].reason)
	}
	b := builder{s: string(obj)}
	b.ws()
	props := b.object(0)
	exts, ok := props["extensions"].(map[string]any)
	if !ok {
		if _, present := props["extensions"]; present {
			return nil, mosaic.Errorf(mosaic.CodeInvalid, "cannot add the envelope: extensions is %s, not an object", jsonType(props["extensions"]))
		}
		exts = make(map[string]any, 1)
		props["extensions"] = exts
	}
	exts[ExtensionID] = envelopeValue(env)
	return appendJSON(make([]byte, 0, len(obj)+256), props), nil
}

// envelopeSchema is the extension's JSON Schema, the normative definition
// the extension definition carries in its schema property.
const envelopeSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Mosaic envelope",
  "description": "Handling data of a STIX object shared through Mosaic. The TLP of the object is given by its object_marking_refs (TLP 2.0 marking definitions), not by this extension.",
  "type": "object",
  "properties": {
    "extension_type": {"const": "property-extension"},
    "originator": {"type": "string", "description": "Short name of the partner organisation that contributed the object. Set by Mosaic on export; ignored on input."},
    "tlp": {"enum": ["clear", "green", "amber", "amber+strict", "red"], "description": "The TLP 2.0 level of the object's markings, repeated for convenience. Set by Mosaic on export; ignored on input."},
    "audience": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^(originator|cell|compartment:[a-z][a-z0-9-]{1,62})$"}, "description": "Who inside Mosaic may see the object: [\"originator\"] (the contributing organisation only), [\"cell\"] (every partner) or one or more [\"compartment:NAME\"]."},
    "orcon": {"type": "boolean", "description": "Originator control: nothing leaves the cell without the originator's consent."},
    "legal_basis": {"type": "string", "description": "The legal regime under which the originator provided the object."},
    "review_by": {"type": "string", "format": "date", "description": "Date (YYYY-MM-DD) by which the object must be reassessed."}
  },
  "required": ["extension_type"],
  "additionalProperties": false
}`

var metaObjects = sync.OnceValues(func() (ext, ident json.RawMessage) {
	identity := map[string]any{
		"type": "identity", "spec_version": "2.1", "id": IdentityID,
		"created": published, "modified": published,
		"name":           "Mosaic",
		"description":    "Mosaic, the threat-intelligence sharing system of a joint cyber intel/info cell.",
		"identity_class": "system",
	}
	def := extensionDefinition(ExtensionID, published, "Mosaic envelope",
		"Handling data that travels with every STIX object in Mosaic: who may see it (audience), originator control, the legal basis under which it was provided and when it must be reviewed.",
		compactSchema("envelope", envelopeSchema), "property-extension")
	return def, appendJSON(nil, identity)
})

// extensionDefinition is one of Mosaic's extension-definition objects, in
// canonical form, created by Mosaic's identity at published.
func extensionDefinition(id, published, name, description, schema, extensionType string) json.RawMessage {
	return appendJSON(nil, map[string]any{
		"type": "extension-definition", "spec_version": "2.1", "id": id,
		"created_by_ref": IdentityID, "created": published, "modified": published,
		"name": name, "description": description, "schema": schema, "version": "1.0",
		"extension_types": []string{extensionType},
	})
}

// ExtensionDefinition returns the extension-definition object of Mosaic's
// envelope extension in canonical form. Its schema property holds the
// extension's JSON Schema. The caller may keep and change the slice.
func ExtensionDefinition() json.RawMessage {
	ext, _ := metaObjects()
	return slices.Clone(ext)
}

// Identity returns Mosaic as a STIX identity object in canonical form, the
// creator of ExtensionDefinition. The caller may keep and change the slice.
func Identity() json.RawMessage {
	_, ident := metaObjects()
	return slices.Clone(ident)
}

// compactSchema returns a JSON Schema of this package, named name, without
// insignificant white space, for the schema property of its extension
// definition. It panics on a schema that is not JSON: they are constants.
func compactSchema(name, schema string) string {
	var v any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		panic(fmt.Sprintf("stix: %s schema: %v", name, err))
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
