package heap

import (
	"sort"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Free native memory is not a root. Node allocates its native memory, and
// V8 most of its own (handle blocks, the string table, compiler data), with
// glibc malloc; a freed block keeps its stale words, pointers to heap
// objects the last GC found dead among them, and scanning it conservatively
// would keep that garbage "live". mallocFree finds the free blocks of the
// glibc arenas (the brk heap and the 64 MiB heaps of the other arenas) by
// walking their chunks: a chunk is free when the next chunk's PREV_INUSE
// bit is clear (bins), when it is the top chunk, or when its second word is
// the key of a tcache entry (tcache blocks look in use). Fast-bin chunks
// (small blocks freed once the tcache of their size is full) look in use
// and stay roots. A segment whose chunks do not chain from a plausible
// start to its end (not a malloc arena, or truncated) is left alone.

const (
	mallocAlign   = 16
	arenaHeapSize = 64 << 20 // HEAP_MAX_SIZE on 64-bit
	tcacheStruct  = 0x290    // chunk size of tcache_perthread_struct (64 bins)
	tcacheEntries = 0x80     // its entries[], after the 64 uint16 counts
)

// byteRange is [from, to) in a segment's data.
type byteRange struct{ from, to int }

// arena is a walked malloc heap: the offsets of its chunks in the segment,
// the top chunk last.
type arena struct {
	seg    *elfcore.Segment
	chunks []int
}

func segWord(s *elfcore.Segment, off int) uint64 {
	if off < 0 || off+8 > len(s.Data) {
		return 0
	}
	return le.Uint64(s.Data[off:])
}

// walkArena tries the chunk chain of s from each plausible start: the
// segment's start (the brk heap) and, for a 64 MiB-aligned segment, past
// its heap_info and malloc_state. It returns nil unless a chain ends
// exactly at the segment's end or at a top chunk followed only by zeros
// (the committed part of an arena heap).
func walkArena(s *elfcore.Segment) *arena {
	if uint64(len(s.Data)) != s.End-s.Start || len(s.Data) < 4096 {
		return nil
	}
	limit := 0x1000
	if s.Start%arenaHeapSize != 0 {
		limit = 0x100
	}
	for start := 0; start < limit; start += mallocAlign {
		if (s.Start+uint64(start))%mallocAlign != 0 {
			continue
		}
		if a := chain(s, start); a != nil {
			return a
		}
	}
	return nil
}

func chain(s *elfcore.Segment, start int) *arena {
	// The first chunk of an arena is its tcache struct or, before any
	// allocation, the top chunk: either way a size word with PREV_INUSE.
	first := segWord(s, start+8)
	if first&1 == 0 || first&^7 < 32 {
		return nil
	}
	var chunks []int
	end := len(s.Data)
	for c := start; ; {
		sz := int(segWord(s, c+8) &^ 7)
		if sz < 32 || sz%mallocAlign != 0 || c+sz > end {
			return nil
		}
		chunks = append(chunks, c)
		next := c + sz
		if next == end || (next+16 <= end && segWord(s, next+8) == 0 && allZeroFrom(s, next)) {
			return &arena{seg: s, chunks: chunks}
		}
		c = next
	}
}

func allZeroFrom(s *elfcore.Segment, off int) bool {
	for _, b := range s.Data[off:] {
		if b != 0 {
			return false
		}
	}
	return true
}

// tcacheKeys collects the keys of the tcache entries of the arenas' tcache
// structs (one random key per process from glibc 2.34, the tcache struct's
// address before).
func tcacheKeys(p *elfcore.Process, arenas []*arena) map[uint64]bool {
	keys := map[uint64]bool{}
	for _, a := range arenas {
		s := a.seg
		c := a.chunks[0]
		if int(segWord(s, c+8)&^7) != tcacheStruct {
			continue
		}
		for i := 0; i < 64; i++ {
			e := segWord(s, c+16+tcacheEntries+8*i)
			if e == 0 || e%mallocAlign != 0 {
				continue
			}
			if k, err := p.ReadU64(e + 8); err == nil && k != 0 {
				keys[k] = true
			}
		}
	}
	return keys
}

// mallocFree returns, per segment index, the free ranges of the glibc
// arenas among the given segments, sorted.
func mallocFree(p *elfcore.Process, segs []int) map[int][]byteRange {
	var arenas []*arena
	idx := map[*elfcore.Segment]int{}
	for _, i := range segs {
		s := &p.Segments[i]
		if a := walkArena(s); a != nil {
			arenas = append(arenas, a)
			idx[s] = i
		}
	}
	keys := tcacheKeys(p, arenas)
	out := map[int][]byteRange{}
	for _, a := range arenas {
		s := a.seg
		var free []byteRange
		add := func(from, to int) {
			if n := len(free); n > 0 && free[n-1].to == from {
				free[n-1].to = to
				return
			}
			free = append(free, byteRange{from, to})
		}
		for k, c := range a.chunks {
			sz := int(segWord(s, c+8) &^ 7)
			next := c + sz
			// The user data starts at c+16; a free chunk's fd/bk (and the
			// next chunk's prev_size) are malloc's own words, not roots.
			switch {
			case k == len(a.chunks)-1: // top chunk
				add(c+16, len(s.Data))
			case segWord(s, next+8)&1 == 0:
				add(c+16, next+8)
			case len(keys) > 0 && keys[segWord(s, c+24)]:
				add(c+16, next+8)
			}
		}
		out[idx[s]] = free
	}
	return out
}

// liveRanges is the complement of free (sorted) within [from, to).
func liveRanges(free []byteRange, from, to int) []byteRange {
	i := sort.Search(len(free), func(i int) bool { return free[i].to > from })
	var out []byteRange
	for ; from < to; i++ {
		if i >= len(free) || free[i].from >= to {
			out = append(out, byteRange{from, to})
			break
		}
		f := free[i]
		if f.from > from {
			out = append(out, byteRange{from, f.from})
		}
		from = max(from, f.to)
	}
	return out
}
