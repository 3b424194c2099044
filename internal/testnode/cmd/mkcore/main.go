// Command mkcore makes a core of a fixture with one node version, as the tests do, and prints
// where it is:
//
//	go run ./internal/testnode/cmd/mkcore VERSION FIXTURE [node flags...] [-- script args...]
//
// FIXTURE is a file name in testdata/fixtures (or an absolute path). For example:
//
//	go run ./internal/testnode/cmd/mkcore 22.23.3 crash.js --abort-on-uncaught-exception -- --warm
//
// With -snapshots it runs a long-lived fixture (grow.js) and takes a core at each "SNAP name"
// line it prints. Cores are cached as for the tests (see docs/testing.md).
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

func main() {
	snapshots := flag.Bool("snapshots", false, "take gcore snapshots at each SNAP line")
	verbose := flag.Bool("v", false, "also print the process's stdout and stderr")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: mkcore [-snapshots] [-v] VERSION FIXTURE [node flags...] [-- script args...]\n")
		fmt.Fprintf(os.Stderr, "versions: %v\n", testnode.Versions)
		flag.PrintDefaults()
	}
	// Go's flag package would stop at the first non-flag anyway; node flags come after FIXTURE.
	flag.Parse()
	rest := flag.Args()
	if len(rest) < 2 {
		flag.Usage()
		os.Exit(2)
	}
	version, fixture, nodeFlags := rest[0], rest[1], rest[2:]
	var args []string
	if i := slices.Index(nodeFlags, "--"); i >= 0 {
		nodeFlags, args = nodeFlags[:i], nodeFlags[i+1:]
	}
	var cores []*testnode.Core
	if *snapshots {
		cs, err := testnode.MakeSnapshots(version, fixture, nodeFlags, args)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mkcore: %v\n", err)
			os.Exit(1)
		}
		cores = cs
	} else {
		c, err := testnode.Make(version, fixture, nodeFlags, args)
		if err != nil {
			fmt.Fprintf(os.Stderr, "mkcore: %v\n", err)
			os.Exit(1)
		}
		cores = []*testnode.Core{c}
	}
	for _, c := range cores {
		name := ""
		if c.Name != "" {
			name = " name " + c.Name
		}
		fmt.Printf("core %s\nexe %s\nmethod %s pid %d cached %v%s\n", c.Path, c.Exe, c.Method, c.Pid, c.Cached, name)
		if *verbose {
			fmt.Printf("--- stdout\n%s--- stderr\n%s\n", c.Stdout, c.Stderr)
		}
	}
}
