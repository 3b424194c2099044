package cfi

import (
	"errors"
	"fmt"
)

// CIE is a Common Information Entry: what the FDEs that point to it share.
type CIE struct {
	Offset       int // in its section
	Version      byte
	Augmentation string
	CodeAlign    uint64
	DataAlign    int64
	RAReg        uint64 // the column of the return address (16 on x86-64)
	Signal       bool   // 'S': its FDEs describe signal trampolines
	Initial      []byte // initial instructions

	fdeEnc   byte // 'R': how FDE addresses are encoded
	hasAugZ  bool // 'z': FDEs carry an augmentation data length
	addrSize byte
}

// FDE is a Frame Description Entry: the rules of one function's code
// range [Begin, End), at link-time addresses.
type FDE struct {
	Offset       int // in its section
	Begin, End   uint64
	CIE          CIE
	Instructions []byte
}

// ErrNoFDE says no FDE covers an address.
var ErrNoFDE = errors.New("no FDE covers the address")

// section is a call frame section: .eh_frame (GNU, pc-relative pointers,
// CIE pointers relative to the FDE) or .debug_frame (DWARF).
type section struct {
	data []byte
	addr uint64 // link-time address of data[0] (.eh_frame)
	eh   bool
}

// entryAt reads the entry at off: its header, whether it is a CIE, the
// body (after the id field) and the offset of the next entry. A zero
// length is .eh_frame's terminator.
type rawEntry struct {
	off, next int
	isCIE     bool
	cieOff    int    // an FDE's CIE, as a section offset
	body      []byte // after the CIE id / pointer
	bodyOff   int    // section offset of body[0]
	dwarf64   bool
}

var errTerminator = errors.New("terminator")

func (s *section) entryAt(off int) (rawEntry, error) {
	if off < 0 || off >= len(s.data) {
		return rawEntry{}, fmt.Errorf("entry offset %#x outside the section", off)
	}
	r := reader{b: s.data, off: off}
	e := rawEntry{off: off}
	length := uint64(r.u32())
	if r.err != nil {
		return e, fmt.Errorf("entry at %#x: %v", off, r.err)
	}
	if length == 0 {
		e.next = r.off
		return e, errTerminator
	}
	if length == 0xffffffff {
		e.dwarf64 = true
		length = r.u64()
	}
	if r.err != nil || length > uint64(r.left()) {
		return e, fmt.Errorf("entry at %#x: length %#x runs past the section", off, length)
	}
	start := r.off
	e.next = start + int(length)
	idPos := r.off
	var id uint64
	if e.dwarf64 {
		id = r.u64()
	} else {
		id = uint64(r.u32())
	}
	if r.err != nil || r.off > e.next {
		return e, fmt.Errorf("entry at %#x: too short", off)
	}
	switch {
	case s.eh:
		e.isCIE = id == 0
		if !e.isCIE {
			if id > uint64(idPos) {
				return e, fmt.Errorf("FDE at %#x: CIE pointer %#x points before the section", off, id)
			}
			e.cieOff = idPos - int(id)
		}
	case e.dwarf64:
		e.isCIE = id == 0xffffffffffffffff
		e.cieOff = int(min(id, uint64(len(s.data))))
	default:
		e.isCIE = id == 0xffffffff
		e.cieOff = int(id)
	}
	e.bodyOff = r.off
	e.body = s.data[r.off:e.next:e.next]
	return e, nil
}

// cie parses the CIE at off.
func (s *section) cie(off int) (CIE, error) {
	e, err := s.entryAt(off)
	if err == errTerminator {
		return CIE{}, fmt.Errorf("CIE at %#x is a terminator", off)
	}
	if err != nil {
		return CIE{}, err
	}
	if !e.isCIE {
		return CIE{}, fmt.Errorf("entry at %#x is not a CIE", off)
	}
	c := CIE{Offset: off, fdeEnc: peAbsptr, addrSize: 8}
	r := reader{b: e.body}
	c.Version = r.u8()
	switch c.Version {
	case 1, 3, 4:
	default:
		return CIE{}, fmt.Errorf("CIE at %#x: version %d not known", off, c.Version)
	}
	c.Augmentation = r.cstring()
	if c.Version == 4 {
		c.addrSize = r.u8()
		r.u8() // segment selector size
		if c.addrSize != 8 && r.err == nil {
			return CIE{}, fmt.Errorf("CIE at %#x: address size %d", off, c.addrSize)
		}
	}
	if c.Augmentation == "eh" {
		r.u64() // an old GCC's exception table pointer
	}
	c.CodeAlign = r.uleb()
	c.DataAlign = r.sleb()
	if c.Version == 1 {
		c.RAReg = uint64(r.u8())
	} else {
		c.RAReg = r.uleb()
	}
	if len(c.Augmentation) > 0 && c.Augmentation[0] == 'z' {
		c.hasAugZ = true
		n := r.uleb()
		aug := reader{b: r.bytes(n)}
		augPos := s.addr + uint64(e.bodyOff+r.off) - n
	chars:
		for _, ch := range c.Augmentation[1:] {
			switch ch {
			case 'R':
				c.fdeEnc = aug.u8()
			case 'L':
				aug.u8() // the LSDA's encoding: FDEs carry it in their own data
			case 'P':
				enc := aug.u8()
				if _, err := aug.encoded(enc&^peIndirect, augPos+uint64(aug.off), 0); err != nil {
					return CIE{}, fmt.Errorf("CIE at %#x: personality: %v", off, err)
				}
			case 'S':
				c.Signal = true
			default:
				// The 'z' length lets the rest be skipped.
				break chars
			}
		}
		if aug.err != nil {
			return CIE{}, fmt.Errorf("CIE at %#x: augmentation data: %v", off, aug.err)
		}
	} else if c.Augmentation != "" && c.Augmentation != "eh" {
		return CIE{}, fmt.Errorf("CIE at %#x: augmentation %q not known", off, c.Augmentation)
	}
	if r.err != nil {
		return CIE{}, fmt.Errorf("CIE at %#x: %v", off, r.err)
	}
	if c.CodeAlign == 0 {
		return CIE{}, fmt.Errorf("CIE at %#x: code alignment 0", off)
	}
	c.Initial = e.body[r.off:]
	return c, nil
}

// fde parses the FDE at off with its CIE.
func (s *section) fde(off int) (FDE, error) {
	e, err := s.entryAt(off)
	if err == errTerminator {
		return FDE{}, fmt.Errorf("FDE at %#x is a terminator", off)
	}
	if err != nil {
		return FDE{}, err
	}
	if e.isCIE {
		return FDE{}, fmt.Errorf("entry at %#x is a CIE, not an FDE", off)
	}
	c, err := s.cie(e.cieOff)
	if err != nil {
		return FDE{}, fmt.Errorf("FDE at %#x: %v", off, err)
	}
	return s.fdeBody(e, c)
}

func (s *section) fdeBody(e rawEntry, c CIE) (FDE, error) {
	f := FDE{Offset: e.off, CIE: c}
	r := reader{b: e.body}
	var err error
	if s.eh {
		f.Begin, err = r.encoded(c.fdeEnc, s.addr+uint64(e.bodyOff), 0)
		if err == nil {
			var n uint64
			n, err = r.encoded(c.fdeEnc&0x0f, 0, 0)
			f.End = f.Begin + n
		}
	} else {
		f.Begin = r.u64()
		f.End = f.Begin + r.u64()
		err = r.err
	}
	if err != nil {
		return FDE{}, fmt.Errorf("FDE at %#x: address range: %v", e.off, err)
	}
	if f.End < f.Begin {
		return FDE{}, fmt.Errorf("FDE at %#x: range [%#x, %#x) wraps around", e.off, f.Begin, f.End)
	}
	if c.hasAugZ {
		r.bytes(r.uleb())
	}
	if r.err != nil {
		return FDE{}, fmt.Errorf("FDE at %#x: %v", e.off, r.err)
	}
	f.Instructions = e.body[r.off:]
	return f, nil
}
