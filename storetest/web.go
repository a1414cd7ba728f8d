package storetest

import "testing"

func testWeb(t *testing.T, open Opener) { t.Skip("web: scaffold, to be written") }
