package heap

import (
	"context"
	"math/bits"
	"runtime"
	"slices"
	"sort"

	"github.com/ndb-debugger/ndb/dominator"
)

// Dominators is the dominator tree of the object graph and the retained
// size of every object: the bytes that would be freed if it died (the
// shallow sizes of the objects it dominates, itself included). A virtual
// super-root holds every root; objects no root reaches are not in the
// tree (retained 0).
type Dominators struct {
	g        *Graph
	idom     []uint32 // per object; the super-root is NumObjects, dominator.None: unreachable
	retained []uint64 // per object
}

// Dominators computes the dominator tree on first request and returns it
// (cached). The forward references it needs are rebuilt from the reverse
// index and dropped once the tree is built.
func (g *Graph) Dominators(ctx context.Context) (*Dominators, error) {
	g.domMu.Lock()
	defer g.domMu.Unlock()
	if g.dom != nil {
		return g.dom, nil
	}
	d, err := g.buildDominators(ctx)
	if err != nil {
		return nil, err
	}
	g.dom = d
	return d, nil
}

func (g *Graph) buildDominators(ctx context.Context) (*Dominators, error) {
	pred := &dominator.CSR{Start: g.refStart, Edges: g.refs}
	var roots []uint32
	for wi := range g.Live {
		for w := g.roots[0][wi] | g.roots[1][wi] | g.roots[2][wi]; w != 0; w &= w - 1 {
			roots = append(roots, uint32(wi*64+bits.TrailingZeros64(w)))
		}
	}
	// Global objects first, so that the depth-first search enters the heap
	// the way a reader of the program would.
	sort.SliceStable(roots, func(a, b int) bool {
		return g.Root(roots[a]) == RootGlobal && g.Root(roots[b]) != RootGlobal
	})
	tree, err := dominator.Compute(ctx, dominator.Transpose(pred, g.workers()), pred, roots)
	if err != nil {
		return nil, err
	}
	// The transposed graph and the working arrays are garbage now: give
	// them back before the retained sizes take their own.
	runtime.GC()
	ret := make([]uint64, len(tree.Idom))
	c := g.C
	err = c.w.forPages(ctx, g.workers(), nil, func(_, p int) {
		pg := &c.Pages[p]
		pg.forObjects(func(j int, _, size uint32) { ret[pg.first+uint32(j)] = uint64(size) })
	})
	if err != nil {
		return nil, err
	}
	tree.Accumulate(ret)
	return &Dominators{g: g, idom: tree.Idom, retained: ret}, nil
}

func (g *Graph) workers() int { return max(1, g.C.Stats.Workers) }

// Retained returns the retained size of object i; ok is false when no
// root reaches it (it is garbage, outside the tree).
func (d *Dominators) Retained(i uint32) (size uint64, ok bool) {
	if d.idom[i] == dominator.None {
		return 0, false
	}
	return d.retained[i], true
}

// Idom returns the immediate dominator of object i. ok is false for
// objects only the super-root dominates (roots, and objects reached from
// several roots independently) and for garbage.
func (d *Dominators) Idom(i uint32) (uint32, bool) {
	p := d.idom[i]
	if p == dominator.None || int(p) == len(d.idom) {
		return 0, false
	}
	return p, true
}

// Chain returns object i and its dominators up to the one directly under
// the super-root, innermost first; nil for garbage.
func (d *Dominators) Chain(i uint32) []uint32 {
	if d.idom[i] == dominator.None {
		return nil
	}
	out := []uint32{i}
	for p, ok := d.Idom(i); ok; p, ok = d.Idom(p) {
		out = append(out, p)
	}
	return out
}

// Children returns the objects i immediately dominates, by retained size,
// largest first (ties in address order).
func (d *Dominators) Children(i uint32) []uint32 {
	var out []uint32
	for v, p := range d.idom {
		if p == i {
			out = append(out, uint32(v))
		}
	}
	d.sortByRetained(out)
	return out
}

// TopLevel returns the objects directly under the super-root, by retained
// size, largest first.
func (d *Dominators) TopLevel() []uint32 { return d.Children(uint32(len(d.idom))) }

func (d *Dominators) sortByRetained(s []uint32) {
	slices.SortStableFunc(s, func(a, b uint32) int {
		ra, rb := d.retained[a], d.retained[b]
		switch {
		case ra > rb:
			return -1
		case ra < rb:
			return 1
		}
		return 0
	})
}

// Top returns the n objects with the largest retained sizes among those
// keep accepts (all when keep is nil), largest first.
func (d *Dominators) Top(n int, keep func(i uint32) bool) []uint32 {
	n = min(n, len(d.idom))
	if n <= 0 {
		return nil
	}
	// A min-heap of the n best so far, ordered by (retained, -index).
	h := make([]uint32, 0, n)
	less := func(a, b uint32) bool {
		ra, rb := d.retained[a], d.retained[b]
		return ra < rb || (ra == rb && a > b)
	}
	down := func(k int) {
		for {
			c := 2*k + 1
			if c >= len(h) {
				return
			}
			if c+1 < len(h) && less(h[c+1], h[c]) {
				c++
			}
			if !less(h[c], h[k]) {
				return
			}
			h[k], h[c] = h[c], h[k]
			k = c
		}
	}
	// By object number, not in tree order: the arrays are read in order.
	for i, p := range d.idom {
		v := uint32(i)
		if p == dominator.None || (len(h) == n && !less(h[0], v)) {
			continue
		}
		if keep != nil && !keep(v) {
			continue
		}
		if len(h) < n {
			h = append(h, v)
			for k := len(h) - 1; k > 0 && less(h[k], h[(k-1)/2]); k = (k - 1) / 2 {
				h[k], h[(k-1)/2] = h[(k-1)/2], h[k]
			}
			continue
		}
		h[0] = v
		down(0)
	}
	slices.SortFunc(h, func(a, b uint32) int {
		if less(b, a) {
			return -1
		}
		if less(a, b) {
			return 1
		}
		return 0
	})
	return h
}

// GroupRetained returns the retained size of a census group: the bytes
// its reachable objects dominate together, each object counted once. An
// object dominated by another of the group adds nothing of its own.
func (d *Dominators) GroupRetained(gr *Group) uint64 {
	c := d.g.C
	member := make([]uint64, (c.nobj+63)/64)
	forMembers := func(fn func(i uint32)) {
		for p := range c.Pages {
			pg := &c.Pages[p]
			for j, id := range pg.gids {
				if id == gr.id {
					fn(pg.first + uint32(j))
				}
			}
		}
	}
	forMembers(func(i uint32) { member[i/64] |= 1 << (i % 64) })
	return d.unionRetained(forMembers, member)
}

// SetRetained is GroupRetained for any set of objects (indexes out of
// range are left out).
func (d *Dominators) SetRetained(objs []uint32) uint64 {
	member := make([]uint64, (len(d.idom)+63)/64)
	var members []uint32
	for _, i := range objs {
		if int(i) < len(d.idom) && member[i/64]&(1<<(i%64)) == 0 {
			member[i/64] |= 1 << (i % 64)
			members = append(members, i)
		}
	}
	return d.unionRetained(func(fn func(i uint32)) {
		for _, i := range members {
			fn(i)
		}
	}, member)
}

// unionRetained sums the retained sizes of the members no other member
// dominates. Walking up from each member, every object passed is
// remembered as covered (below a member) or not, so the walks together
// visit each object at most once.
func (d *Dominators) unionRetained(forMembers func(fn func(i uint32)), member []uint64) uint64 {
	has := func(bm []uint64, i uint32) bool { return bm[i/64]&(1<<(i%64)) != 0 }
	known := make([]uint64, len(member))
	covered := make([]uint64, len(member))
	var path []uint32
	var sum uint64
	forMembers(func(x uint32) {
		if d.idom[x] == dominator.None {
			return
		}
		path = path[:0]
		under := false
		for p, ok := d.Idom(x); ok; p, ok = d.Idom(p) {
			if has(member, p) {
				under = true
				break
			}
			if has(known, p) {
				under = has(covered, p)
				break
			}
			path = append(path, p)
		}
		for _, p := range path {
			known[p/64] |= 1 << (p % 64)
			if under {
				covered[p/64] |= 1 << (p % 64)
			}
		}
		if !under {
			sum += d.retained[x]
		}
	})
	return sum
}

// GroupsRetained returns the retained size of every census group at once
// (as GroupRetained gives for one): a walk of the dominator tree that
// counts, per group, the group's objects on the way down from the
// super-root; an object adds its retained size when none of its
// dominators is of its group.
func (d *Dominators) GroupsRetained(ctx context.Context) (map[*Group]uint64, error) {
	c := d.g.C
	n := len(d.idom)
	gid := make([]uint32, n)
	for p := range c.Pages {
		pg := &c.Pages[p]
		copy(gid[pg.first:], pg.gids)
	}
	// The tree's children, in CSR form; the super-root is node n.
	start := make([]uint32, n+2)
	for _, p := range d.idom {
		if p != dominator.None {
			start[p+1]++
		}
	}
	for v := 0; v <= n; v++ {
		start[v+1] += start[v]
	}
	kids := make([]uint32, start[n+1])
	// start[p] is p's fill cursor, then shifted back.
	for v, p := range d.idom {
		if p != dominator.None {
			kids[start[p]] = uint32(v)
			start[p]++
		}
	}
	copy(start[1:], start[:n+1])
	start[0] = 0
	onPath := make([]uint32, len(c.byID))
	total := make([]uint64, len(c.byID))
	// Depth-first; a frame is a node and the position of its next child.
	type frame struct{ v, next uint32 }
	stack := []frame{{uint32(n), start[n]}}
	for steps := 0; len(stack) > 0; steps++ {
		if steps%(1<<20) == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		top := &stack[len(stack)-1]
		if top.next == start[top.v+1] {
			if top.v != uint32(n) {
				onPath[gid[top.v]]--
			}
			stack = stack[:len(stack)-1]
			continue
		}
		v := kids[top.next]
		top.next++
		g := gid[v]
		if onPath[g] == 0 {
			total[g] += d.retained[v]
		}
		onPath[g]++
		stack = append(stack, frame{v, start[v]})
	}
	out := make(map[*Group]uint64, len(c.byID))
	for id, gr := range c.byID {
		out[gr] = total[id]
	}
	return out, nil
}
