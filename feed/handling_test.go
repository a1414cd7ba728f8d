package feed_test

import (
	"strings"
	"testing"

	"mosaic"
	"mosaic/stix"
	"mosaic/storetest"
)

// handlingNaming is a remote Mosaic's handling object of level tlp naming
// the given objects.
func handlingNaming(n int, tlp string, named ...string) string {
	var names []string
	for _, o := range named {
		h := stix.ReadHead([]byte(o))
		names = append(names, `{"id":"`+h.ID+`","modified":"`+h.Modified+`"}`)
	}
	return `{"type":"x-mosaic-handling","spec_version":"2.1","id":"x-mosaic-handling--` + storetest.UUID(n) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z",` +
		`"extensions":{"` + stix.HandlingExtensionID + `":{"extension_type":"new-sdo"}},"object_versions":[` + strings.Join(names, ",") + `],"tlp":"` + tlp + `"}`
}

// TestHandlingOnRetries: a remote serves two versions of one third party's
// object, both TLP:RED by its handling object, to a feed into the cell.
// The feed retries the versions one by one after the first refusal, and
// each still carries the remote's level: neither reaches the cell.
func TestHandlingOnRetries(t *testing.T) {
	v1, v2 := indicatorAt(5, 1, "red v1"), indicatorAt(5, 2, "red v2")
	api := serveOne(t, handlingNaming(9, "red", v1, v2), v1, v2)
	l := newLocal(t, storetest.NewClock(storetest.Epoch))
	cell := mosaic.Audience{Cell: true}
	f := l.addFeed(t, mosaic.Feed{Name: "redfeed", URL: api, Collection: "c", Audience: &cell})
	res, err := l.poller(0, 100).Poll(bg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := l.store.Object(bg, l.viewer(t), "indicator--"+storetest.UUID(5), true)
	if mosaic.ErrorCode(err) != mosaic.CodeNotFound {
		t.Errorf("reading the object back: %v, want not found", err)
	}
	for _, o := range objs {
		t.Errorf("remote TLP:RED object stored as %s for %s (result %+v)", o.Envelope.TLP, o.Envelope.Audience, res)
	}
}

// TestHandlingAfterConflict: the same through an ordinary conflict: the
// organisation holds v1 with other content already; v2, RED by the
// remote's handling, goes in alone, at RED.
func TestHandlingAfterConflict(t *testing.T) {
	l := newLocal(t, storetest.NewClock(storetest.Epoch))
	if _, _, err := l.in.Contribute(bg, l.viewer(t), []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+indicatorAt(5, 1, "ours")+`]}`), ingestParams(), testAccess); err != nil {
		t.Fatal(err)
	}
	v1, v2 := indicatorAt(5, 1, "theirs"), indicatorAt(5, 2, "red v2")
	api := serveOne(t, handlingNaming(9, "red", v1, v2), v1, v2)
	f := l.addFeed(t, mosaic.Feed{Name: "redfeed", URL: api, Collection: "c"})
	if _, err := l.poller(0, 100).Poll(bg, f, nil); err != nil {
		t.Fatal(err)
	}
	o := l.object(t, "indicator--"+storetest.UUID(5))
	if strings.Contains(string(o.Object), "red v2") && o.Envelope.TLP != mosaic.TLPRed {
		t.Errorf("v2, TLP:RED by the remote's handling, stored at %s", o.Envelope.TLP)
	}
}

// TestTwoContributionsOnePage: a Mosaic TAXII page holds two partners'
// contributions of one third party's object (the same bytes) under
// different TLPs, each after its own handling object naming the same
// version. The feed stores the object once, at the stricter level.
func TestTwoContributionsOnePage(t *testing.T) {
	x := indicatorAt(6, 1, "vendor")
	api := serveOne(t, handlingNaming(1, "amber", x), x, handlingNaming(2, "amber+strict", x), x)
	l := newLocal(t, storetest.NewClock(storetest.Epoch))
	f := l.addFeed(t, mosaic.Feed{Name: "two", URL: api, Collection: "c"})
	res, err := l.poller(0, 100).Poll(bg, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected > 0 {
		t.Errorf("the object was refused: %+v; %s", res, l.feed(t, "two").State.LastRejection)
	}
	if o := l.object(t, "indicator--"+storetest.UUID(6)); o.Envelope.TLP != mosaic.TLPAmberStrict {
		t.Errorf("stored at %s, want the stricter amber+strict", o.Envelope.TLP)
	}
}
