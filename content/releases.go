package content

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mosaic"
	"mosaic/policy"
	"mosaic/release"
	"mosaic/stix"
)

// ReleaseStore is what the release workflow needs of the store beyond
// content: the releases, and the directory to check recipients against.
type ReleaseStore interface {
	mosaic.Releases
	User(ctx context.Context, name string) (mosaic.User, error)
	// PublishedObjects returns the objects a published release of the
	// drafting organisation sc.DraftOrg holds. CodeNotFound.
	PublishedObjects(ctx context.Context, sc mosaic.ReleaseScope, id string) ([]mosaic.ReleasedObject, error)
	// ReleaseOrigin returns the drafting organisation and state of a
	// published or withdrawn release, for the policy to decide who reads
	// its feedback. CodeNotFound otherwise.
	ReleaseOrigin(ctx context.Context, id string) (string, mosaic.ReleaseState, error)
	// SetAway and Liaisons keep the liaisons' away marks, which say when
	// a deputy decides (policy.MayConsent).
	SetAway(ctx context.Context, user string, until time.Time, a mosaic.AuditEntry) error
	Liaisons(ctx context.Context, org string) ([]mosaic.LiaisonAway, error)
}

// ReleaseConfig configures releases.
type ReleaseConfig struct {
	Keys *release.Keys
	// CellName is the name of the cell's own STIX identity, the creator
	// of everything it releases.
	CellName string
	// FeedbackReaders are the organisations besides the drafter's that
	// read recipients' feedback on every release (by default the NCSC);
	// FeedbackReadersFor names, for a stakeholder organisation, the
	// organisations that read its feedback in their place.
	FeedbackReaders    []string
	FeedbackReadersFor map[string][]string
	// Log takes what is not worth failing a request for, such as a first
	// read of a release that could not be noted; nil is slog's default.
	Log *slog.Logger
	// Deputies are the users the operator named to decide an
	// organisation's consents while its liaisons are away.
	Deputies policy.ConsentDeputies
}

// The limits of a release, so that one draft cannot hold up the store or
// the liaisons who read it.
const (
	MaxReleaseObjects   = 10000
	MaxReleaseSources   = 1000
	MaxReleaseTitle     = 300
	MaxReleaseAdvice    = 20000
	MaxReleaseReason    = 2000
	MaxReleaseRecipient = 1000
	MaxSightingsPerPost = 1000
)

// The bounds of a consent deadline: a liaison needs time to read a
// request, and a deadline months away asks nothing.
const (
	MinConsentDeadline = time.Hour
	MaxConsentDeadline = 90 * 24 * time.Hour
)

// EnableReleases turns the release workflow on. Without it every release
// method answers that this server makes no releases.
func (s *Service) EnableReleases(rs ReleaseStore, cfg ReleaseConfig) {
	if cfg.CellName == "" {
		cfg.CellName = "Mosaic cell"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s.releases, s.releaseCfg = rs, cfg
}

// ReleaseKeys returns the release signing keys' public halves, or nil
// when releases are off.
func (s *Service) ReleaseKeys() []release.PublicKey {
	if s.releases == nil {
		return nil
	}
	return s.releaseCfg.Keys.PublicKeys()
}

// ReleasesOn reports whether this server makes releases.
func (s *Service) ReleasesOn() bool { return s.releases != nil }

func (s *Service) releasesOn() error {
	if s.releases == nil {
		return mosaic.Errorf(mosaic.CodeNotFound, "this server makes no releases")
	}
	return nil
}

// Pin names the contributions of one object a release holds: the
// version modified (absent for an SCO), of one originator or, without
// one, of every originator whose version the drafter can see.
type Pin struct {
	ID         string `json:"id"`
	Modified   string `json:"modified,omitempty"`
	Originator string `json:"originator,omitempty"`
}

// String writes p as ParsePin reads it.
func (p Pin) String() string {
	s := p.ID
	if p.Modified != "" {
		s += "@" + p.Modified
	}
	if p.Originator != "" {
		s += "#" + p.Originator
	}
	return s
}

// ParsePin reads a pin written ID[@MODIFIED][#ORIGINATOR], as the CLI and
// the web UI's forms carry it.
func ParsePin(v string) (Pin, error) {
	rest, originator, _ := strings.Cut(v, "#")
	id, modified, _ := strings.Cut(rest, "@")
	if id == "" {
		return Pin{}, mosaic.Errorf(mosaic.CodeInvalid, "%q: want ID[@MODIFIED][#ORIGINATOR]", v)
	}
	return Pin{ID: id, Modified: modified, Originator: originator}, nil
}

// Draft is what a drafter writes: a new release, or the next revision
// of one (Revision then names the current one).
type Draft struct {
	Revision   int      `json:"revision,omitempty"`
	Title      string   `json:"title"`
	Advice     string   `json:"advice"`
	AdviceNL   string   `json:"advice_nl,omitempty"` // the advice in Dutch, if it is written in both
	Recipients []string `json:"recipients"`
	Objects    []Pin    `json:"objects"`
	Sources    []Pin    `json:"sources,omitempty"`
	// Dangling says what becomes of a reference to an object the
	// release does not hold: "refuse" (the default) or "drop".
	Dangling string `json:"dangling,omitempty"`
	// Hold keeps the draft to its drafters: nobody is asked yet.
	Hold       bool   `json:"hold,omitempty"`
	Supersedes string `json:"supersedes,omitempty"`
	// Deadline is when the consents are needed by: within
	// MaxConsentDeadline of now, and no sooner than MinConsentDeadline.
	Deadline time.Time `json:"deadline,omitzero"`
}

// DraftRelease makes a new release from d for v and asks for the
// consents it needs (unless d.Hold). Only contributions v can see count,
// for the content and for the consents. A broken dissemination rule is
// CodeInvalid with a problem per object and recipient.
func (s *Service) DraftRelease(ctx context.Context, v mosaic.Viewer, d Draft, a Access) (mosaic.Release, error) {
	r, err := s.drafted(ctx, v, d, a)
	if err != nil {
		return r, s.Refuse(v, a, err)
	}
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	// The title stays out of the audit log, which auditors read: it
	// may paraphrase what only the drafters and those asked may see.
	e.Detail = a.detail("")
	if err := s.releases.CreateRelease(ctx, &r, e); err != nil {
		return r, err
	}
	return r, nil
}

// ReviseRelease makes d the next revision of release id: every consent
// given is void, and the organisations the new revision needs are asked.
func (s *Service) ReviseRelease(ctx context.Context, v mosaic.Viewer, id string, d Draft, a Access) (mosaic.Release, error) {
	if d.Revision < 1 {
		return mosaic.Release{}, s.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "revision names the release's current revision, 1 or more"))
	}
	// What a release supersedes is fixed when it is drafted; each
	// revision is checked against it, since its recipients learn of it.
	if cur, complete, err := s.cellView(ctx, v, id); err == nil && cur.DrafterOrg == v.Org {
		// A revision replaces every item: one who does not see them
		// all would drop what they cannot see, and the consents given.
		if err := mayManage(v, cur, complete); err != nil {
			return mosaic.Release{}, s.Refuse(v, a, err)
		}
		switch {
		case d.Supersedes == "":
			d.Supersedes = cur.Supersedes
		case d.Supersedes != cur.Supersedes:
			return mosaic.Release{}, s.Refuse(v, a, mosaic.Errorf(mosaic.CodeInvalid, "supersedes: a revision keeps what its release supersedes (%q); draft a new release instead", cur.Supersedes))
		}
	}
	r, err := s.drafted(ctx, v, d, a)
	if err != nil {
		return r, s.Refuse(v, a, err)
	}
	r.ID, r.Revision = id, d.Revision
	e := mosaic.NewAuditEntry(v, s.clock.Now(), a.Action)
	e.ObjectIDs, e.Detail = []string{id}, a.detail(fmt.Sprintf("revision %d", d.Revision+1))
	if err := s.releases.ReviseRelease(ctx, policy.ReleaseScopeOf(v), &r, e); err != nil {
		return r, err
	}
	r, _, err = s.cellView(ctx, v, id)
	return r, err
}

// drafted checks d and makes the release it describes, not yet stored.
func (s *Service) drafted(ctx context.Context, v mosaic.Viewer, d Draft, a Access) (mosaic.Release, error) {
	var r mosaic.Release
	if err := s.releasesOn(); err != nil {
		return r, err
	}
	if err := policy.MayDraftRelease(v); err != nil {
		return r, err
	}
	d.Advice, d.AdviceNL = lines(d.Advice), lines(d.AdviceNL)
	if err := checkDraftText(d); err != nil {
		return r, err
	}
	if !d.Deadline.IsZero() {
		now := s.clock.Now()
		if d.Deadline.Before(now.Add(MinConsentDeadline)) || d.Deadline.After(now.Add(MaxConsentDeadline)) {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "deadline %s: the consents are asked for between %s and %d days from now", d.Deadline.UTC().Format(time.RFC3339), MinConsentDeadline, MaxConsentDeadline/(24*time.Hour))
		}
		d.Deadline = d.Deadline.UTC().Truncate(time.Second)
	}
	switch d.Dangling {
	case "":
		d.Dangling = mosaic.DanglingRefuse
	case mosaic.DanglingRefuse, mosaic.DanglingDrop:
	default:
		return r, mosaic.Errorf(mosaic.CodeInvalid, "dangling is %q: it is %q or %q", d.Dangling, mosaic.DanglingRefuse, mosaic.DanglingDrop)
	}
	if len(d.Objects) > MaxReleaseObjects {
		return r, mosaic.Errorf(mosaic.CodeTooLarge, "a release holds at most %d objects, not %d", MaxReleaseObjects, len(d.Objects))
	}
	if len(d.Sources) > MaxReleaseSources {
		return r, mosaic.Errorf(mosaic.CodeTooLarge, "a release relies on at most %d sources, not %d", MaxReleaseSources, len(d.Sources))
	}
	if len(d.Recipients) > MaxReleaseRecipient {
		return r, mosaic.Errorf(mosaic.CodeTooLarge, "a release has at most %d recipients, not %d", MaxReleaseRecipient, len(d.Recipients))
	}
	recipients, err := s.checkRecipients(ctx, d.Recipients)
	if err != nil {
		return r, err
	}
	objects, err := s.pinned(ctx, v, d.Objects, mosaic.ItemObject)
	if err != nil {
		return r, err
	}
	sources, err := s.pinned(ctx, v, d.Sources, mosaic.ItemSource)
	if err != nil {
		return r, err
	}
	items := append(objects, sources...)
	released := releasedLevels(items, nil)
	if probs := policy.ReleaseProblems(released, recipients); len(probs) > 0 {
		return r, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the release breaks the dissemination rules", Problems: probs}
	}
	if d.Dangling == mosaic.DanglingRefuse {
		if probs := dangling(items); len(probs) > 0 {
			return r, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "the release holds references to objects it does not hold; add them, or draft with \"dangling\": \"drop\"", Problems: probs}
		}
	}
	if d.Supersedes != "" {
		old, err := s.releases.Release(ctx, policy.ReleaseScopeOf(v), d.Supersedes)
		// A release discarded before it was published reached nobody:
		// superseding it would tell its recipients of it.
		if err != nil || old.DrafterOrg != v.Org || old.Published.IsZero() {
			return r, mosaic.Errorf(mosaic.CodeInvalid, "supersedes: %s is no published release of %s", d.Supersedes, v.Org)
		}
		// Every recipient's snapshot names the release it supersedes:
		// one that did not get that release must not learn of it.
		for _, rc := range d.Recipients {
			if !slices.Contains(old.Recipients, rc) {
				return r, mosaic.Errorf(mosaic.CodeInvalid, "supersedes: %s did not receive %s, and would learn of it; a release supersedes one that went to each of its recipients", rc, d.Supersedes)
			}
		}
	}
	state := mosaic.ReleaseAwaitingConsent
	if d.Hold {
		state = mosaic.ReleaseDraft
	}
	r = mosaic.Release{
		Title: d.Title, Advice: d.Advice, AdviceNL: d.AdviceNL, Recipients: d.Recipients, Dangling: d.Dangling,
		State: state, TLP: policy.ReleaseTLP(released), Drafter: v.User, DrafterOrg: v.Org,
		Supersedes: d.Supersedes, Deadline: d.Deadline, Items: items,
	}
	for _, org := range policy.ConsentsNeeded(v.Org, items) {
		r.Consents = append(r.Consents, mosaic.ReleaseConsent{Org: org, State: mosaic.ConsentPending})
	}
	return r, nil
}

func checkDraftText(d Draft) error {
	if err := CheckText("title", d.Title, false); err != nil {
		return err
	}
	if err := CheckText("advice", d.Advice, true); err != nil {
		return err
	}
	if err := CheckText("advice_nl", d.AdviceNL, true); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(d.Title) == "":
		return mosaic.Errorf(mosaic.CodeInvalid, "a release needs a title")
	case utf8.RuneCountInString(d.Title) > MaxReleaseTitle:
		return mosaic.Errorf(mosaic.CodeTooLarge, "a release's title has at most %d characters", MaxReleaseTitle)
	case strings.TrimSpace(d.Advice) == "":
		return mosaic.Errorf(mosaic.CodeInvalid, "a release needs its advice: what the recipients should do")
	case utf8.RuneCountInString(d.Advice) > MaxReleaseAdvice, utf8.RuneCountInString(d.AdviceNL) > MaxReleaseAdvice:
		return mosaic.Errorf(mosaic.CodeTooLarge, "a release's advice has at most %d characters in each language", MaxReleaseAdvice)
	}
	return nil
}

// CheckText checks text a release carries to its recipients (and, for a
// public release, to anyone): valid UTF-8, without control characters
// (but for line breaks and tabs where lines are allowed) and without the
// bidirectional overrides and isolates that make text read otherwise
// than it is stored, which escaping for HTML does not undo.
func CheckText(what, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return mosaic.Errorf(mosaic.CodeInvalid, "%s must be UTF-8", what)
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t'):
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return mosaic.Errorf(mosaic.CodeInvalid, "%s holds the control character U+%04X", what, r)
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return mosaic.Errorf(mosaic.CodeInvalid, "%s holds the bidirectional control U+%04X, which makes text read otherwise than it is stored", what, r)
		}
	}
	return nil
}

// lines ends every line of s with a line feed: a carriage return would
// let text overwrite what a terminal showed before it.
func lines(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// checkRecipients parses the recipients and checks that each names an
// organisation, user or sector that may receive releases.
func (s *Service) checkRecipients(ctx context.Context, names []string) ([]mosaic.Recipient, error) {
	var rs []mosaic.Recipient
	var probs []mosaic.Problem
	for _, n := range names {
		r, err := mosaic.ParseRecipient(n)
		if err != nil {
			probs = append(probs, mosaic.Problem{Object: n, Reason: mosaic.ErrorMessage(err)})
			continue
		}
		rs = append(rs, r)
	}
	if len(probs) > 0 {
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "recipients", Problems: probs}
	}
	if err := policy.ReleaseRecipients(rs); err != nil {
		return nil, err
	}
	var orgs []mosaic.Organisation
	for _, r := range rs {
		if r.Kind == mosaic.RecipientSector && orgs == nil {
			var err error
			if orgs, err = s.store.Orgs(ctx); err != nil {
				return nil, err
			}
		}
		switch r.Kind {
		case mosaic.RecipientOrg:
			o, err := s.store.Org(ctx, r.Name)
			if err != nil || !policy.MayReceiveReleases(o.Kind) {
				probs = append(probs, mosaic.Problem{Object: r.String(), Reason: "no stakeholder or partner organisation of that name"})
			}
		case mosaic.RecipientUser:
			u, err := s.releases.User(ctx, r.Name)
			var o mosaic.Organisation
			if err == nil {
				o, err = s.store.Org(ctx, u.Org)
			}
			if err != nil || u.Disabled || !policy.MayReceiveReleases(o.Kind) || policy.ReleaseScopeOf(mosaic.Viewer{User: u.Name, Org: o.Name, OrgKind: o.Kind, Role: u.Role}).User == "" {
				probs = append(probs, mosaic.Problem{Object: r.String(), Reason: "no user of that name who may receive releases"})
			}
		case mosaic.RecipientSector:
			if !slices.ContainsFunc(orgs, func(o mosaic.Organisation) bool {
				return o.Kind == mosaic.Stakeholder && slices.Contains(o.Sectors, r.Name)
			}) {
				probs = append(probs, mosaic.Problem{Object: r.String(), Reason: "no stakeholder organisation is in that sector"})
			}
		}
	}
	if len(probs) > 0 {
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: "recipients", Problems: probs}
	}
	return rs, nil
}

// pinned reads the contributions pins name, as v sees them.
func (s *Service) pinned(ctx context.Context, v mosaic.Viewer, pins []Pin, role string) ([]mosaic.ReleaseItem, error) {
	if len(pins) == 0 {
		return nil, nil
	}
	var probs []mosaic.Problem
	want := map[string][]Pin{}
	var idList []string
	for _, p := range pins {
		if err := CheckID(p.ID); err != nil {
			probs = append(probs, mosaic.Problem{Object: p.ID, Reason: mosaic.ErrorMessage(err)})
			continue
		}
		typ, _, _ := strings.Cut(p.ID, "--")
		switch {
		case stix.IsSCOType(typ) && p.Modified != "":
			probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "an observable has no versions: leave out modified"})
			continue
		case !stix.IsSCOType(typ) && p.Modified == "":
			probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "name the version: modified is needed"})
			continue
		}
		if p.Modified != "" {
			k, err := stix.TimeKey(p.Modified)
			if err != nil {
				probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "modified: " + mosaic.ErrorMessage(err)})
				continue
			}
			p.Modified = k
		}
		key := strings.ToLower(p.ID)
		for _, q := range want[key] {
			if q.Originator == "" || p.Originator == "" || q.Originator == p.Originator {
				probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "named twice"})
			}
		}
		if want[key] == nil {
			idList = append(idList, p.ID)
		}
		want[key] = append(want[key], p)
	}
	if len(probs) > 0 {
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: role + "s", Problems: probs}
	}
	found := map[string][]mosaic.StoredObject{}
	if err := s.eachVersion(ctx, v, idList, func(o mosaic.StoredObject) {
		k := strings.ToLower(stix.ReadHead(o.Object).ID)
		found[k] = append(found[k], o)
	}); err != nil {
		return nil, err
	}
	var items []mosaic.ReleaseItem
	for _, id := range idList {
		key := strings.ToLower(id)
		for _, p := range want[key] {
			var matched []mosaic.ReleaseItem
			for _, o := range found[key] {
				h := stix.ReadHead(o.Object)
				mk := ""
				if h.Modified != "" {
					mk, _ = stix.TimeKey(h.Modified)
				} else if !stix.IsSCOType(h.Type) {
					mk, _ = stix.TimeKey(h.Created)
				}
				if mk != p.Modified || (p.Originator != "" && o.Envelope.Originator != p.Originator) {
					continue
				}
				matched = append(matched, mosaic.ReleaseItem{
					Role: role, ID: h.ID, Type: h.Type, Modified: h.Modified, Originator: o.Envelope.Originator,
					TLP: o.Envelope.TLP, ORCON: o.Envelope.ORCON, LegalBasis: o.Envelope.LegalBasis, Object: o.Object,
				})
			}
			if len(matched) == 0 {
				// The same words whether the record is missing or hidden.
				probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "no such version that you can see"})
				continue
			}
			if role == mosaic.ItemObject {
				for _, m := range matched[1:] {
					if string(m.Object) != string(matched[0].Object) {
						probs = append(probs, mosaic.Problem{Object: p.ID, Reason: "originators " + matched[0].Originator + " and " + m.Originator + " hold this version with different content: name the originator"})
						break
					}
				}
			}
			items = append(items, matched...)
		}
	}
	if len(probs) > 0 {
		return nil, &mosaic.Error{Code: mosaic.CodeInvalid, Message: role + "s", Problems: probs}
	}
	return items, nil
}

// eachVersion calls fn with every version of the objects ids that v can
// see, 200 ids to a query and a page at a time: a release pins up to
// 10,000 objects.
func (s *Service) eachVersion(ctx context.Context, v mosaic.Viewer, ids []string, fn func(mosaic.StoredObject)) error {
	for chunk := range slices.Chunk(ids, 200) {
		f := mosaic.ObjectFilter{IDs: chunk, Versions: []string{mosaic.VersionAll}, Limit: 1000}
		for {
			page, err := s.store.Objects(ctx, v, f)
			if err != nil {
				return err
			}
			for _, o := range page.Objects {
				fn(o)
			}
			if page.Next == 0 {
				break
			}
			f.Before = page.Next
		}
	}
	return nil
}

// releasedLevels returns each object and source of a release once, at
// the most restrictive level any of its contributions holds it at, or as
// its originators chose in their consents (levels[id][org]): a level is
// lowered only when every originator of it lowered it. A source counts
// as an object does: the advice paraphrases it, and carries it as far as
// the release goes.
func releasedLevels(items []mosaic.ReleaseItem, levels map[string]map[string]mosaic.TLP) []policy.Released {
	at := map[string]int{}
	var out []policy.Released
	for _, it := range items {
		t := it.TLP
		if l, ok := levels[it.ID][it.Originator]; ok {
			t = l
		}
		i, ok := at[it.ID]
		if !ok {
			at[it.ID] = len(out)
			out = append(out, policy.Released{ID: it.ID, TLP: t})
			continue
		}
		if t.Rank() < 0 || t.Rank() > out[i].TLP.Rank() {
			out[i].TLP = t
		}
	}
	return out
}

// refsOf returns the references an object holds to other objects, but
// for its creator and markings, which a release replaces.
func refsOf(m map[string]any) []string {
	var out []string
	for k, v := range m {
		if k == "created_by_ref" || k == "object_marking_refs" {
			continue
		}
		switch {
		case strings.HasSuffix(k, "_ref"):
			if r, ok := v.(string); ok {
				out = append(out, r)
			}
		case strings.HasSuffix(k, "_refs"):
			if rs, ok := v.([]any); ok {
				for _, x := range rs {
					if r, ok := x.(string); ok {
						out = append(out, r)
					}
				}
			}
		}
	}
	return out
}

// dangling names every reference of a released object to an object the
// release does not hold.
func dangling(items []mosaic.ReleaseItem) []mosaic.Problem {
	held := map[string]bool{}
	for _, it := range items {
		if it.Role == mosaic.ItemObject {
			held[strings.ToLower(it.ID)] = true
		}
	}
	var probs []mosaic.Problem
	seen := map[string]bool{}
	for _, it := range items {
		if it.Role != mosaic.ItemObject || seen[it.ID] {
			continue
		}
		seen[it.ID] = true
		var m map[string]any
		if json.Unmarshal(it.Object, &m) != nil {
			continue
		}
		var missing []string
		for _, r := range refsOf(m) {
			if !held[strings.ToLower(r)] {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			probs = append(probs, mosaic.Problem{Object: it.ID, Reason: "refers to " + strings.Join(slices.Compact(missing), ", ") + ", which the release does not hold"})
		}
	}
	return probs
}
