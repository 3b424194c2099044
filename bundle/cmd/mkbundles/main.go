// Command mkbundles makes the example bundles of testdata/cores: it runs
// fixture apps with official Node builds (through internal/testnode, as the
// tests do), packs their cores and writes testdata/cores/README.md saying
// how each was made. Run it from the module root:
//
//	go run ./bundle/cmd/mkbundles
//
// With -set workshop it makes the bundles of the workshop labs instead
// (docs/workshop), from the lab apps in testdata/workshop/apps, into
// testdata/workshop:
//
//	go run ./bundle/cmd/mkbundles -set workshop
//
// The cores differ from run to run (pids, addresses); what a bundle shows
// does not. The node builds and fixtures run from /srv/ndb-example (unless
// NDB_CACHE says otherwise), so the paths the bundles show are neutral.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

type spec struct {
	name, version, fixture string
	nodeFlags, args        []string
	// snapshots: the fixture prints SNAP lines and each snapshot becomes
	// the bundle name-K.ndb (K from 1), instead of one core at its death.
	snapshots bool
	// noUnwind leaves out the unwind tables (2 MB a bundle), for bundles
	// whose stacks frame pointers walk whole or that no lab walks.
	noUnwind bool
}

// specs are the bundles: the crash on every Node line, the leak on one (its
// heap snapshot leaves a larger core: 7 MB of bundle).
var specs = []spec{
	{name: "crash-18.20.8", version: "18.20.8", fixture: "crash.js", nodeFlags: []string{"--abort-on-uncaught-exception"}},
	{name: "crash-20.20.2", version: "20.20.2", fixture: "crash.js", nodeFlags: []string{"--abort-on-uncaught-exception"}},
	{name: "crash-22.23.3", version: "22.23.3", fixture: "crash.js", nodeFlags: []string{"--abort-on-uncaught-exception"}},
	{name: "crash-24.21.0", version: "24.21.0", fixture: "crash.js", nodeFlags: []string{"--abort-on-uncaught-exception"}},
	{name: "crash-26.10.0", version: "26.10.0", fixture: "crash.js", nodeFlags: []string{"--abort-on-uncaught-exception"}},
	{name: "leak-20.20.2", version: "20.20.2", fixture: "leak.js", nodeFlags: nil},
}

// workshopSpecs are the bundles of the workshop labs (docs/workshop): the
// order service's two crashes and three snapshots of the growing server.
var workshopSpecs = []spec{
	{name: "shop-typo", version: "22.23.3", fixture: "shop.js",
		nodeFlags: []string{"--abort-on-uncaught-exception"}, args: []string{"typo"}, noUnwind: true},
	{name: "shop-limit", version: "22.23.3", fixture: "shop.js",
		nodeFlags: []string{"--abort-on-uncaught-exception"}, args: []string{"limit"}},
	{name: "reports", version: "22.23.3", fixture: "reports.js",
		nodeFlags: []string{"--expose-gc"}, snapshots: true, noUnwind: true},
}

func main() {
	set := flag.String("set", "cores", "which bundles: cores (testdata/cores) or workshop (testdata/workshop)")
	flag.Parse()
	if os.Getenv("NDB_CACHE") == "" {
		os.Setenv("NDB_CACHE", "/srv/ndb-example")
	}
	root, err := testnode.ModuleRoot()
	if err != nil {
		fatal(err)
	}
	switch *set {
	case "cores":
		dir := filepath.Join(root, "testdata", "cores")
		rows := makeAll(dir, "testdata/fixtures/", specs, func(s spec) string { return s.fixture })
		writeReadme(dir, rows)
	case "workshop":
		apps := filepath.Join(root, "testdata", "workshop", "apps")
		makeAll(filepath.Join(root, "testdata", "workshop"), "testdata/workshop/apps/", workshopSpecs,
			func(s spec) string { return filepath.Join(apps, s.fixture) })
	default:
		fatal(fmt.Errorf("-set %q: want cores or workshop", *set))
	}
}

// makeAll makes the bundles of specs in dir and returns a README table row
// for each. fixture gives the path testnode runs; shown prefixes the
// fixture's name in the rows.
func makeAll(dir, shown string, specs []spec, fixture func(spec) string) []string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal(err)
	}
	var rows []string
	for _, s := range specs {
		var cores []*testnode.Core
		var err error
		if s.snapshots {
			cores, err = testnode.MakeSnapshots(s.version, fixture(s), s.nodeFlags, s.args)
		} else {
			var c *testnode.Core
			c, err = testnode.Make(s.version, fixture(s), s.nodeFlags, s.args)
			cores = []*testnode.Core{c}
		}
		if err != nil {
			fatal(err)
		}
		for i, c := range cores {
			name := s.name
			if s.snapshots {
				name = fmt.Sprintf("%s-%d", s.name, i+1)
			}
			cmd := strings.Join(append(append(append([]string{"node"}, s.nodeFlags...), shown+s.fixture), s.args...), " ")
			rows = append(rows, pack(dir, name, cmd, s.version, c, s.noUnwind))
		}
	}
	return rows
}

// pack writes dir/name.ndb from core c and returns its README table row.
func pack(dir, name, cmd, version string, c *testnode.Core, noUnwind bool) string {
	if c.Method == "gdb" {
		fmt.Fprintf(os.Stderr, "mkbundles: %s: a %s core (the kernel's are smaller)\n", name, c.Method)
	}
	out := filepath.Join(dir, name+".ndb")
	corePath := c.Path
	if c.Method == "gcore" {
		tmp, err := os.MkdirTemp("", "mkbundles")
		if err != nil {
			fatal(err)
		}
		defer os.RemoveAll(tmp)
		corePath = filepath.Join(tmp, "core")
		dropped, err := trimmedCopy(c.Path, corePath, c.Exe)
		if err != nil {
			fatal(fmt.Errorf("%s: %v", name, err))
		}
		fmt.Printf("%s: dropped %s of unmodified read-only file pages that gcore dumped\n", name,
			elfcore.HumanBytes(uint64(dropped)))
	}
	st, err := bundle.Pack(out, corePath, bundle.PackOptions{Exe: c.Exe, Overwrite: true, Level: zstd.SpeedBestCompression,
		CreatedBy: "mkbundles", NoUnwindTables: noUnwind})
	if err != nil {
		fatal(fmt.Errorf("%s: %v", name, err))
	}
	// The examples are public test data: readable like the rest of the repo.
	if err := os.Chmod(out, 0o644); err != nil {
		fatal(err)
	}
	fmt.Printf("%s: node v%s, %s: core %s (%s on disk) → %s\n", filepath.Base(out), version, cmd,
		elfcore.HumanBytes(st.CoreSize), elfcore.HumanBytes(st.CoreOnDisk), elfcore.HumanBytes(st.Bundle))
	return fmt.Sprintf("| `%s.ndb` | %s | `%s` | %s core | %s |", name, version, cmd,
		c.Method, elfcore.HumanBytes(st.Bundle))
}

func writeReadme(dir string, rows []string) {
	readme := `# Example bundles

Bundles (see docs/bundle-format.md) of cores of the fixture apps in
testdata/fixtures, made by the official linux-x64 Node builds, so that ndb
can be tried and tested on every Node line without those builds:

	go run ./cmd/ndb -e ::status -e ::jsstack testdata/cores/crash-22.23.3.ndb

Made by ` + "`go run ./bundle/cmd/mkbundles`" + ` (which runs each fixture as the
tests do, through internal/testnode, and packs its core with the best zstd
level). Each process ran in an empty environment, in a cache directory.

| bundle | node | command | core | size |
|---|---|---|---|---|
` + strings.Join(rows, "\n") + `

The crash: crash.js throws from deep in JS under --abort-on-uncaught-exception
(SIGTRAP/SIGABRT); its stack is listed at the top of the fixture. The leak:
leak.js holds known numbers of objects (listed at its top), then aborts.
`
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(readme), 0o644); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "mkbundles: %v\n", err)
	os.Exit(1)
}
