package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"

	"github.com/ndb-debugger/ndb/elfcore"
)

// trimmedCopy copies the gcore core src to dst (sparse) and drops from the
// copy the bytes of read-only file mappings that equal their file's bytes,
// as the kernel does when it writes a core: such a segment keeps only its
// first page when it maps the start of its file (the ELF header), else
// nothing. gdb dumps them whole (10 MB of node's .rodata); without them a
// snapshot's bundle is 3 MB smaller, and ndb reads those bytes from the
// executable, or from the bundle for the ones it needs, as for a kernel core.
// It returns how many bytes it dropped.
func trimmedCopy(src, dst, exe string) (int64, error) {
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("cp: %v: %s", err, out)
	}
	p, err := elfcore.Open(src, elfcore.Options{Exe: exe})
	if err != nil {
		return 0, err
	}
	defer p.Close()
	ef, err := elf.Open(dst)
	if err != nil {
		return 0, err
	}
	defer ef.Close()
	if ef.Class != elf.ELFCLASS64 || ef.ByteOrder != binary.LittleEndian {
		return 0, fmt.Errorf("%s: not a little-endian 64-bit core", src)
	}
	f, err := os.OpenFile(dst, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var hdr elf.Header64
	if err := binary.Read(io.NewSectionReader(f, 0, 64), binary.LittleEndian, &hdr); err != nil {
		return 0, err
	}
	var dropped int64
	for i, prog := range ef.Progs {
		if prog.Type != elf.PT_LOAD || prog.Filesz == 0 || prog.Flags&elf.PF_W != 0 {
			continue
		}
		keep, ok, err := unmodifiedFilePages(f, p, prog)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		// p_filesz is at byte 32 of an Elf64_Phdr.
		at := int64(hdr.Phoff) + int64(i)*int64(hdr.Phentsize) + 32
		if _, err := f.WriteAt(binary.LittleEndian.AppendUint64(nil, keep), at); err != nil {
			return 0, err
		}
		dropped += int64(prog.Filesz - keep)
	}
	return dropped, f.Close()
}

// unmodifiedFilePages says whether segment prog of core f holds only bytes of
// the file it maps, unchanged, and how many bytes of it a kernel core keeps.
func unmodifiedFilePages(f *os.File, p *elfcore.Process, prog *elf.Prog) (keep uint64, ok bool, err error) {
	fm, found := p.FileMappingAt(prog.Vaddr)
	if !found || prog.Vaddr+prog.Filesz > fm.End {
		return 0, false, nil
	}
	mapped, err := os.Open(fm.Path)
	if err != nil {
		return 0, false, nil // not on this machine: keep the bytes
	}
	defer mapped.Close()
	off := fm.FileOffset + (prog.Vaddr - fm.Start)
	want := make([]byte, prog.Filesz)
	if n, _ := mapped.ReadAt(want, int64(off)); uint64(n) != prog.Filesz {
		return 0, false, nil
	}
	got := make([]byte, prog.Filesz)
	if _, err := f.ReadAt(got, int64(prog.Off)); err != nil {
		return 0, false, err
	}
	if !bytes.Equal(got, want) {
		return 0, false, nil
	}
	if off == 0 {
		return min(p.PageSize, prog.Filesz), true, nil
	}
	return 0, true, nil
}
