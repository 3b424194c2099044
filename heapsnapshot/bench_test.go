package heapsnapshot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// The benchmarks run on the 1 GB core of leakbig.js (see heap/bench_test.go),
// only with NDB_BENCH_BIG=1:
//
//	NDB_BENCH_BIG=1 go test ./heapsnapshot -run '^$' -bench . -benchtime 1x -cpu 2
func bigCore(b *testing.B) *testnode.Core {
	b.Helper()
	if os.Getenv("NDB_BENCH_BIG") == "" {
		b.Skip("set NDB_BENCH_BIG=1 to make and use the 1 GB core")
	}
	return testnode.MakeCore(b, "22.23.3", "leakbig.js", []string{"--max-old-space-size=4096"}, nil)
}

// BenchmarkCommand1GB runs the whole `ndb heapsnapshot` command and reports
// its wall time, CPU time and peak RSS.
func BenchmarkCommand1GB(b *testing.B) {
	c := bigCore(b)
	dir := b.TempDir()
	ndb := filepath.Join(dir, "ndb")
	root, err := testnode.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	build := exec.Command("go", "build", "-o", ndb, "./cmd/ndb")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, "big.heapsnapshot")
		os.Remove(out)
		cmd := exec.Command(ndb, "heapsnapshot", c.Path, c.Exe, "-o", out)
		start := time.Now()
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("ndb heapsnapshot: %v\n%s", err, msg)
		}
		wall := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		st, err := os.Stat(out)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric((cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds(), "cpu-s")
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MiB")
		b.ReportMetric(float64(st.Size())/(1<<20), "file-MiB")
	}
}

// BenchmarkFromGraph1GB is the writing alone, census and graph built, for
// profiles (-cpuprofile).
func BenchmarkFromGraph1GB(b *testing.B) {
	c := bigCore(b)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	meta, err := layout.Load(p)
	if err != nil {
		b.Fatal(err)
	}
	h, err := object.NewHeap(p, meta)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cen, err := heap.Build(ctx, h, heap.Options{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := heap.BuildGraph(ctx, cen, 0)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w, err := NewWriter(dir)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := FromGraph(ctx, g, w, Options{}); err != nil {
			b.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "big.heapsnapshot"))
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Finish(f, nil); err != nil {
			b.Fatal(err)
		}
		f.Close()
		w.Close()
	}
}
