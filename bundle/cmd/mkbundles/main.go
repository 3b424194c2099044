// Command mkbundles makes the example bundles of testdata/cores: it runs
// fixture apps with official Node builds (through internal/testnode, as the
// tests do), packs their cores and writes testdata/cores/README.md saying
// how each was made. Run it from the module root:
//
//	go run ./bundle/cmd/mkbundles
//
// The cores differ from run to run (pids, addresses); what a bundle shows
// does not. The node builds and fixtures run from /srv/ndb-example (unless
// NDB_CACHE says otherwise), so the paths the bundles show are neutral.
package main

import (
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
	nodeFlags              []string
}

// specs are the bundles: the crash on every Node line, the leak on one (its
// heap snapshot leaves a larger core: 7 MB of bundle).
var specs = []spec{
	{"crash-18.20.8", "18.20.8", "crash.js", []string{"--abort-on-uncaught-exception"}},
	{"crash-20.20.2", "20.20.2", "crash.js", []string{"--abort-on-uncaught-exception"}},
	{"crash-22.23.3", "22.23.3", "crash.js", []string{"--abort-on-uncaught-exception"}},
	{"crash-24.21.0", "24.21.0", "crash.js", []string{"--abort-on-uncaught-exception"}},
	{"crash-26.10.0", "26.10.0", "crash.js", []string{"--abort-on-uncaught-exception"}},
	{"leak-20.20.2", "20.20.2", "leak.js", nil},
}

func main() {
	if os.Getenv("NDB_CACHE") == "" {
		os.Setenv("NDB_CACHE", "/srv/ndb-example")
	}
	root, err := testnode.ModuleRoot()
	if err != nil {
		fatal(err)
	}
	dir := filepath.Join(root, "testdata", "cores")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal(err)
	}
	var rows []string
	for _, s := range specs {
		c, err := testnode.Make(s.version, s.fixture, s.nodeFlags, nil)
		if err != nil {
			fatal(err)
		}
		if c.Method != "kernel" {
			fmt.Fprintf(os.Stderr, "mkbundles: %s: a %s core (the kernel's are smaller)\n", s.name, c.Method)
		}
		out := filepath.Join(dir, s.name+".ndb")
		st, err := bundle.Pack(out, c.Path, bundle.PackOptions{Exe: c.Exe, Overwrite: true, Level: zstd.SpeedBestCompression,
			CreatedBy: "mkbundles"})
		if err != nil {
			fatal(fmt.Errorf("%s: %v", s.name, err))
		}
		// The examples are public test data: readable like the rest of the repo.
		if err := os.Chmod(out, 0o644); err != nil {
			fatal(err)
		}
		cmd := strings.Join(append(append([]string{"node"}, s.nodeFlags...), "testdata/fixtures/"+s.fixture), " ")
		fmt.Printf("%s: node v%s, %s: core %s (%s on disk) → %s\n", filepath.Base(out), s.version, cmd,
			elfcore.HumanBytes(st.CoreSize), elfcore.HumanBytes(st.CoreOnDisk), elfcore.HumanBytes(st.Bundle))
		rows = append(rows, fmt.Sprintf("| `%s.ndb` | %s | `%s` | %s core | %s |", s.name, s.version, cmd,
			c.Method, elfcore.HumanBytes(st.Bundle)))
	}
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
