// Package release holds what makes a release (verstrekking) a release and
// not a copy: the release keys, the ids released objects get, and the
// sealed snapshot a recipient can check. A snapshot is the canonical JSON
// (RFC 8785) of what a recipient receives; its SHA-256 digest is signed
// with Ed25519 by the platform's release key, whose public half is
// published, so that a downloaded snapshot can be checked after the key
// is pinned, offline.
//
// Released objects do not carry their sources' ids: an SDO or SRO gets an
// id derived with HMAC-SHA256, under the platform's id key, from its
// source id and the canonical form of its sanitisation, so that a later
// release of the same source sanitised the same way is a new version of
// the same object, and nobody without the key can tell which source object
// a released one came from. SCOs keep their value-based ids.
//
// The rules of who may receive what are policy's (policy.MayRelease).
package release
