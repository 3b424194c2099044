package heap

import (
	"context"
	"os"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
)

// The heap benchmarks run on a core of about 1 GB of live JavaScript heap
// that leakbig.js makes (and testnode caches). Making it takes a minute and
// about 1.5 GB of disk, so they run only with NDB_BENCH_BIG=1:
//
//	NDB_BENCH_BIG=1 go test ./heap -run '^$' -bench . -benchtime 3x -cpu 2
//
// The same core for ndb itself:
//
//	go run ./internal/testnode/cmd/mkcore 22.23.3 leakbig.js --max-old-space-size=4096
func bigHeap(b *testing.B) *object.Heap {
	b.Helper()
	if os.Getenv("NDB_BENCH_BIG") == "" {
		b.Skip("set NDB_BENCH_BIG=1 to make and use the 1 GB core")
	}
	v := os.Getenv("NDB_BENCH_VERSION")
	if v == "" {
		v = "22.23.3"
	}
	c := testnode.MakeCore(b, v, "leakbig.js", []string{"--max-old-space-size=4096"}, nil)
	return openHeap(b, c.Path, c.Exe)
}

var benchCensus *Census

func BenchmarkCensus1GB(b *testing.B) {
	h := bigHeap(b)
	for i := 0; i < b.N; i++ {
		c, err := Build(context.Background(), h, Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchCensus = c
	}
	b.ReportMetric(float64(benchCensus.Stats.Objects), "objects")
	b.ReportMetric(float64(benchCensus.Stats.Bytes)/(1<<20), "heapMiB")
}

func BenchmarkGraph1GB(b *testing.B) {
	h := bigHeap(b)
	c, err := Build(context.Background(), h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var g *Graph
	for i := 0; i < b.N; i++ {
		if g, err = BuildGraph(context.Background(), c, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(g.refs)), "refs")
}

func bigTarget(b *testing.B) (*object.Heap, *Graph, uint64) {
	h := bigHeap(b)
	c, err := Build(context.Background(), h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := BuildGraph(context.Background(), c, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, gr := range c.Groups {
		if gr.Kind == KindObject && gr.Constructor == "BigTarget" {
			return h, g, gr.Rep
		}
	}
	b.Fatal("no BigTarget")
	return nil, nil, 0
}

func BenchmarkFindRefs1GB(b *testing.B) {
	h, g, t := bigTarget(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		refs, err := g.FindRefs(h, t, 4, false)
		if err != nil || len(refs) != 3 {
			b.Fatalf("%v %v", refs, err)
		}
	}
}

func BenchmarkRootPaths1GB(b *testing.B) {
	h, g, t := bigTarget(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		paths, err := g.RootPaths(h, t, 3)
		if err != nil || len(paths) == 0 {
			b.Fatalf("%v %v", paths, err)
		}
	}
}
