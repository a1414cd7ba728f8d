package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"mosaic"
	"mosaic/config"
	"mosaic/feed"
)

// feedCmd administers feeds: remote TAXII 2.1 collections that mosaic serve
// polls and imports from.
func feedCmd(ctx context.Context, args []string, e env) error {
	var name, usr, remoteUser, tokenFile, audience, legal, review, interval string
	var orcon, noCheck bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&usr, "user", "", "local user the objects are imported as; its organisation becomes their originator (add)")
		fs.StringVar(&name, "name", "", "the feed's name (add; default: made from the host and collection)")
		fs.StringVar(&remoteUser, "remote-user", "", "user name on the remote server, for HTTP Basic; without it the token is sent as a Bearer token (add)")
		fs.StringVar(&tokenFile, "token-file", "", "file holding the remote API token or password, readable by its owner only (add)")
		fs.StringVar(&audience, "audience", "", "who may see the imported objects: originator, cell or compartment:NAME[,compartment:NAME] (add; default: the organisation's default)")
		fs.BoolVar(&orcon, "orcon", true, "originator control of the imported objects, --orcon=false to lift it (add; default true)")
		fs.StringVar(&legal, "legal-basis", "", "legal basis of the imported objects (add; default: the organisation's legal regime)")
		fs.StringVar(&review, "review-by", "", "review date YYYY-MM-DD of the imported objects (add; default: by legal basis)")
		fs.StringVar(&interval, "interval", "15m", "time between polls, such as 15m, 6h or 1d (add)")
		fs.BoolVar(&noCheck, "no-check", false, "add without checking that the token file and the remote collection can be read (add)")
	}
	return subcommand(ctx, "feed", args, e, map[string]func(context.Context, []string, env) error{
		"add": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "feed add URL COLLECTION", args, e, define, func(a *adminCtx) error {
				if err := a.need(2, "the remote API root URL and the collection's id or title"); err != nil {
					return err
				}
				set := map[string]bool{}
				a.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				f := mosaic.Feed{Name: name, URL: a.args[0], Collection: a.args[1], User: usr, RemoteUser: remoteUser}
				if usr == "" {
					return errors.New("--user names the local user the objects are imported as")
				}
				if !strings.HasSuffix(f.URL, "/") && !strings.ContainsAny(f.URL, "?#") {
					f.URL += "/" // TAXII §3.1: API roots end with a slash
				}
				if err := mosaic.CheckFeedURL(f.URL); err != nil {
					return err
				}
				if tokenFile != "" {
					// The server may run in another directory than this
					// command.
					abs, err := filepath.Abs(tokenFile)
					if err != nil {
						return err
					}
					f.TokenFile = abs
				}
				if set["audience"] {
					aud, err := mosaic.ParseAudience(audience)
					if err != nil {
						return err
					}
					f.Audience = &aud
				}
				if set["orcon"] {
					f.ORCON = &orcon
				}
				if set["legal-basis"] {
					f.LegalBasis = &legal
				}
				if set["review-by"] {
					f.ReviewBy = &review
				}
				d, err := config.ParseDuration(interval)
				if err != nil {
					return err
				}
				f.Interval = d
				// Everything that can be checked here first, before the
				// remote is asked; the name may still be made.
				probe := f
				if probe.Name == "" {
					probe.Name = "unnamed"
				}
				if err := probe.Validate(); err != nil {
					return err
				}
				if err := feed.CheckLocal(ctx, a.m.Store, a.m.Content.LegalBases(), f, a.m.Clock.Now()); err != nil {
					return err
				}
				title := ""
				if !noCheck {
					secret, err := feed.ReadSecret(f.TokenFile)
					if err != nil {
						return err
					}
					client := feed.NewClient(a.m.Config.MaxBodyBytes, a.m.Clock)
					cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
					defer cancel()
					coll, err := feed.Resolve(cctx, client, feed.Auth{User: f.RemoteUser, Secret: secret}, f.URL, f.Collection)
					if err != nil {
						return fmt.Errorf("the remote collection cannot be read (add --no-check to add the feed anyway): %w", err)
					}
					f.Collection, title = coll.ID, coll.Title
				}
				if f.Name == "" {
					f.Name = feedName(f.URL, f.Collection, title)
				}
				detail := fmt.Sprintf("feed %s url %s collection %s user %s", f.Name, f.URL, f.Collection, f.User)
				if err := a.m.Store.CreateFeed(ctx, &f, a.auditEntry("feeds.create", detail)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "feed %s added: collection %s", f.Name, f.Collection)
				if title != "" {
					fmt.Fprintf(e.stdout, " (%s)", title)
				}
				fmt.Fprintf(e.stdout, " of %s, every %s, as %s; mosaic serve polls it\n", f.URL, config.Duration(f.Interval), f.User)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "feed list", args, e, nil, func(a *adminCtx) error {
				feeds, err := a.m.Store.Feeds(ctx)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, f := range feeds {
					st := f.State
					state := "ok"
					switch {
					case st.LastPoll.IsZero():
						state = "new"
					case st.Failures > 0:
						state = fmt.Sprintf("failing (%d)", st.Failures)
					}
					rows = append(rows, []string{f.Name, state, when(st.LastPoll), when(st.NextPoll), strconv.FormatInt(st.Imported, 10), strconv.FormatInt(st.Rejected, 10),
						f.User, config.Duration(f.Interval).String(), f.URL + "collections/" + f.Collection + "/", dash(st.LastError)})
				}
				table(e, "NAME\tSTATE\tLAST POLL\tNEXT POLL\tIMPORTED\tREFUSED\tUSER\tINTERVAL\tCOLLECTION\tLAST ERROR", rows)
				for _, f := range feeds {
					if f.State.LastRejection != "" {
						fmt.Fprintf(e.stdout, "\n%s last refused %s\n", f.Name, f.State.LastRejection)
					}
				}
				return nil
			})
		},
		"remove": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "feed remove NAME", args, e, nil, func(a *adminCtx) error {
				if err := a.need(1, "the feed's name"); err != nil {
					return err
				}
				if err := a.m.Store.DeleteFeed(ctx, a.args[0], a.auditEntry("feeds.delete", "feed "+a.args[0])); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "feed %s removed; what it imported stays\n", a.args[0])
				return nil
			})
		},
		"poll": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "feed poll NAME", args, e, nil, func(a *adminCtx) error {
				if err := a.need(1, "the feed's name"); err != nil {
					return err
				}
				f, err := a.m.Store.Feed(ctx, a.args[0])
				if err != nil {
					return err
				}
				p := a.m.newPoller()
				res, err := p.Poll(ctx, f, func(pr feed.Progress) {
					fmt.Fprintf(e.stdout, "page %d: %d objects: %d new, %d new versions, %d unchanged, %d refused\n",
						pr.Page, pr.Objects, pr.Result.New, pr.Result.NewVersions, pr.Result.Unchanged, pr.Rejected)
				})
				fmt.Fprintf(e.stdout, "%d pages, %d objects: %d new, %d new versions, %d unchanged, %d refused\n",
					res.Pages, res.Objects, res.Result.New, res.Result.NewVersions, res.Result.Unchanged, res.Rejected)
				if err != nil {
					return err
				}
				if res.Rejected > 0 {
					if g, err := a.m.Store.Feed(ctx, f.Name); err == nil {
						fmt.Fprintf(e.stdout, "refused %s\n", g.State.LastRejection)
					}
				}
				return nil
			})
		},
	})
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

var notNameChar = regexp.MustCompile(`[^a-z0-9]+`)

// feedName makes a feed name from the remote host and the collection's
// title (or id).
func feedName(apiRoot, collection, title string) string {
	host := apiRoot
	if u, err := url.Parse(apiRoot); err == nil {
		host = u.Hostname()
	}
	what := title
	if what == "" {
		what = collection
		if len(what) > 8 {
			what = what[:8]
		}
	}
	n := strings.Trim(notNameChar.ReplaceAllString(strings.ToLower(host+"-"+what), "-"), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "feed-" + n
	}
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// newPoller returns a poller on m's store.
func (m *Main) newPoller() *feed.Poller {
	return feed.NewPoller(m.Store, m.Content, feed.NewClient(m.Config.MaxBodyBytes, m.Clock), m.Clock, m.Log, feed.Options{PageSize: m.Config.MaxPageSize})
}

// feedRunner is a server's running poller.
type feedRunner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// startFeeds starts polling the feeds in the background. The poller has a
// context of its own, ended by stopFeeds, so that Close stops it before
// the store closes.
func (m *Main) startFeeds(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	if m.feeds != nil {
		cancel()
		return errors.New("feeds are polled already")
	}
	r := &feedRunner{cancel: cancel, done: make(chan struct{})}
	m.feeds = r
	p := m.newPoller()
	go func() {
		defer close(r.done)
		p.Run(ctx)
	}()
	return nil
}

// stopFeeds stops polling and waits for a poll under way to end: it stops
// between requests, and what it stored stands.
func (m *Main) stopFeeds() {
	r := m.feeds
	if r == nil {
		return
	}
	m.feeds = nil
	r.cancel()
	<-r.done
}
