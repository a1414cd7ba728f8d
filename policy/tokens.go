package policy

import "mosaic"

// MayRequest returns nil when v may make a request of method (an HTTP
// method): anything for a viewer with a read-write token or a session, GET
// and HEAD only for one with a read-only token. It is decided on the method
// alone, not on what a handler goes on to do, so that no door that writes
// can forget to ask: a POST that only queries (a deconfliction check) is
// refused too, and so is making another token, which would let a read-only
// token widen itself. CodeForbidden.
func MayRequest(v mosaic.Viewer, method string) error {
	if !v.ReadOnly || method == "GET" || method == "HEAD" {
		return nil
	}
	return mosaic.Errorf(mosaic.CodeForbidden, "this API token is read-only: it may make GET and HEAD requests only, not %s; use a token that is not read-only to change anything", method)
}
