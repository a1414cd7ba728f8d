package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/audit"
	"mosaic/config"
	"mosaic/content"
	"mosaic/deconflict"
	"mosaic/gate"
	"mosaic/ingest"
	"mosaic/postgres"
	"mosaic/release"
	"mosaic/sqlite"
	"mosaic/sqlstore"
	"mosaic/stix"
	"mosaic/taxii"
)

// Main is a running Mosaic server. Open starts it, Close stops it; tests
// start one on port 0 with a temporary data directory.
type Main struct {
	Config config.Config
	Log    *slog.Logger
	Clock  mosaic.Clock

	Store *sqlstore.Store
	// Content is the content service every door reads and writes
	// through; it audits into audit.
	Content  *content.Service
	audit    *audit.Log
	listener net.Listener
	server   *http.Server
	served   chan error
	feeds    *feedRunner // the feed poller, while serving
	// deconflict serves deconfliction, nil when it is off; mountWeb gives
	// it to the live stream, which shows hits under its rules.
	deconflict *deconflict.Handler
}

// openStore opens the configured store.
func openStore(ctx context.Context, c config.Config, clock mosaic.Clock) (*sqlstore.Store, error) {
	if c.DB != "" {
		return postgres.Open(ctx, c.DB, clock)
	}
	return sqlite.Open(ctx, c.Data, clock)
}

func ingestConfig(c config.Config) ingest.Config {
	bases := map[string]time.Duration{}
	for k, days := range c.LegalBases {
		bases[k] = time.Duration(days) * 24 * time.Hour
	}
	tlp, _ := mosaic.ParseTLP(c.DefaultTLP) // checked by Config.Validate
	return ingest.Config{
		DefaultTLP: tlp,
		LegalBases: bases,
		Limits: stix.Limits{
			MaxObjects: c.MaxBundleObjects, MaxDepth: c.MaxDepth,
			MaxStringBytes: c.MaxStringBytes, MaxObjectBytes: c.MaxObjectBytes,
		},
	}
}

// OpenStore opens the store, the audit log and the content service,
// without serving.
func (m *Main) OpenStore(ctx context.Context) error {
	if m.Clock == nil {
		m.Clock = mosaic.SystemClock{}
	}
	s, err := openStore(ctx, m.Config, m.Clock)
	if err != nil {
		return err
	}
	m.Store = s
	if m.Log == nil {
		m.Log = slog.New(slog.DiscardHandler)
	}
	m.audit = audit.New(s, time.Duration(m.Config.AuditFlush), m.Log)
	m.Content = content.New(s, ingestConfig(m.Config), m.audit, m.Clock)
	return nil
}

// Open opens the store (unless OpenStore did) and starts serving.
func (m *Main) Open(ctx context.Context) error {
	if m.Store == nil {
		if err := m.OpenStore(ctx); err != nil {
			return err
		}
	}
	// One gate for both doors: a user's request budget and an address's
	// failed sign-ins count the same through REST and TAXII.
	g := gate.New(m.Store, m.Clock, gate.Limits{
		RatePerSecond: m.Config.RatePerSecond, RateBurst: m.Config.RateBurst, AuthFailuresPerMinute: m.Config.AuthFailures,
		ReadingTurnsPerUser: m.Config.UploadTurnsPerUser, ListingTurnsPerUser: m.Config.ListingTurnsPerUser,
		UserTurnWait:    time.Duration(m.Config.UserTurnWait),
		MinTransferRate: m.Config.MinTransferRate, TransferWindow: time.Duration(m.Config.TransferWindow),
	})
	keys, err := m.openReleaseKeys()
	if err != nil {
		return err
	}
	if keys != nil {
		if err := m.enableReleases(ctx, keys); err != nil {
			return err
		}
	}
	a := api.New(m.Content, m.Store, api.Limits{
		MaxBodyBytes: m.Config.MaxBodyBytes, MaxPageSize: m.Config.MaxPageSize,
		// The anonymous endpoints (releases to the public) take the
		// per-user budget per client address.
		RatePerSecond: m.Config.RatePerSecond, RateBurst: m.Config.RateBurst,
		TokenLifetime: time.Duration(m.Config.TokenLifetime), Gate: g,
	}, m.Clock, m.Log)
	tx := taxii.New(m.Content, m.Store, taxii.Options{
		Title:            "Mosaic",
		Description:      "STIX 2.1 intelligence of the joint cyber intel/info cell, as far as you may see it",
		MaxContentLength: m.Config.MaxBodyBytes, MaxPageSize: m.Config.MaxPageSize, Gate: g,
	}, m.Clock, m.Log)
	mux := http.NewServeMux()
	mux.Handle("/api/", a.Handler())
	mux.Handle(taxii.DiscoveryPath, tx.Handler())
	if err := m.mountDeconfliction(ctx, mux, g); err != nil {
		return err
	}
	if err := m.mountWeb(ctx, mux, g, tx); err != nil {
		return err
	}
	if m.Config.TLSCert != "" {
		// A bad certificate is an error now, not after "serving" is logged.
		if _, err := tls.LoadX509KeyPair(m.Config.TLSCert, m.Config.TLSKey); err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.listener = ln
	m.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		// Outer bounds only: uploads and large answers set deadlines of
		// their own from the pace, and a 32 MiB body at the slowest pace
		// allowed takes 8½ minutes, its answer written after it.
		ReadTimeout:    10 * time.Minute,
		WriteTimeout:   10 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
	}
	m.served = make(chan error, 1)
	go func() {
		var err error
		if m.Config.TLSCert != "" {
			err = m.server.ServeTLS(ln, m.Config.TLSCert, m.Config.TLSKey)
		} else {
			err = m.server.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		m.served <- err
	}()
	return m.startFeeds(ctx)
}

// openReleaseKeys opens the release key file, making it on first use;
// nil, with a warning, when the store is PostgreSQL and no file is
// named: a key made in a working directory would be easy to lose.
func (m *Main) openReleaseKeys() (*release.Keys, error) {
	path, ok := releaseKeyPath(m.Config)
	if !ok {
		m.Log.Warn("release keys off: with db set, name release_key (a release key file)")
		return nil, nil
	}
	k, made, err := release.OpenKeys(path, m.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	if made {
		m.Log.Info("release key made", slog.String("file", path), slog.String("signing_key_id", k.Current().ID))
	}
	return k, nil
}

// enableReleases turns the release workflow of the content service on,
// signing with keys, once the configured deputies check out.
func (m *Main) enableReleases(ctx context.Context, keys *release.Keys) error {
	if err := checkDeputies(ctx, m.Store, m.Config.ConsentDeputies); err != nil {
		return err
	}
	m.Content.EnableReleases(m.Store, content.ReleaseConfig{
		Keys: keys, CellName: m.Config.CellName, FeedbackReaders: m.Config.ReleaseFeedbackReaders,
		FeedbackReadersFor: m.Config.ReleaseFeedbackReadersFor, Log: m.Log, Deputies: m.Config.ConsentDeputies,
	})
	return nil
}

// checkDeputies refuses to start with a deputy who could never act: one
// that is no user, or not an analyst or liaison of the partner
// organisation it is named under. The policy would refuse such a deputy
// every time; the operator is told now rather than a liaison finding out
// while away.
func checkDeputies(ctx context.Context, s *sqlstore.Store, deputies map[string][]string) error {
	var errs []error
	for _, org := range slices.Sorted(maps.Keys(deputies)) {
		o, err := s.Org(ctx, org)
		if mosaic.ErrorCode(err) == mosaic.CodeNotFound || (err == nil && o.Kind != mosaic.Partner) {
			errs = append(errs, fmt.Errorf("consent_deputies: %q is not a partner organisation", org))
			continue
		}
		if err != nil {
			return err
		}
		for _, name := range deputies[org] {
			u, err := s.User(ctx, name)
			switch {
			case mosaic.ErrorCode(err) == mosaic.CodeNotFound:
				errs = append(errs, fmt.Errorf("consent_deputies: %s: there is no user %q", org, name))
			case err != nil:
				return err
			case u.Org != org:
				errs = append(errs, fmt.Errorf("consent_deputies: %s: user %s is of %s: a deputy acts for its own organisation only", org, name, u.Org))
			case u.Role != mosaic.Analyst && u.Role != mosaic.Liaison:
				errs = append(errs, fmt.Errorf("consent_deputies: %s: user %s is %s %s: a deputy is an analyst or liaison", org, name, article(string(u.Role)), u.Role))
			}
		}
	}
	return errors.Join(errs...)
}

func article(word string) string {
	if strings.ContainsAny(word[:1], "aeiou") {
		return "an"
	}
	return "a"
}

// releaseKeyPath is the release key file c names, and false when there is
// none to use.
func releaseKeyPath(c config.Config) (string, bool) {
	switch {
	case c.ReleaseKey != "":
		return c.ReleaseKey, true
	case c.DB != "":
		return "", false
	}
	return filepath.Join(c.Data, "release.key"), true
}

// URL is where the server listens.
func (m *Main) URL() string {
	scheme := "http"
	if m.Config.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + m.listener.Addr().String()
}

// Wait blocks until ctx ends or the server fails.
func (m *Main) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-m.served:
		return err
	}
}

// Close stops serving, writes the queued audit entries and closes the
// store.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var errs []error
	if m.server != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	m.stopFeeds()
	if m.audit != nil {
		errs = append(errs, m.audit.Close(ctx))
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}

func newLogger(c config.Config, e env) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.LogLevel)))
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

// loadConfig parses a server command's configuration.
func loadConfig(name string, args []string, e env) (config.Config, []string, error) {
	fs := flag.NewFlagSet("mosaic "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	c, rest, err := config.Load(fs, args, e.environ)
	if errors.Is(err, flag.ErrHelp) {
		return c, nil, errUsage
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "flag provided but not defined") {
			return c, nil, errUsage
		}
		return c, nil, err
	}
	return c, rest, nil
}

// limitMemory sets the Go runtime's soft memory limit to memory_limit,
// unless GOMEMLIMIT set one: near it the garbage collector works harder
// rather than let the heap grow to twice what is live. The turns bound
// what is live (BENCHMARKS.md, Memory); the limit keeps the peak near it.
func limitMemory(c config.Config, e env) {
	if n := memoryLimit(c, e.environ); n > 0 {
		debug.SetMemoryLimit(n)
	}
}

// memoryLimit is the limit limitMemory sets, 0 for none.
func memoryLimit(c config.Config, environ []string) int64 {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOMEMLIMIT=") {
			return 0 // the runtime read it at start
		}
	}
	return c.MemoryLimit
}

func serveCmd(ctx context.Context, args []string, e env) error {
	c, rest, err := loadConfig("serve", args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	limitMemory(c, e)
	m := &Main{Config: c, Log: newLogger(c, e)}
	if err := m.Open(ctx); err != nil {
		m.Close()
		return err
	}
	store := "SQLite in " + c.Data
	if c.DB != "" {
		store = "PostgreSQL"
	}
	m.Log.Info("mosaic serving", slog.String("url", m.URL()), slog.String("store", store))
	err = m.Wait(ctx)
	return errors.Join(err, m.Close())
}
