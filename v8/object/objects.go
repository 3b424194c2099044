package object

import (
	"errors"
	"fmt"
	"math"
)

// Limits on what one object read enumerates, so that a corrupted length
// field never makes ndb allocate or loop without bound.
const (
	MaxProperties = 1 << 16 // named properties of one object
	MaxElements   = 1 << 24 // elements of one backing store
)

// TypeNameOf names an instance type ("JS_OBJECT_TYPE"), or "type N".
func (h *Heap) TypeNameOf(t int) string {
	if n := h.Layout.Meta.TypeName(t); n != "" {
		return n
	}
	m := h.Layout
	switch {
	case t == m.Types.BigInt:
		return "BIGINT_TYPE"
	case t == m.Types.Hole:
		return "HOLE_TYPE"
	case m.Types.FirstContext >= 0 && t >= m.Types.FirstContext && t <= m.Types.LastContext:
		return "CONTEXT_TYPE"
	case m.Types.FirstJSFunction >= 0 && t >= m.Types.FirstJSFunction && t <= m.Types.LastJSFunction:
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
	m := h.Layout
	if t == m.Types.Hole && m.Types.Hole >= 0 {
		return TheHole
	}
	if t != m.Types.Oddball || m.Oddball.Kind < 0 {
		return NotOddball
	}
	k, err := h.Word(v, m.Oddball.Kind)
	if err != nil || !h.IsSmi(k) {
		return OtherOddball
	}
	switch kind := h.SmiValue(k); kind {
	case m.Oddball.Undefined:
		return Undefined
	case m.Oddball.Null:
		return Null
	case m.Oddball.True:
		return True
	case m.Oddball.False:
		return False
	case m.Oddball.TheHole:
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
	if err != nil || t != h.Layout.Types.HeapNumber {
		return 0, false
	}
	bits, err := h.Proc.ReadU64(h.Untag(v) + uint64(h.Layout.HeapNumber.Value))
	if err != nil {
		return 0, false
	}
	return math.Float64frombits(bits), true
}

// MapInfo is the decoded part of a Map that printers need.
type MapInfo struct {
	Addr          Value
	InstanceType  int
	InstanceWords int // instance size in words
	InObjectStart int // first in-object property word
	ElementsKind  int
	Dictionary    bool // is_dictionary_map
	PrototypeMap  bool // is_prototype_map: the map of a prototype object
	// NewTargetIsBase: the objects were made by their map's constructor
	// itself (new.target was that constructor, not a subclass).
	NewTargetIsBase bool
	OwnDescriptors  int
	Prototype       Value
	Constructor     Value // constructor_or_back_pointer as stored
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
	md := h.Layout
	if err := need("Map.bit_field2", md.Map.BitField2, "Map.bit_field3", md.Map.BitField3, "Map.instance_size_in_words", md.Map.InstanceSizeInWords,
		"Map.inobject_properties_start", md.Map.InObjectPropertiesStart, "Map.prototype", md.Map.Prototype, "Map.constructor_or_back_pointer", md.Map.ConstructorOrBackPointer); err != nil {
		return nil, err
	}
	base := h.Untag(m)
	b, err := h.Proc.Slice(base, uint64(md.Map.ConstructorOrBackPointer)+8)
	if err != nil {
		return nil, err
	}
	mi := &MapInfo{Addr: m}
	t, err := h.MapInstanceType(m)
	if err != nil {
		return nil, err
	}
	if md.Types.Map >= 0 {
		if mt, err := h.InstanceType(m); err != nil || mt != md.Types.Map {
			return nil, fmt.Errorf("%#x is not a Map (corrupted map word?)", uint64(m))
		}
	}
	mi.InstanceType = t
	mi.InstanceWords = int(b[md.Map.InstanceSizeInWords])
	mi.InObjectStart = int(b[md.Map.InObjectPropertiesStart])
	b2 := int64(b[md.Map.BitField2])
	if md.Map.ElementsKindMask > 0 {
		mi.ElementsKind = int((b2 & md.Map.ElementsKindMask) >> md.Map.ElementsKindShift)
	}
	if md.Map.NewTargetIsBaseShift >= 0 {
		mi.NewTargetIsBase = b2>>md.Map.NewTargetIsBaseShift&1 == 1
	}
	b3 := int64(le32(b[md.Map.BitField3:]))
	if md.Map.IsPrototypeMapShift >= 0 {
		mi.PrototypeMap = b3>>md.Map.IsPrototypeMapShift&1 == 1
	}
	if md.Map.IsDictionaryMapShift >= 0 {
		mi.Dictionary = b3>>md.Map.IsDictionaryMapShift&1 == 1
	}
	if md.Map.NumberOfOwnDescriptorsMask > 0 {
		mi.OwnDescriptors = int((b3 & md.Map.NumberOfOwnDescriptorsMask) >> md.Map.NumberOfOwnDescriptorsShift)
	}
	mi.Prototype = Value(le64(b[md.Map.Prototype:]))
	mi.Constructor = Value(le64(b[md.Map.ConstructorOrBackPointer:]))
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
	m := h.Layout
	return t >= 1024 || t == m.Types.JSProxy || t == m.Types.JSGlobalObject || t == m.Types.JSGlobalProxy
}

// IsFunctionType reports whether t is one of the JSFunction types.
func (h *Heap) IsFunctionType(t int) bool {
	m := h.Layout
	return m.Types.FirstJSFunction >= 0 && t >= m.Types.FirstJSFunction && t <= m.Types.LastJSFunction
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
	return h.MapConstructor(mp)
}

// MapConstructor returns the constructor JSFunction of the objects of map
// mp, following the back pointers of transitioned maps to the root map.
func (h *Heap) MapConstructor(mp Value) (fn Value, ok bool, err error) {
	md := h.Layout
	if err := need("Map.constructor_or_back_pointer", md.Map.ConstructorOrBackPointer); err != nil {
		return 0, false, err
	}
	cur := mp
	for i := 0; i < 1000; i++ {
		c, err := h.Word(cur, md.Map.ConstructorOrBackPointer)
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
		case t == md.Types.Map:
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
	key := m
	if s, ok := h.ctorNames.Load(key); ok {
		return s.(string), nil
	}
	s, err := h.constructorName(v, m)
	if err == nil {
		h.ctorNames.Store(key, s)
	}
	return s, err
}

// constructorName prefers the "constructor" property of the prototype (as
// util.inspect does: Node's Buffers are FastBuffer instances whose
// prototype says Buffer), then the map's constructor function.
func (h *Heap) constructorName(v Value, m Value) (string, error) {
	if mi, err := h.ReadMap(m); err == nil && h.IsHeapObject(mi.Prototype) {
		if pt, err := h.InstanceType(mi.Prototype); err == nil && h.IsJSReceiverType(pt) && pt != h.Layout.Types.JSProxy {
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
func (h *Heap) IsDictionaryElements(k int) bool {
	return int64(k) == h.Layout.Map.DictionaryElementsKind
}

// FixedArrayLength reads the length of a FixedArrayBase (FixedArray,
// FixedDoubleArray, PropertyArray, hash tables...).
func (h *Heap) FixedArrayLength(a Value) (int, error) {
	md := h.Layout
	if !h.IsHeapObject(a) {
		return 0, fmt.Errorf("%#x is not a heap object", uint64(a))
	}
	w, err := h.Word(a, md.FixedArray.Length)
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
	w, err := h.Word(a, h.Layout.FixedArray.Length)
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
	md := h.Layout
	return h.Word(a, md.FixedArray.Data+int64(i)*8)
}

// fixedSlots reads n tagged slots starting at element i, with one bounds
// checked slice of the core.
func (h *Heap) fixedSlots(a Value, i, n int) ([]Value, error) {
	if n <= 0 {
		return nil, nil
	}
	md := h.Layout
	b, err := h.Proc.Slice(h.Untag(a)+uint64(md.FixedArray.Data)+uint64(i)*8, uint64(n)*8)
	if err != nil {
		return nil, err
	}
	out := make([]Value, n)
	for k := range out {
		out[k] = Value(le64(b[8*k:]))
	}
	return out, nil
}
