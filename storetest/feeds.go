package storetest

import "testing"

func testFeeds(t *testing.T, open Opener) { t.Skip("feeds: scaffold, to be written") }
