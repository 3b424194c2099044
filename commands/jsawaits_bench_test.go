package commands

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/async"
)

// BenchmarkJSStackAsync measures what async frames add to ::jsstack on
// async_chain.js (six async frames): "stack" is the synchronous walk
// alone, "async" finding the running generator and following its chain
// with the walk done (fresh sessions each time).
func BenchmarkJSStackAsync(b *testing.B) {
	v := testnode.Versions[len(testnode.Versions)-1]
	c := testnode.MakeCore(b, v, "async_chain.js", []string{"--abort-on-uncaught-exception"}, nil)
	base := openSession(b, c)
	if out := runDcmd(b, base, false, "jsstack", 0); strings.Count(out, "js:      async ") != 6 {
		b.Fatalf("want 6 async frames:\n%s", out)
	}
	th := base.Proc.SignalThread()
	b.Run("stack", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s := NewSession(base.Proc, base.Meta)
			inv, _ := NewInvocation(context.Background(), s, Lookup("jsstack"), nil)
			w, _ := WalkerOf(inv)
			threadStack(inv, w, th)
		}
	})
	b.Run("async", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s := NewSession(base.Proc, base.Meta)
			inv, _ := NewInvocation(context.Background(), s, Lookup("jsstack"), nil)
			w, _ := WalkerOf(inv)
			st := threadStack(inv, w, th)
			b.StartTimer()
			if ch, err := threadAsyncChain(inv, th, st); err != nil || len(ch.Frames) != 6 {
				b.Fatalf("%d frames, %v", len(ch.Frames), err)
			}
		}
	})
}

// BenchmarkJSAwaits1GB measures ::jsawaits on the 1 GB leakbig core
// (NDB_BENCH_BIG=1, as heap's benchmarks): "census" the heap census alone,
// "listing" the listing on a census made before, "jsawaits" both, fresh
// sessions each time.
func BenchmarkJSAwaits1GB(b *testing.B) {
	if os.Getenv("NDB_BENCH_BIG") == "" {
		b.Skip("set NDB_BENCH_BIG=1 to make and use the 1 GB core")
	}
	c := testnode.MakeCore(b, "22.23.3", "leakbig.js", []string{"--max-old-space-size=4096"}, nil)
	base := openSession(b, c)
	b.Run("census", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			s := NewSession(base.Proc, base.Meta)
			inv, _ := NewInvocation(context.Background(), s, Lookup("jsawaits"), nil)
			if _, err := CensusOf(inv); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("listing", func(b *testing.B) {
		inv, _ := NewInvocation(context.Background(), base, Lookup("jsawaits"), nil)
		c, err := CensusOf(inv)
		if err != nil {
			b.Fatal(err)
		}
		h, _ := HeapOf(inv)
		w, _ := WalkerOf(inv)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := suspendedWork(inv, c, async.NewReader(w), h); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jsawaits", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			runDcmd(b, NewSession(base.Proc, base.Meta), false, "jsawaits", 0)
		}
	})
}
