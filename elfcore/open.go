package elfcore

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ErrNotRegular is returned by OpenRegular for a path that names anything
// but a regular file (a FIFO, a device, a directory, a socket).
var ErrNotRegular = fmt.Errorf("not a regular file")

// OpenRegular opens path for reading only if it is a regular file. Every
// file ndb reads goes through it: a core names files that are opened on the
// analyst's machine, and opening a FIFO blocks forever while reading a
// device never ends. The open itself is non-blocking (O_NONBLOCK: a FIFO
// with no writer opens at once), the type is checked with fstat on the
// opened descriptor (no race with a rename), and only then is the file
// switched back to blocking reads.
func OpenRegular(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %w (%s)", path, ErrNotRegular, fileKind(st.Mode))
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fileKind names the type bits of a stat mode.
func fileKind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "a FIFO"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFLNK:
		return "a symbolic link"
	}
	return "not a regular file"
}
