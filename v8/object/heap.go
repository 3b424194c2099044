package object

import (
	"fmt"
	"math"
	"sync"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/layout"
)

// Value is a tagged V8 word: a Smi or a pointer to a heap object. Node's
// x86-64 builds use neither pointer compression nor the sandbox, so a
// pointer is a full 64-bit address with tag bits (HeapObjectTag).
type Value uint64

// Heap reads V8 objects out of a process with the layout of its metadata.
// It holds the caches of what it has read (one Heap per core).
type Heap struct {
	Proc   *elfcore.Process
	Layout *layout.Layout

	smiShift uint   // SmiShiftSize + SmiTagSize: 32 on x86-64
	tagMask  uint64 // HeapObjectTagMask
	heapTag  uint64 // HeapObjectTag
	mapOff   uint64 // HeapObject::map
	typeOff  uint64 // Map::instance_type

	lineEnds   sync.Map // Script address → []int
	ctorNames  sync.Map // map address → constructor name
	protoNames sync.Map // prototype address → protoName (SnapshotName)
	keyNames   sync.Map // property key address → keyName (a core does not change)
}

// NewHeap prepares object reading; it fails only when the tagging
// constants themselves are missing.
func NewHeap(p *elfcore.Process, m *layout.Metadata) (*Heap, error) {
	l := layout.New(m)
	t := l.Tagging
	if t.Err != nil {
		return nil, t.Err
	}
	return &Heap{Proc: p, Layout: l, smiShift: t.SmiShift, tagMask: t.TagMask, heapTag: t.HeapTag,
		mapOff: uint64(l.HeapObject.Map), typeOff: uint64(l.Map.InstanceType)}, nil
}

// Meta is the postmortem metadata the layout was read from.
func (h *Heap) Meta() *layout.Metadata { return h.Layout.Meta }

// IsSmi reports whether v is a small integer.
func (h *Heap) IsSmi(v Value) bool { return uint64(v)&1 == 0 }

// SmiValue decodes a Smi.
func (h *Heap) SmiValue(v Value) int64 { return int64(v) >> h.smiShift }

// Smi makes the Smi word of n, for values ndb computes (an array's
// length); ok is false when n is outside the Smi range.
func (h *Heap) Smi(n int64) (v Value, ok bool) {
	// 32-bit Smis above a 32-bit shift (x86-64), 31-bit ones with pointer
	// compression.
	lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
	if h.smiShift < 32 {
		lo, hi = lo/2, hi/2
	}
	if n < lo || n > hi {
		return 0, false
	}
	return Value(uint64(n) << h.smiShift), true
}

// IsHeapObject reports whether v is a strong pointer to a heap object.
func (h *Heap) IsHeapObject(v Value) bool { return uint64(v)&h.tagMask == h.heapTag }

// IsWeak reports whether v is a weak reference (low bits 11).
func (h *Heap) IsWeak(v Value) bool { return uint64(v)&3 == 3 }

// Untag returns the address of the object a tagged pointer points to.
func (h *Heap) Untag(v Value) uint64 { return uint64(v) &^ h.tagMask }

// Tag makes a tagged pointer from an object address.
func (h *Heap) Tag(addr uint64) Value { return Value(addr&^h.tagMask | h.heapTag) }

// Word reads the tagged field at byte offset off of object v.
func (h *Heap) Word(v Value, off int64) (Value, error) {
	w, err := h.Proc.ReadU64(h.Untag(v) + uint64(off))
	return Value(w), err
}

// Map returns the map of heap object v.
func (h *Heap) Map(v Value) (Value, error) {
	if !h.IsHeapObject(v) {
		return 0, fmt.Errorf("%#x is not a heap object pointer", uint64(v))
	}
	m, err := h.Word(v, int64(h.mapOff))
	if err != nil {
		return 0, err
	}
	if !h.IsHeapObject(m) {
		return 0, fmt.Errorf("%#x has no valid map (map word %#x)", uint64(v), uint64(m))
	}
	return m, nil
}

// MapInstanceType reads a map's instance type.
func (h *Heap) MapInstanceType(m Value) (int, error) {
	t, err := h.Proc.ReadU16(h.Untag(m) + h.typeOff)
	return int(t), err
}

// InstanceType returns the instance type of heap object v.
func (h *Heap) InstanceType(v Value) (int, error) {
	m, err := h.Map(v)
	if err != nil {
		return 0, err
	}
	return h.MapInstanceType(m)
}

// need returns an error naming the first unknown offset among the given
// (name, value) pairs.
func need(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		switch v := pairs[i+1].(type) {
		case int64:
			if v < 0 {
				return fmt.Errorf("V8 metadata lacks %s", pairs[i])
			}
		case int:
			if v < 0 {
				return fmt.Errorf("V8 metadata lacks %s", pairs[i])
			}
		}
	}
	return nil
}
