package policy

import (
	"net/http"
	"strings"
	"testing"

	"mosaic"
)

func TestMayRequest(t *testing.T) {
	rw := mosaic.Viewer{User: "ann", Role: mosaic.Analyst, OrgKind: mosaic.Partner}
	ro := rw
	ro.ReadOnly = true
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "PROPFIND", "get"} {
		if err := MayRequest(rw, m); err != nil {
			t.Errorf("read-write %s: %v", m, err)
		}
		err := MayRequest(ro, m)
		safe := m == http.MethodGet || m == http.MethodHead
		switch {
		case safe && err != nil:
			t.Errorf("read-only %s: %v", m, err)
		case !safe && (mosaic.ErrorCode(err) != mosaic.CodeForbidden || !strings.Contains(mosaic.ErrorMessage(err), "read-only")):
			t.Errorf("read-only %s: %v, want a forbidden that names the token read-only", m, err)
		}
	}
}
