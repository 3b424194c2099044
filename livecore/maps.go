package livecore

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const pageSize = 4096

// mapping is one line of /proc/PID/maps: a VMA.
type mapping struct {
	start, end uint64
	read       bool
	write      bool
	exec       bool
	shared     bool
	offset     uint64 // file offset in bytes
	inode      uint64
	path       string // file path, "[heap]", "[vdso]", ... or ""
}

func (m *mapping) size() uint64 { return m.end - m.start }

// fileBacked is true for mappings of a file, the ones the kernel lists in NT_FILE.
func (m *mapping) fileBacked() bool { return m.inode != 0 }

func (m *mapping) flags() elf.ProgFlag {
	var f elf.ProgFlag
	if m.read {
		f |= elf.PF_R
	}
	if m.write {
		f |= elf.PF_W
	}
	if m.exec {
		f |= elf.PF_X
	}
	return f
}

// special is true for the kernel's named mappings ([vdso], [vvar], [vsyscall], ...), which the
// kernel always dumps. [heap], [stack] and [anon:NAME] are ordinary anonymous memory.
func (m *mapping) special() bool {
	p := m.path
	if m.inode != 0 || !strings.HasPrefix(p, "[") {
		return false
	}
	return p != "[heap]" && p != "[stack]" && !strings.HasPrefix(p, "[anon:") &&
		!strings.HasPrefix(p, "[anon_shmem:") && !strings.HasPrefix(p, "[stack:")
}

// anonShared is true for shared memory with no file behind it (shmem, memfd, a deleted file):
// the kernel dumps it by default (coredump_filter bit 1); shared file mappings it skips (bit 3).
func (m *mapping) anonShared() bool {
	p := m.path
	return m.inode == 0 || strings.HasSuffix(p, " (deleted)") || strings.HasPrefix(p, "/dev/zero") ||
		strings.HasPrefix(p, "/SYSV") || strings.HasPrefix(p, "/memfd:")
}

// parseMaps reads /proc/PID/maps.
func parseMaps(r io.Reader) ([]mapping, error) {
	var maps []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m, err := parseMapsLine(sc.Text())
		if err != nil {
			return nil, err
		}
		maps = append(maps, m)
	}
	return maps, sc.Err()
}

func parseMapsLine(line string) (mapping, error) {
	// 7f1460738000-7f146073a000 r--p 00031000 fe:00 325835   /usr/lib/ld.so
	bad := func() (mapping, error) { return mapping{}, fmt.Errorf("unexpected line in maps: %q", line) }
	f := strings.Fields(line)
	if len(f) < 5 || len(f[1]) != 4 {
		return bad()
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return bad()
	}
	var m mapping
	var err1, err2, err3, err4 error
	m.start, err1 = strconv.ParseUint(lo, 16, 64)
	m.end, err2 = strconv.ParseUint(hi, 16, 64)
	m.offset, err3 = strconv.ParseUint(f[2], 16, 64)
	m.inode, err4 = strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || m.end <= m.start {
		return bad()
	}
	perms := f[1]
	m.read, m.write, m.exec, m.shared = perms[0] == 'r', perms[1] == 'w', perms[2] == 'x', perms[3] == 's'
	m.path = afterFields(line, 5)
	return m, nil
}

// afterFields returns what follows the first n space-separated fields of line: the path of a
// maps line, which may itself hold spaces.
func afterFields(line string, n int) string {
	rest := line
	for range n {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	return strings.TrimLeft(rest, " ")
}

// pagemap reads /proc/PID/pagemap: one 64-bit entry per page.
type pagemap struct {
	f   *os.File
	buf []byte
}

const (
	pmPresent = 1 << 63
	pmSwapped = 1 << 62
	pmFile    = 1 << 61 // file page or shared anonymous page
)

// pages calls fn with the entries of the pages of [start, end), in batches.
func (pm *pagemap) pages(start, end uint64, fn func(addr uint64, entries []uint64) bool) error {
	const batch = 8192
	if pm.buf == nil {
		pm.buf = make([]byte, batch*8)
	}
	entries := make([]uint64, batch)
	for addr := start; addr < end; {
		n := min((end-addr)/pageSize, batch)
		b := pm.buf[:n*8]
		if _, err := pm.f.ReadAt(b, int64(addr/pageSize*8)); err != nil {
			return fmt.Errorf("reading pagemap: %w", err)
		}
		for i := range n {
			entries[i] = binary.LittleEndian.Uint64(b[i*8:])
		}
		if !fn(addr, entries[:n]) {
			return nil
		}
		addr += n * pageSize
	}
	return nil
}

// run is an address range [start, end) to read; the rest of a dumped segment is holes.
type run struct{ start, end uint64 }

// anonRuns returns the pages of [start, end) that hold private anonymous memory (present and
// not a file page, or swapped out), as runs. Other pages of private anonymous memory read as
// zeros; the kernel leaves them as holes too. When isStale is not nil, it also returns, as runs,
// those of the pages for which isStale says true of their entry.
func (pm *pagemap) anonRuns(start, end uint64, isStale func(entry uint64) bool) (runs, stale []run, err error) {
	err = pm.pages(start, end, func(addr uint64, entries []uint64) bool {
		for i, e := range entries {
			a := addr + uint64(i)*pageSize
			if e&pmSwapped == 0 && (e&pmPresent == 0 || e&pmFile != 0) {
				continue
			}
			runs = extend(runs, a)
			if isStale != nil && isStale(e) {
				stale = extend(stale, a)
			}
		}
		return true
	})
	return runs, stale, err
}

// extend adds the page at a to runs, sorted by address, lengthening the last run when it ends
// at a.
func extend(runs []run, a uint64) []run {
	if n := len(runs); n > 0 && runs[n-1].end == a {
		runs[n-1].end = a + pageSize
		return runs
	}
	return append(runs, run{a, a + pageSize})
}

// hasAnonPages tells whether a private file mapping has pages the process wrote (copied on
// write): then the kernel has an anon_vma for it and dumps it whole.
func (pm *pagemap) hasAnonPages(start, end uint64) (bool, error) {
	found := false
	err := pm.pages(start, end, func(_ uint64, entries []uint64) bool {
		for _, e := range entries {
			if e&pmSwapped != 0 || (e&pmPresent != 0 && e&pmFile == 0) {
				found = true
				return false
			}
		}
		return true
	})
	return found, err
}

// plan is what the core holds of one mapping.
type plan struct {
	m      mapping
	filesz uint64 // bytes of the mapping in the file, from its start
	runs   []run  // what to read within [start, start+filesz); the rest is holes
	stale  []run  // of runs, the pages a pre-copy may hold but must read again
	offset int64  // where the mapping's bytes start in the core file
}

// planMapping decides what to dump of a mapping, by the kernel's default coredump_filter (0x33:
// private and shared anonymous memory, ELF headers; not the pages of files the process did not
// write) in fs/coredump.c vma_dump_size. Two departures, both for the user's sake: PROT_NONE
// mappings are never dumped (V8 reserves gigabytes so), and pages of anonymous memory never
// touched are holes rather than absent. isStale, when not nil, marks the stale pages of private
// anonymous memory (see anonRuns).
func planMapping(m mapping, pm *pagemap, mem io.ReaderAt, isStale func(entry uint64) bool) (plan, error) {
	p := plan{m: m}
	whole := func() (plan, error) {
		p.filesz = m.size()
		p.runs = []run{{m.start, m.end}}
		return p, nil
	}
	switch {
	case m.special():
		return whole()
	case !m.read && !m.write && !m.exec:
		return p, nil
	case m.shared:
		if m.anonShared() {
			return whole()
		}
		return p, nil
	case !m.fileBacked():
		runs, stale, err := pm.anonRuns(m.start, m.end, isStale)
		if err != nil || len(runs) == 0 {
			return p, err
		}
		p.filesz, p.runs, p.stale = m.size(), runs, stale
		return p, nil
	}
	written, err := pm.hasAnonPages(m.start, m.end)
	if err != nil {
		return p, err
	}
	if written {
		return whole()
	}
	if m.offset == 0 && m.read && startsELF(m, mem) {
		p.filesz = pageSize
		p.runs = []run{{m.start, m.start + pageSize}}
	}
	return p, nil
}

// startsELF tells whether the kernel dumps the first page of a file mapping to identify the
// file: when the file is executable or starts with the ELF magic.
func startsELF(m mapping, mem io.ReaderAt) bool {
	if st, err := os.Stat(m.path); err == nil && st.Mode()&0o111 != 0 {
		return true
	}
	magic := make([]byte, 4)
	_, err := mem.ReadAt(magic, int64(m.start))
	return err == nil && bytes.Equal(magic, []byte(elf.ELFMAG))
}
