package flame

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutputPath refuses to write to path when it names something other
// than a regular file (a device, a FIFO, a directory), when it is one of the
// inputs (compared by device and inode), or when it exists and force is
// not set.
func checkOutputPath(path string, inputs []string, force bool) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-o %s: %v", path, unwrapPath(err))
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("-o %s: not a regular file; refusing to replace it", path)
	}
	for _, in := range inputs {
		if in == "-" {
			continue
		}
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return fmt.Errorf("-o %s: is the input %s; refusing to replace it", path, in)
		}
	}
	if !force {
		return fmt.Errorf("-o %s: exists; use --force to replace it", path)
	}
	return nil
}

// writeFileAtomic writes b to a temporary file next to path and renames it
// over path only when it is complete, so that a failure leaves no partial
// output and an existing file is replaced whole or not at all.
func writeFileAtomic(path string, b []byte, inputs []string, force bool) error {
	if err := checkOutputPath(path, inputs, force); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %v", path, unwrapPath(err))
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %v", path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the operation and path that *fs.PathError repeats.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
