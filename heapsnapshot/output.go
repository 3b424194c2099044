package heapsnapshot

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Output is a snapshot file being written: a temporary file next to the
// final path, mode 0600 (it holds the process's memory), renamed over the
// path by Commit only once complete.
type Output struct {
	*os.File
	path string
	done bool
}

// CheckPath refuses, before any work, an output path that is not a
// regular file, that is one of the inputs, or that exists without force.
func CheckPath(path string, inputs []string, force bool) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file; refusing to replace it", path)
	}
	for _, in := range inputs {
		if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
			return fmt.Errorf("%s: is the input %s; refusing to replace it", path, in)
		}
	}
	if !force {
		return fmt.Errorf("%s: exists; use --force to replace it", path)
	}
	return nil
}

// Create checks path (see CheckPath) and opens the temporary file it will
// be written through, so that a directory that cannot be written fails
// before any work.
func Create(path string, inputs []string, force bool) (*Output, error) {
	if err := CheckPath(path, inputs, force); err != nil {
		return nil, err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &Output{File: f, path: path}, nil
}

// Path is the final path.
func (o *Output) Path() string { return o.path }

// Dir is the directory the output is written in, for the writer's spools.
func (o *Output) Dir() string { return filepath.Dir(o.File.Name()) }

// Commit syncs the file and renames it to its final path. The path is
// checked again: it may have become a directory or a device meanwhile.
func (o *Output) Commit(force bool) error {
	if err := o.File.Sync(); err != nil {
		return err
	}
	if err := o.File.Close(); err != nil {
		return err
	}
	if st, err := os.Lstat(o.path); err == nil && (!st.Mode().IsRegular() || !force) {
		os.Remove(o.File.Name())
		o.done = true
		return fmt.Errorf("%s: appeared while writing; not replaced", o.path)
	}
	if err := os.Rename(o.File.Name(), o.path); err != nil {
		os.Remove(o.File.Name())
		o.done = true
		return err
	}
	o.done = true
	return nil
}

// Abort removes the temporary file unless Commit has run.
func (o *Output) Abort() {
	if o.done {
		return
	}
	o.File.Close()
	os.Remove(o.File.Name())
	o.done = true
}
