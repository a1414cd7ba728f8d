package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mosaic"
)

// testNow has seconds and milliseconds, to show they do not leak into the
// data set's timestamps.
var testNow = time.Date(2026, 11, 27, 12, 34, 56, 789_000_000, time.UTC)

// contribution is one object as one batch contributes it.
type contribution struct {
	batch int // index in Batches
	user  User
	obj   map[string]any
	raw   json.RawMessage
}

func (c contribution) id() string  { s, _ := c.obj["id"].(string); return s }
func (c contribution) typ() string { s, _ := c.obj["type"].(string); return s }
func (c contribution) str(key string) string {
	s, _ := c.obj[key].(string)
	return s
}

// dataSet decodes every batch of Batches(now).
func dataSet(t *testing.T, now time.Time) ([]Batch, []contribution) {
	t.Helper()
	users := usersByName()
	batches := Batches(now)
	var all []contribution
	for i, b := range batches {
		var bundle struct {
			Type    string            `json:"type"`
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(b.Bundle, &bundle); err != nil {
			t.Fatalf("batch %d (%s): bundle is not valid JSON: %v", i, b.User, err)
		}
		if bundle.Type != "bundle" || !regexp.MustCompile(`^bundle--`+uuidRE+`$`).MatchString(bundle.ID) || len(bundle.Objects) == 0 {
			t.Fatalf("batch %d (%s): not a bundle with objects: type %q, id %q, %d objects", i, b.User, bundle.Type, bundle.ID, len(bundle.Objects))
		}
		for _, raw := range bundle.Objects {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var obj map[string]any
			if err := dec.Decode(&obj); err != nil {
				t.Fatalf("batch %d: object is not a JSON object: %v", i, err)
			}
			all = append(all, contribution{batch: i, user: users[b.User], obj: obj, raw: raw})
		}
	}
	return batches, all
}

func usersByName() map[string]User {
	m := map[string]User{}
	for _, u := range Users() {
		m[u.Name] = u
	}
	return m
}

const uuidRE = `[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`

func TestBatchesDeterministic(t *testing.T) {
	a, b := Batches(testNow), Batches(testNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls with the same now returned different batches")
	}
	// Another now moves the timestamps but keeps every id: ids come from
	// names, not from the clock. Network traffic is the exception: STIX
	// derives its id from its start and end.
	ids := func(now time.Time) []string {
		_, all := dataSet(t, now)
		var out []string
		for _, c := range all {
			if c.typ() != "network-traffic" {
				out = append(out, c.id())
			}
		}
		slices.Sort(out)
		return out
	}
	if got, want := ids(testNow.Add(-3*day+17*time.Minute)), ids(testNow); !slices.Equal(got, want) {
		t.Error("the ids depend on now")
	}
}

func TestObjectBasics(t *testing.T) {
	_, all := dataSet(t, testNow)
	tsRE := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	tlpByID := map[string]mosaic.TLP{}
	for l, id := range markingIDs {
		tlpByID[id] = l
	}
	for _, c := range all {
		id, typ := c.id(), c.typ()
		sco := scoTypes[typ]
		version := "4"
		if sco {
			version = "5"
		}
		if !regexp.MustCompile(`^` + regexp.QuoteMeta(typ) + `--` + uuidRE + `$`).MatchString(id) {
			t.Errorf("%s: id is not %s--<uuid>", id, typ)
		} else if got := id[len(typ)+2+14 : len(typ)+2+15]; got != version {
			t.Errorf("%s: UUID version %s, want %s", id, got, version)
		}
		if c.obj["spec_version"] != "2.1" {
			t.Errorf("%s: spec_version %v, want 2.1", id, c.obj["spec_version"])
		}
		if refs, ok := c.obj["object_marking_refs"]; ok {
			list, _ := refs.([]any)
			if len(list) != 1 {
				t.Errorf("%s: want exactly one TLP marking, got %v", id, refs)
			}
			for _, r := range list {
				if _, ok := tlpByID[r.(string)]; !ok {
					t.Errorf("%s: marking %v is not a TLP 2.0 marking definition", id, r)
				}
			}
		}
		if sco {
			continue
		}
		created, modified := c.str("created"), c.str("modified")
		for _, key := range []string{"created", "modified", "valid_from", "valid_until", "first_seen", "last_seen", "published", "first_observed", "last_observed"} {
			if v, ok := c.obj[key]; ok && !tsRE.MatchString(v.(string)) {
				t.Errorf("%s: %s %v is not a timestamp with milliseconds", id, key, v)
			}
		}
		if modified < created {
			t.Errorf("%s: modified %s before created %s", id, modified, created)
		}
		if later := ts(testNow); modified > later {
			t.Errorf("%s: modified %s is after now %s", id, modified, later)
		}
		for _, pair := range [][2]string{{"valid_from", "valid_until"}, {"first_seen", "last_seen"}, {"first_observed", "last_observed"}} {
			from, until := c.str(pair[0]), c.str(pair[1])
			if from != "" && until != "" && until < from {
				t.Errorf("%s: %s %s before %s %s", id, pair[1], until, pair[0], from)
			}
		}
	}
}

// scoTypes are the cyber-observable types the data set uses.
var scoTypes = map[string]bool{"ipv4-addr": true, "ipv6-addr": true, "domain-name": true, "url": true,
	"file": true, "software": true, "network-traffic": true}

func TestSCOIDsAreDeterministic(t *testing.T) {
	// Ids computed independently (Python's uuid.uuid5 in the STIX namespace
	// over the canonical JSON of the ID contributing properties).
	for _, tc := range []struct{ got, want string }{
		{scoID("ipv4-addr", map[string]any{"value": "198.51.100.23"}), "ipv4-addr--cec0294c-86c8-52cc-8448-ba43593736df"},
		{scoID("domain-name", map[string]any{"value": "marsh-update.example"}), "domain-name--28baf47a-e619-5738-8add-3be056892fa1"},
		{scoID("file", map[string]any{"hashes": map[string]any{"SHA-256": strings.Repeat("ab", 32)}, "name": "x.exe"}), "file--02545102-fca4-54f2-8827-e1d69f49a634"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %s, want %s", tc.got, tc.want)
		}
	}
	// And every SCO in the data set has the id its value gives it.
	_, all := dataSet(t, testNow)
	for _, c := range all {
		switch c.typ() {
		case "ipv4-addr", "ipv6-addr", "domain-name", "url":
			if want := scoID(c.typ(), map[string]any{"value": c.obj["value"]}); c.id() != want {
				t.Errorf("%s: value %v gives id %s", c.id(), c.obj["value"], want)
			}
		}
	}
}

// TestNoRedInCellBatches checks the rule ingest enforces: TLP:RED never goes
// to the whole cell. Unmarked objects are kept out of cell batches too, so
// that the data set loads whatever default TLP an installation configures.
func TestNoRedInCellBatches(t *testing.T) {
	batches, all := dataSet(t, testNow)
	red := markingIDs[mosaic.TLPRed]
	var reds int
	for _, c := range all {
		refs, _ := c.obj["object_marking_refs"].([]any)
		if len(refs) > 0 && !slices.Contains(refs, any(red)) {
			continue
		}
		if len(refs) > 0 {
			reds++
		}
		if a := batches[c.batch].Audience; a == mosaic.AudienceCell {
			t.Errorf("%s: TLP:RED or unmarked in a batch for the whole cell (batch %d, %s)", c.id(), c.batch, batches[c.batch].User)
		}
	}
	if reds == 0 {
		t.Error("no TLP:RED objects: the demo should show how they are kept apart")
	}
}

// viewers is the set of partner users who can see what a batch contributes:
// the originator's own analysts and liaisons, plus its audience.
func viewers(b Batch) map[string]bool {
	users := usersByName()
	orgOf := map[string]string{}
	kind := map[string]mosaic.OrgKind{}
	for _, o := range Organisations() {
		kind[o.Name] = o.Kind
	}
	comps := map[string]Compartment{}
	for _, c := range Compartments() {
		comps[c.Name] = c
	}
	originator := users[b.User].Org
	audience, err := mosaic.ParseAudience(b.Audience)
	if err != nil {
		panic(err)
	}
	out := map[string]bool{}
	for _, u := range Users() {
		orgOf[u.Name] = u.Org
		if kind[u.Org] != mosaic.Partner || (u.Role != mosaic.Analyst && u.Role != mosaic.Liaison) {
			continue
		}
		in := u.Org == originator || audience.Cell
		for _, name := range audience.Compartments {
			c := comps[name]
			in = in || slices.Contains(c.Orgs, u.Org) || slices.Contains(c.Users, u.Name)
		}
		if in {
			out[u.Name] = true
		}
	}
	return out
}

// TestReferences checks that the data set hangs together for every viewer:
// each reference resolves to an object in the same or an earlier batch that
// everyone who can see the referring object can see too, so that loading
// the batches in order never leaves a dangling reference and no reference
// points anyone at an object hidden from them.
func TestReferences(t *testing.T) {
	batches, all := dataSet(t, testNow)
	type holder struct {
		batch   int
		viewers map[string]bool
	}
	held := map[string][]holder{}
	views := make([]map[string]bool, len(batches))
	for i, b := range batches {
		views[i] = viewers(b)
	}
	for _, c := range all {
		held[c.id()] = append(held[c.id()], holder{c.batch, views[c.batch]})
	}
	checked := 0
	for _, c := range all {
		for key, ref := range refsOf(c.obj) {
			checked++
			ok := false
			for _, h := range held[ref] {
				if h.batch <= c.batch && subset(views[c.batch], h.viewers) {
					ok = true
					break
				}
			}
			if !ok {
				t.Errorf("%s (batch %d, %s): %s %s is not in this or an earlier batch visible to all who see this one", c.id(), c.batch, batches[c.batch].User, key, ref)
			}
		}
	}
	if checked < 500 {
		t.Errorf("only %d references checked", checked)
	}
}

// refsOf returns the references of an object by property (a list property
// gives "key[i]"), without the marking references, which point at the
// well-known TLP definitions.
func refsOf(obj map[string]any) map[string]string {
	out := map[string]string{}
	for key, v := range obj {
		switch {
		case key == "object_marking_refs":
		case strings.HasSuffix(key, "_ref"):
			out[key] = v.(string)
		case strings.HasSuffix(key, "_refs"):
			for i, r := range v.([]any) {
				out[fmt.Sprintf("%s[%d]", key, i)] = r.(string)
			}
		}
	}
	return out
}

func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func TestCreators(t *testing.T) {
	_, all := dataSet(t, testNow)
	creator := map[string]string{}
	for _, c := range all {
		by, ok := c.obj["created_by_ref"].(string)
		if !ok {
			if !scoTypes[c.typ()] && c.typ() != "attack-pattern" {
				t.Errorf("%s: no created_by_ref", c.id())
			}
			continue
		}
		if want := identityID(c.user.Org); by != want {
			t.Errorf("%s: created_by_ref %s, want the identity of %s, %s", c.id(), by, c.user.Org, want)
		}
		if prev, ok := creator[c.id()]; ok && prev != by {
			t.Errorf("%s: created by both %s and %s", c.id(), prev, by)
		}
		creator[c.id()] = by
	}
}

// TestContributions checks the cases of shared and versioned objects the
// demo is meant to show, and that no batch repeats a record an organisation
// already contributed (which the store would treat as a resubmission, and
// as a conflict if the envelope differed).
func TestContributions(t *testing.T) {
	_, all := dataSet(t, testNow)
	type key struct{ id, modified, org string }
	seen := map[key]int{}
	orgs := map[string]map[string]bool{}          // id -> originators
	bodies := map[string]map[string]string{}      // id -> originator -> bytes (last)
	versions := map[[2]string]map[string]string{} // (id, org) -> modified -> bytes
	for _, c := range all {
		k := key{c.id(), c.str("modified"), c.user.Org}
		if prev, ok := seen[k]; ok {
			t.Errorf("%s (modified %q) contributed by %s in batches %d and %d", k.id, k.modified, k.org, prev, c.batch)
		}
		seen[k] = c.batch
		if orgs[c.id()] == nil {
			orgs[c.id()], bodies[c.id()] = map[string]bool{}, map[string]string{}
		}
		orgs[c.id()][c.user.Org] = true
		bodies[c.id()][c.user.Org] = string(c.raw)
		vk := [2]string{c.id(), c.user.Org}
		if versions[vk] == nil {
			versions[vk] = map[string]string{}
		}
		versions[vk][c.str("modified")] = string(c.raw)
	}

	var sharedSCO, sharedIdentical, versioned []string
	for id, by := range orgs {
		typ, _, _ := strings.Cut(id, "--")
		if len(by) > 1 && scoTypes[typ] {
			sharedSCO = append(sharedSCO, id)
		}
		if len(by) > 1 && typ == "attack-pattern" {
			texts := slices.Collect(maps.Values(bodies[id]))
			if texts[0] == texts[1] {
				sharedIdentical = append(sharedIdentical, id)
			}
		}
	}
	for k, vs := range versions {
		if len(vs) > 1 {
			texts := slices.Collect(maps.Values(vs))
			if texts[0] != texts[1] {
				versioned = append(versioned, k[0])
			}
		}
	}
	if len(sharedSCO) == 0 {
		t.Error("no observable is held by two originators")
	}
	if len(sharedIdentical) == 0 {
		t.Error("no attack-pattern is held with identical content by two originators")
	}
	if len(versioned) == 0 {
		t.Error("no object has two versions from the same originator")
	}
	t.Logf("%d shared observables, %d shared attack patterns, %d versioned objects", len(sharedSCO), len(sharedIdentical), len(versioned))
}

func TestDirectory(t *testing.T) {
	regimes := []string{"wiv2017", "wpg", "wjsg", "wbni"}
	orgs := map[string]mosaic.Organisation{}
	count := map[mosaic.OrgKind]int{}
	sectors := map[string]bool{}
	for _, o := range Organisations() {
		if !mosaic.ValidName(o.Name) || o.FullName == "" {
			t.Errorf("organisation %q: bad name or no full name", o.Name)
		}
		if _, err := mosaic.ParseOrgKind(string(o.Kind)); err != nil {
			t.Errorf("organisation %s: %v", o.Name, err)
		}
		if !o.DefaultAudience.IsOriginator() {
			t.Errorf("organisation %s: default audience %v, want originator", o.Name, o.DefaultAudience)
		}
		switch o.Kind {
		case mosaic.Partner:
			if !slices.Contains(regimes, o.LegalRegime) || o.Contact == "" {
				t.Errorf("partner %s: legal regime %q, contact %q", o.Name, o.LegalRegime, o.Contact)
			}
		case mosaic.Stakeholder:
			if len(o.Sectors) == 0 {
				t.Errorf("stakeholder %s has no sectors", o.Name)
			}
			for _, s := range o.Sectors {
				if !mosaic.ValidSector(s) {
					t.Errorf("stakeholder %s: sector %q is not in industry-sector-ov", o.Name, s)
				}
				sectors[s] = true
			}
		}
		if o.Contact != "" && !reservedContact(o.Contact) {
			t.Errorf("organisation %s: contact %q uses a real-looking domain", o.Name, o.Contact)
		}
		orgs[o.Name] = o
		count[o.Kind]++
	}
	wantPartners := map[string]string{"aivd": "wiv2017", "mivd": "wiv2017", "politie": "wpg", "om": "wjsg", "ncsc": "wbni"}
	for name, regime := range wantPartners {
		if o := orgs[name]; o.Kind != mosaic.Partner || o.LegalRegime != regime {
			t.Errorf("partner %s: kind %q, regime %q, want partner under %s", name, o.Kind, o.LegalRegime, regime)
		}
	}
	if count[mosaic.Stakeholder] < 6 || len(sectors) < 6 || count[mosaic.Oversight] < 1 {
		t.Errorf("%d stakeholders in %d sectors, %d oversight bodies", count[mosaic.Stakeholder], len(sectors), count[mosaic.Oversight])
	}

	users := map[string]User{}
	roles := map[mosaic.Role]bool{}
	perOrg := map[string]map[mosaic.Role]int{}
	for _, u := range Users() {
		o, ok := orgs[u.Org]
		switch {
		case !mosaic.ValidName(u.Name):
			t.Errorf("user %q: bad name", u.Name)
		case !ok:
			t.Errorf("user %s: unknown organisation %q", u.Name, u.Org)
		case !mosaic.RoleFits(u.Role, o.Kind):
			t.Errorf("user %s: role %s does not fit a %s organisation", u.Name, u.Role, o.Kind)
		case u.DisplayName == "" || !reservedContact(u.Email):
			t.Errorf("user %s: display name %q, e-mail %q", u.Name, u.DisplayName, u.Email)
		case u.ContentGrant && u.Role != mosaic.Auditor:
			t.Errorf("user %s: content grant on a %s", u.Name, u.Role)
		}
		if _, dup := users[u.Name]; dup {
			t.Errorf("user %s twice", u.Name)
		}
		users[u.Name] = u
		roles[u.Role] = true
		if perOrg[u.Org] == nil {
			perOrg[u.Org] = map[mosaic.Role]int{}
		}
		perOrg[u.Org][u.Role]++
	}
	for _, r := range mosaic.Roles {
		if !roles[r] {
			t.Errorf("no user has role %s", r)
		}
	}
	for _, o := range Organisations() {
		n := perOrg[o.Name]
		switch {
		case o.Kind == mosaic.Partner && (n[mosaic.Analyst] < 1 || n[mosaic.Liaison] < 1):
			t.Errorf("partner %s: %d analysts, %d liaisons", o.Name, n[mosaic.Analyst], n[mosaic.Liaison])
		case o.Kind == mosaic.Stakeholder && n[mosaic.StakeholderViewer] < 1:
			t.Errorf("stakeholder %s has no user", o.Name)
		case o.Kind == mosaic.Oversight && n[mosaic.Auditor] < 1:
			t.Errorf("oversight body %s has no auditor", o.Name)
		}
	}
	if perOrg["ncsc"][mosaic.Analyst] < 2 || perOrg["ncsc"][mosaic.Admin] != 1 {
		t.Errorf("ncsc: %d analysts, %d admins; want two analysts and the admin", perOrg["ncsc"][mosaic.Analyst], perOrg["ncsc"][mosaic.Admin])
	}

	for _, c := range Compartments() {
		if !mosaic.ValidName(c.Name) || c.Description == "" || len(c.Orgs)+len(c.Users) == 0 {
			t.Errorf("compartment %q: bad name, no description or no members", c.Name)
		}
		if !slices.IsSorted(c.Orgs) || !slices.IsSorted(c.Users) {
			t.Errorf("compartment %s: members not sorted", c.Name)
		}
		for _, o := range c.Orgs {
			if orgs[o].Kind != mosaic.Partner {
				t.Errorf("compartment %s: member %s is not a partner", c.Name, o)
			}
		}
		for _, name := range c.Users {
			u := users[name]
			if orgs[u.Org].Kind != mosaic.Partner || (u.Role != mosaic.Analyst && u.Role != mosaic.Liaison) {
				t.Errorf("compartment %s: member %s is not a partner analyst or liaison", c.Name, name)
			}
		}
	}
}

// reservedContact reports whether every e-mail domain in s is under a
// reserved top-level domain.
func reservedContact(s string) bool {
	found := regexp.MustCompile(`@([a-z0-9.-]+)`).FindAllStringSubmatch(s, -1)
	for _, m := range found {
		if !strings.HasSuffix(m[1], ".example") && !strings.HasSuffix(m[1], ".test") && !strings.HasSuffix(m[1], ".invalid") {
			return false
		}
	}
	return len(found) > 0
}

func TestBatchEnvelopes(t *testing.T) {
	users := usersByName()
	kinds := map[string]mosaic.OrgKind{}
	for _, o := range Organisations() {
		kinds[o.Name] = o.Kind
	}
	comps := map[string]Compartment{}
	for _, c := range Compartments() {
		comps[c.Name] = c
	}
	audiences := map[string]int{}
	for i, b := range Batches(testNow) {
		u, ok := users[b.User]
		if !ok || kinds[u.Org] != mosaic.Partner || (u.Role != mosaic.Analyst && u.Role != mosaic.Liaison) {
			t.Errorf("batch %d: user %q is not a partner analyst or liaison", i, b.User)
			continue
		}
		a, err := mosaic.ParseAudience(b.Audience)
		if err != nil {
			t.Errorf("batch %d: %v", i, err)
			continue
		}
		if a.String() != b.Audience {
			t.Errorf("batch %d: audience %q is not in canonical form %q", i, b.Audience, a.String())
		}
		for _, name := range a.Compartments {
			c, ok := comps[name]
			if !ok {
				t.Errorf("batch %d: unknown compartment %s", i, name)
			} else if !slices.Contains(c.Orgs, u.Org) && !slices.Contains(c.Users, u.Name) {
				t.Errorf("batch %d: %s is not a member of %s", i, b.User, name)
			}
			audiences["compartment"]++
		}
		if a.Cell {
			audiences["cell"]++
		} else if a.IsOriginator() {
			audiences["originator"]++
		}
		if b.LegalBasis != "" && !slices.Contains([]string{"wiv2017", "wpg", "wjsg", "wbni"}, b.LegalBasis) {
			t.Errorf("batch %d: legal basis %q", i, b.LegalBasis)
		}
	}
	if audiences["cell"] == 0 || audiences["originator"] == 0 || audiences["compartment"] == 0 {
		t.Errorf("audiences used: %v; want all three kinds", audiences)
	}
}

func TestCountsAndTimes(t *testing.T) {
	_, all := dataSet(t, testNow)
	if len(all) < 400 {
		t.Errorf("%d objects, want at least 400", len(all))
	}
	var timed, day1, week1 int
	oldest := ts(testNow.Add(-61 * day))
	for _, c := range all {
		m := c.str("modified")
		if m == "" {
			continue
		}
		timed++
		if m >= ts(testNow.Add(-day)) {
			day1++
		}
		if m >= ts(testNow.Add(-week)) {
			week1++
		}
		if m < oldest {
			t.Errorf("%s: modified %s, more than 61 days before now", c.id(), m)
		}
	}
	if day1*10 < timed || week1*10 < timed*3 {
		t.Errorf("of %d objects with timestamps, %d in the last day and %d in the last week: want at least 10%% and 30%%", timed, day1, week1)
	}
	tlps := map[string]int{}
	for _, c := range all {
		refs, _ := c.obj["object_marking_refs"].([]any)
		if len(refs) == 0 {
			tlps["none"]++
		}
		for l, id := range markingIDs {
			if slices.Contains(refs, any(id)) {
				tlps[string(l)]++
			}
		}
	}
	for _, l := range append([]mosaic.TLP{"none"}, mosaic.TLPLevels...) {
		if tlps[string(l)] == 0 {
			t.Errorf("no object marked %s", l)
		}
	}
	t.Logf("%d objects; %d with timestamps, %d modified in the last day, %d in the last week; TLP %v", len(all), timed, day1, week1, tlps)
}

// TestSituationalPicture checks that sector counts can be derived from the
// STIX data alone: targets relationships and incidents lead to identities
// with sectors, in several sectors.
func TestSituationalPicture(t *testing.T) {
	_, all := dataSet(t, testNow)
	sectorsOf := map[string][]string{}
	for _, c := range all {
		if c.typ() == "identity" {
			list, _ := c.obj["sectors"].([]any)
			for _, s := range list {
				sectorsOf[c.id()] = append(sectorsOf[c.id()], s.(string))
			}
		}
	}
	targeted, incidents := map[string]bool{}, map[string]bool{}
	for _, c := range all {
		if c.typ() != "relationship" {
			continue
		}
		src, dst := c.str("source_ref"), c.str("target_ref")
		for _, s := range sectorsOf[dst] {
			switch {
			case c.str("relationship_type") == "targets":
				targeted[s] = true
			case strings.HasPrefix(src, "incident--"):
				incidents[s] = true
			}
		}
	}
	if len(targeted) < 6 || len(incidents) < 6 {
		t.Errorf("sectors targeted: %v; sectors with incidents: %v; want at least six of each", slices.Sorted(maps.Keys(targeted)), slices.Sorted(maps.Keys(incidents)))
	}
}

// TestReleases checks the demo's releases against the data set and the
// rules they will be checked by: drafters and liaisons are partner users,
// recipients are stakeholders' users, every pinned object is in the data
// set at a level its recipients may receive, and every stakeholder gets
// something.
func TestReleases(t *testing.T) {
	rels := Releases(testNow)
	if !reflect.DeepEqual(rels, Releases(testNow)) {
		t.Fatal("two calls with the same now returned different releases")
	}
	users := usersByName()
	orgs := map[string]mosaic.Organisation{}
	for _, o := range Organisations() {
		orgs[o.Name] = o
	}
	_, all := dataSet(t, testNow)
	versions := map[string]bool{}
	for _, c := range all {
		versions[c.id()+"@"+c.str("modified")+"#"+c.user.Org] = true
	}
	// allowed says whether a level may go to a recipient (TLP 2.0, see
	// docs/releases.md).
	allowed := func(l mosaic.TLP, recipient string) bool {
		kind, _, _ := strings.Cut(recipient, ":")
		switch l {
		case mosaic.TLPClear:
			return true
		case mosaic.TLPGreen:
			return kind != "public"
		case mosaic.TLPAmber, mosaic.TLPAmberStrict:
			return kind == "org" || kind == "user"
		}
		return kind == "user"
	}
	reached := map[string]bool{}
	titles := map[string]bool{}
	var public, withdrawn, sanitised, pending int
	for _, r := range rels {
		if titles[r.Title] {
			t.Errorf("two releases titled %q", r.Title)
		}
		titles[r.Title] = true
		if u := users[r.Drafter]; orgs[u.Org].Kind != mosaic.Partner || (u.Role != mosaic.Analyst && u.Role != mosaic.Liaison) {
			t.Errorf("%q: drafter %s is no partner analyst or liaison", r.Title, r.Drafter)
		}
		if len(r.Objects) == 0 || !strings.Contains(r.Advice, "1. ") {
			t.Errorf("%q: no objects or no steps of advice", r.Title)
		}
		for _, o := range r.Objects {
			if !versions[o.ID+"@"+o.Modified+"#"+o.Originator] {
				t.Errorf("%q: %s@%s of %s is not in the data set", r.Title, o.ID, o.Modified, o.Originator)
			}
			for _, rc := range r.Recipients {
				if !allowed(o.TLP, rc) {
					t.Errorf("%q: %s is %s and may not go to %s", r.Title, o.ID, o.TLP, rc)
				}
			}
		}
		for _, rc := range r.Recipients {
			kind, name, _ := strings.Cut(rc, ":")
			for _, o := range Organisations() {
				if o.Kind == mosaic.Stakeholder && (kind == "public" || (kind == "org" && o.Name == name) || (kind == "sector" && slices.Contains(o.Sectors, name))) && r.Publish && r.Withdraw == "" {
					reached[o.Name] = true
				}
			}
			if kind == "public" {
				public++
			}
		}
		for _, c := range r.Consents {
			if users[c.User].Role != mosaic.Liaison {
				t.Errorf("%q: %s decides but is no liaison", r.Title, c.User)
			}
			if len(c.Sanitise) > 0 {
				sanitised++
			}
		}
		if !r.Publish {
			pending++
		}
		if r.Withdraw != "" {
			withdrawn++
		}
		var reporters []string
		for _, f := range r.Receipts {
			reporters = append(reporters, f.User)
		}
		for _, f := range r.Sightings {
			reporters = append(reporters, f.User)
		}
		for _, u := range reporters {
			if users[u].Role != mosaic.StakeholderViewer {
				t.Errorf("%q: feedback of %s, no stakeholder user", r.Title, u)
			}
		}
		if len(r.Receipts)+len(r.Sightings) > 0 && !r.Publish {
			t.Errorf("%q: feedback on a release never published", r.Title)
		}
	}
	for _, o := range Organisations() {
		if o.Kind == mosaic.Stakeholder && !reached[o.Name] {
			t.Errorf("stakeholder %s receives nothing", o.Name)
		}
	}
	if public != 1 || withdrawn != 1 || sanitised != 1 || pending < 1 {
		t.Errorf("%d public, %d withdrawn, %d sanitised, %d pending releases", public, withdrawn, sanitised, pending)
	}
}
