package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"mosaic"
	"mosaic/api"
)

// requestsCmd lists, shows and decides the change requests of the
// four-eyes workflow as the token's user: an approver those of its
// organisation, an admin all of them, anyone else those they asked for.
func requestsCmd(ctx context.Context, args []string, e env) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return subcommand(ctx, "requests", args, e, map[string]func(context.Context, []string, env) error{
			"list":    listRequestsCmd,
			"show":    showRequestCmd,
			"approve": func(ctx context.Context, args []string, e env) error { return decideRequestCmd(ctx, args, e, true) },
			"refuse":  func(ctx context.Context, args []string, e env) error { return decideRequestCmd(ctx, args, e, false) },
		})
	}
	return listRequestsCmd(ctx, args, e)
}

const timeLayout = "2006-01-02 15:04 UTC"

func orAnyPartner(org string) string {
	if org == "" {
		return "(any partner)"
	}
	return org
}

func listRequestsCmd(ctx context.Context, args []string, e env) error {
	var all, asJSON bool
	fs, err := parseClientFlags("requests", args, e, func(fs *flag.FlagSet) {
		fs.BoolVar(&all, "all", false, "decided and expired requests too, not only pending ones")
		fs.BoolVar(&asJSON, "json", false, "print the requests as JSON")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: mosaic requests [--all] [--json] | show ID | approve ID | refuse ID [--reason TEXT]")
		return errUsage
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	q := url.Values{}
	if !all {
		q.Set("pending", "true")
	}
	var page api.RequestPage
	if err := c.do(ctx, "GET", "/api/v1/requests", q, nil, "", &page); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(page.Requests)
	}
	var rows [][]string
	for _, r := range page.Requests {
		rows = append(rows, []string{strconv.FormatInt(r.ID, 10), string(r.Kind), orAnyPartner(r.Org), r.Subject, r.RequestedBy,
			r.Expires.UTC().Format(timeLayout), string(r.Status), r.Summary})
	}
	table(e, "ID\tKIND\tORG\tSUBJECT\tREQUESTED BY\tEXPIRES\tSTATUS\tSUMMARY", rows)
	if len(rows) == 0 {
		if all {
			fmt.Fprintln(e.stderr, "no requests that you may see")
		} else {
			fmt.Fprintln(e.stderr, "no pending requests that you may see (--all lists decided ones too)")
		}
	}
	return nil
}

// requestID reads the one argument, a request's id.
func requestID(fs *flag.FlagSet, e env, usage string) (int64, error) {
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: "+usage)
		return 0, errUsage
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("request id %q: want a positive number, as mosaic requests lists them", fs.Arg(0))
	}
	return id, nil
}

func showRequestCmd(ctx context.Context, args []string, e env) error {
	var asJSON bool
	fs, err := parseClientFlags("requests show ID", args, e, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print the request as JSON")
	})
	if err != nil {
		return err
	}
	id, err := requestID(fs, e, "mosaic requests show [--json] ID")
	if err != nil {
		return err
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	var r mosaic.ChangeRequest
	if err := c.do(ctx, "GET", "/api/v1/requests/"+strconv.FormatInt(id, 10), nil, nil, "", &r); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	change, _ := json.Marshal(r.Change)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "request\t%d\n", r.ID)
	fmt.Fprintf(tw, "kind\t%s\n", r.Kind)
	fmt.Fprintf(tw, "summary\t%s\n", r.Summary)
	fmt.Fprintf(tw, "subject\t%s\n", r.Subject)
	fmt.Fprintf(tw, "decided by an approver of\t%s\n", orAnyPartner(r.Org))
	for _, c := range r.Consents {
		state := "waiting"
		if c.DecidedBy != "" {
			state = "agreed by " + c.DecidedBy
		}
		fmt.Fprintf(tw, "needs the agreement of\t%s: %s\n", c.Org, state)
	}
	if r.OthersPending > 0 {
		fmt.Fprintf(tw, "needs the agreement of\t%d other organisations, not yet given\n", r.OthersPending)
	}
	fmt.Fprintf(tw, "requested by\t%s, %s\n", r.RequestedBy, r.Requested.UTC().Format(timeLayout))
	fmt.Fprintf(tw, "expires\t%s\n", r.Expires.UTC().Format(timeLayout))
	fmt.Fprintf(tw, "status\t%s\n", r.Status)
	if r.DecidedBy != "" && r.Decided != nil {
		fmt.Fprintf(tw, "decided by\t%s, %s\n", r.DecidedBy, r.Decided.UTC().Format(timeLayout))
	}
	if r.Reason != "" {
		fmt.Fprintf(tw, "reason\t%s\n", r.Reason)
	}
	fmt.Fprintf(tw, "change\t%s\n", change)
	return tw.Flush()
}

func decideRequestCmd(ctx context.Context, args []string, e env, approve bool) error {
	verb, usage := "approve", "mosaic requests approve ID"
	if !approve {
		verb, usage = "refuse", "mosaic requests refuse ID [--reason TEXT]"
	}
	var reason string
	fs, err := parseClientFlags("requests "+verb+" ID", args, e, func(fs *flag.FlagSet) {
		if !approve {
			fs.StringVar(&reason, "reason", "", "why, kept with the request for whoever asked")
		}
	})
	if err != nil {
		return err
	}
	id, err := requestID(fs, e, usage)
	if err != nil {
		return err
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	var body []byte
	ctype := ""
	if reason != "" {
		body, _ = json.Marshal(api.Decision{Reason: reason})
		ctype = "application/json"
	}
	var d api.Decided
	if err := c.do(ctx, "POST", "/api/v1/requests/"+strconv.FormatInt(id, 10)+"/"+verb, nil, body, ctype, &d); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "request %d %s: %s\n", d.Request.ID, d.Request.Status, d.Request.Summary)
	if d.Code == "" {
		return nil
	}
	until := time.Now()
	if d.Request.Decided != nil {
		until = *d.Request.Decided
	}
	until = until.Add(mosaic.PasswordCodeLifetime)
	user := d.Request.Subject
	fmt.Fprintf(e.stdout, "\nOne-time code for %s: %s\n\n", user, d.Code)
	fmt.Fprintf(e.stdout, "Hand this code to %s yourself, in person or over a channel you trust: with it they set their own\n"+
		"password (mosaic password --user %s, or \"Set your password\" on the sign-in page). It is valid for %d hours,\n"+
		"until %s, and works once. It is shown only this once: Mosaic keeps only its hash.\n",
		user, user, int(mosaic.PasswordCodeLifetime/time.Hour), until.UTC().Format(timeLayout))
	return nil
}

// passwordCmd sets the user's password with a one-time code. It needs no
// token: the code is the credential, and a user who has no password yet
// may have no token either.
func passwordCmd(ctx context.Context, args []string, e env) error {
	var user string
	fs, err := parseClientFlags("password", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "your user name")
	})
	if err != nil {
		return err
	}
	if user == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.stderr, "usage: mosaic password --user NAME   (the one-time code and the new password on standard input, a line each)")
		return errUsage
	}
	c, err := publicClient(e)
	if err != nil {
		return err
	}
	code, password, err := readCodeAndPassword(e)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(api.PasswordRequest{User: user, Code: code, Password: password})
	if err := c.do(ctx, "POST", "/api/v1/password", nil, body, "application/json", nil); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "password of %s set; any sessions of %s have ended\n", user, user)
	return nil
}

// readCodeAndPassword reads the one-time code and the new password: at a
// terminal with prompts and without echo, the password twice; otherwise
// as the first two lines of standard input.
func readCodeAndPassword(e env) (code, password string, err error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		read := func(prompt string) (string, error) {
			fmt.Fprint(e.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			return string(b), err
		}
		if code, err = read("One-time code: "); err != nil {
			return "", "", err
		}
		if password, err = read("New password: "); err != nil {
			return "", "", err
		}
		again, err := read("New password again: ")
		if err != nil {
			return "", "", err
		}
		if again != password {
			return "", "", errors.New("the two passwords differ")
		}
		return strings.TrimSpace(code), password, nil
	}
	br := bufio.NewReader(e.stdin)
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		if err != nil && (err != io.EOF || s == "") {
			return "", err
		}
		return strings.TrimRight(s, "\r\n"), nil
	}
	if code, err = line(); err != nil {
		return "", "", errors.New("no one-time code on standard input (the code, then the new password, a line each)")
	}
	if password, err = line(); err != nil || password == "" {
		return "", "", errors.New("no new password on the second line of standard input")
	}
	return strings.TrimSpace(code), password, nil
}

// publicClient is a client without a token, for POST /api/v1/password.
func publicClient(e env) (*client, error) {
	raw := getenv(e, "MOSAIC_URL")
	if raw == "" {
		raw = "http://127.0.0.1:8080"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("MOSAIC_URL %q: want http://HOST:PORT or https://HOST", raw)
	}
	return &client{base: u, http: &http.Client{Timeout: time.Minute, Transport: withoutToken{http.DefaultTransport}}}, nil
}

// withoutToken drops the Authorization header client.do always sets
// (with an empty token here): the one-time code is the request's only
// credential.
type withoutToken struct{ next http.RoundTripper }

func (t withoutToken) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Del("Authorization")
	return t.next.RoundTrip(r)
}
