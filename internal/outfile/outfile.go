// Package outfile writes ndb's output files (bundles, and later heap
// snapshots and cores) without harming what their path names:
//
//   - a path that exists and is not a regular file (a device, a FIFO, a
//     directory, a symbolic link) is refused;
//   - a path that is one of the command's inputs (same device and inode,
//     whatever the name) is refused;
//   - an existing regular file is replaced only when overwrite is set;
//   - the bytes go to a temporary file in the same directory, mode 0600,
//     renamed to the path by Commit: the path holds the old file or the
//     complete new one, never a part. Without Commit, Close removes the
//     temporary; where the system allows (O_TMPFILE), it has no name until
//     Commit, so nothing is left behind even when ndb is killed.
//
// Use:
//
//	f, err := outfile.Create(path, overwrite, inputs...)
//	if err != nil { ... }
//	defer f.Close()
//	... write to f ...
//	return f.Commit()
package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// File is an output file being written. It is an *os.File: write to it,
// then Commit. Close discards it unless committed.
type File struct {
	*os.File
	path      string
	inputs    []string
	overwrite bool
	tmpName   string // the temporary's name; "" while it has none (O_TMPFILE)
	done      bool   // committed or closed
}

// ErrExists is returned by Create for an existing regular file when
// overwrite is not set.
var ErrExists = errors.New("exists (use --force to overwrite it)")

// Create checks path (see the package comment) and returns a temporary
// file in its directory to write the output into. inputs are the files the
// output is made from; path may name none of them.
func Create(path string, overwrite bool, inputs ...string) (*File, error) {
	f := &File{path: path, inputs: inputs, overwrite: overwrite}
	if err := f.check(); err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if fd, err := unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600); err == nil {
		f.File = os.NewFile(uintptr(fd), path)
		return f, nil
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	f.File, f.tmpName = tmp, tmp.Name()
	if err := tmp.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// check refuses a path that names a non-regular file or an input, and an
// existing file unless overwrite is set.
func (f *File) check() error {
	st, err := os.Lstat(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s exists and is not a regular file (%s); refusing to replace it", f.path, kind(st.Mode()))
	}
	for _, in := range f.inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return fmt.Errorf("%s is an input (%s); refusing to write over it", f.path, in)
		}
	}
	if !f.overwrite {
		return fmt.Errorf("%s %w", f.path, ErrExists)
	}
	return nil
}

func kind(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeDir != 0:
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return m.Type().String()
}

// Commit syncs the file and renames it to its path, checking the path
// again first (it may have changed while the output was written). After
// Commit, Close does nothing.
func (f *File) Commit() error {
	if f.done {
		return errors.New("outfile: commit of a closed file")
	}
	if err := f.check(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if f.tmpName == "" {
		if err := f.link(); err != nil {
			f.Close()
			return err
		}
	}
	if err := os.Rename(f.tmpName, f.path); err != nil {
		f.Close()
		return err
	}
	f.done = true
	return f.File.Close()
}

// link gives an O_TMPFILE file a temporary name next to its path (through
// /proc, which needs no privilege, unlike AT_EMPTY_PATH).
func (f *File) link() error {
	proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	base := filepath.Join(filepath.Dir(f.path), "."+filepath.Base(f.path)+".")
	for i := 0; ; i++ {
		name := base + strconv.FormatInt(time.Now().UnixNano()+int64(i), 36) + ".tmp"
		err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
		if err == nil {
			f.tmpName = name
			return nil
		}
		if !errors.Is(err, unix.EEXIST) || i == 100 {
			return fmt.Errorf("naming %s: %v", f.path, err)
		}
	}
}

// Close discards the output unless it was committed. It is safe to call
// more than once, and after Commit.
func (f *File) Close() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.File.Close()
	if f.tmpName != "" {
		os.Remove(f.tmpName)
	}
	return err
}
