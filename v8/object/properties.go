package object

import (
	"fmt"
	"math"
	"sort"
	"strconv"
)

// Property is one own named property of a JS object.
type Property struct {
	Key      Value  // the String or Symbol key
	Name     string // the key as text: the string, or "Symbol(desc)"
	IsSymbol bool
	Private  bool // a private symbol (V8 internal or #private field): hidden by printers
	Value    Value
	// Accessor properties: Getter/Setter are functions or undefined/null.
	Accessor       bool
	Getter, Setter Value
	// Native is an accessor implemented in C++ (AccessorInfo: Array
	// length, Function name, ...); Value is the AccessorInfo.
	Native     bool
	Enumerable bool
}

// KeyName returns the text of a property key: a string's content or
// "Symbol(description)", and whether it is a symbol and a private one.
func (h *Heap) KeyName(k Value) (name string, isSymbol, private bool, err error) {
	if h.IsSmi(k) {
		return strconv.FormatInt(h.SmiValue(k), 10), false, false, nil
	}
	// Every object of a shape has the same keys: read each once.
	if c, ok := h.keyNames.Load(k); ok {
		kn := c.(keyName)
		return kn.name, kn.isSymbol, kn.private, nil
	}
	name, isSymbol, private, err = h.readKeyName(k)
	if err == nil {
		h.keyNames.Store(k, keyName{name, isSymbol, private})
	}
	return name, isSymbol, private, err
}

type keyName struct {
	name              string
	isSymbol, private bool
}

func (h *Heap) readKeyName(k Value) (name string, isSymbol, private bool, err error) {
	t, err := h.InstanceType(k)
	if err != nil {
		return "", false, false, err
	}
	if h.IsStringType(t) {
		s, err := h.StringValue(k)
		return s, false, false, err
	}
	if t == h.Layout.Types.Symbol {
		d, priv, err := h.SymbolDescription(k)
		return "Symbol(" + d + ")", true, priv, err
	}
	return "", false, false, fmt.Errorf("property key %#x is a %s", uint64(k), h.TypeNameOf(t))
}

// SymbolDescription returns a symbol's description ("" when it has none)
// and whether it is private.
func (h *Heap) SymbolDescription(s Value) (string, bool, error) {
	m := h.Layout
	private := false
	if m.Symbol.Flags >= 0 {
		if f, err := h.Proc.ReadU32(h.Untag(s) + uint64(m.Symbol.Flags)); err == nil {
			private = f&1 == 1
		}
	}
	d, err := h.Word(s, m.Symbol.Description)
	if err != nil {
		return "", private, err
	}
	if h.IsString(d) {
		str, err := h.StringValue(d)
		return str, private, err
	}
	return "", private, nil
}

// Properties enumerates the own named properties of a JS object in V8's
// enumeration order: fast-mode objects through the map's DescriptorArray
// (in-object and PropertyArray fields), dictionary-mode objects through
// their NameDictionary, the global object through its GlobalDictionary.
func (h *Heap) Properties(obj Value) ([]Property, error) {
	mi, err := h.MapOf(obj)
	if err != nil {
		return nil, err
	}
	md := h.Layout
	if !h.IsJSReceiverType(mi.InstanceType) {
		return nil, fmt.Errorf("%#x is not a JS object (%s)", uint64(obj), h.TypeNameOf(mi.InstanceType))
	}
	if mi.InstanceType == md.Types.JSProxy {
		return nil, nil
	}
	if err := need("JSReceiver.raw_properties_or_hash", md.JSReceiver.PropertiesOrHash); err != nil {
		return nil, err
	}
	props, err := h.Word(obj, md.JSReceiver.PropertiesOrHash)
	if err != nil {
		return nil, err
	}
	if mi.Dictionary {
		if !h.IsHeapObject(props) {
			return nil, fmt.Errorf("dictionary-mode object %#x has no property dictionary", uint64(obj))
		}
		if mi.InstanceType == md.Types.JSGlobalObject {
			return h.globalDictionary(props)
		}
		t, err := h.InstanceType(props)
		if err != nil {
			return nil, err
		}
		if t == h.swissType() {
			return nil, fmt.Errorf("SwissNameDictionary properties are not supported")
		}
		return h.nameDictionary(props)
	}
	return h.fastProperties(obj, mi, props)
}

func (h *Heap) swissType() int { return h.Layout.Types.SwissNameDictionary }

func (h *Heap) fastProperties(obj Value, mi *MapInfo, props Value) ([]Property, error) {
	md := h.Layout
	if err := need("Map.instance_descriptors", md.Map.InstanceDescriptors, "DescriptorArray.header_size", md.DescriptorArray.HeaderSize,
		"prop_desc_size", md.DescriptorArray.EntrySize, "prop_index_mask", md.PropertyDetails.IndexMask); err != nil {
		return nil, err
	}
	n := mi.OwnDescriptors
	if n == 0 {
		return nil, nil
	}
	if n > MaxProperties {
		return nil, fmt.Errorf("map %#x claims %d descriptors", uint64(mi.Addr), n)
	}
	descs, err := h.Word(mi.Addr, md.Map.InstanceDescriptors)
	if err != nil {
		return nil, err
	}
	if !h.IsHeapObject(descs) {
		return nil, fmt.Errorf("map %#x has no descriptor array", uint64(mi.Addr))
	}
	raw, err := h.Proc.Slice(h.Untag(descs)+uint64(md.DescriptorArray.HeaderSize), uint64(n)*uint64(md.DescriptorArray.EntrySize)*8)
	if err != nil {
		return nil, fmt.Errorf("descriptor array %#x: %w", uint64(descs), err)
	}
	inobj := mi.InObjectCount()
	var outOfObject []Value
	out := make([]Property, 0, n)
	for i := 0; i < n; i++ {
		e := raw[i*int(md.DescriptorArray.EntrySize)*8:]
		key := Value(le64(e[md.DescriptorArray.KeyIndex*8:]))
		det := Value(le64(e[md.DescriptorArray.DetailsIndex*8:]))
		val := Value(le64(e[md.DescriptorArray.ValueIndex*8:]))
		if !h.IsSmi(det) {
			return out, fmt.Errorf("descriptor %d of %#x: bad details %#x", i, uint64(descs), uint64(det))
		}
		d := h.SmiValue(det)
		p := Property{Key: key}
		p.Name, p.IsSymbol, p.Private, err = h.KeyName(key)
		if err != nil {
			return out, fmt.Errorf("descriptor %d: %w", i, err)
		}
		p.Enumerable = (d&md.PropertyDetails.AttributesMask)>>md.PropertyDetails.AttributesShift&2 == 0
		accessor := d&md.PropertyDetails.KindMask == md.PropertyDetails.KindAccessor
		if (d&md.PropertyDetails.LocationMask)>>md.PropertyDetails.LocationShift == md.PropertyDetails.LocationDescriptor {
			p.Value = val
		} else {
			idx := int((d & md.PropertyDetails.IndexMask) >> md.PropertyDetails.IndexShift)
			if idx < inobj {
				p.Value, err = h.Word(obj, int64(mi.InObjectStart+idx)*8)
			} else {
				if outOfObject == nil {
					outOfObject, err = h.propertyArray(props)
					if err != nil {
						return out, err
					}
				}
				if idx-inobj >= len(outOfObject) {
					return out, fmt.Errorf("property %q: field %d beyond the property array (%d)", p.Name, idx, len(outOfObject))
				}
				p.Value = outOfObject[idx-inobj]
			}
			if err != nil {
				return out, err
			}
		}
		if accessor {
			h.setAccessor(&p)
		}
		out = append(out, p)
	}
	return out, nil
}

func (h *Heap) propertyArray(props Value) ([]Value, error) {
	if !h.IsHeapObject(props) {
		return nil, fmt.Errorf("object has out-of-object fields but no property array")
	}
	n, err := h.propertyArrayLength(props)
	if err != nil {
		return nil, err
	}
	return h.fixedSlots(props, 0, n)
}

// setAccessor fills the accessor fields from an AccessorPair or notes an
// AccessorInfo (a C++ accessor).
func (h *Heap) setAccessor(p *Property) {
	md := h.Layout
	p.Accessor = true
	t, err := h.InstanceType(p.Value)
	if err != nil {
		return
	}
	switch t {
	case md.Types.AccessorPair:
		p.Getter, _ = h.Word(p.Value, md.AccessorPair.Getter)
		p.Setter, _ = h.Word(p.Value, md.AccessorPair.Setter)
	case md.Types.AccessorInfo:
		p.Native = true
	}
}

// dictEntry is one live entry of a hash table.
type dictEntry struct {
	key, value Value
	details    int64
}

// hashEntries reads the live entries of a NameDictionary-shaped hash
// table (element 2 is the capacity; entries start at element start).
func (h *Heap) hashEntries(table Value, start, entrySize int) ([]dictEntry, error) {
	n, err := h.FixedArrayLength(table)
	if err != nil {
		return nil, err
	}
	capW, err := h.FixedArrayGet(table, 2)
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(capW) {
		return nil, fmt.Errorf("hash table %#x: bad capacity %#x", uint64(table), uint64(capW))
	}
	capacity := int(h.SmiValue(capW))
	if capacity < 0 || start+capacity*entrySize > n || capacity > MaxElements {
		return nil, fmt.Errorf("hash table %#x: capacity %d does not fit its length %d", uint64(table), capacity, n)
	}
	slots, err := h.fixedSlots(table, start, capacity*entrySize)
	if err != nil {
		return nil, err
	}
	var out []dictEntry
	for i := 0; i < capacity; i++ {
		e := slots[i*entrySize:]
		k := e[0]
		if o := h.OddballOf(k); o == Undefined || o == TheHole {
			continue
		}
		de := dictEntry{key: k}
		if entrySize > 1 {
			de.value = e[1]
		}
		if entrySize > 2 && h.IsSmi(e[2]) {
			de.details = h.SmiValue(e[2])
		}
		out = append(out, de)
	}
	return out, nil
}

func (h *Heap) dictStorageShift() int64 { return h.Layout.PropertyDetails.DictionaryStorageShift }

func (h *Heap) nameDictionary(dict Value) ([]Property, error) {
	md := h.Layout
	if err := need("namedictionary_prefix_start_index", md.Dictionary.NamePrefixStart, "namedictionaryshape_prefix_size", md.Dictionary.NamePrefixSize,
		"namedictionaryshape_entry_size", md.Dictionary.NameEntrySize); err != nil {
		return nil, err
	}
	es, err := h.hashEntries(dict, int(md.Dictionary.NamePrefixStart+md.Dictionary.NamePrefixSize), int(md.Dictionary.NameEntrySize))
	if err != nil {
		return nil, err
	}
	shift := h.dictStorageShift()
	if shift > 0 {
		sort.SliceStable(es, func(i, j int) bool { return es[i].details>>shift < es[j].details>>shift })
	}
	out := make([]Property, 0, len(es))
	for _, e := range es {
		p := Property{Key: e.key, Value: e.value}
		p.Name, p.IsSymbol, p.Private, err = h.KeyName(e.key)
		if err != nil {
			return out, err
		}
		p.Enumerable = (e.details&md.PropertyDetails.AttributesMask)>>md.PropertyDetails.AttributesShift&2 == 0
		if e.details&md.PropertyDetails.KindMask == md.PropertyDetails.KindAccessor {
			h.setAccessor(&p)
		}
		out = append(out, p)
	}
	return out, nil
}

func (h *Heap) globalDictionary(dict Value) ([]Property, error) {
	md := h.Layout
	if err := need("PropertyCell.value", md.PropertyCell.Value, "PropertyCell.name", md.PropertyCell.Name, "PropertyCell.property_details_raw", md.PropertyCell.DetailsRaw); err != nil {
		return nil, err
	}
	gp := md.Dictionary.GlobalPrefixSize
	if err := need("globaldictionaryshape_prefix_size", gp); err != nil {
		return nil, err
	}
	es, err := h.hashEntries(dict, int(md.Dictionary.NamePrefixStart+gp), 1)
	if err != nil {
		return nil, err
	}
	type cellProp struct {
		p     Property
		order int64
	}
	var cps []cellProp
	shift := h.dictStorageShift()
	for _, e := range es {
		cell := e.key
		name, err := h.Word(cell, md.PropertyCell.Name)
		if err != nil {
			return nil, err
		}
		det, _ := h.Word(cell, md.PropertyCell.DetailsRaw)
		val, err := h.Word(cell, md.PropertyCell.Value)
		if err != nil {
			return nil, err
		}
		p := Property{Key: name, Value: val}
		p.Name, p.IsSymbol, p.Private, err = h.KeyName(name)
		if err != nil {
			return nil, err
		}
		if o := h.OddballOf(val); o == TheHole {
			continue // a deleted global
		}
		d := int64(0)
		if h.IsSmi(det) {
			d = h.SmiValue(det)
		}
		p.Enumerable = (d&md.PropertyDetails.AttributesMask)>>md.PropertyDetails.AttributesShift&2 == 0
		if d&md.PropertyDetails.KindMask == md.PropertyDetails.KindAccessor {
			h.setAccessor(&p)
		}
		order := int64(0)
		if shift > 0 {
			order = d >> shift
		}
		cps = append(cps, cellProp{p, order})
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].order < cps[j].order })
	out := make([]Property, len(cps))
	for i := range cps {
		out[i] = cps[i].p
	}
	return out, nil
}

// Element is one element of a JS object's elements backing store.
type Element struct {
	Index int64
	Value Value   // for tagged kinds
	Num   float64 // for double kinds (IsDouble)
	// IsDouble: the element is an unboxed double (Num); Hole: a hole.
	IsDouble, Hole bool
}

// ElementsInfo describes an object's elements.
type ElementsInfo struct {
	Kind       int
	Dictionary bool // sparse: Elements hold only the present indices
	Length     int  // backing store length (capacity), or dictionary size
	Elements   []Element
	Truncated  bool // more than the limit asked for
}

// Elements reads up to limit elements of a JS object (limit < 0: all, up
// to MaxElements). For arrays pass the JSArray length as used; elements
// past it are capacity.
func (h *Heap) Elements(obj Value, used, limit int) (*ElementsInfo, error) {
	mi, err := h.MapOf(obj)
	if err != nil {
		return nil, err
	}
	md := h.Layout
	els, err := h.Word(obj, md.JSObject.Elements)
	if err != nil {
		return nil, err
	}
	ei := &ElementsInfo{Kind: mi.ElementsKind}
	if !h.IsHeapObject(els) {
		return nil, fmt.Errorf("object %#x: bad elements pointer %#x", uint64(obj), uint64(els))
	}
	if limit < 0 || limit > MaxElements {
		limit = MaxElements
	}
	if h.IsDictionaryElements(mi.ElementsKind) {
		ei.Dictionary = true
		es, err := h.hashEntries(els, int(3+md.Dictionary.NumberPrefixSize), int(md.Dictionary.NumberEntrySize))
		if err != nil {
			return nil, err
		}
		ei.Length = len(es)
		for _, e := range es {
			idx, ok := h.Number(e.key)
			if !ok {
				continue
			}
			el := Element{Index: int64(idx), Value: e.value}
			ei.Elements = append(ei.Elements, el)
		}
		sort.Slice(ei.Elements, func(i, j int) bool { return ei.Elements[i].Index < ei.Elements[j].Index })
		if len(ei.Elements) > limit {
			ei.Elements, ei.Truncated = ei.Elements[:limit], true
		}
		return ei, nil
	}
	k := mi.ElementsKind
	fixedKind := k <= HoleyElements || (k >= 6 && k <= 11)
	if !fixedKind && !IsDoubleElements(k) {
		return nil, fmt.Errorf("elements kind %d is not supported", k)
	}
	n, err := h.FixedArrayLength(els)
	if err != nil {
		return nil, err
	}
	ei.Length = n
	if used < 0 || used > n {
		used = n
	}
	if used > limit {
		used, ei.Truncated = limit, true
	}
	if used == 0 {
		return ei, nil
	}
	if IsDoubleElements(k) {
		b, err := h.Proc.Slice(h.Untag(els)+uint64(md.FixedArray.Data), uint64(used)*8)
		if err != nil {
			return nil, err
		}
		ei.Elements = make([]Element, used)
		for i := range ei.Elements {
			bits := le64(b[8*i:])
			ei.Elements[i] = Element{Index: int64(i), IsDouble: true, Num: math.Float64frombits(bits), Hole: bits == holeNaN}
		}
		return ei, nil
	}
	slots, err := h.fixedSlots(els, 0, used)
	if err != nil {
		return nil, err
	}
	ei.Elements = make([]Element, used)
	for i, s := range slots {
		ei.Elements[i] = Element{Index: int64(i), Value: s, Hole: h.OddballOf(s) == TheHole}
	}
	return ei, nil
}

// holeNaN is the bit pattern V8 stores for a hole in a FixedDoubleArray
// (kHoleNanInt64); it has been the same since 2014.
const holeNaN = 0xFFF7FFFF_FFF7FFFF

// ArrayLength reads a JSArray's length (a Smi, or a HeapNumber above 2^31).
func (h *Heap) ArrayLength(arr Value) (int64, error) {
	md := h.Layout
	if err := need("JSArray.length", md.JSArray.Length); err != nil {
		return 0, err
	}
	w, err := h.Word(arr, md.JSArray.Length)
	if err != nil {
		return 0, err
	}
	if n, ok := h.Number(w); ok && n >= 0 && n <= math.MaxUint32 {
		return int64(n), nil
	}
	return 0, fmt.Errorf("array %#x has a bad length %#x", uint64(arr), uint64(w))
}
