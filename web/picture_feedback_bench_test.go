package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mosaic"
	"mosaic/content"
	"mosaic/policy"
	"mosaic/postgres/pgtest"
	"mosaic/release"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/storetest"
	"mosaic/web"
)

// feedbackBench sizes the feedback picture's benchmark: releases over the
// last year, each to one to three of the stakeholder organisations.
const (
	feedbackBenchReleases = 10000
	feedbackBenchOrgs     = 50
)

var feedbackBenchSectors = []string{"energy", "healthcare", "infrastructure-water", "financial-services", "transportation"}

// populateFeedback stores feedbackBenchReleases published releases with
// their deliveries, receipts, sightings and first reads. The rows are
// those the store writes at publish and on feedback, written here in one
// transaction: publishing 10,000 releases through the service takes
// minutes, and what is measured is reading them.
func populateFeedback(b *testing.B, w *storetest.World, s *sqlstore.Store) {
	ctx := context.Background()
	setup := mosaic.AuditEntry{Action: "setup"}
	type stakeholder struct{ org, user int64 }
	var shs []stakeholder
	for i := range feedbackBenchOrgs {
		o := mosaic.Organisation{Name: fmt.Sprintf("sh%02d", i), FullName: fmt.Sprintf("Stakeholder %d", i), Kind: mosaic.Stakeholder,
			Sectors: []string{feedbackBenchSectors[i%len(feedbackBenchSectors)]}}
		if i%7 == 0 {
			o.Sectors = append(o.Sectors, feedbackBenchSectors[(i+1)%len(feedbackBenchSectors)])
		}
		if err := s.CreateOrg(ctx, &o, setup); err != nil {
			b.Fatal(err)
		}
		u := mosaic.User{Name: o.Name + "-user", Org: o.Name, Role: mosaic.StakeholderViewer}
		if err := s.CreateUser(ctx, &u, "", setup); err != nil {
			b.Fatal(err)
		}
		shs = append(shs, stakeholder{o.ID, u.ID})
	}
	drafters := []mosaic.Viewer{w.A, w.A, w.A, w.B, w.C}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	prep := func(q string) *sql.Stmt {
		st, err := tx.PrepareContext(ctx, s.Dialect().Rebind(q))
		if err != nil {
			b.Fatal(err)
		}
		return st
	}
	rel := prep(`INSERT INTO releases (seq, id, revision, state, title, advice, recipients, dangling, tlp, drafter_id, drafter_org_id, created, updated, published, digest, bundle, record, asked)
		VALUES (?, ?, 1, 'published', ?, 'Advice.', ?, 'refuse', 'amber', ?, ?, ?, ?, ?, 'sha256:x', ?, ?, 1)`)
	del := prep(`INSERT INTO release_deliveries (release_seq, kind, recipient, org_id) VALUES (?, 'org', ?, ?)`)
	rct := prep(`INSERT INTO release_receipts (release_seq, org_id, user_id, status, comment, time) VALUES (?, ?, ?, ?, '', ?)`)
	sig := prep(`INSERT INTO release_sightings (release_seq, org_id, user_id, sighting, time) VALUES (?, ?, ?, ?, ?)`)
	read := prep(`INSERT INTO release_reads (release_seq, org_id, first_read) VALUES (?, ?, ?)`)
	exec := func(st *sql.Stmt, args ...any) {
		if _, err := st.ExecContext(ctx, args...); err != nil {
			b.Fatal(err)
		}
	}
	now := w.Clock.Now()
	year := 365 * 24 * time.Hour
	for i := range feedbackBenchReleases {
		seq := int64(i + 1)
		published := now.Add(-time.Duration(feedbackBenchReleases-i) * (year / feedbackBenchReleases))
		d := drafters[i%len(drafters)]
		n := 1 + i%3
		recipients := ""
		var to []stakeholder
		for k := range n {
			j := (i*7 + k*13) % feedbackBenchOrgs
			to = append(to, shs[j])
			recipients += fmt.Sprintf(" org:sh%02d", j)
		}
		exec(rel, seq, fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i), "Release "+strconv.Itoa(i), recipients[1:], d.UserID, d.OrgID,
			micros(published), micros(published), micros(published), []byte(`{}`), []byte(`{}`))
		for k, sh := range to {
			exec(del, seq, fmt.Sprintf("org:sh%02d", (i*7+k*13)%feedbackBenchOrgs), sh.org)
			r := (i + 3*k) % 10
			if r < 8 {
				exec(read, seq, sh.org, micros(published.Add(time.Hour)))
			}
			if r < 7 {
				exec(rct, seq, sh.org, sh.user, "received", micros(published.Add(2*time.Hour)))
			}
			if r < 4 {
				exec(rct, seq, sh.org, sh.user, "applied", micros(published.Add(5*time.Hour)))
			}
			if r < 2 {
				for range 1 + i%5 {
					exec(sig, seq, sh.org, sh.user, []byte(`{"type":"sighting"}`), micros(published.Add(6*time.Hour)))
				}
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
}

func micros(t time.Time) int64 { return t.UnixMicro() }

// BenchmarkPictureFeedback reads the picture's feedback part over 10,000
// published releases (about 20,000 deliveries, 22,000 receipts, 10,000
// sightings) for the drafter of most of them, the default reader and a
// reader five stakeholders named: the store's method, and the whole
// picture page through the handler.
func BenchmarkPictureFeedback(b *testing.B) {
	for _, st := range []struct {
		name string
		open storetest.Opener
	}{
		{"sqlite", func(t testing.TB, clock mosaic.Clock) storetest.Store {
			s, err := sqlite.Open(bg, t.TempDir(), clock)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"postgres", func(t testing.TB, clock mosaic.Clock) storetest.Store { return pgtest.Open(t, clock) }},
	} {
		b.Run(st.name, func(b *testing.B) {
			w := storetest.NewWorld(b, st.open)
			s := w.Store.(*sqlstore.Store)
			populateFeedback(b, w, s)
			readers, readersFor := []string{"pc"}, map[string][]string{}
			for i := range 5 {
				readersFor[fmt.Sprintf("sh%02d", i)] = []string{"pb"}
			}
			viewers := []mosaic.Viewer{w.A, w.C, w.B}
			b.Run("store", func(b *testing.B) {
				var scopes []mosaic.FeedbackScope
				for _, v := range viewers {
					sc, err := policy.FeedbackScopeOf(v, readers, readersFor)
					if err != nil {
						b.Fatal(err)
					}
					scopes = append(scopes, sc)
				}
				latencies(b, func(i int) {
					pic, err := s.FeedbackPicture(bg, scopes[i%len(scopes)], w.Clock.Now())
					if err != nil || len(pic.Releases) != mosaic.PictureReleases {
						b.Fatalf("%d releases, %v", len(pic.Releases), err)
					}
				})
			})
			// The server and its sessions are made once: the sub-benchmark
			// runs again as b.N grows.
			keys, err := release.CreateKeys(filepath.Join(b.TempDir(), "release.key"), storetest.Epoch)
			if err != nil {
				b.Fatal(err)
			}
			svc := content.New(s, ingestConfig, discard{}, w.Clock)
			svc.EnableReleases(s, content.ReleaseConfig{Keys: keys, FeedbackReaders: readers, FeedbackReadersFor: readersFor})
			srv, err := web.New(web.Options{Content: svc, Store: s, Clock: w.Clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			var cookies []*http.Cookie
			for i, v := range viewers {
				secret := "bench-feedback-" + strconv.Itoa(i)
				if _, err := s.CreateSession(bg, sha256.Sum256([]byte(secret)), v.User, "csrf", w.Clock.Now().Add(time.Hour), mosaic.AuditEntry{User: v.User, Action: "bench"}); err != nil {
					b.Fatal(err)
				}
				cookies = append(cookies, &http.Cookie{Name: "mosaic-session", Value: secret})
			}
			b.Run("page", func(b *testing.B) {
				h := srv.Handler()
				bytes := 0
				latencies(b, func(i int) {
					req := httptest.NewRequest("GET", "/", nil)
					req.AddCookie(cookies[i%len(cookies)])
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 || !strings.Contains(rec.Body.String(), `id="picture-feedback"`) {
						b.Fatalf("status %d, or no feedback section", rec.Code)
					}
					bytes = max(bytes, rec.Body.Len())
				})
				b.ReportMetric(float64(bytes), "page-bytes")
			})
		})
	}
}
