package v8layout

import (
	"errors"
	"fmt"
	"math"
	"sync"
)

// Limits on what one object read enumerates, so that a corrupted length
// field never makes ndb allocate or loop without bound.
const (
	MaxProperties = 1 << 16 // named properties of one object
	MaxElements   = 1 << 24 // elements of one backing store
)

// TypeNameOf names an instance type ("JS_OBJECT_TYPE"), or "type N".
func (h *Heap) TypeNameOf(t int) string {
	if n := h.M.TypeName(t); n != "" {
		return n
	}
	m := h.model()
	switch {
	case t == m.tBigInt:
		return "BIGINT_TYPE"
	case t == m.tHole:
		return "HOLE_TYPE"
	case m.tFirstCtx >= 0 && t >= m.tFirstCtx && t <= m.tLastCtx:
		return "CONTEXT_TYPE"
	case m.tFirstFn >= 0 && t >= m.tFirstFn && t <= m.tLastFn:
		return "JS_FUNCTION_TYPE"
	}
	return fmt.Sprintf("type %d", t)
}

// Oddball identifies the oddballs and the hole.
type Oddball int

const (
	NotOddball Oddball = iota
	Undefined
	Null
	True
	False
	TheHole
	OtherOddball // uninitialized, arguments marker, exception, ...
)

func (o Oddball) String() string {
	return [...]string{"", "undefined", "null", "true", "false", "hole", "<oddball>"}[o]
}

// OddballOf tells which oddball v is, or NotOddball. The hole is a separate
// Hole object from V8 12 on; it is recognised by its instance type.
func (h *Heap) OddballOf(v Value) Oddball {
	if !h.IsHeapObject(v) {
		return NotOddball
	}
	t, err := h.InstanceType(v)
	if err != nil {
		return NotOddball
	}
	m := h.model()
	if t == m.tHole && m.tHole >= 0 {
		return TheHole
	}
	if t != m.tOddball || m.oddKind < 0 {
		return NotOddball
	}
	k, err := h.Word(v, m.oddKind)
	if err != nil || !h.IsSmi(k) {
		return OtherOddball
	}
	switch kind := h.SmiValue(k); kind {
	case m.oddUndefined:
		return Undefined
	case m.oddNull:
		return Null
	case m.oddTrue:
		return True
	case m.oddFalse:
		return False
	case m.oddHole:
		return TheHole
	}
	return OtherOddball
}

// Number returns the value of a Smi or HeapNumber.
func (h *Heap) Number(v Value) (float64, bool) {
	if h.IsSmi(v) {
		return float64(h.SmiValue(v)), true
	}
	t, err := h.InstanceType(v)
	if err != nil || t != h.model().tHeapNumber {
		return 0, false
	}
	bits, err := h.P.ReadU64(h.Untag(v) + uint64(h.model().numValue))
	if err != nil {
		return 0, false
	}
	return math.Float64frombits(bits), true
}

// MapInfo is the decoded part of a Map that printers need.
type MapInfo struct {
	Addr           Value
	InstanceType   int
	InstanceWords  int // instance size in words
	InObjectStart  int // first in-object property word
	ElementsKind   int
	Dictionary     bool // is_dictionary_map
	OwnDescriptors int
	Prototype      Value
	Constructor    Value // constructor_or_back_pointer as stored
}

// InObjectCount is the number of in-object property slots.
func (mi *MapInfo) InObjectCount() int {
	if mi.InObjectStart > mi.InstanceWords {
		return 0
	}
	return mi.InstanceWords - mi.InObjectStart
}

// ReadMap decodes map m.
func (h *Heap) ReadMap(m Value) (*MapInfo, error) {
	md := h.model()
	if err := need("Map.bit_field2", md.mapBitField2, "Map.bit_field3", md.mapBitField3, "Map.instance_size_in_words", md.mapInstanceSize,
		"Map.inobject_properties_start", md.mapInObjStart, "Map.prototype", md.mapPrototype, "Map.constructor_or_back_pointer", md.mapConstructor); err != nil {
		return nil, err
	}
	base := h.Untag(m)
	b, err := h.P.Slice(base, uint64(md.mapConstructor)+8)
	if err != nil {
		return nil, err
	}
	mi := &MapInfo{Addr: m}
	t, err := h.MapInstanceType(m)
	if err != nil {
		return nil, err
	}
	if md.tMap >= 0 {
		if mt, err := h.InstanceType(m); err != nil || mt != md.tMap {
			return nil, fmt.Errorf("%#x is not a Map (corrupted map word?)", uint64(m))
		}
	}
	mi.InstanceType = t
	mi.InstanceWords = int(b[md.mapInstanceSize])
	mi.InObjectStart = int(b[md.mapInObjStart])
	b2 := int64(b[md.mapBitField2])
	if md.ekMask > 0 {
		mi.ElementsKind = int((b2 & md.ekMask) >> md.ekShift)
	}
	b3 := int64(le32(b[md.mapBitField3:]))
	if md.dictShift >= 0 {
		mi.Dictionary = b3>>md.dictShift&1 == 1
	}
	if md.nodMask > 0 {
		mi.OwnDescriptors = int((b3 & md.nodMask) >> md.nodShift)
	}
	mi.Prototype = Value(le64(b[md.mapPrototype:]))
	mi.Constructor = Value(le64(b[md.mapConstructor:]))
	return mi, nil
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// MapOf reads and decodes the map of heap object v.
func (h *Heap) MapOf(v Value) (*MapInfo, error) {
	m, err := h.Map(v)
	if err != nil {
		return nil, err
	}
	return h.ReadMap(m)
}

// IsJSReceiverType reports whether t is a JavaScript object type (anything
// a property can be set on), including proxies and the global objects.
func (h *Heap) IsJSReceiverType(t int) bool {
	m := h.model()
	return t >= 1024 || t == m.tProxy || t == m.tGlobalObj || t == m.tGlobalProxy
}

// IsFunctionType reports whether t is one of the JSFunction types.
func (h *Heap) IsFunctionType(t int) bool {
	m := h.model()
	return m.tFirstFn >= 0 && t >= m.tFirstFn && t <= m.tLastFn
}

// ConstructorOf returns the constructor JSFunction of a JS object: its
// map's constructor_or_back_pointer, followed through the back pointers
// of transitioned maps to the root map. ok is false when the object has no
// function constructor (API objects without one, corrupted maps).
func (h *Heap) ConstructorOf(v Value) (fn Value, ok bool, err error) {
	mp, err := h.Map(v)
	if err != nil {
		return 0, false, err
	}
	md := h.model()
	if err := need("Map.constructor_or_back_pointer", md.mapConstructor); err != nil {
		return 0, false, err
	}
	cur := mp
	for i := 0; i < 1000; i++ {
		c, err := h.Word(cur, md.mapConstructor)
		if err != nil {
			return 0, false, err
		}
		if !h.IsHeapObject(c) {
			return 0, false, nil
		}
		t, err := h.InstanceType(c)
		if err != nil {
			return 0, false, err
		}
		switch {
		case t == md.tMap:
			cur = c
			continue
		case h.IsFunctionType(t):
			return c, true, nil
		}
		return c, false, nil
	}
	return 0, false, errors.New("map back-pointer chain too long (cycle?)")
}

// ConstructorName names the constructor of a JS object ("Object",
// "Widget", "Array"), "" when it has none that ndb can name. Objects with a
// null prototype are named "Object" only if their constructor says so.
func (h *Heap) ConstructorName(v Value) (string, error) {
	m, err := h.Map(v)
	if err != nil {
		return "", err
	}
	key := ctorKey{h, m}
	if s, ok := ctorNames.Load(key); ok {
		return s.(string), nil
	}
	s, err := h.constructorName(v, m)
	if err == nil {
		ctorNames.Store(key, s)
	}
	return s, err
}

type ctorKey struct {
	h *Heap
	m Value
}

var ctorNames sync.Map // ctorKey → string

// constructorName prefers the "constructor" property of the prototype (as
// util.inspect does: Node's Buffers are FastBuffer instances whose
// prototype says Buffer), then the map's constructor function.
func (h *Heap) constructorName(v Value, m Value) (string, error) {
	if mi, err := h.ReadMap(m); err == nil && h.IsHeapObject(mi.Prototype) {
		if pt, err := h.InstanceType(mi.Prototype); err == nil && h.IsJSReceiverType(pt) && pt != h.model().tProxy {
			if props, err := h.Properties(mi.Prototype); err == nil {
				for _, p := range props {
					if p.Name == "constructor" && !p.IsSymbol && !p.Accessor && h.IsFunction(p.Value) {
						if n, err := h.FunctionName(p.Value); err == nil && n != "" {
							return n, nil
						}
					}
				}
			}
		}
	}
	fn, ok, err := h.ConstructorOf(v)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil
	}
	return h.FunctionName(fn)
}

// ElementsKind values that V8 has kept stable since 2018.
const (
	PackedSmiElements    = 0
	HoleySmiElements     = 1
	PackedElements       = 2
	HoleyElements        = 3
	PackedDoubleElements = 4
	HoleyDoubleElements  = 5
)

// IsDoubleElements reports whether an elements kind keeps unboxed doubles.
func IsDoubleElements(k int) bool { return k == PackedDoubleElements || k == HoleyDoubleElements }

// IsDictionaryElements reports whether kind k is DICTIONARY_ELEMENTS.
func (h *Heap) IsDictionaryElements(k int) bool { return int64(k) == h.model().ekDictionary }

// FixedArrayLength reads the length of a FixedArrayBase (FixedArray,
// FixedDoubleArray, PropertyArray, hash tables...).
func (h *Heap) FixedArrayLength(a Value) (int, error) {
	md := h.model()
	if !h.IsHeapObject(a) {
		return 0, fmt.Errorf("%#x is not a heap object", uint64(a))
	}
	w, err := h.Word(a, md.fixedLen)
	if err != nil {
		return 0, err
	}
	if !h.IsSmi(w) || h.SmiValue(w) < 0 || h.SmiValue(w) > MaxElements*4 {
		return 0, fmt.Errorf("array %#x has a bad length word %#x", uint64(a), uint64(w))
	}
	return int(h.SmiValue(w)), nil
}

// PropertyArrayLength reads a PropertyArray's length (it shares the slot
// with the hash: the low 10 bits of the Smi).
func (h *Heap) propertyArrayLength(a Value) (int, error) {
	w, err := h.Word(a, h.model().fixedLen)
	if err != nil {
		return 0, err
	}
	if !h.IsSmi(w) {
		return 0, fmt.Errorf("property array %#x has a bad length word %#x", uint64(a), uint64(w))
	}
	return int(h.SmiValue(w) & 0x3ff), nil
}

// FixedArrayGet reads element i of a FixedArray-shaped object.
func (h *Heap) FixedArrayGet(a Value, i int) (Value, error) {
	md := h.model()
	return h.Word(a, md.fixedData+int64(i)*8)
}

// fixedSlots reads n tagged slots starting at element i, with one bounds
// checked slice of the core.
func (h *Heap) fixedSlots(a Value, i, n int) ([]Value, error) {
	if n <= 0 {
		return nil, nil
	}
	md := h.model()
	b, err := h.P.Slice(h.Untag(a)+uint64(md.fixedData)+uint64(i)*8, uint64(n)*8)
	if err != nil {
		return nil, err
	}
	out := make([]Value, n)
	for k := range out {
		out[k] = Value(le64(b[8*k:]))
	}
	return out, nil
}
