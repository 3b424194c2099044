// Package dominator computes the immediate-dominator tree of a directed
// graph and the retained sizes it implies.
//
// Nodes are numbered 0..n-1 and the graph is given in CSR form. A virtual
// super-root, numbered n, has an edge to every root; a node dominates
// another when every path from the super-root to the other passes through
// it. The algorithm is semi-NCA (Georgiadis, "Linear-time algorithms for
// dominators and related problems", 2005; Lengauer–Tarjan's
// semidominators, then nearest common ancestors in the spanning tree),
// without recursion, in a handful of uint32 arrays: a heap graph of
// 17.5 M objects needs neither a deep call stack nor per-node allocations.
package dominator

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// CSR is a directed graph in compressed sparse row form: the edges leaving
// node v are Edges[Start[v]:Start[v+1]]. Start has one entry more than
// there are nodes. Parallel edges and self-loops are allowed.
type CSR struct {
	Start []uint32
	Edges []uint32
}

// NumNodes is the number of nodes.
func (g *CSR) NumNodes() int { return max(len(g.Start)-1, 0) }

// Validate reports a malformed graph: offsets that decrease or run past
// Edges, or an edge to a node that does not exist.
func (g *CSR) Validate() error {
	n := g.NumNodes()
	if len(g.Start) == 0 {
		return nil
	}
	if g.Start[0] != 0 || int(g.Start[n]) != len(g.Edges) {
		return errors.New("dominator: CSR offsets do not cover the edges")
	}
	for v := 0; v < n; v++ {
		if g.Start[v] > g.Start[v+1] {
			return fmt.Errorf("dominator: CSR offsets decrease at node %d", v)
		}
	}
	for _, t := range g.Edges {
		if int(t) >= n {
			return fmt.Errorf("dominator: edge to node %d of %d", t, n)
		}
	}
	return nil
}

// Transpose returns the graph with every edge reversed, the sources of
// each node's incoming edges ascending. Up to workers goroutines share the
// work, each filling the edges of a range of nodes.
func Transpose(g *CSR, workers int) *CSR {
	n := g.NumNodes()
	workers = max(1, min(workers, n/(1<<16)+1))
	start := make([]uint32, n+1)
	edges := make([]uint32, len(g.Edges))
	span := (n + workers - 1) / workers
	inParallel := func(fn func(lo, hi uint32)) {
		var wg sync.WaitGroup
		for k := 0; k < workers; k++ {
			lo, hi := uint32(min(k*span, n)), uint32(min((k+1)*span, n))
			wg.Add(1)
			go func() {
				defer wg.Done()
				fn(lo, hi)
			}()
		}
		wg.Wait()
	}
	inParallel(func(lo, hi uint32) {
		for _, t := range g.Edges {
			if t >= lo && t < hi {
				start[t+1]++
			}
		}
	})
	for v := 0; v < n; v++ {
		start[v+1] += start[v]
	}
	// Each worker fills its nodes' runs, moving start[t] along as the cursor
	// of t; afterwards start[t] is where t+1 begins, hence the shift.
	inParallel(func(lo, hi uint32) {
		for v := 0; v < n; v++ {
			for _, t := range g.Edges[g.Start[v]:g.Start[v+1]] {
				if t >= lo && t < hi {
					edges[start[t]] = uint32(v)
					start[t]++
				}
			}
		}
	})
	copy(start[1:], start[:n])
	start[0] = 0
	return &CSR{Start: start, Edges: edges}
}

// None marks a node no root reaches: it has no dominator.
const None = ^uint32(0)

// Tree is the dominator tree of the nodes the roots reach.
type Tree struct {
	// Idom[v] is the immediate dominator of node v: Root() when only the
	// super-root dominates v (every root, and nodes reached from several
	// roots), None when no root reaches v.
	Idom []uint32
	// Order lists the reachable nodes in depth-first preorder from the
	// super-root: every node comes after its immediate dominator.
	Order []uint32
}

// Root is the number of the virtual super-root (the number of nodes).
func (t *Tree) Root() uint32 { return uint32(len(t.Idom)) }

// Reachable reports whether a root reaches node v.
func (t *Tree) Reachable(v uint32) bool { return t.Idom[v] != None }

// errTooLarge: node numbers and the super-root must fit in uint32 below
// None.
var errTooLarge = errors.New("dominator: too many nodes")

// Compute returns the dominator tree of graph succ from the given roots;
// pred must be its transpose (Transpose(succ), or an index the caller
// already has). Malformed graphs and roots out of range are an error;
// repeated roots are fine.
// ctx is checked now and then.
func Compute(ctx context.Context, succ, pred *CSR, roots []uint32) (*Tree, error) {
	n := succ.NumNodes()
	if n >= int(None)-1 {
		return nil, errTooLarge
	}
	if pred.NumNodes() != n || len(pred.Edges) != len(succ.Edges) {
		return nil, errors.New("dominator: pred is not the transpose of succ")
	}
	if err := succ.Validate(); err != nil {
		return nil, err
	}
	if err := pred.Validate(); err != nil {
		return nil, err
	}
	for _, r := range roots {
		if int(r) >= n {
			return nil, fmt.Errorf("dominator: root %d of %d nodes", r, n)
		}
	}
	s := &solver{n: n}
	if err := s.search(ctx, succ, roots); err != nil {
		return nil, err
	}
	if err := s.semidominators(ctx, pred); err != nil {
		return nil, err
	}
	s.immediate()
	return s.tree(), nil
}

// solver holds the working arrays, indexed by preorder number; number 0
// is the super-root and nodes get 1..count.
type solver struct {
	n      int
	count  uint32   // numbered nodes, the super-root included
	pre    []uint32 // node -> preorder number, 0: not reached
	vertex []uint32 // preorder number -> node (vertex[0] unused)
	parent []uint32 // spanning-tree parent; becomes the idom
	anc    []uint32 // ancestor in the link-eval forest (path-compressed)
	semi   []uint32 // semidominator; the edge cursor during the search
	label  []uint32 // vertex of minimal semi on the compressed path
	isRoot []uint64 // bitmap by node: the super-root has an edge to it
}

// checkEvery is how many nodes pass between looks at ctx.
const checkEvery = 1 << 16

// search numbers the nodes in depth-first preorder from the super-root and
// records the spanning tree. The stack is implicit: a node's parent is
// where the walk goes back to, and semi holds each node's edge cursor.
func (s *solver) search(ctx context.Context, succ *CSR, roots []uint32) error {
	n := s.n
	s.pre = make([]uint32, n)
	s.vertex = make([]uint32, 1, n+1)
	s.parent = make([]uint32, 1, n+1)
	s.semi = make([]uint32, 1, n+1)
	s.count = 1
	s.isRoot = make([]uint64, (n+63)/64)
	for _, r := range roots {
		s.isRoot[r/64] |= 1 << (r % 64)
	}
	visit := func(v, parent uint32) uint32 {
		num := s.count
		s.count++
		s.pre[v] = num
		s.vertex = append(s.vertex, v)
		s.parent = append(s.parent, parent)
		s.semi = append(s.semi, succ.Start[v])
		return num
	}
	for _, r := range roots {
		if s.pre[r] != 0 {
			continue
		}
		cur := visit(r, 0)
		for cur != 0 {
			if s.count%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v := s.vertex[cur]
			end := succ.Start[v+1]
			k := s.semi[cur]
			for k < end && s.pre[succ.Edges[k]] != 0 {
				k++
			}
			if k == end {
				s.semi[cur] = end
				cur = s.parent[cur]
				continue
			}
			s.semi[cur] = k + 1
			cur = visit(succ.Edges[k], cur)
		}
	}
	return nil
}

// semidominators computes each node's semidominator, in reverse preorder,
// with the link-eval forest of Lengauer–Tarjan (path compression, simple
// linking): node w is linked to its parent once processed.
func (s *solver) semidominators(ctx context.Context, pred *CSR) error {
	N := s.count
	s.anc = make([]uint32, N)
	s.label = make([]uint32, N)
	copy(s.anc, s.parent)
	for i := uint32(0); i < N; i++ {
		s.semi[i] = i
		s.label[i] = i
	}
	var stack []uint32
	for w := N - 1; w >= 1; w-- {
		if w%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v := s.vertex[w]
		sd := s.parent[w]
		if s.isRoot[v/64]&(1<<(v%64)) != 0 {
			sd = 0 // an edge from the super-root
		}
		for _, p := range pred.Edges[pred.Start[v]:pred.Start[v+1]] {
			u := s.pre[p]
			if u == 0 {
				continue // not reached
			}
			if su := s.semi[s.eval(u, w+1, &stack)]; su < sd {
				sd = su
			}
		}
		s.semi[w] = sd
	}
	return nil
}

// eval returns the node of minimal semidominator on the forest path from
// v up to (not including) the root of its tree; nodes numbered at least
// linked are in the forest. The path is compressed on the way.
func (s *solver) eval(v, linked uint32, stack *[]uint32) uint32 {
	if s.anc[v] < linked {
		return s.label[v]
	}
	st := (*stack)[:0]
	for s.anc[v] >= linked {
		st = append(st, v)
		v = s.anc[v]
	}
	// v is the last node whose ancestor is the root of the tree; every
	// node below gets that ancestor and the better label.
	top := v
	for len(st) > 0 {
		x := st[len(st)-1]
		st = st[:len(st)-1]
		s.anc[x] = s.anc[top]
		if s.semi[s.label[top]] < s.semi[s.label[x]] {
			s.label[x] = s.label[top]
		}
		top = x
	}
	*stack = st
	return s.label[top]
}

// immediate turns parents into immediate dominators: the idom of w is
// the nearest ancestor of w's parent, in the dominator tree built so far,
// numbered at most semi(w).
func (s *solver) immediate() {
	s.anc, s.label, s.isRoot = nil, nil, nil
	idom := s.parent
	for w := uint32(1); w < s.count; w++ {
		d := idom[w]
		for d > s.semi[w] {
			d = idom[d]
		}
		idom[w] = d
	}
}

// tree converts preorder numbers back to nodes.
func (s *solver) tree() *Tree {
	root := uint32(s.n)
	t := &Tree{Idom: s.pre, Order: s.vertex[1:s.count]}
	for v, num := range t.Idom {
		switch {
		case num == 0:
			t.Idom[v] = None
		case s.parent[num] == 0:
			t.Idom[v] = root
		default:
			t.Idom[v] = s.vertex[s.parent[num]]
		}
	}
	s.pre, s.parent, s.semi = nil, nil, nil
	return t
}

// Retained returns, for every node, the sum of size over the nodes it
// dominates, itself included; 0 for the nodes no root reaches.
func (t *Tree) Retained(size func(v uint32) uint64) []uint64 {
	ret := make([]uint64, len(t.Idom))
	for _, v := range t.Order {
		ret[v] = size(v)
	}
	t.Accumulate(ret)
	return ret
}

// Accumulate turns self sizes into retained sizes in place: each node's
// entry becomes the sum over the nodes it dominates. Entries of the nodes
// no root reaches become 0. ret has one entry per node.
func (t *Tree) Accumulate(ret []uint64) {
	for v, d := range t.Idom {
		if d == None {
			ret[v] = 0
		}
	}
	root := t.Root()
	for i := len(t.Order) - 1; i >= 0; i-- {
		v := t.Order[i]
		if d := t.Idom[v]; d != root {
			ret[d] += ret[v]
		}
	}
}
