package web_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/storetest"
)

var requestIDLine = regexp.MustCompile(`<code>[0-9a-f]{16}</code>`)

// TestHiddenObjectsLeaveNoTrace renders every page of a user before and
// after another partner stores objects hidden from that user (its own
// audience and a compartment the user is not in), which touch what the
// user sees in every way they can: a sector count, a new version of a
// visible object, a relationship to it, a shared observable, words of a
// search. Every page must stay byte for byte the same, and the page of a
// hidden object must be the page of one that never existed.
func TestHiddenObjectsLeaveNoTrace(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	// Two sign-ins, so that "new since your last visit" counts.
	e.signedIn(t, e.w.C)
	e.w.Clock.Add(time.Minute)
	c := e.signedIn(t, e.w.C)
	a := e.signedIn(t, e.w.A)

	campaign := "campaign--" + storetest.UUID(901)
	indicator := "indicator--" + storetest.UUID(903)
	hiddenIncident := "incident--" + storetest.UUID(950)
	never := "incident--" + storetest.UUID(999)
	paths := []string{
		"/", "/objects", "/objects?type=incident", "/objects?type=campaign", "/objects?q=zanzibar", "/objects?q=198.51.100.7",
		"/objects?q=ward", "/objects?originator=pa", "/objects?tlp=red", "/objects/" + campaign, "/objects/" + indicator,
		"/objects/identity--" + storetest.UUID(900),
	}
	render := func(b *browser) map[string]string {
		out := map[string]string{}
		for _, p := range paths {
			_, body := b.get(p)
			out[p] = requestIDLine.ReplaceAllString(body, "<code>ID</code>")
		}
		return out
	}
	before := render(c)

	now := e.w.Clock.Now()
	ts := now.Format("2006-01-02T15:04:05.000Z")
	own := mosaic.Envelope{}
	ops := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}}
	red := mosaic.Envelope{Audience: mosaic.Audience{Compartments: []string{"ops"}}, TLP: mosaic.TLPRed}
	e.w.Ingest(t, e.w.A,
		storetest.Record(t, `{"type":"incident","spec_version":"2.1","id":"`+hiddenIncident+`","created":"`+ts+`","modified":"`+ts+`","name":"Zanzibar breach at a hospital"}`, own),
		storetest.Record(t, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+storetest.UUID(951)+`","created":"`+ts+`","modified":"`+ts+`","relationship_type":"related-to","source_ref":"`+hiddenIncident+`","target_ref":"identity--`+storetest.UUID(900)+`"}`, own),
		storetest.Record(t, `{"type":"relationship","spec_version":"2.1","id":"relationship--`+storetest.UUID(952)+`","created":"`+ts+`","modified":"`+ts+`","relationship_type":"attributed-to","source_ref":"`+campaign+`","target_ref":"intrusion-set--`+storetest.UUID(953)+`"}`, ops),
		storetest.Record(t, `{"type":"intrusion-set","spec_version":"2.1","id":"intrusion-set--`+storetest.UUID(953)+`","created":"`+ts+`","modified":"`+ts+`","name":"Zanzibar Panda"}`, red),
		storetest.Record(t, `{"type":"indicator","spec_version":"2.1","id":"indicator--`+storetest.UUID(954)+`","created":"`+ts+`","modified":"`+ts+`","name":"Zanzibar beacon","pattern":"[ipv4-addr:value = '198.51.100.7']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, ops),
		storetest.Record(t, `{"type":"campaign","spec_version":"2.1","id":"`+campaign+`","created":"`+now.Add(-3*time.Hour).Format("2006-01-02T15:04:05.000Z")+`","modified":"`+ts+`","name":"Ward Sweep, Zanzibar track"}`, own),
	)
	after := render(c)
	for _, p := range paths {
		if before[p] != after[p] {
			t.Errorf("%s changed when hidden objects arrived:\nbefore:\n%s\nafter:\n%s", p, before[p], after[p])
		}
		if !strings.Contains(p, "zanzibar") && strings.Contains(strings.ToLower(after[p]), "zanzibar") {
			t.Errorf("%s names a hidden object", p)
		}
	}
	_, hidden := c.get("/objects/" + hiddenIncident)
	_, missing := c.get("/objects/" + never)
	hidden = requestIDLine.ReplaceAllString(strings.ReplaceAll(hidden, hiddenIncident, "ID"), "")
	missing = requestIDLine.ReplaceAllString(strings.ReplaceAll(missing, never, "ID"), "")
	if hidden != missing {
		t.Errorf("a hidden object's page differs from a missing one's:\n%s\n---\n%s", hidden, missing)
	}

	// The originator does see it all, so the test data is really there.
	seen := render(a)
	for p, want := range map[string]string{
		"/objects?q=zanzibar":  "Zanzibar breach",
		"/objects/" + campaign: "Ward Sweep, Zanzibar track",
		"/":                    "Zanzibar",
	} {
		if !strings.Contains(seen[p], want) {
			t.Errorf("the originator's %s lacks %q", p, want)
		}
	}
	if !strings.Contains(seen["/objects/"+indicator], "Zanzibar beacon") {
		t.Errorf("the originator's indicator page shows no correlation")
	}
}
