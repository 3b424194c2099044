package elfcore

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mappedFile is a file mapped read-only into memory. Cores are gigabytes:
// mapping them lets every read be a slice of page cache, never a syscall.
type mappedFile struct {
	path string
	data []byte
	f    *os.File // kept open for CopyOut
}

func mapFile(path string) (*mappedFile, error) {
	f, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.Size() == 0 {
		f.Close()
		return &mappedFile{path: path}, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("mmap %s: %v", path, err)
	}
	return &mappedFile{path: path, data: data, f: f}, nil
}

func (m *mappedFile) close() {
	if m != nil && m.data != nil {
		unix.Munmap(m.data)
		m.data = nil
	}
	if m != nil && m.f != nil {
		m.f.Close()
		m.f = nil
	}
}

// coreOffset returns the offset in the core file of b, a slice of the
// mapped core, or false.
func (p *Process) coreOffset(b []byte) (uintptr, bool) {
	if p.core == nil || len(p.core.data) == 0 || len(b) == 0 {
		return 0, false
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(p.core.data)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if lo < base || lo+uintptr(len(b)) > base+uintptr(len(p.core.data)) {
		return 0, false
	}
	return lo - base, true
}

// CopyOut returns the bytes of b, a slice of the mapped core (a Segment's
// Data), read into buf (grown if short) with pread: a bulk scan reads each
// byte once, and reading from the page cache costs less than faulting the
// mapping in, and leaves nothing in the resident set. b outside the core's
// mapping, or a failed read, is returned as it is.
func (p *Process) CopyOut(buf, b []byte) []byte {
	off, ok := p.coreOffset(b)
	if !ok || p.core.f == nil {
		return b
	}
	if cap(buf) < len(b) {
		buf = make([]byte, len(b))
	}
	buf = buf[:len(b)]
	if n, err := p.core.f.ReadAt(buf, int64(off)); n != len(b) || err != nil {
		return b
	}
	return buf
}

// Release drops the pages of b, a slice of the mapped core (a Segment's
// Data), from the process's resident set: the core is mapped read-only and
// shared, so the page cache keeps them and a later read faults them back.
// Bulk scans of gigabyte cores call it on what they have scanned so that
// the core does not count toward their memory. Only whole pages inside b
// are dropped; b outside the core's mapping (a bundle's memory) is left
// alone.
func (p *Process) Release(b []byte) {
	off, ok := p.coreOffset(b)
	if !ok {
		return
	}
	ps := uintptr(os.Getpagesize())
	start := (off + ps - 1) &^ (ps - 1) // the mapping starts on a page
	end := (off + uintptr(len(b))) &^ (ps - 1)
	if end > start {
		unix.Madvise(p.core.data[start:end], unix.MADV_DONTNEED)
	}
}
