// Package target opens what ndb debugs: a core dump with its executable and
// libraries, or a bundle made by ndb pack, with the V8 metadata of the
// node binary it ran. Every way into a core (the ndb command, ndb diff,
// ::diff, the tests) opens it here.
package target

import (
	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/layout"
)

// Target is an opened process and its V8 metadata.
type Target struct {
	Proc *elfcore.Process
	Meta *layout.Metadata
}

// Open opens path: a bundle (recognised by its magic; opts do not apply),
// or a core with the executable opts.Exe (or the one the core names) and
// the libraries the core names.
func Open(path string, opts elfcore.Options) (*Target, error) {
	var p *elfcore.Process
	var err error
	if bundle.IsBundle(path) {
		p, err = bundle.Open(path)
	} else {
		p, err = elfcore.Open(path, opts)
	}
	if err != nil {
		return nil, err
	}
	m, err := layout.Load(p)
	if err != nil {
		p.Close()
		return nil, err
	}
	return &Target{Proc: p, Meta: m}, nil
}

// Close releases the files of the target.
func (t *Target) Close() { t.Proc.Close() }
