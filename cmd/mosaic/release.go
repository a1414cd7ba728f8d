package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"mosaic/api"
	"mosaic/release"
	"mosaic/secretfile"
)

const releaseUsage = `Usage:
  mosaic release pin [--key-id ID] [--pins FILE]   trust the server's release signing keys (MOSAIC_URL)
  mosaic release verify [--pins FILE] FILE          check a downloaded release snapshot offline
  mosaic release rotate-key [--config FILE] ...     add a signing key to the server's release key file

pin fetches the public keys from MOSAIC_URL/api/v1/releases/keys (no token
needed) and keeps them in the pin file (default: your config directory's
mosaic/release-pins.json), over https only (or from this machine). Name
the key id the cell gave you by another channel with --key-id: only that
key is pinned, and only if the server serves it. Without --key-id every
key served is pinned; compare their ids with the cell's. Pinning again adds
keys the server has added since.

verify checks that FILE's snapshot has the digest it was signed with and
that the signature holds for a pinned key; it reads nothing from the
network.

rotate-key runs beside the server, on its configuration (release_key, or
release.key in --data): the new key signs from the next start of the
server on; earlier keys stay in the file and published, so snapshots they
signed still verify. Restart the server after it.
`

func releaseCmd(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(e.stderr, releaseUsage)
		return errUsage
	}
	sub := args[0]
	if sub == "rotate-key" {
		return releaseRotate(args[1:], e)
	}
	var pins, keyID string
	fs, err := parseClientFlags("release "+sub, args[1:], e, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(e.stderr, releaseUsage) }
		fs.StringVar(&pins, "pins", "", "pin file")
		fs.StringVar(&keyID, "key-id", "", "a signing key's id, as the cell gave it")
	})
	if err != nil {
		return err
	}
	if pins == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fmt.Errorf("no config directory for the pin file (%v); name one with --pins", err)
		}
		pins = filepath.Join(dir, "mosaic", "release-pins.json")
	}
	switch sub {
	case "pin":
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		return releasePin(ctx, pins, keyID, e)
	case "verify":
		if fs.NArg() != 1 {
			return errors.New("name one snapshot file")
		}
		return releaseVerify(pins, fs.Arg(0), e)
	}
	fmt.Fprintf(e.stderr, "mosaic release: unknown command %q\n\n%s", sub, releaseUsage)
	return errUsage
}

// loadReleasePins reads the pinned keys; a missing file holds none.
func loadReleasePins(path string) ([]release.PublicKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []release.PublicKey
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, fmt.Errorf("%s: not a release pin file: %w", path, err)
	}
	for _, k := range keys {
		if !k.Valid() {
			return nil, fmt.Errorf("%s: the pin %q is not a key under its own id; delete the file and pin again", path, k.ID)
		}
	}
	return keys, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func releasePin(ctx context.Context, path, keyID string, e env) error {
	raw := getenv(e, "MOSAIC_URL")
	if raw == "" {
		raw = "http://127.0.0.1:8080"
	}
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(raw, "/")+"/api/v1/releases/keys", nil)
	if err != nil {
		return fmt.Errorf("MOSAIC_URL %q: %w", raw, err)
	}
	if req.URL.Scheme != "https" && !loopback(req.URL.Hostname()) {
		// Whoever sits on a plain connection could serve a key of its
		// own beside the cell's.
		return fmt.Errorf("MOSAIC_URL %q: keys are pinned over https only (or from this machine)", raw)
	}
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", req.URL, resp.Status)
	}
	var got api.ReleaseKeys
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		return fmt.Errorf("%s: %w", req.URL, err)
	}
	var served []release.PublicKey
	for _, k := range got.Keys {
		// The id is the key's own digest: a key served under another's
		// id is refused, not pinned.
		if !k.Valid() {
			return fmt.Errorf("the server serves a key whose id %q is not its own; nothing pinned", k.ID)
		}
		served = append(served, k)
	}
	if keyID != "" {
		// Only the key the cell named: another key served beside it was
		// checked by no one.
		i := slices.IndexFunc(served, func(k release.PublicKey) bool { return k.ID == strings.ToLower(keyID) })
		if i < 0 {
			return fmt.Errorf("the server's keys do not include %s; nothing pinned", keyID)
		}
		served = served[i : i+1]
	}
	pinned, err := loadReleasePins(path)
	if err != nil {
		return err
	}
	added := 0
	for _, k := range served {
		if !slices.ContainsFunc(pinned, func(p release.PublicKey) bool { return p.ID == k.ID }) {
			pinned = append(pinned, k)
			added++
			fmt.Fprintf(e.stdout, "pinned release signing key %s (signing from %s)\n", k.ID, k.NotBefore.Format(time.DateTime))
		}
	}
	if added == 0 {
		fmt.Fprintln(e.stdout, "no new keys; the pin file is as it was")
		return nil
	}
	if keyID == "" {
		fmt.Fprintln(e.stdout, "compare the key ids with the ones the cell gives you by another channel; if they differ, delete the pin file")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(pinned, "", "  ")
	if err != nil {
		return err
	}
	return secretfile.Write(path, append(b, '\n'))
}

func releaseVerify(pins, file string, e env) error {
	keys, err := loadReleasePins(pins)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return fmt.Errorf("no release keys are pinned in %s; run mosaic release pin first", pins)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	s, err := release.Verify(b, keys)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	fmt.Fprintf(e.stdout, "%s: verified: digest %s, signed with key %s\n", file, s.Digest, s.KeyID)
	return nil
}

func releaseRotate(args []string, e env) error {
	c, rest, err := loadConfig("release rotate-key", args, e)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected arguments %q", rest)
	}
	path, ok := releaseKeyPath(c)
	if !ok {
		return errors.New("with db set, name the release key file with release_key")
	}
	k, err := release.LoadKeys(path)
	if err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	if err := k.RotateSigner(time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release signing key %s added to %s; it signs once the server is restarted. Recipients pin it with mosaic release pin.\n", k.Current().ID, path)
	return nil
}
