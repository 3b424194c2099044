package livecore

import (
	"fmt"
	"os"
	"path/filepath"
)

// createTemp opens a new file of mode 0600 under a temporary name in the directory of path.
// commit renames it to path; discard removes it. A failure thus never leaves a partial file
// under the final name. It refuses to replace anything but a regular file.
func createTemp(path string) (f *os.File, commit func() error, discard func(), err error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, nil, nil, fmt.Errorf("%s exists and is not a regular file", path)
	}
	f, err = os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, nil, nil, err
	}
	tmp := f.Name()
	commit = func() error {
		if err := f.Close(); err != nil {
			os.Remove(tmp)
			return err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return err
		}
		return nil
	}
	discard = func() {
		f.Close()
		os.Remove(tmp)
	}
	return f, commit, discard, nil
}
