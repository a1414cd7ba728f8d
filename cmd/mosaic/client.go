package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"mosaic/api"
)

// client talks to a Mosaic server for the client commands.
type client struct {
	base  *url.URL
	token string
	http  *http.Client
}

func getenv(e env, key string) string {
	for _, kv := range e.environ {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	return ""
}

// newClient reads MOSAIC_URL (default http://127.0.0.1:8080) and
// MOSAIC_TOKEN.
func newClient(e env) (*client, error) {
	raw := getenv(e, "MOSAIC_URL")
	if raw == "" {
		raw = "http://127.0.0.1:8080"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("MOSAIC_URL %q: want http://HOST:PORT or https://HOST", raw)
	}
	tok := getenv(e, "MOSAIC_TOKEN")
	if tok == "" {
		return nil, errors.New("set MOSAIC_TOKEN to your API token (an admin creates one with mosaic token create)")
	}
	return &client{base: u, token: tok, http: &http.Client{Timeout: 10 * time.Minute}}, nil
}

// apiError is a problem+json answer.
type apiError struct {
	status int
	p      api.Problem
}

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", e.status, e.p.Title, e.p.Detail)
	for i, p := range e.p.Problems {
		if i == 20 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(e.p.Problems)-20)
			break
		}
		b.WriteString("\n  ")
		if p.Object != "" {
			b.WriteString(p.Object + " ")
		}
		if p.Property != "" {
			b.WriteString(p.Property + ": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// do sends a request and decodes a JSON answer into out.
func (c *client) do(ctx context.Context, method, path string, q url.Values, body []byte, ctype string, out any) error {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		e := &apiError{status: resp.StatusCode}
		if json.Unmarshal(b, &e.p) != nil || e.p.Title == "" {
			e.p.Title, e.p.Detail = http.StatusText(resp.StatusCode), strings.TrimSpace(string(b))
		}
		return e
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// isTerminal reports whether w is a terminal, where progress bars belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func newBundleID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("bundle--%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func parseClientFlags(name string, args []string, e env, define func(fs *flag.FlagSet)) (*flag.FlagSet, error) {
	fs := flag.NewFlagSet("mosaic "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	define(fs)
	if err := fs.Parse(reorder(fs, args)); err != nil {
		return nil, errUsage
	}
	return fs, nil
}

// filterFlags are the listing filters export and search share.
type filterFlags struct {
	types, originators, tlps, audience               string
	createdAfter, createdBefore, modAfter, modBefore string
}

func (f *filterFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.types, "type", "", "STIX types, comma-separated")
	fs.StringVar(&f.originators, "originator", "", "originating organisations, comma-separated")
	fs.StringVar(&f.tlps, "tlp", "", "TLP levels, comma-separated")
	fs.StringVar(&f.audience, "audience", "", "originator, cell or compartment:NAME")
	fs.StringVar(&f.createdAfter, "created-after", "", "created after this time or date")
	fs.StringVar(&f.createdBefore, "created-before", "", "created before this time or date")
	fs.StringVar(&f.modAfter, "modified-after", "", "modified after this time or date")
	fs.StringVar(&f.modBefore, "modified-before", "", "modified before this time or date")
}

func (f *filterFlags) query() url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"type": f.types, "originator": f.originators, "tlp": f.tlps, "audience": f.audience,
		"created_after": f.createdAfter, "created_before": f.createdBefore, "modified_after": f.modAfter, "modified_before": f.modBefore} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}
