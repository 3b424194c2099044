package bundle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

// benchCore is $NDB_BENCH_CORE (with $NDB_BENCH_EXE), else the crash core
// of Node 22.
func benchCore(b *testing.B) (core, exe string) {
	if c := os.Getenv("NDB_BENCH_CORE"); c != "" {
		return c, os.Getenv("NDB_BENCH_EXE")
	}
	c := testnode.MakeCore(b, "22.23.3", "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
	return c.Path, c.Exe
}

func coreSize(b *testing.B, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkPack: MB/s of core (apparent size) packed.
func BenchmarkPack(b *testing.B) {
	core, exe := benchCore(b)
	b.SetBytes(coreSize(b, core))
	out := filepath.Join(b.TempDir(), "b.ndb")
	for i := 0; i < b.N; i++ {
		if _, err := bundle.Pack(out, core, bundle.PackOptions{Exe: exe, Overwrite: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func packed(b *testing.B) (string, int64) {
	core, exe := benchCore(b)
	out := filepath.Join(b.TempDir(), "b.ndb")
	if _, err := bundle.Pack(out, core, bundle.PackOptions{Exe: exe}); err != nil {
		b.Fatal(err)
	}
	return out, coreSize(b, core)
}

// BenchmarkOpenCold: first open, decoding the memory image (MB/s of core).
func BenchmarkOpenCold(b *testing.B) {
	out, size := packed(b)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		b.Setenv("NDB_BUNDLE_CACHE", b.TempDir())
		b.StartTimer()
		p, err := bundle.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkOpenWarm: later opens, mapping the cached image.
func BenchmarkOpenWarm(b *testing.B) {
	out, size := packed(b)
	b.Setenv("NDB_BUNDLE_CACHE", b.TempDir())
	p, err := bundle.Open(out)
	if err != nil {
		b.Fatal(err)
	}
	p.Close()
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := bundle.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}
