// Package stix decodes and validates STIX 2.1 content for Mosaic: bundles
// and single objects, their canonical form, timestamps as comparison keys,
// TLP markings, and Mosaic's envelope extension.
//
// Decoding is strict on purpose. Ambiguous or oversized JSON (duplicate
// keys, deep nesting, huge strings, invalid UTF-8, lone surrogates) is
// rejected before any STIX rule is applied, because two tools reading the
// same bytes must see the same object. Every problem found is reported at
// once, so a partner can fix a bundle in one round trip.
//
// Each object is checked twice: by the rules of STIX 2.1 written out in
// validate.go, and against the official STIX 2.1 JSON schema of its type
// (schemas/, embedded; schema.go). A fault both find is reported once, in
// the words of the first. The schemas are compiled once, at first use;
// they are never fetched.
package stix
