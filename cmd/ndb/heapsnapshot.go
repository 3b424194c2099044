package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heapsnapshot"
)

func init() { subcommands = append(subcommands, newHeapsnapshotCmd) }

func newHeapsnapshotCmd() *cobra.Command {
	var out string
	var all, force bool
	cmd := &cobra.Command{
		Use:   "heapsnapshot [flags] CORE [NODE] -o FILE",
		Short: "write a core's heap as a V8 .heapsnapshot for Chrome DevTools and memlab",
		Long: `Writes the heap of CORE (a core or an .ndb bundle; NODE is the node
executable when the core does not lead to it) in V8's heap snapshot format,
the one v8.writeHeapSnapshot writes. Open it in Chrome DevTools (Memory tab,
Load) for the Summary, Comparison, Containment and Retainers views, or in
memlab. Objects no root reaches are left out unless --all.

FILE holds the process's memory: it is written with mode 0600, under a
temporary name renamed when complete. An existing FILE is replaced only with
--force; a FILE that is not a regular file, or is an input, never.

Exit status: 0 success, 1 the snapshot could not be written, 2 bad usage,
an output path that cannot be written, or a core that cannot be opened.`,
		Example: `  ndb heapsnapshot app.core -o app.heapsnapshot
  ndb heapsnapshot app.core ./node -o app.heapsnapshot --all`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return argCountError{"CORE and optionally NODE", len(args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return failf(cmd, 2, "wants -o FILE")
			}
			// Created before the core is even opened; the path is checked
			// again at the rename.
			o, err := heapsnapshot.Create(out, args, force)
			if err != nil {
				return failf(cmd, 2, "%v", err)
			}
			defer o.Abort()
			jsonOut, _ := cmd.Flags().GetBool("json")
			var opts elfcore.Options
			if len(args) == 2 {
				opts.Exe = args[1]
			}
			s, err := commands.OpenSession(args[0], opts)
			if err != nil {
				return failf(cmd, 2, "%v", err)
			}
			defer s.Proc.Close()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			inv := &commands.Invocation{Ctx: ctx, Session: s, Out: cmd.OutOrStdout(), Warn: cmd.ErrOrStderr(), JSON: jsonOut}
			if term := progressFor(cmd.OutOrStdout(), cmd.ErrOrStderr(), jsonOut); term != nil {
				inv.Progress = term
			}
			r, err := commands.WriteHeapSnapshotTo(inv, o, all, force)
			if err != nil {
				return failf(cmd, 1, "%v", err)
			}
			return r.Print(inv)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "write the snapshot to `FILE`")
	f.BoolVarP(&all, "all", "a", false, "keep the objects no root reaches")
	f.BoolVar(&force, "force", false, "replace an existing FILE")
	cmd.MarkFlagFilename("output")
	return cmd
}
