package heap

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// walker holds what every page walk shares.
type walker struct {
	p     *elfcore.Process
	h     *object.Heap
	l     *layout.Layout
	sizer *layout.Sizer
	names *namer

	mapType  int
	mapMu    sync.RWMutex
	maps     map[uint64]*MapInfo // by untagged address
	metaMaps map[uint64]bool

	pages     []Page
	chunkPage *u64map // chunk number -> page index (see indexPages)
	skipped   []Skip
}

func newWalker(h *object.Heap) (*walker, error) {
	l := h.Layout
	mt := l.Types.Map
	if mt < 0 {
		return nil, l.Meta.Require("type:MAP_TYPE")
	}
	w := &walker{p: h.Proc, h: h, l: l, sizer: l.Sizes, mapType: mt,
		maps: map[uint64]*MapInfo{}, metaMaps: map[uint64]bool{}}
	names, err := newNamer(w)
	if err != nil {
		return nil, err
	}
	w.names = names
	return w, nil
}

// mapCache is one worker's lock-free cache of map lookups.
type mapCache struct {
	idx   *u64map
	infos []*MapInfo
	metas *u64map // meta maps (tagged) seen

	// fast: guessed sizes check the words inside the object only against
	// the maps already known (see objSize); the objects so sized are
	// listed in provisional for the census to verify.
	fast        bool
	guessed     bool // the last objSize was such a guess
	provisional []span

	// firstMapWord: an object of unknown layout ends at the first map
	// word inside it, not at the first that starts a chain of two objects
	// (see objSize). Page detection (parses) uses it: skipping ahead to a
	// chain would let C++ memory with a few map pointers pass for a page.
	firstMapWord bool
}

// span is an object: its address and size.
type span struct {
	addr uint64
	size uint32
}

func newMapCache() *mapCache { return &mapCache{idx: newU64map(1024), metas: newU64map(16)} }

// heapWord reads the word at a from the heap pages when a lies in one
// (once indexPages has run), else from the core.
func (w *walker) heapWord(a uint64) (uint64, bool) {
	if w.chunkPage != nil {
		if i, ok := w.chunkPage.get(a >> chunkBits); ok {
			pg := &w.pages[i]
			if a >= pg.Start && a+8 <= pg.Start+uint64(len(pg.Data)) {
				return le.Uint64(pg.Data[a-pg.Start:]), true
			}
		}
	}
	v, err := w.p.ReadU64(a)
	return v, err == nil
}

// lookup is mapInfo through the worker's cache. Words that do not point
// to a map (most pointers the walker meets) are turned down without
// locks: the object they point to must have a meta map as its map.
func (w *walker) lookup(mc *mapCache, word uint64) *MapInfo {
	if word&3 != 1 {
		return nil
	}
	if i, ok := mc.idx.get(word); ok {
		return mc.infos[i]
	}
	mm, ok := w.heapWord(word - 1)
	if !ok || mm&3 != 1 {
		return nil
	}
	if _, ok := mc.metas.get(mm); !ok {
		if self, ok := w.heapWord(mm - 1); !ok || self != mm {
			return nil
		}
	}
	mi := w.mapInfo(word)
	if mi != nil {
		mc.idx.put(word, int32(len(mc.infos)))
		mc.infos = append(mc.infos, mi)
		mc.metas.put(mm, 0)
	}
	return mi
}

// isMap reports whether word is a tagged pointer to a Map: an object whose
// own map is a meta map (a map that is its own map).
func (w *walker) isMap(word uint64) bool {
	return w.mapInfo(word) != nil
}

// mapInfo returns the cached description of the map word points to, or
// nil when word is not a pointer to a map.
func (w *walker) mapInfo(word uint64) *MapInfo {
	if word&3 != 1 {
		return nil
	}
	a := word - 1
	w.mapMu.RLock()
	mi, ok := w.maps[a]
	w.mapMu.RUnlock()
	if ok {
		return mi
	}
	mm, err := w.p.ReadU64(a)
	if err != nil || mm&3 != 1 {
		return nil
	}
	if !w.isMetaMap(mm - 1) {
		return nil
	}
	mi = w.describeMap(a)
	if mi == nil {
		return nil
	}
	w.mapMu.Lock()
	if old, ok := w.maps[a]; ok {
		mi = old
	} else {
		mi.seq = len(w.maps)
		w.maps[a] = mi
	}
	w.mapMu.Unlock()
	return mi
}

func (w *walker) isMetaMap(a uint64) bool {
	w.mapMu.RLock()
	ok := w.metaMaps[a]
	w.mapMu.RUnlock()
	if ok {
		return true
	}
	self, err := w.p.ReadU64(a)
	if err != nil || self != a|1 {
		return false
	}
	t, err := w.p.ReadU16(a + w.names.typeOff)
	if err != nil || int(t) != w.mapType {
		return false
	}
	w.mapMu.Lock()
	w.metaMaps[a] = true
	w.mapMu.Unlock()
	return true
}

// objSize returns the size of the object at b[0:] (b runs to the end of
// the page area) with map mi. Sizes from the metadata are trusted. A
// guessed layout is kept only if no word inside the object is a map
// pointer and the next object starts with one; otherwise the object ends
// at the next map word (the smallest size consistent with the page).
func (w *walker) objSize(mc *mapCache, mi *MapInfo, b []byte) (int, bool) {
	r := &mi.size
	mc.guessed = false
	if r.Certain {
		n, ok := w.sizer.ObjectSize(r.Layouts[0], r.Fixed, b)
		if !ok || n > len(b) || n < 8 || n&7 != 0 {
			return 0, false
		}
		return n, true
	}
	if mc.fast {
		// The first layout whose object is followed by a map word (or the
		// end of the area) and holds no word that is a map this worker
		// knows. Whether the other words inside point to maps is verified
		// after the census from its object table, without reading the
		// objects they point to (which would fault in most of the heap).
		for _, l := range r.Layouts {
			if l == layout.SizeUnknown {
				break
			}
			n, ok := w.sizer.ObjectSize(l, r.Fixed, b)
			if !ok || n < 16 || n&7 != 0 || n > len(b) || n+8 > len(b) && n != len(b) {
				continue
			}
			if n < len(b) && w.lookup(mc, le.Uint64(b[n:])) == nil {
				continue
			}
			clean := true
			for i := 16; i < n; i += 8 {
				if v := le.Uint64(b[i:]); v&3 == 1 {
					if _, known := mc.idx.get(v); known {
						clean = false
						break
					}
				}
			}
			if clean {
				mc.guessed = true
				return n, true
			}
			break
		}
	}
	// The next map word after the header that starts an object followed
	// by another map word (or the end of the area): an object of unknown
	// layout may hold a map among its elements, and taking that word for
	// the next object would count a false object there and lose the real
	// ones it overlaps. With no such word, the first map word.
	next, first := len(b), -1
	for i := 16; i+8 <= len(b); i += 8 {
		v := le.Uint64(b[i:])
		if v&3 != 1 {
			continue
		}
		nmi := w.lookup(mc, v)
		if nmi == nil {
			continue
		}
		if first < 0 {
			first = i
		}
		if mc.firstMapWord || w.chained(mc, nmi, b[i:]) {
			next = i
			break
		}
	}
	if next == len(b) && first >= 0 {
		next = first
	}
	for _, l := range r.Layouts {
		if l == layout.SizeUnknown {
			break
		}
		n, ok := w.sizer.ObjectSize(l, r.Fixed, b)
		if ok && n == next {
			return n, true
		}
	}
	return next, true
}

// chained reports whether the object at b[0:] with map mi ends at the end
// of b or before another map word. Only sizes from the metadata are
// checked; an object of guessed layout passes.
func (w *walker) chained(mc *mapCache, mi *MapInfo, b []byte) bool {
	r := &mi.size
	if !r.Certain {
		return true
	}
	n, ok := w.sizer.ObjectSize(r.Layouts[0], r.Fixed, b)
	if !ok || n > len(b) || n < 8 || n&7 != 0 {
		return false
	}
	return n == len(b) || n+8 <= len(b) && w.lookup(mc, le.Uint64(b[n:])) != nil
}

// visitor receives each object of a page walk.
type visitor func(addr uint64, mi *MapInfo, size int, b []byte)

// walkPage visits every object of one page, resynchronising on the next
// map word after anything it cannot parse. b holds the bytes of pg.Data
// (pageBytes). It returns the bytes skipped.
func (w *walker) walkPage(pg *Page, b []byte, mc *mapCache, visit visitor) (skipped uint64, skips []Skip) {
	pos := 0
	conservative := pg.How == "conservative"
	if len(b) >= 8 && !conservative {
		// Code space: machine code embeds map pointers, so its pages are not
		// walked (code objects are V8-internal).
		if mi := w.lookup(mc, le.Uint64(b)); mi != nil && w.isCodeType(mi.Type) {
			pg.Code = true
			return 0, nil
		}
	}
	for pos+8 <= len(b) {
		var mi *MapInfo
		if !conservative {
			mi = w.lookup(mc, le.Uint64(b[pos:]))
		}
		n, ok := 0, false
		if mi != nil {
			n, ok = w.objSize(mc, mi, b[pos:])
		}
		if !ok {
			// Resynchronise: the next map word whose object parses and is
			// followed by a map word or the end of the area.
			start := pos
			pos += 8
			for ; pos+8 <= len(b); pos += 8 {
				v := le.Uint64(b[pos:])
				if v&3 != 1 {
					continue
				}
				mi = w.lookup(mc, v)
				if mi == nil {
					continue
				}
				if n, ok = w.objSize(mc, mi, b[pos:]); !ok {
					continue
				}
				if pos+n == len(b) || pos+n+8 <= len(b) && w.lookup(mc, le.Uint64(b[pos+n:])) != nil {
					break
				}
				ok = false
			}
			conservative = false
			gap := uint64(pos - start)
			skipped += gap
			if gap >= 64 && pg.How != "conservative" || start == 0 {
				skips = append(skips, Skip{pg.Start + uint64(start), gap, "unparsable bytes in a heap page (allocation-buffer tail, or corrupted)"})
			}
			if !ok {
				break
			}
		}
		if mc.guessed {
			mc.provisional = append(mc.provisional, span{pg.Start + uint64(pos), uint32(n)})
		}
		visit(pg.Start+uint64(pos), mi, n, b[pos:pos+n])
		pos += n
		if pg.Large {
			break
		}
	}
	return skipped, skips
}

// forPages runs fn on every page, spread over the CPUs. fn gets a worker
// number in [0, workers).
func (w *walker) forPages(ctx context.Context, workers int, progress func(done, total int), fn func(worker, page int)) error {
	var next atomic.Int64
	var done atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	total := len(w.pages)
	for k := 0; k < workers; k++ {
		g.Go(func() error {
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				i := int(next.Add(1) - 1)
				if i >= total {
					return nil
				}
				fn(k, i)
				d := done.Add(1)
				if progress != nil && d%64 == 0 {
					progress(int(d), total)
				}
			}
		})
	}
	return g.Wait()
}

// isCodeType: the objects that hold machine code (InstructionStream from
// V8 11, Code before).
func (w *walker) isCodeType(t int) bool {
	if is := w.l.Types.InstructionStream; is >= 0 {
		return t == is
	}
	c := w.l.Types.Code
	return c >= 0 && t == c
}

// pageBytes returns the bytes of a regular page read into *buf (reused
// from page to page), or pg.Data itself for a large page or when the core
// is not a mapped file. Scans read pages this way: the copy costs less
// than faulting the mapping in, and keeps the core out of the resident set.
func (w *walker) pageBytes(pg *Page, buf *[]byte) []byte {
	if pg.Large || len(pg.Data) == 0 {
		return pg.Data
	}
	return w.copyOut(buf, pg.Data)
}

// copyOut is Process.CopyOut keeping the buffer for the next call (never
// b itself, which CopyOut returns when it cannot read).
func (w *walker) copyOut(buf *[]byte, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	out := w.p.CopyOut(*buf, b)
	if &out[0] != &b[0] {
		*buf = out
	}
	return out
}
