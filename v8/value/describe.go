package value

import (
	"fmt"
	"github.com/ndb-debugger/ndb/v8/object"
	"math"
	"strconv"
	"strings"
)

// Options control how a value is described.
type Options struct {
	// Depth is how many levels of nesting below the value are expanded
	// (::jsprint -d); deeper objects print as [Object]. Default 2; use
	// Options.Depth < 0 for 0 levels... see DefaultOptions.
	Depth int
	// MaxString cuts strings to this many characters (::jsprint -N);
	// 0 means DefaultMaxString, < 0 means no limit.
	MaxString int
	// MaxItems is how many elements / entries of one array, Map or Set
	// are shown (the rest are counted). 0 means DefaultMaxItems.
	MaxItems int
	// Addresses shows the address of every heap value (::jsprint -a).
	Addresses bool
	// MaxNodes bounds the whole output; 0 means DefaultMaxNodes.
	MaxNodes int
}

// Defaults of Options.
const (
	DefaultDepth     = 2
	DefaultMaxString = 256
	DefaultMaxItems  = 1000
	DefaultMaxNodes  = 200000
)

// DefaultOptions are ::jsprint's defaults.
func DefaultOptions() Options {
	return Options{Depth: DefaultDepth, MaxString: DefaultMaxString, MaxItems: DefaultMaxItems, MaxNodes: DefaultMaxNodes}
}

func (o *Options) norm() {
	if o.MaxString == 0 {
		o.MaxString = DefaultMaxString
	}
	if o.MaxItems <= 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = DefaultMaxNodes
	}
}

// Kind classifies a described value.
type Kind string

// The kinds of Node.
const (
	KNumber      Kind = "number" // Num (Smi or HeapNumber)
	KString      Kind = "string" // Str (maybe cut: StrLen is the full length)
	KBigInt      Kind = "bigint" // Str holds the decimal digits
	KBool        Kind = "boolean"
	KUndefined   Kind = "undefined"
	KNull        Kind = "null"
	KHole        Kind = "hole"
	KSymbol      Kind = "symbol" // Str holds the description
	KObject      Kind = "object" // Props
	KArray       Kind = "array"  // Length, Elems (Sparse: only present indices)
	KFunction    Kind = "function"
	KMap         Kind = "map" // Entries
	KSet         Kind = "set"
	KWeakMap     Kind = "weakmap"
	KWeakSet     Kind = "weakset"
	KDate        Kind = "date"   // Str ISO text
	KRegExp      Kind = "regexp" // Str /src/flags
	KArrayBuffer Kind = "arraybuffer"
	KTypedArray  Kind = "typedarray" // Bytes, Length, Elems decoded numbers
	KPromise     Kind = "promise"
	KBoxed       Kind = "boxed" // Slots[0] = [[PrimitiveValue]]
	KProxy       Kind = "proxy"
	KWeakRef     Kind = "weakref"
	KGlobal      Kind = "global"
	KInternal    Kind = "internal"  // a V8 internal object (Str: its type)
	KCircular    Kind = "circular"  // a reference to an enclosing value
	KTruncated   Kind = "truncated" // past the depth limit
	KError       Kind = "error"     // could not be decoded: Err
)

// Node is a decoded JavaScript value, the common form behind the text and
// JSON printers.
type Node struct {
	Kind   Kind
	Addr   Value // the tagged value (0 for Smis)
	Ctor   string
	Num    float64
	Str    string
	StrLen int // strings: full length
	Bool   bool
	Err    string

	Props   []NodeProp // own named properties
	Length  int64      // arrays, typed arrays, array buffers
	Elems   []NodeElem
	Sparse  bool
	More    int // elements or entries not shown
	Entries []NodeEntry
	Slots   []NodeProp // internal slots: [[PromiseState]], [[Target]], ...
	Bytes   []byte     // buffers (at most MaxItems bytes)
	Fn      *object.FunctionInfo
	Data    uint64 // buffers: address of the bytes
	Kind2   string // typed arrays: the element type ("Uint8"); errors: the message
}

// NodeProp is one property of an object node.
type NodeProp struct {
	Name     string
	Symbol   bool
	Val      *Node
	Accessor bool
	Get, Set *Node
}

// NodeElem is one element.
type NodeElem struct {
	Index int64
	Val   *Node
}

// NodeEntry is one Map/Set entry (Set: Key only).
type NodeEntry struct{ Key, Val *Node }

type describer struct {
	h       *object.Heap
	o       Options
	stack   map[Value]bool
	nodes   int
	ctorMap map[Value]string
}

// Describe decodes value v into a Node tree, bounded by the options.
// Failures to decode a part become KError nodes; it never panics on bad
// memory (every read is checked).
func Describe(h *object.Heap, v Value, o Options) *Node {
	o.norm()
	d := &describer{h: h, o: o, stack: map[Value]bool{}, ctorMap: map[Value]string{}}
	return d.value(v, 0)
}

func errNode(v Value, err error) *Node {
	return &Node{Kind: KError, Addr: v, Err: err.Error()}
}

func (d *describer) value(v Value, level int) *Node {
	h := d.h
	d.nodes++
	if d.nodes > d.o.MaxNodes {
		return &Node{Kind: KTruncated, Addr: v}
	}
	if h.IsSmi(v) {
		return &Node{Kind: KNumber, Num: float64(h.SmiValue(v))}
	}
	if !h.IsHeapObject(v) {
		if h.IsWeak(v) {
			return errNode(v, fmt.Errorf("%#x is a weak reference", uint64(v)))
		}
		return errNode(v, fmt.Errorf("%#x is not a tagged value", uint64(v)))
	}
	mi, err := h.MapOf(v)
	if err != nil {
		return errNode(v, err)
	}
	t := mi.InstanceType
	md := h.Layout
	switch {
	case h.IsStringType(t):
		s, n, err := h.ReadString(v, d.o.MaxString)
		if err != nil {
			return errNode(v, err)
		}
		return &Node{Kind: KString, Addr: v, Str: s, StrLen: n}
	case t == md.Types.HeapNumber:
		f, _ := h.Number(v)
		return &Node{Kind: KNumber, Addr: v, Num: f}
	case t == md.Types.BigInt:
		s, err := h.BigInt(v)
		if err != nil {
			return errNode(v, err)
		}
		return &Node{Kind: KBigInt, Addr: v, Str: s}
	case t == md.Types.Symbol:
		s, _, err := h.SymbolDescription(v)
		if err != nil {
			return errNode(v, err)
		}
		return &Node{Kind: KSymbol, Addr: v, Str: s}
	case t == md.Types.Oddball || (t == md.Types.Hole && md.Types.Hole >= 0):
		switch h.OddballOf(v) {
		case object.Undefined:
			return &Node{Kind: KUndefined, Addr: v}
		case object.Null:
			return &Node{Kind: KNull, Addr: v}
		case object.True:
			return &Node{Kind: KBool, Addr: v, Bool: true}
		case object.False:
			return &Node{Kind: KBool, Addr: v}
		case object.TheHole:
			return &Node{Kind: KHole, Addr: v}
		}
		return &Node{Kind: KInternal, Addr: v, Str: "oddball"}
	case !h.IsJSReceiverType(t):
		return &Node{Kind: KInternal, Addr: v, Str: h.TypeNameOf(t)}
	}
	// A JS object.
	if d.stack[v] {
		return &Node{Kind: KCircular, Addr: v}
	}
	n := &Node{Addr: v}
	n.Ctor = d.ctorName(v, mi)
	if level > d.o.Depth && !d.leafObject(t) {
		n.Kind = KTruncated
		if h.IsFunctionType(t) || t == md.Types.JSBoundFunction {
			n.Kind = KFunction
			n.Fn, _ = h.Function(v)
		}
		return n
	}
	d.stack[v] = true
	defer delete(d.stack, v)
	d.object(n, v, mi, level)
	return n
}

// leafObject: kinds printed in full whatever the depth.
func (d *describer) leafObject(t int) bool {
	md := d.h.Layout
	return t == md.Types.JSDate || t == md.Types.JSRegExp
}

func (d *describer) ctorName(v Value, mi *object.MapInfo) string {
	if s, ok := d.ctorMap[mi.Addr]; ok {
		return s
	}
	s, _ := d.h.ConstructorName(v)
	d.ctorMap[mi.Addr] = s
	return s
}

func (d *describer) object(n *Node, v Value, mi *object.MapInfo, level int) {
	h := d.h
	md := h.Layout
	t := mi.InstanceType
	n.Kind = KObject
	withProps := true
	switch {
	case h.IsFunctionType(t) || t == md.Types.JSBoundFunction:
		n.Kind = KFunction
		fi, err := h.Function(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Fn = fi
		if fi.Bound {
			n.Slots = append(n.Slots, NodeProp{Name: "[[TargetFunction]]", Val: d.value(fi.BoundTarget, level+1)},
				NodeProp{Name: "[[BoundThis]]", Val: d.value(fi.BoundThis, level+1)})
			for i, a := range fi.BoundArgs {
				n.Slots = append(n.Slots, NodeProp{Name: fmt.Sprintf("[[BoundArgs]][%d]", i), Val: d.value(a, level+1)})
			}
		}
		withProps = false
	case t == md.Types.JSArray:
		n.Kind = KArray
		ln, err := h.ArrayLength(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Length = ln
		d.elements(n, v, int(min(ln, object.MaxElements)), level)
	case t == md.Types.JSMap || t == md.Types.JSSet:
		n.Kind = KMap
		if t == md.Types.JSSet {
			n.Kind = KSet
		}
		keys, vals, total, err := h.CollectionEntries(v, d.o.MaxItems)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		d.entries(n, keys, vals, total, level)
	case t == md.Types.JSWeakMap || t == md.Types.JSWeakSet:
		n.Kind = KWeakMap
		if t == md.Types.JSWeakSet {
			n.Kind = KWeakSet
		}
		keys, vals, total, err := h.WeakCollectionEntries(v, d.o.MaxItems)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		if n.Kind == KWeakSet {
			vals = nil
		}
		d.entries(n, keys, vals, total, level)
	case t == md.Types.JSDate:
		n.Kind = KDate
		ms, err := h.DateValue(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Num, n.Str = ms, object.FormatDate(ms)
	case t == md.Types.JSRegExp:
		n.Kind = KRegExp
		src, flags, err := h.RegExp(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Str = "/" + src + "/" + flags
		withProps = false
	case t == md.Types.JSArrayBuffer:
		n.Kind = KArrayBuffer
		data, ln, err := h.ArrayBuffer(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Data, n.Length = data, int64(ln)
		n.Bytes, n.More = d.bytes(data, ln)
		withProps = false
	case t == md.Types.JSTypedArray:
		n.Kind = KTypedArray
		ta, err := h.ReadTypedArray(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Data, n.Length = ta.Data, int64(ta.ByteLength)
		n.Bytes, n.More = d.bytes(ta.Data, ta.ByteLength)
		n.Kind2 = typedElementType(n.Ctor)
		withProps = false
	case t == md.Types.JSPromise:
		n.Kind = KPromise
		st, res, err := h.Promise(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseState]]", Val: &Node{Kind: KString, Str: st.String(), StrLen: len(st.String())}})
		if st != object.Pending {
			n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseResult]]", Val: d.value(res, level+1)})
		}
	case t == md.Types.JSPrimitiveWrapper:
		n.Kind = KBoxed
		pv, err := h.PrimitiveValue(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Slots = append(n.Slots, NodeProp{Name: "[[PrimitiveValue]]", Val: d.value(pv, level+1)})
		withProps = false
	case t == md.Types.JSProxy:
		n.Kind = KProxy
		tg, hd, err := h.Proxy(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Ctor = "Proxy"
		n.Slots = append(n.Slots, NodeProp{Name: "[[Target]]", Val: d.value(tg, level+1)},
			NodeProp{Name: "[[Handler]]", Val: d.value(hd, level+1)})
		withProps = false
	case t == md.Types.JSWeakRef:
		n.Kind = KWeakRef
		tg, err := h.WeakRefTarget(v)
		if err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
		n.Slots = append(n.Slots, NodeProp{Name: "[[Target]]", Val: d.value(tg, level+1)})
	case t == md.Types.JSGlobalProxy:
		// The proxy's hidden prototype is the JSGlobalObject that holds
		// the globals.
		n.Kind = KGlobal
		n.Ctor = "global"
		withProps = false
		if g := mi.Prototype; h.IsHeapObject(g) {
			if gt, err := h.InstanceType(g); err == nil && gt == md.Types.JSGlobalObject {
				if gm, err := h.MapOf(g); err == nil {
					d.object(n, g, gm, level)
					n.Ctor = "global"
				}
			}
		}
	case t == md.Types.JSGlobalObject:
		n.Kind = KGlobal
		if n.Ctor == "" {
			n.Ctor = "global"
		}
	}
	if n.Kind == KObject && t != md.Types.JSArray {
		// Elements of plain objects ({0: 'a'}) and arguments objects.
		if els, err := h.Elements(v, -1, d.o.MaxItems); err == nil && len(els.Elements) > 0 {
			for _, e := range els.Elements {
				if e.Hole {
					continue
				}
				n.Props = append(n.Props, NodeProp{Name: strconv.FormatInt(e.Index, 10), Val: d.element(e, level)})
			}
		}
	}
	if withProps {
		props, err := h.Properties(v)
		if err != nil {
			n.Props = append(n.Props, NodeProp{Name: "$error", Val: errNode(v, err)})
			return
		}
		var stack Value
		var message Value
		for _, p := range props {
			if p.Name == "message" && !p.IsSymbol {
				message = p.Value
			}
		}
		for _, p := range props {
			if p.Private {
				// Errors keep their materialized stack string under a private
				// symbol (error_stack_symbol).
				if t == md.Types.JSError && stack == 0 && p.Value != message && h.IsString(p.Value) {
					stack = p.Value
				}
				continue
			}
			if p.Native || (t == md.Types.JSError && p.Name == "stack" && p.Accessor) {
				continue
			}
			np := NodeProp{Name: p.Name, Symbol: p.IsSymbol}
			if p.Accessor {
				np.Accessor = true
				if h.IsFunction(p.Getter) {
					np.Get = d.value(p.Getter, level+1)
				}
				if h.IsFunction(p.Setter) {
					np.Set = d.value(p.Setter, level+1)
				}
			} else {
				np.Val = d.value(p.Value, level+1)
			}
			n.Props = append(n.Props, np)
		}
		if stack != 0 {
			n.Props = append(n.Props, NodeProp{Name: "stack", Val: d.value(stack, level+1)})
		}
	}
}

func (d *describer) element(e object.Element, level int) *Node {
	switch {
	case e.Hole:
		return &Node{Kind: KHole}
	case e.IsDouble:
		return &Node{Kind: KNumber, Num: e.Num}
	}
	return d.value(e.Value, level+1)
}

func (d *describer) elements(n *Node, v Value, used, level int) {
	els, err := d.h.Elements(v, used, d.o.MaxItems)
	if err != nil {
		n.Elems = append(n.Elems, NodeElem{Index: -1, Val: errNode(v, err)})
		return
	}
	n.Sparse = els.Dictionary
	for _, e := range els.Elements {
		if n.Sparse && e.Index >= n.Length {
			continue
		}
		n.Elems = append(n.Elems, NodeElem{Index: e.Index, Val: d.element(e, level)})
	}
	if !n.Sparse {
		n.More = used - len(n.Elems)
		if int64(used) < n.Length {
			n.More += int(n.Length) - used
		}
	} else if els.Truncated {
		n.More = els.Length - len(n.Elems)
	}
}

func (d *describer) entries(n *Node, keys, vals []Value, total, level int) {
	n.Length = int64(total)
	for i, k := range keys {
		e := NodeEntry{Key: d.value(k, level+1)}
		if vals != nil {
			e.Val = d.value(vals[i], level+1)
		}
		n.Entries = append(n.Entries, e)
	}
	n.More = total - len(keys)
}

func (d *describer) bytes(addr, n uint64) ([]byte, int) {
	show := min(n, uint64(d.o.MaxItems))
	if show == 0 {
		return []byte{}, 0
	}
	b, err := d.h.Proc.Slice(addr, show)
	if err != nil {
		return nil, int(n)
	}
	return append([]byte(nil), b...), int(n - show)
}

func typedElementType(ctor string) string {
	for _, t := range []string{"Uint8Clamped", "BigUint64", "BigInt64", "Uint8", "Int8", "Uint16", "Int16", "Uint32", "Int32", "Float16", "Float32", "Float64"} {
		if ctor == t+"Array" {
			return t
		}
	}
	if ctor == "Buffer" || ctor == "FastBuffer" {
		return "Uint8"
	}
	return ""
}

// FormatNumber renders a number as JavaScript's Number.prototype.toString.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0"
	}
	a := math.Abs(f)
	if a >= 1e21 || a < 1e-6 && a != 0 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		sign := "+"
		if e < 0 {
			sign = "-"
			e = -e
		}
		return mant + "e" + sign + strconv.Itoa(e)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
