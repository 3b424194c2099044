package heap

import (
	"context"
	"math/bits"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Graph is the object graph of a census: the reverse-reference index
// (which objects hold each object), the roots and what is reachable from
// them. Objects are the census's indexes (address order).
type Graph struct {
	C *Census

	refStart []uint32 // reverse index (CSR): holders of object i are
	refs     []uint32 // refs[refStart[i]:refStart[i+1]], ascending

	roots        [3][]uint64 // bitmaps of the roots by kind (global, stack, native), disjoint
	NumRoots     int
	Live         []uint64 // bitmap: reachable from a root
	Garbage      int      // objects no root reaches
	GarbageBytes uint64
	RootKinds    []string // which kinds of root were considered
	FreeNative   uint64   // bytes of free malloc blocks not scanned for roots

	domMu sync.Mutex
	dom   *Dominators // built on first request
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

// scans reports whether an object's words may hold references: raw data
// (strings) is skipped.
func scans(k Kind) bool { return k != KindString }

// forward holds the forward references of every object while the graph is
// built: per page, the targets of its objects back to back and where each
// object's start (regular pages hold at most 32 K words, so 16 bits do;
// a large page holds one object).
type forward struct {
	tgt [][]uint32
	off [][]uint16
}

// edges returns the targets of object j of page p.
func (f *forward) edges(p, j int) []uint32 {
	t := f.tgt[p]
	o := f.off[p]
	if o == nil {
		return t
	}
	end := len(t)
	if j+1 < len(o) {
		end = int(o[j+1])
	}
	return t[o[j]:end]
}

// BuildGraph builds the reverse-reference index and marks what is
// reachable from the roots. The heap pages are scanned once, in parallel,
// for the forward references (kept only while the graph is built); the
// reverse index is filled from them, in parallel by ranges of targets.
func BuildGraph(ctx context.Context, c *Census, workers int) (*Graph, error) {
	g := &Graph{C: c}
	n := c.nobj
	if workers <= 0 {
		workers = c.Stats.Workers
	}
	if workers < 1 {
		workers = 1
	}
	scanGroup := make([]bool, len(c.byID))
	freeSpace := c.w.l.Types.FreeSpace
	for i, gr := range c.byID {
		// Free space holds the stale words of dead objects.
		scanGroup[i] = scans(gr.Kind) && !(gr.Kind == KindInternal && gr.Type == freeSpace)
	}
	fw := &forward{tgt: make([][]uint32, len(c.Pages)), off: make([][]uint16, len(c.Pages))}
	type scratch struct {
		tgt []uint32
		off []uint16
		buf []byte
	}
	sc := make([]scratch, workers)
	rel := newReleaser(c.w.p, c.Pages)
	err := c.w.forPages(ctx, workers, nil, func(k, p int) {
		pg := &c.Pages[p]
		s := &sc[k]
		s.tgt, s.off = s.tgt[:0], s.off[:0]
		data := c.w.pageBytes(pg, &s.buf)
		var lc lastChunk
		refsOf := func(j int, off, size uint32, fn func(t uint32)) {
			if !scanGroup[pg.gids[j]] {
				return
			}
			b := data[off : off+size]
			for o := 8; o+8 <= len(b); o += 8 {
				v := le.Uint64(b[o:])
				if v&3 != 1 {
					continue
				}
				if t, ok := c.objectAt(&lc, v-1); ok {
					fn(t)
				}
			}
		}
		if pg.Large {
			// One object, possibly of millions of references: count them,
			// then fill a slice of the exact size.
			n := 0
			pg.forObjects(func(j int, off, size uint32) { refsOf(j, off, size, func(uint32) { n++ }) })
			tgt := make([]uint32, 0, n)
			pg.forObjects(func(j int, off, size uint32) { refsOf(j, off, size, func(t uint32) { tgt = append(tgt, t) }) })
			fw.tgt[p] = tgt
		} else {
			pg.forObjects(func(j int, off, size uint32) {
				s.off = append(s.off, uint16(len(s.tgt)))
				refsOf(j, off, size, func(t uint32) { s.tgt = append(s.tgt, t) })
			})
			fw.tgt[p] = slices.Clone(s.tgt)
			fw.off[p] = slices.Clone(s.off)
		}
		rel.finished(p)
	})
	if err != nil {
		return nil, err
	}
	if err := g.findRoots(ctx, workers); err != nil {
		return nil, err
	}
	g.mark(fw)
	if err := g.reverse(ctx, fw, workers); err != nil {
		return nil, err
	}
	_ = n
	return g, nil
}

// reverse fills the reverse index from the forward references: count the
// holders of each target, then place each holder, sources in descending
// order from the end of each target's run so that every run ends up
// ascending. Each worker owns a range of targets.
func (g *Graph) reverse(ctx context.Context, fw *forward, workers int) error {
	c := g.C
	n := c.nobj
	a := make([]uint32, n+1)
	span := (n + workers - 1) / workers
	run := func(fn func(lo, hi uint32)) error {
		eg, ectx := errgroup.WithContext(ctx)
		for k := 0; k < workers; k++ {
			lo, hi := uint32(min(k*span, n)), uint32(min((k+1)*span, n))
			eg.Go(func() error {
				if ectx.Err() != nil {
					return ectx.Err()
				}
				fn(lo, hi)
				return nil
			})
		}
		return eg.Wait()
	}
	err := run(func(lo, hi uint32) {
		for _, ts := range fw.tgt {
			for _, t := range ts {
				if t >= lo && t < hi {
					a[t]++
				}
			}
		}
	})
	if err != nil {
		return err
	}
	var sum uint32
	for i := 0; i < n; i++ {
		sum += a[i]
		a[i] = sum
	}
	a[n] = sum
	refs := make([]uint32, sum)
	err = run(func(lo, hi uint32) {
		for p := len(c.Pages) - 1; p >= 0; p-- {
			pg := &c.Pages[p]
			for j := len(pg.gids) - 1; j >= 0; j-- {
				src := pg.first + uint32(j)
				for _, t := range fw.edges(p, j) {
					if t >= lo && t < hi {
						a[t]--
						refs[a[t]] = src
					}
				}
			}
		}
	})
	if err != nil {
		return err
	}
	g.refStart, g.refs = a, refs
	return nil
}

// Holders returns the indexes of the objects that reference object i, in
// ascending order.
func (g *Graph) Holders(i uint32) []uint32 {
	hs := g.refs[g.refStart[i]:g.refStart[i+1]]
	out := make([]uint32, 0, len(hs))
	for k, h := range hs {
		if k > 0 && hs[k-1] == h {
			continue
		}
		out = append(out, h)
	}
	return out
}

// Root returns the kind of root object i is (RootNone for most).
func (g *Graph) Root(i uint32) RootKind {
	for k, bm := range g.roots {
		if bm[i/64]&(1<<(i%64)) != 0 {
			return RootKind(k + 1)
		}
	}
	return RootNone
}

// findRoots: objects referenced from memory outside the heap pages
// (thread stacks, V8's roots table and handles in native memory) and the
// global objects. The writable segments are scanned in parallel.
func (g *Graph) findRoots(ctx context.Context, workers int) error {
	c := g.C
	p := c.w.p
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
	type item struct {
		seg      *elfcore.Segment
		from, to int
		kind     RootKind
	}
	const itemSize = 4 << 20
	var nativeSegs []int
	for i := range p.Segments {
		if _, ok := stackSeg[i]; !ok && p.Segments[i].Flags&2 != 0 {
			nativeSegs = append(nativeSegs, i)
		}
	}
	// Free malloc blocks hold stale pointers, not roots.
	free := mallocFree(p, nativeSegs)
	g.FreeNative = 0
	for _, fr := range free {
		for _, r := range fr {
			g.FreeNative += uint64(r.to - r.from)
		}
	}
	var items []item
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
		for _, r := range liveRanges(free[i], from, len(s.Data)) {
			for o := r.from; o < r.to; o += itemSize {
				items = append(items, item{s, o, min(o+itemSize, r.to), kind})
			}
		}
	}
	// Per worker, a bitmap of the objects found from stacks and one of
	// those found from other native memory.
	words := (c.nobj + 63) / 64
	found := make([][2][]uint64, workers)
	for k := range found {
		found[k] = [2][]uint64{make([]uint64, words), make([]uint64, words)}
	}
	var next atomic.Int64
	eg, ectx := errgroup.WithContext(ctx)
	for k := 0; k < workers; k++ {
		eg.Go(func() error {
			for {
				if err := ectx.Err(); err != nil {
					return err
				}
				ii := int(next.Add(1) - 1)
				if ii >= len(items) {
					return nil
				}
				it := items[ii]
				s := it.seg
				var lc lastChunk
				bm := found[k][0]
				if it.kind == RootNative {
					bm = found[k][1]
				}
				for off := it.from; off+8 <= it.to; {
					a := s.Start + uint64(off)
					// Heap pages are whole 256 KiB chunks: skip them a chunk
					// at a time.
					chunkEnd := min(it.to, off+int(chunkSize-a&chunkMask))
					if c.inPage(a) {
						off = chunkEnd
						continue
					}
					for ; off+8 <= chunkEnd; off += 8 {
						v := le.Uint64(s.Data[off:])
						if v&3 != 1 {
							continue
						}
						if t, ok := c.objectAt(&lc, v-1); ok {
							bm[t/64] |= 1 << (t % 64)
						}
					}
					off = chunkEnd
				}
				p.Release(s.Data[it.from:it.to])
			}
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	globals := make([]uint64, words)
	for _, a := range c.globals {
		if t, ok := c.ObjectAt(a); ok {
			globals[t/64] |= 1 << (t % 64)
		}
	}
	stack, native := make([]uint64, words), make([]uint64, words)
	for wi := 0; wi < words; wi++ {
		var st, na uint64
		for k := range found {
			st |= found[k][0][wi]
			na |= found[k][1][wi]
		}
		st &^= globals[wi]
		na &^= globals[wi] | st
		stack[wi], native[wi] = st, na
		g.NumRoots += bits.OnesCount64(globals[wi]) + bits.OnesCount64(st) + bits.OnesCount64(na)
	}
	g.roots = [3][]uint64{globals, stack, native}
	g.RootKinds = []string{"global objects", "thread stacks (every slot)", "native memory but free malloc blocks (V8 roots table, handles, global handles)"}
	return nil
}

func (c *Census) inPage(a uint64) bool {
	_, ok := c.chunkPage.get(a >> chunkBits)
	return ok
}

// mark flags every object reachable from a root, and counts the rest.
func (g *Graph) mark(fw *forward) {
	c := g.C
	n := c.nobj
	g.Live = make([]uint64, (n+63)/64)
	// Depth-first, each frame walking its object's references in turn.
	type frame struct{ edges []uint32 }
	var stack []frame
	visit := func(i uint32) {
		if g.Live[i/64]&(1<<(i%64)) != 0 {
			return
		}
		g.Live[i/64] |= 1 << (i % 64)
		p := c.pageIndex(i)
		if e := fw.edges(p, int(i-c.Pages[p].first)); len(e) > 0 {
			stack = append(stack, frame{e})
		}
	}
	for wi := 0; wi < len(g.Live); wi++ {
		for w := g.roots[0][wi] | g.roots[1][wi] | g.roots[2][wi]; w != 0; w &= w - 1 {
			visit(uint32(wi*64 + bits.TrailingZeros64(w)))
		}
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			t := top.edges[0]
			if top.edges = top.edges[1:]; len(top.edges) == 0 {
				stack = stack[:len(stack)-1]
			}
			visit(t)
		}
	}
	for p := range c.Pages {
		pg := &c.Pages[p]
		pg.forObjects(func(j int, _, size uint32) {
			if !g.IsLive(pg.first + uint32(j)) {
				g.Garbage++
				g.GarbageBytes += uint64(size)
			}
		})
	}
}

// IsLive reports whether object i is reachable from a root.
func (g *Graph) IsLive(i uint32) bool { return g.Live[i/64]&(1<<(i%64)) != 0 }

// WithoutGarbage returns the census restricted to objects reachable from a
// root. Its groups' instances (Instances) are still all of them.
func (c *Census) WithoutGarbage(g *Graph) *Census {
	out := *c
	out.byKey = map[string]*Group{}
	out.byID = make([]*Group, len(c.byID))
	for id, og := range c.byID {
		ng := *og
		ng.Count, ng.Bytes, ng.Rep = 0, 0, ^uint64(0)
		out.byID[id] = &ng
	}
	for p := range c.Pages {
		pg := &c.Pages[p]
		pg.forObjects(func(j int, off, size uint32) {
			if !g.IsLive(pg.first + uint32(j)) {
				return
			}
			ng := out.byID[pg.gids[j]]
			ng.Count++
			ng.Bytes += uint64(size)
			ng.Rep = min(ng.Rep, pg.Start+uint64(off))
		})
	}
	out.Groups = nil
	for _, og := range c.Groups {
		ng := out.byID[og.id]
		if ng.Count == 0 {
			continue
		}
		out.Groups = append(out.Groups, ng)
		out.byKey[ng.Key] = ng
	}
	sort.SliceStable(out.Groups, func(i, j int) bool { return out.Groups[i].Count > out.Groups[j].Count })
	return &out
}
