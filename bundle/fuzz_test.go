package bundle

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/ndb-debugger/ndb/elfcore"
)

// tinyBundle is a small valid bundle: one segment of two pages stored in
// one chunk frame, a module with a symbol table, one thread. It is the
// seed the fuzzers mutate (the example bundles are megabytes).
func tinyBundle(t testing.TB) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	body := header{version: Version}.encode()
	add := func(b []byte) frameRef {
		c := enc.EncodeAll(b, nil)
		r := frameRef{Offset: uint64(len(body)), Length: uint64(len(c))}
		body = append(body, c...)
		return r
	}
	const segLen = 2 * pageSize
	raw := make([]byte, chunkHeader+1, chunkHeader+1+segLen)
	binary.LittleEndian.PutUint64(raw, 0)
	binary.LittleEndian.PutUint32(raw[8:], segLen)
	raw[chunkHeader] = 0b11
	for i := 0; i < segLen; i++ {
		raw = append(raw, byte(i))
	}
	ix := &index{Format: Version, ExeModule: 0, PageSize: pageSize, MemSize: segLen,
		Threads:  []thread{{TID: 1, Signal: 6, Regs: make([]uint64, len(elfcore.RegisterNames))}},
		Files:    []fileMapping{{Start: 0x400000, End: 0x401000, Path: "/bin/x"}},
		Segments: []segment{{Start: 0x10000, End: 0x10000 + segLen, Flags: 6, FileSize: segLen, DataLen: segLen}},
		Chunks:   []frameRef{add(raw)},
	}
	syms := add(encodeSymbols([]elfcore.Symbol{{Addr: 0x400100, Size: 16, Name: "main"}, {Addr: 0x400200, Name: "f"}}))
	ix.Modules = []module{{Paths: []string{"/bin/x"}, Loads: []loadSegment{{Vaddr: 0x400000, Filesz: 0x1000, Memsz: 0x1000}},
		Symbols: &syms}}
	js, err := json.Marshal(ix)
	if err != nil {
		t.Fatal(err)
	}
	ir := add(js)
	return sealed(append(body, make([]byte, trailerSize)...), ir)
}

// sealed sets the size, the index reference (when given) and the checksum
// of a bundle, so that a mutation reaches the checks past them.
func sealed(b []byte, ir frameRef) []byte {
	if len(b) < headerSize+trailerSize {
		return b
	}
	le := binary.LittleEndian
	le.PutUint64(b[16:], uint64(len(b)))
	tr := b[len(b)-trailerSize:]
	if ir.Length != 0 {
		le.PutUint64(tr, ir.Offset)
		le.PutUint64(tr[8:], ir.Length)
	}
	sum := sha256.Sum256(b[headerSize : len(b)-trailerSize])
	copy(tr[16:], sum[:])
	return b
}

// FuzzOpen: the header, trailer, index and chunk frames of a bundle. The
// checksum is made right, so mutations reach the index and the frames.
// Whatever the bytes, Open ends without panicking, and a bundle it opens
// answers reads and symbol lookups.
func FuzzOpen(f *testing.F) {
	f.Add(tinyBundle(f))
	f.Add(tinyBundle(f)[:100])
	dir := f.TempDir()
	f.Setenv("NDB_BUNDLE_CACHE", filepath.Join(dir, "cache"))
	path := filepath.Join(dir, "fuzz.ndb")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, sealed(b, frameRef{}), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := Open(path)
		if err != nil {
			return
		}
		defer p.Close()
		for _, s := range p.Segments {
			if len(s.Data) > 0 {
				p.ReadU64(s.Start)
			}
		}
		if p.Exe != nil {
			p.Exe.Symbols()
			p.Exe.LookupAddr(0x400100)
		}
		for _, fm := range p.Files {
			p.Symbolize(fm.Start)
		}
	})
}

// FuzzChunk: a decoded chunk frame (image offset, length, page mask,
// pages) written into the image.
func FuzzChunk(f *testing.F) {
	raw := make([]byte, chunkHeader+1)
	binary.LittleEndian.PutUint32(raw[8:], 2*pageSize)
	raw[chunkHeader] = 0b10
	f.Add(append(raw, make([]byte, pageSize)...), uint64(2*pageSize))
	f.Add(raw[:chunkHeader], uint64(1<<40))
	out, err := os.CreateTemp(f.TempDir(), "image")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, d []byte, memSize uint64) {
		memSize %= 1 << 24
		if err := writeChunk(out, d, memSize); err != nil {
			return
		}
		if fi, err := out.Stat(); err != nil || uint64(fi.Size()) > max(memSize, 1<<24) {
			t.Fatalf("image grew to %d bytes, mem_size %d", fi.Size(), memSize)
		}
	})
}

// FuzzSymbols: a decoded symbol table.
func FuzzSymbols(f *testing.F) {
	f.Add(encodeSymbols([]elfcore.Symbol{{Addr: 0x400100, Size: 16, Name: "main"}, {Addr: 0x400200, Name: "f"}}))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, d []byte) {
		syms, err := decodeSymbols(d)
		if err == nil && len(syms)*4 > len(d) {
			t.Fatalf("%d symbols from %d bytes", len(syms), len(d))
		}
	})
}

// The fuzzers' seed is a bundle that opens: mutations start from one.
func TestTinyBundle(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	path := filepath.Join(t.TempDir(), "tiny.ndb")
	if err := os.WriteFile(path, tinyBundle(t), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.ReadU64(0x10008); err != nil || v != 0x0f0e0d0c0b0a0908 {
		t.Errorf("word at 0x10008: %#x, %v", v, err)
	}
	if s, ok := p.Exe.LookupAddr(0x400104); !ok || s.Name != "main" {
		t.Errorf("symbol at 0x400104: %+v %v", s, ok)
	}
}
