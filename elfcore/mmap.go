package elfcore

import (
	"fmt"
	"os"

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
