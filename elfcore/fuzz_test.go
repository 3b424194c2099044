package elfcore

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// synthCore builds a small x86-64 ELF core: one PT_NOTE (a prstatus, an
// auxv and an NT_FILE note) and one PT_LOAD of data, with the PT_LOAD's
// vaddr, filesz and memsz and the PT_NOTE's filesz as given (0 for the
// honest value). It is the seed the fuzzers mutate.
func synthCore(vaddr, filesz, memsz, notesz uint64) []byte {
	le := binary.LittleEndian
	note := func(name string, typ uint32, desc []byte) []byte {
		var b []byte
		b = le.AppendUint32(b, uint32(len(name)+1))
		b = le.AppendUint32(b, uint32(len(desc)))
		b = le.AppendUint32(b, typ)
		b = append(b, name...)
		b = append(b, 0)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		b = append(b, desc...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		return b
	}
	prstatus := make([]byte, 336)
	le.PutUint16(prstatus[12:], 6) // SIGABRT
	le.PutUint32(prstatus[32:], 4242)
	var auxv []byte
	for _, kv := range [][2]uint64{{AT_ENTRY, 0x401000}, {AT_PHDR, 0x400040}, {0, 0}} {
		auxv = le.AppendUint64(le.AppendUint64(auxv, kv[0]), kv[1])
	}
	var file []byte
	file = le.AppendUint64(file, 1)
	file = le.AppendUint64(file, 4096)
	file = le.AppendUint64(le.AppendUint64(le.AppendUint64(file, 0x400000), 0x402000), 0)
	file = append(file, "/usr/bin/none\x00"...)
	notes := append(append(note("CORE", ntPRSTATUS, prstatus), note("CORE", ntAUXV, auxv)...), note("CORE", ntFILE, file)...)

	const phoff, phnum = 64, 2
	notesOff := uint64(phoff + 56*phnum)
	dataOff := (notesOff + uint64(len(notes)) + 7) &^ 7
	data := bytes.Repeat([]byte{0xab}, 256)
	if filesz == 0 {
		filesz = uint64(len(data))
	}
	if memsz == 0 {
		memsz = uint64(len(data))
	}
	if notesz == 0 {
		notesz = uint64(len(notes))
	}
	b := make([]byte, 64)
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 4)  // ET_CORE
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], phoff)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], phnum)
	ph := func(typ, flags uint32, off, vaddr, filesz, memsz uint64) {
		b = le.AppendUint32(b, typ)
		b = le.AppendUint32(b, flags)
		for _, v := range []uint64{off, vaddr, 0, filesz, memsz, 4096} {
			b = le.AppendUint64(b, v)
		}
	}
	ph(4, 0, notesOff, 0, notesz, 0)        // PT_NOTE
	ph(1, 6, dataOff, vaddr, filesz, memsz) // PT_LOAD, RW
	b = append(b, notes...)
	b = append(b, make([]byte, dataOff-uint64(len(b)))...)
	return append(b, data...)
}

// FuzzParseCore: program headers and notes of a core. Whatever the bytes,
// parsing ends without panicking, the segments hold only bytes of the
// file, are sorted and disjoint, and reads in them stay in bounds.
func FuzzParseCore(f *testing.F) {
	f.Add(synthCore(0x10000, 0, 0, 0))
	f.Add(synthCore(0x10000, 0, 1<<63, 0))             // issue 15, fault 2
	f.Add(synthCore(0x10000, 1<<62, 1<<62, 0))         // fault 5
	f.Add(synthCore(1<<64-1<<18+0x1000, 0, 0x1000, 0)) // fault 3
	f.Add(synthCore(1<<64-0x1000, 0, 0x2000, 0))       // wraps
	f.Add(synthCore(0x10000, 0, 0, 3<<30))             // fault 6
	f.Add(synthCore(0x10000, 0x4000, 0x2000, 0))       // filesz > memsz
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseCore(&mappedFile{data: b}, "fuzz")
		if err != nil {
			return
		}
		for i, s := range p.Segments {
			if s.End < s.Start || uint64(len(s.Data)) > s.End-s.Start || uint64(len(s.Data)) > s.FileSize {
				t.Fatalf("segment %d: [%#x, %#x) holds %d bytes, file size %d", i, s.Start, s.End, len(s.Data), s.FileSize)
			}
			if i > 0 && s.Start < p.Segments[i-1].End {
				t.Fatalf("segment %d overlaps the one before", i)
			}
			if len(s.Data) > 0 {
				if _, err := p.ReadU64(s.Start + uint64(len(s.Data)) - 1); err != nil && len(s.Data) >= 8 {
					t.Logf("read at the end: %v", err)
				}
			}
		}
		p.Argv()
		p.ReadCString(p.Auxv[AT_EXECFN], 64)
		p.buildIDAt(0x400000)
	})
}

// FuzzNotes: a note area alone.
func FuzzNotes(f *testing.F) {
	core := synthCore(0x10000, 0, 0, 0)
	f.Add(core[64+112 : 64+112+600])
	f.Add(make([]byte, 120))
	f.Fuzz(func(t *testing.T, b []byte) {
		n := 0
		walkNotes(b, func(rn rawNote) {
			n++
			if len(rn.desc) > len(b) {
				t.Fatalf("note desc of %d bytes in %d", len(rn.desc), len(b))
			}
			parseFileNote(rn.desc)
			parsePRStatus(rn.desc)
			parseSigInfo(rn.desc)
			if m := parseAuxv(rn.desc); len(m) > maxAuxv {
				t.Fatalf("%d auxv entries", len(m))
			}
		})
		if n > len(b)/12+1 {
			t.Fatalf("%d notes in %d bytes", n, len(b))
		}
	})
}
