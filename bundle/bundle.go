// Package bundle reads and writes ndb bundles: a core with everything ndb
// needs from the executable and libraries, in one compressed file that can
// be debugged on any machine, without the node binary. The format is
// described in docs/bundle-format.md.
package bundle

import (
	"bytes"
	"io"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Magic starts every bundle file.
var Magic = []byte("NDBBUNDL")

// IsBundle reports whether the file at path starts with the bundle magic.
func IsBundle(path string) bool {
	f, err := elfcore.OpenRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(Magic))
	if _, err := io.ReadFull(f, b); err != nil {
		return false
	}
	return bytes.Equal(b, Magic)
}
