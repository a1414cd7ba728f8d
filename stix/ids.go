package stix

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
)

// NewUUID returns a random version-4 UUID (RFC 9562 §5.4), the form STIX
// identifiers of new objects take (STIX 2.1 §2.9).
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewID returns a STIX identifier of type typ with a fresh UUID.
func NewID(typ string) string { return typ + "--" + NewUUID() }

// Bundle returns a bundle of objects, each already a JSON object, under a
// fresh id, without decoding and encoding them again. Without objects the
// list is left out, as STIX prohibits empty lists.
func Bundle(objects []json.RawMessage) []byte {
	if len(objects) == 0 {
		return []byte(`{"type":"bundle","id":"` + NewID("bundle") + `"}`)
	}
	n := 64
	for _, o := range objects {
		n += len(o) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"type":"bundle","id":"`+NewID("bundle")+`","objects":[`...)
	for i, o := range objects {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o...)
	}
	return append(b, "]}"...)
}

// idForm is the form of a STIX identifier a reader may ask for: a type
// name, "--" and a UUID. Upper-case hex is accepted, as the STIX schemas
// accept it, so that every stored id can be asked for.
var idForm = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsID reports whether s has the form of a STIX identifier (type--UUID),
// as an id a reader asks for must. Decoding an object checks its id more
// strictly.
func IsID(s string) bool { return idForm.MatchString(s) }

// Head is what a reader needs of a stored object without decoding it.
type Head struct {
	ID, Type, Created, Modified string
	CreatedBy                   string // created_by_ref
}

// ReadHead reads the top-level members id, type, created, modified and
// created_by_ref of a stored object without decoding the rest: a page holds up to a thousand
// objects, and decoding each whole would cost more than the query. A
// member that is absent or not a string is "". On text that is not a JSON
// object it returns what it can, and never fails.
func ReadHead(raw []byte) Head {
	var h Head
	topLevel(raw, func(key string, val []byte) {
		var dst *string
		switch key {
		case "id":
			dst = &h.ID
		case "type":
			dst = &h.Type
		case "created":
			dst = &h.Created
		case "modified":
			dst = &h.Modified
		case "created_by_ref":
			dst = &h.CreatedBy
		default:
			return
		}
		if n := len(val); n >= 2 && val[0] == '"' && val[n-1] == '"' {
			*dst = decodeString(val[1 : n-1])
		}
	})
	return h
}
