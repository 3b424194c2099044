package heapsnapshot

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// memlabVersion is the memlab heap parser the tests load snapshots with.
const memlabVersion = "@memlab/core@2.0.5"

type memlabResult struct {
	Nodes    int               `json:"nodes"`
	Count    map[string]int    `json:"count"`
	Retained map[string]uint64 `json:"retained"`
}

// memlab loads a snapshot with memlab's parser and dominator analysis
// (testdata/memlab_check.js): the node count, and per object name the
// count of object nodes and the retained size of the first.
func memlab(t *testing.T, node, file string, names ...string) memlabResult {
	t.Helper()
	dir := testnode.NpmPackage(t, memlabVersion)
	script, err := filepath.Abs(filepath.Join("testdata", "memlab_check.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append([]string{script, file}, names...)...)
	cmd.Env = append(cmd.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("memlab on %s: %v\n%s", file, err, msg)
	}
	var r memlabResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("memlab printed %q: %v", out, err)
	}
	return r
}

// TestMemlab: memlab parses ndb's snapshot of retain.js cores of the five
// lines and its analysis runs; the fixture's classes count as many nodes
// as in V8's own snapshot read by memlab too (the prototypes are "Object"
// in both, so they do not count); the retained sizes memlab computes for
// the three holders equal ndb's dominator tree.
func TestMemlab(t *testing.T) {
	classes := []string{"RetainHolder", "RetainItem", "RetainBox", "RetainScope"}
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			r := writeRetain(t, v)
			node := testnode.Binary(t, "22.23.3")
			ours := memlab(t, node, r.ours, classes...)
			theirs := memlab(t, node, r.v8, classes...)
			if want := r.g.C.NumObjects() - r.g.Garbage + numSynthetic; ours.Nodes != want {
				t.Errorf("memlab read %d nodes, ndb wrote %d", ours.Nodes, want)
			}
			for _, c := range classes {
				if ours.Count[c] != theirs.Count[c] || ours.Count[c] == 0 {
					t.Errorf("%s: memlab counts %d in ndb's snapshot, %d in V8's", c, ours.Count[c], theirs.Count[c])
				}
			}
			for _, c := range []string{"RetainHolder", "RetainBox", "RetainScope"} {
				i, ok := r.g.Index(addrOf(t, r.g, c))
				if !ok {
					t.Fatalf("%s not found", c)
				}
				want, _ := r.d.Retained(i)
				if got := ours.Retained[c]; got != want {
					t.Errorf("%s: memlab retains %d, ndb's dominator tree %d", c, got, want)
				}
			}
		})
	}
}
