package elfcore

import (
	"debug/elf"
	"fmt"
	"math/bits"
)

// Bounds on what a core may declare. A core is untrusted input: every size
// it states is checked against what the file holds, and address arithmetic
// against overflow, before anything is allocated or walked.
const (
	// maxNoteBytes bounds the notes read from a core, all PT_NOTE segments
	// together. A real core has a few KB of notes per thread (registers,
	// FPU and AVX state) and NT_FILE's entries (at most vm.max_map_count,
	// 65530 by default): 64 MiB holds thousands of threads and mappings.
	maxNoteBytes = 64 << 20
	// maxNoteWarnings bounds the warnings a damaged note area adds.
	maxNoteWarnings = 16
)

// loadSegment checks a PT_LOAD and returns its segment: the bytes it
// declares (p_filesz) that the file holds, within an address range that
// does not wrap around the address space.
func loadSegment(ph *elf.Prog, data []byte) (Segment, error) {
	end, carry := bits.Add64(ph.Vaddr, ph.Memsz, 0)
	switch {
	case carry != 0:
		return Segment{}, fmt.Errorf("segment at %#x of %#x bytes runs past the end of the address space", ph.Vaddr, ph.Memsz)
	case ph.Filesz > ph.Memsz:
		return Segment{}, fmt.Errorf("segment at %#x declares %#x bytes in the file but only %#x in memory", ph.Vaddr, ph.Filesz, ph.Memsz)
	}
	s := Segment{Start: ph.Vaddr, End: end, Flags: ph.Flags, FileSize: ph.Filesz}
	if size := uint64(len(data)); ph.Off < size {
		n := min(ph.Filesz, size-ph.Off)
		s.Data = data[ph.Off : ph.Off+n : ph.Off+n]
	}
	return s, nil
}

// trimOverlaps makes sorted segments disjoint, as a process's mappings
// are: a segment that runs into the next one ends where the next starts
// (its bytes beyond are dropped). Without it one damaged p_memsz would
// cover the address space after it and hide the segments there. It
// returns one warning for all trimmed segments, or none.
func trimOverlaps(segs []Segment) []string {
	n := 0
	var first string
	for i := 0; i+1 < len(segs); i++ {
		s, next := &segs[i], segs[i+1].Start
		if s.End <= next {
			continue
		}
		if n == 0 {
			first = fmt.Sprintf("[%#x, %#x) overlaps the segment at %#x", s.Start, s.End, next)
		}
		n++
		s.End = next
		if keep := next - s.Start; uint64(len(s.Data)) > keep {
			s.Data = s.Data[:keep:keep]
		}
		s.FileSize = min(s.FileSize, next-s.Start)
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d segment(s) overlap the next and were cut where it starts (first: %s)", n, first)}
}

// within reports whether [off, off+n) lies in [0, size) without overflow.
func within(off, n, size uint64) bool { return off <= size && n <= size-off }
