package v8layout

import (
	"fmt"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Value is a tagged V8 word: a Smi or a pointer to a heap object. Node's
// x86-64 builds use neither pointer compression nor the sandbox, so a
// pointer is a full 64-bit address with tag bits (HeapObjectTag).
type Value uint64

// Heap reads V8 objects out of a process with the layout of its metadata.
type Heap struct {
	P *elfcore.Process
	M *Metadata

	smiShift uint   // SmiShiftSize + SmiTagSize: 32 on x86-64
	tagMask  uint64 // HeapObjectTagMask
	heapTag  uint64 // HeapObjectTag
	mapOff   uint64 // HeapObject::map
	typeOff  uint64 // Map::instance_type
}

// NewHeap prepares object reading; it fails only when the tagging
// constants themselves are missing.
func NewHeap(p *elfcore.Process, m *Metadata) (*Heap, error) {
	if err := m.Require("const:SmiShiftSize", "const:HeapObjectTag", "const:HeapObjectTagMask", "HeapObject.map", "Map.instance_type"); err != nil {
		return nil, err
	}
	if ts, ok := m.Const("TaggedSize"); ok && ts != 8 {
		return nil, fmt.Errorf("this node was built with pointer compression (TaggedSize %d): not supported", ts)
	}
	shift, _ := m.Const("SmiShiftSize")
	tagSize, ok := m.Const("SmiValueShift")
	if !ok {
		tagSize = 1
	}
	tag, _ := m.Const("HeapObjectTag")
	mask, _ := m.Const("HeapObjectTagMask")
	mapOff, _ := m.Field("HeapObject", "map")
	typeOff, _ := m.Field("Map", "instance_type")
	return &Heap{P: p, M: m, smiShift: uint(shift + tagSize), tagMask: uint64(mask), heapTag: uint64(tag),
		mapOff: uint64(mapOff), typeOff: uint64(typeOff)}, nil
}

// IsSmi reports whether v is a small integer.
func (h *Heap) IsSmi(v Value) bool { return uint64(v)&1 == 0 }

// SmiValue decodes a Smi.
func (h *Heap) SmiValue(v Value) int64 { return int64(v) >> h.smiShift }

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
	w, err := h.P.ReadU64(h.Untag(v) + uint64(off))
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
	t, err := h.P.ReadU16(h.Untag(m) + h.typeOff)
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
