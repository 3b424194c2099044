package heapsnapshot

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heap"
	reader "github.com/ndb-debugger/ndb/internal/heapsnapshot"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// retainers lists the strong edges into node v as "holder-type holder-name
// edge-type edge-name", sorted. Holders of type array (V8-internal arrays)
// are left out: V8 gives an element store no edges of its own (its slots
// are the JS array's elements), ndb keeps them as the store's edges.
func retainers(s *reader.Snapshot, v uint32) []string {
	var out []string
	for u := range s.Types {
		if s.Types[u] == "array" {
			continue
		}
		for k := s.EdgeStart[u]; k < s.EdgeStart[u+1]; k++ {
			if s.EdgeTo[k] == v && s.EdgeType[k] != "weak" {
				out = append(out, s.Types[u]+" "+s.Names[u]+" "+s.EdgeType[k]+" "+s.EdgeName[k])
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestThreeHolders: the retainers of holders.js's HoldTarget (a property, an
// array element, a context variable) in ndb's snapshot equal those in V8's,
// on the five lines.
func TestThreeHolders(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "holders.js", []string{"--jitless"}, nil)
			m := snapLine.FindStringSubmatch(c.Stdout)
			if m == nil {
				t.Fatalf("holders.js printed no snapshot name: %q", c.Stdout)
			}
			v8s, err := reader.Read(filepath.Join(filepath.Dir(c.Path), m[1]))
			if err != nil {
				t.Fatal(err)
			}
			ours := writeCore(t, c)
			want := retainers(v8s, node(t, v8s, "object", "HoldTarget"))
			got := retainers(ours, node(t, ours, "object", "HoldTarget"))
			t.Logf("retainers of HoldTarget: %q", got)
			if len(want) != 3 || !slices.Equal(got, want) {
				t.Errorf("retainers of HoldTarget:\nndb %q\nV8  %q", got, want)
			}
		})
	}
}

// writeCore writes ndb's snapshot of a core and reads it back.
func writeCore(t *testing.T, c *testnode.Core) *reader.Snapshot {
	t.Helper()
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
	path := filepath.Join(t.TempDir(), "ndb.heapsnapshot")
	w, err := NewWriter(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	out, err := Create(path, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Abort()
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
	s, err := reader.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
