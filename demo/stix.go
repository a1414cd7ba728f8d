package demo

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"mosaic"
)

// The TLP 2.0 marking definitions (oasis-open/cti-stix-common-objects). They
// are referenced, not included: every STIX 2.1 tool knows them by id.
var markingIDs = map[mosaic.TLP]string{
	mosaic.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	mosaic.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	mosaic.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	mosaic.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	mosaic.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// timeLayout is the STIX timestamp with millisecond precision that created
// and modified require.
const timeLayout = "2006-01-02T15:04:05.000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// prop is one property of a STIX object. Objects keep their properties in
// order so that the JSON reads like the examples in the specification (type
// and id first) and is byte-for-byte the same on every run.
type prop struct {
	key string
	val any
}

func p(key string, val any) prop { return prop{key, val} }

// object is a STIX object under construction.
type object []prop

// MarshalJSON writes the properties in order, skipping empty optional ones,
// without the HTML escaping of encoding/json so that patterns and URLs stay
// readable.
func (o object) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	n := 0
	for _, f := range o {
		if empty(f.val) {
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		k, err := marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(f.val)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", f.key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// empty reports whether an optional property has no value and is left out:
// STIX forbids empty strings and lists where a property is present.
func empty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []string:
		return len(v) == 0
	case []extRef:
		return len(v) == 0
	case []killChainPhase:
		return len(v) == 0
	case map[string]string:
		return len(v) == 0
	}
	return false
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// extRef is a STIX external reference.
type extRef struct {
	SourceName  string `json:"source_name"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
}

// killChainPhase is a STIX kill chain phase.
type killChainPhase struct {
	KillChainName string `json:"kill_chain_name"`
	PhaseName     string `json:"phase_name"`
}

// sdoID returns a UUIDv4-shaped id derived from a name, so that ids are the
// same on every run and for every now: objects keep their identity when the
// demo is loaded twice, and tests can name them.
func sdoID(typ, name string) string {
	h := sha256.Sum256([]byte("mosaic-demo\x00" + typ + "\x00" + name))
	h[6] = h[6]&0x0f | 0x40 // version 4
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return typ + "--" + formatUUID(h[:16])
}

// scoNamespace is the STIX 2.1 namespace for deterministic SCO ids (STIX 2.1
// section 2.9).
var scoNamespace = [16]byte{0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7}

// scoID returns the deterministic id STIX 2.1 prescribes for an SCO: a UUIDv5
// in the STIX namespace over the canonical JSON of its ID contributing
// properties. This is what makes the same address contributed by two partners
// the same object.
func scoID(typ string, contributing map[string]any) string {
	canon, err := marshal(contributing) // maps marshal with sorted keys, no white space: RFC 8785 for these values
	if err != nil {
		panic(fmt.Sprintf("demo: canonical JSON of %s: %v", typ, err))
	}
	h := sha1.New()
	h.Write(scoNamespace[:])
	h.Write(canon)
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80
	return typ + "--" + formatUUID(u)
}

func formatUUID(u []byte) string {
	s := hex.EncodeToString(u)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// sha256Of and md5Of make realistic-looking sample hashes from a name; no
// real file has them.
func sha256Of(name string) string {
	h := sha256.Sum256([]byte("mosaic-demo sample\x00" + name))
	return hex.EncodeToString(h[:])
}

func md5Of(name string) string {
	h := md5.Sum([]byte("mosaic-demo sample\x00" + name))
	return hex.EncodeToString(h[:])
}

// identityID is the id of the identity object of a demo organisation, the
// created_by_ref of everything the organisation contributes.
func identityID(org string) string { return sdoID("identity", "org/"+org) }
