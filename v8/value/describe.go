package value

import (
	"fmt"
	"github.com/ndb-debugger/ndb/v8/layout"
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
	// MaxItems is how many elements / entries of one array, typed array,
	// Map or Set are shown (the rest are counted): ::jsprint -n. 0 means
	// DefaultMaxItems, < 0 means all.
	MaxItems int
	// MaxBytes is how many bytes of a Buffer or ArrayBuffer are shown
	// (::jsprint -n). 0 means DefaultMaxBytes, < 0 means all.
	MaxBytes int
	// Addresses shows the address of every heap value (::jsprint -a).
	Addresses bool
	// MaxNodes bounds the whole output; 0 means DefaultMaxNodes.
	MaxNodes int
	// PromiseReactions, when set, lists who waits on a pending promise
	// (the async chain reader knows; this package only prints them), with
	// a note when the list stopped early.
	PromiseReactions func(p Value) ([]Reaction, string)
	// AsyncFunction, when set, describes an async function or async
	// generator object: its state ("suspended", "executing", "closed") and,
	// when suspended, where ("async step (/app.js:14:10)").
	AsyncFunction func(g Value) (state, at string)
}

// Defaults of Options.
const (
	DefaultDepth     = 2
	DefaultMaxString = 256
	DefaultMaxItems  = 100 // as Node's util.inspect (maxArrayLength)
	DefaultMaxBytes  = 50  // as Node's buffer.INSPECT_MAX_BYTES
	DefaultMaxNodes  = 200000
)

// DefaultOptions are ::jsprint's defaults.
func DefaultOptions() Options {
	return Options{Depth: DefaultDepth, MaxString: DefaultMaxString, MaxItems: DefaultMaxItems, MaxBytes: DefaultMaxBytes, MaxNodes: DefaultMaxNodes}
}

func (o *Options) norm() {
	if o.MaxString == 0 {
		o.MaxString = DefaultMaxString
	}
	if o.MaxItems == 0 {
		o.MaxItems = DefaultMaxItems
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
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
	KString      Kind = "string" // String
	KBigInt      Kind = "bigint" // BigInt
	KBool        Kind = "boolean"
	KUndefined   Kind = "undefined"
	KNull        Kind = "null"
	KHole        Kind = "hole"
	KSymbol      Kind = "symbol" // Symbol
	KObject      Kind = "object" // Props
	KArray       Kind = "array"  // Length, Elems (Sparse: only present indices)
	KFunction    Kind = "function"
	KMap         Kind = "map" // Entries
	KSet         Kind = "set"
	KWeakMap     Kind = "weakmap"
	KWeakSet     Kind = "weakset"
	KDate        Kind = "date"        // Date, Num
	KRegExp      Kind = "regexp"      // RegExp
	KArrayBuffer Kind = "arraybuffer" // Buffer, Length
	KTypedArray  Kind = "typedarray"  // Buffer (with its ElementType), Length
	KPromise     Kind = "promise"
	KBoxed       Kind = "boxed" // Slots[0] = [[PrimitiveValue]]
	KProxy       Kind = "proxy"
	KWeakRef     Kind = "weakref"
	KGlobal      Kind = "global"
	KInternal    Kind = "internal"  // a V8 internal object: InternalType
	KCircular    Kind = "circular"  // a reference to an enclosing value
	KTruncated   Kind = "truncated" // past the depth limit
	KError       Kind = "error"     // could not be decoded: Err
	KReaction    Kind = "reaction"  // one waiter on a pending promise: Reaction
)

// Node is a decoded JavaScript value, the common form behind the text and
// JSON printers. Kind says which of the payload fields below hold it; each
// field means one thing.
type Node struct {
	Kind Kind
	Addr Value // the tagged value (0 for Smis)
	Ctor string
	Err  string // KError: why the value could not be decoded

	Num          float64        // KNumber; KDate: milliseconds since the epoch
	Bool         bool           // KBool
	String       *StringPayload // KString
	BigInt       string         // KBigInt: the decimal digits
	Symbol       string         // KSymbol: the description
	Date         string         // KDate: ISO text
	RegExp       string         // KRegExp: /source/flags
	InternalType string         // KInternal: the V8 type ("SHARED_FUNCTION_INFO_TYPE")
	Buffer       *BufferPayload // KArrayBuffer, KTypedArray
	Reaction     *Reaction      // KReaction

	Props   []NodeProp // own named properties
	Length  int64      // arrays, typed arrays, array buffers
	Elems   []NodeElem
	Sparse  bool
	More    int // elements, entries or bytes not shown
	Entries []NodeEntry
	Slots   []NodeProp // internal slots: [[PromiseState]], [[Target]], ...
	Fn      *object.FunctionInfo
}

// StringPayload is a string, maybe cut.
type StringPayload struct {
	Text   string
	Length int // the full length, in UTF-16 code units
}

// Reaction is one waiter on a pending promise: an async function
// suspended at an await of it, a combinator, a then or catch handler, or
// another promise it settles.
type Reaction struct {
	Kind     string // "await", "combinator", "then", "catch", "chain"
	Function string // the awaiting function or the handler, as stack traces name it ("" for chain)
	Script   string
	Line     int // of the await, or of the handler's definition; 0 when unknown
	Column   int
	Object   Value // the suspended generator object, the handler, or the promise it settles
}

// Text is the reaction in one line: "await step (/app.js:14:10)",
// "then onReady (/app.js:31:13)", "chain → 0x…".
func (r *Reaction) Text() string {
	s := r.Kind
	if r.Function != "" {
		s += " " + r.Function
	}
	switch {
	case r.Line > 0:
		s += fmt.Sprintf(" (%s:%d:%d)", r.Script, r.Line, r.Column)
	case r.Script != "":
		s += " (" + r.Script + ")"
	}
	if r.Object != 0 {
		s += fmt.Sprintf(" %#x", uint64(r.Object))
	}
	return s
}

// BufferPayload is the backing store of an ArrayBuffer or a typed array.
type BufferPayload struct {
	Data        uint64 // address of the bytes
	Bytes       []byte // the first bytes (at most MaxBytes; typed arrays MaxItems elements)
	ElementType string // typed arrays: "Uint8", "Float64"...; "" for an ArrayBuffer
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
	h        *object.Heap
	o        Options
	stack    map[Value]bool
	nodes    int
	ctorMap  map[Value]string
	decoders map[int]decoder
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
		return &Node{Kind: KString, Addr: v, String: &StringPayload{Text: s, Length: n}}
	case t == md.Types.HeapNumber:
		f, _ := h.Number(v)
		return &Node{Kind: KNumber, Addr: v, Num: f}
	case t == md.Types.BigInt:
		s, err := h.BigInt(v)
		if err != nil {
			return errNode(v, err)
		}
		return &Node{Kind: KBigInt, Addr: v, BigInt: s}
	case t == md.Types.Symbol:
		s, _, err := h.SymbolDescription(v)
		if err != nil {
			return errNode(v, err)
		}
		return &Node{Kind: KSymbol, Addr: v, Symbol: s}
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
		return &Node{Kind: KInternal, Addr: v, InternalType: "oddball"}
	case !h.IsJSReceiverType(t):
		return &Node{Kind: KInternal, Addr: v, InternalType: h.TypeNameOf(t)}
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

// decoder fills in node n of a JS object of one instance type. props says
// whether the object's named properties follow; an error makes n a KError.
type decoder func(d *describer, n *Node, v Value, mi *object.MapInfo, level int) (props bool, err error)

// decoders returns the decoder of each instance type that is not a plain
// object, for this core's type numbers.
func decoders(t *layout.Types) map[int]decoder {
	m := map[int]decoder{
		t.JSBoundFunction:        (*describer).function,
		t.JSArray:                (*describer).array,
		t.JSMap:                  (*describer).collection,
		t.JSSet:                  (*describer).collection,
		t.JSWeakMap:              (*describer).weakCollection,
		t.JSWeakSet:              (*describer).weakCollection,
		t.JSDate:                 (*describer).date,
		t.JSRegExp:               (*describer).regExp,
		t.JSArrayBuffer:          (*describer).arrayBuffer,
		t.JSTypedArray:           (*describer).typedArray,
		t.JSPromise:              (*describer).promise,
		t.JSAsyncFunctionObject:  (*describer).asyncFunction,
		t.JSAsyncGeneratorObject: (*describer).asyncFunction,
		t.JSPrimitiveWrapper:     (*describer).boxed,
		t.JSProxy:                (*describer).proxy,
		t.JSWeakRef:              (*describer).weakRef,
		t.JSGlobalProxy:          (*describer).globalProxy,
		t.JSGlobalObject:         (*describer).globalObject,
	}
	delete(m, -1) // types this V8 does not have
	return m
}

func (d *describer) decoderFor(t int) decoder {
	if d.h.IsFunctionType(t) {
		return (*describer).function
	}
	if d.decoders == nil {
		d.decoders = decoders(&d.h.Layout.Types)
	}
	return d.decoders[t]
}

func (d *describer) object(n *Node, v Value, mi *object.MapInfo, level int) {
	t := mi.InstanceType
	n.Kind = KObject
	props := true
	if dec := d.decoderFor(t); dec != nil {
		var err error
		if props, err = dec(d, n, v, mi, level); err != nil {
			n.Kind, n.Err = KError, err.Error()
			return
		}
	}
	if n.Kind == KObject {
		d.indexedProperties(n, v, level)
	}
	if props {
		d.namedProperties(n, v, t, level)
	}
}

func (d *describer) function(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KFunction
	fi, err := d.h.Function(v)
	if err != nil {
		return false, err
	}
	n.Fn = fi
	if fi.Bound {
		n.Slots = append(n.Slots, NodeProp{Name: "[[TargetFunction]]", Val: d.value(fi.BoundTarget, level+1)},
			NodeProp{Name: "[[BoundThis]]", Val: d.value(fi.BoundThis, level+1)})
		for i, a := range fi.BoundArgs {
			n.Slots = append(n.Slots, NodeProp{Name: fmt.Sprintf("[[BoundArgs]][%d]", i), Val: d.value(a, level+1)})
		}
	}
	return false, nil
}

func (d *describer) array(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KArray
	ln, err := d.h.ArrayLength(v)
	if err != nil {
		return false, err
	}
	n.Length = ln
	d.elements(n, v, int(min(ln, object.MaxElements)), level)
	return true, nil
}

func (d *describer) collection(n *Node, v Value, mi *object.MapInfo, level int) (bool, error) {
	n.Kind = KMap
	if mi.InstanceType == d.h.Layout.Types.JSSet {
		n.Kind = KSet
	}
	keys, vals, total, err := d.h.CollectionEntries(v, d.o.MaxItems)
	if err != nil {
		return false, err
	}
	d.entries(n, keys, vals, total, level)
	return true, nil
}

func (d *describer) weakCollection(n *Node, v Value, mi *object.MapInfo, level int) (bool, error) {
	n.Kind = KWeakMap
	if mi.InstanceType == d.h.Layout.Types.JSWeakSet {
		n.Kind = KWeakSet
	}
	keys, vals, total, err := d.h.WeakCollectionEntries(v, d.o.MaxItems)
	if err != nil {
		return false, err
	}
	if n.Kind == KWeakSet {
		vals = nil
	}
	d.entries(n, keys, vals, total, level)
	return true, nil
}

func (d *describer) date(n *Node, v Value, _ *object.MapInfo, _ int) (bool, error) {
	n.Kind = KDate
	ms, err := d.h.DateValue(v)
	if err != nil {
		return false, err
	}
	n.Num, n.Date = ms, object.FormatDate(ms)
	return true, nil
}

func (d *describer) regExp(n *Node, v Value, _ *object.MapInfo, _ int) (bool, error) {
	n.Kind = KRegExp
	src, flags, err := d.h.RegExp(v)
	if err != nil {
		return false, err
	}
	n.RegExp = "/" + src + "/" + flags
	return false, nil
}

func (d *describer) arrayBuffer(n *Node, v Value, _ *object.MapInfo, _ int) (bool, error) {
	n.Kind = KArrayBuffer
	data, ln, err := d.h.ArrayBuffer(v)
	if err != nil {
		return false, err
	}
	n.Length = int64(ln)
	n.Buffer = &BufferPayload{Data: data}
	n.Buffer.Bytes, n.More = d.bytes(data, ln, d.o.MaxBytes)
	return false, nil
}

func (d *describer) typedArray(n *Node, v Value, _ *object.MapInfo, _ int) (bool, error) {
	n.Kind = KTypedArray
	ta, err := d.h.ReadTypedArray(v)
	if err != nil {
		return false, err
	}
	n.Length = int64(ta.ByteLength)
	n.Buffer = &BufferPayload{Data: ta.Data, ElementType: typedElementType(n.Ctor)}
	// Buffers show bytes; other typed arrays elements, as Node does.
	limit := d.o.MaxBytes
	if sz := typedSize(n.Buffer.ElementType); sz > 0 && !isBuffer(n.Ctor) {
		limit = d.o.MaxItems
		if limit > 0 {
			limit *= sz
		}
	}
	n.Buffer.Bytes, n.More = d.bytes(ta.Data, ta.ByteLength, limit)
	return false, nil
}

func (d *describer) promise(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KPromise
	st, res, err := d.h.Promise(v)
	if err != nil {
		return false, err
	}
	state := st.String()
	n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseState]]", Val: &Node{Kind: KString, String: &StringPayload{Text: state, Length: len(state)}}})
	if st != object.Pending {
		n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseResult]]", Val: d.value(res, level+1)})
		return true, nil
	}
	if d.o.PromiseReactions == nil {
		return true, nil
	}
	rs, note := d.o.PromiseReactions(v)
	if len(rs) == 0 && note == "" {
		return true, nil // nobody waits on it (yet)
	}
	list := &Node{Kind: KArray, Length: int64(len(rs))}
	for i := range rs {
		if i >= d.o.MaxItems {
			list.More = len(rs) - i
			break
		}
		list.Elems = append(list.Elems, NodeElem{Index: int64(i), Val: &Node{Kind: KReaction, Reaction: &rs[i]}})
	}
	n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseReactions]]", Val: list})
	if note != "" {
		n.Slots = append(n.Slots, NodeProp{Name: "[[PromiseReactionsNote]]", Val: &Node{Kind: KString, String: &StringPayload{Text: note, Length: len(note)}}})
	}
	return true, nil
}

func (d *describer) asyncFunction(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	if d.o.AsyncFunction == nil {
		return true, nil
	}
	state, at := d.o.AsyncFunction(v)
	str := func(s string) *Node { return &Node{Kind: KString, String: &StringPayload{Text: s, Length: len(s)}} }
	n.Slots = append(n.Slots, NodeProp{Name: "[[AsyncFunctionState]]", Val: str(state)})
	if at != "" {
		n.Slots = append(n.Slots, NodeProp{Name: "[[SuspendedAt]]", Val: str(at)})
	}
	return true, nil
}

func (d *describer) boxed(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KBoxed
	pv, err := d.h.PrimitiveValue(v)
	if err != nil {
		return false, err
	}
	n.Slots = append(n.Slots, NodeProp{Name: "[[PrimitiveValue]]", Val: d.value(pv, level+1)})
	return false, nil
}

func (d *describer) proxy(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KProxy
	tg, hd, err := d.h.Proxy(v)
	if err != nil {
		return false, err
	}
	n.Ctor = "Proxy"
	n.Slots = append(n.Slots, NodeProp{Name: "[[Target]]", Val: d.value(tg, level+1)},
		NodeProp{Name: "[[Handler]]", Val: d.value(hd, level+1)})
	return false, nil
}

func (d *describer) weakRef(n *Node, v Value, _ *object.MapInfo, level int) (bool, error) {
	n.Kind = KWeakRef
	tg, err := d.h.WeakRefTarget(v)
	if err != nil {
		return false, err
	}
	n.Slots = append(n.Slots, NodeProp{Name: "[[Target]]", Val: d.value(tg, level+1)})
	return true, nil
}

// globalProxy: the proxy's hidden prototype is the JSGlobalObject that
// holds the globals.
func (d *describer) globalProxy(n *Node, _ Value, mi *object.MapInfo, level int) (bool, error) {
	h := d.h
	n.Kind = KGlobal
	n.Ctor = "global"
	if g := mi.Prototype; h.IsHeapObject(g) {
		if gt, err := h.InstanceType(g); err == nil && gt == h.Layout.Types.JSGlobalObject {
			if gm, err := h.MapOf(g); err == nil {
				d.object(n, g, gm, level)
				n.Ctor = "global"
			}
		}
	}
	return false, nil
}

func (d *describer) globalObject(n *Node, _ Value, _ *object.MapInfo, _ int) (bool, error) {
	n.Kind = KGlobal
	if n.Ctor == "" {
		n.Ctor = "global"
	}
	return true, nil
}

// indexedProperties adds the elements of plain objects ({0: 'a'}) and
// arguments objects as properties.
func (d *describer) indexedProperties(n *Node, v Value, level int) {
	els, err := d.h.Elements(v, -1, d.o.MaxItems)
	if err != nil || len(els.Elements) == 0 {
		return
	}
	for _, e := range els.Elements {
		if e.Hole {
			continue
		}
		n.Props = append(n.Props, NodeProp{Name: strconv.FormatInt(e.Index, 10), Val: d.element(e, level)})
	}
}

// namedProperties adds the own named properties; an Error's stack string,
// kept under a private symbol, comes last as "stack".
func (d *describer) namedProperties(n *Node, v Value, t, level int) {
	h := d.h
	props, err := h.Properties(v)
	if err != nil {
		n.Props = append(n.Props, NodeProp{Name: "$error", Val: errNode(v, err)})
		return
	}
	isError := t == h.Layout.Types.JSError
	var stack, message Value
	for _, p := range props {
		if p.Name == "message" && !p.IsSymbol {
			message = p.Value
		}
	}
	for _, p := range props {
		if p.Private {
			// Errors keep their materialized stack string under a private
			// symbol (error_stack_symbol).
			if isError && stack == 0 && p.Value != message && h.IsString(p.Value) {
				stack = p.Value
			}
			continue
		}
		if p.Native || (isError && p.Name == "stack" && p.Accessor) {
			continue
		}
		n.Props = append(n.Props, d.property(p, level))
	}
	if stack != 0 {
		n.Props = append(n.Props, NodeProp{Name: "stack", Val: d.value(stack, level+1)})
	}
}

func (d *describer) property(p object.Property, level int) NodeProp {
	np := NodeProp{Name: p.Name, Symbol: p.IsSymbol}
	if !p.Accessor {
		np.Val = d.value(p.Value, level+1)
		return np
	}
	np.Accessor = true
	if d.h.IsFunction(p.Getter) {
		np.Get = d.value(p.Getter, level+1)
	}
	if d.h.IsFunction(p.Setter) {
		np.Set = d.value(p.Setter, level+1)
	}
	return np
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

// bytes reads the first limit (< 0: all) of the n bytes at addr and
// counts the rest.
func (d *describer) bytes(addr, n uint64, limit int) ([]byte, int) {
	show := n
	if limit >= 0 {
		show = min(n, uint64(limit))
	}
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
	if isBuffer(ctor) {
		return "Uint8"
	}
	return ""
}

func isBuffer(ctor string) bool { return ctor == "Buffer" || ctor == "FastBuffer" }

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
