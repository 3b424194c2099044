package dominator

import (
	"context"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// fromEdges builds a CSR graph of n nodes from (source, target) pairs.
func fromEdges(n int, edges [][2]uint32) *CSR {
	start := make([]uint32, n+1)
	for _, e := range edges {
		start[e[0]+1]++
	}
	for v := 0; v < n; v++ {
		start[v+1] += start[v]
	}
	pos := slices.Clone(start)
	out := make([]uint32, len(edges))
	for _, e := range edges {
		out[pos[e[0]]] = e[1]
		pos[e[0]]++
	}
	return &CSR{Start: start, Edges: out}
}

// bitset is a set of nodes for the reference algorithm.
type bitset []uint64

func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// naiveDominators is the textbook dataflow: Dom(root) = {root}, and for
// every other reachable node v, Dom(v) = {v} ∪ ⋂ Dom(p) over its reachable
// predecessors p, iterated until nothing changes. Node n is the
// super-root, a predecessor of every root. Unreachable nodes get nil.
func naiveDominators(g *CSR, roots []uint32) []bitset {
	n := g.NumNodes()
	words := (n + 1 + 63) / 64
	reach := make([]bool, n)
	var queue []uint32
	for _, r := range roots {
		if !reach[r] {
			reach[r] = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, t := range g.Edges[g.Start[v]:g.Start[v+1]] {
			if !reach[t] {
				reach[t] = true
				queue = append(queue, t)
			}
		}
	}
	isRoot := make([]bool, n)
	for _, r := range roots {
		isRoot[r] = true
	}
	pred := Transpose(g, 2)
	dom := make([]bitset, n+1)
	dom[n] = make(bitset, words)
	dom[n].set(n)
	for v := 0; v < n; v++ {
		if reach[v] {
			dom[v] = make(bitset, words)
			for i := 0; i <= n; i++ {
				dom[v].set(i)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for v := 0; v < n; v++ {
			if !reach[v] {
				continue
			}
			next := make(bitset, words)
			for i := range next {
				next[i] = ^uint64(0)
			}
			meet := func(d bitset) {
				for i := range next {
					next[i] &= d[i]
				}
			}
			if isRoot[v] {
				meet(dom[n])
			}
			for _, p := range pred.Edges[pred.Start[v]:pred.Start[v+1]] {
				if reach[p] {
					meet(dom[p])
				}
			}
			next.set(v)
			if !slices.Equal(next, dom[v]) {
				dom[v] = next
				changed = true
			}
		}
	}
	return dom[:n]
}

// naiveIdom picks, among the strict dominators of v, the one all the
// others dominate: the one with the most dominators itself.
func naiveIdom(dom []bitset, v int) uint32 {
	n := len(dom)
	best, bestCount := -1, -1
	for d := 0; d <= n; d++ {
		if d == v || !dom[v].has(d) {
			continue
		}
		c := 1
		if d < n {
			c = dom[d].count()
		}
		if c > bestCount {
			best, bestCount = d, c
		}
	}
	return uint32(best)
}

// randomGraph makes a graph with cycles, parallel edges, self-loops,
// several roots (some repeated) and, often, unreachable parts.
func randomGraph(r *rand.Rand) (*CSR, []uint32) {
	n := 1 + r.IntN(60)
	m := r.IntN(4 * n)
	edges := make([][2]uint32, m)
	for i := range edges {
		edges[i] = [2]uint32{uint32(r.IntN(n)), uint32(r.IntN(n))}
	}
	roots := make([]uint32, r.IntN(4))
	for i := range roots {
		roots[i] = uint32(r.IntN(n))
	}
	return fromEdges(n, edges), roots
}

// check compares Compute and Retained with the reference on one graph.
func check(t *testing.T, g *CSR, roots []uint32) {
	t.Helper()
	tree, err := Compute(context.Background(), g, Transpose(g, 2), roots)
	if err != nil {
		t.Fatal(err)
	}
	n := g.NumNodes()
	dom := naiveDominators(g, roots)
	size := func(v uint32) uint64 { return uint64(v)*7 + 1 }
	ret := tree.Retained(size)
	pos := make([]int, n)
	for i := range pos {
		pos[i] = -1
	}
	for i, v := range tree.Order {
		if pos[v] >= 0 {
			t.Fatalf("node %d twice in Order", v)
		}
		pos[v] = i
	}
	for v := 0; v < n; v++ {
		if dom[v] == nil {
			if tree.Idom[v] != None || ret[v] != 0 || pos[v] >= 0 || tree.Reachable(uint32(v)) {
				t.Fatalf("unreachable node %d: idom %d, retained %d, order %d", v, tree.Idom[v], ret[v], pos[v])
			}
			continue
		}
		want := naiveIdom(dom, v)
		if tree.Idom[v] != want {
			t.Fatalf("graph %v roots %v: idom(%d) = %d, want %d", g, roots, v, tree.Idom[v], want)
		}
		if pos[v] < 0 || (want != tree.Root() && pos[want] > pos[v]) {
			t.Fatalf("node %d at %d in Order, its idom at %d", v, pos[v], pos[want])
		}
		var r uint64
		for u := 0; u < n; u++ {
			if dom[u] != nil && dom[u].has(v) {
				r += size(uint32(u))
			}
		}
		if ret[v] != r {
			t.Fatalf("retained(%d) = %d, want %d", v, ret[v], r)
		}
	}
}

func TestRandomGraphs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 3000; i++ {
		g, roots := randomGraph(r)
		check(t, g, roots)
	}
}

// A textbook case (Lengauer and Tarjan's paper, figure 1) with its
// dominators written out by hand.
func TestLengauerTarjanFigure(t *testing.T) {
	const (
		R = iota
		A
		B
		C
		D
		E
		F
		G
		H
		I
		J
		K
		L
		n
	)
	edges := [][2]uint32{
		{R, A}, {R, B}, {R, C}, {A, D}, {B, A}, {B, D}, {B, E}, {C, F}, {C, G},
		{D, L}, {E, H}, {F, I}, {G, I}, {G, J}, {H, E}, {H, K}, {I, K}, {J, I},
		{K, I}, {K, R}, {L, H},
	}
	g := fromEdges(n, edges)
	tree, err := Compute(context.Background(), g, Transpose(g, 2), []uint32{R})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint32{n, R, R, R, R, R, C, C, R, R, G, R, D}
	if !slices.Equal(tree.Idom, want) {
		t.Errorf("idom %v, want %v", tree.Idom, want)
	}
	check(t, g, []uint32{R})
}

// A chain of a million nodes: the walk must not recurse.
func TestLongChain(t *testing.T) {
	const n = 1 << 20
	edges := make([][2]uint32, 0, n)
	for v := uint32(0); v+1 < n; v++ {
		edges = append(edges, [2]uint32{v, v + 1})
	}
	edges = append(edges, [2]uint32{n - 1, 0}) // and back: a cycle
	g := fromEdges(n, edges)
	tree, err := Compute(context.Background(), g, Transpose(g, 2), []uint32{0})
	if err != nil {
		t.Fatal(err)
	}
	ret := tree.Retained(func(uint32) uint64 { return 1 })
	for v := uint32(1); v < n; v++ {
		if tree.Idom[v] != v-1 || ret[v] != uint64(n-v) {
			t.Fatalf("idom(%d) = %d, retained %d", v, tree.Idom[v], ret[v])
		}
	}
}

func TestBadInput(t *testing.T) {
	g := fromEdges(3, [][2]uint32{{0, 1}})
	if _, err := Compute(context.Background(), g, Transpose(g, 2), []uint32{3}); err == nil {
		t.Error("a root out of range was accepted")
	}
	if _, err := Compute(context.Background(), g, fromEdges(2, nil), []uint32{0}); err == nil {
		t.Error("a pred of another size was accepted")
	}
	bad := []*CSR{
		{Start: []uint32{0, 2}, Edges: []uint32{0}},
		{Start: []uint32{0, 1}, Edges: []uint32{1}},
		{Start: []uint32{0, 2, 1}, Edges: []uint32{0}},
	}
	for _, b := range bad {
		if b.Validate() == nil {
			t.Errorf("%v passed Validate", b)
		}
		ok := &CSR{Start: make([]uint32, len(b.Start)), Edges: make([]uint32, len(b.Edges))}
		ok.Start[len(ok.Start)-1] = uint32(len(ok.Edges))
		if _, err := Compute(context.Background(), b, ok, []uint32{0}); err == nil {
			t.Errorf("Compute accepted %v", b)
		}
		if _, err := Compute(context.Background(), ok, b, []uint32{0}); err == nil {
			t.Errorf("Compute accepted %v as pred", b)
		}
	}
	if err := g.Validate(); err != nil {
		t.Error(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := make([][2]uint32, 0, 2*checkEvery)
	for v := uint32(0); v+1 < 2*checkEvery; v++ {
		big = append(big, [2]uint32{v, v + 1})
	}
	bg := fromEdges(2*checkEvery, big)
	if _, err := Compute(ctx, bg, Transpose(bg, 2), []uint32{0}); err == nil {
		t.Error("a cancelled context was not noticed")
	}
}

// FuzzCompute decodes a graph from bytes: the first byte is the number of
// nodes, the second the number of roots, then the roots, then edges as
// pairs of bytes (all modulo the number of nodes).
func FuzzCompute(f *testing.F) {
	f.Add([]byte{1, 1, 0})
	f.Add([]byte{4, 1, 0, 0, 1, 1, 2, 2, 3, 3, 1})
	f.Add([]byte{6, 2, 0, 3, 0, 1, 3, 4, 1, 2, 4, 2, 2, 5, 5, 2})
	f.Add([]byte{5, 0, 0, 1, 1, 2})
	f.Add([]byte{13, 1, 0, 0, 1, 0, 2, 0, 3, 1, 4, 2, 1, 2, 4, 2, 5, 3, 6, 3, 7, 4, 12, 5, 8, 6, 9, 7, 9, 7, 10, 8, 5, 8, 11, 9, 11, 10, 9, 11, 9, 11, 0, 12, 8})
	f.Add([]byte{8, 3, 7, 7, 2, 0, 0, 1, 1, 0, 2, 2, 3, 3, 2, 4, 5, 5, 4, 6, 6})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 || data[0] == 0 {
			return
		}
		n := int(data[0])
		nr := int(data[1]) % 8
		data = data[2:]
		var roots []uint32
		for i := 0; i < nr && i < len(data); i++ {
			roots = append(roots, uint32(int(data[i])%n))
		}
		data = data[min(nr, len(data)):]
		var edges [][2]uint32
		for i := 0; i+1 < len(data); i += 2 {
			edges = append(edges, [2]uint32{uint32(int(data[i]) % n), uint32(int(data[i+1]) % n)})
		}
		check(t, fromEdges(n, edges), roots)
	})
}

// Transpose gives the same graph whatever the number of workers, with
// each node's sources ascending.
func TestTransposeWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 300000
	edges := make([][2]uint32, 3*n)
	for i := range edges {
		edges[i] = [2]uint32{uint32(r.IntN(n)), uint32(r.IntN(n))}
	}
	g := fromEdges(n, edges)
	one := Transpose(g, 1)
	if err := one.Validate(); err != nil {
		t.Fatal(err)
	}
	for v := 0; v < n; v++ {
		if !slices.IsSorted(one.Edges[one.Start[v]:one.Start[v+1]]) {
			t.Fatalf("sources of %d not ascending", v)
		}
	}
	for _, w := range []int{2, 3, 8} {
		if tw := Transpose(g, w); !slices.Equal(tw.Start, one.Start) || !slices.Equal(tw.Edges, one.Edges) {
			t.Errorf("%d workers: another graph", w)
		}
	}
	if back := Transpose(one, 2); !slices.Equal(back.Start, g.Start) {
		t.Error("transposing twice changes the out-degrees")
	}
}
