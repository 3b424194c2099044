package crash

import (
	"context"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// BenchmarkDecide: deciding the reason of an open core (walk included), on
// a deep stack and on an abort through libc.
func BenchmarkDecide(b *testing.B) {
	for _, fx := range []struct{ name, fixture string }{{"stack_overflow", "stack_overflow.js"}, {"unhandled_rejection", "unhandled_rejection.js"}} {
		b.Run(fx.name, func(b *testing.B) {
			c := testnode.MakeCore(b, "22.23.3", fx.fixture, abortFlag, nil)
			p, err := elfcore.Open(c.Path, elfcore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			md, err := layout.Load(p)
			if err != nil {
				b.Fatal(err)
			}
			h, err := object.NewHeap(p, md)
			if err != nil {
				b.Fatal(err)
			}
			w := stack.NewWalker(h)
			th := p.SignalThread()
			for b.Loop() {
				st := w.WalkThread(context.Background(), th, stack.WalkOptions{})
				Decide(Input{Proc: p, Walker: w, Thread: th, Stack: st, SignalName: "SIGABRT"})
			}
		})
	}
}
