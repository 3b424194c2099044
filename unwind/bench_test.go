package unwind_test

import (
	"debug/elf"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/unwind"
	"github.com/ndb-debugger/ndb/unwind/cfi"
)

// BenchmarkThreads unwinds every thread of a core once the tables are
// loaded (the budget: 50 ms): an abort, and a stack overflow
// (thousands of frames).
func BenchmarkThreads(b *testing.B) {
	b.Run("abort", func(b *testing.B) { benchThreads(b, testnode.MakeCore(b, "22.23.3", "abort.js", nil, nil)) })
	b.Run("stack_overflow", func(b *testing.B) {
		benchThreads(b, testnode.MakeCore(b, "22.23.3", "stack_overflow.js", []string{"--abort-on-uncaught-exception"}, nil))
	})
}

func benchThreads(b *testing.B, c *testnode.Core) {
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	u := unwind.New(p)
	frames := 0
	for _, th := range p.Threads {
		f, _ := u.Thread(th)
		frames += len(f)
	}
	b.ReportMetric(float64(frames), "frames")
	b.ResetTimer()
	for b.Loop() {
		for _, th := range p.Threads {
			u.Thread(th)
		}
	}
}

// BenchmarkFirstWalk is the same from a new unwinder: it includes loading
// the tables of every module the stacks touch.
func BenchmarkFirstWalk(b *testing.B) {
	c := testnode.MakeCore(b, "22.23.3", "abort.js", nil, nil)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for b.Loop() {
		u := unwind.New(p)
		for _, th := range p.Threads {
			u.Thread(th)
		}
	}
}

// BenchmarkNodeFDEs looks up the FDE and computes the row of every FDE of
// node's .eh_frame, through .eh_frame_hdr (per FDE), and by scanning the
// section once without it (what a reader without the search table, like
// delve's, pays up front).
func BenchmarkNodeFDEs(b *testing.B) {
	f, err := elf.Open(testnode.Binary(b, "22.23.3"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	eh, _ := f.Section(".eh_frame").Data()
	hdr, _ := f.Section(".eh_frame_hdr").Data()
	ehAddr, hdrAddr := f.Section(".eh_frame").Addr, f.Section(".eh_frame_hdr").Addr
	var pcs []uint64
	t := cfi.NewEHFrame(eh, ehAddr, nil, 0)
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			cfi.NewEHFrame(eh, ehAddr, nil, 0).FDE(0)
		}
	})
	for _, s := range f.Sections {
		if s.Name == ".text" {
			for pc := s.Addr; pc < s.Addr+s.Size; pc += 4096 {
				if fde, err := t.FDE(pc); err == nil {
					pcs = append(pcs, fde.Begin+(fde.End-fde.Begin)/2)
				}
			}
		}
	}
	b.Run("hdr-lookup-and-row", func(b *testing.B) {
		t := cfi.NewEHFrame(eh, ehAddr, hdr, hdrAddr)
		i := 0
		for b.Loop() {
			pc := pcs[i%len(pcs)]
			i++
			fde, err := t.FDE(pc)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := fde.Row(pc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
