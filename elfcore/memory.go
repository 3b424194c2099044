package elfcore

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// MemError says why bytes at an address cannot be read.
type MemError struct {
	Addr   uint64
	Reason string
}

func (e *MemError) Error() string { return fmt.Sprintf("address %#x: %s", e.Addr, e.Reason) }

const (
	reasonNotMapped     = "not in the core (unmapped)"
	reasonNotDumped     = "not in the core (mapping not dumped and its file is not here)"
	reasonAnonNotDumped = "not in the core (the mapping was not dumped)"
	reasonTruncated     = "in the part of the core cut off by truncation"
)

// segmentAt returns the index of the segment containing addr, or -1. The
// last hit is remembered: reads cluster, and a heap walk stays in one
// segment for millions of reads.
func (p *Process) segmentAt(addr uint64) int {
	segs := p.Segments
	if i := int(p.lastSeg.Load()); i < len(segs) && segs[i].Start <= addr && addr < segs[i].End {
		return i
	}
	lo, hi := 0, len(segs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if segs[mid].End <= addr {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(segs) && segs[lo].Start <= addr {
		p.lastSeg.Store(int32(lo))
		return lo
	}
	return -1
}

// Slice returns n bytes at addr. When they lie in one dumped segment the
// result aliases the mapped core and must not be modified; otherwise the
// bytes are copied together from segments and mapped files.
func (p *Process) Slice(addr, n uint64) ([]byte, error) {
	if i := p.segmentAt(addr); i >= 0 {
		s := &p.Segments[i]
		off := addr - s.Start
		if off+n <= uint64(len(s.Data)) && off+n >= off {
			return s.Data[off : off+n : off+n], nil
		}
	}
	if n > 1<<30 {
		return nil, &MemError{addr, fmt.Sprintf("read of %d bytes refused (too large)", n)}
	}
	// A size read from a hostile core may be anything: grow the buffer as
	// bytes are read, so that memory follows the bytes the core has.
	const step = 1 << 20
	buf := make([]byte, 0, min(n, step))
	for uint64(len(buf)) < n {
		k := min(n-uint64(len(buf)), step)
		at := len(buf)
		buf = slices.Grow(buf, int(k))[:at+int(k)]
		if err := p.ReadAt(buf[at:], addr+uint64(at)); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// ReadAt fills buf with the memory at addr, crossing segment boundaries and
// falling back to the mapped file for bytes the core did not dump.
func (p *Process) ReadAt(buf []byte, addr uint64) error {
	for len(buf) > 0 {
		n, err := p.readSome(buf, addr)
		if err != nil {
			return err
		}
		buf, addr = buf[n:], addr+uint64(n)
	}
	return nil
}

func (p *Process) readSome(buf []byte, addr uint64) (int, error) {
	if addr+uint64(len(buf)) < addr {
		return 0, &MemError{addr, "read wraps around the address space"}
	}
	i := p.segmentAt(addr)
	if i < 0 {
		// Some mappings (e.g. in a bundle) are only known from NT_FILE.
		if n, ok := p.readFromFile(buf, addr, math.MaxUint64); ok {
			return n, nil
		}
		return 0, &MemError{addr, reasonNotMapped}
	}
	s := &p.Segments[i]
	off := addr - s.Start
	if off < uint64(len(s.Data)) {
		return copy(buf, s.Data[off:]), nil
	}
	limit := s.End
	if off < s.FileSize {
		// Dumped, then cut off: the file on disk may differ from what the
		// process had (written .data, relocations), so never substitute it.
		return 0, &MemError{addr, reasonTruncated}
	}
	if n, ok := p.readFromFile(buf, addr, limit); ok {
		return n, nil
	}
	if _, ok := p.FileMappingAt(addr); !ok {
		return 0, &MemError{addr, reasonAnonNotDumped}
	}
	return 0, &MemError{addr, reasonNotDumped}
}

// readFromFile reads bytes of a file-backed mapping from the file on disk.
func (p *Process) readFromFile(buf []byte, addr, limit uint64) (int, bool) {
	fm, ok := p.FileMappingAt(addr)
	if !ok {
		return 0, false
	}
	m := p.Module(fm.Path)
	if m == nil {
		return 0, false
	}
	end := fm.End
	if limit < end {
		end = limit
	}
	want := uint64(len(buf))
	if addr+want > end {
		want = end - addr
	}
	b, ok := m.fileBytes(fm.FileOffset+(addr-fm.Start), want)
	if !ok || len(b) == 0 {
		return 0, false
	}
	return copy(buf, b), true
}

// readCore reads bytes the core itself holds (never the files on disk) and
// reports success.
func (p *Process) readCore(buf []byte, addr uint64) bool {
	for len(buf) > 0 {
		i := p.segmentAt(addr)
		if i < 0 {
			return false
		}
		s := &p.Segments[i]
		off := addr - s.Start
		if off >= uint64(len(s.Data)) {
			return false
		}
		n := copy(buf, s.Data[off:])
		buf, addr = buf[n:], addr+uint64(n)
	}
	return true
}

// ReadU64 reads a little-endian 64-bit word.
func (p *Process) ReadU64(addr uint64) (uint64, error) {
	// Fast path, small enough to inline: the segment of the last read.
	if i := int(p.lastSeg.Load()); i < len(p.Segments) {
		s := &p.Segments[i]
		if off := addr - s.Start; addr >= s.Start && off+8 <= uint64(len(s.Data)) && off+8 > off {
			return binary.LittleEndian.Uint64(s.Data[off:]), nil
		}
	}
	return p.readU64Slow(addr)
}

func (p *Process) readU64Slow(addr uint64) (uint64, error) {
	if i := p.segmentAt(addr); i >= 0 {
		s := &p.Segments[i]
		if off := addr - s.Start; off+8 <= uint64(len(s.Data)) {
			return binary.LittleEndian.Uint64(s.Data[off:]), nil
		}
	}
	var b [8]byte
	if err := p.ReadAt(b[:], addr); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// ReadU32 reads a little-endian 32-bit word.
func (p *Process) ReadU32(addr uint64) (uint32, error) {
	b, err := p.Slice(addr, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

// ReadU16 reads a little-endian 16-bit word.
func (p *Process) ReadU16(addr uint64) (uint16, error) {
	b, err := p.Slice(addr, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(b), nil
}

// ReadU8 reads one byte.
func (p *Process) ReadU8(addr uint64) (uint8, error) {
	b, err := p.Slice(addr, 1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

// ReadCString reads a NUL-terminated string of at most max bytes.
func (p *Process) ReadCString(addr uint64, max int) (string, error) {
	var out []byte
	for len(out) < max {
		var b [64]byte
		n, err := p.readSome(b[:], addr)
		if err != nil {
			if len(out) > 0 {
				return string(out), nil
			}
			return "", err
		}
		for _, c := range b[:n] {
			if c == 0 {
				return string(out), nil
			}
			out = append(out, c)
		}
		addr += uint64(n)
	}
	return string(out), nil
}

// InCore reports whether addr lies in bytes the core holds.
func (p *Process) InCore(addr uint64) bool {
	i := p.segmentAt(addr)
	return i >= 0 && addr-p.Segments[i].Start < uint64(len(p.Segments[i].Data))
}
