// Package deconflict is hit/no-hit deconfliction without disclosure
// (DESIGN §5): partners learn that another partner holds the same selector
// without anyone, the platform included, seeing the selector.
//
// A partner's client normalises typed selectors (selector.go, sharing
// package search's normalisation), blinds them and verifies the evaluator's
// RFC 9497 VOPRF answers against the epoch key it pinned (blind.go,
// pins.go), and sends only the resulting tokens (client.go). The evaluator
// holds the key in its own file (keys.go) and runs in the server
// (LocalEvaluator) or as mosaic oprfd (oprfd.go). Handler serves the API
// under /api/v1/deconfliction/: evaluation under a daily budget per
// organisation, registrations, checks and hits, kept by the store's
// mosaic.Deconfliction. docs/deconfliction.md has the threat model.
package deconflict
