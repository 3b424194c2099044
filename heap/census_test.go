package heap

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
)

// heapSnapshot is the part of a .heapsnapshot file the tests read.
type heapSnapshot struct {
	Snapshot struct {
		Meta struct {
			NodeFields []string `json:"node_fields"`
			NodeTypes  []any    `json:"node_types"`
			EdgeFields []string `json:"edge_fields"`
			EdgeTypes  []any    `json:"edge_types"`
		} `json:"meta"`
	} `json:"snapshot"`
	Nodes   []int64  `json:"nodes"`
	Edges   []int64  `json:"edges"`
	Strings []string `json:"strings"`
}

// snapshotCounts returns, from V8's own heap snapshot, the number of
// nodes per "type/name" and the number of "Object" nodes per sorted
// property-name set ("Object{a,b,c}").
func snapshotCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var s heapSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	meta := s.Snapshot.Meta
	nf, ef := len(meta.NodeFields), len(meta.EdgeFields)
	idx := func(fs []string, n string) int { return slices.Index(fs, n) }
	nType, nName, nEdges := idx(meta.NodeFields, "type"), idx(meta.NodeFields, "name"), idx(meta.NodeFields, "edge_count")
	eType, eName := idx(meta.EdgeFields, "type"), idx(meta.EdgeFields, "name_or_index")
	ntypes := meta.NodeTypes[0].([]any)
	etypes := meta.EdgeTypes[0].([]any)
	out := map[string]int{}
	e := 0
	for i := 0; i+nf <= len(s.Nodes); i += nf {
		typ := ntypes[s.Nodes[i+nType]].(string)
		name := s.Strings[s.Nodes[i+nName]]
		out[typ+"/"+name]++
		n := int(s.Nodes[i+nEdges])
		if typ == "object" && name == "Object" {
			var props []string
			for j := e; j < e+n; j++ {
				et := etypes[s.Edges[j*ef+eType]].(string)
				if et != "property" {
					continue
				}
				pn := s.Strings[s.Edges[j*ef+eName]]
				if pn != "__proto__" {
					props = append(props, pn)
				}
			}
			sort.Strings(props)
			out["Object{"+strings.Join(props, ",")+"}"]++
		}
		e += n
	}
	return out
}

type leakCore struct {
	core     *testnode.Core
	snapshot string
}

var (
	leakMu    sync.Mutex
	leakCores = map[string]*leakCore{}
)

var snapLine = regexp.MustCompile(`snapshot (\S+)`)

func makeLeakCore(t *testing.T, version string) *leakCore {
	t.Helper()
	leakMu.Lock()
	defer leakMu.Unlock()
	if lc := leakCores[version]; lc != nil {
		return lc
	}
	c := testnode.MakeCore(t, version, "leak.js", nil, nil)
	m := snapLine.FindStringSubmatch(c.Stdout)
	if m == nil {
		t.Fatalf("leak.js printed no snapshot name: %q", c.Stdout)
	}
	lc := &leakCore{core: c, snapshot: filepath.Join(filepath.Dir(c.Path), m[1])}
	leakCores[version] = lc
	return lc
}

func openHeap(t testing.TB, core, exe string) *object.Heap {
	t.Helper()
	return testcores.Heap(t, core, exe)
}

func groupCount(c *Census, kind Kind, ctor string, props ...string) int {
	n := 0
	for _, g := range c.Groups {
		if g.Kind != kind || g.Constructor != ctor {
			continue
		}
		if props != nil {
			ps := slices.Clone(g.Props)
			sort.Strings(ps)
			if !slices.Equal(ps, props) {
				continue
			}
		}
		n += g.Count
	}
	return n
}

// TestCensusMatchesHeapSnapshot: ndb's counts equal V8's heap snapshot's on
// real cores of every Node line.
func TestCensusMatchesHeapSnapshot(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			lc := makeLeakCore(t, v)
			snap := snapshotCounts(t, lc.snapshot)
			h := openHeap(t, lc.core.Path, lc.core.Exe)
			c, err := Build(context.Background(), h, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d pages %v, %d objects, %d maps, skipped %d bytes, %v", c.Stats.Pages, c.Stats.PagesBy, c.Stats.Objects, c.Stats.Maps, c.Stats.Skipped, c.Stats.Elapsed)
			checks := []struct {
				what      string
				snapKey   string
				kind      Kind
				ctor      string
				props     []string
				fixtureN  int
				exactSnap bool
			}{
				{"LeakFoo", "object/LeakFoo", KindObject, "LeakFoo", nil, 1234, true},
				{"LeakBar", "object/LeakBar", KindObject, "LeakBar", nil, 567, true},
				{"LeakRequest", "object/LeakRequest", KindObject, "LeakRequest", nil, 40, true},
				{"LeakTarget", "object/LeakTarget", KindObject, "LeakTarget", nil, 1, true},
				// 321 literals plus the boilerplate V8 keeps in the literal's AllocationSite.
				{"plain literals", "Object{leakAlpha,leakBeta,leakGamma}", KindObject, "Object", []string{"leakAlpha", "leakBeta", "leakGamma"}, 322, true},
				{"leakCounter closures", "closure/leakCounter", KindFunction, "leakCounter", nil, 89, true},
				{"leakKeeper closures", "closure/leakKeeper", KindFunction, "leakKeeper", nil, 1, true},
			}
			for _, ck := range checks {
				got := groupCount(c, ck.kind, ck.ctor, ck.props...)
				if snap[ck.snapKey] != ck.fixtureN {
					t.Errorf("%s: the heap snapshot has %d, the fixture made %d", ck.what, snap[ck.snapKey], ck.fixtureN)
				}
				if got != snap[ck.snapKey] {
					t.Errorf("%s: ndb counts %d, the heap snapshot %d", ck.what, got, snap[ck.snapKey])
				}
			}
			for i, g := range c.Groups {
				if i < 15 {
					t.Logf("%8d %10d %s %s: %s", g.Count, g.Bytes, g.Kind, g.Label(), strings.Join(g.Props, ", "))
				}
			}
		})
	}
}

// The census that checks guessed sizes afterwards (the default) finds the
// same objects as the one that reads every pointer's target.
func TestCensusStrictSame(t *testing.T) {
	lc := makeLeakCore(t, "22.23.3")
	h := openHeap(t, lc.core.Path, lc.core.Exe)
	fast, err := Build(context.Background(), h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	strict, err := Build(context.Background(), h, Options{strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if fast.NumObjects() != strict.NumObjects() || len(fast.Groups) != len(strict.Groups) || fast.Stats.Bytes != strict.Stats.Bytes {
		t.Fatalf("fast: %d objects, %d groups, %d bytes; strict: %d, %d, %d", fast.NumObjects(), len(fast.Groups), fast.Stats.Bytes,
			strict.NumObjects(), len(strict.Groups), strict.Stats.Bytes)
	}
	for _, g := range strict.Groups {
		if f := fast.Lookup(g.Key); f == nil || f.Count != g.Count || f.Bytes != g.Bytes || f.Rep != g.Rep {
			t.Errorf("group %q: strict %d/%d, fast %+v", g.Key, g.Count, g.Bytes, f)
		}
	}
}
