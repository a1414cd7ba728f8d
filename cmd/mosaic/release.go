package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mosaic"
	"mosaic/api"
	"mosaic/content"
	"mosaic/release"
	"mosaic/secretfile"
)

const releaseUsage = `Usage:
  mosaic release draft [flags] | --file draft.json  draft a release (partner analysts and liaisons)
  mosaic release revise ID --revision N [flags]     make the next revision of a draft
  mosaic release list [--state S] [--json]          the releases you draft, are asked about or received
  mosaic release show [--json] ID                   one release: the cell's side, or what you received
  mosaic release consent ID --revision N --approve | --refuse REASON | --sanitise FILE [--attribute]
  mosaic release publish ID [--revision N]          publish once every consent is in
  mosaic release withdraw ID --reason R             withdraw a published release
  mosaic release get ID [--out FILE]                download the sealed snapshot delivered to you
  mosaic release ack ID --status S [--comment C]    acknowledge a release, or report its status
  mosaic release pin [--key-id ID] [--pins FILE]    trust the server's release signing keys (MOSAIC_URL)
  mosaic release verify [--pins FILE] [--online] FILE   check a downloaded release snapshot
  mosaic release rotate-key [--config FILE] ...     add a signing key to the server's release key file

Every command but rotate-key talks to MOSAIC_URL. draft, revise, consent,
publish, withdraw, ack and verify --online need MOSAIC_TOKEN; list, show
and get without a token read what was released to the public.

draft and revise take --title, --advice TEXT or --advice-file FILE ("-":
standard input), --to RECIPIENT for each recipient (public, sector:NAME,
org:NAME, user:NAME), --object ID[@MODIFIED][#ORIGINATOR] for each object
released and --source likewise for what the advice relies on (MODIFIED
is the version's modified, left out for an observable; without
ORIGINATOR every originator's version you can see counts), --dangling
drop to leave out references to objects the release does not hold
(refuse, the default, names them), --hold to ask nobody yet and
--supersedes ID; or --file with the draft as JSON (the API's body of
POST /api/v1/releases). A revision names the revision it replaces with
--revision, and voids every consent given.

consent decides for your organisation, as its liaison, on revision N
(what you read with show): --approve; --refuse with a reason; or
--sanitise FILE, approving your organisation's own objects as the JSON
FILE says: {"ID": {"remove": [...], "rewrite": {...}, "generalise":
["addresses", "urls", "hashes", "file-names", "times"], "tlp": "green"}}.
--attribute lets recipients see that the information came from you.

get writes the sealed snapshot to FILE (default release-ID.json) and
prints where; verify checks it.

pin fetches the public keys from MOSAIC_URL/api/v1/releases/keys (no token
needed) and keeps them in the pin file (default: your config directory's
mosaic/release-pins.json), over https only (or from this machine). Name
the key id the cell gave you by another channel with --key-id: only that
key is pinned, and only if the server serves it. Without --key-id every
key served is pinned; compare their ids with the cell's. Pinning again adds
keys the server has added since.

verify checks that FILE's snapshot has the digest it was signed with and
that the signature holds for a pinned key; it reads nothing from the
network. With --online it then asks the server (with your token) whether
the release was withdrawn, checks the signed withdrawal entry against the
pinned keys too, and reports WITHDRAWN with a non-zero exit status.

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
	sub, args := args[0], args[1:]
	switch sub {
	case "rotate-key":
		return releaseRotate(args, e)
	case "pin", "verify":
		return releasePinOrVerify(ctx, sub, args, e)
	}
	cmds := map[string]func(context.Context, []string, env) error{
		"draft":  func(ctx context.Context, args []string, e env) error { return releaseDraftCmd(ctx, args, e, false) },
		"revise": func(ctx context.Context, args []string, e env) error { return releaseDraftCmd(ctx, args, e, true) },
		"list":   releaseListCmd, "show": releaseShowCmd, "consent": releaseConsentCmd, "publish": releasePublishCmd,
		"withdraw": releaseWithdrawCmd, "get": releaseGetCmd, "ack": releaseAckCmd,
	}
	cmd, ok := cmds[sub]
	if !ok {
		fmt.Fprintf(e.stderr, "mosaic release: unknown command %q\n\n%s", sub, releaseUsage)
		return errUsage
	}
	return cmd(ctx, args, e)
}

// defaultPins is the pin file of the user's config directory.
func defaultPins() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory for the pin file (%v); name one with --pins", err)
	}
	return filepath.Join(dir, "mosaic", "release-pins.json"), nil
}

func releasePinOrVerify(ctx context.Context, sub string, args []string, e env) error {
	var pins, keyID string
	var online bool
	fs, err := parseClientFlags("release "+sub, args, e, func(fs *flag.FlagSet) {
		fs.Usage = func() { fmt.Fprint(e.stderr, releaseUsage) }
		fs.StringVar(&pins, "pins", "", "pin file")
		if sub == "pin" {
			fs.StringVar(&keyID, "key-id", "", "a signing key's id, as the cell gave it")
		} else {
			fs.BoolVar(&online, "online", false, "also ask the server whether the release was withdrawn")
		}
	})
	if err != nil {
		return err
	}
	if pins == "" {
		if pins, err = defaultPins(); err != nil {
			return err
		}
	}
	if sub == "pin" {
		if fs.NArg() > 0 {
			return fmt.Errorf("unexpected arguments %q", fs.Args())
		}
		return releasePin(ctx, pins, keyID, e)
	}
	if fs.NArg() != 1 {
		return errors.New("name one snapshot file")
	}
	return releaseVerify(ctx, pins, fs.Arg(0), online, e)
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

func releaseVerify(ctx context.Context, pins, file string, online bool, e env) error {
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
	if !online {
		return nil
	}
	var snap struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(s.Snapshot, &snap); err != nil || snap.Type != release.SnapshotType || snap.ID == "" {
		return fmt.Errorf("%s: the snapshot names no release to look up", file)
	}
	return releaseWithdrawn(ctx, keys, snap.ID, e)
}

// errWithdrawn ends mosaic release verify --online for a withdrawn
// release with a non-zero exit status; the report is already written.
var errWithdrawn = errors.New("the release was withdrawn")

// releaseWithdrawn asks the server for the withdrawal entry of release id
// and checks it against the pinned keys: a withdrawal the cell did not
// sign is no withdrawal, and neither is an entry for another release.
func releaseWithdrawn(ctx context.Context, keys []release.PublicKey, id string, e env) error {
	c, err := newClient(e)
	if err != nil {
		return err
	}
	var entry json.RawMessage
	err = c.do(ctx, "GET", "/api/v1/releases/"+url.PathEscape(id)+"/withdrawal", nil, nil, "", &entry)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		fmt.Fprintf(e.stdout, "release %s: not withdrawn (the server holds no withdrawal of it delivered to you)\n", id)
		return nil
	}
	if err != nil {
		return fmt.Errorf("asking whether release %s was withdrawn: %w", id, err)
	}
	w, err := release.VerifyWithdrawal(entry, keys)
	if err != nil {
		return fmt.Errorf("release %s: the server's withdrawal entry does not verify: %w", id, err)
	}
	if w.Release != id {
		return fmt.Errorf("release %s: the server's withdrawal entry is for release %s", id, w.Release)
	}
	fmt.Fprintf(e.stdout, "WITHDRAWN: release %s was withdrawn at %s (the entry verified)\n", id, w.Withdrawn)
	var d struct {
		WithdrawReason string `json:"withdraw_reason"`
	}
	if c.do(ctx, "GET", "/api/v1/releases/"+url.PathEscape(id), nil, nil, "", &d) == nil && d.WithdrawReason != "" {
		fmt.Fprintf(e.stdout, "reason: %s\n", d.WithdrawReason)
	}
	return errWithdrawn
}

// pinFlag reads a pin as draft and revise take it:
// ID[@MODIFIED][#ORIGINATOR].
type pinFlag []content.Pin

func (p *pinFlag) String() string { return fmt.Sprint(*p) }
func (p *pinFlag) Set(v string) error {
	pin, err := content.ParsePin(v)
	if err != nil {
		return err
	}
	*p = append(*p, pin)
	return nil
}

// releaseArg reads the one argument, a release's id.
func releaseArg(fs *flag.FlagSet, e env, usage string) (string, error) {
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: "+usage)
		return "", errUsage
	}
	return fs.Arg(0), nil
}

func releasePath(id string, more ...string) string {
	return "/api/v1/releases/" + url.PathEscape(id) + strings.Join(more, "")
}

func releaseDraftCmd(ctx context.Context, args []string, e env, revise bool) error {
	name, usage := "release draft", "mosaic release draft [flags] | --file draft.json"
	if revise {
		name, usage = "release revise ID", "mosaic release revise ID --revision N [flags] | --file draft.json"
	}
	var d content.Draft
	var to stringList
	var objects, sources pinFlag
	var adviceFile, file, deadline string
	fs, err := parseClientFlags(name, args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&d.Title, "title", "", "the release's title")
		fs.StringVar(&d.Advice, "advice", "", "what the recipients should do")
		fs.StringVar(&adviceFile, "advice-file", "", "a file holding the advice (-: standard input)")
		fs.StringVar(&d.AdviceNL, "advice-nl", "", "the advice in Dutch, for recipients who read Dutch")
		fs.StringVar(&deadline, "deadline", "", "when the consents are needed by, as 2026-12-31T12:00:00Z or a duration from now such as 48h")
		fs.Var(&to, "to", "a recipient: public, sector:NAME, org:NAME or user:NAME (repeat for more)")
		fs.Var(&objects, "object", "an object released, ID[@MODIFIED][#ORIGINATOR] (repeat for more)")
		fs.Var(&sources, "source", "what the advice relies on, ID[@MODIFIED][#ORIGINATOR] (repeat for more)")
		fs.StringVar(&d.Dangling, "dangling", "", "refuse (the default) or drop references to objects the release does not hold")
		fs.BoolVar(&d.Hold, "hold", false, "keep the draft to your organisation: ask nobody yet")
		fs.StringVar(&d.Supersedes, "supersedes", "", "a published release of your organisation this one replaces")
		fs.StringVar(&file, "file", "", "the draft as JSON, instead of the flags above")
		if revise {
			fs.IntVar(&d.Revision, "revision", 0, "the release's current revision, which this one replaces")
		}
	})
	if err != nil {
		return err
	}
	id := ""
	if revise {
		if id, err = releaseArg(fs, e, usage); err != nil {
			return err
		}
	} else if fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: "+usage)
		return errUsage
	}
	if file != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, n := range []string{"title", "advice", "advice-file", "advice-nl", "deadline", "to", "object", "source", "dangling", "hold", "supersedes"} {
			if set[n] {
				return fmt.Errorf("--file holds the whole draft: leave out --%s", n)
			}
		}
		rev := d.Revision
		b, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		d = content.Draft{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			return fmt.Errorf("%s: not a draft: %w", file, err)
		}
		if rev != 0 {
			d.Revision = rev
		}
	} else {
		if adviceFile != "" {
			if d.Advice != "" {
				return errors.New("give the advice with --advice or --advice-file, not both")
			}
			if d.Advice, err = readTextFile(adviceFile, e); err != nil {
				return err
			}
		}
		d.Recipients, d.Objects, d.Sources = to, objects, sources
		if deadline != "" {
			if d.Deadline, err = parseDeadline(deadline, time.Now()); err != nil {
				return err
			}
		}
	}
	if revise && d.Revision <= 0 {
		return errors.New("name the revision you revise with --revision (show tells it)")
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	var r api.Release
	if revise {
		err = c.do(ctx, "PUT", releasePath(id), nil, body, "application/json", &r)
	} else {
		err = c.do(ctx, "POST", "/api/v1/releases", nil, body, "application/json", &r)
	}
	if err != nil {
		return err
	}
	verb := "drafted"
	if revise {
		verb = "revised"
	}
	fmt.Fprintf(e.stdout, "release %s %s: revision %d, %s, %s, %d objects\n", r.ID, verb, r.Revision, r.State, r.TLP.Label(), countItems(r.Items, mosaic.ItemObject))
	if r.State == mosaic.ReleaseDraft {
		fmt.Fprintln(e.stdout, "on hold: nobody is asked yet")
	} else if len(r.Consents) > 0 {
		fmt.Fprintf(e.stdout, "consent asked of %s\n", strings.Join(consentOrgs(r.Consents), ", "))
	}
	return nil
}

// readTextFile reads a text file, or standard input for "-".
func readTextFile(name string, e env) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(e.stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	return strings.TrimRight(string(b), "\n"), err
}

func countItems(items []api.ReleaseItem, role string) int {
	n := 0
	for _, it := range items {
		if it.Role == role {
			n++
		}
	}
	return n
}

func consentOrgs(cs []mosaic.ReleaseConsent) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Org
	}
	return out
}

// readClient is the client of a read: with MOSAIC_TOKEN the user's, and
// without one on the paths of what was released to the public.
func readClient(e env) (c *client, base string, err error) {
	if getenv(e, "MOSAIC_TOKEN") == "" {
		c, err = publicClient(e)
		return c, "/api/v1/public/releases", err
	}
	c, err = newClient(e)
	return c, "/api/v1/releases", err
}

func releaseListCmd(ctx context.Context, args []string, e env) error {
	var states stringList
	var asJSON bool
	fs, err := parseClientFlags("release list", args, e, func(fs *flag.FlagSet) {
		fs.Var(&states, "state", "only releases in this state: draft, awaiting-consent, ready, published, withdrawn (repeat for more)")
		fs.BoolVar(&asJSON, "json", false, "print the releases as JSON")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: mosaic release list [--state S] [--json]")
		return errUsage
	}
	c, base, err := readClient(e)
	if err != nil {
		return err
	}
	q := url.Values{"limit": {"1000"}}
	if len(states) > 0 {
		q.Set("state", strings.Join(states, ","))
	}
	var all []mosaic.ReleaseSummary
	for {
		var page api.ReleasePage
		if err := c.do(ctx, "GET", base, q, nil, "", &page); err != nil {
			return err
		}
		all = append(all, page.Releases...)
		if page.Next == "" {
			break
		}
		q.Set("cursor", page.Next)
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	var rows [][]string
	for _, r := range all {
		rev, when := "", r.Updated
		if r.Revision > 0 {
			rev = strconv.Itoa(r.Revision)
		}
		if !r.Published.IsZero() {
			when = r.Published
		}
		rows = append(rows, []string{r.ID, string(r.State), rev, r.TLP.Label(), when.UTC().Format(timeLayout), r.Recipient, r.Title})
	}
	table(e, "ID\tSTATE\tREV\tTLP\tUPDATED\tTO YOU AS\tTITLE", rows)
	if len(rows) == 0 {
		fmt.Fprintln(e.stderr, "no releases that you may see")
	}
	return nil
}

func releaseShowCmd(ctx context.Context, args []string, e env) error {
	var asJSON bool
	fs, err := parseClientFlags("release show ID", args, e, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the release as JSON")
	})
	if err != nil {
		return err
	}
	id, err := releaseArg(fs, e, "mosaic release show [--json] ID")
	if err != nil {
		return err
	}
	c, base, err := readClient(e)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := c.do(ctx, "GET", base+"/"+url.PathEscape(id), nil, nil, "", &raw); err != nil {
		return err
	}
	if asJSON {
		var out bytes.Buffer
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			return err
		}
		out.WriteByte('\n')
		_, err := e.stdout.Write(out.Bytes())
		return err
	}
	var probe struct {
		Revision *int `json:"revision"`
	}
	_ = json.Unmarshal(raw, &probe)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	if probe.Revision == nil {
		var d api.Delivery
		if err := json.Unmarshal(raw, &d); err != nil {
			return err
		}
		showDelivery(tw, d)
		return tw.Flush()
	}
	var r api.Release
	if err := json.Unmarshal(raw, &r); err != nil {
		return err
	}
	fmt.Fprintf(tw, "release\t%s\n", r.ID)
	fmt.Fprintf(tw, "title\t%s\n", r.Title)
	fmt.Fprintf(tw, "state\t%s, revision %d\n", r.State, r.Revision)
	fmt.Fprintf(tw, "tlp\t%s\n", r.TLP.Label())
	fmt.Fprintf(tw, "drafted by\t%s (%s), %s\n", r.Drafter, r.DrafterOrg, r.Created.UTC().Format(timeLayout))
	fmt.Fprintf(tw, "recipients\t%s\n", strings.Join(r.Recipients, ", "))
	if r.Supersedes != "" {
		fmt.Fprintf(tw, "supersedes\t%s\n", r.Supersedes)
	}
	for _, cs := range r.Consents {
		fmt.Fprintf(tw, "consent of %s\t%s\n", cs.Org, consentLine(cs))
	}
	for _, it := range r.Items {
		v := it.ID
		if it.Modified != "" {
			v += "@" + it.Modified
		}
		orcon := ""
		if it.ORCON {
			orcon = ", ORCON"
		}
		fmt.Fprintf(tw, "%s\t%s of %s, %s%s\n", it.Role, v, it.Originator, it.TLP.Label(), orcon)
	}
	if !r.Published.IsZero() {
		fmt.Fprintf(tw, "published\t%s, digest %s\n", r.Published.UTC().Format(timeLayout), r.Digest)
	}
	if !r.Withdrawn.IsZero() {
		fmt.Fprintf(tw, "withdrawn\t%s: %s\n", r.Withdrawn.UTC().Format(timeLayout), r.WithdrawReason)
	}
	if !r.Deadline.IsZero() {
		fmt.Fprintf(tw, "consents needed by\t%s\n", r.Deadline.UTC().Format(timeLayout))
	}
	fmt.Fprintf(tw, "advice\t%s\n", r.Advice)
	if r.AdviceNL != "" {
		fmt.Fprintf(tw, "advice (nl)\t%s\n", r.AdviceNL)
	}
	if r.Delivery != nil {
		fmt.Fprintf(tw, "\ndelivered to you\t\n")
		showDelivery(tw, *r.Delivery)
	}
	return tw.Flush()
}

func showDelivery(tw io.Writer, d api.Delivery) {
	fmt.Fprintf(tw, "release\t%s\n", d.ID)
	fmt.Fprintf(tw, "title\t%s\n", d.Title)
	fmt.Fprintf(tw, "tlp\t%s\n", d.TLP.Label())
	fmt.Fprintf(tw, "to you as\t%s\n", d.Recipient)
	fmt.Fprintf(tw, "published\t%s\n", d.Published.UTC().Format(timeLayout))
	if d.Supersedes != "" {
		fmt.Fprintf(tw, "supersedes\t%s\n", d.Supersedes)
	}
	var b struct {
		Objects []struct {
			Type string `json:"type"`
		} `json:"objects"`
	}
	_ = json.Unmarshal(d.Bundle, &b)
	types := map[string]int{}
	for _, o := range b.Objects {
		types[o.Type]++
	}
	var counts []string
	for _, t := range slices.Sorted(maps.Keys(types)) {
		counts = append(counts, fmt.Sprintf("%d %s", types[t], t))
	}
	fmt.Fprintf(tw, "bundle\t%s\n", strings.Join(counts, ", "))
	fmt.Fprintf(tw, "snapshot\tdigest %s, signed with key %s (mosaic release get, then verify)\n", d.Digest, d.KeyID)
	if !d.Withdrawn.IsZero() {
		fmt.Fprintf(tw, "WITHDRAWN\t%s: %s\n", d.Withdrawn.UTC().Format(timeLayout), d.WithdrawReason)
	}
	fmt.Fprintf(tw, "advice\t%s\n", d.Advice)
}

func releaseConsentCmd(ctx context.Context, args []string, e env) error {
	var c content.Consent
	var approve bool
	var refuse, sanitise string
	fs, err := parseClientFlags("release consent ID", args, e, func(fs *flag.FlagSet) {
		fs.IntVar(&c.Revision, "revision", 0, "the revision you decide on, as show tells it")
		fs.BoolVar(&approve, "approve", false, "approve the release as it is")
		fs.StringVar(&refuse, "refuse", "", "refuse it, for this reason")
		fs.StringVar(&sanitise, "sanitise", "", "approve your organisation's objects sanitised as this JSON file says")
		fs.BoolVar(&c.Attribute, "attribute", false, "let recipients see that the information came from your organisation")
	})
	if err != nil {
		return err
	}
	usage := "mosaic release consent ID --revision N --approve | --refuse REASON | --sanitise FILE [--attribute]"
	id, err := releaseArg(fs, e, usage)
	if err != nil {
		return err
	}
	decisions := 0
	for _, set := range []bool{approve, refuse != "", sanitise != ""} {
		if set {
			decisions++
		}
	}
	if decisions != 1 || c.Revision <= 0 {
		fmt.Fprintln(e.stderr, "usage: "+usage+"\n(one decision, and the revision it is for)")
		return errUsage
	}
	switch {
	case approve:
		c.Decision = content.DecideApprove
	case refuse != "":
		c.Decision, c.Reason = content.DecideRefuse, refuse
	default:
		b, err := os.ReadFile(sanitise)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c.Sanitise); err != nil {
			return fmt.Errorf("%s: not a sanitisation ({\"ID\": {\"remove\", \"rewrite\", \"generalise\", \"tlp\"}}): %w", sanitise, err)
		}
		c.Decision = content.DecideApproveSanitised
	}
	cl, err := newClient(e)
	if err != nil {
		return err
	}
	body, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var r api.Release
	if err := cl.do(ctx, "POST", releasePath(id, "/consents"), nil, body, "application/json", &r); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release %s revision %d: %s; the release is %s\n", r.ID, r.Revision, c.Decision, r.State)
	return nil
}

func releasePublishCmd(ctx context.Context, args []string, e env) error {
	var req api.PublishRequest
	fs, err := parseClientFlags("release publish ID", args, e, func(fs *flag.FlagSet) {
		fs.IntVar(&req.Revision, "revision", 0, "publish only if this is the current revision")
	})
	if err != nil {
		return err
	}
	id, err := releaseArg(fs, e, "mosaic release publish ID [--revision N]")
	if err != nil {
		return err
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(req)
	var r api.Release
	if err := c.do(ctx, "POST", releasePath(id, "/publish"), nil, body, "application/json", &r); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release %s published: revision %d, %s, digest %s\n", r.ID, r.Revision, r.TLP.Label(), r.Digest)
	return nil
}

func releaseWithdrawCmd(ctx context.Context, args []string, e env) error {
	var req api.WithdrawRequest
	fs, err := parseClientFlags("release withdraw ID", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&req.Reason, "reason", "", "why, as the recipients are told")
	})
	if err != nil {
		return err
	}
	id, err := releaseArg(fs, e, "mosaic release withdraw ID --reason R")
	if err != nil {
		return err
	}
	if strings.TrimSpace(req.Reason) == "" {
		return errors.New("a withdrawal needs --reason, which its recipients are told")
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(req)
	var r api.Release
	if err := c.do(ctx, "POST", releasePath(id, "/withdraw"), nil, body, "application/json", &r); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release %s withdrawn: %s\n", r.ID, r.WithdrawReason)
	return nil
}

func releaseGetCmd(ctx context.Context, args []string, e env) error {
	var out string
	fs, err := parseClientFlags("release get ID", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "write the sealed snapshot to this file (default release-ID.json)")
	})
	if err != nil {
		return err
	}
	id, err := releaseArg(fs, e, "mosaic release get ID [--out FILE]")
	if err != nil {
		return err
	}
	c, base, err := readClient(e)
	if err != nil {
		return err
	}
	if out == "" {
		if strings.ContainsAny(id, `/\`) {
			return fmt.Errorf("release id %q: name the file with --out", id)
		}
		out = "release-" + id + ".json"
	}
	var file json.RawMessage
	if err := c.do(ctx, "GET", base+"/"+url.PathEscape(id)+"/snapshot", nil, nil, "", &file); err != nil {
		return err
	}
	f, err := tempBeside(out)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(file); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release %s: sealed snapshot written to %s; check it with mosaic release verify %s\n", id, out, out)
	return nil
}

func releaseAckCmd(ctx context.Context, args []string, e env) error {
	var req api.ReceiptRequest
	var status string
	fs, err := parseClientFlags("release ack ID", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&status, "status", "", "received, in-progress, applied, not-affected or need-help")
		fs.StringVar(&req.Comment, "comment", "", "a comment for the cell")
	})
	if err != nil {
		return err
	}
	id, err := releaseArg(fs, e, "mosaic release ack ID --status S [--comment C]")
	if err != nil {
		return err
	}
	req.Status = mosaic.ReceiptStatus(status)
	if !slices.Contains(mosaic.ReceiptStatuses, req.Status) {
		return fmt.Errorf("--status %q: want received, in-progress, applied, not-affected or need-help", status)
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(req)
	if err := c.do(ctx, "POST", releasePath(id, "/receipts"), nil, body, "application/json", nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "release %s: %s reported\n", id, req.Status)
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

// parseDeadline reads a consent deadline: a time (RFC 3339) or a duration
// from now, which is what one usually means ("within two days").
func parseDeadline(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--deadline %q is neither a time such as 2026-12-31T12:00:00Z nor a duration such as 48h", s)
}

// consentLine says how an organisation decided, and who: a deputy's
// decision says so, since the drafter may want to hear from the liaison.
func consentLine(cs mosaic.ReleaseConsent) string {
	line := string(cs.State)
	if cs.State != mosaic.ConsentPending {
		line += fmt.Sprintf(" revision %d by %s", cs.Revision, cs.DecidedBy)
		if cs.Deputy {
			line += " (deputy)"
		}
	}
	if len(cs.Sanitise) > 0 && string(cs.Sanitise) != "null" {
		line += ", sanitised"
	}
	if cs.Reason != "" {
		line += ": " + cs.Reason
	}
	return line
}
