package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/demo"
	"mosaic/release"
	"mosaic/secretfile"
)

// CredentialsFile is where demo writes the demo users' secrets: the one
// place a secret is kept in clear, and only for the demo.
const CredentialsFile = "demo-credentials.json"

// DemoCredential is one demo user's entry in CredentialsFile.
type DemoCredential struct {
	User     string      `json:"user"`
	Org      string      `json:"org"`
	Role     mosaic.Role `json:"role"`
	Token    string      `json:"token"`
	Password string      `json:"password"`
}

// demoTokenLifetime keeps demo tokens working for a year of demos.
const demoTokenLifetime = 365 * 24 * time.Hour

func demoCmd(ctx context.Context, args []string, e env) error {
	c, rest, err := loadConfig("demo", args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	limitMemory(c, e)
	m := &Main{Config: c, Log: newLogger(c, e)}
	defer m.Close()
	if err := m.OpenStore(ctx); err != nil {
		return err
	}
	if err := SeedDemo(ctx, m, e); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Mosaic demo is running at %s/\n", m.URL())
	fmt.Fprintf(e.stdout, "  Web UI:       %s/ (sign in as ncsc-analyst, aivd-analyst, lindeveld-stakeholder ... with the password below)\n", m.URL())
	fmt.Fprintf(e.stdout, "  API:          %s/api/v1 (OpenAPI description at /api/v1/openapi.json)\n", m.URL())
	fmt.Fprintf(e.stdout, "  TAXII 2.1:    %s/taxii2/ (HTTP Basic: user name and API token)\n", m.URL())
	fmt.Fprintf(e.stdout, "  Credentials:  %s (user, org, role, token, password of every demo user)\n", filepath.Join(c.Data, CredentialsFile))
	fmt.Fprintf(e.stdout, "  Try:          export MOSAIC_URL=%s MOSAIC_TOKEN=<token of ncsc-analyst>; mosaic search ransomware\n", m.URL())
	fmt.Fprintln(e.stdout, "Press Ctrl-C to stop.")
	return m.Wait(ctx)
}

// epochFile keeps the time the demo data was made for, so that a seeding
// that was interrupted resumes with the same objects.
const epochFile = "demo-epoch"

// SeedDemo fills the store with the demo organisations, users,
// compartments and data, and writes the credentials file last: a data
// directory with that file is a finished demo and is reused as it is. One
// without it (a first start, an interrupted one, a lost file) is seeded
// again: what exists stays, what is missing is added (the data set is the
// same, made for the time in epochFile, so stored objects come back
// unchanged), and every demo user gets a new password and token.
func SeedDemo(ctx context.Context, m *Main, e env) error {
	path := filepath.Join(m.Config.Data, CredentialsFile)
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(e.stderr, "reusing the demo installation in %s\n", m.Config.Data)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	epoch, err := demoEpoch(m)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stderr, "creating the demo installation ...")
	entry := func(action, detail string) mosaic.AuditEntry {
		return mosaic.AuditEntry{Time: m.Clock.Now(), User: "cli:demo", Action: action, Decision: mosaic.Allowed, Detail: detail}
	}
	// exists lets a resumed seeding pass over what the first one made.
	exists := func(err error) error {
		if mosaic.ErrorCode(err) == mosaic.CodeConflict {
			return nil
		}
		return err
	}
	for _, o := range demo.Organisations() {
		if err := exists(m.Store.CreateOrg(ctx, &o, entry("orgs.create", "org "+o.Name))); err != nil {
			return fmt.Errorf("demo organisation %s: %w", o.Name, err)
		}
	}
	for _, u := range demo.Users() {
		// Every partner's liaison approves its organisation's changes, so
		// that the four-eyes requests can be tried in the demo.
		approver := u.Role == mosaic.Liaison
		mu := mosaic.User{Name: u.Name, Org: u.Org, Role: u.Role, DisplayName: u.DisplayName, Email: u.Email, ContentGrant: u.ContentGrant, Approver: approver}
		if err := exists(m.Store.CreateUser(ctx, &mu, "", entry("users.create", "user "+u.Name))); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Name, err)
		}
	}
	for _, c := range demo.Compartments() {
		mc := mosaic.Compartment{Name: c.Name, Description: c.Description}
		if err := exists(m.Store.CreateCompartment(ctx, &mc, entry("compartments.create", "compartment "+c.Name))); err != nil {
			return err
		}
		for _, o := range c.Orgs {
			if err := exists(m.Store.AddMember(ctx, c.Name, o, "", entry("compartments.add-member", "compartment "+c.Name+" org "+o))); err != nil {
				return err
			}
		}
		for _, u := range c.Users {
			if err := exists(m.Store.AddMember(ctx, c.Name, "", u, entry("compartments.add-member", "compartment "+c.Name+" user "+u))); err != nil {
				return err
			}
		}
	}
	batches := demo.Batches(epoch)
	var total mosaic.IngestResult
	objects := 0
	for i, b := range batches {
		v, err := viewerOf(ctx, m, b.User)
		if err != nil {
			return err
		}
		var p mosaic.EnvelopeDefaults
		if b.Audience != "" {
			a, err := mosaic.ParseAudience(b.Audience)
			if err != nil {
				return fmt.Errorf("demo batch %d: %w", i+1, err)
			}
			p.Audience = &a
		}
		if b.LegalBasis != "" {
			p.LegalBasis = &b.LegalBasis
		}
		p.ORCON = b.ORCON
		res, ids, err := m.Content.Contribute(ctx, v, b.Bundle, p, content.Access{Action: "objects.ingest", Detail: "demo"})
		if err != nil {
			return fmt.Errorf("demo batch %d of %s: %w", i+1, b.User, err)
		}
		objects += len(ids)
		total.New += res.New
		total.NewVersions += res.NewVersions
		total.Unchanged += res.Unchanged
	}
	if err := seedThreatLevels(ctx, m, demo.ThreatLevels(epoch)); err != nil {
		return err
	}
	released, err := seedReleases(ctx, m, demo.Releases(epoch))
	if err != nil {
		return err
	}
	creds, err := demoSecrets(ctx, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "demo data: %d organisations, %d users, %d objects in %d batches (%d records stored now, %d of them new versions; %d were there already), %d releases (%d made now)\n",
		len(demo.Organisations()), len(creds), objects, len(batches), total.New+total.NewVersions, total.NewVersions, total.Unchanged, len(demo.Releases(epoch)), released)
	return writeCredentials(path, creds)
}

// seedThreatLevels sets the demo's threat levels through the content
// service, as the web UI's sector page does. A resumed seeding sets only
// what a sector's history lacks: the settings come in the same order.
func seedThreatLevels(ctx context.Context, m *Main, levels []demo.ThreatLevel) error {
	have := map[string]int{}
	for _, l := range levels {
		v, err := viewerOf(ctx, m, l.User)
		if err != nil {
			return err
		}
		n, ok := have[l.Sector]
		if !ok {
			hist, err := m.Store.ThreatLevels(ctx, v, l.Sector, len(levels))
			if err != nil {
				return err
			}
			n = len(hist)
		}
		if n > 0 {
			have[l.Sector] = n - 1
			continue
		}
		have[l.Sector] = 0
		if err := m.Content.SetThreatLevel(ctx, v, l.Sector, l.Level, l.Reason); err != nil {
			return fmt.Errorf("demo threat level of %s by %s: %w", l.Sector, l.User, err)
		}
	}
	return nil
}

// seedReleases makes the demo's releases through the content service, as
// their users would: drafted, consented to, published, reported on and
// withdrawn. It turns releases on first, with the release key the server
// then signs with. A resumed seeding knows a release by its drafting
// organisation and title, and does only the steps it lacks: it drafts
// nothing twice. It returns how many releases it drafted.
func seedReleases(ctx context.Context, m *Main, rels []demo.Release) (int, error) {
	if !m.Content.ReleasesOn() {
		keys, err := m.openReleaseKeys()
		if err != nil {
			return 0, err
		}
		if keys == nil {
			return 0, nil // PostgreSQL without a release key: no releases
		}
		if err := m.enableReleases(ctx, keys); err != nil {
			return 0, err
		}
	}
	access := func(action string) content.Access { return content.Access{Action: action, Detail: "demo"} }
	made := 0
	for _, dr := range rels {
		fail := func(step string, err error) error {
			var probs []mosaic.Problem
			if me, ok := err.(*mosaic.Error); ok {
				probs = me.Problems
			}
			return fmt.Errorf("demo release %q, %s: %w %+v", dr.Title, step, err, probs)
		}
		drafter, err := viewerOf(ctx, m, dr.Drafter)
		if err != nil {
			return made, err
		}
		r, found, err := demoRelease(ctx, m, drafter, dr.Title)
		if err != nil {
			return made, fail("look-up", err)
		}
		if !found {
			d := content.Draft{Title: dr.Title, Advice: dr.Advice, AdviceNL: dr.AdviceNL, Recipients: dr.Recipients, Deadline: dr.Deadline}
			for _, o := range dr.Objects {
				d.Objects = append(d.Objects, content.Pin{ID: o.ID, Modified: o.Modified, Originator: o.Originator})
			}
			if r, err = m.Content.DraftRelease(ctx, drafter, d, access("releases.draft")); err != nil {
				return made, fail("draft", err)
			}
			made++
		}
		for _, c := range dr.Consents {
			v, err := viewerOf(ctx, m, c.User)
			if err != nil {
				return made, err
			}
			if r.State != mosaic.ReleaseAwaitingConsent || !consentPending(r, v.Org) {
				continue
			}
			dc := content.Consent{Revision: r.Revision, Decision: c.Decision, Reason: c.Reason, Attribute: c.Attribute}
			for id, s := range c.Sanitise {
				if dc.Sanitise == nil {
					dc.Sanitise = map[string]content.ObjectSanitisation{}
				}
				san := content.ObjectSanitisation{TLP: s.TLP}
				san.Remove, san.Rewrite = s.Remove, s.Rewrite
				for _, g := range s.Generalise {
					san.Generalise = append(san.Generalise, release.Generalisation(g))
				}
				dc.Sanitise[id] = san
			}
			if _, err := m.Content.Consent(ctx, v, r.ID, dc, access("releases.consent")); err != nil {
				return made, fail("consent of "+c.User, err)
			}
			if r, _, err = demoRelease(ctx, m, drafter, dr.Title); err != nil {
				return made, fail("look-up", err)
			}
		}
		if !dr.Publish {
			continue
		}
		if r.State == mosaic.ReleaseReady {
			if r, err = m.Content.Publish(ctx, drafter, r.ID, r.Revision, access("releases.publish")); err != nil {
				return made, fail("publish", err)
			}
		}
		if err := seedFeedback(ctx, m, drafter, r.ID, dr); err != nil {
			return made, fail("feedback", err)
		}
		if dr.Withdraw != "" && r.State == mosaic.ReleasePublished {
			if _, err := m.Content.Withdraw(ctx, drafter, r.ID, dr.Withdraw, access("releases.withdraw")); err != nil {
				return made, fail("withdraw", err)
			}
		}
	}
	return made, nil
}

// demoRelease finds the release of v's organisation titled title, as its
// drafters see it.
func demoRelease(ctx context.Context, m *Main, v mosaic.Viewer, title string) (mosaic.Release, bool, error) {
	list, err := m.Content.ReleaseList(ctx, v, mosaic.ReleaseFilter{Limit: 1000}, content.Access{Action: "releases.list", Detail: "demo"})
	if err != nil {
		return mosaic.Release{}, false, err
	}
	for _, s := range list {
		if s.Title != title {
			continue
		}
		rv, err := m.Content.Release(ctx, v, s.ID, content.Access{Action: "releases.read", Detail: "demo"})
		if err != nil {
			return mosaic.Release{}, false, err
		}
		if rv.Release != nil && rv.Release.DrafterOrg == v.Org {
			return *rv.Release, true, nil
		}
	}
	return mosaic.Release{}, false, nil
}

func consentPending(r mosaic.Release, org string) bool {
	for _, c := range r.Consents {
		if c.Org == org {
			return c.State == mosaic.ConsentPending
		}
	}
	return false
}

// seedFeedback reports the receipts and sightings of dr on the published
// release id that are not there yet.
func seedFeedback(ctx context.Context, m *Main, drafter mosaic.Viewer, id string, dr demo.Release) error {
	if len(dr.Receipts) == 0 && len(dr.Sightings) == 0 {
		return nil
	}
	fb, err := m.Content.Feedback(ctx, drafter, id, content.Access{Action: "releases.feedback", Detail: "demo"})
	if err != nil {
		return err
	}
	receipted, sighted := map[string]bool{}, map[string]bool{}
	for _, r := range fb.Receipts {
		receipted[r.User+"|"+string(r.Status)+"|"+r.Comment] = true
	}
	for _, s := range fb.Sightings {
		var h struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(s.Sighting, &h) == nil {
			sighted[h.ID] = true
		}
	}
	for _, rc := range dr.Receipts {
		if receipted[rc.User+"|"+string(rc.Status)+"|"+rc.Comment] {
			continue
		}
		v, err := viewerOf(ctx, m, rc.User)
		if err != nil {
			return err
		}
		if err := m.Content.Receipt(ctx, v, id, rc.Status, rc.Comment, content.Access{Action: "releases.receipt", Detail: "demo"}); err != nil {
			return err
		}
	}
	if len(dr.Sightings) == 0 {
		return nil
	}
	// The recipient knows a released object by its released id; the
	// drafters' record maps it to the data set's.
	raw, err := m.Content.ReleaseRecord(ctx, drafter, id, content.Access{Action: "releases.record", Detail: "demo"})
	if err != nil {
		return err
	}
	var rec content.Record
	if err := json.Unmarshal(raw, &rec); err != nil {
		return err
	}
	released := map[string]string{}
	for _, s := range rec.Sources {
		released[s.Source] = s.Released
	}
	for _, s := range dr.Sightings {
		to, ok := released[s.Of]
		if !ok {
			return fmt.Errorf("%s is not released", s.Of)
		}
		bundle := s.Bundle(id, to, m.Clock.Now())
		if sighted[demo.SightingID(id, s)] {
			continue
		}
		v, err := viewerOf(ctx, m, s.User)
		if err != nil {
			return err
		}
		if _, err := m.Content.ReportSightings(ctx, v, id, bundle, content.Access{Action: "releases.sightings", Detail: "demo"}); err != nil {
			return err
		}
	}
	return nil
}

// demoEpoch returns the time the demo data is made for: the one kept in
// epochFile, or now, which it then keeps.
func demoEpoch(m *Main) (time.Time, error) {
	path := filepath.Join(m.Config.Data, epochFile)
	if b, err := os.ReadFile(path); err == nil {
		return time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
	}
	now := m.Clock.Now().UTC().Truncate(time.Second)
	if err := os.MkdirAll(m.Config.Data, 0o700); err != nil {
		return time.Time{}, err
	}
	return now, os.WriteFile(path, []byte(now.Format(time.RFC3339)+"\n"), 0o600)
}

// viewerOf acts as a demo user without a token.
func viewerOf(ctx context.Context, m *Main, name string) (mosaic.Viewer, error) {
	u, err := m.Store.User(ctx, name)
	if err != nil {
		return mosaic.Viewer{}, err
	}
	o, err := m.Store.Org(ctx, u.Org)
	if err != nil {
		return mosaic.Viewer{}, err
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role, ContentGrant: u.ContentGrant}, nil
}

// demoSecrets gives every demo user a new password and token.
func demoSecrets(ctx context.Context, m *Main) ([]DemoCredential, error) {
	users := demo.Users()
	creds := make([]DemoCredential, len(users))
	hashes := make([]string, len(users))
	// argon2id is slow on purpose; two at a time on two cores.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, u := range users {
		creds[i] = DemoCredential{User: u.Name, Org: u.Org, Role: u.Role, Password: credential.NewPassword()}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			hashes[i] = credential.HashPassword(creds[i].Password)
			<-sem
		}()
	}
	wg.Wait()
	for i, u := range users {
		a := mosaic.AuditEntry{Time: m.Clock.Now(), User: "cli:demo", Action: "users.password", Decision: mosaic.Allowed, Detail: "user " + u.Name}
		if err := m.Store.SetPassword(ctx, u.Name, hashes[i], a); err != nil {
			return nil, err
		}
		secret, hash := credential.NewToken()
		a.Action = "tokens.create"
		if _, err := m.Store.CreateToken(ctx, u.Name, hash, "demo", m.Clock.Now().Add(demoTokenLifetime), false, a); err != nil {
			return nil, err
		}
		creds[i].Token = secret
	}
	return creds, nil
}

// writeCredentials writes the file with mode 0600, atomically
// (package secretfile).
func writeCredentials(path string, creds []DemoCredential) error {
	b, err := json.MarshalIndent(creds, "", "  ")
	if err != nil {
		return err
	}
	return secretfile.Write(path, append(b, '\n'))
}
