package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"mosaic"
	"mosaic/api"
	"mosaic/config"
	"mosaic/content"
	"mosaic/jcs"
	"mosaic/misp"
	"mosaic/postgres/pgtest"
	"mosaic/release"
	"mosaic/release/outsidetest"
	"mosaic/stix"
	"mosaic/storetest"
	"mosaic/taxii"
)

// TestReleaseInterop checks real releases against tools and formats from
// outside Mosaic. Two partners contribute indicators with patterns, a
// malware, relationships and observables; one sanitises its own with
// generalisations and removals; three releases are published through the
// API (to an organisation, to the public with the level lowered, to a
// user with it raised to RED), and the first is withdrawn. Then:
//
//  1. STIX 2.1: every released bundle, and every revoked version the
//     withdrawal put into the recipient's TAXII collection, validates
//     against the official STIX 2.1 JSON schemas (stix/schemas), as
//     published, compiled here without Mosaic's errata, object by object
//     and (for the bundles) as a bundle; passes Mosaic's own strict
//     decoder (stix.DecodeBundle, stix.DecodeObject); and holds the cell's
//     identity and the official TLP 2.0 marking definitions it refers to.
//  2. RFC 8785: node's canonicalize makes the same canonical form and
//     digest of each snapshot, and of the withdrawal entry, as Mosaic.
//  3. Ed25519: openssl verifies each signature with the published public
//     key over "mosaic release snapshot v1\n" and the digest, and the
//     withdrawal entry's over its own label.
//  4. (TAXII: taxii/released_fit_test.go.)
//  5. The exports of the release: MISP event JSON that package misp reads
//     back, with the released values and nothing sanitised away; CSV as
//     RFC 4180 has it, with no cell a spreadsheet would run as a formula;
//     blocklists of the released observables only.
//
// Checks 2 and 3 skip when node (and npm, or MOSAIC_TEST_CANONICALIZE) or
// openssl are absent; .ci/run installs them.
func TestReleaseInterop(t *testing.T) {
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) { testReleaseInterop(t, store) })
	}
}

func testReleaseInterop(t *testing.T, store string) {
	w := newReleaseInteropWorld(t, store)
	keys := w.keys()

	// The releases and what each recipient downloads of them.
	toOrg := w.publish("Marshlock: block the C2 & its droppers", "Block the addresses <at the edge> & look for the URLs in your proxy logs.\nReport sightings.",
		[]string{"org:hospital"}, w.orgPins(),
		map[string]content.ObjectSanitisation{
			w.ind1: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses, release.GeneraliseTimes}, Remove: []string{"description"}}},
			w.ind2: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseURLs}}},
			w.ind3: {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseHashes}}},
			w.mal:  {Sanitisation: release.Sanitisation{Rewrite: map[string]string{"description": "A backdoor seen in the sector."}}},
			w.ip4:  {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}},
			w.ip6:  {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseAddresses}}},
			w.url:  {Sanitisation: release.Sanitisation{Generalise: []release.Generalisation{release.GeneraliseURLs}}},
		})
	// A release to the public holds what was contributed as TLP:CLEAR: a
	// draft is checked against the levels of its sources, before anyone
	// could lower them by consenting.
	toPublic := w.publish("Marshlock's CDN", "Block cdn.marshlock.example.", []string{"public"},
		[]content.Pin{{ID: w.ind5, Modified: interopModified}, {ID: w.dom2}}, nil)
	toUser := w.publish("For Hank only", "Watch for 203.0.113.45.", []string{"user:hank"},
		[]content.Pin{{ID: w.ind1, Modified: interopModified}},
		map[string]content.ObjectSanitisation{w.ind1: {TLP: mosaic.TLPRed}})
	type download struct {
		name, id, user string // user "" reads without a token
		file           []byte
		tlps           []mosaic.TLP
	}
	downloads := []*download{
		{name: "to the organisation", id: toOrg, user: "hank", tlps: []mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber}},
		{name: "to the public", id: toPublic, tlps: []mosaic.TLP{mosaic.TLPClear}},
		{name: "to the user", id: toUser, user: "hank", tlps: []mosaic.TLP{mosaic.TLPRed}},
	}
	for _, d := range downloads {
		path := "/api/v1/releases/" + d.id + "/snapshot"
		if d.user == "" {
			path = "/api/v1/public/releases/" + d.id + "/snapshot"
		}
		d.file = w.must(d.user, "GET", path, nil, 200)
	}

	// 5. The exports, before the withdrawal (a withdrawn release's are
	// refused: its objects are not to be acted on).
	exports := map[string][]byte{}
	for _, format := range []string{"misp", "csv", "ip", "domain", "url", "hash", "stix"} {
		exports[format] = w.must("hank", "GET", "/api/v1/releases/"+toOrg+"/export?format="+format, nil, 200)
	}

	w.must("alice", "POST", "/api/v1/releases/"+toOrg+"/withdraw", []byte(`{"reason":"the addresses were reassigned"}`), 200)
	entry := w.must("hank", "GET", "/api/v1/releases/"+toOrg+"/withdrawal", nil, 200)
	if st, body := w.do("hank", "GET", "/api/v1/releases/"+toOrg+"/export?format=csv", nil, ""); st != 409 {
		t.Errorf("the export of a withdrawn release: %d %s", st, body)
	}

	schemas := newOfficialSchemas(t)
	bundles := map[string][]map[string]any{}
	for _, d := range downloads {
		t.Run("stix/"+d.name, func(t *testing.T) {
			s, err := release.Verify(d.file, keys)
			if err != nil {
				t.Fatalf("release.Verify: %v", err)
			}
			var snap struct {
				Bundle json.RawMessage `json:"bundle"`
				TLP    mosaic.TLP      `json:"tlp"`
			}
			if err := json.Unmarshal(s.Snapshot, &snap); err != nil {
				t.Fatal(err)
			}
			bundles[d.name] = w.checkBundle(t, schemas, snap.Bundle, d.tlps)
		})
	}
	t.Run("stix/sanitised", func(t *testing.T) { w.checkSanitised(t, bundles["to the organisation"], bundles["to the public"]) })
	t.Run("stix/revoked", func(t *testing.T) { w.checkRevoked(t, schemas, bundles["to the organisation"]) })

	t.Run("rfc8785", func(t *testing.T) {
		node := outsidetest.NewCanonicalizer(t)
		for _, d := range downloads {
			checkCanonical(t, node, d.name, d.file, keys)
		}
		checkCanonical(t, node, "withdrawal", entry, keys)
	})
	t.Run("ed25519", func(t *testing.T) {
		ssl := outsidetest.NewOpenSSL(t)
		t.Logf("%s", ssl.Version)
		for _, d := range downloads {
			checkSignature(t, ssl, d.name, d.file, keys, "mosaic release snapshot v1\n")
		}
		checkSignature(t, ssl, "withdrawal", entry, keys, "mosaic release withdrawal v1\n")
	})

	released := bundles["to the organisation"]
	t.Run("misp", func(t *testing.T) { w.checkMISP(t, exports["misp"], released) })
	t.Run("csv", func(t *testing.T) { w.checkCSV(t, exports["csv"], released) })
	t.Run("blocklists", func(t *testing.T) { w.checkBlocklists(t, exports, released) })
	t.Run("stix export", func(t *testing.T) { w.checkSTIXExport(t, schemas, exports["stix"], released) })
}

const interopModified = "2026-10-01T08:15:42.123Z"

// releaseInteropWorld is a server with two partners (pa: alice the
// analyst, lia the liaison; pb: bob and bea), two hospitals of the
// healthcare sector (hank at hospital, carl at clinic) and the ids of
// what pa and pb contributed.
type releaseInteropWorld struct {
	t      *testing.T
	base   string
	tokens map[string]string
	// pa's: indicators, malware, relationships and observables.
	ind1, ind2, ind3, ind5, mal, rel1, rel2, ip4, ip6, url, dom1, dom2 string
	// pb's: an indicator, its relationship and a file.
	ind4, rel4, file string
}

func newReleaseInteropWorld(t *testing.T, store string) *releaseInteropWorld {
	dir := t.TempDir()
	data := []string{"MOSAIC_DATA=" + dir}
	dsn := ""
	if store == "postgres" {
		dsn = pgtest.DSN(t)
		data = append(data, "MOSAIC_DB="+dsn)
	}
	mustRun(t, data, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, data, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, data, "", "org", "add", "hospital", "--kind", "stakeholder", "--sector", "healthcare")
	mustRun(t, data, "", "org", "add", "clinic", "--kind", "stakeholder", "--sector", "healthcare")
	w := &releaseInteropWorld{t: t, tokens: map[string]string{}}
	for _, u := range [][3]string{{"alice", "pa", "analyst"}, {"lia", "pa", "liaison"}, {"bob", "pb", "analyst"}, {"bea", "pb", "liaison"},
		{"hank", "hospital", "stakeholder"}, {"carl", "clinic", "stakeholder"}} {
		mustRun(t, data, "", "user", "add", u[0], "--org", u[1], "--role", u[2])
		w.tokens[u[0]] = strings.TrimSpace(mustRun(t, data, "", "token", "create", u[0]))
	}
	m := startServer(t, dir, func(c *config.Config) {
		c.CellName = "Joint Cyber Cell — NL"
		if dsn != "" {
			c.DB, c.ReleaseKey = dsn, filepath.Join(dir, "release.key")
		}
		c.RatePerSecond, c.RateBurst = 1e6, 1e6
	})
	w.base = m.URL()

	scoID := func(typ string, props map[string]any) string { return stix.SCOID(typ, props) }
	w.ind1, w.ind2, w.ind3, w.ind5 = "indicator--"+storetest.UUID(1), "indicator--"+storetest.UUID(2), "indicator--"+storetest.UUID(3), "indicator--"+storetest.UUID(5)
	w.mal, w.rel1, w.rel2 = "malware--"+storetest.UUID(10), "relationship--"+storetest.UUID(11), "relationship--"+storetest.UUID(12)
	w.ip4 = scoID("ipv4-addr", map[string]any{"value": "203.0.113.45"})
	w.ip6 = scoID("ipv6-addr", map[string]any{"value": "2001:db8:abcd:12::7"})
	w.url = scoID("url", map[string]any{"value": "http://dl.marshlock.example/payload/stage2.php?id=7&k=x"})
	w.dom1 = scoID("domain-name", map[string]any{"value": "c2.marshlock.example"})
	w.dom2 = scoID("domain-name", map[string]any{"value": "cdn.marshlock.example"})
	w.ind4, w.rel4 = "indicator--"+storetest.UUID(4), "relationship--"+storetest.UUID(13)
	fileHashes := map[string]any{"SHA-256": "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"}
	w.file = scoID("file", map[string]any{"hashes": fileHashes, "name": "stage2.exe"})

	sdo := func(typ, id, rest string) string {
		return fmt.Sprintf(`{"type":%q,"spec_version":"2.1","id":%q,"created":"2026-10-01T08:15:42.123Z","modified":%q,%s}`, typ, id, interopModified, rest)
	}
	clear := fmt.Sprintf(`"object_marking_refs":[%q]`, stix.TLPMarkingID(mosaic.TLPClear))
	pa := []string{
		sdo("indicator", w.ind1, `"name":"Marshlock C2 address","description":"Seen by the sensor at our Rotterdam office.","indicator_types":["malicious-activity"],
			"pattern":"[ipv4-addr:value = '203.0.113.45'] START t'2026-10-01T08:15:42Z' STOP t'2026-10-31T00:00:00Z'","pattern_type":"stix",
			"valid_from":"2026-10-01T08:15:42Z","valid_until":"2099-10-01T08:15:42Z","confidence":85`),
		sdo("indicator", w.ind2, `"name":"Marshlock stage 2 URL","indicator_types":["malicious-activity"],
			"pattern":"[url:value = 'http://dl.marshlock.example/payload/stage2.php?id=7&k=x']","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z"`),
		sdo("indicator", w.ind3, `"name":"Marshlock dropper or CDN","pattern":"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f'] OR [domain-name:value = 'cdn.marshlock.example']",
			"pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z"`),
		sdo("malware", w.mal, `"name":"Marshlock","is_family":true,"malware_types":["backdoor","remote-access-trojan"],"description":"Found on a pump controller at a water board.","first_seen":"2026-09-30T22:01:00Z"`),
		sdo("relationship", w.rel1, fmt.Sprintf(`"relationship_type":"indicates","source_ref":%q,"target_ref":%q`, w.ind1, w.mal)),
		sdo("relationship", w.rel2, fmt.Sprintf(`"relationship_type":"indicates","source_ref":%q,"target_ref":%q`, w.ind2, w.mal)),
		fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":%q,"value":"203.0.113.45"}`, w.ip4),
		fmt.Sprintf(`{"type":"ipv6-addr","spec_version":"2.1","id":%q,"value":"2001:db8:abcd:12::7"}`, w.ip6),
		fmt.Sprintf(`{"type":"url","spec_version":"2.1","id":%q,"value":"http://dl.marshlock.example/payload/stage2.php?id=7&k=x"}`, w.url),
		fmt.Sprintf(`{"type":"domain-name","spec_version":"2.1","id":%q,"value":"c2.marshlock.example"}`, w.dom1),
		fmt.Sprintf(`{"type":"domain-name","spec_version":"2.1","id":%q,"value":"cdn.marshlock.example",%s}`, w.dom2, clear),
		sdo("indicator", w.ind5, `"name":"Marshlock CDN","pattern":"[domain-name:value = 'cdn.marshlock.example']","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z",`+clear),
	}
	// pb's marked GREEN, with names a spreadsheet would run, and its
	// reference kept: pb lets recipients see where it came from.
	green := fmt.Sprintf(`"object_marking_refs":[%q]`, stix.TLPMarkingID(mosaic.TLPGreen))
	pb := []string{
		sdo("indicator", w.ind4, `"name":"=HYPERLINK(\"http://evil.example/\";\"click\") beacon","labels":["+1 suspicious","ok;@SUM(1)"],
			"pattern":"[ipv4-addr:value = '198.51.100.23'] OR [domain-name:value = 'beacon.marshlock.example']","pattern_type":"stix","valid_from":"2026-10-01T08:15:42Z",
			"external_references":[{"source_name":"pb advisory","url":"https://pb.example/advisories/2026-17","description":"-2+3"}],`+green),
		sdo("relationship", w.rel4, fmt.Sprintf(`"relationship_type":"indicates","source_ref":%q,"target_ref":%q,%s`, w.ind4, w.mal, green)),
		fmt.Sprintf(`{"type":"file","spec_version":"2.1","id":%q,"hashes":{"SHA-256":"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"},"name":"stage2.exe",%s}`, w.file, green),
	}
	for user, objs := range map[string][]string{"alice": pa, "bob": pb} {
		file := filepath.Join(t.TempDir(), user+".json")
		body := `{"type":"bundle","id":"bundle--` + storetest.UUID(len(objs)) + `","objects":[` + strings.Join(objs, ",\n") + `]}`
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, w.env(user), "", "import", "--audience", "cell", file)
	}
	return w
}

func (w *releaseInteropWorld) env(user string) []string {
	return []string{"MOSAIC_URL=" + w.base, "MOSAIC_TOKEN=" + w.tokens[user]}
}

// orgPins pins everything pa and pb contributed.
func (w *releaseInteropWorld) orgPins() []content.Pin {
	var pins []content.Pin
	for _, id := range []string{w.ind1, w.ind2, w.ind3, w.mal, w.rel1, w.rel2, w.ind4, w.rel4} {
		pins = append(pins, content.Pin{ID: id, Modified: interopModified})
	}
	for _, id := range []string{w.ip4, w.ip6, w.url, w.dom1, w.dom2, w.file} {
		pins = append(pins, content.Pin{ID: id})
	}
	return pins
}

// do sends a request as user ("" for none) and returns the status and
// body; accept names the media type wanted, "" for any.
func (w *releaseInteropWorld) do(user, method, path string, body []byte, accept string) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.base+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+w.tokens[user])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// must sends a request and fails the test unless it is answered status.
func (w *releaseInteropWorld) must(user, method, path string, body []byte, status int) []byte {
	w.t.Helper()
	st, b := w.do(user, method, path, body, "")
	if st != status {
		w.t.Fatalf("%s %s as %q: %d, want %d: %.1000s", method, path, user, st, status, b)
	}
	return b
}

// keys are the published release keys, read without a token.
func (w *releaseInteropWorld) keys() []release.PublicKey {
	w.t.Helper()
	var ks api.ReleaseKeys
	if err := json.Unmarshal(w.must("", "GET", "/api/v1/releases/keys", nil, 200), &ks); err != nil || len(ks.Keys) != 1 || !ks.Keys[0].Valid() {
		w.t.Fatalf("release keys: %+v %v", ks, err)
	}
	return ks.Keys
}

// publish drafts a release as alice, has pa's (and, when the release
// holds pb's objects, pb's) liaison consent, pa's with san, and publishes
// it; it returns the release's id.
func (w *releaseInteropWorld) publish(title, advice string, recipients []string, pins []content.Pin, san map[string]content.ObjectSanitisation) string {
	w.t.Helper()
	d, _ := json.Marshal(content.Draft{Title: title, Advice: advice, Recipients: recipients, Objects: pins})
	var rel api.Release
	if err := json.Unmarshal(w.must("alice", "POST", "/api/v1/releases", d, 201), &rel); err != nil {
		w.t.Fatal(err)
	}
	for _, c := range rel.Consents {
		liaison, decision := map[string]string{"pa": "lia", "pb": "bea"}[c.Org], content.DecideApprove
		consent := content.Consent{Revision: rel.Revision, Decision: decision, Attribute: c.Org == "pb"}
		if c.Org == "pa" && len(san) > 0 {
			consent.Decision, consent.Sanitise = content.DecideApproveSanitised, san
		}
		b, _ := json.Marshal(consent)
		w.must(liaison, "POST", "/api/v1/releases/"+rel.ID+"/consents", b, 200)
	}
	// The drafter sees whether every consent is in; a liaison asked sees
	// its own.
	if err := json.Unmarshal(w.must("alice", "GET", "/api/v1/releases/"+rel.ID, nil, 200), &rel); err != nil {
		w.t.Fatal(err)
	}
	if rel.State != mosaic.ReleaseReady {
		w.t.Fatalf("release %s after the consents: %s", rel.ID, rel.State)
	}
	w.must("alice", "POST", "/api/v1/releases/"+rel.ID+"/publish", []byte(fmt.Sprintf(`{"revision":%d}`, rel.Revision)), 200)
	return rel.ID
}

// officialSchemas are the official STIX 2.1 JSON schemas of stix/schemas
// as published, compiled here: without the errata package stix corrects
// them with, and without its fast path.
type officialSchemas struct {
	t      *testing.T
	c      *jsonschema.Compiler
	byFile map[string]*jsonschema.Schema
}

const officialSchemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/"

// officialSchemaLoader reads the schemas from the repository's copy,
// never from the network.
type officialSchemaLoader struct{ dir string }

func (l officialSchemaLoader) Load(url string) (any, error) {
	name, ok := strings.CutPrefix(url, officialSchemaBase)
	if !ok {
		return nil, fmt.Errorf("%s is not one of the official STIX 2.1 schemas", url)
	}
	f, err := os.Open(filepath.Join(l.dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return jsonschema.UnmarshalJSON(f)
}

func newOfficialSchemas(t *testing.T) *officialSchemas {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(officialSchemaLoader{dir: filepath.Join("..", "..", "stix", "schemas")})
	c.AssertFormat()
	return &officialSchemas{t: t, c: c, byFile: map[string]*jsonschema.Schema{}}
}

// validate validates doc against the schema in file (below schemas/).
func (s *officialSchemas) validate(file string, doc []byte) error {
	sch, ok := s.byFile[file]
	if !ok {
		var err error
		if sch, err = s.c.Compile(officialSchemaBase + file); err != nil {
			s.t.Fatalf("compiling the official schema %s: %v", file, err)
		}
		s.byFile[file] = sch
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// schemaFileOf is the official schema of a STIX object's type.
func schemaFileOf(typ string) string {
	switch {
	case typ == "marking-definition" || typ == "extension-definition" || typ == "language-content":
		return "common/" + typ + ".json"
	case typ == "relationship" || typ == "sighting":
		return "sros/" + typ + ".json"
	case stix.IsSCOType(typ):
		return "observables/" + typ + ".json"
	}
	return "sdos/" + typ + ".json"
}

// checkObject validates one released object against its official schema
// and Mosaic's decoder, and returns its properties.
func checkObject(t *testing.T, schemas *officialSchemas, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	typ, _ := m["type"].(string)
	if err := schemas.validate(schemaFileOf(typ), raw); err != nil {
		t.Errorf("%s does not validate against the official schema %s: %v\n%s", m["id"], schemaFileOf(typ), err, raw)
	}
	if _, probs := stix.DecodeObject(raw, stix.DefaultLimits()); len(probs) > 0 {
		t.Errorf("%s: Mosaic's decoder refuses it: %v\n%s", m["id"], probs, raw)
	}
	return m
}

// checkBundle checks a released bundle as STIX 2.1 and returns its
// objects: each validates on its own, the bundle as a whole, every
// reference resolves inside it, and it holds the cell's identity and the
// official TLP 2.0 definitions of exactly the levels tlps.
func (w *releaseInteropWorld) checkBundle(t *testing.T, schemas *officialSchemas, bundle []byte, tlps []mosaic.TLP) []map[string]any {
	t.Helper()
	if err := schemas.validate("common/bundle.json", bundle); err != nil {
		t.Errorf("the bundle does not validate against the official common/bundle.json: %v", err)
	}
	if _, err := stix.DecodeBundle(bundle, stix.DefaultLimits()); err != nil {
		t.Errorf("Mosaic's decoder refuses the bundle: %v", err)
	}
	var b struct {
		Type, ID string
		Objects  []json.RawMessage
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	byID := map[string]map[string]any{}
	for _, raw := range b.Objects {
		m := checkObject(t, schemas, raw)
		objs = append(objs, m)
		id, _ := m["id"].(string)
		if byID[id] != nil {
			t.Errorf("%s is in the bundle twice", id)
		}
		byID[id] = m
	}
	// The cell's identity, which made every object not attributed, and
	// the identity of each originator that allowed attribution.
	var cell string
	identities := map[string]bool{}
	for id, m := range byID {
		if m["type"] != "identity" {
			continue
		}
		identities[id] = true
		if m["identity_class"] != "organization" {
			t.Errorf("an identity: %v", m)
		}
		if m["name"] == "Joint Cyber Cell — NL" {
			if cell != "" {
				t.Errorf("two cell identities: %s and %s", cell, id)
			}
			cell = id
		}
	}
	if cell == "" {
		t.Error("no cell identity")
	}
	// The official TLP 2.0 definitions, as OASIS publishes them.
	var levels []mosaic.TLP
	for id, m := range byID {
		if m["type"] != "marking-definition" {
			continue
		}
		l, ok := stix.TLPFromMarking(id)
		if !ok {
			t.Errorf("a marking definition that is no TLP 2.0 level: %s", id)
			continue
		}
		levels = append(levels, l)
		raw, _ := json.Marshal(m)
		if got, want := canonicalOf(t, raw), canonicalOf(t, officialTLP(t, id)); got != want {
			t.Errorf("%s is not the official definition:\n%s\nwant\n%s", id, got, want)
		}
	}
	slices.SortFunc(levels, func(a, b mosaic.TLP) int { return a.Rank() - b.Rank() })
	if !slices.Equal(levels, tlps) {
		t.Errorf("the bundle defines TLP levels %v, want %v", levels, tlps)
	}
	for id, m := range byID {
		if m["type"] == "identity" || m["type"] == "marking-definition" {
			continue
		}
		if by, _ := m["created_by_ref"].(string); !stix.IsSCOType(m["type"].(string)) && by != cell && !identities[by] {
			// An attributed object (pb's) names its originator's
			// identity, which the bundle holds.
			t.Errorf("%s is made by %v, not the cell", id, m["created_by_ref"])
		}
		refs, _ := m["object_marking_refs"].([]any)
		if len(refs) != 1 {
			t.Errorf("%s has markings %v, want its TLP's alone", id, refs)
		}
		for _, ref := range allRefs(m) {
			if byID[ref] == nil {
				t.Errorf("%s refers to %s, which the bundle does not hold", id, ref)
			}
		}
	}
	return objs
}

// allRefs returns the ids an object's *_ref and *_refs properties name,
// at the top level.
func allRefs(m map[string]any) []string {
	var out []string
	for k, v := range m {
		switch {
		case strings.HasSuffix(k, "_ref"):
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		case strings.HasSuffix(k, "_refs"):
			vs, _ := v.([]any)
			for _, x := range vs {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

func canonicalOf(t *testing.T, raw []byte) string {
	t.Helper()
	c, err := jcs.Canonical(raw)
	if err != nil {
		t.Fatal(err)
	}
	return string(c)
}

// officialTLP returns the TLP 2.0 marking definition id as OASIS publishes
// it, from stix/testdata/tlp (sources there, in README.md).
func officialTLP(t *testing.T, id string) []byte {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "stix", "testdata", "tlp", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var bundle struct{ Objects []json.RawMessage }
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		for _, o := range bundle.Objects {
			if stix.ReadHead(o).ID == id {
				return o
			}
		}
	}
	t.Fatalf("no official definition of %s in stix/testdata/tlp", id)
	return nil
}

func idsOf(objs []map[string]any) []string {
	var out []string
	for _, m := range objs {
		out = append(out, m["id"].(string))
	}
	slices.Sort(out)
	return out
}

// byType returns the objects of type typ.
func byType(objs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, m := range objs {
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// sanitisedAway is what pa's sanitisation takes out of the release to the
// organisation: exact addresses, the URL's path, the dropper's hash, the
// removed and rewritten descriptions (and the time of day of the
// indicator whose times were generalised: checkSanitised).
var sanitisedAway = []string{"203.0.113.45", "2001:db8:abcd:12::7", "stage2.php", "payload", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f",
	"Rotterdam", "pump controller"}

// checkSanitised checks that what the recipients got is what the
// consents said: generalised values in place of exact ones, nothing of
// pa's sources, pb's reference kept as pb allowed.
func (w *releaseInteropWorld) checkSanitised(t *testing.T, org, public []map[string]any) {
	all, _ := json.Marshal(org)
	for _, s := range sanitisedAway {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the release to the organisation holds %q, which pa's sanitisation takes out", s)
		}
	}
	for _, s := range []string{w.ind1, w.ind2, w.ind3, w.mal, w.rel1, w.ind4, storetest.UUID(1)} {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the release names the source id %s", s)
		}
	}
	patterns := map[string]bool{}
	for _, m := range byType(org, "indicator") {
		patterns[m["pattern"].(string)] = true
		if strings.Contains(m["pattern"].(string), "ISSUBSET") {
			// Its times keep their day, created and modified being the
			// release's.
			m := maps.Clone(m)
			delete(m, "created")
			delete(m, "modified")
			if b, _ := json.Marshal(m); bytes.Contains(b, []byte("08:15")) || m["valid_from"] != "2026-10-01T00:00:00Z" || m["valid_until"] != "2099-10-01T00:00:00Z" {
				t.Errorf("the indicator whose times were generalised keeps a time of day: %s", b)
			}
		}
	}
	for _, want := range []string{
		"[ipv4-addr:value ISSUBSET '203.0.113.0/24'] START t'2026-10-01T00:00:00Z' STOP t'2026-10-31T00:00:00Z'",
		"[url:value LIKE 'http://dl.marshlock.example/%']",
		"[domain-name:value = 'cdn.marshlock.example']",
		"[ipv4-addr:value = '198.51.100.23'] OR [domain-name:value = 'beacon.marshlock.example']",
	} {
		if !patterns[want] {
			t.Errorf("no indicator with pattern %s among %v", want, patterns)
		}
	}
	values := map[string]string{}
	for _, m := range org {
		if v, ok := m["value"].(string); ok {
			values[v] = m["id"].(string)
		}
	}
	for v, typ := range map[string]string{"203.0.113.0/24": "ipv4-addr", "2001:db8:abcd::/48": "ipv6-addr", "http://dl.marshlock.example/": "url",
		"c2.marshlock.example": "domain-name", "cdn.marshlock.example": "domain-name"} {
		// A generalised observable gets the id STIX derives from its new
		// value.
		if id := values[v]; id != stix.SCOID(typ, map[string]any{"value": v}) {
			t.Errorf("observable %s: id %q, want STIX's %s", v, id, stix.SCOID(typ, map[string]any{"value": v}))
		}
	}
	for _, m := range byType(org, "malware") {
		if m["description"] != "A backdoor seen in the sector." {
			t.Errorf("the malware's description: %v", m["description"])
		}
	}
	for _, m := range byType(org, "indicator") {
		if strings.HasPrefix(m["name"].(string), "=HYPERLINK") {
			if m["external_references"] == nil {
				t.Error("pb allowed attribution, but its indicator lost its external reference")
			}
		} else if m["external_references"] != nil {
			t.Errorf("%s carries external references", m["id"])
		}
	}
	if got := len(byType(org, "relationship")); got != 3 {
		t.Errorf("%d relationships, want 3", got)
	}
	if got := idsOf(public); len(got) != 4 { // identity, TLP:CLEAR, indicator, domain
		t.Errorf("the public release holds %v", got)
	}
}

// checkRevoked reads hank's organisation's TAXII collection with every
// version: each released SDO and SRO has a revoked version now, the same
// object modified at the withdrawal, valid STIX 2.1 too.
func (w *releaseInteropWorld) checkRevoked(t *testing.T, schemas *officialSchemas, released []map[string]any) {
	var cs taxii.Collections
	w.taxii(t, "/taxii2/api/collections/", &cs)
	var coll string
	for _, c := range cs.Collections {
		if c.Title == "Releases to hospital" {
			coll = c.ID
		}
	}
	if coll == "" {
		t.Fatalf("hank has no collection of the releases to hospital: %+v", cs)
	}
	var env taxii.Envelope
	w.taxii(t, "/taxii2/api/collections/"+coll+"/objects/?match[version]=all", &env)
	if env.More {
		t.Fatal("more than a page")
	}
	want := map[string]map[string]any{}
	for _, m := range released {
		if _, ok := m["modified"]; ok && m["type"] != "identity" && m["type"] != "marking-definition" {
			want[m["id"].(string)] = m
		}
	}
	got := 0
	for _, raw := range env.Objects {
		m := checkObject(t, schemas, raw)
		if m["revoked"] != true {
			continue
		}
		got++
		orig := want[m["id"].(string)]
		if orig == nil {
			t.Errorf("a revoked version of %s, which the release did not hold", m["id"])
			continue
		}
		if m["modified"].(string) <= orig["modified"].(string) {
			t.Errorf("%s: the revoked version is modified %s, the released one %s", m["id"], m["modified"], orig["modified"])
		}
		for k, v := range orig {
			if k != "modified" && k != "revoked" && fmt.Sprint(m[k]) != fmt.Sprint(v) {
				t.Errorf("%s: the revoked version's %s is %v, the released one's %v", m["id"], k, m[k], v)
			}
		}
	}
	if got != len(want) {
		t.Errorf("%d revoked versions, want one for each of the %d released SDOs and SROs", got, len(want))
	}
}

// taxii GETs a TAXII path as hank and decodes the answer.
func (w *releaseInteropWorld) taxii(t *testing.T, path string, out any) {
	t.Helper()
	st, b := w.do("hank", "GET", path, nil, taxii.MediaType)
	if st != 200 {
		t.Fatalf("GET %s: %d %s", path, st, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

// sealedFile is a sealed snapshot or withdrawal entry.
type sealedFile struct {
	Snapshot  json.RawMessage `json:"snapshot"`
	Digest    string          `json:"digest"`
	KeyID     string          `json:"key_id"`
	Signature []byte          `json:"signature"`
}

func readSealed(t *testing.T, name string, file []byte) sealedFile {
	t.Helper()
	var f sealedFile
	if err := json.Unmarshal(file, &f); err != nil || len(f.Snapshot) == 0 || len(f.Signature) == 0 {
		t.Fatalf("%s: not a sealed file: %v\n%.300s", name, err, file)
	}
	return f
}

// checkCanonical checks that node's canonicalize makes Mosaic's canonical
// form of a sealed file's snapshot, with the digest it was signed with,
// and that the file holds the snapshot in that form.
func checkCanonical(t *testing.T, node *outsidetest.Canonicalizer, name string, file []byte, keys []release.PublicKey) {
	t.Helper()
	f := readSealed(t, name, file)
	var ours []byte
	if strings.HasPrefix(name, "withdrawal") {
		if _, err := release.VerifyWithdrawal(file, keys); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ours, _ = jcs.Canonical(f.Snapshot)
	} else {
		s, err := release.Verify(file, keys)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ours = s.Snapshot
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, f.Snapshot, "", "  "); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{f.Snapshot, indented.Bytes()} {
		canon, digest := node.Canonical(in)
		if !bytes.Equal(canon, ours) {
			t.Errorf("%s: canonicalize's canonical form differs from Mosaic's:\n%s\n%s", name, canon, ours)
		}
		if digest != f.Digest {
			t.Errorf("%s: the SHA-256 of canonicalize's canonical form is %s, the signed digest %s", name, digest, f.Digest)
		}
	}
	if sum := sha256.Sum256(f.Snapshot); "sha256:"+hex.EncodeToString(sum[:]) != f.Digest {
		t.Errorf("%s: the snapshot as the file holds it is not in canonical form", name)
	}
	t.Logf("%s: %d bytes of canonical JSON, %s", name, len(ours), f.Digest)
}

// checkSignature checks a sealed file's signature with openssl and the
// published key: over its label and digest, and over nothing else.
func checkSignature(t *testing.T, ssl *outsidetest.OpenSSL, name string, file []byte, keys []release.PublicKey, label string) {
	t.Helper()
	f := readSealed(t, name, file)
	var key release.PublicKey
	for _, k := range keys {
		if k.ID == f.KeyID {
			key = k
		}
	}
	if key.Key == nil {
		t.Fatalf("%s: signed with %s, which is not published", name, f.KeyID)
	}
	if sum := sha256.Sum256(key.Key); hex.EncodeToString(sum[:16]) != f.KeyID {
		t.Errorf("%s: key id %s is not the first 16 bytes of the key's SHA-256", name, f.KeyID)
	}
	if err := ssl.Verify(key.Key, []byte(label+f.Digest), f.Signature); err != nil {
		t.Errorf("%s: openssl does not verify the signature over %q: %v", name, label+f.Digest, err)
	}
	other := map[string]string{"mosaic release snapshot v1\n": "mosaic release withdrawal v1\n", "mosaic release withdrawal v1\n": "mosaic release snapshot v1\n"}[label]
	sum := sha256.Sum256(f.Snapshot)
	for what, msg := range map[string]string{"the digest alone": f.Digest, "the other label": other + f.Digest, "the raw SHA-256": string(sum[:])} {
		if err := ssl.Verify(key.Key, []byte(msg), f.Signature); err == nil {
			t.Errorf("%s: openssl verifies the signature over %s", name, what)
		}
	}
}

// checkMISP reads the MISP export with package misp: one event, whose
// attributes are the released values (and nothing pa sanitised away),
// each with its object's TLP, and which converts back to valid STIX.
func (w *releaseInteropWorld) checkMISP(t *testing.T, doc []byte, released []map[string]any) {
	events, ok := misp.ResponseEvents(doc)
	if !ok || len(events) != 1 {
		t.Fatalf("the MISP export is not one event MISP's search would answer: %.500s", doc)
	}
	conv, err := misp.ToSTIX(events[0])
	if err != nil {
		t.Fatalf("package misp does not read the export: %v", err)
	}
	for _, o := range conv.Objects {
		if _, probs := stix.DecodeObject(o, stix.DefaultLimits()); len(probs) > 0 {
			t.Errorf("the MISP export converts to invalid STIX: %v\n%s", probs, o)
		}
	}
	for _, s := range conv.Skipped {
		t.Logf("not mapped back to STIX: %s: %s", s.What, s.Reason)
	}
	var ev struct {
		Event struct {
			Info      string
			Tag       []struct{ Name string }
			Attribute []struct {
				UUID, Type, Category, Value string
				ToIDs                       bool `json:"to_ids"`
				Tag                         []struct{ Name string }
			}
			Object []struct {
				Name      string
				Attribute []struct{ Type, Value, ObjectRelation string }
			}
		}
	}
	if err := json.Unmarshal(events[0], &ev); err != nil {
		t.Fatal(err)
	}
	type attr struct{ typ, value string }
	var got []attr
	for _, a := range ev.Event.Attribute {
		got = append(got, attr{a.Type, a.Value})
	}
	for _, o := range ev.Event.Object {
		for _, a := range o.Attribute {
			got = append(got, attr{a.Type, a.Value})
		}
	}
	t.Logf("MISP event %q: %d attributes, %d objects: %v", ev.Event.Info, len(ev.Event.Attribute), len(ev.Event.Object), got)
	all, _ := json.Marshal(ev)
	for _, s := range sanitisedAway {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("the MISP export holds %q, which pa's sanitisation takes out", s)
		}
	}
	// An indicator whose pattern is one value becomes an attribute of
	// that value, any other a stix2-pattern attribute; an observable an
	// attribute of its value.
	want := []attr{
		{"stix2-pattern", "[ipv4-addr:value ISSUBSET '203.0.113.0/24'] START t'2026-10-01T00:00:00Z' STOP t'2026-10-31T00:00:00Z'"},
		{"stix2-pattern", "[url:value LIKE 'http://dl.marshlock.example/%']"},
		{"domain", "cdn.marshlock.example"},
		{"stix2-pattern", "[ipv4-addr:value = '198.51.100.23'] OR [domain-name:value = 'beacon.marshlock.example']"},
		{"ip-dst", "203.0.113.0/24"}, {"ip-dst", "2001:db8:abcd::/48"}, {"url", "http://dl.marshlock.example/"},
		{"domain", "c2.marshlock.example"}, {"domain", "cdn.marshlock.example"},
		{"filename|sha256", "stage2.exe|5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"},
	}
	sortAttrs := func(as []attr) []attr {
		out := slices.Clone(as)
		slices.SortFunc(out, func(a, b attr) int { return strings.Compare(a.typ+" "+a.value, b.typ+" "+b.value) })
		return out
	}
	if !slices.Equal(sortAttrs(got), sortAttrs(want)) {
		t.Errorf("MISP attributes %v\nwant %v", sortAttrs(got), sortAttrs(want))
	}
	// Each attribute is shared at its object's TLP: pb's GREEN, the
	// domain observable released at CLEAR, pa's others AMBER.
	var tagged struct{ Event mispEvent }
	if err := json.Unmarshal(events[0], &tagged); err != nil {
		t.Fatal(err)
	}
	levels := map[attr][]mosaic.TLP{}
	for _, a := range tagged.Event.Attribute {
		k := attr{a.Type, a.Value}
		levels[k] = append(levels[k], a.tlp(&tagged.Event))
	}
	for _, a := range want {
		tlp := []mosaic.TLP{mosaic.TLPAmber}
		switch {
		case strings.Contains(a.value, "198.51.100.23") || strings.Contains(a.value, "stage2.exe"):
			tlp = []mosaic.TLP{mosaic.TLPGreen}
		case a == attr{"domain", "cdn.marshlock.example"}:
			tlp = []mosaic.TLP{mosaic.TLPClear, mosaic.TLPAmber} // the observable, and the indicator
		}
		got := slices.SortedFunc(slices.Values(levels[a]), func(x, y mosaic.TLP) int { return x.Rank() - y.Rank() })
		if !slices.Equal(got, tlp) {
			t.Errorf("MISP attribute %s %s is shared at %v, want %v", a.typ, a.value, got, tlp)
		}
	}
	for _, m := range released {
		if v, ok := m["value"].(string); ok && !slices.ContainsFunc(got, func(a attr) bool { return strings.Contains(a.value, v) }) {
			t.Errorf("the released %s %s is not in the MISP export", m["type"], v)
		}
	}
	// Every value in the event is one the release holds.
	text, _ := json.Marshal(released)
	for _, a := range got {
		for _, v := range strings.Split(a.value, "|") {
			if q, _ := json.Marshal(v); !bytes.Contains(text, q[1:len(q)-1]) {
				t.Errorf("MISP attribute %s %q is nowhere in the release", a.typ, a.value)
			}
		}
	}
}

// csvTrigger reports whether a cell, or a part of it after ";" or ",",
// starts (after spaces and quotes) with what makes a spreadsheet read a
// formula (OWASP, CSV injection).
func csvTrigger(cell string) bool {
	parts := strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == ',' })
	parts = append(parts, cell)
	for _, p := range parts {
		p = strings.TrimLeft(p, " \"")
		if p != "" && strings.ContainsRune("=+-@\t\r＝＋－＠", []rune(p)[0]) {
			return true
		}
	}
	return false
}

// checkCSV reads the CSV export as RFC 4180 has it, strictly: a header,
// the same number of fields in every record, quotes only around whole
// fields, and no cell a spreadsheet would run.
func (w *releaseInteropWorld) checkCSV(t *testing.T, doc []byte, released []map[string]any) {
	// Records end with LF, encoding/csv's default, not RFC 4180 §2.1's
	// CRLF; RFC 4180 readers (encoding/csv, Python's csv, spreadsheets)
	// take either.
	r := csv.NewReader(bytes.NewReader(doc))
	r.ReuseRecord = false
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("the CSV export is not RFC 4180: %v\n%s", err, doc)
	}
	if len(records) < 2 {
		t.Fatalf("the CSV export has no rows:\n%s", doc)
	}
	header := records[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %s in %v", name, header)
		}
		return i
	}
	id, name, obs, tlp := col("id"), col("name"), col("observable"), col("tlp")
	for _, rec := range records {
		for _, cell := range rec {
			if csvTrigger(cell) {
				t.Errorf("cell %q would run as a formula", cell)
			}
		}
	}
	rows := map[string]bool{}
	for _, rec := range records[1:] {
		rows[rec[id]] = true
		if strings.Contains(rec[name], "HYPERLINK") && !strings.HasPrefix(rec[name], "'=") {
			t.Errorf("pb's indicator's name is written %q", rec[name])
		}
		if !slices.Contains([]string{"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER"}, rec[tlp]) {
			t.Errorf("%s: TLP %q", rec[id], rec[tlp])
		}
		for _, s := range sanitisedAway {
			if strings.Contains(rec[obs], s) {
				t.Errorf("%s: observable %q holds %q", rec[id], rec[obs], s)
			}
		}
	}
	for _, m := range released {
		if m["type"] != "identity" && m["type"] != "marking-definition" && !rows[m["id"].(string)] {
			t.Errorf("%s is not in the CSV export", m["id"])
		}
	}
	if !bytes.Contains(doc, []byte("'+1 suspicious;ok;'@SUM(1)")) {
		t.Errorf("pb's labels are not escaped as expected:\n%s", doc)
	}
}

// checkBlocklists checks that each blocklist holds exactly the released
// observables of its kind: the generalised ones, never what was
// sanitised away.
func (w *releaseInteropWorld) checkBlocklists(t *testing.T, exports map[string][]byte, released []map[string]any) {
	want := map[string][]string{
		"ip":     {"198.51.100.23", "2001:db8:abcd::/48", "203.0.113.0/24"},
		"domain": {"beacon.marshlock.example", "c2.marshlock.example", "cdn.marshlock.example"},
		"url":    {"http://dl.marshlock.example/"},
		"hash":   {"5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"},
	}
	text, _ := json.Marshal(released)
	for kind, values := range want {
		var got []string
		var header []string
		for line := range strings.Lines(string(exports[kind])) {
			line = strings.TrimRight(line, "\n")
			if strings.HasPrefix(line, "#") {
				header = append(header, line)
				continue
			}
			got = append(got, line)
		}
		if !slices.Equal(got, values) {
			t.Errorf("the %s blocklist holds %q, want %q", kind, got, values)
		}
		for _, v := range got {
			if !bytes.Contains(text, []byte(strings.TrimSuffix(v, "/"))) {
				t.Errorf("%s blocklist entry %s is nowhere in the release", kind, v)
			}
		}
		if len(header) != 2 || !strings.Contains(header[1], "TLP:") {
			t.Errorf("the %s blocklist's header: %q", kind, header)
		}
	}
}

// checkSTIXExport checks the STIX export of a release: the released
// objects exactly as released, beside Mosaic's identity and the
// definition of its envelope extension (which export.New writes first in
// every STIX export), each valid STIX 2.1.
func (w *releaseInteropWorld) checkSTIXExport(t *testing.T, schemas *officialSchemas, doc []byte, released []map[string]any) {
	if _, err := stix.DecodeBundle(doc, stix.DefaultLimits()); err != nil {
		t.Errorf("Mosaic's decoder refuses the STIX export: %v", err)
	}
	var b struct{ Objects []json.RawMessage }
	if err := json.Unmarshal(doc, &b); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, m := range released {
		raw, _ := json.Marshal(m)
		want[m["id"].(string)] = canonicalOf(t, raw)
	}
	var extra []string
	for _, raw := range b.Objects {
		m := checkObject(t, schemas, raw)
		id := m["id"].(string)
		c, ok := want[id]
		switch {
		case !ok:
			extra = append(extra, id)
		case c != canonicalOf(t, raw):
			t.Errorf("%s is exported changed:\n%s\nreleased:\n%s", id, raw, c)
		}
		delete(want, id)
	}
	for id := range want {
		t.Errorf("%s is not in the STIX export", id)
	}
	slices.Sort(extra)
	if !slices.Equal(extra, []string{stix.ExtensionID, stix.IdentityID}) {
		t.Errorf("the STIX export holds %v beside the released objects", extra)
	}
}
