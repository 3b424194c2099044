package heap

import (
	"context"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestDiffFindsTheLeak: on successive cores of grow.js, exactly one
// JavaScript group grows, LeakyRequest, by the fixture's step. The first
// core is taken before the process first reads its stdin, which makes Node
// load modules lazily (on 20, 22 and 24): diffs start from the second core.
// Node itself still materializes a few lazy functions and strings per step
// (one "get disposed" accessor, a few strings): a group that grows by no
// more than noise objects (2% of the step) is not counted as growing.
func TestDiffFindsTheLeak(t *testing.T) {
	const noise = 10
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			cores := testnode.Snapshots(t, v, "grow.js", []string{"--expose-gc"}, []string{"--initial=1000", "--step=500", "--steps=4"})
			var cs []*Census
			for _, c := range cores {
				h := openHeap(t, c.Path, c.Exe)
				cen, err := Build(context.Background(), h, Options{})
				if err != nil {
					t.Fatal(err)
				}
				g, err := BuildGraph(context.Background(), cen, 0)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: %d objects, %d garbage (unreachable from %d roots)", c.Name, g.C.NumObjects(), g.Garbage, g.NumRoots)
				cs = append(cs, cen.WithoutGarbage(g))
			}
			for i := 2; i < len(cs); i++ {
				rows := Diff(cs[i-1], cs[i], false)
				var growing []DiffRow
				for _, r := range rows {
					if r.Kind != KindInternal && r.Delta > noise {
						growing = append(growing, r)
					}
				}
				if len(growing) != 1 || growing[0].Constructor != "LeakyRequest" || growing[0].Delta != 500 {
					t.Errorf("step %d: growing groups %+v, want only LeakyRequest +500", i+1, growing)
				}
				if n := groupCount(cs[i], KindObject, "LeakyRequest"); n != 1000+500*i {
					t.Errorf("step %d: %d LeakyRequest, want %d", i+1, n, 1000+500*i)
				}
			}
		})
	}
}
