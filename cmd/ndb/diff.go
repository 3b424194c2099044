package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/progress"
)

func init() { subcommands = append(subcommands, newDiffCmd) }

func newDiffCmd() *cobra.Command {
	var all, internal bool
	var exe string
	var pid int
	cmd := &cobra.Command{
		Use:   "diff [flags] OLD NEW|-p PID",
		Short: "compare the heaps of two cores",
		Long: `Compares the heap censuses of two cores of the same program (OLD taken
before NEW): per group of objects alike (kind, constructor, property names),
the count in each, the delta, the shallow-bytes delta and one live object of
the group in NEW (for ADDR::jsroots), largest growth first; a warning says
when the cores come from different executables or processes. Garbage (objects no root reaches) is left out. A group that grows
from core to core is a leak candidate: inspect it with
::findjsobjects -c NAME and ADDR::jsroots.

Exit status: 0 success, 1 the comparison failed, 2 bad usage or a core
that cannot be opened.`,
		Example: `  ndb diff old.core new.core
  ndb --json diff old.ndb new.ndb | jq 'select(.delta > 100)'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if pid != 0 {
				return exactArgs(1, "one core with -p: OLD")(cmd, args)
			}
			return exactArgs(2, "two cores: OLD NEW")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			jsonOut, _ := cmd.Flags().GetBool("json")
			if pid != 0 {
				path, cleanup, err := snapshotForSession(pid, "", cmd.ErrOrStderr())
				if err != nil {
					return failf(cmd, 2, "%v", err)
				}
				defer cleanup()
				args = append(args, path)
			}
			var ss [2]*commands.Session
			for i, path := range args {
				s, err := commands.OpenSession(path, elfcore.Options{Exe: exe})
				if err != nil {
					return failf(cmd, 2, "%v", err)
				}
				defer s.Proc.Close()
				ss[i] = s
			}
			task := progress.Start(nil, "")
			if term := progressFor(cmd.OutOrStdout(), cmd.ErrOrStderr(), jsonOut); term != nil {
				task = term.Start("heap censuses of both cores")
			}
			for _, w := range commands.DiffWarnings(ss[0], ss[1]) {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: warning: %s\n", cmd.CommandPath(), w)
			}
			rows, err := commands.DiffSessions(context.Background(), ss[0], ss[1], all)
			task.Done()
			if err != nil {
				return failf(cmd, 1, "%v", err)
			}
			if err := commands.WriteDiff(cmd.OutOrStdout(), rows, jsonOut, internal); err != nil {
				return failf(cmd, 1, "%v", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&all, "all", "a", false, "also print groups that did not change")
	f.BoolVarP(&internal, "internal", "m", false, "include V8-internal kinds")
	f.StringVar(&exe, "exe", "", "the node `EXECUTABLE` (default: from each core)")
	f.IntVarP(&pid, "pid", "p", 0, "the new side is a snapshot of the running node process `PID`")
	cmd.MarkFlagFilename("exe")
	return cmd
}

// exactArgs wants n positional arguments, described by what in the error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return argCountError{what, len(args)}
		}
		return nil
	}
}

type argCountError struct {
	want string
	got  int
}

func (e argCountError) Error() string {
	return "wants " + e.want + ", got " + plural(e.got, "argument")
}

// plural writes "1 argument", "2 arguments".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
