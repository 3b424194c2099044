package heap

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Group is the set of objects alike: same kind, constructor (or function
// name, for closures) and ordered property names.
type Group struct {
	Kind        Kind
	Constructor string
	Props       []string
	Type        int // instance type (internal groups)
	Count       int
	Bytes       uint64 // total shallow size
	Rep         uint64 // representative: the lowest address
	Key         string

	id    uint32
	types instanceTypes // the instance types of its objects (JavaScript object groups may mix some) // index in the census's groups by id (the object table)
}

// Label is the constructor column of ::findjsobjects.
func (g *Group) Label() string {
	switch g.Kind {
	case KindFunction:
		return g.Constructor + " (closure)"
	}
	return g.Constructor
}

// Function is one function definition (SharedFunctionInfo) and its
// closures.
type Function struct {
	SFI      uint64 // tagged
	Name     string
	Closures []uint64 // sorted
}

// Stats describes a census run.
type Stats struct {
	Pages        int
	PagesBy      map[string]int // how each page's area was found
	LargePages   int
	CodePages    int // code-space pages, not walked
	Objects      int
	Bytes        uint64
	Skipped      uint64 // bytes inside pages that could not be parsed
	Truncated    uint64 // bytes of page areas missing from the core
	Maps         int
	Elapsed      time.Duration
	Workers      int
	JSObjects    int
	Closures     int
	Strings      int
	InternalObjs int
}

// Census is the result of enumerating the heap.
//
// Its object table is compact: per page, a bitmap of object starts (one
// bit per word, with ranks, so an address gives the object's index) and
// one group id per object; sizes follow from the next object start, kinds
// from the group. Objects are numbered in address order.
type Census struct {
	Groups    []*Group    // sorted by count, descending
	Functions []*Function // sorted by closure count, descending
	Pages     []Page
	Skips     []Skip
	Stats     Stats

	byKey     map[string]*Group
	byID      []*Group // by Group.id
	w         *walker
	chunkPage *u64map  // chunk number -> page index
	nobj      int      // objects
	byIndex   []int32  // object index >> indexBucketBits -> first page holding it
	globals   []uint64 // the global objects (JSGlobalObject)
}

// Options control a census.
type Options struct {
	Workers  int                   // default: GOMAXPROCS
	Progress func(done, total int) // called now and then from the workers

	strict bool // size every guessed object by reading what its words point to
}

// registry hands out group ids to the workers.
type registry struct {
	mu    sync.Mutex
	byKey map[string]*Group
	byID  []*Group
}

func (r *registry) get(key string, mk func() *Group) uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.byKey[key]
	if g == nil {
		g = mk()
		g.Key = key
		g.Rep = ^uint64(0)
		g.id = uint32(len(r.byID))
		r.byKey[key] = g
		r.byID = append(r.byID, g)
	}
	return g.id
}

// localGroup is one worker's share of a group.
type localGroup struct {
	id    uint32
	count int
	bytes uint64
	rep   uint64
	types instanceTypes
}

type local struct {
	reg     *registry
	fns     map[uint64][]uint64 // SFI -> closures
	groups  map[string]*localGroup
	list    []*localGroup
	byMap   []*localGroup // by MapInfo.seq
	bySFI   map[closureKey]*localGroup
	globals []uint64
	skipped uint64
	skips   []Skip
	stats   Stats
	gids    []uint32 // scratch for the page being walked
	gaps    []uint32
	buf     []byte
}

// mapGroup returns the group of the objects of map mi, if known.
func (l *local) mapGroup(mi *MapInfo) *localGroup {
	if mi.seq >= len(l.byMap) {
		l.byMap = append(l.byMap, make([]*localGroup, mi.seq+1-len(l.byMap)+64)...)
	}
	return l.byMap[mi.seq]
}

func (l *local) group(key string, mk func() *Group) *localGroup {
	lg := l.groups[key]
	if lg == nil {
		lg = &localGroup{id: l.reg.get(key, mk), rep: ^uint64(0)}
		l.groups[key] = lg
		l.list = append(l.list, lg)
	}
	return lg
}

// Build enumerates every object of the heap in the core.
func Build(ctx context.Context, h *object.Heap, opt Options) (*Census, error) {
	t0 := time.Now()
	w, err := newWalker(h)
	if err != nil {
		return nil, err
	}
	w.findPages()
	if len(w.pages) == 0 {
		return nil, fmt.Errorf("no V8 heap pages found in the core")
	}
	w.indexPages()
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	reg := &registry{byKey: map[string]*Group{}}
	locals := make([]*local, workers)
	caches := make([]*mapCache, workers)
	for i := range locals {
		caches[i] = newMapCache()
		caches[i].fast = !opt.strict
		locals[i] = &local{reg: reg, fns: map[uint64][]uint64{}, groups: map[string]*localGroup{}, bySFI: map[closureKey]*localGroup{}}
	}
	globalType := w.l.Types.JSGlobalObject
	rel := newReleaser(w.p, w.pages)
	err = w.forPages(ctx, workers, opt.Progress, func(k, i int) {
		l := locals[k]
		pg := &w.pages[i]
		pg.bits = make([]uint64, (len(pg.Data)/8+63)/64)
		l.gids, l.gaps = l.gids[:0], l.gaps[:0]
		next := pg.Start // where the next object starts if there is no gap
		sk, skips := w.walkPage(pg, w.pageBytes(pg, &l.buf), caches[k], func(addr uint64, mi *MapInfo, size int, b []byte) {
			wi := (addr - pg.Start) / 8
			pg.bits[wi/64] |= 1 << (wi % 64)
			if addr != next && len(l.gids) > 0 {
				l.gaps = append(l.gaps, uint32(next-pg.Start))
			}
			next = addr + uint64(size)
			l.gids = append(l.gids, w.classify(l, addr, mi, size).id)
			if mi.Type == globalType {
				l.globals = append(l.globals, addr)
			}
		})
		if len(l.gids) > 0 && next != pg.Start+uint64(len(pg.Data)) {
			l.gaps = append(l.gaps, uint32(next-pg.Start))
		}
		pg.gids = slices.Clone(l.gids)
		if len(l.gaps) > 0 {
			pg.gaps = slices.Clone(l.gaps)
		}
		l.skipped += sk
		l.skips = append(l.skips, skips...)
		rel.finished(i)
	})
	if err != nil {
		return nil, err
	}
	rel.all()
	c := &Census{Pages: w.pages, byKey: reg.byKey, byID: reg.byID, w: w, chunkPage: w.chunkPage}
	c.Stats.PagesBy = map[string]int{}
	c.Stats.Workers = workers
	for _, pg := range w.pages {
		c.Stats.PagesBy[pg.How]++
		if pg.Code {
			c.Stats.CodePages++
		}
		if pg.Large {
			c.Stats.LargePages++
		}
		c.Stats.Truncated += pg.Missing
	}
	c.Stats.Pages = len(w.pages)
	fns := map[uint64]*Function{}
	c.Skips = append(c.Skips, w.skipped...)
	for _, l := range locals {
		c.Stats.Skipped += l.skipped
		c.Skips = append(c.Skips, l.skips...)
		c.Stats.JSObjects += l.stats.JSObjects
		c.Stats.Closures += l.stats.Closures
		c.Stats.Strings += l.stats.Strings
		c.Stats.InternalObjs += l.stats.InternalObjs
		c.globals = append(c.globals, l.globals...)
		for sfi, cl := range l.fns {
			f := fns[sfi]
			if f == nil {
				f = &Function{SFI: sfi, Name: w.sfiName(sfi)}
				fns[sfi] = f
			}
			f.Closures = append(f.Closures, cl...)
		}
		for _, lg := range l.list {
			g := c.byID[lg.id]
			g.Count += lg.count
			g.Bytes += lg.bytes
			g.Rep = min(g.Rep, lg.rep)
			g.types.merge(&lg.types)
		}
	}
	slices.Sort(c.globals)
	for _, g := range c.byID {
		c.Groups = append(c.Groups, g)
		c.Stats.Objects += g.Count
		c.Stats.Bytes += g.Bytes
	}
	sort.Slice(c.Groups, func(i, j int) bool {
		a, b := c.Groups[i], c.Groups[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Key < b.Key
	})
	for _, f := range fns {
		slices.Sort(f.Closures)
		c.Functions = append(c.Functions, f)
	}
	sort.Slice(c.Functions, func(i, j int) bool {
		a, b := c.Functions[i], c.Functions[j]
		if len(a.Closures) != len(b.Closures) {
			return len(a.Closures) > len(b.Closures)
		}
		return a.Closures[0] < b.Closures[0]
	})
	sort.Slice(c.Skips, func(i, j int) bool { return c.Skips[i].Addr < c.Skips[j].Addr })
	// Ranks for object-start lookups.
	idx := uint32(0)
	for i := range c.Pages {
		pg := &c.Pages[i]
		pg.first = idx
		pg.rank = make([]uint32, len(pg.bits))
		r := uint32(0)
		for j, b := range pg.bits {
			pg.rank[j] = r
			r += uint32(bits.OnesCount64(b))
		}
		idx += r
	}
	c.nobj = int(idx)
	c.byIndex = make([]int32, c.nobj>>indexBucketBits+1)
	p := 0
	for b := range c.byIndex {
		for p+1 < len(c.Pages) && c.Pages[p+1].first <= uint32(b<<indexBucketBits) {
			p++
		}
		c.byIndex[b] = int32(p)
	}
	// The objects whose size was guessed must hold no pointer to a map;
	// should one, the census is redone reading every such pointer.
	var prov []span
	for _, mc := range caches {
		prov = append(prov, mc.provisional...)
	}
	if !c.verify(prov) {
		opt.strict = true
		return Build(ctx, h, opt)
	}
	w.mapMu.RLock()
	c.Stats.Maps = len(w.maps)
	w.mapMu.RUnlock()
	c.Stats.Elapsed = time.Since(t0)
	return c, nil
}

const indexBucketBits = 10

// indexPages maps every chunk of every page to the page.
func (w *walker) indexPages() {
	w.chunkPage = newU64map(len(w.pages))
	for i := range w.pages {
		pg := &w.pages[i]
		// Only the chunks whose bytes the core holds: a large page's area
		// comes from its (untrusted) header.
		for ch := pg.Chunk; ch < pg.Start+uint64(len(pg.Data)) && ch >= pg.Chunk; ch += chunkSize {
			w.chunkPage.put(ch>>chunkBits, int32(i))
		}
	}
}

// classify adds one object to the worker's groups and returns its group.
func (w *walker) classify(l *local, addr uint64, mi *MapInfo, size int) *localGroup {
	var lg *localGroup
	switch mi.Kind {
	case KindInternal:
		l.stats.InternalObjs++
		lg = l.mapGroup(mi)
		if lg == nil {
			lg = l.group(fmt.Sprintf("internal\x00%d", mi.Type), func() *Group {
				return &Group{Kind: KindInternal, Constructor: internalName(w.l.Meta, mi.Type), Type: mi.Type}
			})
			l.byMap[mi.seq] = lg
		}
	case KindFunction:
		l.stats.Closures++
		sfi := w.word(addr + uint64(w.names.sfiOff))
		l.fns[sfi] = append(l.fns[sfi], addr)
		ck := closureKey{sfi, mi.Addr}
		lg = l.bySFI[ck]
		if lg == nil || mi.Dict {
			name := w.sfiName(sfi)
			if name == "" {
				name = "<anonymous>"
			}
			props := mi.Props
			if mi.Dict {
				props = w.dictKeys(addr)
			}
			props = ownFunctionProps(props)
			lg = l.group("closure\x00"+name+"\x00"+joinProps(props), func() *Group {
				return &Group{Kind: KindFunction, Constructor: name, Props: props, Type: mi.Type}
			})
			l.bySFI[ck] = lg
		}
	case KindString:
		l.stats.Strings++
		lg = l.mapGroup(mi)
		if lg == nil {
			lg = l.group("string", func() *Group { return &Group{Kind: KindString, Constructor: "(string)"} })
			l.byMap[mi.seq] = lg
		}
	default:
		l.stats.JSObjects++
		if mi.Dict || mi.ByObject {
			var props []string
			if mi.Dict {
				props = w.dictKeys(addr)
			} else {
				props = mi.Props
			}
			ctor := mi.Ctor
			if mi.ByObject || object.HasOwnStringTag(props) {
				ctor = w.h.SnapshotName(object.Value(addr | 1))
			}
			key := mi.Kind.String() + "\x00" + ctor + "\x00" + joinProps(props)
			lg = l.group(key, func() *Group { return &Group{Kind: mi.Kind, Constructor: ctor, Props: props, Type: mi.Type} })
			break
		}
		lg = l.mapGroup(mi)
		if lg == nil {
			key := mi.Kind.String() + "\x00" + mi.Ctor + "\x00" + joinProps(mi.Props)
			lg = l.group(key, func() *Group { return &Group{Kind: mi.Kind, Constructor: mi.Ctor, Props: mi.Props, Type: mi.Type} })
			l.byMap[mi.seq] = lg
		}
	}
	lg.count++
	lg.bytes += uint64(size)
	lg.rep = min(lg.rep, addr)
	if mi.Kind != KindString {
		lg.types.add(mi.Type)
	}
	return lg
}

// closureKey: closures of one function and one map are in one group.
type closureKey struct{ sfi, m uint64 }

// standardFunctionProps are the properties every function has from its
// map (accessors: length, name, prototype; arguments and caller of sloppy
// functions).
var standardFunctionProps = map[string]bool{"length": true, "name": true, "prototype": true, "arguments": true, "caller": true}

// ownFunctionProps are the properties a program gave a function itself
// (f.__id = 1): its own properties but the standard ones.
func ownFunctionProps(props []string) []string {
	var out []string
	for _, p := range props {
		if !standardFunctionProps[p] {
			out = append(out, p)
		}
	}
	return out
}

func internalName(m *layout.Metadata, t int) string {
	if n := m.TypeName(t); n != "" {
		return "(" + strings.TrimSuffix(n, "_TYPE") + ")"
	}
	return fmt.Sprintf("(instance type %d)", t)
}

// ObjectAt reports whether addr (untagged) is the start of an object the
// census found, and the object's index in address order.
func (c *Census) ObjectAt(addr uint64) (uint32, bool) {
	var lc lastChunk
	return c.objectAt(&lc, addr)
}

// lastChunk remembers the page of the last lookup: references often point
// into the same chunk one after the other.
type lastChunk struct {
	ch uint64
	pg *Page
	ok bool
}

func (c *Census) objectAt(lc *lastChunk, addr uint64) (uint32, bool) {
	if addr&7 != 0 {
		return 0, false
	}
	if ch := addr >> chunkBits; !lc.ok || ch != lc.ch {
		lc.ch, lc.ok, lc.pg = ch, true, nil
		if i, ok := c.chunkPage.get(ch); ok {
			lc.pg = &c.Pages[i]
		}
	}
	pg := lc.pg
	if pg == nil || addr < pg.Start || addr >= pg.End {
		return 0, false
	}
	wi := (addr - pg.Start) / 8
	if int(wi/64) >= len(pg.bits) {
		return 0, false
	}
	b := pg.bits[wi/64]
	if b&(1<<(wi%64)) == 0 {
		return 0, false
	}
	return pg.first + pg.rank[wi/64] + uint32(bits.OnesCount64(b&(1<<(wi%64)-1))), true
}

// GroupOf returns the group of the object at addr (untagged), if the census
// knows it (internal objects have none).
func (c *Census) GroupOf(addr uint64) *Group {
	i, ok := c.ObjectAt(addr)
	if !ok {
		return nil
	}
	if g := c.group(i); g.Kind != KindInternal {
		return g
	}
	return nil
}

// Instances returns the address of every instance of g, in address order.
func (c *Census) Instances(g *Group) []uint64 {
	out := make([]uint64, 0, g.Count)
	for i := range c.Pages {
		pg := &c.Pages[i]
		if !slices.Contains(pg.gids, g.id) {
			continue
		}
		j := 0
		for wi, b := range pg.bits {
			for b != 0 {
				tz := bits.TrailingZeros64(b)
				b &= b - 1
				if pg.gids[j] == g.id {
					out = append(out, pg.Start+uint64(wi*64+tz)*8)
				}
				j++
			}
		}
	}
	return out
}

// Lookup returns the group with this key.
func (c *Census) Lookup(key string) *Group { return c.byKey[key] }

// MapOf describes the map of the object at addr (untagged).
func (c *Census) MapOf(addr uint64) *MapInfo { return c.w.mapInfo(c.w.word(addr)) }

// FunctionName names a JSFunction (tagged or untagged address).
func (c *Census) FunctionName(fn uint64) string { return c.w.functionName(fn | 1) }

// NumObjects is the number of objects the census found; their indexes are
// [0, NumObjects) in address order.
func (c *Census) NumObjects() int { return c.nobj }

// pageIndex returns the index of the page holding object i.
func (c *Census) pageIndex(i uint32) int {
	p := int(c.byIndex[i>>indexBucketBits])
	for p+1 < len(c.Pages) && c.Pages[p+1].first <= i {
		p++
	}
	return p
}

func (c *Census) pageOfIndex(i uint32) *Page { return &c.Pages[c.pageIndex(i)] }

// Addr returns the untagged address of object i.
func (c *Census) Addr(i uint32) uint64 {
	pg := c.pageOfIndex(i)
	n := i - pg.first
	// The word of the bitmap holding the n-th object start, then the bit.
	j := sort.Search(len(pg.rank), func(j int) bool { return pg.rank[j] > n }) - 1
	b := pg.bits[j]
	for k := n - pg.rank[j]; k > 0; k-- {
		b &= b - 1
	}
	return pg.Start + uint64(j*64+bits.TrailingZeros64(b))*8
}

// group returns the group of object i.
func (c *Census) group(i uint32) *Group {
	pg := c.pageOfIndex(i)
	return c.byID[pg.gids[i-pg.first]]
}

// Kind returns the kind of object i.
func (c *Census) Kind(i uint32) Kind { return c.group(i).Kind }

// Size returns the size in bytes of object i: up to the next object, the
// next unparsed gap or the end of the page.
func (c *Census) Size(i uint32) uint32 {
	pg := c.pageOfIndex(i)
	start := c.Addr(i) - pg.Start
	end := uint64(len(pg.Data))
	if i+1 < pg.first+uint32(len(pg.gids)) {
		end = c.Addr(i+1) - pg.Start
	}
	if k, _ := slices.BinarySearch(pg.gaps, uint32(start+1)); k < len(pg.gaps) {
		end = min(end, uint64(pg.gaps[k]))
	}
	return uint32(end - start)
}

// forObjects calls fn for every object of the page in address order with
// its index in the page, its offset in Data and its size.
func (pg *Page) forObjects(fn func(j int, off, size uint32)) {
	j, gi := 0, 0
	prev := int64(-1)
	emit := func(next uint32) {
		for gi < len(pg.gaps) && int64(pg.gaps[gi]) <= prev {
			gi++
		}
		if gi < len(pg.gaps) && pg.gaps[gi] < next {
			next = pg.gaps[gi]
		}
		fn(j, uint32(prev), next-uint32(prev))
		j++
	}
	for wi, b := range pg.bits {
		for b != 0 {
			off := uint32(wi*64+bits.TrailingZeros64(b)) * 8
			b &= b - 1
			if prev >= 0 {
				emit(off)
			}
			prev = int64(off)
		}
	}
	if prev >= 0 {
		emit(uint32(len(pg.Data)))
	}
}

// verify reports whether no word inside the objects of prov (after the
// header) points to a map, judged from the census's own object table (a
// map is an object of MAP_TYPE) or, for words pointing outside it, by
// reading the map word they point to.
func (c *Census) verify(prov []span) bool {
	w := c.w
	mc := newMapCache()
	var buf []byte
	for _, sp := range prov {
		b, err := w.p.Slice(sp.addr, uint64(sp.size))
		if err != nil {
			return false
		}
		if sp.size <= 1<<20 {
			b = w.copyOut(&buf, b)
		}
		for i := 16; i+8 <= len(b); i += 8 {
			v := le.Uint64(b[i:])
			if v&3 != 1 {
				continue
			}
			if t, ok := c.ObjectAt(v - 1); ok {
				if g := c.group(t); g.Kind == KindInternal && g.Type == w.mapType {
					return false
				}
				continue
			}
			if w.lookup(mc, v) != nil {
				return false
			}
		}
		if sp.size > 1<<20 {
			w.p.Release(b)
		}
	}
	return true
}

// PageUsed is the size of the live-looking objects found on page i of
// Pages: free space (FREE_SPACE_TYPE, the free lists' blocks) is left out.
// A code page, which is not walked, counts 0.
func (c *Census) PageUsed(i int) uint64 {
	pg := &c.Pages[i]
	free := c.w.l.Types.FreeSpace
	var n uint64
	pg.forObjects(func(j int, _, size uint32) {
		if g := c.byID[pg.gids[j]]; g.Kind == KindInternal && g.Type == free {
			return
		}
		n += uint64(size)
	})
	return n
}
