package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
)

func init() { subcommands["diff"] = runDiff }

const diffUsage = `usage: ndb diff [--json] [-a] [-m] [--exe EXECUTABLE] OLD NEW|-p PID

Compares the heap censuses of two cores of the same program (OLD taken
before NEW): per group of objects alike (kind, constructor, property names),
the count in each, the delta and the shallow-bytes delta, largest growth
first. Garbage (objects no root reaches) is left out. A group that grows
from core to core is a leak candidate: inspect it with
::findjsobjects -c NAME and ADDR::jsroots.

flags:
`

func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ndb diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jsonOut := fs.Bool("json", false, "one JSON object per group")
	all := fs.Bool("a", false, "also print groups that did not change")
	internal := fs.Bool("m", false, "include V8-internal kinds")
	exe := fs.String("exe", "", "the node executable (default: from each core)")
	pid := fs.Int("p", 0, "the new side is a snapshot of the running node process `PID`")
	fs.Usage = func() {
		fmt.Fprint(stderr, diffUsage)
		fs.PrintDefaults()
	}
	pos, rc := parseInterleaved(fs, args)
	if rc >= 0 {
		return rc
	}
	if *pid != 0 {
		if len(pos) != 1 {
			fs.Usage()
			return 2
		}
		path, cleanup, err := snapshotForSession(*pid, "", stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ndb diff: %v\n", err)
			return 2
		}
		defer cleanup()
		pos = append(pos, path)
	}
	if len(pos) != 2 {
		fs.Usage()
		return 2
	}
	var ss [2]*commands.Session
	for i, path := range pos {
		s, err := Open(path, elfcore.Options{Exe: *exe})
		if err != nil {
			fmt.Fprintf(stderr, "ndb diff: %v\n", err)
			return 2
		}
		defer s.Proc.Close()
		ss[i] = s
	}
	rows, err := commands.DiffSessions(context.Background(), ss[0], ss[1], *all)
	if err != nil {
		fmt.Fprintf(stderr, "ndb diff: %v\n", err)
		return 1
	}
	if err := commands.WriteDiff(stdout, rows, *jsonOut, *internal); err != nil {
		fmt.Fprintf(stderr, "ndb diff: %v\n", err)
		return 1
	}
	return 0
}
