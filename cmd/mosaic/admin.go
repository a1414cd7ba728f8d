package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os/user"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"mosaic"
	"mosaic/config"
	"mosaic/credential"
)

// adminCtx is an administration command's view of the store.
type adminCtx struct {
	m    *Main
	e    env
	fs   *flag.FlagSet
	args []string
}

// withStore parses the configuration flags plus the command's own (added by
// define) and opens the store. The positional arguments are in a.args.
func withStore(ctx context.Context, name string, args []string, e env, define func(fs *flag.FlagSet), fn func(a *adminCtx) error) error {
	fs := flag.NewFlagSet("mosaic "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if define != nil {
		define(fs)
	}
	// Flags may follow positional arguments (mosaic user add NAME --org X):
	// move the positional ones to the end for the flag package.
	c, rest, err := config.Load(fs, reorder(fs, args), e.environ)
	if errors.Is(err, flag.ErrHelp) {
		return errUsage
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "flag provided but not defined") || strings.HasPrefix(err.Error(), "invalid value") {
			return errUsage
		}
		return err
	}
	m := &Main{Config: c, Log: newLogger(c, e)}
	if err := m.OpenStore(ctx); err != nil {
		return err
	}
	defer m.Store.Close()
	return fn(&adminCtx{m: m, e: e, fs: fs, args: rest})
}

// reorder puts flags before positional arguments, knowing which flags take
// a value.
func reorder(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		isBool := false
		if f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				isBool = true
			}
		}
		if name == "config" || (f != nil && !isBool) || (f == nil && name != "h" && name != "help") {
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		}
	}
	return append(flags, pos...)
}

// auditEntry attributes a command-line change to the operating-system user
// who ran it.
func (a *adminCtx) auditEntry(action, detail string) mosaic.AuditEntry {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return mosaic.AuditEntry{Time: a.m.Clock.Now(), User: "cli:" + name, Action: action, Decision: mosaic.Allowed, Detail: detail}
}

func (a *adminCtx) need(n int, what string) error {
	if len(a.args) != n {
		fmt.Fprintf(a.e.stderr, "want %s\n", what)
		a.fs.Usage()
		return errUsage
	}
	return nil
}

func table(e env, header string, rows [][]string) {
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

func subcommand(ctx context.Context, name string, args []string, e env, subs map[string]func(context.Context, []string, env) error) error {
	if len(args) == 0 || subs[args[0]] == nil {
		fmt.Fprintf(e.stderr, "usage: mosaic %s {%s} ...\n", name, strings.Join(slices.Sorted(maps.Keys(subs)), "|"))
		return errUsage
	}
	return subs[args[0]](ctx, args[1:], e)
}

type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func orgCmd(ctx context.Context, args []string, e env) error {
	var fullName, kind, regime, contact, audience string
	var sectors stringList
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&fullName, "full-name", "", "the organisation's full name")
		fs.StringVar(&kind, "kind", "", "partner, stakeholder or oversight")
		fs.StringVar(&regime, "legal-regime", "", "partners: the legal regime of its contributions, one of the configured legal bases")
		fs.Var(&sectors, "sector", "stakeholders: a STIX industry sector (repeat or join with commas)")
		fs.StringVar(&contact, "contact", "", "how partners reach its liaison")
		fs.StringVar(&audience, "default-audience", "", "partners: audience of contributions that name none (originator, cell, compartment:NAME)")
	}
	parseAudience := func() (mosaic.Audience, error) {
		if audience == "" {
			return mosaic.Audience{}, nil
		}
		return mosaic.ParseAudience(audience)
	}
	return subcommand(ctx, "org", args, e, map[string]func(context.Context, []string, env) error{
		"add": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "org add NAME", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the organisation's short name"); err != nil {
					return err
				}
				k, err := mosaic.ParseOrgKind(kind)
				if err != nil {
					return err
				}
				if k == mosaic.Partner {
					if _, ok := a.m.Config.LegalBases[regime]; !ok {
						return fmt.Errorf("--legal-regime %q is not a configured legal basis", regime)
					}
				}
				aud, err := parseAudience()
				if err != nil {
					return err
				}
				o := mosaic.Organisation{Name: a.args[0], FullName: fullName, Kind: k, LegalRegime: regime, Sectors: sectors, Contact: contact, DefaultAudience: aud}
				if err := a.m.Store.CreateOrg(ctx, &o, a.auditEntry("orgs.create", "org "+o.Name)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "organisation %s added\n", o.Name)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "org list", args, e, nil, func(a *adminCtx) error {
				orgs, err := a.m.Store.Orgs(ctx)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, o := range orgs {
					rows = append(rows, []string{o.Name, string(o.Kind), o.LegalRegime, strings.Join(o.Sectors, ","), o.DefaultAudience.String(), o.FullName})
				}
				table(e, "NAME\tKIND\tLEGAL REGIME\tSECTORS\tDEFAULT AUDIENCE\tFULL NAME", rows)
				return nil
			})
		},
		"set": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "org set NAME", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the organisation's short name"); err != nil {
					return err
				}
				if kind != "" || regime != "" {
					return errors.New("kind and legal regime of an organisation do not change")
				}
				o, err := a.m.Store.Org(ctx, a.args[0])
				if err != nil {
					return err
				}
				set := map[string]bool{}
				a.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				if set["full-name"] {
					o.FullName = fullName
				}
				if set["sector"] {
					o.Sectors = sectors
				}
				if set["contact"] {
					o.Contact = contact
				}
				if set["default-audience"] {
					if o.DefaultAudience, err = parseAudience(); err != nil {
						return err
					}
				}
				if err := a.m.Store.UpdateOrg(ctx, o, a.auditEntry("orgs.update", "org "+o.Name)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "organisation %s updated\n", o.Name)
				return nil
			})
		},
	})
}

// readPassword reads a password from the first line of standard input.
func readPassword(e env) (string, error) {
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("no password on standard input")
	}
	p := strings.TrimRight(line, "\r\n")
	if len(p) < 12 {
		return "", errors.New("a password needs at least 12 characters")
	}
	return p, nil
}

func userCmd(ctx context.Context, args []string, e env) error {
	var org, role, display, email string
	var grant, pwStdin, disable, enable, approver, noApprover bool
	define := func(fs *flag.FlagSet) {
		fs.BoolVar(&approver, "approver", false, "liaisons: may approve changes of who sees the organisation's content (set; the break-glass path)")
		fs.BoolVar(&noApprover, "no-approver", false, "take the right to approve away (set)")
		fs.StringVar(&org, "org", "", "the user's organisation")
		fs.StringVar(&role, "role", "", "analyst, liaison, stakeholder, auditor or admin")
		fs.StringVar(&display, "display-name", "", "the name shown to others")
		fs.StringVar(&email, "email", "", "e-mail address")
		fs.BoolVar(&grant, "grant-content", false, "auditors: may read what is shared with the cell")
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from the first line of standard input")
		fs.BoolVar(&disable, "disable", false, "disable the user (set)")
		fs.BoolVar(&enable, "enable", false, "enable the user (set)")
	}
	return subcommand(ctx, "user", args, e, map[string]func(context.Context, []string, env) error{
		"add": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "user add NAME", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the user's sign-in name"); err != nil {
					return err
				}
				r, err := mosaic.ParseRole(role)
				if err != nil {
					return err
				}
				hash := ""
				if pwStdin {
					p, err := readPassword(e)
					if err != nil {
						return err
					}
					hash = credential.HashPassword(p)
				}
				u := mosaic.User{Name: a.args[0], Org: org, Role: r, DisplayName: display, Email: email, ContentGrant: grant}
				if err := a.m.Store.CreateUser(ctx, &u, hash, a.auditEntry("users.create", "user "+u.Name)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "user %s added to %s as %s\n", u.Name, u.Org, u.Role)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "user list", args, e, define, func(a *adminCtx) error {
				users, err := a.m.Store.Users(ctx, org)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, u := range users {
					state := "enabled"
					if u.Disabled {
						state = "disabled"
					}
					rows = append(rows, []string{u.Name, u.Org, string(u.Role), state, u.DisplayName})
				}
				table(e, "NAME\tORG\tROLE\tSTATE\tDISPLAY NAME", rows)
				return nil
			})
		},
		"set": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "user set NAME", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the user's sign-in name"); err != nil {
					return err
				}
				u, err := a.m.Store.User(ctx, a.args[0])
				if err != nil {
					return err
				}
				set := map[string]bool{}
				a.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
				if set["org"] {
					return errors.New("a user's organisation does not change; add a new user")
				}
				if set["role"] {
					if u.Role, err = mosaic.ParseRole(role); err != nil {
						return err
					}
				}
				if set["display-name"] {
					u.DisplayName = display
				}
				if set["email"] {
					u.Email = email
				}
				if set["grant-content"] {
					u.ContentGrant = grant
				}
				if disable && enable {
					return errors.New("--disable and --enable contradict each other")
				}
				if disable || enable {
					u.Disabled = disable
				}
				if approver && noApprover {
					return errors.New("--approver and --no-approver contradict each other")
				}
				if err := a.m.Store.UpdateUser(ctx, u, nil, a.auditEntry("users.update", "user "+u.Name)); err != nil {
					return err
				}
				if approver || noApprover {
					// The operator on the data directory is the break-glass
					// path: through the API an approver's consent is needed.
					what := "user " + u.Name + " approves (break-glass)"
					if noApprover {
						what = "user " + u.Name + " no longer approves (break-glass)"
					}
					if err := a.m.Store.SetApprover(ctx, u.Name, approver, a.auditEntry("users.approver", what)); err != nil {
						return err
					}
				}
				fmt.Fprintf(e.stdout, "user %s updated\n", u.Name)
				return nil
			})
		},
		"password": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "user password NAME", args, e, nil, func(a *adminCtx) error {
				if err := a.need(1, "the user's sign-in name; the password on standard input"); err != nil {
					return err
				}
				p, err := readPassword(e)
				if err != nil {
					return err
				}
				if err := a.m.Store.SetPassword(ctx, a.args[0], credential.HashPassword(p), a.auditEntry("users.password", "user "+a.args[0])); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "password of %s set\n", a.args[0])
				return nil
			})
		},
	})
}

func tokenCmd(ctx context.Context, args []string, e env) error {
	var expires, label string
	var readOnly bool
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&expires, "expires", "", "lifetime, such as 90d or 12h (default: the token_lifetime setting)")
		fs.StringVar(&label, "label", "", "what the token is for")
		fs.BoolVar(&readOnly, "read-only", false, "the token may only read (GET and HEAD), as a SIEM polling TAXII needs")
	}
	return subcommand(ctx, "token", args, e, map[string]func(context.Context, []string, env) error{
		"create": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "token create USER", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the user the token acts for"); err != nil {
					return err
				}
				life := time.Duration(a.m.Config.TokenLifetime)
				if expires != "" {
					d, err := config.ParseDuration(expires)
					if err != nil {
						return err
					}
					life = d
				}
				secret, hash := credential.NewToken()
				t, err := a.m.Store.CreateToken(ctx, a.args[0], hash, label, a.m.Clock.Now().Add(life), readOnly, a.auditEntry("tokens.create", "user "+a.args[0]))
				if err != nil {
					return err
				}
				access := "read-write"
				if t.ReadOnly {
					access = "read-only"
				}
				fmt.Fprintf(e.stderr, "%s token %d for %s, expires %s; it is shown only now:\n", access, t.ID, t.User, t.Expires.Format(time.RFC3339))
				fmt.Fprintln(e.stdout, secret)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "token list USER", args, e, nil, func(a *adminCtx) error {
				if err := a.need(1, "the user"); err != nil {
					return err
				}
				ts, err := a.m.Store.Tokens(ctx, a.args[0])
				if err != nil {
					return err
				}
				now := a.m.Clock.Now()
				var rows [][]string
				for _, t := range ts {
					state := "valid"
					switch {
					case t.Revoked != nil:
						state = "revoked"
					case !now.Before(t.Expires):
						state = "expired"
					}
					access := "read-write"
					if t.ReadOnly {
						access = "read-only"
					}
					rows = append(rows, []string{strconv.FormatInt(t.ID, 10), state, access, t.Created.Format(time.DateOnly), t.Expires.Format(time.DateOnly), t.Label})
				}
				table(e, "ID\tSTATE\tACCESS\tCREATED\tEXPIRES\tLABEL", rows)
				return nil
			})
		},
		"revoke": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "token revoke ID", args, e, nil, func(a *adminCtx) error {
				if err := a.need(1, "the token id (see mosaic token list USER)"); err != nil {
					return err
				}
				id, err := strconv.ParseInt(a.args[0], 10, 64)
				if err != nil {
					return fmt.Errorf("token id %q is not a number", a.args[0])
				}
				if err := a.m.Store.RevokeToken(ctx, id, a.auditEntry("tokens.revoke", "token "+a.args[0])); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "token %d revoked\n", id)
				return nil
			})
		},
	})
}

func compartmentCmd(ctx context.Context, args []string, e env) error {
	var description, org, usr string
	define := func(fs *flag.FlagSet) {
		fs.StringVar(&description, "description", "", "what the compartment is for")
		fs.StringVar(&org, "org", "", "member organisation (add-member, remove-member)")
		fs.StringVar(&usr, "user", "", "member user (add-member, remove-member)")
	}
	member := func(add bool) func(context.Context, []string, env) error {
		name := "compartment remove-member NAME"
		if add {
			name = "compartment add-member NAME"
		}
		return func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, name, args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the compartment name and --org or --user"); err != nil {
					return err
				}
				detail := "compartment " + a.args[0] + " org " + org + " user " + usr
				if add {
					if err := a.m.Store.AddMember(ctx, a.args[0], org, usr, a.auditEntry("compartments.add-member", detail)); err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "added to compartment %s\n", a.args[0])
					return nil
				}
				if err := a.m.Store.RemoveMember(ctx, a.args[0], org, usr, a.auditEntry("compartments.remove-member", detail)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "removed from compartment %s\n", a.args[0])
				return nil
			})
		}
	}
	return subcommand(ctx, "compartment", args, e, map[string]func(context.Context, []string, env) error{
		"add": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "compartment add NAME", args, e, define, func(a *adminCtx) error {
				if err := a.need(1, "the compartment name"); err != nil {
					return err
				}
				c := mosaic.Compartment{Name: a.args[0], Description: description}
				if err := a.m.Store.CreateCompartment(ctx, &c, a.auditEntry("compartments.create", "compartment "+c.Name)); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "compartment %s added\n", c.Name)
				return nil
			})
		},
		"list": func(ctx context.Context, args []string, e env) error {
			return withStore(ctx, "compartment list", args, e, nil, func(a *adminCtx) error {
				cs, err := a.m.Store.Compartments(ctx)
				if err != nil {
					return err
				}
				var rows [][]string
				for _, c := range cs {
					rows = append(rows, []string{c.Name, strings.Join(c.Orgs, ","), strings.Join(c.Users, ","), c.Description})
				}
				table(e, "NAME\tORGS\tUSERS\tDESCRIPTION", rows)
				return nil
			})
		},
		"add-member":    member(true),
		"remove-member": member(false),
	})
}
