package heapsnapshot

import (
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heap"
	reader "github.com/ndb-debugger/ndb/internal/heapsnapshot"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

var snapLine = regexp.MustCompile(`snapshot (\S+)`)

// retainSnapshots makes a core of retain.js (which writes V8's own
// snapshot just before its core) and writes ndb's snapshot of it.
func retainSnapshots(t *testing.T, version string) (ours, v8s *reader.Snapshot, g *heap.Graph, d *heap.Dominators) {
	t.Helper()
	r := writeRetain(t, version)
	var err error
	if ours, err = reader.Read(r.ours); err != nil {
		t.Fatal(err)
	}
	if v8s, err = reader.Read(r.v8); err != nil {
		t.Fatal(err)
	}
	return ours, v8s, r.g, r.d
}

// retainFiles are the two snapshots of a retain.js core and ndb's graph.
type retainFiles struct {
	ours, v8 string
	g        *heap.Graph
	d        *heap.Dominators
}

func writeRetain(t *testing.T, version string) *retainFiles {
	t.Helper()
	c := testnode.MakeCore(t, version, "retain.js", []string{"--jitless"}, nil)
	m := snapLine.FindStringSubmatch(c.Stdout)
	if m == nil {
		t.Fatalf("retain.js printed no snapshot name: %q", c.Stdout)
	}
	v8file := filepath.Join(filepath.Dir(c.Path), m[1])
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	meta, err := layout.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	h, err := object.NewHeap(p, meta)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cen, err := heap.Build(ctx, h, heap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := heap.BuildGraph(ctx, cen, 0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := g.Dominators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ndb.heapsnapshot")
	out, err := Create(path, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Abort()
	w, err := NewWriter(out.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ex, err := FromGraph(ctx, g, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Finish(out, ex); err != nil {
		t.Fatal(err)
	}
	if err := out.Commit(false); err != nil {
		t.Fatal(err)
	}
	return &retainFiles{ours: path, v8: v8file, g: g, d: d}
}

func node(t *testing.T, s *reader.Snapshot, typ, name string) uint32 {
	t.Helper()
	v, err := s.Node(typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func edge(t *testing.T, s *reader.Snapshot, from uint32, typ, name string) uint32 {
	t.Helper()
	v, err := s.Edge(from, typ, name)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func count(s *reader.Snapshot, typ, name string) int {
	n := 0
	for i := range s.Types {
		if s.Types[i] == typ && s.Names[i] == name {
			n++
		}
	}
	return n
}

// TestRetainAgainstV8: on retain.js cores of the five lines, ndb's snapshot
// read back by an independent reader against V8's own snapshot of the same
// moment: per-constructor live counts of the fixture's classes, property,
// element and context edges with their names, and retained sizes computed
// from the file by DevTools' rules equal ndb's own dominator tree.
func TestRetainAgainstV8(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			ours, v8s, g, d := retainSnapshots(t, v)
			// The fixture's classes: one instance each, 1000 RetainItems.
			// Their prototypes are "Object" nodes in both (V8 names a
			// prototype by its own map); ndb leaves out nothing live.
			for _, ctor := range []string{"RetainHolder", "RetainItem", "RetainBox", "RetainScope"} {
				if a, b := count(ours, "object", ctor), count(v8s, "object", ctor); a != b {
					t.Errorf("%s: %d nodes, V8 has %d", ctor, a, b)
				}
			}
			for _, s := range []*reader.Snapshot{ours, v8s} {
				holder := node(t, s, "object", "RetainHolder")
				items := edge(t, s, holder, "property", "items")
				for _, k := range []int{0, 1, 999} {
					it := edge(t, s, items, "element", strconv.Itoa(k))
					if s.Names[it] != "RetainItem" {
						t.Errorf("items[%d] is %q", k, s.Names[it])
					}
					if p := edge(t, s, it, "property", "payload"); s.Types[p] != "string" {
						t.Errorf("items[%d].payload is a %s", k, s.Types[p])
					}
				}
				scope := node(t, s, "object", "RetainScope")
				fn := edge(t, s, scope, "property", "fn")
				if s.Types[fn] != "closure" || s.Names[fn] != "retainClosure" {
					t.Errorf("fn is %s %q", s.Types[fn], s.Names[fn])
				}
				cx := edge(t, s, fn, "internal", "context")
				if s.Names[cx] != "system / Context" {
					t.Errorf("the closure's context is %q", s.Names[cx])
				}
				big := edge(t, s, cx, "context", "big")
				if s.Names[big] != "Array" {
					t.Errorf("context variable big is %q", s.Names[big])
				}
			}
			// Retained sizes: the file's dominator tree (DevTools' rules)
			// against ndb's.
			for _, ctor := range []string{"RetainHolder", "RetainBox", "RetainScope"} {
				i, ok := g.Index(addrOf(t, g, ctor))
				if !ok {
					t.Fatalf("%s not found", ctor)
				}
				want, _ := d.Retained(i)
				if got := ours.Retained[node(t, ours, "object", ctor)]; got != want {
					t.Errorf("%s: the snapshot retains %d, ndb's dominator tree %d", ctor, got, want)
				}
			}
		})
	}
}

func addrOf(t *testing.T, g *heap.Graph, ctor string) uint64 {
	t.Helper()
	for _, gr := range g.C.Groups {
		if gr.Kind == heap.KindObject && gr.Constructor == ctor && gr.Count == 1 {
			return gr.Rep
		}
	}
	t.Fatalf("no single %s", ctor)
	return 0
}
