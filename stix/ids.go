package stix

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
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
