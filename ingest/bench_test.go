package ingest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"mosaic"
	"mosaic/ingest"
	"mosaic/postgres/pgtest"
	"mosaic/sqlite"
	"mosaic/stix"
	"mosaic/storetest"
)

const benchObjects = 10_000

// Bundle returns a bundle of n typical indicators (about 600 bytes each)
// whose ids are unique to round.
func Bundle(round, n int) []byte {
	objs := make([]json.RawMessage, n)
	for i := range n {
		objs[i] = json.RawMessage(fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-%04x-4000-8000-%012x","created":"2026-10-01T08:%02d:00.000Z","modified":"2026-10-01T08:%02d:00.000Z",`+
			`"name":"MarshLock C2 server %d","description":"Command and control server of the MarshLock ransomware seen in intrusions at healthcare providers; block at the perimeter and search proxy logs for earlier contact.",`+
			`"indicator_types":["malicious-activity","attribution"],"pattern":"[ipv4-addr:value = '10.%d.%d.%d'] OR [domain-name:value = 'c2-%d.marshlock.example']","pattern_type":"stix","valid_from":"2026-10-01T08:00:00Z",`+
			`"labels":["ransomware","healthcare"],"confidence":80,"created_by_ref":"identity--%s","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`,
			round, i>>12, i, i%60, i%60, i, round%250, i>>8, i&255, i, storetest.UUID(1)))
	}
	b, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + storetest.UUID(round+1), "objects": objs})
	return b
}

func openBench(b *testing.B, store string) (mosaic.Store, string) {
	switch store {
	case "sqlite":
		dir := b.TempDir()
		s, err := sqlite.Open(context.Background(), dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s, dir
	default:
		return pgtest.Open(b, nil), ""
	}
}

// analyst creates a partner and its analyst.
func analyst(b testing.TB, s mosaic.Store) mosaic.Viewer {
	ctx := context.Background()
	a := mosaic.AuditEntry{Action: "setup"}
	o := mosaic.Organisation{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wbni"}
	if err := s.CreateOrg(ctx, &o, a); err != nil {
		b.Fatal(err)
	}
	u := mosaic.User{Name: "alice", Org: "pa", Role: mosaic.Analyst}
	if err := s.CreateUser(ctx, &u, "", a); err != nil {
		b.Fatal(err)
	}
	return mosaic.Viewer{UserID: u.ID, User: u.Name, OrgID: o.ID, Org: o.Name, OrgKind: o.Kind, Role: u.Role}
}

// Config is the ingest configuration of the benchmarks.
var Config = ingest.Config{
	DefaultTLP: mosaic.TLPAmber,
	LegalBases: map[string]time.Duration{"wbni": 365 * 24 * time.Hour},
	Limits:     stix.DefaultLimits(),
}

// BenchmarkIngest stores bundles of 10,000 indicators through the whole
// ingest path (decode, validate, envelope, search terms, store with its
// indexes, audit) and, in the same run, the floor the issue compares it
// with: decoding the same bundle with encoding/json and inserting each
// object into a bare table of the same database engine.
func BenchmarkIngest(b *testing.B) {
	for _, store := range []string{"sqlite", "postgres"} {
		b.Run(store, func(b *testing.B) {
			s, dir := openBench(b, store)
			v := analyst(b, s)
			in := ingest.New(s, Config, mosaic.SystemClock{})
			floor := openFloor(b, store, dir)
			var ingestTime, floorTime time.Duration
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				body := Bundle(i, benchObjects)
				b.StartTimer()
				start := time.Now()
				res, _, err := in.Bundle(context.Background(), v, body, mosaic.EnvelopeDefaults{Audience: &mosaic.Audience{Cell: true}})
				ingestTime += time.Since(start)
				if err != nil || res.New != benchObjects {
					b.Fatalf("ingest: %+v %v", res, err)
				}
				b.StopTimer()
				start = time.Now()
				floor(body)
				floorTime += time.Since(start)
				b.StartTimer()
			}
			perSec := float64(b.N*benchObjects) / ingestTime.Seconds()
			floorPerSec := float64(b.N*benchObjects) / floorTime.Seconds()
			b.ReportMetric(perSec, "objects/s")
			b.ReportMetric(floorPerSec, "floor-objects/s")
			b.ReportMetric(floorPerSec/perSec, "x-floor")
		})
	}
}

// openFloor returns the bare floor: encoding/json decodes the bundle and
// each object into a map, then one prepared single-table insert per object
// (its id and raw JSON) in one transaction, durable as the store is
// (SQLite: WAL, synchronous=FULL).
func openFloor(b *testing.B, store, dir string) func([]byte) {
	var db *sql.DB
	var err error
	table := "bare_floor"
	insert := `INSERT INTO bare_floor (id, body) VALUES (?, ?)`
	if store == "sqlite" {
		db, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "floor.db")+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
		if err == nil {
			_, err = db.Exec(`CREATE TABLE ` + table + ` (id TEXT NOT NULL, body BLOB NOT NULL)`)
		}
	} else {
		db, err = sql.Open("pgx", pgtest.DSN(b))
		if err == nil {
			_, err = db.Exec(`CREATE TABLE ` + table + ` (id TEXT NOT NULL, body BYTEA NOT NULL)`)
		}
		insert = `INSERT INTO bare_floor (id, body) VALUES ($1, $2)`
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return func(body []byte) {
		var bundle struct {
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(body, &bundle); err != nil {
			b.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(insert)
		if err != nil {
			b.Fatal(err)
		}
		for _, raw := range bundle.Objects {
			var o map[string]any
			if err := json.Unmarshal(raw, &o); err != nil {
				b.Fatal(err)
			}
			if _, err := stmt.Exec(o["id"], []byte(raw)); err != nil {
				b.Fatal(err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
