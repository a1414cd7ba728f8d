// Package benchdata builds the populations Mosaic's benchmarks run on: many
// partner organisations, compartments, and a large corpus of STIX objects
// with a known share of audiences, types and search terms, stored through
// the normal ingest path. It is used by benchmarks only.
package benchdata

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/ingest"
	"mosaic/stix"
)

// Spec sizes a population.
type Spec struct {
	Objects      int // records to store
	Orgs         int // partner organisations, each with one analyst
	Compartments int
	Seed         uint64
}

// Million is the population of the goals: 1,000,000 objects, 50
// organisations, 20 compartments.
var Million = Spec{Objects: 1_000_000, Orgs: 50, Compartments: 20, Seed: 1}

// Fixture describes what Populate made.
type Fixture struct {
	Spec    Spec
	Users   []string          // one analyst per organisation, org i's at index i
	Tokens  map[string]string // user → API token
	Common  string            // a word in 10% of the objects
	Rare    []string          // words in about 20 objects each
	Types   []string          // the types, most frequent first
	Objects int               // how many were stored
}

// CommonWord appears in the name of every tenth object.
const CommonWord = "quasar"

// Share of audiences among the objects.
const (
	cellShare       = 50 // percent shared with the cell
	originatorShare = 30 // percent for the originator only; the rest to compartments
)

var vocabulary = strings.Fields(`ransomware loader beacon phishing credential dropper botnet scanner exploit webshell
	backdoor stealer wiper proxy tunnel implant payload spearphishing vpn appliance hospital bank energy grid water
	telecom port rail ministry municipality supplier cloud mail gateway firewall router domain controller lateral
	movement exfiltration encryption extortion affiliate actor campaign intrusion infrastructure command control
	server sample hash certificate registry persistence privilege escalation discovery collection impact`)

// Populate stores a population in s through in, calling progress with
// the number of objects stored so far. Objects are stored in batches of
// 10,000, each batch by one organisation's analyst, with per-object
// audiences through Mosaic's envelope extension.
func Populate(ctx context.Context, s mosaic.Store, in *ingest.Ingester, spec Spec, progress func(int)) (*Fixture, error) {
	rng := rand.New(rand.NewPCG(spec.Seed, 7))
	a := mosaic.AuditEntry{User: "bench", Action: "setup", Decision: mosaic.Allowed}
	f := &Fixture{Spec: spec, Tokens: map[string]string{}, Common: CommonWord,
		Types: []string{"indicator", "ipv4-addr", "domain-name", "malware", "report", "campaign"}}
	viewers := make([]mosaic.Viewer, spec.Orgs)
	for i := range spec.Orgs {
		o := mosaic.Organisation{Name: fmt.Sprintf("org%02d", i), FullName: fmt.Sprintf("Organisation %d", i), Kind: mosaic.Partner, LegalRegime: "wbni"}
		if err := s.CreateOrg(ctx, &o, a); err != nil {
			return nil, err
		}
		u := mosaic.User{Name: o.Name + "-analyst", Org: o.Name, Role: mosaic.Analyst}
		if err := s.CreateUser(ctx, &u, "", a); err != nil {
			return nil, err
		}
		secret, hash := credential.NewToken()
		if _, err := s.CreateToken(ctx, u.Name, hash, "bench", farFuture, false, a); err != nil {
			return nil, err
		}
		f.Users = append(f.Users, u.Name)
		f.Tokens[u.Name] = secret
		viewers[i] = mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
	}
	member := make([][]string, spec.Orgs) // org → compartments
	for c := range spec.Compartments {
		name := fmt.Sprintf("comp%02d", c)
		if err := s.CreateCompartment(ctx, &mosaic.Compartment{Name: name}, a); err != nil {
			return nil, err
		}
		// Each compartment has 3 to 8 member organisations.
		for _, i := range rng.Perm(spec.Orgs)[:3+rng.IntN(6)] {
			if err := s.AddMember(ctx, name, fmt.Sprintf("org%02d", i), "", a); err != nil {
				return nil, err
			}
			member[i] = append(member[i], name)
		}
	}
	rare := max(1, spec.Objects/20)
	for r := range min(rare, 50) {
		f.Rare = append(f.Rare, fmt.Sprintf("rare%d", r))
	}
	const batch = 10_000
	for start := 0; start < spec.Objects; start += batch {
		org := (start / batch) % spec.Orgs
		n := min(batch, spec.Objects-start)
		objs := make([]json.RawMessage, n)
		for i := range n {
			objs[i] = object(rng, start+i, f, member[org], rare)
		}
		body, err := json.Marshal(map[string]any{"type": "bundle", "id": fmt.Sprintf("bundle--%08x-0000-4000-8000-000000000000", start), "objects": objs})
		if err != nil {
			return nil, err
		}
		if _, _, err := in.Bundle(ctx, viewers[org], body, mosaic.EnvelopeDefaults{}); err != nil {
			return nil, fmt.Errorf("batch at %d: %w", start, err)
		}
		f.Objects += n
		if progress != nil {
			progress(f.Objects)
		}
	}
	return f, nil
}

// object returns the n-th object of the corpus.
func object(rng *rand.Rand, n int, f *Fixture, comps []string, rare int) json.RawMessage {
	id := fmt.Sprintf("%08x-%04x-4%03x-8000-%012x", n, rng.IntN(1<<16), rng.IntN(1<<12), rng.Int64N(1<<48))
	words := []string{vocabulary[rng.IntN(len(vocabulary))], vocabulary[rng.IntN(len(vocabulary))], vocabulary[rng.IntN(len(vocabulary))]}
	if n%10 == 0 {
		words = append(words, CommonWord)
	}
	if r := rng.IntN(rare); r < len(f.Rare) {
		words = append(words, f.Rare[r])
	}
	name := strings.Join(words, " ")
	var aud []string
	switch p := rng.IntN(100); {
	case p < cellShare:
		aud = []string{"cell"}
	case p < cellShare+originatorShare || len(comps) == 0:
		aud = []string{"originator"}
	default:
		aud = []string{"compartment:" + comps[rng.IntN(len(comps))]}
	}
	tlps := []mosaic.TLP{mosaic.TLPClear, mosaic.TLPGreen, mosaic.TLPAmber, mosaic.TLPAmber, mosaic.TLPAmberStrict}
	tlp := tlps[rng.IntN(len(tlps))]
	ext := fmt.Sprintf(`"extensions":{%q:{"extension_type":"property-extension","audience":%s}}`, stix.ExtensionID, mustJSON(aud))
	marking := fmt.Sprintf(`"object_marking_refs":[%q]`, stix.TLPMarkingID(tlp))
	ts := fmt.Sprintf("2026-%02d-%02dT%02d:%02d:%02d.%03dZ", 1+n%10, 1+n%28, n%24, n%60, (n/60)%60, n%1000)
	ip := fmt.Sprintf("10.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
	var o string
	switch t := rng.IntN(100); {
	case t < 60:
		o = fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":%q,"modified":%q,"name":%q,"description":"Observed %s activity against a %s; block and hunt for related infrastructure.","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":%q,"indicator_types":["malicious-activity"],"labels":[%q],%s,%s}`,
			id, ts, ts, name, words[0], words[1], ip, ts, words[2], marking, ext)
	case t < 80:
		o = fmt.Sprintf(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--%s","value":%q,%s,%s}`, id, ip, marking, ext)
	case t < 90:
		o = fmt.Sprintf(`{"type":"domain-name","spec_version":"2.1","id":"domain-name--%s","value":"%s-%d.example",%s,%s}`, id, words[0], n, marking, ext)
	case t < 96:
		o = fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--%s","created":%q,"modified":%q,"name":%q,"is_family":true,"description":"A %s family.",%s,%s}`,
			id, ts, ts, name, words[1], marking, ext)
	case t < 99:
		o = fmt.Sprintf(`{"type":"report","spec_version":"2.1","id":"report--%s","created":%q,"modified":%q,"name":%q,"published":%q,"object_refs":["malware--%s"],%s,%s}`,
			id, ts, ts, name, ts, id, marking, ext)
	default:
		o = fmt.Sprintf(`{"type":"campaign","spec_version":"2.1","id":"campaign--%s","created":%q,"modified":%q,"name":%q,%s,%s}`, id, ts, ts, name, marking, ext)
	}
	return json.RawMessage(o)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// fixtureFile is where a fixture's description is kept beside its data.
const fixtureFile = "bench-fixture.json"

func encodeFixture(f *Fixture) ([]byte, error) { return json.MarshalIndent(f, "", "  ") }

func decodeFixture(b []byte) (*Fixture, error) {
	var f Fixture
	return &f, json.Unmarshal(b, &f)
}

// Save writes f into dir.
func (f *Fixture) Save(dir string) error {
	b, err := encodeFixture(f)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, fixtureFile), b, 0o600)
}

// Load reads the fixture kept in dir.
func Load(dir string) (*Fixture, error) {
	b, err := os.ReadFile(filepath.Join(dir, fixtureFile))
	if err != nil {
		return nil, err
	}
	return decodeFixture(b)
}

// farFuture is when benchmark tokens expire.
var farFuture = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
