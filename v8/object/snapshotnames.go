package object

// Names of objects as V8's heap snapshot gives them
// (V8HeapExplorer::GetConstructorName, which is JSReceiver::GetConstructorName):
//
//  1. The map's constructor, when the map says the object was made with
//     new.target equal to that constructor (new_target_is_base) and the map
//     is not a prototype map, and its name is neither empty nor "Object".
//  2. Otherwise, from the object up its prototype chain: an own data
//     property Symbol.toStringTag holding a string, or (on the prototypes,
//     not the object itself) an own data property "constructor" holding a
//     function whose name is neither empty nor "Object".
//  3. Otherwise the class name of the instance type ("Object", "Array",
//     "Map", ...).
//
// So `class AdminSession extends Session` names its instances AdminSession
// (their map's constructor is Session, new.target was AdminSession), Node's
// Buffers are Buffer (FastBuffer.prototype.constructor is Buffer), and a
// prototype object is named after the constructor of its own prototype.

// BadChainName names an object whose prototype chain cannot be followed:
// an unreadable map or prototype, a loop, or a chain longer than
// MaxProtoChain. V8 itself never has such a chain; the core is damaged.
const BadChainName = "(bad prototype chain)"

// MaxProtoChain bounds the prototype objects walked for one name.
const MaxProtoChain = 256

const toStringTagKey = "Symbol(Symbol.toStringTag)"

// HasOwnStringTag reports whether a list of own property names (as the
// census keeps them) holds Symbol.toStringTag: the object's own property
// may name it, so it is named object by object.
func HasOwnStringTag(names []string) bool {
	for _, n := range names {
		if n == toStringTagKey {
			return true
		}
	}
	return false
}

// SnapshotName names the JS object obj as V8's heap snapshot does.
func (h *Heap) SnapshotName(obj Value) string {
	m, err := h.Map(obj)
	if err != nil {
		return BadChainName
	}
	return h.snapshotName(obj, m)
}

// NamedByObject reports whether objects of instance type t are named one
// by one (a primitive wrapper, by its value).
func (h *Heap) NamedByObject(t int) bool { return t == h.Layout.Types.JSPrimitiveWrapper }

// SnapshotMapName names the objects of map m as V8's heap snapshot does,
// for objects with no own Symbol.toStringTag property (see
// HasOwnStringTag) and not named by object (NamedByObject).
func (h *Heap) SnapshotMapName(m Value) string { return h.snapshotName(0, m) }

func (h *Heap) snapshotName(obj, m Value) string {
	mi, err := h.ReadMap(m)
	if err != nil {
		return BadChainName
	}
	if mi.InstanceType != h.Layout.Types.JSProxy && mi.NewTargetIsBase && !mi.PrototypeMap {
		if fn, ok, err := h.MapConstructor(m); err == nil && ok {
			if n := h.debugName(fn); n != "" && n != "Object" {
				return n
			}
		}
	}
	if obj != 0 {
		if tag, ok := h.ownStringTag(obj); ok {
			return tag
		}
	}
	name, ok := h.prototypeName(mi.Prototype)
	if !ok {
		return BadChainName
	}
	if name != "" {
		return name
	}
	return h.className(obj, mi.InstanceType)
}

// prototypeName is the name step 2 finds from prototype p up ("" when
// none does; ok false when the chain is broken). It is cached per
// prototype: every map with the same prototype gets the same answer.
func (h *Heap) prototypeName(p Value) (string, bool) {
	if !h.IsHeapObject(p) {
		return "", true
	}
	if v, ok := h.protoNames.Load(p); ok {
		r := v.(protoName)
		return r.name, r.ok
	}
	name, ok := h.walkPrototypes(p)
	h.protoNames.Store(p, protoName{name, ok})
	return name, ok
}

type protoName struct {
	name string
	ok   bool
}

func (h *Heap) walkPrototypes(p Value) (string, bool) {
	var seen []Value
	for len(seen) < MaxProtoChain {
		if !h.IsHeapObject(p) {
			return "", true // null: the end of the chain
		}
		for _, s := range seen {
			if s == p {
				return "", false
			}
		}
		seen = append(seen, p)
		mi, err := h.MapOf(p)
		if err != nil {
			return "", false
		}
		if !h.IsJSReceiverType(mi.InstanceType) {
			if h.isNull(p) {
				return "", true
			}
			return "", false
		}
		if mi.InstanceType == h.Layout.Types.JSProxy {
			return "", true // V8 reads no property through a proxy here; its map's prototype is null
		}
		props, err := h.Properties(p)
		if err != nil {
			return "", false
		}
		if tag, ok := h.stringTagIn(props); ok {
			return tag, true
		}
		for _, pr := range props {
			if pr.Name == "constructor" && !pr.IsSymbol && !pr.Accessor && h.IsHeapObject(pr.Value) {
				if t, err := h.InstanceType(pr.Value); err == nil && h.IsFunctionType(t) {
					if n := h.debugName(pr.Value); n != "" && n != "Object" {
						return n, true
					}
				}
				break
			}
		}
		p = mi.Prototype
	}
	return "", false
}

// ownStringTag is obj's own Symbol.toStringTag data property, if a string.
func (h *Heap) ownStringTag(obj Value) (string, bool) {
	props, err := h.Properties(obj)
	if err != nil {
		return "", false
	}
	return h.stringTagIn(props)
}

func (h *Heap) stringTagIn(props []Property) (string, bool) {
	for _, pr := range props {
		if pr.IsSymbol && pr.Name == toStringTagKey && !pr.Accessor && h.IsString(pr.Value) {
			s, err := h.StringValue(pr.Value)
			return s, err == nil
		}
	}
	return "", false
}

func (h *Heap) isNull(v Value) bool {
	it, err := h.InstanceType(v)
	if t := h.Layout.Types.Oddball; err != nil || t < 0 || it != t {
		return false
	}
	kind, err := h.Word(v, h.Layout.Oddball.Kind)
	return err == nil && h.IsSmi(kind) && h.SmiValue(kind) == h.Layout.Oddball.Null
}

// debugName is SharedFunctionInfo::DebugName of a function: its name.
// (V8 falls back to the inferred name of an anonymous function, which
// ndb does not read: such a function names nothing.)
func (h *Heap) debugName(fn Value) string {
	sfi, err := h.SharedInfo(fn)
	if err != nil {
		return ""
	}
	n, err := h.SFIName(sfi)
	if err != nil {
		return ""
	}
	return n
}

// classNames is JSReceiver::class_name for the instance types whose
// objects can end a chain without a named constructor.
var classNames = map[string]string{
	"JS_ARRAY_TYPE": "Array", "JS_ARRAY_BUFFER_TYPE": "ArrayBuffer", "JS_DATE_TYPE": "Date",
	"JS_ERROR_TYPE": "Error", "JS_MAP_TYPE": "Map", "JS_SET_TYPE": "Set", "JS_PROMISE_TYPE": "Promise",
	"JS_REG_EXP_TYPE": "RegExp", "JS_WEAK_MAP_TYPE": "WeakMap", "JS_WEAK_SET_TYPE": "WeakSet",
	"JS_WEAK_REF_TYPE": "WeakRef", "JS_DATA_VIEW_TYPE": "DataView", "JS_GLOBAL_PROXY_TYPE": "global", "JS_GLOBAL_OBJECT_TYPE": "global",
	"JS_ARGUMENTS_OBJECT_TYPE": "Arguments", "JS_MAP_KEY_ITERATOR_TYPE": "Map Iterator",
	"JS_SET_VALUE_ITERATOR_TYPE": "Set Iterator",
}

func (h *Heap) className(obj Value, t int) string {
	if h.IsFunctionType(t) {
		return "Function"
	}
	if t == h.Layout.Types.JSPrimitiveWrapper && obj != 0 {
		return h.wrapperClassName(obj)
	}
	if n, ok := classNames[h.Layout.Meta.TypeName(t)]; ok {
		return n
	}
	return "Object"
}

// wrapperClassName is the class name of a primitive wrapper: the type of
// the value it wraps.
func (h *Heap) wrapperClassName(obj Value) string {
	v, err := h.Word(obj, h.Layout.JSPrimitiveWrapper.Value)
	if err != nil {
		return "Object"
	}
	if h.IsSmi(v) {
		return "Number"
	}
	t, err := h.InstanceType(v)
	switch ty := h.Layout.Types; {
	case err != nil:
		return "Object"
	case h.IsStringType(t):
		return "String"
	case t == ty.HeapNumber:
		return "Number"
	case t == ty.BigInt:
		return "BigInt"
	case t == ty.Symbol:
		return "Symbol"
	case t == ty.Oddball:
		return "Boolean"
	}
	return "Object"
}
