package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
)

// TestDiffBundles runs ::diff between two bundles of the same Node build:
// leak.js's heap against crash.js's. leak.js keeps 40 LeakRequest objects
// (its own count, in the fixture); crash.js makes none.
func TestDiffBundles(t *testing.T) {
	tg := testcores.Target(t, testcores.Path(t, "testdata", "cores", testcores.Leak+".ndb"), "")
	s := NewSession(tg.Proc, tg.Meta)
	old := testcores.Path(t, "testdata", "cores", "crash-20.20.2.ndb")
	out := runDcmd(t, s, true, "diff", 0, old)
	found := false
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var r diffRecord
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if r.Constructor != "LeakRequest" || r.Kind != "object" {
			continue
		}
		found = true
		if r.Old != 0 || r.New != 40 || r.Delta != 40 || r.BytesDelta <= 0 {
			t.Errorf("LeakRequest: %+v, want 0 → 40", r)
		}
	}
	if !found {
		t.Errorf("::diff %s printed no LeakRequest group:\n%s", old, out)
	}
}
