package flame

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
)

// bigPerfScript writes (once per test binary) a ~500 MB perf script made of
// copies of the shared recording, each with its own pid, so that --pid folds
// see distinct processes. Set NDB_FLAME_BENCH_MB to change the size.
func bigPerfScript(b *testing.B) string {
	bigOnce.Do(func() {
		in := readTestdata(b, "perf-script.txt.zst")
		mb := 500
		if s := os.Getenv("NDB_FLAME_BENCH_MB"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				mb = n
			}
		}
		dir, err := os.MkdirTemp("", "ndb-flame-bench")
		if err != nil {
			bigErr = err
			return
		}
		bigPath = filepath.Join(dir, "perf-script.txt")
		f, err := os.Create(bigPath)
		if err != nil {
			bigErr = err
			return
		}
		w := bufio.NewWriterSize(f, 1<<20)
		old := []byte("node 10178 ")
		written := 0
		for i := 0; written < mb<<20; i++ {
			repl := []byte("node " + strconv.Itoa(20000+i) + " ")
			out := bytes.ReplaceAll(in, old, repl)
			w.Write(out)
			written += len(out)
		}
		if err := w.Flush(); err != nil {
			bigErr = err
		}
		if err := f.Close(); err != nil {
			bigErr = err
		}
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigPath
}

// BenchmarkFold500MB folds a ~500 MB perf script from a file, streaming.
// Run: go test ./flame -run '^$' -bench Fold500MB -benchtime 3x
func BenchmarkFold500MB(b *testing.B) {
	path := bigPerfScript(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Fold(f, FoldOptions{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Stacks) != 818 {
			b.Fatalf("%d stacks, want 818", len(res.Stacks))
		}
		WriteFolded(io.Discard, res.Stacks)
	}
	b.StopTimer()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxRSS-MB")
	}
}

// BenchmarkFoldRecording folds the 9.9 MB shared recording from memory.
func BenchmarkFoldRecording(b *testing.B) {
	in := readTestdata(b, "perf-script.txt.zst")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Fold(bytes.NewReader(in), FoldOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCPUProfile decodes the shared .cpuprofile (82 KB) with the
// streaming decoder, and with encoding/json decoding the whole document,
// for comparison.
func BenchmarkCPUProfile(b *testing.B) {
	in := readTestdata(b, "app.cpuprofile.zst")
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if _, err := decodeCPUProfile(bytes.NewReader(in)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if _, err := refDecodeCPUProfile(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
