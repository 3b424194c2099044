package bundle

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/ndb-debugger/ndb/elfcore"
)

// What a bundle stores of the executable's and libraries' files.
//
// ndb reads a module's file only for addresses of its mappings whose bytes
// the core lacks: a kernel core dumps no unmodified file-backed page but the
// first of each file. Of those "gaps", ndb reads (measured by running every
// dcmd on cores of all Node lines and tracing the reads):
//
//   - the data of V8 external strings that Node keeps in its read-only data:
//     the sources of Node's own JavaScript modules (for script names, line
//     numbers and source lines of frames in node:internal/...). They are
//     found by their string resources in the core: a vtable pointer, a
//     pointer into a gap, then a plausible length.
//   - V8's embedded builtins (code and metadata blob), in the executable:
//     what the frames of builtins (Builtins_ArrayForEach...) run, for
//     disassembly and code lookups.
//   - V8's Bytecodes::kBytecodeSizes table, in the executable's .rodata: the
//     line and column of baseline (Sparkplug) frames.
//
// FilesAll stores every gap instead (tens of MB for node).

// bytecodeSizesSymbol is V8's table of bytecode lengths (read-only data of
// the executable), which positions in baseline frames need (v8/stack).
const bytecodeSizesSymbol = "_ZN2v88internal11interpreter9Bytecodes14kBytecodeSizesE"

// rng is a half-open range [lo, hi).
type rng struct{ lo, hi uint64 }

// gap is a range of a module's mapping that the core lacks.
type gap struct {
	addr rng
	off  uint64 // file offset of addr.lo
}

// fileGaps lists, for every module, the address ranges of its mappings
// that the core does not hold.
func fileGaps(p *elfcore.Process, mods []*packedModule) map[*elfcore.Module][]gap {
	byPath := map[string]*elfcore.Module{}
	for _, m := range mods {
		for _, path := range m.paths {
			byPath[path] = m.mod
		}
	}
	out := map[*elfcore.Module][]gap{}
	for _, fm := range p.Files {
		m := byPath[fm.Path]
		if m == nil {
			continue
		}
		lo := fm.Start
		for lo < fm.End {
			// Skip what the core holds.
			if i := segmentAt(p, lo); i >= 0 {
				s := &p.Segments[i]
				if have := s.Start + uint64(len(s.Data)); lo < have {
					lo = have
					continue
				}
			}
			hi := fm.End
			if i := nextData(p, lo); i >= 0 && p.Segments[i].Start < hi {
				hi = p.Segments[i].Start
			}
			if hi <= lo {
				break
			}
			out[m] = append(out[m], gap{addr: rng{lo, hi}, off: fm.FileOffset + (lo - fm.Start)})
			lo = hi
		}
	}
	return out
}

func segmentAt(p *elfcore.Process, addr uint64) int {
	segs := p.Segments
	i := sort.Search(len(segs), func(i int) bool { return segs[i].End > addr })
	if i < len(segs) && segs[i].Start <= addr {
		return i
	}
	return -1
}

// nextData is the first segment after addr that holds bytes, or -1.
func nextData(p *elfcore.Process, addr uint64) int {
	segs := p.Segments
	for i := sort.Search(len(segs), func(i int) bool { return segs[i].Start > addr }); i < len(segs); i++ {
		if len(segs[i].Data) > 0 {
			return i
		}
	}
	return -1
}

// scanner finds, in the core's memory, string resources whose data lies in
// a gap.
type scanner struct {
	p      *elfcore.Process
	gaps   []rng // all gaps, sorted
	mapped []rng // all file mappings, sorted (where vtables live)
	mu     sync.Mutex
	found  []rng // address ranges of string data
}

// maxString bounds the length of a string resource taken from the core.
const maxString = 2 << 20

func newScanner(p *elfcore.Process, gaps map[*elfcore.Module][]gap, on bool) *scanner {
	if !on {
		return nil
	}
	sc := &scanner{p: p}
	for _, gs := range gaps {
		for _, g := range gs {
			sc.gaps = append(sc.gaps, g.addr)
		}
	}
	sort.Slice(sc.gaps, func(i, j int) bool { return sc.gaps[i].lo < sc.gaps[j].lo })
	for _, fm := range p.Files {
		sc.mapped = append(sc.mapped, rng{fm.Start, fm.End})
	}
	if len(sc.gaps) == 0 {
		return nil
	}
	return sc
}

// isVtable reports whether v looks like a C++ vtable pointer: into a file
// mapping, at two words that point to code.
func (sc *scanner) isVtable(v uint64) bool {
	if _, ok := in(sc.mapped, v); !ok || v%8 != 0 {
		return false
	}
	for k := uint64(0); k < 2; k++ {
		f, err := sc.p.ReadU64(v + 8*k)
		if err != nil {
			return false
		}
		i := segmentAt(sc.p, f)
		if i < 0 || sc.p.Segments[i].Flags&elf.PF_X == 0 {
			return false
		}
	}
	return true
}

// isText reports whether the string data at v starts like text: printable
// ASCII, in one byte or UTF-16 units.
func (sc *scanner) isText(v, n uint64) bool {
	b := make([]byte, min(n, 64))
	if sc.p.ReadAt(b, v) != nil {
		return false
	}
	one, two := true, len(b)%2 == 0
	for i, c := range b {
		printable := c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f)
		one = one && printable
		if i%2 == 0 {
			two = two && printable
		} else {
			two = two && c == 0
		}
	}
	return one || two
}

func in(rs []rng, v uint64) (rng, bool) {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi > v })
	if i < len(rs) && rs[i].lo <= v {
		return rs[i], true
	}
	return rng{}, false
}

// scan looks at the 8-byte words of b (the memory at addr) for the triple
// (vtable pointer, data pointer into a gap, length) of a string resource.
func (sc *scanner) scan(b []byte, addr uint64) {
	if addr%8 != 0 {
		return
	}
	le := binary.LittleEndian
	lo, hi := sc.gaps[0].lo, sc.gaps[len(sc.gaps)-1].hi
	var found []rng
	for i := 16; i+16 <= len(b); i += 8 {
		v := le.Uint64(b[i:])
		if v-lo >= hi-lo {
			continue
		}
		g, ok := in(sc.gaps, v)
		if !ok {
			continue
		}
		// Node's resource object: vtable, (a word,) data, length.
		// Node 18's UnionBytes: two-byte data (none), one-byte data, length.
		n := le.Uint64(b[i+8:])
		if !(n > 0 && n <= maxString && n <= g.hi-v &&
			(le.Uint64(b[i-8:]) == 0 || sc.isVtable(le.Uint64(b[i-8:])) || sc.isVtable(le.Uint64(b[i-16:])))) {
			// V8's external string: length<<32|hash, resource, cached data.
			n = le.Uint64(b[i-16:]) >> 32
			if n == 0 || n > maxString || n > g.hi-v || !sc.p.InCore(le.Uint64(b[i-8:])) {
				continue
			}
		}
		if !sc.isText(v, n) {
			continue
		}
		// Two-byte strings count UTF-16 units: take twice the length.
		found = append(found, rng{v, min(g.hi, v+2*n)})
	}
	if len(found) > 0 {
		sc.mu.Lock()
		sc.found = append(sc.found, found...)
		sc.mu.Unlock()
	}
}

// chooseExtents picks the bytes of a module's file to store (see the top of
// this file), as sorted, merged file ranges.
func chooseExtents(p *elfcore.Process, m *packedModule, gaps []gap, sc *scanner, mode string) []extent {
	if mode == FilesNone || len(gaps) == 0 {
		return nil
	}
	type wanted struct {
		rng
		why string
	}
	var want []wanted
	add := func(r rng, reason string) {
		// Clip to the gaps and turn addresses into file offsets.
		for _, g := range gaps {
			lo, hi := max(r.lo, g.addr.lo), min(r.hi, g.addr.hi)
			if lo < hi {
				want = append(want, wanted{rng{g.off + (lo - g.addr.lo), g.off + (hi - g.addr.lo)}, reason})
			}
		}
	}
	if mode == FilesAll {
		for _, g := range gaps {
			add(g.addr, "mapped, not in the core")
		}
	} else {
		if sc != nil {
			for _, r := range sc.found {
				add(r, "string data")
			}
		}
		if m.mod == p.Exe {
			for _, r := range builtinsRanges(p) {
				add(r, "V8 embedded builtins")
			}
			for _, r := range exeTables(p) {
				add(r, "V8 tables in .rodata")
			}
		}
	}
	if len(want) == 0 {
		return nil
	}
	// Merge, at page granularity.
	for i := range want {
		want[i].lo &^= pageSize - 1
		want[i].hi = pageRound(want[i].hi)
	}
	sort.Slice(want, func(i, j int) bool { return want[i].lo < want[j].lo })
	var out []extent
	size := fileSize(m.mod.Path)
	for _, r := range want {
		r.hi = min(r.hi, size)
		if r.lo >= r.hi {
			continue
		}
		if n := len(out); n > 0 && r.lo <= out[n-1].FileOffset+out[n-1].Length {
			last := &out[n-1]
			last.Length = max(last.Length, r.hi-last.FileOffset)
			continue
		}
		out = append(out, extent{FileOffset: r.lo, Length: r.hi - r.lo, Why: r.why})
	}
	return out
}

func fileSize(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return uint64(fi.Size())
}

// exeTables lists the constant tables of the executable that ndb reads:
// Bytecodes::kBytecodeSizes, which v8layout needs to map a baseline
// (Sparkplug) frame's pc to its bytecode offset and so to its line.
func exeTables(p *elfcore.Process) []rng {
	var out []rng
	for _, name := range []string{bytecodeSizesSymbol} {
		if s, ok := p.ExeSymbol(name); ok && s.Size > 0 && s.Size < 1<<20 {
			out = append(out, rng{s.Addr, s.Addr + s.Size})
		}
	}
	return out
}

// builtinsRanges is where V8's embedded blob is: the builtins' code (from
// the first Builtins_* symbol, v8_Default_embedded_blob_code_size_ bytes or
// to the end of the last builtin) and its metadata
// (v8_Default_embedded_blob_data_, ..._data_size_ bytes). The copy of the
// code that V8 may remap elsewhere shares the file offsets, so it is served
// by the same extent.
func builtinsRanges(p *elfcore.Process) []rng {
	var out []rng
	size := func(name string) uint64 {
		if a, ok := p.SymbolAddress(name); ok {
			if n, err := p.ReadU32(a); err == nil && n < 256<<20 {
				return uint64(n)
			}
		}
		return 0
	}
	if syms, err := p.Exe.Symbols(); err == nil {
		lo, hi := uint64(1<<64-1), uint64(0)
		for _, s := range syms {
			if strings.HasPrefix(s.Name, "Builtins_") {
				lo, hi = min(lo, s.Addr), max(hi, s.Addr+max(s.Size, 1))
			}
		}
		if n := size("v8_Default_embedded_blob_code_size_"); n > 0 && lo < hi {
			hi = lo + n
		}
		if lo < hi {
			bias, _ := p.SymbolAddress(syms[0].Name)
			bias -= syms[0].Addr
			out = append(out, rng{lo + bias, hi + bias})
		}
	}
	// Node 18 names the bytes ..._data_data_ (..._data_ points to them).
	for _, name := range []string{"v8_Default_embedded_blob_data_data_", "v8_Default_embedded_blob_data_"} {
		if a, ok := p.SymbolAddress(name); ok {
			if n := size("v8_Default_embedded_blob_data_size_"); n > 0 {
				out = append(out, rng{a, a + n})
			}
			break
		}
	}
	return out
}
