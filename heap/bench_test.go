package heap

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchCensus = nil // one census at a time: peakRSS is one census's
		c, err := Build(context.Background(), h, Options{})
		if err != nil {
			b.Fatal(err)
		}
		benchCensus = c
	}
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peakRSS(b), "peakRSS-MiB")
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

// cpuTime is the user and system CPU time of the process so far.
func cpuTime(b *testing.B) time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		b.Fatal(err)
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

// peakRSS is the process's peak resident set size in MiB (VmHWM).
func peakRSS(b *testing.B) float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(st), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// BenchmarkGraphDominators1GB: the reference graph and the dominator tree
// with every retained size, from a census made beforehand. Run it alone
// for a meaningful peak RSS (the process's, census included):
//
//	NDB_BENCH_BIG=1 go test ./heap -run '^$' -bench GraphDominators1GB -benchtime 1x -cpu 2
func BenchmarkGraphDominators1GB(b *testing.B) {
	h := bigHeap(b)
	c, err := Build(context.Background(), h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime(b)
	var g *Graph
	for i := 0; i < b.N; i++ {
		if g, err = BuildGraph(context.Background(), c, 0); err != nil {
			b.Fatal(err)
		}
		if _, err := g.Dominators(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n, m := float64(c.NumObjects()), float64(len(g.refs))
	// CPU time too: on a loaded machine the wall time says more about the
	// other processes.
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(peakRSS(b), "peakRSS-MiB")
	// The forward references the dominator search needs, rebuilt from the
	// reverse index for the search only, against keeping the per-page
	// forward lists of BuildGraph for the graph's lifetime.
	b.ReportMetric(4*(n+1+m)/(1<<20), "rebuiltFwd-MiB")
	b.ReportMetric((4*m+2*n)/(1<<20), "keptFwd-MiB")
}

// reportCPU adds the CPU time per operation since cpu0 (a loaded machine
// inflates the wall time).
func reportCPU(b *testing.B, cpu0 time.Duration) {
	b.ReportMetric(float64((cpuTime(b)-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// BenchmarkRetainedQueries1GB: queries once the dominator tree is built.
func BenchmarkRetainedQueries1GB(b *testing.B) {
	_, g, t := bigTarget(b)
	d, err := g.Dominators(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ti, _ := g.Index(t)
	holder, _ := g.Index(t)
	for _, h := range g.Holders(ti) {
		if g.Name(h) == "Object" {
			holder = h
		}
	}
	var target, items *Group
	for _, gr := range g.C.Groups {
		if gr.Kind == KindObject && gr.Constructor == "BigTarget" {
			target = gr
		}
		if gr.Kind == KindObject && gr.Constructor == "BigItem" && (items == nil || gr.Count > items.Count) {
			items = gr
		}
	}
	b.Run("Retained", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if r, ok := d.Retained(ti); !ok || r == 0 {
				b.Fatal(r, ok)
			}
		}
	})
	b.Run("Chain", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if len(d.Chain(ti)) == 0 {
				b.Fatal("no chain")
			}
		}
	})
	b.Run("Children", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for i := 0; i < b.N; i++ {
			d.Children(holder)
		}
		reportCPU(b, cpu0)
	})
	b.Run("Top10", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for i := 0; i < b.N; i++ {
			if len(d.Top(10, nil)) != 10 {
				b.Fatal("not 10")
			}
		}
		reportCPU(b, cpu0)
	})
	b.Run("GroupRetained", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for i := 0; i < b.N; i++ {
			d.GroupRetained(target)
		}
		reportCPU(b, cpu0)
	})
	b.Run("GroupsRetained", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for i := 0; i < b.N; i++ {
			if _, err := d.GroupsRetained(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0)
		b.ReportMetric(float64(len(g.C.Groups)), "groups")
	})
	b.Run("GroupRetainedBigItem", func(b *testing.B) {
		cpu0 := cpuTime(b)
		for i := 0; i < b.N; i++ {
			d.GroupRetained(items)
		}
		reportCPU(b, cpu0)
		b.ReportMetric(float64(items.Count), "objects")
	})
}

// BenchmarkDominators1GB: the dominator tree and retained sizes alone,
// from a graph made beforehand.
func BenchmarkDominators1GB(b *testing.B) {
	h := bigHeap(b)
	c, err := Build(context.Background(), h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := BuildGraph(context.Background(), c, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime(b)
	for i := 0; i < b.N; i++ {
		g.dom = nil
		if _, err := g.Dominators(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric((cpuTime(b)-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}
