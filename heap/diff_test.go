package heap

import (
	"context"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestDiffFindsTheLeak: on successive cores of grow.js, from the first
// core, LeakyRequest grows by exactly the fixture's step and no other
// group grows at every step (V8's heap snapshots of the fixture show only
// LeakyRequest changing). Free malloc blocks are not roots, so the stale
// pointers they keep no longer make garbage "live" (without that, strings,
// closures and prototypes came and went by hundreds per step).
//
// What still comes and goes is garbage that stale words inside malloc
// blocks in use keep reachable: V8 keeps handle and compiler buffers whose
// words above their top are dead handles (a 64 KiB block of Code and
// SharedFunctionInfo handles, for one). Through them a step's core shows
// up to about 200 strings (script sources and names of modules loaded
// lazily on Node 20 and 22) and up to 10 closures and objects (accessors
// V8 materialises on first use) that the next core no longer has. These
// are bounded here by kind, not ignored: transientStrings for strings,
// transientObjects for any other JavaScript group.
func TestDiffFindsTheLeak(t *testing.T) {
	const (
		transientStrings = 250
		transientObjects = 10
	)
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
				t.Logf("%s: %d objects, %d garbage (unreachable from %d roots; %d bytes of free malloc blocks not scanned)",
					c.Name, g.C.NumObjects(), g.Garbage, g.NumRoots, g.FreeNative)
				cs = append(cs, cen.WithoutGarbage(g))
			}
			if n := groupCount(cs[0], KindObject, "LeakyRequest"); n != 1000 {
				t.Errorf("step 1: %d LeakyRequest, want 1000", n)
			}
			growSteps := map[string]int{}
			for i := 1; i < len(cs); i++ {
				leak := 0
				for _, r := range Diff(cs[i-1], cs[i], false) {
					if r.Kind == KindInternal {
						continue
					}
					if r.Kind == KindObject && r.Constructor == "LeakyRequest" {
						leak = r.Delta
						continue
					}
					if r.Delta <= 0 {
						continue
					}
					growSteps[r.Label+"\x00"+r.Kind.String()]++
					limit := transientObjects
					if r.Kind == KindString {
						limit = transientStrings
					}
					if r.Delta > limit {
						t.Errorf("step %d: %s %s grows by %d (%d -> %d), more than %d", i+1, r.Kind, r.Label, r.Delta, r.Old, r.New, limit)
					} else {
						t.Logf("step %d: transient %s %s %+d", i+1, r.Kind, r.Label, r.Delta)
					}
				}
				if leak != 500 {
					t.Errorf("step %d: LeakyRequest grows by %d, want 500", i+1, leak)
				}
				if n := groupCount(cs[i], KindObject, "LeakyRequest"); n != 1000+500*i {
					t.Errorf("step %d: %d LeakyRequest, want %d", i+1, n, 1000+500*i)
				}
			}
			for k, n := range growSteps {
				if n == len(cs)-1 {
					t.Errorf("%q grows at every step, like the leak", k)
				}
			}
		})
	}
}

func TestLiveRanges(t *testing.T) {
	free := []byteRange{{16, 32}, {48, 64}, {100, 200}}
	for _, tc := range []struct {
		from, to int
		want     []byteRange
	}{
		{0, 300, []byteRange{{0, 16}, {32, 48}, {64, 100}, {200, 300}}},
		{20, 50, []byteRange{{32, 48}}},
		{150, 180, nil},
		{210, 220, []byteRange{{210, 220}}},
	} {
		got := liveRanges(free, tc.from, tc.to)
		if len(got) != len(tc.want) {
			t.Errorf("liveRanges(%d, %d) = %v, want %v", tc.from, tc.to, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("liveRanges(%d, %d) = %v, want %v", tc.from, tc.to, got, tc.want)
				break
			}
		}
	}
}
