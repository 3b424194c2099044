package heap

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

var (
	namesMu    sync.Mutex
	namesCores = map[string]*leakCore{}
)

// makeNamesCore makes a core of names.js (see the fixture) and finds the
// heap snapshot it wrote just before.
func makeNamesCore(t *testing.T, version string) *leakCore {
	t.Helper()
	namesMu.Lock()
	defer namesMu.Unlock()
	if lc := namesCores[version]; lc != nil {
		return lc
	}
	c := testnode.MakeCore(t, version, "names.js", []string{"--jitless"}, nil)
	m := snapLine.FindStringSubmatch(c.Stdout)
	if m == nil {
		t.Fatalf("names.js printed no snapshot name: %q", c.Stdout)
	}
	lc := &leakCore{core: c, snapshot: filepath.Join(filepath.Dir(c.Path), m[1])}
	namesCores[version] = lc
	return lc
}

// liveByName counts the live JS objects and arrays of a census per name.
func liveByName(c *Census) map[string]int {
	out := map[string]int{}
	for _, g := range c.Groups {
		if g.Kind == KindObject || g.Kind == KindArray {
			out[g.Constructor] += g.Count
		}
	}
	return out
}

// TestNamesMatchHeapSnapshot: the live objects of each name the fixture
// designates are as many as V8's own heap snapshot of the same process
// has of that name. The rules of the comparison:
//   - ndb counts what the census finds live (reachable from a root), the
//     snapshot what V8 keeps after its full GC; the garbage the fixture makes
//     after the snapshot is in the core but unreachable.
//   - Prototype objects are named as V8 names them (AdminSession.prototype
//     is "Session"), so they count in both.
//   - A literal's boilerplate (kept by its AllocationSite) is an object in
//     both.
//   - The anonymous class has no name, nor has Object: its instances are
//     "Object", and the snapshot shows their string property anonMark.
func TestNamesMatchHeapSnapshot(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			lc := makeNamesCore(t, v)
			snap := snapshotCounts(t, lc.snapshot)
			h := openHeap(t, lc.core.Path, lc.core.Exe)
			c, err := Build(context.Background(), h, Options{})
			if err != nil {
				t.Fatal(err)
			}
			g, err := BuildGraph(context.Background(), c, 0)
			if err != nil {
				t.Fatal(err)
			}
			live := liveByName(c.WithoutGarbage(g))
			all := liveByName(c)
			for _, ck := range []struct {
				name    string
				atLeast int // what the fixture made
			}{
				{"AdminSession", 23}, {"Session", 7}, {"Buffer", 17}, {"LruCache", 5}, {"Bag", 4},
				{"Stack", 3}, {"ApiError", 11}, {"Deferred", 2}, {"Bytes", 6}, {"Widget", 4}, {"Tagged", 5},
			} {
				s := snap["object/"+ck.name]
				if s < ck.atLeast {
					t.Errorf("%s: the heap snapshot has %d, the fixture made %d", ck.name, s, ck.atLeast)
				}
				if live[ck.name] != s {
					t.Errorf("%s: ndb counts %d live, the heap snapshot %d", ck.name, live[ck.name], s)
				}
			}
			if s := snap["Object{anonMark}"]; s != 13 || groupCount(c.WithoutGarbage(g), KindObject, "Object", "anonMark") != 13 {
				t.Errorf("anonymous class: the snapshot has %d Object{anonMark}, ndb %d", s, groupCount(c.WithoutGarbage(g), KindObject, "Object", "anonMark"))
			}
			// The garbage made after the snapshot: all 100 in the core, none
			// live but the few a stale word in native memory can keep (the
			// conservative roots of docs/heap.md; 7 on a Node 18 core).
			if snap["object/NamesGarbage"] != 0 || live["NamesGarbage"] > 10 || all["NamesGarbage"] != 100 {
				t.Errorf("NamesGarbage: snapshot %d, ndb live %d, ndb all %d; want 0, <= 10, 100", snap["object/NamesGarbage"], live["NamesGarbage"], all["NamesGarbage"])
			}
			// Every other name: log where ndb and the snapshot differ.
			var diffs []string
			for k, s := range snap {
				name, ok := strings.CutPrefix(k, "object/")
				if ok && live[name] != s {
					diffs = append(diffs, name)
				}
			}
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Logf("differs: %-30q snapshot %6d ndb live %6d", d, snap["object/"+d], live[d])
			}
		})
	}
}
