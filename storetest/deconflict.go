package storetest

import "testing"

func testDeconfliction(t *testing.T, open Opener) { t.Skip("deconfliction: scaffold, to be written") }
