// Package heap enumerates the objects of the V8 heap in a core: the heap
// census behind ::findjsobjects and ::jsfunctions, the reverse-reference
// index behind ::findjsrefs and ::jsroots, and census diffs.
//
// Enumeration walks V8's heap pages. Pages are 256 KiB-aligned chunks of
// anonymous memory; each has a header saying where its object area starts
// and ends (on the page up to V8 12, in an off-page metadata record the
// header points to from V8 13). Objects lie back to back in the area, each
// starting with its map word, each sized from its map (see
// v8/layout/objsize.go). Where a page cannot be parsed — a corrupted object,
// the unfilled tail of an allocation buffer, a damaged or zero-filled
// header — the walker falls back to a conservative scan for the next word
// that is a map pointer whose object is followed by another valid object,
// and counts the bytes it skipped.
package heap

import (
	"encoding/binary"
	"math"
	"sort"
	"sync"

	"github.com/ndb-debugger/ndb/elfcore"
)

const (
	chunkBits = 18 // V8's kPageSizeBits on x64: pages are 256 KiB, aligned
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

var le = binary.LittleEndian

// Page is one V8 heap page found in the core.
type Page struct {
	Chunk      uint64 // the 256 KiB-aligned start
	Start, End uint64 // the object area
	Data       []byte // the bytes of [Start, End) present in the core
	Large      bool   // a large-object page (one object)
	How        string // "header", "metadata", "object" (how the area was found)
	Code       bool   // a code-space page (not walked)
	Missing    uint64 // bytes of the area not in the core (truncated)

	seg   *elfcore.Segment
	first uint32   // index of the page's first object in the census
	bits  []uint64 // object starts, one bit per word of the area
	rank  []uint32 // objects before each word of bits
	gids  []uint32 // the group id of each object, in address order
	gaps  []uint32 // offsets in Data where unparsed bytes follow an object
}

// Skip records memory the walker could not parse.
type Skip struct {
	Addr   uint64
	Bytes  uint64
	Reason string
}

// anonSegments returns the core segments that are not file mappings: V8
// reserves its heap with anonymous mmap.
func anonSegments(p *elfcore.Process) []*elfcore.Segment {
	var out []*elfcore.Segment
	for i := range p.Segments {
		s := &p.Segments[i]
		if _, ok := p.FileMappingAt(s.Start); ok {
			continue
		}
		out = append(out, s)
	}
	return out
}

// areaFromWords looks for V8's (area_start, area_end) pair for chunk c in a
// run of header words: area_start lies a little after the chunk start,
// area_end at or past the chunk end for regular pages.
func areaFromWords(c uint64, words []byte) (start, end uint64, ok bool) {
	for i := 0; i+16 <= len(words); i += 8 {
		s := le.Uint64(words[i:])
		if s <= c || s-c >= 1<<16 || s&7 != 0 {
			continue
		}
		e := le.Uint64(words[i+8:])
		if e <= s || e < c+chunkSize-(1<<16) || e-c > 1<<34 || e&7 != 0 {
			continue
		}
		return s, e, true
	}
	return 0, 0, false
}

// candidate is a 256 KiB chunk of a segment that may be a heap page.
type candidate struct {
	c     uint64
	seg   *elfcore.Segment
	hdr   bool
	s, e  uint64
	how   string
	words []byte // the header words, or the metadata record's
}

// chunksHeld returns the first and the last 256 KiB-aligned chunk start
// whose 128 header bytes segment s holds, or ok false when there is none.
// The walk is bounded by the bytes the core holds, never by p_memsz (which
// a damaged core may set to 2^63), and the rounding cannot wrap.
func chunksHeld(s *elfcore.Segment) (first, last uint64, ok bool) {
	held := uint64(len(s.Data)) // Data lies in [Start, End): no overflow
	if held < 128 {
		return 0, 0, false
	}
	top := s.Start + held - 128 // the last address a header may start at
	first = s.Start &^ chunkMask
	if first != s.Start {
		if first > math.MaxUint64-chunkSize {
			return 0, 0, false
		}
		first += chunkSize
	}
	// The last chunk whose end is representable: page arithmetic
	// (c+chunkSize) never wraps.
	const maxChunk = math.MaxUint64&^chunkMask - chunkSize
	last = min(top&^chunkMask, maxChunk)
	if first > last {
		return 0, 0, false
	}
	return first, last, true
}

// candidates lists the chunks of the anonymous segments that may be heap
// pages, with the area bounds their header gives (or none), and the
// areaOffs histogram of area offsets found in headers.
func (w *walker) candidates() (cands []candidate, areaOffs map[uint64]int) {
	p := w.p
	areaOffs = map[uint64]int{}
	for _, s := range anonSegments(p) {
		if held := uint64(len(s.Data)); held < s.FileSize {
			w.skipped = append(w.skipped, Skip{s.Start + held, s.FileSize - held, "truncated core: chunks not in the file"})
		}
		first, last, ok := chunksHeld(s)
		for c := first; ok; c += chunkSize {
			if cd, ok := w.candidate(s, c); ok {
				cands = append(cands, cd)
				if cd.hdr {
					areaOffs[cd.s-c]++
				}
			}
			if c == last {
				break
			}
		}
	}
	return cands, areaOffs
}

// candidate reads the header of chunk c of segment s (which holds its
// first 128 bytes).
func (w *walker) candidate(s *elfcore.Segment, c uint64) (candidate, bool) {
	off := c - s.Start
	hdr := s.Data[off : off+128]
	if st, en, ok := areaFromWords(c, hdr); ok {
		return candidate{c: c, seg: s, hdr: true, s: st, e: en, how: "header", words: hdr}, true
	}
	// V8 13+: the header holds flags and a pointer to the page's metadata
	// record, which holds the area bounds.
	for j := 0; j < 2; j++ {
		ptr := le.Uint64(hdr[8*j:])
		if ptr < 4096 || ptr>>chunkBits == c>>chunkBits {
			continue
		}
		md, err := w.p.Slice(ptr, 128)
		if err != nil {
			continue
		}
		if st, en, ok := areaFromRecord(c, md); ok {
			return candidate{c: c, seg: s, hdr: true, s: st, e: en, how: "metadata", words: md}, true
		}
	}
	if s.Flags&2 != 0 && s.Start&chunkMask == 0 && (s.End-s.Start)&chunkMask == 0 && allZero(s, c) {
		w.skipped = append(w.skipped, Skip{c, chunkSize, "zero-filled 256 KiB chunk of writable memory (an unused or wiped heap page)"})
		return candidate{}, false
	}
	return candidate{c: c, seg: s}, true
}

// findPages locates heap pages. isMap tells whether a word is a pointer to
// a map (used for pages whose header cannot be read). It returns the pages
// sorted by address and the chunks it skipped.
func (w *walker) findPages() {
	p := w.p
	cands, areaOffs := w.candidates()
	// The most common area offset, for chunks whose header is unreadable.
	var common uint64
	best := 0
	for o, n := range areaOffs {
		if n > best || n == best && o < common {
			common, best = o, n
		}
	}
	// The page signature: a header word (V8's Heap pointer) shared by the
	// pages whose area starts with an object. A chunk with a page-like
	// header but a damaged first object is scanned only if it has it too.
	type sig struct {
		idx int
		val uint64
	}
	sigs := map[sig]int{}
	for _, cd := range cands {
		if !cd.hdr {
			continue
		}
		if b, err := p.Slice(cd.s, 8); err != nil || !w.isMap(le.Uint64(b)) {
			continue
		}
		for j := 0; j+8 <= len(cd.words); j += 8 {
			v := le.Uint64(cd.words[j:])
			if v >= 1<<16 && v>>chunkBits != cd.c>>chunkBits {
				sigs[sig{j, v}]++
			}
		}
	}
	var best2 sig
	for sg, n := range sigs {
		if n > sigs[best2] {
			best2 = sg
		}
	}
	signed := func(words []byte) bool {
		return sigs[best2] >= 2 && best2.idx+8 <= len(words) && le.Uint64(words[best2.idx:]) == best2.val
	}
	covered := uint64(0) // end of the last large page
	for _, cd := range cands {
		if cd.c < covered {
			continue
		}
		pg := Page{Chunk: cd.c, Start: cd.s, End: cd.e, How: cd.how, seg: cd.seg}
		if cd.hdr && !signed(cd.words) {
			continue
		}
		if cd.hdr {
			// A header alone is not proof (C++ memory can look alike): the
			// area must start with an object, or the chunk must be full of
			// map words (a page whose first object is damaged).
			b, err := p.Slice(cd.s, 8)
			if err != nil || !w.isMap(le.Uint64(b)) {
				if err != nil {
					continue
				}
				if allZero(cd.seg, cd.c) {
					w.skipped = append(w.skipped, Skip{cd.c, chunkSize, "heap page is zero-filled"})
					continue
				}
				pg.How = "conservative"
			}
		} else {
			// No readable header: a page if its area starts with an object.
			if best == 0 {
				continue
			}
			st := cd.c + common
			b, err := p.Slice(st, 8)
			if err != nil || !w.isMap(le.Uint64(b)) || !w.parses(cd.seg, st, cd.c+chunkSize) {
				continue
			}
			pg.Start, pg.End, pg.How = st, cd.c+chunkSize, "object"
		}
		if pg.End > cd.c+chunkSize {
			pg.Large = true
			covered = pg.End
		}
		s := cd.seg
		if pg.Start < s.Start || pg.Start >= s.End {
			continue
		}
		avail := s.Start + uint64(len(s.Data))
		end := min(pg.End, avail, s.End)
		if end > pg.Start {
			pg.Data = s.Data[pg.Start-s.Start : end-s.Start]
		}
		if end < pg.End {
			pg.Missing = pg.End - end
			w.skipped = append(w.skipped, Skip{end, pg.End - end, "page area not in the core (truncated or not dumped)"})
		}
		w.pages = append(w.pages, pg)
	}
	sort.Slice(w.pages, func(i, j int) bool { return w.pages[i].Start < w.pages[j].Start })
}

// areaFromRecord reads an off-page chunk metadata record (V8 13+): it
// holds the chunk address followed by the chunk size, and the area start a
// few words later.
func areaFromRecord(c uint64, rec []byte) (start, end uint64, ok bool) {
	var size uint64
	for i := 0; i+16 <= len(rec); i += 8 {
		if le.Uint64(rec[i:]) == c {
			sz := le.Uint64(rec[i+8:])
			if sz >= chunkSize && sz&4095 == 0 && sz < 1<<34 {
				size = sz
				break
			}
		}
	}
	if size == 0 {
		return 0, 0, false
	}
	for i := 0; i+8 <= len(rec); i += 8 {
		v := le.Uint64(rec[i:])
		if v > c && v-c < 1<<12 && v&7 == 0 {
			return v, c + size, true
		}
	}
	return 0, 0, false
}

func allZero(s *elfcore.Segment, c uint64) bool {
	off := c - s.Start
	end := min(off+chunkSize, uint64(len(s.Data)))
	for i := off; i+8 <= end; i += 8 {
		if le.Uint64(s.Data[i:]) != 0 {
			return false
		}
	}
	return true
}

// parses reports whether objects lie back to back from start for at least
// 64 KiB or to end (a page whose header is unreadable; C++ memory holding a
// few map pointers does not pass).
func (w *walker) parses(s *elfcore.Segment, start, end uint64) bool {
	if start < s.Start || start >= s.Start+uint64(len(s.Data)) {
		return false
	}
	b := s.Data[start-s.Start : min(end, s.Start+uint64(len(s.Data)))-s.Start]
	pos := 0
	mc := newMapCache()
	mc.firstMapWord = true
	for pos+8 <= len(b) && pos < 64<<10 {
		mi := w.lookup(mc, le.Uint64(b[pos:]))
		if mi == nil {
			return false
		}
		n, ok := w.objSize(mc, mi, b[pos:])
		if !ok {
			return false
		}
		pos += n
	}
	return true
}

// releaser drops the heap pages a scan has finished with from the
// process's resident set (elfcore.Process.Release), in batches of
// consecutive pages: one madvise per page would cost more than the scan.
type releaser struct {
	p     *elfcore.Process
	pages []Page
	mu    sync.Mutex
	done  []bool
	next  int // pages [0, next) are done
	from  int // pages [0, from) are released
}

const releaseBatch = 64 << 20

func newReleaser(p *elfcore.Process, pages []Page) *releaser {
	return &releaser{p: p, pages: pages, done: make([]bool, len(pages))}
}

// finished records that page i has been scanned.
func (r *releaser) finished(i int) {
	r.mu.Lock()
	r.done[i] = true
	for r.next < len(r.done) && r.done[r.next] {
		r.next++
	}
	from, to := r.from, r.next
	if to == from || to < len(r.done) && r.pages[to-1].End-r.pages[from].Start < releaseBatch {
		r.mu.Unlock()
		return
	}
	r.from = to
	r.mu.Unlock()
	r.release(from, to)
}

// all releases every page again: a scan also reads other pages than the
// one it walks (maps, the objects a hash table points to).
func (r *releaser) all() { r.release(0, len(r.pages)) }

// release drops pages [from, to), one call per run of pages in the same
// segment.
func (r *releaser) release(from, to int) {
	for i := from; i < to; {
		j := i
		s := r.pages[i].seg
		for j+1 < to && r.pages[j+1].seg == s {
			j++
		}
		if s != nil && len(r.pages[i].Data) > 0 && len(r.pages[j].Data) > 0 {
			lo := r.pages[i].Start - s.Start
			hi := r.pages[j].Start - s.Start + uint64(len(r.pages[j].Data))
			r.p.Release(s.Data[lo:hi])
		}
		i = j + 1
	}
}
