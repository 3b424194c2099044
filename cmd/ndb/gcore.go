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

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/livecore"
)

func init() { subcommands["gcore"] = runGcore }

const gcoreUsage = `usage: ndb gcore PID [-o FILE]

Writes a core of the running node process PID (default FILE: core.PID) without
gdb, pausing it only while its memory is copied, and lets it run on. The core
opens in ndb, gdb and readelf. Exit status 2 when no core could be written.
`

func runGcore(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var out string
	var pos []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprint(stderr, gcoreUsage)
			return 0
		case a == "-o" || a == "--o":
			if i+1 == len(args) {
				fmt.Fprint(stderr, gcoreUsage)
				return 2
			}
			i++
			out = args[i]
		default:
			pos = append(pos, a)
		}
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, gcoreUsage)
		return 2
	}
	pid, err := parsePID(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "ndb gcore: %v\n", err)
		return 2
	}
	if out == "" {
		out = fmt.Sprintf("core.%d", pid)
	}
	if _, err := snapshot(pid, out, stderr); err != nil {
		fmt.Fprintf(stderr, "ndb gcore: %v\n", err)
		return 2
	}
	return 0
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
func snapshot(pid int, path string, stderr io.Writer) (*livecore.Result, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := livecore.Snapshot(ctx, pid, path, livecore.Options{})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "paused %.2f s; wrote %s (%s of memory, %d threads) in %.2f s\n",
		r.Paused.Seconds(), r.Path, elfcore.HumanBytes(uint64(r.Memory)), r.Threads, r.Total.Seconds())
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
	if _, err := snapshot(pid, path, stderr); err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}
