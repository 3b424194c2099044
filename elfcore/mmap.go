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
}

func mapFile(path string) (*mappedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() == 0 {
		return &mappedFile{path: path}, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %v", path, err)
	}
	return &mappedFile{path: path, data: data}, nil
}

func (m *mappedFile) close() {
	if m != nil && m.data != nil {
		unix.Munmap(m.data)
		m.data = nil
	}
}

// adviseSequential tells the kernel a long linear scan is coming.
func adviseSequential(b []byte) {
	if len(b) > 0 {
		unix.Madvise(b, unix.MADV_SEQUENTIAL|unix.MADV_WILLNEED)
	}
}

// Release drops the pages of b, a slice of the mapped core (a Segment's
// Data), from the process's resident set: the core is mapped read-only and
// shared, so the page cache keeps them and a later read faults them back.
// Bulk scans of gigabyte cores call it on what they have scanned so that
// the core does not count toward their memory. Only whole pages inside b
// are dropped; b outside the core's mapping (a bundle's memory) is left
// alone.
func (p *Process) Release(b []byte) {
	if p.core == nil || len(p.core.data) == 0 || len(b) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(p.core.data)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if lo < base || lo+uintptr(len(b)) > base+uintptr(len(p.core.data)) {
		return
	}
	ps := uintptr(os.Getpagesize())
	start := (lo - base + ps - 1) &^ (ps - 1) // the mapping starts on a page
	end := (lo - base + uintptr(len(b))) &^ (ps - 1)
	if end > start {
		unix.Madvise(p.core.data[start:end], unix.MADV_DONTNEED)
	}
}
