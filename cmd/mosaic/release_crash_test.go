package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sqlitedriver "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/credential"
	"mosaic/postgres"
	"mosaic/postgres/pgtest"
	"mosaic/release"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
	"mosaic/taxii"
)

// The shape of TestReleaseCrash.
const (
	crashIndicators   = 3000 // alice's (pa), ORCON, shared with the cell
	crashPBIndicators = 100  // bob's (pb), ORCON too: pb's liaison is asked
	crashStakeholders = 200  // stakeholder organisations, each a recipient
	crashRounds       = 10   // kills, each during the publish of a fresh ready release
	crashTAXIIOrgs    = 3    // recipients whose TAXII collection a check reads in full
	crashSnapshots    = 4    // recipients whose snapshot a check downloads and verifies
)

// TestReleaseCrash kills a real server process with SIGKILL while it
// publishes a release of thousands of ORCON indicators to hundreds of
// stakeholder organisations, on SQLite and (with MOSAIC_TEST_POSTGRES)
// PostgreSQL. Each round publishes a fresh ready release and kills the
// server at a random moment: just after sending the publish, while the
// publication is made, while the store's transaction is open or just
// after it closed (as a probe of the database sees it), or after the
// answer. The store is then read as the kill left it, the server down,
// and through the API and TAXII once restarted: the release is either
// ready with nothing of a publication anywhere (no recipient lists or
// downloads it, no collection holds it, no record, no audit entry of the
// publish), and publishing it again succeeds, or published whole (a seal
// for every recipient over the snapshot it is served, verifying with the
// published keys; every object in the bundle and in the collections; the
// cell-side record bound to the release's digest; one audit entry of the
// publish). Never anything in between.
func TestReleaseCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a server, publishes to hundreds of organisations and kills it")
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skipf("%s has no SIGKILL to kill the server process with", runtime.GOOS)
	}
	for _, store := range []string{"sqlite", "postgres"} {
		t.Run(store, func(t *testing.T) {
			dsn := ""
			if store == "postgres" {
				dsn = pgtest.DSN(t)
			}
			testReleaseCrash(t, dsn)
		})
	}
}

// publishCrash is one run of TestReleaseCrash: the server process of the
// moment and everyone's tokens.
type publishCrash struct {
	t      *testing.T
	bin    string
	dir    string
	dsn    string
	flags  []string
	cmd    *exec.Cmd
	base   string
	client *http.Client
	tokens map[string]string
	keys   []release.PublicKey
	// users are the stakeholder users, users[i] of orgs[i], each org
	// named as recipients[i].
	users, orgs, recipients []string
	audited                 int64    // the audit log read up to this seq
	probed                  []string // released ids of three indicators, as every release releases them
}

// crashOutcome is what one round ended in.
type crashOutcome struct {
	aimed    string        // the zone the kill was aimed at
	landed   string        // the zone it landed in, as far as the test can tell
	delay    time.Duration // from sending the publish to the kill
	answered bool          // the publish was answered 200 before the kill
	state    mosaic.ReleaseState
}

func testReleaseCrash(t *testing.T, dsn string) {
	began := time.Now()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	c := &publishCrash{t: t, bin: bin, dir: t.TempDir(), dsn: dsn, tokens: map[string]string{},
		client: &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	if dsn != "" {
		c.flags = []string{"--db", dsn, "--release-key", filepath.Join(t.TempDir(), "release.key")}
	}
	t.Cleanup(func() {
		if c.cmd != nil && c.cmd.ProcessState == nil {
			c.cmd.Process.Kill()
			c.cmd.Wait()
		}
	})
	c.seedDirectory()
	c.start()
	var ks api.ReleaseKeys
	c.mustJSON("", "GET", "/api/v1/releases/keys", nil, 200, &ks)
	c.keys = ks.Keys

	// The contributions, ORCON and shared with the cell.
	c.importIndicators("alice", 1, 1, crashIndicators)
	c.importIndicators("bob", 2, 100_001, crashPBIndicators)
	pins := make([]content.Pin, 0, crashIndicators+crashPBIndicators)
	for n := 1; n <= crashIndicators; n++ {
		pins = append(pins, content.Pin{ID: crashIndicatorID(n), Modified: crashModified})
	}
	for n := 100_001; n < 100_001+crashPBIndicators; n++ {
		pins = append(pins, content.Pin{ID: crashIndicatorID(n), Modified: crashModified, Originator: "pb"})
	}
	// A release to publish undisturbed, timing the publish; each round
	// drafts its own.
	ids := make([]string, crashRounds+1)
	ids[0] = c.readyRelease(0, pins)
	c.auditCursor()
	t.Logf("seeded in %v: %d stakeholder organisations, %d+%d indicators, a ready release",
		time.Since(began).Round(time.Millisecond), crashStakeholders, crashIndicators, crashPBIndicators)

	c.settle()
	from := time.Now().Add(-5 * time.Millisecond)
	took, tx, spans := c.timePublish(ids[0])
	t1 := time.Now()
	c.checkPublished(ids[0], from)
	t.Logf("an undisturbed publish takes %v, its transaction open from %v to %v (writes seen: %v); checking it took %v",
		took.Round(time.Millisecond), tx[0].Round(time.Millisecond), tx[1].Round(time.Millisecond), spans, time.Since(t1).Round(time.Millisecond))

	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 17))
	t.Logf("delays drawn with seed %d", seed)
	between := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(rng.Float64()*float64(hi-lo)) }
	var outcomes []crashOutcome
	for round := 1; round <= crashRounds; round++ {
		roundBegan := time.Now()
		ids[round] = c.readyRelease(round, pins)
		o := crashOutcome{aimed: crashZones[(round-1)%len(crashZones)]}
		var aim func(sent time.Time, answered <-chan struct{})
		sleepUntil := func(d time.Duration) func(time.Time, <-chan struct{}) {
			return func(sent time.Time, _ <-chan struct{}) { time.Sleep(time.Until(sent.Add(d))) }
		}
		switch o.aimed {
		case zoneBefore: // the request barely sent
			aim = sleepUntil(between(0, took/50))
		case zoneDuring: // drafting the publication: protecting, sealing
			aim = sleepUntil(between(took/20, tx[0]*9/10))
		case zoneTx: // while the store's transaction is open, as a probe sees it
			// Within the first third of it: later ones may be quicker.
			p, extra := c.openProbe(), between(0, (tx[1]-tx[0])/3)
			aim = func(sent time.Time, _ <-chan struct{}) {
				defer p.close()
				time.Sleep(time.Until(sent.Add(tx[0] / 2)))
				for !p.held() && time.Since(sent) < 3*took {
					time.Sleep(200 * time.Microsecond)
				}
				time.Sleep(extra)
				if p.held() {
					o.landed = zoneTx
				}
			}
		case zoneCommitted: // the release seen published in the store; no answer yet
			p, extra := c.openProbe(), between(0, (took-tx[1])/2)
			aim = func(sent time.Time, answered <-chan struct{}) {
				defer p.close()
				time.Sleep(time.Until(sent.Add(tx[0] / 2)))
				for !p.published(ids[round]) && time.Since(sent) < 3*took {
					time.Sleep(200 * time.Microsecond)
				}
				time.Sleep(extra)
				select {
				case <-answered:
				default:
					o.landed = zoneCommitted
				}
			}
		case zoneAnswered:
			d := between(0, 20*time.Millisecond)
			aim = func(sent time.Time, answered <-chan struct{}) {
				select {
				case <-answered:
				case <-time.After(time.Minute):
				}
				time.Sleep(d)
			}
		}
		c.auditCursor()
		c.settle()
		from := time.Now().Add(-5 * time.Millisecond)
		o.answered, o.delay = c.publishAndKill(ids[round], aim)
		o.state = c.afterKill(ids[round], o.answered)
		switch {
		case o.answered:
			o.landed = zoneAnswered
		case o.state == mosaic.ReleasePublished && o.landed == "":
			o.landed = zoneCommitted // as the store shows
		case o.aimed == zoneBefore || o.aimed == zoneDuring:
			o.landed = o.aimed
		case o.landed == "":
			o.landed = zoneDuring + " (aimed " + o.aimed + ", missed)"
		}
		c.start()
		switch o.state {
		case mosaic.ReleasePublished:
			if !o.answered {
				// The drafter, never told, publishes again: refused, and
				// nothing is published twice.
				c.mustJSON("alice", "POST", "/api/v1/releases/"+ids[round]+"/publish", []byte(`{"revision":1}`), 409, nil)
			}
			c.checkPublished(ids[round], from)
		case mosaic.ReleaseReady:
			c.checkNothingDelivered(ids[round], from)
			// Publishing it again succeeds, whole.
			from = time.Now().Add(-5 * time.Millisecond)
			c.mustJSON("alice", "POST", "/api/v1/releases/"+ids[round]+"/publish", []byte(`{"revision":1}`), 200, nil)
			c.checkPublished(ids[round], from)
		}
		t.Logf("round %2d: killed %v after the publish was sent, %s; answered: %v; after the restart: %s (the round took %v)",
			round, o.delay.Round(time.Microsecond), o.landed, o.answered, o.state, time.Since(roundBegan).Round(time.Millisecond))
		outcomes = append(outcomes, o)
		if t.Failed() {
			break
		}
	}
	c.kill()
	tally := map[string]int{}
	var keys []string
	for _, o := range outcomes {
		k := o.landed + " → " + string(o.state)
		if tally[k] == 0 {
			keys = append(keys, k)
		}
		tally[k]++
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d %s", tally[k], k))
	}
	t.Logf("%d kills: %s; %v in all", len(outcomes), strings.Join(parts, ", "), time.Since(began).Round(time.Millisecond))
}

// Where a kill is aimed, and where it lands.
const (
	zoneBefore    = "before"
	zoneDuring    = "during"
	zoneTx        = "in the transaction"
	zoneCommitted = "after the commit"
	zoneAnswered  = "after the answer"
)

// crashZones are the zones the rounds aim at, in turn.
var crashZones = []string{zoneBefore, zoneDuring, zoneTx, zoneCommitted, zoneTx, zoneAnswered}

// txProbe tells, from outside the server, whether the publish's write
// transaction is open: on SQLite, whether another connection is refused
// the write lock (SQLITE_BUSY; the server writes nothing else then, see
// start); on PostgreSQL, whether a backend holds the lock the store's
// Publish takes first, updating the release's row. It reads whether a
// release is published too.
type txProbe struct {
	db   *sql.DB
	held func() bool
	q    string // the query of a release's state
}

// published reports whether release id is published in the store.
func (p *txProbe) published(id string) bool {
	var state string
	p.db.QueryRow(p.q, id).Scan(&state)
	return state == string(mosaic.ReleasePublished)
}

func (c *publishCrash) openProbe() *txProbe {
	t := c.t
	p := &txProbe{q: `SELECT state FROM releases WHERE id = ?`}
	var err error
	if c.dsn != "" {
		p.q = strings.Replace(p.q, "?", "$1", 1)
		if p.db, err = sql.Open("pgx", c.dsn); err != nil {
			t.Fatal(err)
		}
		p.held = func() bool {
			var held bool
			if err := p.db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_locks WHERE relation = to_regclass('releases') AND mode = 'RowExclusiveLock' AND granted AND pid <> pg_backend_pid())`).Scan(&held); err != nil {
				t.Errorf("probe: %v", err)
			}
			return held
		}
	} else {
		// Without waiting, and holding the lock no longer than it takes
		// to roll back when it gets it.
		if p.db, err = sql.Open("sqlite", "file:"+filepath.Join(c.dir, sqlite.FileName)+"?_pragma=busy_timeout(0)&_txlock=immediate"); err != nil {
			t.Fatal(err)
		}
		p.held = func() bool {
			tx, err := p.db.Begin()
			var e *sqlitedriver.Error
			if errors.As(err, &e) && e.Code()&0xff == sqlite3.SQLITE_BUSY {
				return true
			}
			if err != nil {
				t.Errorf("probe: %v", err)
				return false
			}
			tx.Rollback()
			return false
		}
	}
	p.db.SetMaxOpenConns(1)
	return p
}

// close closes the probe's connection while the server runs, so that the
// server, not the probe, is the last to have the database open.
func (p *txProbe) close() { p.db.Close() }

// timePublish publishes release id undisturbed, watching the store with a
// probe; it returns how long the publish took and when, from the request,
// its longest write transaction (the publication's) was first and last
// seen open.
func (c *publishCrash) timePublish(id string) (took time.Duration, tx [2]time.Duration, spans [][2]time.Duration) {
	p := c.openProbe()
	defer p.close()
	sent := time.Now()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for open := false; ; time.Sleep(200 * time.Microsecond) {
			select {
			case <-stop:
				return
			default:
			}
			held, at := p.held(), time.Since(sent)
			switch {
			case held && !open:
				spans = append(spans, [2]time.Duration{at, at})
			case held:
				spans[len(spans)-1][1] = at
			}
			open = held
		}
	}()
	c.mustJSON("alice", "POST", "/api/v1/releases/"+id+"/publish", []byte(`{"revision":1}`), 200, nil)
	took = time.Since(sent)
	close(stop)
	<-stopped
	for _, sp := range spans {
		if sp[1]-sp[0] >= tx[1]-tx[0] {
			tx = sp
		}
	}
	if tx[1] == 0 { // never seen: guess the end of the publish
		tx = [2]time.Duration{took * 7 / 10, took * 9 / 10}
		c.t.Logf("the probe did not see the publish's transaction; aiming at %v", tx)
	}
	return took, tx, spans
}

const crashModified = "2026-10-01T00:00:00.000Z"

func crashIndicatorID(n int) string { return "indicator--" + storetest.UUID(n) }

// seedDirectory makes, in the store directly as TestKillDuringImport
// does, the partners pa and pb with an analyst and a liaison each, an
// auditor, and the stakeholder organisations with a user each, every user
// with a token.
func (c *publishCrash) seedDirectory() {
	t, ctx := c.t, context.Background()
	s := c.openStore()
	defer s.Close()
	a := mosaic.AuditEntry{Action: "setup"}
	orgs := []mosaic.Organisation{
		{Name: "pa", FullName: "Partner A", Kind: mosaic.Partner, LegalRegime: "wbni"},
		{Name: "pb", FullName: "Partner B", Kind: mosaic.Partner, LegalRegime: "wpg"},
		{Name: "ov", FullName: "Oversight", Kind: mosaic.Oversight},
	}
	users := []mosaic.User{
		{Name: "alice", Org: "pa", Role: mosaic.Analyst},
		{Name: "lia", Org: "pa", Role: mosaic.Liaison},
		{Name: "bob", Org: "pb", Role: mosaic.Analyst},
		{Name: "bea", Org: "pb", Role: mosaic.Liaison},
		{Name: "olga", Org: "ov", Role: mosaic.Auditor},
	}
	for i := range crashStakeholders {
		org, user := fmt.Sprintf("sh%03d", i), fmt.Sprintf("u%03d", i)
		orgs = append(orgs, mosaic.Organisation{Name: org, FullName: "Stakeholder " + org, Kind: mosaic.Stakeholder, Sectors: []string{"energy"}})
		users = append(users, mosaic.User{Name: user, Org: org, Role: mosaic.StakeholderViewer})
		c.orgs, c.users, c.recipients = append(c.orgs, org), append(c.users, user), append(c.recipients, "org:"+org)
	}
	for _, o := range orgs {
		if err := s.CreateOrg(ctx, &o, a); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range users {
		if err := s.CreateUser(ctx, &u, "", a); err != nil {
			t.Fatal(err)
		}
		token, hash := credential.NewToken()
		if _, err := s.CreateToken(ctx, u.Name, hash, "", time.Now().Add(2*time.Hour), false, a); err != nil {
			t.Fatal(err)
		}
		c.tokens[u.Name] = token
	}
}

func (c *publishCrash) openStore() *sqlstore.Store {
	c.t.Helper()
	var s *sqlstore.Store
	var err error
	if c.dsn != "" {
		s, err = postgres.Open(context.Background(), c.dsn, nil)
	} else {
		s, err = sqlite.Open(context.Background(), c.dir, nil)
	}
	if err != nil {
		c.t.Fatalf("open the store: %v", err)
	}
	return s
}

// start starts the server. The audit records of reads are written within
// 100 ms, and each start waits until those of the last check are, so
// that the write transaction a SQLite probe sees during a publish is the
// publish's.
func (c *publishCrash) start() {
	c.cmd, c.base = startProcessB(c.t, c.bin, c.dir, append([]string{"--audit-flush", "100ms"}, c.flags...)...)
}

// settle lets the audit records of reads made so far be written.
func (c *publishCrash) settle() { time.Sleep(300 * time.Millisecond) }

func (c *publishCrash) kill() {
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		c.t.Fatalf("SIGKILL: %v", err)
	}
	c.cmd.Wait()
	c.client.CloseIdleConnections()
}

// do sends a request as user ("" for none); accept names the media type
// wanted, "" for JSON.
func (c *publishCrash) do(user, method, path string, body []byte, accept string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+c.tokens[user])
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustJSON sends a request, wants status and decodes the answer into out
// (unless nil). It may be called from other goroutines: it reports with
// Errorf and returns false.
func (c *publishCrash) mustJSON(user, method, path string, body []byte, status int, out any) bool {
	return c.mustAccept(user, method, path, body, "", status, out)
}

func (c *publishCrash) mustAccept(user, method, path string, body []byte, accept string, status int, out any) bool {
	st, b, err := c.do(user, method, path, body, accept)
	if err != nil || st != status {
		c.t.Errorf("%s %s as %s: %d %v, want %d: %.300s", method, path, user, st, err, status, b)
		return false
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Errorf("%s %s as %s: %v: %.300s", method, path, user, err, b)
			return false
		}
	}
	return true
}

// importIndicators imports n indicators of user's, numbered from first,
// ORCON and shared with the cell.
func (c *publishCrash) importIndicators(user string, bundle, first, n int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"type":"bundle","id":"bundle--%s","objects":[`, storetest.UUID(bundle))
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k := first + i
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s","name":"%s beacon %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
			crashIndicatorID(k), crashModified, crashModified, user, k, bundle, i/250, i%250)
	}
	b.WriteString("]}")
	if !c.mustJSON(user, "POST", "/api/v1/bundles?audience=cell&orcon=true", b.Bytes(), 201, nil) {
		c.t.FailNow()
	}
}

// readyRelease drafts a release of every pin to every stakeholder
// organisation as alice, has both liaisons approve it, and returns its id.
func (c *publishCrash) readyRelease(i int, pins []content.Pin) string {
	t := c.t
	d, _ := json.Marshal(content.Draft{
		Title: fmt.Sprintf("Beacons, round %d", i), Advice: "Block the beacons' addresses at your edge.",
		Recipients: c.recipients, Objects: pins,
	})
	var rel api.Release
	if !c.mustJSON("alice", "POST", "/api/v1/releases", d, 201, &rel) {
		t.FailNow()
	}
	for _, liaison := range []string{"bea", "lia"} {
		b, _ := json.Marshal(content.Consent{Revision: rel.Revision, Decision: content.DecideApprove})
		if !c.mustJSON(liaison, "POST", "/api/v1/releases/"+rel.ID+"/consents", b, 200, &rel) {
			t.FailNow()
		}
	}
	if rel.State != mosaic.ReleaseReady || rel.Revision != 1 {
		t.Fatalf("release %s after the consents: %s, revision %d", rel.ID, rel.State, rel.Revision)
	}
	return rel.ID
}

// publishAndKill sends the publish of release id and kills the server
// when aim returns; it reports whether the publish was answered 200
// before, and how long after sending it the kill came.
func (c *publishCrash) publishAndKill(id string, aim func(sent time.Time, answered <-chan struct{})) (bool, time.Duration) {
	type answer struct {
		status int
		body   []byte
		err    error
	}
	done, answered := make(chan answer, 1), make(chan struct{})
	sent := time.Now()
	go func() {
		st, b, err := c.do("alice", "POST", "/api/v1/releases/"+id+"/publish", []byte(`{"revision":1}`), "")
		done <- answer{st, b, err}
		close(answered)
	}()
	aim(sent, answered)
	delay := time.Since(sent)
	c.kill()
	a := <-done
	if a.err == nil && a.status != 200 {
		c.t.Errorf("publish of %s before the kill: %d %.300s", id, a.status, a.body)
	}
	return a.err == nil && a.status == 200, delay
}

// afterKill reads what the kill left of release id in the store, with the
// server down: the release ready with nothing of a publication (no
// digest, bundle, record, seal, released object, delivery or audit entry
// of the publish), or published with all of it. It returns the state.
func (c *publishCrash) afterKill(id string, answered bool) mosaic.ReleaseState {
	t, ctx := c.t, context.Background()
	s := c.openStore()
	defer s.Close()
	db := s.DB()
	q := func(query string) string {
		if c.dsn == "" {
			return query
		}
		return strings.ReplaceAll(query, "?", "$1")
	}
	if c.dsn == "" {
		var check string
		if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Errorf("integrity_check = %q, %v", check, err)
		}
	}
	var seq int64
	var state, digest string
	var bundle, record int64
	var published bool
	if err := db.QueryRowContext(ctx, q(`SELECT seq, state, digest, COALESCE(LENGTH(bundle), 0), COALESCE(LENGTH(record), 0), published IS NOT NULL FROM releases WHERE id = ?`), id).
		Scan(&seq, &state, &digest, &bundle, &record, &published); err != nil {
		t.Fatalf("release %s after the kill: %v", id, err)
	}
	count := func(query string, arg any) int {
		var n int
		if err := db.QueryRowContext(ctx, q(query), arg).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	seals := count(`SELECT COUNT(*) FROM release_seals WHERE release_seq = ?`, seq)
	objects := count(`SELECT COUNT(*) FROM released_objects WHERE release_seq = ?`, seq)
	deliveries := count(`SELECT COUNT(*) FROM release_deliveries WHERE release_seq = ?`, seq)
	audited := count(`SELECT COUNT(*) FROM audit WHERE action = 'releases.publish' AND decision = 'allow' AND object_ids = ?`, id)
	got := fmt.Sprintf("%s: digest %q, bundle %d bytes, record %d bytes, published %v, %d seals, %d released objects, %d deliveries, %d audit entries of the publish",
		state, digest, bundle, record, published, seals, objects, deliveries, audited)
	switch mosaic.ReleaseState(state) {
	case mosaic.ReleaseReady:
		if answered || digest != "" || bundle != 0 || record != 0 || published || seals != 0 || objects != 0 || deliveries != 0 || audited != 0 {
			t.Errorf("release %s is stored in part after the kill (publish answered: %v): %s", id, answered, got)
		}
	case mosaic.ReleasePublished:
		if digest == "" || bundle == 0 || record == 0 || !published || seals != crashStakeholders || objects != crashIndicators+crashPBIndicators+2 ||
			deliveries != crashStakeholders || audited != 1 {
			t.Errorf("release %s is published in part after the kill: %s", id, got)
		}
	default:
		t.Errorf("release %s after the kill: %s", id, got)
	}
	return mosaic.ReleaseState(state)
}

// forEachRecipient runs f for every stakeholder organisation, a few at
// once.
func (c *publishCrash) forEachRecipient(f func(i int)) {
	all := make([]int, len(c.users))
	for i := range all {
		all[i] = i
	}
	c.forEach(all, f)
}

// forEach runs f for each of the stakeholder organisations is, a few at
// once.
func (c *publishCrash) forEach(is []int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for _, i := range is {
		next <- i
	}
	close(next)
	wg.Wait()
}

// sample returns n of the stakeholder organisations, each once, chosen
// by release id: the first, the last and others between, different
// for each release.
func (c *publishCrash) sample(id string, n int) []int {
	sum := sha256.Sum256([]byte(id))
	out := []int{len(c.users) - 1, 0}
	rng := rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
	for _, i := range rng.Perm(len(c.users) - 2)[:n-2] {
		out = append(out, i+1)
	}
	return out
}

// taxiiCollection is the id of org's collection of released objects, as
// its user lists it.
func (c *publishCrash) taxiiCollection(i int) string {
	var cs struct {
		Collections []struct{ ID, Title string } `json:"collections"`
	}
	if !c.mustAccept(c.users[i], "GET", taxii.DiscoveryPath+"api/collections/", nil, taxii.MediaType, 200, &cs) {
		return ""
	}
	for _, col := range cs.Collections {
		if col.Title == "Releases to "+c.orgs[i] {
			return col.ID
		}
	}
	c.t.Errorf("%s lists no collection of releases to %s: %v", c.users[i], c.orgs[i], cs.Collections)
	return ""
}

// manifest reads the versions in collection col that user i reads, with
// the query q, every page of it.
func (c *publishCrash) manifest(i int, col string, q url.Values) map[string]bool {
	out := map[string]bool{}
	q.Set("match[version]", "all")
	q.Set("limit", "1000")
	for {
		var m taxii.Manifest
		if !c.mustAccept(c.users[i], "GET", taxii.DiscoveryPath+"api/collections/"+col+"/manifest/?"+q.Encode(), nil, taxii.MediaType, 200, &m) {
			return out
		}
		for _, r := range m.Objects {
			out[r.ID+" "+r.Version] = true
		}
		if !m.More {
			return out
		}
		q.Set("next", m.Next)
	}
}

// publishAudits counts the audit entries of release id's publish that the
// auditor reads.
func (c *publishCrash) publishAudits(id string) (n int, detail string) {
	for after := int64(0); ; {
		var page api.AuditPage
		if !c.mustJSON("olga", "GET", fmt.Sprintf("/api/v1/audit?after=%d&limit=1000", max(after, c.audited)), nil, 200, &page) {
			return n, detail
		}
		for _, e := range page.Entries {
			if e.Action == "releases.publish" && e.Decision == mosaic.Allowed && slices.Contains(e.ObjectIDs, id) {
				n++
				detail = e.Detail
			}
		}
		if page.Next == "" {
			return n, detail
		}
		fmt.Sscan(page.Next, &after)
	}
}

// auditCursor moves the audit log's cursor to its end: later reads look
// no further back.
func (c *publishCrash) auditCursor() {
	for {
		var page api.AuditPage
		if !c.mustJSON("olga", "GET", fmt.Sprintf("/api/v1/audit?after=%d&limit=1000", c.audited), nil, 200, &page) {
			c.t.FailNow()
		}
		if len(page.Entries) > 0 {
			c.audited = page.Entries[len(page.Entries)-1].Seq
		}
		if page.Next == "" {
			return
		}
	}
}

// checkNothingDelivered checks, through the API and TAXII, that release
// id, ready, reached nobody: no recipient lists, reads or downloads it, no
// collection holds anything added since from, there is no record, and no
// publish was audited.
func (c *publishCrash) checkNothingDelivered(id string, from time.Time) {
	t := c.t
	var rel api.Release
	if c.mustJSON("alice", "GET", "/api/v1/releases/"+id, nil, 200, &rel) && (rel.State != mosaic.ReleaseReady || rel.Digest != "" || !rel.Published.IsZero()) {
		t.Errorf("release %s: %s, digest %q, published %v; want ready and nothing published", id, rel.State, rel.Digest, rel.Published)
	}
	c.mustJSON("alice", "GET", "/api/v1/releases/"+id+"/record", nil, 404, nil)
	c.forEachRecipient(func(i int) {
		var page api.ReleasePage
		if c.mustJSON(c.users[i], "GET", "/api/v1/releases?limit=1000", nil, 200, &page) {
			for _, r := range page.Releases {
				if r.ID == id {
					t.Errorf("%s lists release %s, which is %s", c.users[i], id, rel.State)
				}
			}
		}
		c.mustJSON(c.users[i], "GET", "/api/v1/releases/"+id, nil, 404, nil)
		c.mustJSON(c.users[i], "GET", "/api/v1/releases/"+id+"/snapshot", nil, 404, nil)
	})
	// Every recipient's collection has no new version of the first, a
	// middle and the last indicator (each release of them releases them
	// under the same ids); those of a sample nothing new at all.
	since := from.UTC().Format(time.RFC3339Nano)
	c.forEachRecipient(func(i int) {
		if col := c.taxiiCollection(i); col != "" {
			if got := c.manifest(i, col, url.Values{"added_after": {since}, "match[id]": {strings.Join(c.probed, ",")}}); len(got) > 0 {
				t.Errorf("%s's collection holds %v, added since the publish that was killed", c.orgs[i], slices.Sorted(maps.Keys(got)))
			}
		}
	})
	for _, i := range c.sample(id, crashTAXIIOrgs) {
		if col := c.taxiiCollection(i); col != "" {
			if got := c.manifest(i, col, url.Values{"added_after": {since}}); len(got) > 0 {
				t.Errorf("%s's collection holds %d versions added since the publish that was killed", c.orgs[i], len(got))
			}
		}
	}
	if n, _ := c.publishAudits(id); n != 0 {
		t.Errorf("release %s is ready, and the audit log has %d entries of its publish", id, n)
	}
}

// checkPublished checks, through the API and TAXII, that release id is
// published whole: the cell-side record bound to the release's digest,
// with one seal for each recipient; every recipient lists it, and its
// seal holds for the snapshot it is served; recipients of a sample
// download that snapshot, which verifies with the published keys and
// holds the bundle of the release's digest with every object; every
// recipient's collection holds new versions added since from, and those
// of a sample every released object; the publish is audited once.
func (c *publishCrash) checkPublished(id string, from time.Time) {
	t := c.t
	var rel api.Release
	if !c.mustJSON("alice", "GET", "/api/v1/releases/"+id, nil, 200, &rel) {
		return
	}
	if rel.State != mosaic.ReleasePublished || !strings.HasPrefix(rel.Digest, "sha256:") || rel.Published.IsZero() || len(rel.Recipients) != crashStakeholders {
		t.Errorf("release %s: %s, digest %q, published %v, %d recipients; want it published", id, rel.State, rel.Digest, rel.Published, len(rel.Recipients))
		return
	}
	var rec content.Record
	if !c.mustJSON("alice", "GET", "/api/v1/releases/"+id+"/record", nil, 200, &rec) {
		return
	}
	if rec.Release != id || rec.Digest != rel.Digest || len(rec.Sources) != crashIndicators+crashPBIndicators {
		t.Errorf("the record of %s: release %s, digest %s (the release's %s), %d sources", id, rec.Release, rec.Digest, rel.Digest, len(rec.Sources))
	}
	seals := map[string]mosaic.ReleaseSeal{}
	for _, s := range rec.Seals {
		if _, twice := seals[s.Recipient]; twice {
			t.Errorf("the record of %s seals for %s twice", id, s.Recipient)
		}
		seals[s.Recipient] = s
	}
	if len(seals) != crashStakeholders {
		t.Errorf("the record of %s has seals for %d recipients, want %d", id, len(seals), crashStakeholders)
	}

	// Every recipient lists it as delivered to it.
	c.forEachRecipient(func(i int) {
		user, rc := c.users[i], c.recipients[i]
		var page api.ReleasePage
		if !c.mustJSON(user, "GET", "/api/v1/releases?limit=1000", nil, 200, &page) {
			return
		}
		listed := false
		for _, r := range page.Releases {
			if r.ID == id {
				listed = r.State == mosaic.ReleasePublished && r.Recipient == rc
			}
		}
		if !listed {
			t.Errorf("%s does not list release %s as published to %s", user, id, rc)
		}
	})

	// Recipients of a sample download the snapshot sealed for them, and
	// it verifies with the published keys. (Reading a snapshot of
	// thousands of objects canonically takes too long to verify every
	// recipient's download each round: the seals are checked below.)
	var snapshot json.RawMessage // as verified, for sample[0]
	sample := c.sample(id, crashSnapshots)
	var mu sync.Mutex
	c.forEach(sample, func(i int) {
		user, rc := c.users[i], c.recipients[i]
		st, file, err := c.do(user, "GET", "/api/v1/releases/"+id+"/snapshot", nil, "")
		if err != nil || st != 200 {
			t.Errorf("%s downloads the snapshot of %s: %d %v %.300s", user, id, st, err, file)
			return
		}
		sealed, err := release.Verify(file, c.keys)
		if err != nil {
			t.Errorf("the snapshot of %s for %s does not verify: %v", id, rc, err)
			return
		}
		if want := seals[rc]; sealed.Digest != want.Digest || sealed.KeyID != want.KeyID {
			t.Errorf("the snapshot of %s for %s: digest %s, key %s; the record's seal %s, %s", id, rc, sealed.Digest, sealed.KeyID, want.Digest, want.KeyID)
		}
		var snap struct {
			ID        string          `json:"id"`
			Recipient string          `json:"recipient"`
			Bundle    json.RawMessage `json:"bundle"`
		}
		if err := json.Unmarshal(sealed.Snapshot, &snap); err != nil {
			t.Errorf("the snapshot of %s for %s: %v", id, rc, err)
			return
		}
		if sum := sha256.Sum256(snap.Bundle); snap.ID != id || snap.Recipient != rc || "sha256:"+hex.EncodeToString(sum[:]) != rel.Digest {
			t.Errorf("the snapshot of %s for %s: release %s, recipient %s, bundle sha256:%x (the release's %s)", id, rc, snap.ID, snap.Recipient, sum, rel.Digest)
		}
		if i == sample[0] {
			mu.Lock()
			snapshot = sealed.Snapshot
			mu.Unlock()
		}
	})
	if snapshot == nil {
		return
	}
	// Every recipient's seal in the record holds for the snapshot it is
	// served: the one verified, addressed to it (the recipient is the
	// only part that differs), digested as sealed, and signed with a
	// published key over the label and the digest (docs/releases.md).
	pub := map[string]ed25519.PublicKey{}
	for _, k := range c.keys {
		pub[k.ID] = k.Key
	}
	// The canonical snapshot sorts "recipient" after the bundle: what
	// comes before it is digested once.
	was, _ := json.Marshal(c.recipients[sample[0]])
	cut := bytes.LastIndex(snapshot, []byte(`"recipient":`+string(was)))
	if cut < 0 {
		t.Fatalf("the snapshot of %s names no recipient %s", id, was)
	}
	rest := snapshot[cut+len(`"recipient":`)+len(was):]
	h := sha256.New()
	h.Write(snapshot[:cut])
	prefix, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range c.recipients {
		seal, ok := seals[rc]
		if !ok {
			continue // reported above
		}
		h := sha256.New()
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(prefix); err != nil {
			t.Fatal(err)
		}
		to, _ := json.Marshal(rc)
		h.Write([]byte(`"recipient":` + string(to)))
		h.Write(rest)
		digest := "sha256:" + hex.EncodeToString(h.Sum(nil))
		if digest != seal.Digest || pub[seal.KeyID] == nil ||
			!ed25519.Verify(pub[seal.KeyID], []byte("mosaic release snapshot v1\n"+seal.Digest), seal.Signature) {
			t.Errorf("the seal of %s for %s does not hold for its snapshot: digest %s (the snapshot's %s), key %s", id, rc, seal.Digest, digest, seal.KeyID)
		}
	}
	var whole struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if err := json.Unmarshal(snapshot, &whole); err != nil {
		t.Fatal(err)
	}
	bundle := whole.Bundle
	// The bundle (the same for everyone: its digest is the release's)
	// holds the cell's identity, the AMBER definition and every indicator.
	var b struct {
		Objects []struct{ Type, ID, Modified string } `json:"objects"`
	}
	if err := json.Unmarshal(bundle, &b); err != nil {
		t.Fatalf("the bundle of %s: %v", id, err)
	}
	indicators := map[string]bool{}
	others := map[string]bool{}
	for _, o := range b.Objects {
		if o.Type == "indicator" {
			indicators[o.ID+" "+o.Modified] = true
		} else {
			others[o.ID] = true
		}
	}
	if len(b.Objects) != crashIndicators+crashPBIndicators+2 || len(indicators) != crashIndicators+crashPBIndicators || len(others) != 2 {
		t.Errorf("the bundle of %s holds %d objects, %d distinct indicators; want %d, %d", id, len(b.Objects), len(indicators), crashIndicators+crashPBIndicators+2, crashIndicators+crashPBIndicators)
	}

	// Every recipient's TAXII collection holds the new versions of the
	// first, a middle and the last indicator, added since from; those of
	// a sample hold exactly every new version, added since from, and the
	// identity and definition (added with an earlier release, where they
	// first arrived).
	versions := slices.Sorted(maps.Keys(indicators))
	if len(versions) == 0 {
		return
	}
	var probed []string
	for _, v := range []string{versions[0], versions[len(versions)/2], versions[len(versions)-1]} {
		obj, _, _ := strings.Cut(v, " ")
		probed = append(probed, obj)
	}
	c.probed = probed
	c.forEachRecipient(func(i int) {
		col := c.taxiiCollection(i)
		if col == "" {
			return
		}
		got := c.manifest(i, col, url.Values{"added_after": {from.UTC().Format(time.RFC3339Nano)}, "match[id]": {strings.Join(probed, ",")}})
		if len(got) != 3 || !got[versions[0]] || !got[versions[len(versions)/2]] || !got[versions[len(versions)-1]] {
			t.Errorf("%s's collection holds %v of %s, added since the publish; want the versions of release %s", c.orgs[i], slices.Sorted(maps.Keys(got)), probed, id)
		}
	})
	for _, i := range c.sample(id, crashTAXIIOrgs) {
		col := c.taxiiCollection(i)
		if col == "" {
			continue
		}
		added := c.manifest(i, col, url.Values{"added_after": {from.UTC().Format(time.RFC3339Nano)}})
		missing, extra := 0, 0
		for v := range indicators {
			if !added[v] {
				missing++
			}
		}
		for v := range added {
			obj, _, _ := strings.Cut(v, " ")
			if !indicators[v] && !others[obj] {
				extra++
			}
		}
		if missing > 0 || extra > 0 {
			t.Errorf("%s's collection: of release %s's %d indicators, %d missing; %d versions added since that it does not hold", c.orgs[i], id, len(indicators), missing, extra)
		}
		for obj := range others {
			if len(c.manifest(i, col, url.Values{"match[id]": {obj}})) == 0 {
				t.Errorf("%s's collection does not hold %s of release %s", c.orgs[i], obj, id)
			}
		}
	}

	if n, detail := c.publishAudits(id); n != 1 || !strings.Contains(detail, rel.Digest) {
		t.Errorf("release %s is published, and the audit log has %d entries of its publish (%q)", id, n, detail)
	}
}
