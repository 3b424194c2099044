package livecore

import (
	"debug/elf"
	"fmt"
	"os"
)

const (
	ehdrSize = 64
	phdrSize = 56
)

// layout places the parts of the core in the file as the kernel does (fs/binfmt_elf.c,
// elf_core_dump): ELF header, program headers (PT_NOTE, then one PT_LOAD per mapping in address
// order), notes, then the memory from the next page boundary.
type layout struct {
	notes []byte
	plans []plan
	size  int64
}

func newLayout(notes []byte, plans []plan) (*layout, error) {
	phnum := 1 + len(plans)
	if phnum >= 0xffff {
		return nil, fmt.Errorf("the process has %d mappings, more than an ELF core without section headers can hold", len(plans))
	}
	off := int64(ehdrSize + phdrSize*phnum + len(notes))
	off = (off + pageSize - 1) &^ (pageSize - 1)
	for i := range plans {
		plans[i].offset = off
		off += int64(plans[i].filesz)
	}
	return &layout{notes: notes, plans: plans, size: off}, nil
}

func (l *layout) writeHeaders(f *os.File) error {
	phnum := 1 + len(l.plans)
	b := make([]byte, 0, ehdrSize+phdrSize*phnum+len(l.notes))
	b = append(b, elf.ELFMAG...)
	b = append(b, byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT), byte(elf.ELFOSABI_NONE))
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint16(b, uint16(elf.ET_CORE))
	b = le.AppendUint16(b, uint16(elf.EM_X86_64))
	b = le.AppendUint32(b, uint32(elf.EV_CURRENT))
	b = le.AppendUint64(b, 0)        // e_entry
	b = le.AppendUint64(b, ehdrSize) // e_phoff
	b = le.AppendUint64(b, 0)        // e_shoff
	b = le.AppendUint32(b, 0)        // e_flags
	b = le.AppendUint16(b, ehdrSize)
	b = le.AppendUint16(b, phdrSize)
	b = le.AppendUint16(b, uint16(phnum))
	b = le.AppendUint16(b, 64) // e_shentsize
	b = le.AppendUint16(b, 0)  // e_shnum
	b = le.AppendUint16(b, 0)  // e_shstrndx

	notesOff := uint64(ehdrSize + phdrSize*phnum)
	b = appendPhdr(b, elf.PT_NOTE, 0, notesOff, 0, uint64(len(l.notes)), 0, 4)
	for _, p := range l.plans {
		b = appendPhdr(b, elf.PT_LOAD, p.m.flags(), uint64(p.offset), p.m.start, p.filesz, p.m.size(), pageSize)
	}
	b = append(b, l.notes...)
	_, err := f.WriteAt(b, 0)
	return err
}

func appendPhdr(b []byte, typ elf.ProgType, flags elf.ProgFlag, off, vaddr, filesz, memsz, align uint64) []byte {
	b = le.AppendUint32(b, uint32(typ))
	b = le.AppendUint32(b, uint32(flags))
	b = le.AppendUint64(b, off)
	b = le.AppendUint64(b, vaddr)
	b = le.AppendUint64(b, 0) // p_paddr
	b = le.AppendUint64(b, filesz)
	b = le.AppendUint64(b, memsz)
	return le.AppendUint64(b, align)
}
