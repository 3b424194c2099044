package heap

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestRefsAndRoots: the LeakTarget of leak.js has exactly its three known
// holders, and its shortest retaining path is the one the app built.
func TestRefsAndRoots(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			lc := makeLeakCore(t, v)
			h := openHeap(t, lc.core.Path, lc.core.Exe)
			c, err := Build(context.Background(), h, Options{})
			if err != nil {
				t.Fatal(err)
			}
			g, err := BuildGraph(context.Background(), c, 0)
			if err != nil {
				t.Fatal(err)
			}
			var target uint64
			for _, gr := range c.Groups {
				if gr.Kind == KindObject && gr.Constructor == "LeakTarget" {
					if gr.Count != 1 {
						t.Fatalf("%d LeakTarget", gr.Count)
					}
					target = gr.Rep
				}
			}
			refs, err := g.FindRefs(h, target, 4, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.Constructor+" "+r.Via.String())
			}
			slices.Sort(got)
			want := []string{"Array [7]", "Object auth", "function leakKeeper context kept"}
			if !slices.Equal(got, want) {
				t.Errorf("holders %q, want %q", got, want)
			}
			paths, err := g.RootPaths(h, target, 3)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) == 0 {
				t.Fatal("no retaining path")
			}
			var steps []string
			for _, s := range paths[0].Steps[1:] {
				steps = append(steps, s.Via.String())
			}
			last := paths[0].Steps[len(paths[0].Steps)-1]
			if paths[0].Root != RootGlobal || strings.Join(steps, " → ") != `__cache → Map entry "k-17" → headers → auth` || last.Constructor != "LeakTarget" {
				t.Errorf("path from %s: %q to %s", paths[0].Root, steps, last.Constructor)
			}
			t.Logf("%d objects, %d roots, %d garbage", g.C.NumObjects(), g.NumRoots, g.Garbage)
		})
	}
}
