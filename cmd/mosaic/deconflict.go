package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"mosaic"
	"mosaic/config"
	"mosaic/deconflict"
	"mosaic/gate"
	"mosaic/secretfile"
)

// mountDeconfliction serves the deconfliction API with the in-process
// evaluator (the key file named by deconflict_key, made on first start) or
// a separate mosaic oprfd (deconflict_evaluator).
func (m *Main) mountDeconfliction(ctx context.Context, mux *http.ServeMux, g *gate.Gate) error {
	m.deconflict = nil
	c := m.Config
	var ev deconflict.Evaluator
	if c.DeconflictEvaluator != "" {
		secret, err := readSecretFile(c.DeconflictEvaluatorSecret)
		if err != nil {
			return fmt.Errorf("deconflict_evaluator_secret: %w", err)
		}
		ev = &deconflict.RemoteEvaluator{URL: c.DeconflictEvaluator, Secret: secret}
	} else {
		path := c.DeconflictKey
		if path == "" {
			if c.DB != "" {
				// With PostgreSQL the data directory may not exist, and a
				// key made in a working directory would be easy to lose.
				m.Log.Warn("deconfliction off: with db set, name deconflict_key (an evaluator key file) or deconflict_evaluator (a separate mosaic oprfd)")
				return nil
			}
			path = filepath.Join(c.Data, "deconflict-oprf.key")
		}
		kf, made, err := deconflict.OpenKeyFile(path, m.Clock.Now())
		if err != nil {
			return fmt.Errorf("deconfliction key: %w", err)
		}
		if made {
			m.Log.Info("deconfliction evaluator key made", slog.String("file", path), slog.String("signing_key_fingerprint", kf.Fingerprint()))
		}
		local, err := deconflict.NewLocalEvaluator(kf)
		if err != nil {
			return err
		}
		ev = local
	}
	if c.DeconflictCoordinator != "" {
		o, err := m.Store.Org(ctx, c.DeconflictCoordinator)
		if err != nil || o.Kind != mosaic.Partner {
			return fmt.Errorf("deconflict_coordinator %q: not a partner organisation", c.DeconflictCoordinator)
		}
	}
	h := deconflict.NewHandler(deconflict.Options{
		Store: m.Store, Evaluator: ev, Audit: m.Content, Gate: g, Clock: m.Clock, Log: m.Log,
		DailyBudget: c.DeconflictDailyBudget, MaxBatch: c.DeconflictMaxBatch,
		Coordinator: c.DeconflictCoordinator, EpochGrace: time.Duration(c.DeconflictEpochGrace),
	})
	recs, err := h.SyncEpochs(ctx)
	switch {
	case mosaic.ErrorCode(err) == mosaic.CodeConflict:
		// The store holds another key for this epoch: whoever changed the
		// key must start a new epoch, or every pinned client would refuse.
		return fmt.Errorf("deconfliction: %s", mosaic.ErrorMessage(err))
	case err != nil && c.DeconflictEvaluator != "":
		m.Log.Warn("deconfliction evaluator not reachable yet", slog.Any("err", err))
	case err != nil:
		return fmt.Errorf("deconfliction: %w", err)
	case len(recs) > 0:
		cur := recs[len(recs)-1]
		m.Log.Info("deconfliction", slog.Int("epoch", cur.Epoch), slog.String("signing_key_fingerprint", deconflict.Fingerprint(cur.Signer)))
	}
	mux.Handle(deconflict.Prefix, h)
	m.deconflict = h
	return nil
}

// readSecretFile reads a shared secret from a file only its owner may read.
func readSecretFile(path string) (string, error) {
	b, err := secretfile.Read(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 32 {
		return "", fmt.Errorf("%s: the secret is shorter than 32 characters", path)
	}
	return s, nil
}

const oprfdUsage = `Usage:
  mosaic oprfd --key FILE --secret-file FILE [--addr 127.0.0.1:8090] [--daily-budget N] [--max-batch N]
  mosaic oprfd rotate --key FILE     start a new epoch with a fresh key

The evaluator holds the VOPRF key in its key file (mode 0600; made with a
signing key and epoch 1 when it does not exist) and answers only the Mosaic
server, which sends the shared secret from --secret-file (made when it does
not exist; give the same file to the server as deconflict_evaluator_secret).
`

// oprfdCmd runs the evaluator alone, so that whoever operates the matching
// store never holds the key.
func oprfdCmd(ctx context.Context, args []string, e env) error {
	if len(args) > 0 && args[0] == "rotate" {
		fs := flag.NewFlagSet("mosaic oprfd rotate", flag.ContinueOnError)
		fs.SetOutput(e.stderr)
		key := fs.String("key", "", "evaluator key file")
		if err := fs.Parse(args[1:]); err != nil || *key == "" {
			fmt.Fprint(e.stderr, oprfdUsage)
			return errUsage
		}
		kf, err := deconflict.LoadKeyFile(*key)
		if err != nil {
			return err
		}
		if err := kf.Rotate(time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "epoch %d started; the evaluator picks it up at its next request for the epochs\n", kf.Current().Epoch)
		return nil
	}
	fs := flag.NewFlagSet("mosaic oprfd", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, oprfdUsage) }
	key := fs.String("key", "", "evaluator key file (mode 0600)")
	secretFile := fs.String("secret-file", "", "file with the secret the Mosaic server sends")
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	budget := fs.Int("daily-budget", deconflict.DefaultEvaluatorBudget, "evaluations per UTC day, all organisations together")
	maxBatch := fs.Int("max-batch", deconflict.DefaultMaxBatch, "most elements in one request")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *key == "" || *secretFile == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	kf, made, err := deconflict.OpenKeyFile(*key, time.Now())
	if err != nil {
		return err
	}
	if _, err := os.Stat(*secretFile); errors.Is(err, os.ErrNotExist) {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		if err := os.WriteFile(*secretFile, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
			return err
		}
		log.Info("secret made", slog.String("file", *secretFile))
	}
	secret, err := readSecretFile(*secretFile)
	if err != nil {
		return err
	}
	ev, err := deconflict.NewLocalEvaluator(kf)
	if err != nil {
		return err
	}
	fb, err := deconflict.OpenFileBudget(*key+".budget", *budget)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: deconflict.EvaluatorHandler(ev, secret, fb, *maxBatch, mosaic.SystemClock{}, log),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute}
	log.Info("mosaic oprfd serving", slog.String("url", "http://"+ln.Addr().String()), slog.Int("epoch", kf.Current().Epoch),
		slog.Bool("key_made", made), slog.String("signing_key_fingerprint", kf.Fingerprint()))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

const deconflictUsage = `Usage: mosaic deconflict COMMAND [flags]

Hit/no-hit deconfliction without disclosure: selectors are normalised and
blinded here, evaluated blind by the evaluator (whose proof is checked
against the pinned key), and only tokens go to the server.

  pin [--fingerprint HEX]                 trust the evaluator's signing key (once per server)
  register --file F --ref REF [--expires 90d] [--skip-bad]
                                          register selectors under your reference
  check --file F [--ref REF] [--skip-bad] ask without registering (the holders are told too)
  rotate --file F --ref REF [--expires 90d]
                                          re-register your files in the evaluator's new epoch
  list                                    your organisation's registrations
  remove --ref REF                        remove the registrations under a reference
  hits                                    the hits your organisation was a side of, newest
                                          first, numbered 1, 2, 3, … among its own
  budget                                  your organisation's evaluations today

Input files: one selector per line, optionally typed (ip:, ipv4:, ipv6:,
domain:, url:, email:, md5:, sha1:, sha256:, sha512:, hash:, phone:, btc:,
eth:, xmr:, wallet:CHAIN:ADDRESS, account:PLATFORM:NAME, other:); without a
prefix the type is guessed where that is unambiguous. Blank lines and lines
starting with # are skipped. --file may be given more than once.

Common flags: --pins FILE (default: your config directory's
mosaic/deconflict-pins.json), --batch N (selectors per request).
MOSAIC_URL and MOSAIC_TOKEN name the server and your token.
`

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(s string) error { *f = append(*f, s); return nil }

// deconflictFlags are the flags the deconflict subcommands share.
type deconflictFlags struct {
	files       fileList
	ref         string
	expires     string
	fingerprint string
	pins        string
	skipBad     bool
	batch       int
}

// deconflictCmd is the partner's deconfliction client.
func deconflictCmd(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, deconflictUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := args[0]
	var f deconflictFlags
	fs, err := parseClientFlags("deconflict "+sub, args[1:], e, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(e.stderr, deconflictUsage) }
		fs.Var(&f.files, "file", "selector file (repeatable)")
		fs.StringVar(&f.ref, "ref", "", "your own reference (never shown to another organisation)")
		fs.StringVar(&f.expires, "expires", "90d", "how long a registration lives: days (90d) or hours (12h)")
		fs.StringVar(&f.fingerprint, "fingerprint", "", "the evaluator signing key's fingerprint, as its operator gave it")
		fs.StringVar(&f.pins, "pins", "", "pin file")
		fs.BoolVar(&f.skipBad, "skip-bad", false, "send the good lines of a file that has bad ones")
		fs.IntVar(&f.batch, "batch", deconflict.DefaultMaxBatch, "selectors per request")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	dc := &deconflict.Client{BaseURL: c.base.String(), Token: c.token, HTTP: c.http}
	if f.pins == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("no config directory for the pin file (%v); name one with --pins", err)
		}
		f.pins = filepath.Join(dir, "mosaic", "deconflict-pins.json")
	}
	switch sub {
	case "pin":
		return deconflictPin(ctx, dc, f, e)
	case "register", "check", "rotate":
		return deconflictSubmit(ctx, dc, sub, f, e)
	case "list":
		gs, err := dc.Registrations(ctx)
		if err != nil {
			return err
		}
		rows := make([][]string, len(gs))
		for i, g := range gs {
			rows[i] = []string{g.Ref, strconv.Itoa(g.Epoch), g.Type, strconv.Itoa(g.Count), g.Registered.Format(time.DateTime), g.Expires.Format(time.DateTime)}
		}
		table(e, "REF\tEPOCH\tTYPE\tCOUNT\tREGISTERED (UTC)\tEXPIRES (UTC)", rows)
		return nil
	case "remove":
		if f.ref == "" {
			return errors.New("name the reference with --ref")
		}
		n, err := dc.Remove(ctx, f.ref)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "removed %d registrations under %s\n", n, f.ref)
		return nil
	case "hits":
		hits, err := dc.Hits(ctx)
		if err != nil {
			return err
		}
		printHits(e, hits)
		return nil
	case "budget":
		b, err := dc.Budget(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s: %d of %d evaluations used, %d of %d submitted tokens; both renew at 00:00 UTC\n",
			b.Evaluate.Day, b.Evaluate.Used, b.Evaluate.Limit, b.Submit.Used, b.Submit.Limit)
		return nil
	}
	fmt.Fprintf(e.stderr, "mosaic deconflict: unknown command %q\n\n", sub)
	fmt.Fprint(e.stderr, deconflictUsage)
	return errUsage
}

// printHits lists hits under the ids the server gives them: the
// organisation's own numbers, which count only its own hits, or for the
// coordinator the global ones.
func printHits(e env, hits []deconflict.HitView) {
	var rows [][]string
	coord := false
	for _, h := range hits {
		id := strconv.FormatInt(h.ID, 10)
		if len(h.Sides) == 2 {
			coord = true
			rows = append(rows, []string{id, h.Time.Format(time.DateTime), h.Type,
				h.Sides[0].Org + " (" + h.Sides[0].Kind + " " + h.Sides[0].Ref + ")", h.Sides[0].Contact,
				h.Sides[1].Org + " (" + h.Sides[1].Ref + ")", h.Sides[1].Contact})
			continue
		}
		rows = append(rows, []string{id, h.Time.Format(time.DateTime), h.Type, h.YourRef, h.Kind, h.OtherOrg, h.OtherContact})
	}
	if coord {
		table(e, "HIT\tWHEN (UTC)\tTYPE\tSIDE\tCONTACT\tHOLDER\tCONTACT", rows)
		return
	}
	table(e, "HIT\tWHEN (UTC)\tTYPE\tYOUR REF\tHOW\tOTHER SIDE\tCONTACT", rows)
}

func deconflictPin(ctx context.Context, dc *deconflict.Client, f deconflictFlags, e env) error {
	pins, err := deconflict.LoadPins(f.pins)
	if err != nil {
		return err
	}
	recs, err := dc.Epochs(ctx)
	if err != nil {
		return err
	}
	fp, err := pins.Pin(dc.BaseURL, recs, f.fingerprint, time.Now())
	if err != nil {
		return err
	}
	if err := pins.Save(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pinned the evaluator of %s: signing key fingerprint %s, epochs up to %d\n", dc.BaseURL, fp, recs[len(recs)-1].Epoch)
	if f.fingerprint == "" {
		fmt.Fprintln(e.stdout, "compare the fingerprint with the one the evaluator's operator gives you; if they differ, delete the pin file and do not register")
	}
	return nil
}

// currentEpoch checks the server's epochs against the pins and returns a
// Blinder for the current one, pinning a new epoch signed by the pinned
// signing key.
func currentEpoch(ctx context.Context, dc *deconflict.Client, pinsPath string, e env) (*deconflict.Blinder, error) {
	pins, err := deconflict.LoadPins(pinsPath)
	if err != nil {
		return nil, err
	}
	recs, err := dc.Epochs(ctx)
	if err != nil {
		return nil, err
	}
	cur, changed, err := pins.Accept(dc.BaseURL, recs)
	if err != nil {
		return nil, err
	}
	if changed {
		if err := pins.Save(); err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stderr, "pinned epoch %d (signed by the pinned evaluator key)\n", cur.Epoch)
	}
	return deconflict.NewBlinder(cur)
}

func deconflictSubmit(ctx context.Context, dc *deconflict.Client, sub string, f deconflictFlags, e env) error {
	if len(f.files) == 0 {
		return errors.New("name a selector file with --file")
	}
	check := sub == "check"
	var expires time.Time
	if !check {
		if f.ref == "" {
			return errors.New("name your reference with --ref")
		}
		d, err := config.ParseDuration(f.expires)
		if err != nil || d <= 0 {
			return fmt.Errorf("--expires %q: want days (90d) or hours (12h)", f.expires)
		}
		expires = time.Now().Add(d)
	}
	// Every file is read and checked before anything is sent.
	var sels []deconflict.Selector
	var where []string
	bad := 0
	seen := map[deconflict.Selector]bool{}
	for _, name := range f.files {
		fh, err := os.Open(name)
		if err != nil {
			return err
		}
		pf, err := deconflict.ParseFile(fh)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for _, le := range pf.Bad {
			fmt.Fprintf(e.stderr, "%s:%d: %s\n", name, le.Line, le.Reason)
		}
		bad += len(pf.Bad)
		for i, s := range pf.Selectors {
			if !seen[s] {
				seen[s] = true
				sels = append(sels, s)
				where = append(where, fmt.Sprintf("%s:%d", name, pf.Lines[i]))
			}
		}
	}
	if bad > 0 && !f.skipBad {
		return fmt.Errorf("%d bad lines; nothing sent (fix them, or send the rest with --skip-bad)", bad)
	}
	if len(sels) == 0 {
		return errors.New("no selectors in the files")
	}
	org, err := dc.Org(ctx)
	if err != nil {
		return err
	}
	b, err := currentEpoch(ctx, dc, f.pins, e)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if isTerminal(e.stderr) {
		bar = progressbar.NewOptions(len(sels), progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription(sub),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("selectors"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	opts := deconflict.RunOptions{Org: org, Ref: f.ref, Expires: expires, Check: check, BatchSize: f.batch}
	if bar != nil {
		opts.Progress = func(done int) { _ = bar.Set(done) }
	}
	batches, err := dc.Run(ctx, b, sels, opts)
	if bar != nil {
		_ = bar.Finish()
	}
	accepted := 0
	coordinated := false
	var hits [][]string
	for _, bt := range batches {
		accepted += bt.Accepted
		coordinated = coordinated || bt.Coordinated
		for _, h := range bt.Hits {
			line := ""
			if h.Index != nil {
				line = where[bt.Start+*h.Index]
			}
			hits = append(hits, []string{strconv.FormatInt(h.ID, 10), line, h.Type, h.OtherOrg, h.OtherContact})
		}
	}
	verb := map[string]string{"register": "registered", "rotate": "registered", "check": "checked"}[sub]
	if err != nil {
		fmt.Fprintf(e.stdout, "%s %d of %d selectors before the error (epoch %d)\n", verb, accepted, len(sels), b.Epoch())
		return err
	}
	what := fmt.Sprintf("%s %d selectors in epoch %d", verb, accepted, b.Epoch())
	if !check {
		what += fmt.Sprintf(" under %s, until %s", f.ref, expires.UTC().Format(time.DateTime)+" UTC")
	}
	if coordinated {
		fmt.Fprintf(e.stdout, "%s; hits go to the cell's coordinator, who contacts both sides\n", what)
		return nil
	}
	fmt.Fprintf(e.stdout, "%s; %d hits\n", what, len(hits))
	if len(hits) > 0 {
		table(e, "HIT\tLINE\tTYPE\tOTHER SIDE\tCONTACT", hits)
		fmt.Fprintln(e.stdout, "the other side is told of each hit too, with its own reference")
	}
	return nil
}
