// Command ndb is a post-mortem debugger for Node.js core dumps.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/memlimit"
	"github.com/ndb-debugger/ndb/repl"
	"github.com/ndb-debugger/ndb/v8layout"
)

// Version is ndb's version, set at release time with -ldflags.
var Version = "0.1.0-dev"

// subcommands are the verbs besides opening a core: `ndb flame ...`.
var subcommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{}

func main() {
	memlimit.Start(os.Stderr, 1)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, "; ") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

const usage = `usage: ndb [flags] CORE|BUNDLE [EXECUTABLE]
       ndb flame [options] [PERF_SCRIPT|-]   flame graphs from perf samples
       ndb diff OLD NEW                      compare the heaps of two cores
       ndb pack CORE [EXECUTABLE] -o NAME.ndb  bundle a core to debug anywhere

Without -e or -f, ndb reads commands from the terminal (a prompt with history
and completion) or, when stdin is not a terminal, line by line as a script.
Exit status: 0 all commands succeeded, 1 some failed, 2 the core cannot be opened.

flags:
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if sub, ok := subcommands[args[0]]; ok {
			return sub(args[1:], stdin, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("ndb", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		exe     = fs.String("exe", "", "the node executable that dumped the core (default: from the core)")
		force   = fs.Bool("force", false, "open even when the executable's build-id differs from the core's")
		jsonOut = fs.Bool("json", false, "print JSON lines (see ::help DCMD for each dcmd's fields)")
		noColor = fs.Bool("no-color", false, "never use colour")
		file    = fs.String("f", "", "run the commands of `FILE`, then exit")
		version = fs.Bool("version", false, "print ndb's version and exit")
		cmds    multi
	)
	fs.Var(&cmds, "e", "run `CMD` (repeatable), then exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	pos, rc := parseInterleaved(fs, args)
	if rc >= 0 {
		return rc
	}
	if *version {
		fmt.Fprintf(stdout, "ndb %s\n", Version)
		return 0
	}
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return 2
	}
	if len(pos) == 2 {
		if *exe != "" && *exe != pos[1] {
			fmt.Fprintln(stderr, "ndb: give the executable once: as the second argument or with --exe")
			return 2
		}
		*exe = pos[1]
	}
	s, err := Open(pos[0], elfcore.Options{Exe: *exe, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "ndb: %v\n", err)
		return 2
	}
	defer s.Proc.Close()
	printWarnings(stderr, s.Proc.Warnings)

	stdinTTY := isTTY(stdin)
	stdoutTTY := isTTY(stdout)
	r := &repl.Runner{S: s, Out: stdout, Err: stderr, JSON: *jsonOut,
		Color: stdoutTTY && !*noColor && os.Getenv("NO_COLOR") == ""}
	ctx := context.Background()
	switch {
	case len(cmds) > 0 || *file != "":
		r.Color = false
		for _, c := range cmds {
			if r.Exec(ctx, c) == repl.ErrQuit {
				break
			}
		}
		if *file != "" {
			if err := r.RunFile(ctx, *file); err != nil {
				fmt.Fprintf(stderr, "ndb: %v\n", err)
				return 2
			}
		}
	case stdinTTY && stdoutTTY:
		p := s.Proc
		fmt.Fprintf(stdout, "ndb %s: core of pid %d (node %s, V8 %s), %s; ::help for help\n",
			Version, p.Info.PID, p.NodeVersion, p.V8Version, commands.SignalName(p.Signal()))
		if err := r.RunInteractive(); err != nil {
			fmt.Fprintf(stderr, "ndb: %v\n", err)
		}
	default:
		r.Color = false
		r.RunScript(ctx, stdin)
	}
	if r.Failed > 0 {
		return 1
	}
	return 0
}

// Open opens a core (with its executable) or a bundle and loads the V8
// metadata.
func Open(path string, opts elfcore.Options) (*commands.Session, error) {
	var p *elfcore.Process
	var err error
	if bundle.IsBundle(path) {
		p, err = bundle.Open(path)
	} else {
		p, err = elfcore.Open(path, opts)
	}
	if err != nil {
		return nil, err
	}
	m, err := v8layout.Load(p)
	if err != nil {
		p.Close()
		return nil, err
	}
	return commands.NewSession(p, m), nil
}

// parseInterleaved parses flags that may come before, between and after
// the positional arguments, which it returns. rc is the exit status to
// return at once (0 for -h, 2 for a bad flag), or -1 to go on.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, rc int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0
			}
			return nil, 2
		}
		if fs.NArg() == 0 {
			return pos, -1
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// printWarnings writes what is wrong with the input as one line: a damaged
// core may have many problems, and stderr says it once.
func printWarnings(stderr io.Writer, warnings []string) {
	if len(warnings) > 0 {
		fmt.Fprintf(stderr, "ndb: warning: %s\n", strings.Join(warnings, "; "))
	}
}

func isTTY(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}
