// Package testcores opens the example bundles of testdata/cores for the
// tests of the v8 packages: real cores of the fixtures of testdata/fixtures,
// offline and fast.
package testcores

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/target"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Crash names the bundles of crash.js, one per Node line.
var Crash = []string{"crash-18.20.8", "crash-20.20.2", "crash-22.23.3", "crash-24.21.0", "crash-26.10.0"}

// Leak names the bundle of leak.js.
const Leak = "leak-20.20.2"

// Path returns the path of a file of the module.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	root, err := testnode.ModuleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(append([]string{root}, elem...)...)
}

// Open opens testdata/cores/NAME.ndb and prepares its heap.
func Open(tb testing.TB, name string) *object.Heap {
	tb.Helper()
	return Heap(tb, Path(tb, "testdata", "cores", name+".ndb"), "")
}

// Target opens a core with its executable exe (or a bundle, exe unused)
// as ndb does, and closes it when the test ends. It is the tests' one way
// to open a core.
func Target(tb testing.TB, path, exe string) *target.Target {
	tb.Helper()
	t, err := target.Open(path, elfcore.Options{Exe: exe})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(t.Close)
	return t
}

// Heap opens a core or a bundle (see Target) and prepares its heap.
func Heap(tb testing.TB, path, exe string) *object.Heap {
	tb.Helper()
	t := Target(tb, path, exe)
	h, err := object.NewHeap(t.Proc, t.Meta)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// FixtureLine returns the 1-based line and column of the first occurrence
// of text in a fixture: the oracle for source positions.
func FixtureLine(tb testing.TB, fixture, text string) (line, col int) {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, "testdata", "fixtures", fixture))
	if err != nil {
		tb.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if c := strings.Index(l, text); c >= 0 {
			return i + 1, c + 1
		}
	}
	tb.Fatalf("%s has no %q", fixture, text)
	return 0, 0
}
