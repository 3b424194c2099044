package heap

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/ndb-debugger/ndb/v8/layout"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Kind classifies objects for the census.
type Kind uint8

const (
	KindInternal Kind = iota // V8-internal objects (shown with -m)
	KindObject               // JS objects, by constructor
	KindArray                // JS arrays
	KindFunction             // closures, by function name
	KindString               // strings
)

func (k Kind) String() string {
	return [...]string{"internal", "object", "array", "closure", "string"}[k]
}

// MapInfo is what the census needs of one map, computed once.
type MapInfo struct {
	Addr     uint64
	Type     int
	Kind     Kind
	Dict     bool     // dictionary-mode properties
	Proto    bool     // the map of a prototype object
	Ctor     string   // constructor name (KindObject, KindArray), as V8's heap snapshot names it
	ByObject bool     // named one by one: an own Symbol.toStringTag, a primitive wrapper
	Props    []string // own named properties in order (fast mode)
	InObject int      // in-object property slots
	size     layout.SizeRule
	seq      int // order of discovery: index of per-worker tables
}

// namer reads names with the layout of the metadata, caching by address.
type namer struct {
	w *walker

	ctorOff, descOff, bf3Off, isz, inobjStart int64
	descHeader                                int64
	sfiOff, nameOff                           int64
	propsOff                                  int64
	firstVars, nlocIdx                        int64
	dictShift, ownMask, ownShift              int64
	protoBit                                  int64

	firstFn, lastFn    int
	arrayType, proxy   int
	scopeInfo, symbol  int
	firstNonString     int
	dictPrefix, dictES int64

	// Reading keys and names in place.
	typeOff, symName              uint64 // Map::instance_type, Symbol::name
	strLen, seqChars, thinActual  uint64 // String::length (int32), chars of sequential strings, ThinString::actual
	repMask, encMask, oneByteTag  int    // string instance type bits
	descEntry                     uint64 // bytes per descriptor
	fixedLen, fixedData, smiShift uint64

	mu   sync.Mutex
	sfis map[uint64]string
}

// mapBytes is how much of a map describeMap reads.
const mapBytes = 48

func newNamer(w *walker) (*namer, error) {
	l := w.l
	for _, off := range []struct {
		name string
		v    int64
	}{{"Map.instance_type", l.Map.InstanceType}, {"Map.instance_size_in_words", l.Map.InstanceSizeInWords},
		{"Map.bit_field3", l.Map.BitField3}, {"Map.inobject_properties_start_or_constructor_function_index", l.Map.InObjectPropertiesStart}} {
		if off.v < 0 || off.v+4 > mapBytes {
			return nil, fmt.Errorf("V8 metadata lacks %s", off.name)
		}
	}
	if err := l.Meta.Require("JSFunction.shared", "SharedFunctionInfo.name_or_scope_info", "JSReceiver.raw_properties_or_hash",
		"Map.constructor_or_back_pointer", "Map.instance_descriptors", "DescriptorArray.header_size", "String.length",
		"SeqOneByteString.chars", "ThinString.actual", "Symbol.name", "FixedArray.data", "const:prop_desc_size",
		"const:StringRepresentationMask", "const:StringEncodingMask", "const:OneByteStringTag"); err != nil {
		return nil, err
	}
	n := &namer{w: w, sfis: map[uint64]string{}}
	n.typeOff, n.symName = uint64(l.Map.InstanceType), uint64(l.Symbol.Description)
	n.strLen, n.seqChars, n.thinActual = uint64(l.String.Length), uint64(l.String.SeqChars), uint64(l.String.ThinActual)
	n.repMask, n.encMask, n.oneByteTag = int(l.String.RepresentationMask), int(l.String.EncodingMask), int(l.String.OneByteTag)
	n.descEntry = uint64(8 * l.DescriptorArray.EntrySize)
	n.fixedLen, n.fixedData, n.smiShift = uint64(l.FixedArray.Length), uint64(l.FixedArray.Data), uint64(l.Tagging.SmiShift)
	n.ctorOff = l.Map.ConstructorOrBackPointer
	n.descOff = l.Map.InstanceDescriptors
	n.bf3Off = l.Map.BitField3
	n.isz = l.Map.InstanceSizeInWords
	n.inobjStart = l.Map.InObjectPropertiesStart
	n.descHeader = l.DescriptorArray.HeaderSize
	n.sfiOff = l.JSFunction.Shared
	n.nameOff = l.SharedFunctionInfo.NameOrScopeInfo
	n.propsOff = l.JSReceiver.PropertiesOrHash
	n.firstVars = l.ScopeInfo.FirstVarsIndex
	n.nlocIdx = l.ScopeInfo.ContextLocalCountIndex
	n.dictShift = l.Map.IsDictionaryMapShift
	n.ownMask = l.Map.NumberOfOwnDescriptorsMask
	n.ownShift = l.Map.NumberOfOwnDescriptorsShift
	n.protoBit = l.Map.IsPrototypeMapShift
	n.dictPrefix = l.Dictionary.NamePrefixStart + l.Dictionary.NamePrefixSize
	n.dictES = l.Dictionary.NameEntrySize
	n.firstFn, n.lastFn = l.Types.FirstJSFunction, l.Types.LastJSFunction
	n.arrayType = l.Types.JSArray
	n.proxy = l.Types.JSProxy
	n.scopeInfo = l.Types.ScopeInfo
	n.symbol = l.Types.Symbol
	n.firstNonString = l.Types.FirstNonString
	return n, nil
}

func (w *walker) word(a uint64) uint64 {
	v, err := w.p.ReadU64(a)
	if err != nil {
		return 0
	}
	return v
}

// describeMap reads the map at a (untagged).
func (w *walker) describeMap(a uint64) *MapInfo {
	n := w.names
	b, err := w.p.Slice(a, 48)
	if err != nil {
		return nil
	}
	mi := &MapInfo{Addr: a, Type: int(le.Uint16(b[n.typeOff:]))}
	words := int(b[n.isz])
	mi.size = w.sizer.SizeRuleFor(mi.Type, words)
	bf3 := le.Uint32(b[n.bf3Off:])
	mi.Dict = bf3>>uint(n.dictShift)&1 == 1
	if n.protoBit >= 0 {
		mi.Proto = bf3>>uint(n.protoBit)&1 == 1
	}
	switch t := mi.Type; {
	case t < n.firstNonString:
		mi.Kind = KindString
		mi.Ctor = "(string)"
	case t >= n.firstFn && t <= n.lastFn && n.firstFn >= 0:
		mi.Kind = KindFunction
	case t == n.arrayType:
		mi.Kind = KindArray
	case n.proxy >= 0 && t >= n.proxy:
		mi.Kind = KindObject
	default:
		mi.Kind = KindInternal
		mi.Ctor = w.l.Meta.TypeName(t)
		if mi.Ctor == "" {
			mi.Ctor = "(internal)"
		}
		return mi
	}
	if mi.Kind == KindString {
		return mi
	}
	mi.InObject = words - int(b[n.inobjStart])
	if !mi.Dict {
		own := int((int64(bf3) & n.ownMask) >> n.ownShift)
		desc := le.Uint64(b[n.descOff:])
		if own > 0 && desc&3 == 1 {
			mi.Props = w.descriptorKeys(desc-1, own, mi.Kind == KindFunction)
		}
		mi.ByObject = object.HasOwnStringTag(mi.Props)
	}
	mi.ByObject = mi.ByObject || w.h.NamedByObject(mi.Type)
	if mi.Kind != KindFunction {
		mi.Ctor = w.h.SnapshotMapName(object.Value(a | 1))
	}
	return mi
}

// descriptorKeys reads the first n keys of a DescriptorArray, without the
// private symbols (V8's own, such as a class's home object) if asked.
func (w *walker) descriptorKeys(d uint64, n int, skipPrivate bool) []string {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		k := w.word(d + uint64(w.names.descHeader) + uint64(i)*w.names.descEntry)
		if skipPrivate && w.isPrivateSymbol(k) {
			continue
		}
		out = append(out, w.keyName(k))
	}
	return out
}

// isPrivateSymbol reports whether key k is a private symbol (flags bit 0).
func (w *walker) isPrivateSymbol(k uint64) bool {
	if w.typeOf(k) != w.names.symbol || w.l.Symbol.Flags < 0 {
		return false
	}
	f, err := w.p.ReadU32(k - 1 + uint64(w.l.Symbol.Flags))
	return err == nil && f&1 == 1
}

// keyName names a property key: a string, or a symbol.
func (w *walker) keyName(k uint64) string {
	if k&3 != 1 {
		return "<?>"
	}
	t := w.typeOf(k)
	if t == w.names.symbol {
		desc := w.word(k - 1 + w.names.symName)
		if s, ok := w.str(desc, 200); ok {
			return "Symbol(" + s + ")"
		}
		return "Symbol()"
	}
	if s, ok := w.str(k, 200); ok {
		return s
	}
	return "<?>"
}

func (w *walker) typeOf(v uint64) int {
	if v&3 != 1 {
		return -1
	}
	m := w.word(v - 1)
	if m&3 != 1 {
		return -1
	}
	t, err := w.p.ReadU16(m - 1 + w.names.typeOff)
	if err != nil {
		return -1
	}
	return int(t)
}

// str reads a flat or thin string (names and keys are internalized).
func (w *walker) str(v uint64, max int) (string, bool) {
	for depth := 0; depth < 4; depth++ {
		t := w.typeOf(v)
		if t < 0 || t >= w.names.firstNonString {
			return "", false
		}
		nm := w.names
		a := v - 1
		ln, err := w.p.ReadU32(a + nm.strLen)
		if err != nil {
			return "", false
		}
		n := int(int32(ln))
		switch object.StringRep(t & nm.repMask) {
		case object.RepSeq:
			if n < 0 || n > 1<<20 {
				return "", false
			}
			if n > max {
				n = max
			}
			if t&nm.encMask == nm.oneByteTag {
				b, err := w.p.Slice(a+nm.seqChars, uint64(n))
				if err != nil {
					return "", false
				}
				return latin1(b), true
			}
			b, err := w.p.Slice(a+nm.seqChars, uint64(2*n))
			if err != nil {
				return "", false
			}
			u := make([]uint16, n)
			for i := range u {
				u[i] = le.Uint16(b[2*i:])
			}
			return string(utf16.Decode(u)), true
		case object.RepThin:
			v = w.word(a + nm.thinActual)
		default:
			return "", false
		}
	}
	return "", false
}

func latin1(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// functionName names a JSFunction by its SharedFunctionInfo ("" when
// anonymous).
func (w *walker) functionName(fn uint64) string {
	sfi := w.word(fn - 1 + uint64(w.names.sfiOff))
	return w.sfiName(sfi)
}

func (w *walker) sfiName(sfi uint64) string {
	n := w.names
	n.mu.Lock()
	s, ok := n.sfis[sfi]
	n.mu.Unlock()
	if ok {
		return s
	}
	s = w.readSFIName(sfi)
	n.mu.Lock()
	n.sfis[sfi] = s
	n.mu.Unlock()
	return s
}

func (w *walker) readSFIName(sfi uint64) string {
	if sfi&3 != 1 {
		return ""
	}
	s, err := w.h.SFIName(object.Value(sfi))
	if err != nil {
		return ""
	}
	return s
}

// dictKeys lists the keys of a dictionary-mode object's NameDictionary
// (or the global object's GlobalDictionary), sorted.
func (w *walker) dictKeys(obj uint64) []string {
	n := w.names
	d := w.word(obj + uint64(n.propsOff))
	if d&3 != 1 {
		return nil
	}
	da := d - 1
	l := int64(w.word(da+n.fixedLen)) >> n.smiShift
	if l <= 0 || l > 1<<24 {
		return nil
	}
	var keys []string
	for i := n.dictPrefix; i+n.dictES <= l; i += n.dictES {
		k := w.word(da + n.fixedData + uint64(8*i))
		if k&3 != 1 {
			continue
		}
		t := w.typeOf(k)
		if t < 0 || (t >= n.firstNonString && t != n.symbol) {
			continue
		}
		keys = append(keys, w.keyName(k))
	}
	sort.Strings(keys)
	return keys
}

func joinProps(p []string) string { return strings.Join(p, "\x00") }
