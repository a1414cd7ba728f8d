package export_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"mosaic"
	"mosaic/misp"
)

// event is what the MISP test reads from an event.
type event struct {
	Info  string
	Tags  []string
	Attrs []attribute
}

type attribute struct {
	Type, Value string
	Tags        []string
}

func TestMISP(t *testing.T) {
	id := func(typ string, n int) string { return typ + "--" + uuid(n) }
	report := json.RawMessage(`{"type":"report","spec_version":"2.1","id":"` + id("report", 10) + `","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Marshlock","published":"2026-10-01T00:00:00Z","object_refs":["` + id("indicator", 1) + `","` + id("indicator", 2) + `"]}`)
	url := indicator(3, "[url:value = 'https://evil.example/x']", "")
	var custom []mosaic.StoredObject
	for n := 20; n < 27; n++ {
		custom = append(custom, stored(json.RawMessage(`{"type":"x-acme-thing","spec_version":"2.1","id":"`+id("x-acme-thing", n)+`","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"no MISP place"}`), mosaic.TLPClear, "pa"))
	}
	identity := stored(json.RawMessage(`{"type":"identity","spec_version":"2.1","id":"`+id("identity", 30)+`","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"ACME","identity_class":"organization"}`), mosaic.TLPClear, "pa")
	for _, tc := range []struct {
		name        string
		objs        []mosaic.StoredObject
		want        []event
		wantSummary string
	}{{
		name:        "empty",
		wantSummary: "exported 0 MISP events with 0 attributes, 0 objects and 0 galaxy clusters from 0 STIX objects",
	}, {
		// The objects carry no markings: every TLP comes from the
		// envelopes. The event takes the strictest of its objects; an
		// attribute names its own where it differs. Of two records of
		// one id the stricter counts.
		name: "events by report, TLP by envelope",
		objs: []mosaic.StoredObject{
			stored(report, mosaic.TLPGreen, "pa"),
			stored(indicator(1, "[ipv4-addr:value = '198.51.100.7']", ""), mosaic.TLPGreen, "pa"),
			stored(indicator(2, "[domain-name:value = 'evil.example']", ""), mosaic.TLPRed, "pa"),
			stored(url, mosaic.TLPClear, "pa"),
			stored(url, mosaic.TLPAmber, "pb"),
		},
		want: []event{{
			Info: "Marshlock", Tags: []string{"tlp:red"},
			Attrs: []attribute{{"ip-dst", "198.51.100.7", []string{"tlp:green"}}, {"domain", "evil.example", nil}},
		}, {
			Info: "Mosaic export", Tags: []string{"tlp:amber"},
			Attrs: []attribute{{"url", "https://evil.example/x", nil}},
		}},
		wantSummary: "exported 2 MISP events with 3 attributes, 0 objects and 0 galaxy clusters from 5 STIX objects",
	}, {
		// What MISP has no place for is named in the summary, by reason,
		// five at most each.
		name: "left out, by reason",
		objs: append([]mosaic.StoredObject{stored(url, mosaic.TLPGreen, "pa"), identity}, custom...),
		want: []event{{
			Info: "Mosaic export", Tags: []string{"tlp:green"},
			Attrs: []attribute{{"url", "https://evil.example/x", nil}},
		}},
		wantSummary: "exported 1 MISP events with 1 attributes, 0 objects and 0 galaxy clusters from 9 STIX objects\n" +
			"8 STIX objects have no place in MISP event JSON and were left out:\n" +
			"  1: MISP event JSON holds identities only as the event's creator and as sighters: " + id("identity", 30) + "\n" +
			"  7: misp-stix's mapping has no MISP equivalent for it that Mosaic exports: " +
			strings.Join([]string{id("x-acme-thing", 20), id("x-acme-thing", 21), id("x-acme-thing", 22), id("x-acme-thing", 23), id("x-acme-thing", 24)}, ", ") +
			" and 2 more",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			out, summary := write(t, "misp", tc.objs...)
			// What Mosaic exports, mosaic import reads back.
			raw, ok := misp.ResponseEvents([]byte(out))
			if !ok {
				t.Fatalf("not MISP events:\n%s", out)
			}
			var got []event
			for _, r := range raw {
				var ev struct {
					Event struct {
						Info      string `json:"info"`
						Tag       []struct{ Name string }
						Attribute []struct {
							Type, Value string
							Tag         []struct{ Name string }
						}
					}
				}
				if err := json.Unmarshal(r, &ev); err != nil {
					t.Fatal(err)
				}
				e := event{Info: ev.Event.Info}
				for _, tag := range ev.Event.Tag {
					e.Tags = append(e.Tags, tag.Name)
				}
				for _, a := range ev.Event.Attribute {
					at := attribute{Type: a.Type, Value: a.Value}
					for _, tag := range a.Tag {
						at.Tags = append(at.Tags, tag.Name)
					}
					e.Attrs = append(e.Attrs, at)
				}
				got = append(got, e)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSummary, summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
		})
	}
}
