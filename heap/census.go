package heap

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/ndb-debugger/ndb/v8layout"
)

// Group is the set of objects alike: same kind, constructor (or function
// name, for closures) and ordered property names.
type Group struct {
	Kind        Kind
	Constructor string
	Props       []string
	Type        int // instance type (internal groups)
	Count       int
	Bytes       uint64   // total shallow size
	Rep         uint64   // representative: the lowest address
	Objects     []uint64 // every instance, sorted (not kept for internal kinds)
	Key         string
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
type Census struct {
	Groups    []*Group    // sorted by count, descending
	Functions []*Function // sorted by closure count, descending
	Pages     []Page
	Skips     []Skip
	Stats     Stats

	byKey     map[string]*Group
	w         *walker
	chunkPage *u64map // chunk number -> page index
}

// Options control a census.
type Options struct {
	Workers  int                   // default: GOMAXPROCS
	Progress func(done, total int) // called now and then from the workers
}

type localGroup struct {
	g    *Group
	objs []uint64
}

type local struct {
	fns     map[uint64][]uint64 // SFI -> closures
	groups  map[string]*localGroup
	byMap   map[*MapInfo]*localGroup
	bySFI   map[uint64]*localGroup
	skipped uint64
	skips   []Skip
	stats   Stats
}

func (l *local) group(key string, mk func() *Group) *localGroup {
	lg := l.groups[key]
	if lg == nil {
		g := mk()
		g.Key = key
		g.Rep = ^uint64(0)
		lg = &localGroup{g: g}
		l.groups[key] = lg
	}
	return lg
}

// Build enumerates every object of the heap in the core.
func Build(ctx context.Context, h *v8layout.Heap, opt Options) (*Census, error) {
	t0 := time.Now()
	w, err := newWalker(h)
	if err != nil {
		return nil, err
	}
	w.findPages()
	if len(w.pages) == 0 {
		return nil, fmt.Errorf("no V8 heap pages found in the core")
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	locals := make([]*local, workers)
	caches := make([]*mapCache, workers)
	for i := range locals {
		caches[i] = newMapCache()
		locals[i] = &local{fns: map[uint64][]uint64{}, groups: map[string]*localGroup{}, byMap: map[*MapInfo]*localGroup{}, bySFI: map[uint64]*localGroup{}}
	}
	for i := range w.pages {
		pg := &w.pages[i]
		nw := (len(pg.Data)/8 + 63) / 64
		pg.bits = make([]uint64, nw)
		pg.sizes = make([]uint32, 0, len(pg.Data)/48+1)
		pg.kinds = make([]Kind, 0, len(pg.Data)/48+1)
	}
	err = w.forPages(ctx, workers, opt.Progress, func(k, i int) {
		l := locals[k]
		pg := &w.pages[i]
		sk, skips := w.walkPage(pg, caches[k], func(addr uint64, mi *MapInfo, size int, b []byte) {
			wi := (addr - pg.Start) / 8
			pg.bits[wi/64] |= 1 << (wi % 64)
			pg.sizes = append(pg.sizes, uint32(size))
			pg.kinds = append(pg.kinds, mi.Kind)
			w.classify(l, addr, mi, size)
		})
		l.skipped += sk
		l.skips = append(l.skips, skips...)
	})
	if err != nil {
		return nil, err
	}
	c := &Census{Pages: w.pages, byKey: map[string]*Group{}, w: w}
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
		for sfi, cl := range l.fns {
			f := fns[sfi]
			if f == nil {
				f = &Function{SFI: sfi, Name: w.sfiName(sfi)}
				fns[sfi] = f
			}
			f.Closures = append(f.Closures, cl...)
		}
		for key, lg := range l.groups {
			g := c.byKey[key]
			if g == nil {
				g = lg.g
				c.byKey[key] = g
				g.Objects = lg.objs
				continue
			}
			g.Count += lg.g.Count
			g.Bytes += lg.g.Bytes
			g.Rep = min(g.Rep, lg.g.Rep)
			g.Objects = append(g.Objects, lg.objs...)
		}
	}
	for _, g := range c.byKey {
		sort.Slice(g.Objects, func(i, j int) bool { return g.Objects[i] < g.Objects[j] })
		if len(g.Objects) > 0 {
			g.Rep = g.Objects[0]
		}
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
		sort.Slice(f.Closures, func(i, j int) bool { return f.Closures[i] < f.Closures[j] })
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
	c.chunkPage = newU64map(len(c.Pages))
	for i := range c.Pages {
		pg := &c.Pages[i]
		for ch := pg.Chunk; ch < pg.End; ch += chunkSize {
			c.chunkPage.put(ch>>chunkBits, int32(i))
		}
	}
	w.mapMu.RLock()
	c.Stats.Maps = len(w.maps)
	w.mapMu.RUnlock()
	c.Stats.Elapsed = time.Since(t0)
	return c, nil
}

// classify adds one object to the worker's groups.
func (w *walker) classify(l *local, addr uint64, mi *MapInfo, size int) {
	var lg *localGroup
	switch mi.Kind {
	case KindInternal:
		l.stats.InternalObjs++
		lg = l.byMap[mi]
		if lg == nil {
			lg = l.group(fmt.Sprintf("internal\x00%d", mi.Type), func() *Group {
				return &Group{Kind: KindInternal, Constructor: internalName(w.m, mi.Type), Type: mi.Type}
			})
			l.byMap[mi] = lg
		}
		lg.g.Count++
		lg.g.Bytes += uint64(size)
		lg.g.Rep = min(lg.g.Rep, addr)
		return
	case KindFunction:
		l.stats.Closures++
		sfi := w.word(addr + uint64(w.names.sfiOff))
		l.fns[sfi] = append(l.fns[sfi], addr)
		lg = l.bySFI[sfi]
		if lg == nil {
			name := w.sfiName(sfi)
			if name == "" {
				name = "<anonymous>"
			}
			lg = l.group("closure\x00"+name, func() *Group { return &Group{Kind: KindFunction, Constructor: name, Type: mi.Type} })
			l.bySFI[sfi] = lg
		}
	case KindString:
		l.stats.Strings++
		lg = l.byMap[mi]
		if lg == nil {
			lg = l.group("string", func() *Group { return &Group{Kind: KindString, Constructor: "(string)"} })
			l.byMap[mi] = lg
		}
	default:
		l.stats.JSObjects++
		if mi.Dict {
			props := w.dictKeys(addr)
			key := mi.Kind.String() + "\x00" + mi.Ctor + "\x00" + joinProps(props)
			lg = l.group(key, func() *Group { return &Group{Kind: mi.Kind, Constructor: mi.Ctor, Props: props, Type: mi.Type} })
			break
		}
		lg = l.byMap[mi]
		if lg == nil {
			key := mi.Kind.String() + "\x00" + mi.Ctor + "\x00" + joinProps(mi.Props)
			lg = l.group(key, func() *Group { return &Group{Kind: mi.Kind, Constructor: mi.Ctor, Props: mi.Props, Type: mi.Type} })
			l.byMap[mi] = lg
		}
	}
	lg.g.Count++
	lg.g.Bytes += uint64(size)
	lg.objs = append(lg.objs, addr)
}

func internalName(m *v8layout.Metadata, t int) string {
	if n := m.TypeName(t); n != "" {
		return "(" + strings.TrimSuffix(n, "_TYPE") + ")"
	}
	return fmt.Sprintf("(instance type %d)", t)
}

// ObjectAt reports whether addr (untagged) is the start of an object the
// census found, and the object's index in address order.
func (c *Census) ObjectAt(addr uint64) (uint32, bool) {
	i, ok := c.chunkPage.get(addr >> chunkBits)
	if !ok || addr&7 != 0 {
		return 0, false
	}
	pg := &c.Pages[i]
	if addr < pg.Start || addr >= pg.End {
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
// knows it.
func (c *Census) GroupOf(addr uint64) *Group {
	if _, ok := c.ObjectAt(addr); !ok {
		return nil
	}
	for _, g := range c.Groups {
		if g.Kind == KindInternal {
			continue
		}
		i := sort.Search(len(g.Objects), func(i int) bool { return g.Objects[i] >= addr })
		if i < len(g.Objects) && g.Objects[i] == addr {
			return g
		}
	}
	return nil
}

// Lookup returns the group with this key.
func (c *Census) Lookup(key string) *Group { return c.byKey[key] }

// MapOf describes the map of the object at addr (untagged).
func (c *Census) MapOf(addr uint64) *MapInfo { return c.w.mapInfo(c.w.word(addr)) }

// FunctionName names a JSFunction (tagged or untagged address).
func (c *Census) FunctionName(fn uint64) string { return c.w.functionName(fn | 1) }
