package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/livecore"
)

func init() { subcommands = append(subcommands, newGcoreCmd) }

func newGcoreCmd() *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "gcore [flags] PID",
		Short: "write a core of a running node process, without gdb",
		Long: `Writes a core of the running node process PID (default file: core.PID)
without gdb, pausing it only while its memory is copied, and lets it run on.
The core opens in ndb, gdb and readelf; it is written with mode 0600 under a
temporary name, renamed when complete; an existing file is replaced only
with --force.

Exit status: 0 success, 2 no core could be written (the process is never
left stopped).`,
		Example: `  ndb gcore 4242
  ndb gcore -o before.core 4242`,
		Args: exactArgs(1, "one process id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			pid, err := parsePID(args[0])
			if err != nil {
				return failf(cmd, 2, "%v", err)
			}
			path := out
			if path == "" {
				path = fmt.Sprintf("core.%d", pid)
			}
			if _, err := snapshot(pid, path, force, cmd.ErrOrStderr()); err != nil {
				return failf(cmd, 2, "%v", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the core to `FILE` (default core.PID)")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing file at the output path")
	cmd.MarkFlagFilename("output")
	return cmd
}

func parsePID(s string) (int, error) {
	pid, err := strconv.Atoi(s)
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%q is not a process id", s)
	}
	return pid, nil
}

// snapshot writes a core of pid to path and reports the pause on stderr. SIGINT and SIGTERM
// during it resume the process and leave no file; the error then says so.
func snapshot(pid int, path string, overwrite bool, stderr io.Writer) (*livecore.Result, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := livecore.Snapshot(ctx, pid, path, livecore.Options{Overwrite: overwrite})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "paused %.2f s (%s); wrote %s (%s of memory, %d threads) in %.2f s\n",
		r.Paused.Seconds(), r.Method, r.Path, elfcore.HumanBytes(uint64(r.Memory)), r.Threads, r.Total.Seconds())
	return r, nil
}

// snapshotForSession snapshots pid for `ndb -p PID` and `ndb diff OLD -p PID`: into keep when
// given, else into a temporary file that cleanup removes.
func snapshotForSession(pid int, keep string, stderr io.Writer) (path string, cleanup func(), err error) {
	cleanup = func() {}
	path = keep
	if path == "" {
		dir, err := os.MkdirTemp("", "ndb-snapshot-")
		if err != nil {
			return "", nil, err
		}
		cleanup = func() { os.RemoveAll(dir) }
		path = filepath.Join(dir, fmt.Sprintf("core.%d", pid))
	}
	if _, err := snapshot(pid, path, false, stderr); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}

// runLive snapshots the live process of -p and runs the session on the
// snapshot; the process runs on and the session sees the moment of the
// snapshot.
func runLive(cmd *cobra.Command, o *rootOptions, args []string) error {
	if len(args) > 0 {
		return failf(cmd, 2, "give either -p PID or a core, not both")
	}
	path, cleanup, err := snapshotForSession(o.pid, o.keep, cmd.ErrOrStderr())
	if err != nil {
		return failf(cmd, 2, "%v", err)
	}
	defer cleanup()
	return runCore(cmd, o, []string{path})
}
