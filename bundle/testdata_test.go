package bundle_test

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/commands"
)

// TestExampleBundles opens the bundles of testdata/cores, which need no
// node binary, and runs every dcmd that needs no address on them.
func TestExampleBundles(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	paths, _ := filepath.Glob("../testdata/cores/*.ndb")
	if len(paths) == 0 {
		t.Fatal("no bundles in testdata/cores")
	}
	nameRE := regexp.MustCompile(`^(\w+)-(\d+\.\d+\.\d+)\.ndb$`)
	for _, path := range paths {
		m := nameRE.FindStringSubmatch(filepath.Base(path))
		if m == nil {
			t.Errorf("%s: name is not FIXTURE-VERSION.ndb", path)
			continue
		}
		t.Run(m[1]+"-"+m[2], func(t *testing.T) {
			s := session(t, path, "")
			if s.Proc.NodeVersion != "v"+m[2] {
				t.Errorf("node version %q, want v%s", s.Proc.NodeVersion, m[2])
			}
			for _, c := range commands.All() {
				if c.Addr == commands.AddrRequired {
					continue
				}
				out := runLine(s, "::"+c.Name, false)
				if strings.Contains(out, "internal error (please report)") {
					t.Errorf("::%s: %s", c.Name, firstLine(out, "internal error (please report)"))
				}
			}
			if m[1] == "crash" {
				out := runLine(s, "::jsstack", false)
				for _, f := range []string{"validate", "OrderProcessor", "listOnTimeout (node:internal/timers:"} {
					if !strings.Contains(out, f) {
						t.Errorf("::jsstack lacks %q:\n%s", f, out)
					}
				}
			}
		})
	}
}

// TestWorkshopBundleBaselineFrames: the frames that Sparkplug (baseline)
// code runs need V8's bytecode size table from the executable's .rodata
// for their line, which a bundle must carry. The oracle is the stack Node
// printed when the lab app died (shop.js typo on Node 22.23.3):
//
//	IncomingMessage.emit (node:events:519:28)
//	endReadableNT (node:internal/streams/readable:1698:12)
//	process.processTicksAndRejections (node:internal/process/task_queues:89:21)
func TestWorkshopBundleBaselineFrames(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	s := session(t, "../testdata/workshop/shop-typo.ndb", "")
	out := runLine(s, "::jsstack -n", false)
	for _, f := range []string{
		"IncomingMessage.emit (node:events:519:28) [baseline]",
		"endReadableNT (node:internal/streams/readable:1698:12) [baseline]",
		"process.processTicksAndRejections (node:internal/process/task_queues:89:21) [baseline]",
	} {
		if !strings.Contains(out, f) {
			t.Errorf("::jsstack lacks %q:\n%s", f, out)
		}
	}
}
