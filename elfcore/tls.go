package elfcore

import (
	"debug/elf"
	"errors"
	"fmt"
)

// TLS is a module's static TLS block: its PT_TLS header and its TLS
// symbols (name → offset in the block).
type TLS struct {
	MemSize uint64            `json:"memsz"`
	Align   uint64            `json:"align"`
	Vaddr   uint64            `json:"vaddr"`
	Symbols map[string]uint64 `json:"symbols"`
}

type tlsInfo struct {
	memsz, align, vaddr uint64
	syms                map[string]uint64
	err                 error
}

// TLS returns the module's static TLS block.
func (m *Module) TLS() (*TLS, error) {
	t := m.tls()
	if t.err != nil {
		return nil, t.err
	}
	return &TLS{MemSize: t.memsz, Align: t.align, Vaddr: t.vaddr, Symbols: t.syms}, nil
}

func (m *Module) tls() *tlsInfo {
	m.tlsOnce.Do(func() {
		t := &tlsInfo{syms: map[string]uint64{}}
		m.tlsInfo = t
		if m.elf == nil && m.TLSLoader != nil {
			stored, err := m.TLSLoader()
			if err != nil {
				t.err = err
				return
			}
			t.memsz, t.align, t.vaddr, t.syms = stored.MemSize, max(stored.Align, 1), stored.Vaddr, stored.Symbols
			return
		}
		if m.elf == nil {
			t.err = fmt.Errorf("%s: no file (thread-local variables need the executable's symbol table)", m.Name())
			return
		}
		for _, ph := range m.elf.Progs {
			if ph.Type == elf.PT_TLS {
				t.memsz, t.align, t.vaddr = ph.Memsz, max(ph.Align, 1), ph.Vaddr
			}
		}
		if t.memsz == 0 {
			t.err = fmt.Errorf("%s has no thread-local storage", m.Name())
			return
		}
		t.err = m.rawSymbols(func(name []byte, value, size uint64, info byte, shndx elf.SectionIndex) {
			if elf.SymType(info&0xf) == elf.STT_TLS && shndx != elf.SHN_UNDEF && len(t.syms) < 1<<16 {
				t.syms[string(name)] = value
			}
		})
	})
	return m.tlsInfo
}

// ErrNoTLSSymbol: the executable has no thread-local variable of that name.
var ErrNoTLSSymbol = errors.New("no such thread-local variable")

// ThreadLocal returns the address, in thread t, of the executable's
// thread-local variable name. The executable's static TLS block ends at
// the thread pointer (fs_base) on x86-64 (TLS variant II), aligned to its
// PT_TLS alignment.
func (p *Process) ThreadLocal(t *Thread, name string) (uint64, error) {
	if p.Exe == nil {
		return 0, errors.New("no executable")
	}
	info := p.Exe.tls()
	if info.err != nil {
		return 0, info.err
	}
	off, ok := info.syms[name]
	if !ok {
		return 0, fmt.Errorf("%s: %w", name, ErrNoTLSSymbol)
	}
	// glibc (_dl_determine_tlsoffset) keeps the segment's alignment phase:
	// offset = roundup(memsz - firstbyte, align) + firstbyte.
	firstbyte := -(info.vaddr & (info.align - 1)) & (info.align - 1)
	block := (info.memsz-firstbyte+info.align-1)&^(info.align-1) + firstbyte
	tp := t.Regs.FSBase
	if tp < block {
		return 0, fmt.Errorf("thread %d: fs_base %#x is not a thread pointer", t.TID, tp)
	}
	return tp - block + off, nil
}
