package stack

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
)

var writeSeeds = flag.Bool("write-seeds", false, "write the fuzz seed corpus of testdata/fuzz from the bundles")

// TestWriteSeeds writes the source position tables of the interpreted
// frames of the crash bundles as seeds of FuzzSourcePositions.
func TestWriteSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -write-seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzSourcePositions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range testcores.Crash {
		w := NewWalker(testcores.Open(t, name))
		st := w.WalkThread(context.Background(), w.Proc.SignalThread(), WalkOptions{})
		for _, f := range st.Frames {
			if f.Tier != TierInterpreted || f.BytecodeArray == 0 {
				continue
			}
			tv, err := w.Word(f.BytecodeArray, w.Layout.Frame.BytecodeArraySourcePositions)
			if err != nil {
				t.Fatal(err)
			}
			b, err := w.byteArray(tv)
			if err != nil {
				t.Fatal(err)
			}
			seed := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nbyte(%q)\n", b, byte(w.Layout.Frame.SourcePositionFormat))
			file := filepath.Join(dir, fmt.Sprintf("%s-frame%d", name, f.Index))
			if err := os.WriteFile(file, []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
}
