// Package ehbuild writes small .eh_frame and .eh_frame_hdr sections for
// tests: one x86-64 CIE and FDEs with the instructions a test gives.
package ehbuild

import (
	"encoding/binary"
	"sort"
)

// FDE is a function's range and its call frame instructions.
type FDE struct {
	Begin, Size uint32
	Instr       []byte
}

// CIEInitial is the x86-64 CIE's initial rules: CFA = rsp+8, return
// address at CFA-8.
var CIEInitial = []byte{0x0c, 7, 8, 0x80 | 16, 1}

// EHFrame lays out an .eh_frame at address addr: one CIE ("zR", pc-relative
// sdata4 addresses, data alignment -8, return address column 16) with
// initial instructions initial, then the FDEs. It returns the section and
// each FDE's offset in it.
func EHFrame(addr uint64, initial []byte, fdes []FDE) ([]byte, []int) {
	le := binary.LittleEndian
	var b []byte
	entry := func(body []byte) int {
		for (len(body)+4)%8 != 0 {
			body = append(body, 0) // DW_CFA_nop padding
		}
		off := len(b)
		b = le.AppendUint32(b, uint32(len(body)))
		b = append(b, body...)
		return off
	}
	cie := []byte{0, 0, 0, 0, 1, 'z', 'R', 0, 1, 0x78, 16, 1, 0x1b}
	entry(append(cie, initial...))
	var offs []int
	for _, f := range fdes {
		off := len(b)
		body := le.AppendUint32(nil, uint32(off+4)) // CIE pointer: back to offset 0
		// initial location, pc-relative from this field
		body = le.AppendUint32(body, uint32(int32(int64(f.Begin)-int64(addr)-int64(off+8))))
		body = le.AppendUint32(body, f.Size)
		body = append(body, 0) // augmentation data length
		body = append(body, f.Instr...)
		offs = append(offs, entry(body))
	}
	b = le.AppendUint32(b, 0) // terminator
	return b, offs
}

// Hdr writes the .eh_frame_hdr at hdrAddr for the FDEs EHFrame laid out at
// ehAddr.
func Hdr(hdrAddr, ehAddr uint64, fdes []FDE, offs []int) []byte {
	le := binary.LittleEndian
	b := []byte{1, 0x1b, 0x03, 0x3b}
	b = le.AppendUint32(b, uint32(int32(int64(ehAddr)-int64(hdrAddr)-4)))
	b = le.AppendUint32(b, uint32(len(fdes)))
	idx := make([]int, len(fdes))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return fdes[idx[i]].Begin < fdes[idx[j]].Begin })
	for _, i := range idx {
		b = le.AppendUint32(b, uint32(int32(int64(fdes[i].Begin)-int64(hdrAddr))))
		b = le.AppendUint32(b, uint32(int32(int64(ehAddr)+int64(offs[i])-int64(hdrAddr))))
	}
	return b
}
