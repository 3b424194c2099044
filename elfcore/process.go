// Package elfcore reads Linux x86-64 ELF core files and the ELF files whose
// mappings they name: memory, threads, mappings and symbols.
package elfcore

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
)

// Segment is a PT_LOAD of the core: a range of the process's address space.
type Segment struct {
	Start, End uint64 // [Start, End): p_vaddr, p_vaddr+p_memsz
	Flags      elf.ProgFlag
	Data       []byte // the bytes present: len(Data) <= p_filesz <= End-Start
	FileSize   uint64 // p_filesz as declared in the header
}

// Missing is how many declared bytes the (truncated) core file lacks.
func (s *Segment) Missing() uint64 { return s.FileSize - uint64(len(s.Data)) }

// Options control how a core is opened.
type Options struct {
	Exe   string // the node executable; found from the core when empty
	Force bool   // go on when the executable's build-id differs from the core's
}

// Process is a dumped process: the core plus the executable and libraries
// it names. It is also what a bundle rebuilds, without the files.
type Process struct {
	CorePath string
	ExePath  string

	Segments []Segment // sorted by Start
	Threads  []Thread  // in note order; the first is the one that got the signal
	Info     ProcessInfo
	Sig      *SigInfo
	Auxv     map[uint64]uint64
	Files    []FileMapping // NT_FILE, sorted by Start
	PageSize uint64

	Exe           *Module
	CoreBuildID   string // the executable's build-id as dumped in the core
	BuildIDStatus string // "match", "mismatch (forced)", "unknown: ..."
	Warnings      []string
	TruncatedBy   uint64 // bytes missing from a truncated core

	// Constants are the v8dbg_* and nodedbg_* symbols of the executable
	// with their values (see constants.go).
	Constants []RawConstant
	// NodeVersion ("v20.20.2") and V8Version ("11.3.244.8-node.38") as the
	// executable spells them; "" when not found.
	NodeVersion, V8Version string

	core    *mappedFile
	lastSeg atomic.Int32 // index of the segment of the last read
	modsMu  sync.Mutex
	modules map[string]*Module // by path; nil entry = could not open
	NoFiles bool               // a bundle: never look at the file system
	release func()             // run by Close (a bundle's mapped memory)
}

// NewProcess returns an empty Process for a bundle to fill in. It never
// opens a file (NoFiles); release, when not nil, runs on Close.
func NewProcess(release func()) *Process {
	return &Process{modules: map[string]*Module{}, PageSize: 4096,
		NoFiles: true, release: release}
}

// ErrNotCore and friends classify what is wrong with the input.
var (
	ErrEmpty   = errors.New("empty file")
	ErrNotELF  = errors.New("not an ELF file")
	ErrNotCore = errors.New("not a core file")
)

// Open reads a core file and the executable it ran.
func Open(corePath string, opts Options) (*Process, error) {
	mf, err := mapFile(corePath)
	if err != nil {
		return nil, err
	}
	if len(mf.data) == 0 {
		return nil, fmt.Errorf("%s: %w", corePath, ErrEmpty)
	}
	p, err := parseCore(mf, corePath)
	if err != nil {
		mf.close()
		return nil, err
	}
	if err := p.attachExe(opts); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func parseCore(mf *mappedFile, path string) (*Process, error) {
	data := mf.data
	if len(data) < 64 || !bytes.Equal(data[:4], []byte(elf.ELFMAG)) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotELF)
	}
	le := binary.LittleEndian
	if data[4] == byte(elf.ELFCLASS64) && len(data) >= 64 {
		phoff, phentsize, phnum := le.Uint64(data[32:]), uint64(le.Uint16(data[54:])), uint64(le.Uint16(data[56:]))
		if end := phoff + phentsize*phnum; end > uint64(len(data)) && elf.Type(le.Uint16(data[16:])) == elf.ET_CORE {
			return nil, fmt.Errorf("%s: core is truncated to nothing usable: %d bytes, its program headers need %d", path, len(data), end)
		}
	}
	ef, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: damaged ELF header: %v", path, err)
	}
	if ef.Type != elf.ET_CORE {
		return nil, fmt.Errorf("%s: %w (it is an ELF %s)", path, ErrNotCore, typeName(ef.Type))
	}
	if ef.Machine != elf.EM_X86_64 || ef.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("%s: unsupported core: %s %s (ndb reads x86-64 cores)", path, ef.Class, ef.Machine)
	}
	p := &Process{CorePath: path, core: mf, modules: map[string]*Module{}, PageSize: 4096}
	size := uint64(len(data))
	var declared, noteBytes uint64
	var badLoads []error
	for _, ph := range ef.Progs {
		switch ph.Type {
		case elf.PT_LOAD:
			s, err := loadSegment(ph, data)
			if err != nil {
				badLoads = append(badLoads, err)
				continue
			}
			declared += s.FileSize
			p.TruncatedBy += s.Missing()
			p.Segments = append(p.Segments, s)
		case elf.PT_NOTE:
			if ph.Off >= size {
				p.Warnings = append(p.Warnings, "the notes segment is past the end of the truncated core")
				continue
			}
			// The notes are what the file holds, and no more than
			// maxNoteBytes in all.
			n := min(ph.Filesz, size-ph.Off, maxNoteBytes-noteBytes)
			if n < ph.Filesz {
				p.Warnings = append(p.Warnings, fmt.Sprintf("notes segment of %s cut to the %s the core holds or ndb reads (%s at most)",
					HumanBytes(ph.Filesz), HumanBytes(n), HumanBytes(maxNoteBytes)))
			}
			noteBytes += n
			if err := walkNotes(data[ph.Off:ph.Off+n], p.addNote); err != nil {
				p.Warnings = append(p.Warnings, "notes: "+err.Error())
			}
		}
	}
	if len(badLoads) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d damaged program header(s) ignored (first: %v)", len(badLoads), badLoads[0]))
	}
	sort.Slice(p.Segments, func(i, j int) bool { return p.Segments[i].Start < p.Segments[j].Start })
	p.Warnings = append(p.Warnings, trimOverlaps(p.Segments)...)
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Start < p.Files[j].Start })
	if p.TruncatedBy > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("core is truncated: %s of %s of memory missing (segments past the end of the file); reads there fail",
			HumanBytes(p.TruncatedBy), HumanBytes(declared)))
	}
	if len(p.Threads) == 0 {
		if declared > 0 && p.TruncatedBy == declared {
			return nil, fmt.Errorf("%s: core is truncated to nothing usable: no thread notes and no memory", path)
		}
		p.Warnings = append(p.Warnings, "core has no thread notes (NT_PRSTATUS)")
	}
	return p, nil
}

func typeName(t elf.Type) string {
	switch t {
	case elf.ET_EXEC:
		return "executable"
	case elf.ET_DYN:
		return "shared object or PIE executable"
	case elf.ET_REL:
		return "relocatable object"
	}
	return t.String()
}

func (p *Process) addNote(n rawNote) {
	var err error
	switch {
	case n.typ == ntPRSTATUS && n.name == "CORE":
		var t Thread
		if t, err = parsePRStatus(n.desc); err == nil {
			p.Threads = append(p.Threads, t)
		}
	case n.typ == ntPRPSINFO && n.name == "CORE":
		p.Info, err = parsePRPSInfo(n.desc)
	case n.typ == ntSIGINFO:
		var s SigInfo
		if s, err = parseSigInfo(n.desc); err == nil && p.Sig == nil {
			p.Sig = &s
		}
	case n.typ == ntAUXV:
		p.Auxv = parseAuxv(n.desc)
	case n.typ == ntFILE:
		var ps uint64
		p.Files, ps, err = parseFileNote(n.desc)
		if ps != 0 {
			p.PageSize = ps
		}
	}
	if err != nil && len(p.Warnings) < maxNoteWarnings {
		p.Warnings = append(p.Warnings, err.Error())
	}
}

// Close releases the mapped files.
func (p *Process) Close() {
	p.core.close()
	if p.release != nil {
		p.release()
		p.release = nil
	}
	p.modsMu.Lock()
	defer p.modsMu.Unlock()
	for _, m := range p.modules {
		if m != nil {
			m.close()
		}
	}
}

// Signal is the number of the signal that ended the process, 0 if none (a
// gcore of a live process: its threads only say SIGSTOP).
func (p *Process) Signal() int {
	// gdb's gcore records the SIGSTOP it stopped the process with: not a
	// signal that ended anything.
	if p.Sig != nil && p.Sig.Signo != 0 && p.Sig.Signo != sigSTOP {
		return p.Sig.Signo
	}
	if t := p.SignalThread(); t != nil && t.Signal != sigSTOP {
		return t.Signal
	}
	return 0
}

const sigSTOP = 19

// SignalThread is the thread that received the signal: the first thread
// note carrying a signal other than the SIGSTOP a debugger uses to stop
// threads (the kernel and gdb both put that thread first).
func (p *Process) SignalThread() *Thread {
	for i := range p.Threads {
		if s := p.Threads[i].Signal; s != 0 && s != sigSTOP {
			return &p.Threads[i]
		}
	}
	if len(p.Threads) > 0 {
		return &p.Threads[0]
	}
	return nil
}

// FileMappingAt returns the NT_FILE mapping containing addr.
func (p *Process) FileMappingAt(addr uint64) (*FileMapping, bool) {
	i := sort.Search(len(p.Files), func(i int) bool { return p.Files[i].End > addr })
	if i < len(p.Files) && p.Files[i].Start <= addr {
		return &p.Files[i], true
	}
	return nil, false
}

// exeCandidates lists where the executable may be, best first.
func (p *Process) findExePath() string {
	if entry, ok := p.Auxv[AT_ENTRY]; ok {
		if fm, ok := p.FileMappingAt(entry); ok {
			return fm.Path
		}
	}
	if a, ok := p.Auxv[AT_EXECFN]; ok {
		if s, err := p.ReadCString(a, 4096); err == nil && s != "" {
			return s
		}
	}
	if len(p.Files) > 0 {
		return p.Files[0].Path
	}
	return ""
}

func (p *Process) attachExe(opts Options) error {
	path := opts.Exe
	if path == "" {
		path = p.findExePath()
		if path == "" {
			return fmt.Errorf("%s: cannot tell which executable dumped this core; give it as the second argument or with --exe", p.CorePath)
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("executable %s (named by the core) is not on this machine; give its path as the second argument or with --exe", path)
		}
	}
	m, err := openModule(path)
	if err != nil {
		if os.IsNotExist(errors.Unwrap(err)) || os.IsNotExist(err) {
			return fmt.Errorf("executable %s not found", path)
		}
		return fmt.Errorf("executable: %v", err)
	}
	if m.elf.Type != elf.ET_EXEC && m.elf.Type != elf.ET_DYN {
		m.close()
		return fmt.Errorf("%s is not an executable (ELF %s)", path, typeName(m.elf.Type))
	}
	p.Exe, p.ExePath = m, path
	// The core names the executable by the path it ran from; register the
	// module under that path too so mappings resolve to it.
	p.modules[path] = m
	if corePath := p.findExePath(); corePath != "" {
		p.modules[corePath] = m
	}
	p.CoreBuildID = p.coreBuildID(p.findExePath())
	switch {
	case p.CoreBuildID == "" || m.BuildID == "":
		p.BuildIDStatus = "unknown (no build-id in the core or the executable)"
	case p.CoreBuildID == m.BuildID:
		p.BuildIDStatus = "match"
	case opts.Force:
		p.BuildIDStatus = "MISMATCH (forced)"
		p.Warnings = append(p.Warnings, fmt.Sprintf("executable %s has build-id %s but the core was made by %s; answers may be wrong", path, m.BuildID, p.CoreBuildID))
	default:
		m.close()
		return fmt.Errorf("wrong executable: %s has build-id %s, the core was made by build-id %s (use --force to go on anyway)", path, m.BuildID, p.CoreBuildID)
	}
	p.Constants = p.readConstants()
	p.NodeVersion, p.V8Version = p.readVersions()
	return nil
}

// coreBuildID reads the build-id from the ELF header page that the kernel
// dumps for the first mapping of a file.
func (p *Process) coreBuildID(path string) string {
	for _, fm := range p.Files {
		if fm.Path != path || fm.FileOffset != 0 {
			continue
		}
		return p.buildIDAt(fm.Start)
	}
	return ""
}

func (p *Process) buildIDAt(base uint64) string {
	hdr := make([]byte, 64)
	if !p.readCore(hdr, base) || !bytes.Equal(hdr[:4], []byte(elf.ELFMAG)) {
		return ""
	}
	le := binary.LittleEndian
	phoff, phentsize, phnum := le.Uint64(hdr[32:]), uint64(le.Uint16(hdr[54:])), uint64(le.Uint16(hdr[56:]))
	if phentsize < 56 || phnum > 256 {
		return ""
	}
	phs := make([]byte, phentsize*phnum)
	if !p.readCore(phs, base+phoff) {
		return ""
	}
	// The load bias: the first PT_LOAD's page-aligned vaddr sits at base.
	var bias uint64
	for i := uint64(0); i < phnum; i++ {
		ph := phs[i*phentsize:]
		if elf.ProgType(le.Uint32(ph)) == elf.PT_LOAD {
			bias = base - (le.Uint64(ph[16:]) &^ (p.PageSize - 1))
			break
		}
	}
	for i := uint64(0); i < phnum; i++ {
		ph := phs[i*phentsize:]
		if elf.ProgType(le.Uint32(ph)) != elf.PT_NOTE {
			continue
		}
		vaddr, size := le.Uint64(ph[16:]), le.Uint64(ph[32:])
		if size > 1<<16 {
			continue
		}
		d := make([]byte, size)
		if !p.readCore(d, bias+vaddr) {
			continue
		}
		if id := buildIDFromNotes(d); id != "" {
			return id
		}
	}
	return ""
}

// Module returns the ELF module for a file path named by the core, opening
// it on first use. It is nil when the file is absent, not ELF, or not the
// file the process had (build-id mismatch).
func (p *Process) Module(path string) *Module {
	p.modsMu.Lock()
	defer p.modsMu.Unlock()
	if m, ok := p.modules[path]; ok {
		return m
	}
	var m *Module
	if !p.NoFiles && path != "" && path[0] == '/' {
		// A file that is absent, not ELF, or not the one the process had
		// (build-id differs) is not used: its bytes and symbols would lie.
		if opened, err := openModule(path); err == nil {
			m = opened
			if id := p.coreBuildID(path); id != "" && id != m.BuildID {
				m.close()
				m = nil
			}
		}
	}
	p.modules[path] = m
	return m
}

// AddModule registers a module (bundles provide their own).
func (p *Process) AddModule(path string, m *Module) {
	p.modsMu.Lock()
	defer p.modsMu.Unlock()
	p.modules[path] = m
}

// Location is a symbolized address.
type Location struct {
	Module *Module
	Path   string // the mapped file, "" for anonymous memory
	Symbol string // mangled name; "" if none
	Offset uint64 // from the symbol start (or from the file start without a symbol)
}

// Symbolize names the code at addr. It works through the NT_FILE file
// offset, so a second mapping of the same file (V8's remapped builtins)
// resolves like the first.
func (p *Process) Symbolize(addr uint64) (Location, bool) {
	fm, ok := p.FileMappingAt(addr)
	if !ok {
		return Location{}, false
	}
	loc := Location{Path: fm.Path}
	off := fm.FileOffset + (addr - fm.Start)
	loc.Offset = off
	m := p.Module(fm.Path)
	if m == nil {
		return loc, true
	}
	loc.Module = m
	vaddr, ok := m.FileOffsetToVaddr(off)
	if !ok {
		return loc, true
	}
	if s, ok := m.LookupAddr(vaddr); ok {
		loc.Symbol, loc.Offset = s.Name, vaddr-s.Addr
	}
	return loc, true
}

// String renders a location as module`symbol+0xoff (mdb style), demangled.
func (l Location) String() string {
	mod := filepath.Base(l.Path)
	if l.Symbol == "" {
		return fmt.Sprintf("%s+%#x", mod, l.Offset)
	}
	s := mod + "`" + Demangle(l.Symbol)
	if l.Offset != 0 {
		s += fmt.Sprintf("+%#x", l.Offset)
	}
	return s
}

// SymbolAddress returns the run-time address of a symbol of the executable.
func (p *Process) SymbolAddress(name string) (uint64, bool) {
	s, ok := p.ExeSymbol(name)
	return s.Addr, ok
}

// ExeSymbol returns a symbol of the executable with its run-time address
// (the executable is mapped at its link-time addresses unless it is PIE).
func (p *Process) ExeSymbol(name string) (Symbol, bool) {
	if p.Exe == nil {
		return Symbol{}, false
	}
	s, ok := p.Exe.LookupName(name)
	if !ok {
		return Symbol{}, false
	}
	s.Addr += p.exeBias()
	return s, true
}

func (p *Process) exeBias() uint64 {
	if p.Exe == nil || (p.Exe.elf != nil && p.Exe.elf.Type == elf.ET_EXEC) {
		return 0
	}
	for _, fm := range p.Files {
		if p.modules[fm.Path] == p.Exe && fm.FileOffset == 0 && len(p.Exe.Loads) > 0 {
			return fm.Start - (p.Exe.Loads[0].Vaddr &^ (p.PageSize - 1))
		}
	}
	return 0
}

// HumanBytes formats a byte count (1.5 GB, 12 MB, 300 B).
func HumanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Argv returns the process's command line as it was on its initial stack
// (NT_PRPSINFO keeps only 80 bytes). The kernel laid out argc, argv[],
// NULL, envp[], NULL, then the auxiliary vector, whose first entry on
// x86-64 is AT_SYSINFO_EHDR: find that entry in the stack segment and walk
// back. It returns nil when the stack is not in the core.
func (p *Process) Argv() []string {
	execfn, ok1 := p.Auxv[AT_EXECFN]
	vdso, ok2 := p.Auxv[AT_SYSINFO_EHDR]
	if !ok1 || !ok2 {
		return nil
	}
	i := p.segmentAt(execfn)
	if i < 0 {
		return nil
	}
	seg := p.Segments[i].Data
	le := binary.LittleEndian
	var key [16]byte
	le.PutUint64(key[:], AT_SYSINFO_EHDR)
	le.PutUint64(key[8:], vdso)
	at := bytes.Index(seg, key[:])
	if at < 16 || at%8 != 0 {
		return nil
	}
	word := func(off int) uint64 { return le.Uint64(seg[off:]) }
	off := at - 8 // the NULL that ends envp
	if word(off) != 0 {
		return nil
	}
	for off -= 8; off >= 0 && word(off) != 0; off -= 8 { // envp
	}
	end := off // the NULL that ends argv
	n := 0
	for off -= 8; off >= 0 && word(off) != uint64(n); off -= 8 {
		n++
		if n > 4096 {
			return nil
		}
	}
	if off < 0 || n == 0 {
		return nil
	}
	var argv []string
	for a := off + 8; a < end; a += 8 {
		s, err := p.ReadCString(word(a), 1<<16)
		if err != nil {
			return nil
		}
		argv = append(argv, s)
	}
	return argv
}
