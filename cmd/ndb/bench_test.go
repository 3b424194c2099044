package main

import (
	"testing"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

// BenchmarkOpenToPrompt is everything ndb does before its first prompt:
// open the core and the executable, check the build-id, load the V8
// metadata.
func BenchmarkOpenToPrompt(b *testing.B) {
	c := testnode.MakeCore(b, "20.20.2", "abort.js", nil, nil)
	for b.Loop() {
		s, err := commands.OpenSession(c.Path, elfcore.Options{Exe: c.Exe})
		if err != nil {
			b.Fatal(err)
		}
		s.Proc.Close()
	}
}
