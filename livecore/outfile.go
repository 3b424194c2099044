package livecore

import (
	"os"

	"github.com/ndb-debugger/ndb/internal/outfile"
)

// createTemp opens the core's output through internal/outfile: mode 0600, a temporary in the
// directory of path that commit renames to path and discard removes, so a failure never leaves
// a partial core under the final name; a path that is not a regular file is refused, and an
// existing core is replaced only when overwrite is set.
func createTemp(path string, overwrite bool) (f *os.File, commit func() error, discard func(), err error) {
	out, err := outfile.Create(path, overwrite)
	if err != nil {
		return nil, nil, nil, err
	}
	return out.File, out.Commit, func() { out.Close() }, nil
}
