package heap

import (
	"context"
	"math/bits"
	"sort"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Graph is the object graph of a census: every object by index (address
// order), its forward references, the reverse-reference index, the roots
// and what is reachable from them.
type Graph struct {
	C     *Census
	Addrs []uint64 // object index -> untagged address
	Sizes []uint32
	Kinds []Kind

	refStart []uint32 // reverse index (CSR): holders of object i are
	refs     []uint32 // refs[refStart[i]:refStart[i+1]]
	fwdStart []uint32 // forward references (CSR), same layout
	fwd      []uint32

	Roots     map[uint32]RootKind // objects referenced from outside the heap
	Live      []uint64            // bitmap: reachable from a root
	Garbage   int
	RootKinds []string // which kinds of root were considered
}

// RootKind says where a root reference lives.
type RootKind uint8

const (
	RootNone   RootKind = iota
	RootGlobal          // a JSGlobalObject (the global object of a context)
	RootStack           // a slot of a thread's stack
	RootNative          // other native memory: V8's roots table, handles, global handles
)

func (k RootKind) String() string {
	return [...]string{"", "global", "stack", "native"}[k]
}

// objects lists every object of the census with its size and kind.
func (c *Census) objects() (addrs []uint64, sizes []uint32, kinds []Kind) {
	n := 0
	for i := range c.Pages {
		n += len(c.Pages[i].sizes)
	}
	addrs = make([]uint64, 0, n)
	sizes = make([]uint32, 0, n)
	kinds = make([]Kind, 0, n)
	for i := range c.Pages {
		pg := &c.Pages[i]
		for j, b := range pg.bits {
			for b != 0 {
				k := trailingZeros(b)
				b &= b - 1
				addrs = append(addrs, pg.Start+uint64(j*64+k)*8)
			}
		}
		sizes = append(sizes, pg.sizes...)
		kinds = append(kinds, pg.kinds...)
	}
	return addrs, sizes, kinds
}

func (c *Census) bytes(a, end uint64) []byte {
	i, _ := c.chunkPage.get(a >> chunkBits)
	pg := &c.Pages[i]
	return pg.Data[a-pg.Start : end-pg.Start]
}

// scans reports whether an object's words may hold references: raw data
// (strings) is skipped.
func scans(k Kind) bool { return k != KindString }

// forEachRef calls fn with the index of every object that the object at a
// (of size n) references with a strong tagged pointer (its map excluded).
func (g *Graph) forEachRef(a uint64, n uint32, fn func(off int, t uint32)) {
	b := g.C.bytes(a, a+uint64(n))
	for off := 8; off+8 <= len(b); off += 8 {
		v := le.Uint64(b[off:])
		if v&3 != 1 {
			continue
		}
		if t, ok := g.C.ObjectAt(v - 1); ok {
			fn(off, t)
		}
	}
}

// BuildGraph builds the reverse-reference index and marks what is
// reachable from the roots.
func BuildGraph(ctx context.Context, c *Census, workers int) (*Graph, error) {
	g := &Graph{C: c}
	g.Addrs, g.Sizes, g.Kinds = c.objects()
	n := len(g.Addrs)
	if workers <= 0 {
		workers = c.Stats.Workers
	}
	// Forward references, in parallel by chunks of objects, then the
	// reverse index by counting.
	if workers < 1 {
		workers = 1
	}
	nchunks := workers * 16
	size := (n + nchunks - 1) / nchunks
	if size == 0 {
		size = 1
	}
	type part struct {
		lo, hi int
		cnt    []uint32
		tgt    []uint32
	}
	parts := make([]*part, 0, nchunks)
	for lo := 0; lo < n; lo += size {
		parts = append(parts, &part{lo: lo, hi: min(lo+size, n)})
	}
	eg, ectx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for k := 0; k < workers; k++ {
		eg.Go(func() error {
			for {
				if err := ectx.Err(); err != nil {
					return err
				}
				pi := int(next.Add(1) - 1)
				if pi >= len(parts) {
					return nil
				}
				pt := parts[pi]
				pt.cnt = make([]uint32, pt.hi-pt.lo)
				for i := pt.lo; i < pt.hi; i++ {
					if !scans(g.Kinds[i]) {
						continue
					}
					before := len(pt.tgt)
					g.forEachRef(g.Addrs[i], g.Sizes[i], func(_ int, t uint32) { pt.tgt = append(pt.tgt, t) })
					pt.cnt[i-pt.lo] = uint32(len(pt.tgt) - before)
				}
			}
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	total := 0
	for _, pt := range parts {
		total += len(pt.tgt)
	}
	g.fwdStart = make([]uint32, n+1)
	g.fwd = make([]uint32, 0, total)
	for _, pt := range parts {
		off := uint32(len(g.fwd))
		for j, c := range pt.cnt {
			g.fwdStart[pt.lo+j] = off
			off += c
		}
		g.fwd = append(g.fwd, pt.tgt...)
		pt.tgt = nil
	}
	g.fwdStart[n] = uint32(len(g.fwd))
	counts := make([]uint32, n+1)
	for _, t := range g.fwd {
		counts[t]++
	}
	g.refStart = make([]uint32, n+1)
	var sum uint32
	for i := 0; i < n; i++ {
		g.refStart[i] = sum
		sum += counts[i]
		counts[i] = g.refStart[i]
	}
	g.refStart[n] = sum
	g.refs = make([]uint32, sum)
	for i := 0; i < n; i++ {
		for _, t := range g.fwd[g.fwdStart[i]:g.fwdStart[i+1]] {
			g.refs[counts[t]] = uint32(i)
			counts[t]++
		}
	}
	g.findRoots()
	g.mark()
	return g, nil
}

// Holders returns the indexes of the objects that reference object i.
func (g *Graph) Holders(i uint32) []uint32 {
	hs := g.refs[g.refStart[i]:g.refStart[i+1]]
	out := make([]uint32, 0, len(hs))
	for k, h := range hs {
		if k > 0 && hs[k-1] == h {
			continue
		}
		out = append(out, h)
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return dedup(out)
}

func dedup(s []uint32) []uint32 {
	if len(s) < 2 {
		return s
	}
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

// findRoots: objects referenced from memory outside the heap pages
// (thread stacks, V8's roots table and handles in native memory) and the
// global objects.
func (g *Graph) findRoots() {
	c := g.C
	p := c.w.p
	g.Roots = map[uint32]RootKind{}
	// Thread stacks count from the stack pointer up: below it are dead
	// frames.
	stackSeg := map[int]uint64{}
	for _, t := range p.Threads {
		sp := t.Regs.RSP &^ 7
		for i := range p.Segments {
			s := &p.Segments[i]
			if sp >= s.Start && sp < s.End {
				if old, ok := stackSeg[i]; !ok || sp < old {
					stackSeg[i] = sp
				}
			}
		}
	}
	for i := range p.Segments {
		s := &p.Segments[i]
		if s.Flags&2 == 0 { // PF_W: roots live in writable memory
			continue
		}
		kind := RootNative
		from := 0
		if sp, ok := stackSeg[i]; ok {
			kind = RootStack
			from = int(sp - s.Start)
		}
		for off := from; off+8 <= len(s.Data); off += 8 {
			a := s.Start + uint64(off)
			if c.inPage(a) {
				continue
			}
			v := le.Uint64(s.Data[off:])
			if v&3 != 1 {
				continue
			}
			if t, ok := c.ObjectAt(v - 1); ok {
				if old, ok := g.Roots[t]; !ok || old > kind {
					g.Roots[t] = kind
				}
			}
		}
	}
	if gt := typ(c.w.m, "JS_GLOBAL_OBJECT_TYPE"); gt >= 0 {
		for i, a := range g.Addrs {
			if mi := c.MapOf(a); mi != nil && mi.Type == gt {
				g.Roots[uint32(i)] = RootGlobal
			}
		}
	}
	g.RootKinds = []string{"global objects", "thread stacks (every slot)", "native memory (V8 roots table, handles, global handles)"}
}

func (c *Census) inPage(a uint64) bool {
	_, ok := c.chunkPage.get(a >> chunkBits)
	return ok
}

// mark flags every object reachable from a root.
func (g *Graph) mark() {
	n := len(g.Addrs)
	g.Live = make([]uint64, (n+63)/64)
	var stack []uint32
	push := func(i uint32) {
		if g.Live[i/64]&(1<<(i%64)) != 0 {
			return
		}
		g.Live[i/64] |= 1 << (i % 64)
		stack = append(stack, i)
	}
	for r := range g.Roots {
		push(r)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, t := range g.fwd[g.fwdStart[i]:g.fwdStart[i+1]] {
			push(t)
		}
	}
	live := 0
	for _, w := range g.Live {
		live += popcount(w)
	}
	g.Garbage = n - live
}

// IsLive reports whether object i is reachable from a root.
func (g *Graph) IsLive(i uint32) bool { return g.Live[i/64]&(1<<(i%64)) != 0 }

func popcount(w uint64) int      { return bits.OnesCount64(w) }
func trailingZeros(w uint64) int { return bits.TrailingZeros64(w) }

// WithoutGarbage returns the census restricted to objects reachable from a
// root (internal groups, which keep no object lists, are left as they are).
func (c *Census) WithoutGarbage(g *Graph) *Census {
	out := *c
	out.byKey = map[string]*Group{}
	out.Groups = nil
	for _, og := range c.Groups {
		ng := *og
		if og.Kind != KindInternal {
			ng.Objects = nil
			ng.Count, ng.Bytes = 0, 0
			for _, a := range og.Objects {
				i, ok := c.ObjectAt(a)
				if !ok || !g.IsLive(i) {
					continue
				}
				ng.Objects = append(ng.Objects, a)
				ng.Count++
				ng.Bytes += uint64(g.Sizes[i])
			}
			if ng.Count == 0 {
				continue
			}
			ng.Rep = ng.Objects[0]
		}
		out.Groups = append(out.Groups, &ng)
		out.byKey[ng.Key] = &ng
	}
	sort.SliceStable(out.Groups, func(i, j int) bool { return out.Groups[i].Count > out.Groups[j].Count })
	return &out
}
