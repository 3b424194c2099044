package livecore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// waitInsteadOfAbort makes leakbig.js wait at a SNAP line where it would abort, so that its
// 1 GB heap can be snapshotted live.
const waitInsteadOfAbort = `process.abort = () => {
  const fs = require('fs');
  fs.writeSync(1, 'SNAP ready\n');
  const b = Buffer.alloc(1);
  for (;;) {
    try { if (fs.readSync(0, b, 0, 1, null) === 0) break; } catch (e) { if (e.code !== 'EAGAIN') throw e; }
  }
  process.exit(0);
};
`

// BenchmarkSnapshotLeakbig compares ndb's snapshot with gdb's gcore on one live process with a
// ~1 GB JavaScript heap (leakbig.js). Building the heap takes about a minute. Run with
//
//	go test ./livecore -run '^$' -bench SnapshotLeakbig -benchtime 1x
func BenchmarkSnapshotLeakbig(b *testing.B) {
	dir := b.TempDir()
	preload := filepath.Join(dir, "wait.js")
	if err := os.WriteFile(preload, []byte(waitInsteadOfAbort), 0o644); err != nil {
		b.Fatal(err)
	}
	l := testnode.StartLive(b, "22.23.3", "leakbig.js", []string{"--max-old-space-size=4096", "-r", preload}, nil)
	b.Logf("%s", l.Stdout())
	var ours *Result
	for b.Loop() {
		path := filepath.Join(dir, "ndb.core")
		r, err := Snapshot(context.Background(), l.Pid, path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		ours = r
		os.Remove(path)
	}
	b.Logf("method: %s; %.2f GB pre-copied and unchanged", ours.Method, float64(ours.Reused)/(1<<30))
	b.ReportMetric(ours.Prepare.Seconds(), "prepare-s")
	b.ReportMetric(ours.Paused.Seconds(), "pause-s")
	b.ReportMetric(ours.Total.Seconds(), "total-s")
	b.ReportMetric(float64(ours.Memory)/(1<<30), "memory-GB")
	b.ReportMetric(float64(ours.Reused)/(1<<30), "reused-GB")
	b.ReportMetric(float64(ours.Size)/(1<<30), "core-GB")

	if ours.Method != MethodPreCopy {
		// No soft-dirty bits on this kernel: run the pre-copy with every page present taken as
		// unwritten since, which the idle process (blocked reading stdin) about makes true. Its
		// pause is the stop, the bookkeeping and the registers: what a kernel with soft-dirty
		// bits gives when the process writes little. Not a consistent core in general.
		staleOverride = func(e uint64) bool { return e&(pmPresent|pmExclusive) != pmPresent|pmExclusive }
		path := filepath.Join(dir, "estimate.core")
		r, err := Snapshot(context.Background(), l.Pid, path, Options{})
		staleOverride = nil
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(path)
		b.ReportMetric(r.Paused.Seconds(), "precopy-est-pause-s")
		b.ReportMetric(r.Total.Seconds(), "precopy-est-total-s")
		fmt.Printf("ndb pre-copy, no page taken as written (estimate): prepared %.2f s, paused %.2f s, total %.2f s\n",
			r.Prepare.Seconds(), r.Paused.Seconds(), r.Total.Seconds())
	}

	gcore, err := exec.LookPath("gcore")
	if err != nil {
		b.Logf("no gcore to compare with")
		return
	}
	start := time.Now()
	prefix := filepath.Join(dir, "gdb")
	out, err := exec.Command(gcore, "-o", prefix, fmt.Sprint(l.Pid)).CombinedOutput()
	gdbTime := time.Since(start)
	if err != nil {
		b.Fatalf("gcore: %v: %s", err, out)
	}
	var st syscall.Stat_t
	syscall.Stat(fmt.Sprintf("%s.%d", prefix, l.Pid), &st)
	os.Remove(fmt.Sprintf("%s.%d", prefix, l.Pid))
	// gdb stops the process from attach to detach: its pause is its whole run.
	b.ReportMetric(gdbTime.Seconds(), "gdb-pause-s")
	b.ReportMetric(float64(st.Size)/(1<<30), "gdb-core-GB")
	fmt.Printf("ndb (%s): prepared %.2f s, paused %.2f s, total %.2f s, %.2f GB of memory in a %.2f GB core; gdb gcore: paused %.2f s (its whole run), %.2f GB core\n",
		ours.Method, ours.Prepare.Seconds(), ours.Paused.Seconds(), ours.Total.Seconds(), float64(ours.Memory)/(1<<30), float64(ours.Size)/(1<<30),
		gdbTime.Seconds(), float64(st.Size)/(1<<30))
	if _, err := l.Finish(); err != nil {
		b.Errorf("leakbig.js failed after the snapshots: %v", err)
	}
}
