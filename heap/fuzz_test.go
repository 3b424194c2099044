package heap

import (
	"encoding/binary"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
)

// synthPages builds a process of one anonymous segment at start declaring
// memsz bytes and fileSize in the file, holding chunks 256 KiB chunks
// (at most 8) whose first bytes are hdr; a V8 page header names its area
// by two words at offset 8 (area start, area end).
func synthPages(start, memsz, fileSize uint64, chunks uint8, hdr []byte) *elfcore.Process {
	p := elfcore.NewProcess(nil)
	lead := (chunkSize - start&chunkMask) & chunkMask // bytes before the first chunk
	n := uint64(chunks % 9)
	data := make([]byte, lead+n*chunkSize)
	for i := uint64(0); i < n; i++ {
		copy(data[lead+i*chunkSize:], hdr[:min(len(hdr), 128)])
	}
	held := min(uint64(len(data)), memsz, fileSize)
	p.Segments = []elfcore.Segment{{Start: start, End: start + memsz, Flags: 6, FileSize: fileSize, Data: data[:held]}}
	if start+memsz < start {
		p.Segments[0].End = ^uint64(0)
	}
	return p
}

func pageHeader(c uint64) []byte {
	h := make([]byte, 128)
	binary.LittleEndian.PutUint64(h[8:], c+0x128)
	binary.LittleEndian.PutUint64(h[16:], c+chunkSize)
	return h
}

// FuzzPageCandidates: the first step of the page walk, over synthetic
// pages: which 256 KiB chunks of the anonymous segments may be pages, and
// their areas. Whatever the segment declares (issue 15: p_memsz of 2^63, a
// start near 2^64, p_filesz beyond the file), the walk ends, looks only at
// chunks whose header bytes the segment holds, and adds at most one skip
// record per chunk held and one for what the file lacks.
func FuzzPageCandidates(f *testing.F) {
	const base = 0x3f0000000000
	f.Add(uint64(base), uint64(2*chunkSize), uint64(2*chunkSize), uint8(2), pageHeader(base))
	f.Add(uint64(base), uint64(1)<<63, uint64(2*chunkSize), uint8(2), pageHeader(base))       // fault 2
	f.Add(uint64(base), uint64(1)<<62, uint64(1)<<62, uint8(2), pageHeader(base))             // fault 5
	f.Add(uint64(1<<64-chunkSize+0x1000), uint64(0x1000), uint64(0x1000), uint8(1), []byte{}) // fault 3
	f.Add(uint64(1<<64-2*chunkSize), uint64(2*chunkSize-1), uint64(2*chunkSize-1), uint8(2), pageHeader(1<<64-2*chunkSize))
	f.Fuzz(func(t *testing.T, start, memsz, fileSize uint64, chunks uint8, hdr []byte) {
		p := synthPages(start, memsz, fileSize, chunks, hdr)
		s := &p.Segments[0]
		w := &walker{p: p}
		cands, _ := w.candidates()
		held := uint64(len(s.Data))
		for _, cd := range cands {
			if cd.c&chunkMask != 0 || cd.c < s.Start || cd.c-s.Start+128 > held {
				t.Fatalf("candidate chunk %#x outside the %d bytes held at %#x", cd.c, held, s.Start)
			}
		}
		if max := held/chunkSize + 1; uint64(len(cands)) > max || uint64(len(w.skipped)) > max+1 {
			t.Fatalf("%d candidates and %d skips for %d bytes held", len(cands), len(w.skipped), held)
		}
		for _, cd := range cands {
			areaFromWords(cd.c, hdr)
			areaFromRecord(cd.c, hdr)
		}
	})
}
