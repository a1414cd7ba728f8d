package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/misp"
	"mosaic/pattern"
	"mosaic/search"
	"mosaic/stix"
)

// exportWriter writes the objects of an export in one format.
type exportWriter interface {
	begin() error
	object(o api.Object) error
	// end finishes the file and returns a line for the person who asked.
	end() (string, error)
}

var exportFormats = map[string]func(*bufio.Writer, time.Time) exportWriter{
	"stix":   func(w *bufio.Writer, _ time.Time) exportWriter { return &stixWriter{w: w} },
	"csv":    func(w *bufio.Writer, _ time.Time) exportWriter { return &csvWriter{w: csv.NewWriter(w)} },
	"ip":     blocklist("ip"),
	"domain": blocklist("domain"),
	"url":    blocklist("url"),
	"hash":   blocklist("hash"),
	"misp": func(w *bufio.Writer, _ time.Time) exportWriter {
		return &mispWriter{w: w, tlp: map[string]mosaic.TLP{}}
	},
}

// stixWriter writes a STIX 2.1 bundle with each object's envelope in
// Mosaic's extension and the TLP marking definitions in use.
type stixWriter struct {
	w             *bufio.Writer
	seen          map[string]bool
	tlps          map[mosaic.TLP]bool
	n, skipped    int
	publishedByID map[string]bool
}

func (s *stixWriter) begin() error {
	s.seen, s.tlps = map[string]bool{}, map[mosaic.TLP]bool{}
	// Objects every export writes itself: Mosaic's identity and extension
	// definition, and the TLP marking definitions in use.
	s.publishedByID = map[string]bool{stix.IdentityID: true, stix.ExtensionID: true}
	for _, t := range mosaic.TLPLevels {
		s.publishedByID[stix.TLPMarkingID(t)] = true
	}
	fmt.Fprintf(s.w, `{"type":"bundle","id":%q,"objects":[`+"\n", newBundleID())
	// Mosaic's identity and extension definition make the envelope
	// extension self-describing for any other tool.
	s.w.Write(stix.Identity())
	s.w.WriteString(",\n")
	_, err := s.w.Write(stix.ExtensionDefinition())
	return err
}

func (s *stixWriter) object(o api.Object) error {
	var head struct{ ID, Modified, Created string }
	if err := json.Unmarshal(o.Object, &head); err != nil {
		return err
	}
	// Two partners may hold different content under one id and version; a
	// bundle may hold only one of them.
	key := head.ID + "|" + head.Modified + "|" + head.Created
	if s.seen[key] {
		s.skipped++
		return nil
	}
	s.seen[key] = true
	if s.publishedByID[head.ID] {
		return nil // written once, at the start or the end
	}
	obj := o.Object
	// An extension definition cannot carry extensions itself.
	if !strings.HasPrefix(head.ID, "extension-definition--") {
		withEnv, err := stix.WithEnvelope(o.Object, o.Envelope)
		if err != nil {
			return err
		}
		obj = withEnv
	}
	s.w.WriteString(",\n")
	s.w.Write(obj)
	s.tlps[o.Envelope.TLP] = true
	s.n++
	return nil
}

func (s *stixWriter) end() (string, error) {
	for _, t := range mosaic.TLPLevels {
		if s.tlps[t] {
			s.w.WriteString(",\n")
			s.w.Write(stix.TLPMarkingDefinition(t))
		}
	}
	_, err := s.w.WriteString("\n]}\n")
	msg := fmt.Sprintf("exported %d objects", s.n)
	if s.skipped > 0 {
		msg += fmt.Sprintf(" (%d further contributions with an id and version already in the bundle left out)", s.skipped)
	}
	return msg, err
}

// exported is what the flat formats read from an object.
type exported struct {
	ID, Type, Name, Created, Modified, ValidUntil string
	Revoked                                       bool
	Labels                                        []string
	observables                                   []observable
}

// observable is a value a defender can block, with its kind: ip, domain,
// url or hash (then alg names the algorithm).
type observable struct{ kind, alg, value string }

// readObject takes an object apart for the flat formats: the observables
// an indicator's STIX pattern names by equality, or an SCO's value and
// hashes. Text that merely mentions an address is no blocklist entry.
func readObject(raw []byte) (exported, error) {
	var p struct {
		ID, Type, Name, Created, Modified, Pattern, Value string
		PatternType                                       string            `json:"pattern_type"`
		ValidUntil                                        string            `json:"valid_until"`
		Revoked                                           bool              `json:"revoked"`
		Labels                                            []string          `json:"labels"`
		Hashes                                            map[string]string `json:"hashes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return exported{}, err
	}
	x := exported{ID: p.ID, Type: p.Type, Name: p.Name, Created: p.Created, Modified: p.Modified, ValidUntil: p.ValidUntil, Revoked: p.Revoked, Labels: p.Labels}
	add := func(typ, path, value string) {
		if o, ok := classify(typ, path, value); ok && !slices.Contains(x.observables, o) {
			x.observables = append(x.observables, o)
		}
	}
	switch {
	case p.Type == "indicator" && p.PatternType == "stix":
		if pat, err := pattern.Parse(p.Pattern); err == nil {
			for _, eq := range pat.Equalities() {
				add(eq.Type, eq.Path, eq.Value)
			}
		}
	case p.Value != "":
		add(p.Type, "value", p.Value)
	}
	for alg, v := range p.Hashes {
		add(p.Type, "hashes."+alg, v)
	}
	return x, nil
}

// classify sorts a (type, path, value) into a blocklist kind, normalised.
func classify(typ, path, value string) (observable, bool) {
	kinds := map[string]search.Kind{"ipv4-addr": search.KindCIDR, "ipv6-addr": search.KindCIDR, "domain-name": search.KindDomain, "url": search.KindURL}
	if k, ok := kinds[typ]; ok && path == "value" {
		norm, ok := search.NormalizeObservable(k, value)
		name := map[search.Kind]string{search.KindCIDR: "ip", search.KindDomain: "domain", search.KindURL: "url"}[k]
		return observable{kind: name, value: norm}, ok
	}
	if alg, ok := strings.CutPrefix(path, "hashes."); ok && (typ == "file" || typ == "artifact" || typ == "x509-certificate") {
		alg = strings.Trim(alg, "'")
		norm := strings.ToLower(strings.TrimSpace(value))
		for _, k := range []search.Kind{search.KindMD5, search.KindSHA1, search.KindSHA256, search.KindSHA512} {
			if n, ok := search.NormalizeObservable(k, value); ok {
				norm = n
				break
			}
		}
		return observable{kind: "hash", alg: alg, value: norm}, norm != ""
	}
	return observable{}, false
}

// csvWriter writes one row per object and observable (one row for an
// object without observables), with the TLP and originator of each.
type csvWriter struct {
	w    *csv.Writer
	rows int
}

func (c *csvWriter) begin() error {
	return c.w.Write([]string{"id", "type", "name", "observable_type", "hash_algorithm", "observable", "tlp", "originator", "audience", "created", "modified", "valid_until", "revoked", "labels"})
}

func (c *csvWriter) object(o api.Object) error {
	x, err := readObject(o.Object)
	if err != nil {
		return err
	}
	obs := x.observables
	if len(obs) == 0 {
		obs = []observable{{}}
	}
	for _, ob := range obs {
		c.rows++
		if err := c.w.Write([]string{x.ID, x.Type, x.Name, ob.kind, ob.alg, ob.value, o.Envelope.TLP.Label(), o.Envelope.Originator, o.Envelope.Audience.String(),
			x.Created, x.Modified, x.ValidUntil, fmt.Sprint(x.Revoked), strings.Join(x.Labels, ";")}); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) end() (string, error) {
	c.w.Flush()
	return fmt.Sprintf("exported %d rows", c.rows), c.w.Error()
}

// blocklistWriter writes one value per line for a firewall or DNS
// blocklist: the observables of one kind, each once, from objects that are
// not revoked and whose valid_until has not passed. Plain text has no
// place for a TLP per line, so the header names the most restrictive TLP
// among the entries; select with --tlp to export what may go further.
type blocklistWriter struct {
	w      *bufio.Writer
	kind   string
	now    time.Time
	values []string
	seen   map[string]bool
	tlp    mosaic.TLP
	stale  int
}

func blocklist(kind string) func(*bufio.Writer, time.Time) exportWriter {
	return func(w *bufio.Writer, now time.Time) exportWriter {
		return &blocklistWriter{w: w, kind: kind, now: now, seen: map[string]bool{}, tlp: mosaic.TLPClear}
	}
}

func (b *blocklistWriter) begin() error { return nil }

func (b *blocklistWriter) object(o api.Object) error {
	x, err := readObject(o.Object)
	if err != nil {
		return err
	}
	if x.Revoked || expired(x.ValidUntil, b.now) {
		b.stale++
		return nil
	}
	for _, ob := range x.observables {
		if ob.kind != b.kind || b.seen[ob.value] {
			continue
		}
		b.seen[ob.value] = true
		b.values = append(b.values, ob.value)
		if o.Envelope.TLP.Rank() > b.tlp.Rank() {
			b.tlp = o.Envelope.TLP
		}
	}
	return nil
}

func expired(validUntil string, now time.Time) bool {
	if validUntil == "" {
		return false
	}
	k, err := stix.TimeKey(validUntil)
	if err != nil {
		return false
	}
	t, err := stix.KeyTime(k)
	return err == nil && !t.After(now)
}

func (b *blocklistWriter) end() (string, error) {
	slices.Sort(b.values)
	fmt.Fprintf(b.w, "# Mosaic %s blocklist, %d entries, exported %s\n", b.kind, len(b.values), b.now.UTC().Format(time.RFC3339))
	if len(b.values) > 0 {
		fmt.Fprintf(b.w, "# %s: the most restrictive TLP among the entries; share no further than it allows\n", b.tlp.Label())
	}
	for _, v := range b.values {
		b.w.WriteString(v)
		b.w.WriteByte('\n')
	}
	msg := fmt.Sprintf("exported %d %s entries", len(b.values), b.kind)
	if b.stale > 0 {
		msg += fmt.Sprintf(" (%d revoked or expired objects left out)", b.stale)
	}
	return msg, nil
}

// mispWriter writes MISP event JSON ({"response": [{"Event": ...}]}, one
// event per report and one for the objects outside reports) through
// misp.Events, which needs every object at once to group them. Each
// attribute carries the TLP its object is handled under, as a tlp:* tag
// of its own where it differs from its event's.
type mispWriter struct {
	w    *bufio.Writer
	objs []json.RawMessage
	tlp  map[string]mosaic.TLP // id -> the strictest TLP of its records
}

func (m *mispWriter) begin() error { return nil }

func (m *mispWriter) object(o api.Object) error {
	var head struct{ ID string }
	if err := json.Unmarshal(o.Object, &head); err != nil {
		return err
	}
	m.objs = append(m.objs, o.Object)
	if t := o.Envelope.TLP; t.Rank() > m.tlp[head.ID].Rank() {
		m.tlp[head.ID] = t
	}
	return nil
}

func (m *mispWriter) end() (string, error) {
	doc, skipped, err := misp.Events(m.objs, m.tlp, "Mosaic export")
	if err != nil {
		return "", err
	}
	if _, err := m.w.Write(doc); err != nil {
		return "", err
	}
	var out struct {
		Response []struct {
			Event struct {
				Attribute, Object []json.RawMessage
				Galaxy            []struct{ GalaxyCluster []json.RawMessage }
			}
		}
	}
	if err := json.Unmarshal(doc, &out); err != nil {
		return "", err
	}
	attrs, objs, clusters := 0, 0, 0
	for _, e := range out.Response {
		attrs += len(e.Event.Attribute)
		objs += len(e.Event.Object)
		for _, g := range e.Event.Galaxy {
			clusters += len(g.GalaxyCluster)
		}
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "exported %d MISP events with %d attributes, %d objects and %d galaxy clusters from %d STIX objects",
		len(out.Response), attrs, objs, clusters, len(m.objs))
	if len(skipped) > 0 {
		// What MISP cannot hold is named, by reason, never dropped
		// silently.
		fmt.Fprintf(&msg, "\n%d STIX objects have no place in MISP event JSON and were left out:", len(skipped))
		byReason := map[string][]string{}
		var reasons []string
		for _, s := range skipped {
			if byReason[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			byReason[s.Reason] = append(byReason[s.Reason], s.What)
		}
		for _, r := range reasons {
			whats := byReason[r]
			fmt.Fprintf(&msg, "\n  %d: %s: %s", len(whats), r, strings.Join(whats[:min(len(whats), 5)], ", "))
			if len(whats) > 5 {
				fmt.Fprintf(&msg, " and %d more", len(whats)-5)
			}
		}
	}
	return msg.String(), nil
}
