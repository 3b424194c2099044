// Package cfi reads DWARF call frame information (.eh_frame with its
// .eh_frame_hdr search table, and .debug_frame) and computes, for an
// address, the rules that recover the caller's registers: the CFA and
// where each register was saved. It works on section bytes only; reading
// a process's memory is the caller's job (Eval takes it as a function).
//
// Every input is treated as hostile: a truncated or corrupt entry gives an
// error, never a panic, and work is bounded by the input's size.
package cfi

import (
	"encoding/binary"
	"fmt"
	"sort"
	"sync"
)

// Table finds the FDE covering an address in one call frame section.
type Table struct {
	sec section

	// The .eh_frame_hdr binary search table, when usable: count entries
	// of (initial location, FDE address), both datarel sdata4.
	hdr     []byte
	hdrAddr uint64
	count   int

	once  sync.Once
	index []span // from a scan of the section, when there is no usable hdr
	note  string // what the scan skipped, "" when nothing
}

// span is one FDE's range, from a scan.
type span struct {
	begin, end uint64
	off        int
}

// NewEHFrame returns the table of an .eh_frame section at link-time address
// ehAddr. hdr is its .eh_frame_hdr at hdrAddr, or nil: lookups then scan
// the section once and keep a sorted index.
func NewEHFrame(eh []byte, ehAddr uint64, hdr []byte, hdrAddr uint64) *Table {
	t := &Table{sec: section{data: eh, addr: ehAddr, eh: true}}
	t.useHdr(hdr, hdrAddr)
	return t
}

// NewDebugFrame returns the table of a .debug_frame section.
func NewDebugFrame(data []byte) *Table {
	return &Table{sec: section{data: data}}
}

// useHdr keeps hdr when it has the one layout worth a binary search (the
// one every linker writes): a sorted table of datarel sdata4 pairs.
func (t *Table) useHdr(hdr []byte, addr uint64) {
	if len(hdr) < 4 || hdr[0] != 1 {
		return
	}
	r := reader{b: hdr, off: 4}
	if _, err := r.encoded(hdr[1], addr+4, addr); err != nil {
		return
	}
	n, err := r.encoded(hdr[2], addr+uint64(r.off), addr)
	if err != nil || hdr[3] != peDataRel|peSdata4 {
		return
	}
	table := hdr[r.off:]
	if n > uint64(len(table)/8) {
		return // a count the table cannot hold: do not trust it
	}
	t.hdr, t.hdrAddr, t.count = table[:n*8], addr, int(n)
}

func (t *Table) hdrEntry(i int) (loc, fde uint64) {
	e := t.hdr[i*8:]
	return t.hdrAddr + uint64(int64(int32(binary.LittleEndian.Uint32(e)))),
		t.hdrAddr + uint64(int64(int32(binary.LittleEndian.Uint32(e[4:]))))
}

// FDE returns the FDE whose range holds pc (a link-time address).
func (t *Table) FDE(pc uint64) (FDE, error) {
	if t.count > 0 {
		i := sort.Search(t.count, func(i int) bool { loc, _ := t.hdrEntry(i); return loc > pc }) - 1
		if i < 0 {
			return FDE{}, ErrNoFDE
		}
		_, addr := t.hdrEntry(i)
		if addr < t.sec.addr || addr-t.sec.addr >= uint64(len(t.sec.data)) {
			return FDE{}, fmt.Errorf(".eh_frame_hdr entry %d points outside .eh_frame (%#x)", i, addr)
		}
		f, err := t.sec.fde(int(addr - t.sec.addr))
		if err != nil {
			return FDE{}, err
		}
		if pc < f.Begin || pc >= f.End {
			return FDE{}, ErrNoFDE
		}
		return f, nil
	}
	t.once.Do(t.scan)
	i := sort.Search(len(t.index), func(i int) bool { return t.index[i].begin > pc }) - 1
	// Ranges may nest or overlap in a damaged section: look back a little.
	for k := 0; i >= 0 && k < 8; i, k = i-1, k+1 {
		if s := t.index[i]; pc < s.end {
			return t.sec.fde(s.off)
		}
	}
	return FDE{}, ErrNoFDE
}

// Note says what a scan of the section skipped (corrupt entries), or "".
func (t *Table) Note() string {
	if t.count == 0 {
		t.once.Do(t.scan)
	}
	return t.note
}

// scan indexes every FDE of the section. A corrupt entry is skipped when
// its length is sane and ends the scan otherwise.
func (t *Table) scan() {
	cies := map[int]CIE{}
	bad := 0
	var first error
	for off := 0; off < len(t.sec.data); {
		e, err := t.sec.entryAt(off)
		if err == errTerminator {
			if t.sec.eh {
				break
			}
			off = e.next
			continue
		}
		if err != nil {
			bad++
			if first == nil {
				first = err
			}
			break
		}
		off = e.next
		if e.isCIE {
			continue
		}
		c, ok := cies[e.cieOff]
		if !ok {
			if c, err = t.sec.cie(e.cieOff); err == nil {
				cies[e.cieOff] = c
			}
		}
		var f FDE
		if err == nil {
			f, err = t.sec.fdeBody(e, c)
		}
		if err != nil {
			bad++
			if first == nil {
				first = err
			}
			continue
		}
		if f.End > f.Begin {
			t.index = append(t.index, span{f.Begin, f.End, f.Offset})
		}
	}
	sort.Slice(t.index, func(i, j int) bool { return t.index[i].begin < t.index[j].begin })
	if bad > 0 {
		t.note = fmt.Sprintf("%d corrupt entries skipped (first: %v)", bad, first)
	}
}
