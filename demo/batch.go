package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"mosaic"
)

// Batch is one submission of the demo data set: a STIX 2.1 bundle posted
// through the normal ingest path as User, with the envelope fields given
// here. Every object carries its own TLP in object_marking_refs; objects
// without one get the installation's default.
type Batch struct {
	User       string // contributing user, an analyst or liaison of a partner
	Audience   string // "originator", "cell" or "compartment:NAME[,compartment:NAME]"
	LegalBasis string // "" = the organisation's legal regime; else one of wiv2017, wpg, wjsg, wbni
	ORCON      *bool  // nil = the default (true)
	Bundle     []byte // a STIX 2.1 bundle (JSON)
}

// Batches returns the demo data set as of now, in the order to post it:
// oldest first, and every object a batch refers to is in that batch or an
// earlier one. Timestamps spread over the last 60 days, with a good share in
// the last week and the last 24 hours, so that "what is new" and the
// situational picture have something to show. The result depends on now
// only: ids are derived from names, and the little randomness (jitter,
// addresses) comes from a fixed seed.
func Batches(now time.Time) []Batch {
	d := newDataset(now)
	d.directory()
	d.attackCatalogue()
	d.stateActor()
	d.vpnExploitation()
	d.ransomware()
	d.ddos()
	d.phishingFeed()
	return d.batches()
}

// dataset builds the data set. Story functions add drafts in whatever order
// reads best; batches sorts them by time at the end.
type dataset struct {
	now    time.Time // truncated to the minute, so timestamps look tidy
	rng    *rand.Rand
	drafts []*draft
	users  map[string]User
	ips    map[string]bool // addresses handed out, so no two stories share one by accident
	names  map[string]int  // how often a sighting's name was used, see draft.sighting
}

func newDataset(now time.Time) *dataset {
	d := &dataset{
		now:   now.UTC().Truncate(time.Minute),
		rng:   rand.New(rand.NewPCG(0x6d6f73616963, 0x64656d6f)), // "mosaic", "demo"
		users: map[string]User{},
		ips:   map[string]bool{},
		names: map[string]int{},
	}
	for _, u := range Users() {
		d.users[u.Name] = u
	}
	for _, ip := range []string{marshC2A, marshC2B, surgeC2, hanzebankIP} {
		d.ips[ip] = true
	}
	return d
}

// ago returns a moment days and hours before now, minus up to 40 minutes of
// jitter so that batches do not all land on the hour.
func (d *dataset) ago(days, hours int) time.Time {
	jitter := time.Duration(d.rng.IntN(40)) * time.Minute
	return d.now.Add(-time.Duration(days)*24*time.Hour - time.Duration(hours)*time.Hour - jitter)
}

// ipv4 hands out an unused address from one of the documentation prefixes
// (192.0.2, 198.51.100, 203.0.113).
func (d *dataset) ipv4(prefix string) string {
	for {
		ip := fmt.Sprintf("%s.%d", prefix, 2+d.rng.IntN(252))
		if !d.ips[ip] {
			d.ips[ip] = true
			return ip
		}
	}
}

// ipv6 hands out an unused address under a 2001:db8::/32 prefix such as
// "2001:db8:4c1e".
func (d *dataset) ipv6(prefix string) string {
	for {
		ip := fmt.Sprintf("%s::%x:%x", prefix, 1+d.rng.IntN(0xfffe), 1+d.rng.IntN(0xfffe))
		if !d.ips[ip] {
			d.ips[ip] = true
			return ip
		}
	}
}

// Hand-picked addresses: the observables two partners both hold, and a
// bank's web front. newDataset reserves them, so that ipv4 never hands them
// out to another story.
const (
	marshC2A    = "198.51.100.23"
	marshC2B    = "198.51.100.77"
	surgeC2     = "192.0.2.66"
	hanzebankIP = "192.0.2.10"
)

// draft is a batch under construction.
type draft struct {
	Batch
	when  time.Time  // when the batch was contributed: created and modified of its new objects
	by    string     // identity id of the organisation, the created_by_ref of its objects
	tlp   mosaic.TLP // marking for the objects added next; "" leaves them unmarked
	objs  []object
	users map[string]User // the dataset's, for authors' names
	names map[string]int  // the dataset's, see sighting
}

// batch starts a draft contributed by user at when, its objects marked tlp
// until the story changes b.tlp.
func (d *dataset) batch(user, audience string, when time.Time, tlp mosaic.TLP) *draft {
	u, ok := d.users[user]
	if !ok {
		panic("demo: unknown user " + user)
	}
	b := &draft{
		Batch: Batch{User: user, Audience: audience},
		when:  when, by: identityID(u.Org), tlp: tlp, users: d.users, names: d.names,
	}
	d.drafts = append(d.drafts, b)
	return b
}

// batches orders the drafts by time and encodes their bundles.
func (d *dataset) batches() []Batch {
	drafts := slices.Clone(d.drafts)
	slices.SortStableFunc(drafts, func(a, b *draft) int { return a.when.Compare(b.when) })
	out := make([]Batch, 0, len(drafts))
	for _, b := range drafts {
		bundle := object{
			p("type", "bundle"),
			p("id", sdoID("bundle", b.User+"|"+ts(b.when)+"|"+b.Audience)),
			p("objects", b.objs),
		}
		body, err := bundle.MarshalJSON()
		if err != nil {
			panic(fmt.Sprintf("demo: encoding a bundle of %s: %v", b.User, err))
		}
		b.Bundle = body
		out = append(out, b.Batch)
	}
	return out
}

func (b *draft) marking() []string {
	if b.tlp == "" {
		return nil
	}
	return []string{markingIDs[b.tlp]}
}

// add appends ready-made objects, such as the shared ATT&CK techniques.
func (b *draft) add(objs ...object) { b.objs = append(b.objs, objs...) }

// sdo adds an SDO or SRO created and last modified when the batch was
// contributed and returns its id. The name makes the id; it must be unique
// for its type across the data set.
func (b *draft) sdo(typ, name string, props ...prop) string {
	return b.sdoAt(typ, name, b.when, b.when, props...)
}

// sdoAt adds a version of an SDO or SRO with explicit timestamps: a later
// version repeats created and moves modified on.
func (b *draft) sdoAt(typ, name string, created, modified time.Time, props ...prop) string {
	id := sdoID(typ, name)
	o := object{
		p("type", typ), p("spec_version", "2.1"), p("id", id), p("created_by_ref", b.by),
		p("created", ts(created)), p("modified", ts(modified)),
	}
	o = append(o, props...)
	o = append(o, p("object_marking_refs", b.marking()))
	b.objs = append(b.objs, o)
	return id
}

// sco adds a cyber-observable with its deterministic id.
func (b *draft) sco(typ string, contributing map[string]any, props ...prop) string {
	id := scoID(typ, contributing)
	o := object{p("type", typ), p("spec_version", "2.1"), p("id", id)}
	o = append(o, props...)
	o = append(o, p("object_marking_refs", b.marking()))
	b.objs = append(b.objs, o)
	return id
}

func (b *draft) ipv4Addr(v string) string {
	return b.sco("ipv4-addr", map[string]any{"value": v}, p("value", v))
}

func (b *draft) ipv6Addr(v string) string {
	return b.sco("ipv6-addr", map[string]any{"value": v}, p("value", v))
}

func (b *draft) domainName(v string) string {
	return b.sco("domain-name", map[string]any{"value": v}, p("value", v))
}

func (b *draft) url(v string) string {
	return b.sco("url", map[string]any{"value": v}, p("value", v))
}

// file adds a file observable with a SHA-256 hash and, when withMD5, an MD5
// as well (which then makes the id, as STIX prefers MD5 for it).
func (b *draft) file(name string, withMD5 bool) string {
	hashes := map[string]string{"SHA-256": sha256Of(name)}
	idHash := map[string]any{"SHA-256": hashes["SHA-256"]}
	if withMD5 {
		hashes["MD5"] = md5Of(name)
		idHash = map[string]any{"MD5": hashes["MD5"]}
	}
	return b.sco("file", map[string]any{"hashes": idHash, "name": name}, p("hashes", hashes), p("name", name))
}

// flow adds a network-traffic observable from src to dst.
func (b *draft) flow(src, dst string, srcPort, dstPort int, start, end time.Time, packets int) string {
	contributing := map[string]any{
		"src_ref": src, "dst_ref": dst, "src_port": srcPort, "dst_port": dstPort,
		"protocols": []string{"ipv4", "tcp", "https"}, "start": ts(start), "end": ts(end),
	}
	return b.sco("network-traffic", contributing,
		p("start", ts(start)), p("end", ts(end)), p("src_ref", src), p("dst_ref", dst),
		p("src_port", srcPort), p("dst_port", dstPort), p("protocols", []string{"ipv4", "tcp", "https"}),
		p("src_packets", packets))
}

// rel adds a relationship. The creator is part of its name, so that two
// partners stating the same relation make two objects, each with its own
// created_by_ref.
func (b *draft) rel(src, typ, dst string, description ...string) string {
	return b.sdo("relationship", b.by+"|"+src+"|"+typ+"|"+dst,
		p("relationship_type", typ), p("description", strings.Join(description, " ")),
		p("source_ref", src), p("target_ref", dst))
}

// sighting adds a sighting of an indicator (or other SDO) at the identities
// in where. Its name counts repeated sightings of the same thing at the same
// place rather than using the time, which would make the id depend on now.
func (b *draft) sighting(of string, where []string, first, last time.Time, count int, description string) string {
	place := b.by + "|" + of + "|" + strings.Join(where, ",")
	name := place
	if n := b.names[place]; n > 0 {
		name += fmt.Sprintf("#%d", n)
	}
	b.names[place]++
	return b.sdo("sighting", name,
		p("description", description), p("first_seen", ts(first)), p("last_seen", ts(last)),
		p("count", count), p("sighting_of_ref", of), p("where_sighted_refs", where))
}

// ioc is one observable to turn into an indicator: kind is ipv4, ipv6,
// domain, url or file (value is then the file name).
type ioc struct {
	kind, value, name string
}

// indicator adds the observable of i, an indicator with a STIX pattern that
// matches it, and an "indicates" relationship to each target. It returns the
// indicator's and the observable's ids.
func (b *draft) indicator(i ioc, description string, types []string, validFor time.Duration, targets ...string) (ind, obs string) {
	var pattern string
	switch i.kind {
	case "ipv4":
		obs = b.ipv4Addr(i.value)
		pattern = fmt.Sprintf("[ipv4-addr:value = '%s']", i.value)
	case "ipv6":
		obs = b.ipv6Addr(i.value)
		pattern = fmt.Sprintf("[ipv6-addr:value = '%s']", i.value)
	case "domain":
		obs = b.domainName(i.value)
		pattern = fmt.Sprintf("[domain-name:value = '%s']", i.value)
	case "url":
		obs = b.url(i.value)
		pattern = fmt.Sprintf("[url:value = '%s']", i.value)
	case "file":
		obs = b.file(i.value, false)
		pattern = fmt.Sprintf("[file:hashes.'SHA-256' = '%s']", sha256Of(i.value))
	default:
		panic("demo: unknown observable kind " + i.kind)
	}
	return b.pattern(i.name, description, pattern, types, validFor, targets...), obs
}

// pattern adds an indicator with a STIX pattern, valid from when the batch is
// contributed (and for validFor, if not zero), and an "indicates"
// relationship to each target.
func (b *draft) pattern(name, description, pattern string, types []string, validFor time.Duration, targets ...string) string {
	var until string
	if validFor > 0 {
		until = ts(b.when.Add(validFor))
	}
	ind := b.sdo("indicator", b.by+"|"+pattern,
		p("name", name), p("description", description), p("indicator_types", types),
		p("pattern", pattern), p("pattern_type", "stix"), p("pattern_version", "2.1"),
		p("valid_from", ts(b.when)), p("valid_until", until))
	for _, t := range targets {
		b.rel(ind, "indicates", t)
	}
	return ind
}

// identity adds an identity with sectors, the thing the situational picture
// counts by sector.
func (b *draft) identity(name, fullName, class string, sectors []string, description string, extra ...prop) string {
	props := []prop{p("name", fullName), p("description", description), p("identity_class", class), p("sectors", sectors)}
	return b.sdo("identity", name, append(props, extra...)...)
}

// incident adds an incident related to its victim and to whatever else is
// known about it (campaign, malware, vulnerability).
func (b *draft) incident(name, title, description, victim string, related ...string) string {
	id := b.sdo("incident", name, p("name", title), p("description", description))
	b.rel(id, "related-to", victim)
	for _, r := range related {
		b.rel(id, "related-to", r)
	}
	return id
}

// note adds a note by the batch's user.
func (b *draft) note(name, abstract, content string, refs ...string) string {
	return b.sdo("note", name, p("abstract", abstract), p("content", content),
		p("authors", []string{b.users[b.User].DisplayName}), p("object_refs", refs))
}

// opinion adds an opinion by the batch's user.
func (b *draft) opinion(name, opinion, explanation string, refs ...string) string {
	return b.sdo("opinion", name, p("explanation", explanation),
		p("authors", []string{b.users[b.User].DisplayName}), p("opinion", opinion), p("object_refs", refs))
}

// report adds a report published when the batch is contributed.
func (b *draft) report(name, title, description string, types []string, refs ...string) string {
	return b.sdo("report", name, p("name", title), p("description", description),
		p("report_types", types), p("published", ts(b.when)), p("object_refs", refs))
}

func ptr[T any](v T) *T { return &v }

// Durations for indicator validity.
const (
	day   = 24 * time.Hour
	week  = 7 * day
	month = 30 * day
)
