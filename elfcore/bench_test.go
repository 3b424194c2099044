package elfcore_test

import (
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

// BenchmarkOpen opens a ~50 MB kernel core with its ~100 MB node binary:
// notes, segments, build-id check, postmortem constants and versions.
func BenchmarkOpen(b *testing.B) {
	c := testnode.MakeCore(b, "20.20.2", "abort.js", nil, nil)
	for b.Loop() {
		p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
		if err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// BenchmarkReadU64Sequential reads every dumped word of the core one
// ReadU64 at a time, as a heap walk does; b.SetBytes makes go test report
// the rate.
func BenchmarkReadU64Sequential(b *testing.B) {
	c := testnode.MakeCore(b, "20.20.2", "abort.js", nil, nil)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var total int64
	for _, s := range p.Segments {
		total += int64(len(s.Data)) &^ 7
	}
	b.SetBytes(total)
	var sink uint64
	for b.Loop() {
		for _, s := range p.Segments {
			end := s.Start + uint64(len(s.Data))&^7
			for a := s.Start; a < end; a += 8 {
				w, err := p.ReadU64(a)
				if err != nil {
					b.Fatal(err)
				}
				sink += w
			}
		}
	}
	_ = sink
}

// BenchmarkSliceSequential reads the core in 64 KiB slices (zero-copy into
// the mapped core), as bulk scans do.
func BenchmarkSliceSequential(b *testing.B) {
	c := testnode.MakeCore(b, "20.20.2", "abort.js", nil, nil)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var total int64
	for _, s := range p.Segments {
		total += int64(len(s.Data))
	}
	b.SetBytes(total)
	var sink byte
	for b.Loop() {
		for _, s := range p.Segments {
			end := s.Start + uint64(len(s.Data))
			for a := s.Start; a < end; a += 64 << 10 {
				buf, err := p.Slice(a, min(64<<10, end-a))
				if err != nil {
					b.Fatal(err)
				}
				for i := 0; i < len(buf); i += 4096 {
					sink += buf[i]
				}
			}
		}
	}
	_ = sink
}
