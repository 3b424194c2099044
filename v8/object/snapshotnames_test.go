package object_test

import (
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/v8/object"
)

// synthBase is where the synthetic heap lies.
const synthBase = 0x10000000

// synthHeap builds objects in synthetic memory with the layout of a real
// core's metadata (Node 20): a meta map at synthBase, then what the test
// writes with put.
type synthHeap struct {
	mem []byte
	h   *object.Heap // reads the real layout's offsets
}

func newSynthHeap(real *object.Heap, size int) *synthHeap {
	s := &synthHeap{mem: make([]byte, size), h: real}
	// The meta map: a map whose map is itself, of MAP_TYPE.
	s.putMap(synthBase, synthBase, real.Layout.Types.Map, 0, 0)
	return s
}

func (s *synthHeap) word(addr, v uint64) {
	if off := addr - synthBase; off+8 <= uint64(len(s.mem)) {
		binary.LittleEndian.PutUint64(s.mem[off:], v)
	}
}

// putMap writes a map at addr: its map, instance type, bit fields (zero:
// not new_target_is_base, not a prototype map, fast, no descriptors), its
// prototype (tagged) and constructor slot (a Smi).
func (s *synthHeap) putMap(addr, meta uint64, typ int, proto uint64, ctor uint64) {
	l := s.h.Layout
	s.word(addr, meta|1)
	off := addr - synthBase + uint64(l.Map.InstanceType)
	binary.LittleEndian.PutUint16(s.mem[off:], uint16(typ))
	s.mem[addr-synthBase+uint64(l.Map.InstanceSizeInWords)] = 3
	s.word(addr+uint64(l.Map.Prototype), proto)
	s.word(addr+uint64(l.Map.ConstructorOrBackPointer), ctor)
}

// putObject writes a JS object at addr whose map (at mapAddr) has the
// prototype proto (tagged; 0 for a Smi, which ends the chain).
func (s *synthHeap) putObject(addr, mapAddr, proto uint64) {
	s.putMap(mapAddr, synthBase, s.h.Layout.Types.JSObject, proto, 0)
	s.word(addr, mapAddr|1)
	s.word(addr+8, 0) // properties_or_hash: a Smi
	s.word(addr+16, 0)
}

// heap opens the synthetic memory as a process.
func (s *synthHeap) heap(t testing.TB) *object.Heap {
	p := elfcore.NewProcess(nil)
	p.Segments = []elfcore.Segment{{Start: synthBase, End: synthBase + uint64(len(s.mem)), Flags: elf.PF_R | elf.PF_W,
		Data: s.mem, FileSize: uint64(len(s.mem))}}
	h, err := object.NewHeap(p, s.h.Meta())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Objects 0x100 apart, their maps 0x80 after them.
func objAt(i int) uint64 { return synthBase + 0x1000 + uint64(i)*0x100 }

// TestSnapshotNameChains: synthetic prototype chains that end (null-like:
// a Smi), loop, run longer than MaxProtoChain, or leave the core.
func TestSnapshotNameChains(t *testing.T) {
	cases := []struct {
		what string
		n    int                // objects 0..n-1, each the prototype of the one before
		last func(n int) uint64 // the prototype of the last one
		want string
	}{
		{"a chain of 3 that ends", 3, func(int) uint64 { return 0 }, "Object"},
		{"a chain that loops to its second object", 5, func(int) uint64 { return objAt(1) | 1 }, object.BadChainName},
		{"an object that is its own prototype", 1, func(int) uint64 { return objAt(0) | 1 }, object.BadChainName},
		{"a chain longer than MaxProtoChain", object.MaxProtoChain + 10, func(int) uint64 { return 0 }, object.BadChainName},
		{"a prototype outside the core", 2, func(int) uint64 { return 0x7fff00000001 }, object.BadChainName},
		{"a prototype inside the core that is no object", 2, func(int) uint64 { return synthBase + 0x900 + 1 }, object.BadChainName},
	}
	real := testcores.Open(t, "leak-20.20.2")
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			s := newSynthHeap(real, 0x1000+(tc.n+1)*0x100)
			for i := 0; i < tc.n; i++ {
				proto := objAt(i+1) | 1
				if i == tc.n-1 {
					proto = tc.last(tc.n)
				}
				s.putObject(objAt(i), objAt(i)+0x80, proto)
			}
			h := s.heap(t)
			if got := h.SnapshotName(object.Value(objAt(0) | 1)); got != tc.want {
				t.Errorf("SnapshotName = %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzSnapshotName: any bytes after a meta map, read as an object and its
// prototype chain, give a name without a panic or a hang.
func FuzzSnapshotName(f *testing.F) {
	real := testcores.Open(f, "leak-20.20.2")
	s := newSynthHeap(real, 0x1800)
	for i := 0; i < 4; i++ {
		s.putObject(objAt(i), objAt(i)+0x80, objAt((i+1)%4)|1)
	}
	f.Add(s.mem[0x1000:0x1400])
	f.Add(make([]byte, 0x400))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 0x4000 {
			b = b[:0x4000]
		}
		s := newSynthHeap(real, 0x1000+len(b))
		copy(s.mem[0x1000:], b)
		h := s.heap(t)
		for off := 0; off+24 <= len(b) && off < 0x400; off += 0x100 {
			if h.SnapshotName(object.Value(synthBase+0x1000+uint64(off))|1) == "" {
				t.Fatal("empty name")
			}
		}
	})
}
