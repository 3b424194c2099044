package stack

import (
	"context"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Budgets of the issue: every thread of a core walked in 50 ms once the
// unwind tables are loaded; a core loaded in 100 ms.

func openCore(b testing.TB, c *testnode.Core) (*elfcore.Process, *object.Heap) {
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.Close)
	m, err := layout.Load(p)
	if err != nil {
		b.Fatal(err)
	}
	h, err := object.NewHeap(p, m)
	if err != nil {
		b.Fatal(err)
	}
	return p, h
}

var benchCores = []struct {
	name, fixture string
	flags         []string
}{
	{"abort", "abort.js", nil},
	{"worker", "worker_stack.js", nil},
	{"stack_overflow", "stack_overflow.js", []string{"--abort-on-uncaught-exception"}},
}

// BenchmarkAllThreads walks every thread (native unwinding, V8's frames)
// and names every JS frame with its position, as ::jsstack -t all does,
// with the walker's tables loaded by a first walk.
func BenchmarkAllThreads(b *testing.B) {
	for _, bc := range benchCores {
		b.Run(bc.name, func(b *testing.B) {
			p, h := openCore(b, testnode.MakeCore(b, "22.23.3", bc.fixture, bc.flags, nil))
			w := NewWalker(h)
			frames := walkAll(w, p)
			for b.Loop() {
				walkAll(w, p)
			}
			b.ReportMetric(float64(frames), "frames")
		})
	}
}

func walkAll(w *Walker, p *elfcore.Process) int {
	n := 0
	for i := range p.Threads {
		st := w.WalkThread(context.Background(), &p.Threads[i], WalkOptions{})
		for j := range st.Frames {
			if st.Frames[j].Kind == KindJS {
				w.FrameInfo(&st.Frames[j])
			}
		}
		n += len(st.Frames)
	}
	return n
}

// BenchmarkCoreLoad opens a core and prepares its heap and walker.
func BenchmarkCoreLoad(b *testing.B) {
	c := testnode.MakeCore(b, "22.23.3", "worker_stack.js", nil, nil)
	for b.Loop() {
		p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
		if err != nil {
			b.Fatal(err)
		}
		m, err := layout.Load(p)
		if err != nil {
			b.Fatal(err)
		}
		h, err := object.NewHeap(p, m)
		if err != nil {
			b.Fatal(err)
		}
		NewWalker(h)
		p.Close()
	}
}
