package heap

import (
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
	Ctor     string   // constructor name (KindObject, KindArray)
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

	mu   sync.Mutex
	sfis map[uint64]string
}

func newNamer(w *walker) *namer {
	l := w.l
	n := &namer{w: w, sfis: map[uint64]string{}}
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
	return n
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
	mi := &MapInfo{Addr: a, Type: int(le.Uint16(b[12:]))}
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
		mi.Ctor = "Array"
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
	if mi.Kind == KindObject {
		// V8 names prototype objects "Object" (their map's constructor is
		// reset when they become prototypes; JSReceiver::GetConstructorName).
		mi.Ctor = "Object"
		if !mi.Proto {
			mi.Ctor = w.constructorName(a)
		}
	}
	mi.InObject = words - int(b[n.inobjStart])
	if !mi.Dict {
		own := int((int64(bf3) & n.ownMask) >> n.ownShift)
		desc := le.Uint64(b[n.descOff:])
		if own > 0 && desc&3 == 1 {
			mi.Props = w.descriptorKeys(desc-1, own)
		}
	}
	return mi
}

// descriptorKeys reads the first n keys of a DescriptorArray.
func (w *walker) descriptorKeys(d uint64, n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		k := w.word(d + uint64(w.names.descHeader) + uint64(i)*24)
		out = append(out, w.keyName(k))
	}
	return out
}

// keyName names a property key: a string, or a symbol.
func (w *walker) keyName(k uint64) string {
	if k&3 != 1 {
		return "<?>"
	}
	t := w.typeOf(k)
	if t == w.names.symbol {
		desc := w.word(k - 1 + 16)
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
	t, err := w.p.ReadU16(m - 1 + 12)
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
		a := v - 1
		n := int(int32(uint32(w.word(a+8) >> 32)))
		switch t & 7 {
		case 0: // sequential
			if n < 0 || n > 1<<20 {
				return "", false
			}
			if n > max {
				n = max
			}
			if t&8 != 0 {
				b, err := w.p.Slice(a+16, uint64(n))
				if err != nil {
					return "", false
				}
				return latin1(b), true
			}
			b, err := w.p.Slice(a+16, uint64(2*n))
			if err != nil {
				return "", false
			}
			u := make([]uint16, n)
			for i := range u {
				u[i] = le.Uint16(b[2*i:])
			}
			return string(utf16.Decode(u)), true
		case 5: // thin
			v = w.word(a + 16)
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

// constructorName follows the map's back pointers to the root map, whose
// slot holds the constructor, and names it.
func (w *walker) constructorName(m uint64) string {
	c := w.word(m + uint64(w.names.ctorOff))
	for i := 0; i < 64 && c&3 == 1; i++ {
		mm := w.word(c - 1)
		if mm&3 != 1 || !w.isMetaMap(mm-1) {
			break
		}
		c = w.word(c - 1 + uint64(w.names.ctorOff))
	}
	if c&3 != 1 {
		return "Object"
	}
	t := w.typeOf(c)
	n := w.names
	if t >= n.firstFn && t <= n.lastFn {
		if s := w.functionName(c); s != "" {
			return s
		}
	}
	return "Object"
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
	l := int64(w.word(da+8)) >> 32
	if l <= 0 || l > 1<<24 {
		return nil
	}
	var keys []string
	for i := n.dictPrefix; i+n.dictES <= l; i += n.dictES {
		k := w.word(da + 16 + uint64(8*i))
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
