package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/pager"
	"github.com/ndb-debugger/ndb/internal/progress"
	"github.com/ndb-debugger/ndb/repl"
)

// rootOptions are the flags of `ndb CORE`.
type rootOptions struct {
	eval    []string
	file    string
	exe     string
	force   bool
	json    bool
	noColor bool
	noPager bool
	noShell bool
	version bool
	pid     int    // -p: open a snapshot of this live process
	keep    string // --keep: where that snapshot stays
}

const rootLong = `ndb opens a core dump of a Node.js process (or a bundle made by 'ndb pack')
and answers mdb-style dcmds about it: ::status, ::jsstack, ::jsprint,
::findjsobjects... ('::help' inside ndb lists them).

Without -e or -f, ndb reads commands from the terminal (a prompt with
history, completion and a pager for long output) or, when stdin is not a
terminal, line by line as a script. A line "DCMD ! CMD" pipes the output
through the shell: run scripts from someone else with --no-shell.

Exit status: 0 all commands succeeded, 1 some failed (each failure is one
line "ndb: DCMD: reason" on stderr), 2 bad usage or the core cannot be
opened.`

func newRoot() *cobra.Command {
	var o rootOptions
	root := &cobra.Command{
		Use:     "ndb [flags] CORE|BUNDLE [EXECUTABLE]",
		Short:   "a post-mortem debugger for Node.js",
		Long:    rootLong,
		Version: Version,
		Example: `  ndb core                                 the prompt
  ndb -e ::status -e ::jsstack core.1234   run dcmds, then exit
  ndb --json -e '::findjsobjects' app.ndb  JSON lines
  ndb core /path/to/node < script.txt      a script
  ndb -p 4242 -e ::findjsobjects          snapshot a live process and look
  ndb diff old.core new.core               compare two heaps`,
		Args:              coreArgs,
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.pid != 0 {
				return runLive(cmd, &o, args)
			}
			if len(args) == 0 && cmd.Flags().NFlag() == 0 {
				cmd.SetOut(cmd.ErrOrStderr())
				cmd.Usage()
				return exitCode(2)
			}
			if len(args) == 0 {
				return errors.New("no core or bundle given")
			}
			return runCore(cmd, &o, args)
		},
	}
	root.SetVersionTemplate("ndb {{.Version}}\n")
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	f := root.Flags()
	f.StringArrayVarP(&o.eval, "eval", "e", nil, "run `DCMD` (repeatable), then exit")
	f.StringVarP(&o.file, "file", "f", "", "run the commands of `SCRIPT`, then exit")
	f.StringVar(&o.exe, "exe", "", "the node `EXECUTABLE` that dumped the core (default: from the core)")
	f.BoolVar(&o.force, "force", false, "open even when the executable's build-id differs from the core's")
	f.BoolVar(&o.noColor, "no-color", false, "never use colour (also: NO_COLOR set)")
	f.BoolVar(&o.noPager, "no-pager", false, "never page output (also: NDB_PAGER=cat)")
	f.BoolVar(&o.noShell, "no-shell", false, "refuse '! shell' in commands (for scripts from someone else)")
	f.BoolVar(&o.version, "version", false, "print ndb's version and exit")
	f.IntVarP(&o.pid, "pid", "p", 0, "snapshot the running node process `PID` (it runs on) and open the snapshot")
	f.StringVar(&o.keep, "keep", "", "with -p: keep the snapshot as `FILE`")
	root.PersistentFlags().BoolVar(&o.json, "json", false, "print JSON lines (::help DCMD documents each dcmd's fields)")
	root.RegisterFlagCompletionFunc("eval", completeDcmds)
	root.MarkFlagFilename("file")
	root.MarkFlagFilename("exe")
	for _, sub := range subcommands {
		root.AddCommand(sub())
	}
	return root
}

// coreArgs wants CORE [EXECUTABLE]; a first word that is no file but
// looks like a mistyped subcommand gets a suggestion.
func coreArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 && len(args[0]) >= 3 { // shorter words are near too many names
		if _, err := os.Stat(args[0]); err != nil {
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				return fmt.Errorf("no core %q, and no such command; did you mean %s?", repl.Clip(args[0]), strings.Join(s, " or "))
			}
		}
	}
	return cobra.MaximumNArgs(2)(cmd, args)
}

// completeDcmds offers dcmd names for -e in the shell.
func completeDcmds(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	var out []string
	for _, c := range commands.All() {
		if strings.HasPrefix("::"+c.Name, prefix) || strings.HasPrefix(c.Name, prefix) {
			out = append(out, "::"+c.Name+"\t"+c.Summary)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// runCore opens the core and runs the commands: -e and -f, the prompt, or
// a script from stdin.
func runCore(cmd *cobra.Command, o *rootOptions, args []string) error {
	stdin, stdout, stderr := cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
	exe := o.exe
	if len(args) == 2 {
		if exe != "" && exe != args[1] {
			return failf(cmd, 2, "give the executable once: as the second argument or with --exe")
		}
		exe = args[1]
	}
	var script *os.File
	if o.file != "" { // before the core: a bad script is refused at once
		f, err := repl.OpenScript(o.file)
		if err != nil {
			return failf(cmd, 2, "-f: %v", err)
		}
		defer f.Close()
		script = f
	}
	s, err := commands.OpenSession(args[0], elfcore.Options{Exe: exe, Force: o.force})
	if err != nil {
		return failf(cmd, 2, "%v", err)
	}
	defer s.Proc.Close()
	printWarnings(stderr, s.Proc.Warnings)

	r := &repl.Runner{S: s, Out: stdout, Err: stderr, JSON: o.json, NoShell: o.noShell}
	stdinTTY, stdoutTTY := isTTY(stdin), isTTY(stdout)
	term := progressFor(stdout, stderr, o.json)
	if term != nil {
		r.Progress = term
	}
	pg := pagerFor(stdout, o.noPager, term)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	switch {
	case len(o.eval) > 0 || script != nil:
		r.Envelope = len(o.eval) > 1 || script != nil
		defer pageBatch(r, pg, cancel)()
		runBatch(ctx, r, o.eval, script, o.file)
	case stdinTTY && stdoutTTY:
		r.Envelope = true
		r.Color = !o.noColor && os.Getenv("NO_COLOR") == ""
		r.Pager = pg
		p := s.Proc
		fmt.Fprintf(stdout, "ndb %s: core of pid %d (node %s, V8 %s), %s; ::help for help\n",
			Version, p.Info.PID, p.NodeVersion, p.V8Version, commands.SignalName(p.Signal()))
		if err := r.RunInteractive(); err != nil {
			fmt.Fprintf(stderr, "ndb: %v\n", err)
		}
	default:
		r.Envelope = true
		defer pageBatch(r, pg, cancel)()
		r.RunScript(ctx, stdin, "stdin")
	}
	if r.Failed > 0 {
		return exitCode(1)
	}
	return nil
}

// runBatch runs the -e commands, then the script, until $q; it stops when
// ctx is cancelled (Ctrl-C, or the pager was quit).
func runBatch(ctx context.Context, r *repl.Runner, eval []string, script *os.File, name string) {
	for _, c := range eval {
		if ctx.Err() != nil || r.Exec(ctx, c) == repl.ErrQuit {
			return
		}
	}
	if script != nil {
		r.RunScript(ctx, script, name)
	}
}

// pageBatch sends the whole output of a batch run through one pager. While
// the pager runs, Ctrl-C cancels the work instead of killing ndb, so that
// ndb waits for the pager rather than leaving it behind on the terminal.
// The returned function ends the paging.
func pageBatch(r *repl.Runner, pg *pager.Pager, cancel context.CancelCauseFunc) func() {
	if pg == nil {
		return func() {}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	stop := make(chan struct{})
	go func() {
		select {
		case <-sig:
			cancel(nil)
		case <-stop:
		}
	}()
	pw := pg.Begin(cancel)
	stderr := r.Err
	r.Out, r.Err = pw, pw.Messages(stderr)
	return func() {
		pw.Close()
		signal.Stop(sig)
		close(stop)
	}
}

// progressFor shows progress only to a person: stderr and stdout are
// terminals and the output is not JSON. NDB_PROGRESS_DELAY (a Go duration)
// changes how long work runs before it shows.
func progressFor(stdout, stderr io.Writer, json bool) *progress.Terminal {
	if json || !isTTY(stdout) || !isTTY(stderr) {
		return nil
	}
	delay := progress.DefaultDelay
	if d, err := time.ParseDuration(os.Getenv("NDB_PROGRESS_DELAY")); err == nil {
		delay = d
	}
	return progress.NewTerminal(stderr, delay)
}

// pagerFor pages long output when stdout is a terminal, unless --no-pager
// or NDB_PAGER/PAGER turn it off. Progress stops while a pager runs.
func pagerFor(stdout io.Writer, off bool, term *progress.Terminal) *pager.Pager {
	f, ok := stdout.(*os.File)
	if off || !ok || !isTTY(f) {
		return nil
	}
	command := pager.Command(os.LookupEnv)
	if command == "" {
		return nil
	}
	p := &pager.Pager{Command: command, Term: f}
	if term != nil {
		p.OnStart = func() { term.Mute(true) }
		p.OnClose = func() { term.Mute(false) }
	}
	return p
}
