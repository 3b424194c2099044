package elfcore

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ianlancetaylor/demangle"
)

// Symbol is a function or data symbol at its link-time address.
type Symbol struct {
	Addr, Size uint64
	Name       string
}

// LoadSegment is one PT_LOAD of an ELF file: how file offsets map to
// link-time addresses.
type LoadSegment struct {
	Vaddr, Offset, Filesz, Memsz uint64
}

// Module is an ELF file (the executable or a shared library) whose
// mappings appear in the core. A module opened from a bundle has symbols
// and load segments but no file.
type Module struct {
	Path    string
	BuildID string // hex, "" if unknown
	Loads   []LoadSegment

	file *mappedFile
	elf  *elf.File

	symOnce sync.Once
	syms    []Symbol // sorted by Addr; FUNC and OBJECT symbols only
	symErr  error

	tlsOnce sync.Once
	tlsInfo *tlsInfo

	// TLSLoader, when set and there is no file, supplies the static TLS
	// block (bundles).
	TLSLoader func() (*TLS, error)

	// SymbolsLoader, when set, supplies the symbol table (bundles).
	SymbolsLoader func() ([]Symbol, error)
	// FileReader, when set and there is no file, supplies the file's bytes
	// at [off, off+n) or fewer (bundles store the parts ndb reads).
	FileReader func(off, n uint64) ([]byte, bool)
	// SectionLoader, when set and there is no file, supplies sections
	// (bundles store the unwind tables).
	SectionLoader func(name string) (Section, error)
}

// Name is the module's file name without its directory.
func (m *Module) Name() string { return filepath.Base(m.Path) }

func openModule(path string) (*Module, error) {
	mf, err := mapFile(path)
	if err != nil {
		return nil, err
	}
	if len(mf.data) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	ef, err := elf.NewFile(bytes.NewReader(mf.data))
	if err != nil {
		mf.close()
		return nil, fmt.Errorf("%s is not an ELF file: %v", path, err)
	}
	m := &Module{Path: path, file: mf, elf: ef}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD {
			m.Loads = append(m.Loads, LoadSegment{Vaddr: p.Vaddr, Offset: p.Off, Filesz: p.Filesz, Memsz: p.Memsz})
		}
	}
	if s := ef.Section(".note.gnu.build-id"); s != nil && s.Type != elf.SHT_NOBITS {
		if d, err := s.Data(); err == nil {
			m.BuildID = buildIDFromNotes(d)
		}
	}
	return m, nil
}

func (m *Module) close() {
	if m.file != nil {
		m.file.close()
	}
}

// buildIDFromNotes returns the GNU build-id found in a run of ELF notes.
func buildIDFromNotes(d []byte) string {
	id := ""
	walkNotes(d, func(n rawNote) {
		if id == "" && n.typ == ntGNUBuildID && n.name == "GNU" {
			id = hex.EncodeToString(n.desc)
		}
	})
	return id
}

// FileOffsetToVaddr converts a file offset to the link-time address of the
// PT_LOAD that holds it.
func (m *Module) FileOffsetToVaddr(off uint64) (uint64, bool) {
	for _, l := range m.Loads {
		if off >= l.Offset && off < l.Offset+l.Filesz {
			return l.Vaddr + (off - l.Offset), true
		}
	}
	return 0, false
}

// fileBytes returns the file's bytes at [off, off+n), if the file is here.
func (m *Module) fileBytes(off, n uint64) ([]byte, bool) {
	if m.file == nil && m.FileReader != nil {
		return m.FileReader(off, n)
	}
	if m.file == nil || off >= uint64(len(m.file.data)) {
		return nil, false
	}
	end := off + n
	if end > uint64(len(m.file.data)) {
		end = uint64(len(m.file.data))
	}
	return m.file.data[off:end], true
}

// rawSymbols calls fn for every symbol of .symtab (or .dynsym when there is
// no .symtab) without allocating: node has over 100k symbols and opening a
// core must stay fast.
func (m *Module) rawSymbols(fn func(name []byte, value, size uint64, info byte, shndx elf.SectionIndex)) error {
	if m.elf == nil {
		return fmt.Errorf("%s: no file", m.Path)
	}
	sec := m.elf.Section(".symtab")
	if sec == nil {
		sec = m.elf.Section(".dynsym")
	}
	if sec == nil {
		return fmt.Errorf("%s has no symbol table", m.Path)
	}
	if int(sec.Link) >= len(m.elf.Sections) {
		return fmt.Errorf("%s: bad symbol string table link", m.Path)
	}
	strs := m.elf.Sections[sec.Link]
	data := m.file.data
	if !within(sec.Offset, sec.Size, uint64(len(data))) || !within(strs.Offset, strs.Size, uint64(len(data))) {
		return fmt.Errorf("%s: symbol table past end of file", m.Path)
	}
	tab := data[sec.Offset : sec.Offset+sec.Size]
	strtab := data[strs.Offset : strs.Offset+strs.Size]
	le := binary.LittleEndian
	for i := 24; i+24 <= len(tab); i += 24 { // entry 0 is the null symbol
		e := tab[i : i+24]
		nameOff := le.Uint32(e)
		if uint64(nameOff) >= uint64(len(strtab)) {
			continue
		}
		name := strtab[nameOff:]
		if j := bytes.IndexByte(name, 0); j >= 0 {
			name = name[:j]
		}
		fn(name, le.Uint64(e[8:]), le.Uint64(e[16:]), e[4], elf.SectionIndex(le.Uint16(e[6:])))
	}
	return nil
}

// Symbols returns the module's function and data symbols sorted by address.
func (m *Module) Symbols() ([]Symbol, error) {
	m.symOnce.Do(func() {
		if m.SymbolsLoader != nil {
			m.syms, m.symErr = m.SymbolsLoader()
			return
		}
		var syms []Symbol
		m.symErr = m.rawSymbols(func(name []byte, value, size uint64, info byte, shndx elf.SectionIndex) {
			t := elf.SymType(info & 0xf)
			if (t != elf.STT_FUNC && t != elf.STT_OBJECT && t != elf.STT_NOTYPE) || value == 0 || len(name) == 0 || shndx == elf.SHN_UNDEF {
				return
			}
			if t == elf.STT_NOTYPE && !bytes.HasPrefix(name, []byte("Builtins_")) {
				return
			}
			syms = append(syms, Symbol{Addr: value, Size: size, Name: string(name)})
		})
		sort.Slice(syms, func(i, j int) bool {
			if syms[i].Addr != syms[j].Addr {
				return syms[i].Addr < syms[j].Addr
			}
			return syms[i].Size > syms[j].Size
		})
		m.syms = syms
	})
	return m.syms, m.symErr
}

// LookupAddr finds the symbol containing a link-time address. A symbol with
// size 0 covers up to the next symbol.
func (m *Module) LookupAddr(vaddr uint64) (Symbol, bool) {
	syms, err := m.Symbols()
	if err != nil || len(syms) == 0 {
		return Symbol{}, false
	}
	i := sort.Search(len(syms), func(i int) bool { return syms[i].Addr > vaddr }) - 1
	// Walk back a little: a sized symbol that ends before vaddr may sit
	// inside a larger one that covers it.
	for k := 0; i >= 0 && k < 16; i, k = i-1, k+1 {
		s := syms[i]
		if s.Size > 0 && vaddr < s.Addr+s.Size {
			return s, true
		}
		if s.Size == 0 && k == 0 {
			return s, true // unsized: covers up to the next symbol
		}
	}
	return Symbol{}, false
}

// LookupName returns the first symbol with that exact name.
func (m *Module) LookupName(name string) (Symbol, bool) {
	syms, _ := m.Symbols()
	for _, s := range syms {
		if s.Name == name {
			return s, true
		}
	}
	return Symbol{}, false
}

// Demangle returns the readable form of a C++ symbol name.
func Demangle(name string) string {
	if !strings.HasPrefix(name, "_Z") {
		return name
	}
	return demangle.Filter(name, demangle.NoClones)
}
