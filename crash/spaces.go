package crash

import (
	"sort"
	"strings"

	"github.com/ianlancetaylor/demangle"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heap"
)

// IsHeapOOM reports a death by the JavaScript heap running out of memory.
func (r *Reason) IsHeapOOM() bool {
	return r.Kind == FatalError && r.Fatal != nil && strings.Contains(r.Fatal.Message, "JavaScript heap out of memory")
}

// HeapSpaces sums the heap's pages by the space that owns them: committed
// is the pages' size (256 KiB each; a large-object page its chunk up to
// its area's end), used the size of the objects the census found on
// them, free space left out (a code page, not walked, counts 0). The owning space is found by shape, without offsets: a page's
// header (or, from V8 13, the metadata record it points to) holds a
// pointer to its Space, a C++ object whose first word is its vtable; the
// vtable's symbol names the space ("vtable for v8::internal::OldSpace").
func HeapSpaces(p *elfcore.Process, c *heap.Census) []SpaceUsage {
	by := map[string]*SpaceUsage{}
	names := map[uint64]string{} // Space* -> name
	for i := range c.Pages {
		pg := &c.Pages[i]
		name := pageSpace(p, pg.Chunk, names)
		s := by[name]
		if s == nil {
			s = &SpaceUsage{Space: name}
			by[name] = s
		}
		if pg.Large {
			s.Committed += (pg.End - pg.Chunk + 4095) &^ 4095
		} else {
			s.Committed += 1 << 18
		}
		s.Used += c.PageUsed(i)
	}
	out := make([]SpaceUsage, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Space < out[j].Space })
	return out
}

// pageSpace names the space of the page at chunk ("unknown" when no
// header word leads to a Space).
func pageSpace(p *elfcore.Process, chunk uint64, names map[uint64]string) string {
	if n := spaceAmong(p, chunk, names); n != "" {
		return n
	}
	for j := uint64(0); j < 2; j++ { // V8 13+: the metadata record
		if rec, err := p.ReadU64(chunk + 8*j); err == nil && rec>>18 != chunk>>18 {
			if n := spaceAmong(p, rec, names); n != "" {
				return n
			}
		}
	}
	return "unknown"
}

// spaceAmong looks at the 16 words at addr for a pointer to a Space.
func spaceAmong(p *elfcore.Process, addr uint64, names map[uint64]string) string {
	for k := uint64(0); k < 16; k++ {
		w, err := p.ReadU64(addr + 8*k)
		if err != nil {
			return ""
		}
		if w < 4096 || w&7 != 0 {
			continue
		}
		if n, ok := names[w]; ok {
			if n != "" {
				return n
			}
			continue
		}
		names[w] = spaceName(p, w)
		if names[w] != "" {
			return names[w]
		}
	}
	return ""
}

// spaceName is the space class of the C++ object at obj, from its vtable's
// symbol ("OldSpace"); "" when obj is not a Space.
func spaceName(p *elfcore.Process, obj uint64) string {
	vt, err := p.ReadU64(obj)
	if err != nil || vt < 4096 {
		return ""
	}
	loc, ok := p.Symbolize(vt)
	if !ok || !strings.HasPrefix(loc.Symbol, "_ZTV") {
		return ""
	}
	n := strings.TrimPrefix(demangle.Filter(loc.Symbol), "vtable for ")
	n = strings.TrimPrefix(n, "v8::internal::")
	if !strings.HasSuffix(n, "Space") {
		return ""
	}
	return n
}
