// Package bundle reads and writes ndb bundles: a core with everything ndb
// needs from the executable and libraries, in one compressed file.
package bundle

import (
	"bytes"
	"errors"
	"os"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Magic starts every bundle file.
var Magic = []byte("NDBBUNDL")

// IsBundle reports whether the file at path starts with the bundle magic.
func IsBundle(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, len(Magic))
	if _, err := f.Read(b); err != nil {
		return false
	}
	return bytes.Equal(b, Magic)
}

// Open reads a bundle into a Process.
func Open(path string) (*elfcore.Process, error) {
	return nil, errors.New("bundles are not supported yet")
}
