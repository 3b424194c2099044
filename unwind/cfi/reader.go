package cfi

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// errShort is what every read past the end of an entry gives: a truncated
// or corrupt entry, never a panic.
var errShort = errors.New("entry ends early")

// reader reads DWARF's variable-length fields from a byte slice. Reads past
// the end set err and return zero; callers check err once at the end.
type reader struct {
	b   []byte
	off int // position in b
	err error
}

func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

func (r *reader) left() int { return len(r.b) - r.off }

func (r *reader) u8() byte {
	if r.off >= len(r.b) {
		r.fail(errShort)
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if n > uint64(r.left()) {
		r.fail(errShort)
		return nil
	}
	v := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return v
}

func (r *reader) u16() uint16 {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (r *reader) u32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (r *reader) u64() uint64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
	}
}

func (r *reader) sleb() int64 {
	var v int64
	var shift uint
	for {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

func (r *reader) cstring() string {
	for i := r.off; i < len(r.b); i++ {
		if r.b[i] == 0 {
			s := string(r.b[r.off:i])
			r.off = i + 1
			return s
		}
	}
	r.fail(errShort)
	return ""
}

// Pointer encodings of .eh_frame and .eh_frame_hdr (DW_EH_PE_*).
const (
	peAbsptr  = 0x00
	peULEB    = 0x01
	peUdata2  = 0x02
	peUdata4  = 0x03
	peUdata8  = 0x04
	peSLEB    = 0x09
	peSdata2  = 0x0a
	peSdata4  = 0x0b
	peSdata8  = 0x0c
	pePCRel   = 0x10
	peDataRel = 0x30
	peOmit    = 0xff

	peIndirect = 0x80
)

// encoded reads a pointer in encoding enc. pos is the address of the byte
// the reader is at (for pc-relative values), data the base of data-relative
// ones (the .eh_frame_hdr's address).
func (r *reader) encoded(enc byte, pos, data uint64) (uint64, error) {
	if enc == peOmit {
		return 0, nil
	}
	var v uint64
	switch enc & 0x0f {
	case peAbsptr, peUdata8, peSdata8:
		v = r.u64()
	case peULEB:
		v = r.uleb()
	case peSLEB:
		v = uint64(r.sleb())
	case peUdata2:
		v = uint64(r.u16())
	case peSdata2:
		v = uint64(int64(int16(r.u16())))
	case peUdata4:
		v = uint64(r.u32())
	case peSdata4:
		v = uint64(int64(int32(r.u32())))
	default:
		return 0, fmt.Errorf("pointer encoding %#x not known", enc)
	}
	switch enc & 0x70 {
	case 0:
	case pePCRel:
		v += pos
	case peDataRel:
		v += data
	default:
		return 0, fmt.Errorf("pointer encoding %#x not supported", enc)
	}
	return v, r.err
}
