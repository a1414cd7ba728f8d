// Command mosaic is the information system of a joint cyber intel/info cell:
// the server (serve, demo), administration of a data directory or database
// (org, user, token, compartment), and a client for a running server
// (import, export, get, search).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `Usage: mosaic COMMAND [flags]

Server:
  serve        run Mosaic (--addr, --data or --db, --config; see mosaic serve -h)
  demo         run Mosaic with demo organisations, users and data (--addr, --data)

Administration (on --data DIR or --db postgres://...):
  org          add, list, set organisations
  user         add, list, set users; set a password
  token        create, list, revoke API tokens
  compartment  add, list compartments; add-member, remove-member
  feed         add, list, remove, poll remote TAXII 2.1 collections Mosaic imports from

Client (MOSAIC_URL and MOSAIC_TOKEN name the server and your token):
  import       import STIX bundles from files
  export       export what you can see: STIX bundle, MISP events, CSV, blocklists
  get          show one object
  search       search objects
  deconflict   register, check, list, remove blinded selectors (hit/no-hit without disclosure)
  requests     list, show, approve, refuse change requests (four eyes; --all for decided ones too)
  password     set your password with a one-time code (--user NAME; code and password on stdin)
  release      draft, revise, list, show, consent, publish, withdraw releases; get, ack and verify
               what was released to you; pin the release signing keys

  (mosaic release rotate-key adds a release signing key, on the server's configuration)

Deconfliction evaluator:
  oprfd        run the VOPRF evaluator as its own process, with its own key file

Run mosaic COMMAND -h for a command's flags.
`

// env is what a command gets from the outside world; tests supply their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal a second one stops the process at once, for
	// a shutdown that hangs.
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Environ()}))
}

// run executes one command and returns the exit code.
func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmds := map[string]func(context.Context, []string, env) error{
		"serve": serveCmd, "demo": demoCmd,
		"org": orgCmd, "user": userCmd, "token": tokenCmd, "compartment": compartmentCmd,
		"import": importCmd, "export": exportCmd, "get": getCmd, "search": searchCmd,
		"feed": feedCmd, "deconflict": deconflictCmd, "oprfd": oprfdCmd,
		"requests": requestsCmd, "password": passwordCmd, "release": releaseCmd,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "mosaic: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err := cmd(ctx, args[1:], e); err != nil {
		if err != errUsage {
			fmt.Fprintf(e.stderr, "mosaic %s: %v\n", args[0], err)
		}
		return 1
	}
	return 0
}

// errUsage reports a usage error whose message the flag package has already
// printed.
var errUsage = fmt.Errorf("usage")
