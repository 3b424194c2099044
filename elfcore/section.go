package elfcore

import (
	"debug/elf"
	"errors"
	"fmt"
)

// Section is one section of a module's file: its bytes and its link-time
// address. Data aliases the mapped file (or the bundle) and must not be
// modified.
type Section struct {
	Name string
	Addr uint64
	Data []byte
}

// ErrNoSection says the module's file has no such section.
var ErrNoSection = errors.New("no such section")

// Section returns the named section of the module's file (e.g. .eh_frame),
// or an error wrapping ErrNoSection when the file has none. A module of a
// bundle has the sections the bundle stored (SectionLoader).
func (m *Module) Section(name string) (Section, error) {
	if m.elf == nil {
		if m.SectionLoader == nil {
			return Section{}, fmt.Errorf("%s: section %s: not stored in the bundle (made by an ndb that did not store it)", m.Name(), name)
		}
		return m.SectionLoader(name)
	}
	s := m.elf.Section(name)
	if s == nil || s.Type == elf.SHT_NOBITS {
		return Section{}, fmt.Errorf("%s: section %s: %w", m.Name(), name, ErrNoSection)
	}
	if s.Flags&elf.SHF_COMPRESSED != 0 {
		return Section{}, fmt.Errorf("%s: section %s is compressed (not supported)", m.Name(), name)
	}
	data := m.file.data
	if s.Offset > uint64(len(data)) || s.Size > uint64(len(data))-s.Offset {
		return Section{}, fmt.Errorf("%s: section %s runs past the end of the file", m.Name(), name)
	}
	return Section{Name: name, Addr: s.Addr, Data: data[s.Offset : s.Offset+s.Size : s.Offset+s.Size]}, nil
}

// ModuleAddr returns the module mapped at addr and the link-time address
// addr corresponds to in it (through the NT_FILE file offset, so a second
// mapping of the same file resolves like the first). ok is false for
// anonymous memory, a file that is not here, or an offset outside the
// file's loadable segments.
func (p *Process) ModuleAddr(addr uint64) (m *Module, vaddr uint64, ok bool) {
	fm, found := p.FileMappingAt(addr)
	if !found {
		return nil, 0, false
	}
	if m = p.Module(fm.Path); m == nil {
		return nil, 0, false
	}
	vaddr, ok = m.FileOffsetToVaddr(fm.FileOffset + (addr - fm.Start))
	return m, vaddr, ok
}

// SegmentAt returns the core's segment (PT_LOAD) containing addr: its range
// and permissions, whether or not its bytes were dumped.
func (p *Process) SegmentAt(addr uint64) (*Segment, bool) {
	if i := p.segmentAt(addr); i >= 0 {
		return &p.Segments[i], true
	}
	return nil, false
}
