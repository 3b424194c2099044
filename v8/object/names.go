package object

import "strings"

// Names of functions, receivers and scripts.

// SharedOf returns a JSFunction's SharedFunctionInfo.
func (h *Heap) SharedOf(fn Value) (Value, error) { return h.Word(fn, h.Layout.JSFunction.Shared) }

// ReceiverTypeName is the receiver's constructor name, as call sites use
// it for method calls ("Timeout", "process", "Array").
func (h *Heap) ReceiverTypeName(v Value) string {
	if h.IsSmi(v) {
		return "Number"
	}
	n, err := h.ConstructorName(v)
	if err != nil {
		return ""
	}
	return n
}

// MethodName is the method name V8's call sites give a call of fn on recv
// (CallSiteInfo::GetMethodName): fn's own name, less a "get " or "set "
// prefix, when looking that name up on the receiver and its prototypes
// finds fn (as a value, getter or setter); else the one enumerable,
// string-keyed property of the receiver or its prototypes that holds fn;
// "" when there is none, or several with different names.
func (h *Heap) MethodName(recv, fn Value, fnName string) string {
	name := strings.TrimPrefix(strings.TrimPrefix(fnName, "get "), "set ")
	if name != "" && h.lookupHolds(recv, name, fn) {
		return name
	}
	found, several := "", false
	h.eachPrototype(recv, func(props []Property) bool {
		for _, p := range props {
			if p.IsSymbol || p.Private || !p.Enumerable || !holds(p, fn) {
				continue
			}
			if found != "" && found != p.Name {
				several = true
				return false
			}
			found = p.Name
		}
		return true
	})
	if several {
		return ""
	}
	return found
}

// holds reports whether a property's value, getter or setter is fn.
func holds(p Property, fn Value) bool {
	if p.Accessor {
		return p.Getter == fn || p.Setter == fn
	}
	return !p.Native && p.Value == fn
}

// lookupHolds looks name up on obj and its prototypes as a property get
// does, and reports whether the property it finds holds fn.
func (h *Heap) lookupHolds(obj Value, name string, fn Value) bool {
	result := false
	h.eachPrototype(obj, func(props []Property) bool {
		for _, p := range props {
			if !p.IsSymbol && p.Name == name {
				result = holds(p, fn)
				return false
			}
		}
		return true
	})
	return result
}

// maxPrototypeDepth bounds a prototype chain walk (a hostile core can
// make a cycle).
const maxPrototypeDepth = 64

// eachPrototype calls visit with the own properties of obj and of each of
// its prototypes, until visit returns false or the chain ends.
func (h *Heap) eachPrototype(obj Value, visit func([]Property) bool) {
	for depth := 0; depth < maxPrototypeDepth && h.IsHeapObject(obj); depth++ {
		props, err := h.Properties(obj)
		if err != nil || !visit(props) {
			return
		}
		mi, err := h.MapOf(obj)
		if err != nil {
			return
		}
		obj = mi.Prototype
	}
}

// ScriptOf returns the Script of a SharedFunctionInfo (ok false for
// builtins and native functions without one).
func (h *Heap) ScriptOf(sfi Value) (Value, bool) {
	s, err := h.Word(sfi, h.Layout.SharedFunctionInfo.Script)
	if err != nil || !h.IsHeapObject(s) {
		return 0, false
	}
	it, err := h.InstanceType(s)
	if t := h.Layout.Types.Script; err != nil || t < 0 || it != t {
		return 0, false
	}
	return s, true
}

// ComputeLineEnds finds line terminators as V8 does (\n, \r not followed
// by \n, U+2028, U+2029); the source end counts as the last line's end.
func ComputeLineEnds(src []uint16) []int {
	var out []int
	for i, c := range src {
		switch c {
		case '\n', 0x2028, 0x2029:
			out = append(out, i)
		case '\r':
			if i+1 >= len(src) || src[i+1] != '\n' {
				out = append(out, i)
			}
		}
	}
	return append(out, len(src))
}

// IsTopLevelReceiver: undefined, null or the global proxy: not a method call.
func (h *Heap) IsTopLevelReceiver(v Value) bool {
	if !h.IsHeapObject(v) {
		return false // a Smi receiver is a method call on a number
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return true
	}
	if t := h.Layout.Types.JSGlobalProxy; t >= 0 && it == t {
		return true
	}
	if t := h.Layout.Types.Oddball; t >= 0 && it == t {
		kind, err := h.Word(v, h.Layout.Oddball.Kind)
		if err == nil && h.IsSmi(kind) {
			k := h.SmiValue(kind)
			return k == h.Layout.Oddball.Undefined || k == h.Layout.Oddball.Null
		}
	}
	return false
}

// FunctionKind is the kind V8 keeps in a SharedFunctionInfo's flags
// (normal function, class constructor, arrow, method, ...); ok false when
// the metadata has no layout for it.
func (h *Heap) FunctionKind(sfi Value) (int, bool) {
	l := &h.Layout.SharedFunctionInfo
	off, mask, shift := l.Flags, l.FunctionKindMask, l.FunctionKindShift
	if off < 0 || mask < 0 || shift < 0 || !h.IsHeapObject(sfi) {
		return 0, false
	}
	flags, err := h.Proc.ReadU32(h.Untag(sfi) + uint64(off))
	if err != nil {
		return 0, false
	}
	return int((int64(flags) >> shift) & mask), true
}

// IsClassConstructor: the function is a class constructor, which only
// `new` can call (calling it otherwise throws before it runs), so a frame
// of it is a construct call even where no construct frame shows it (a
// constructor inlined into optimized code).
func (h *Heap) IsClassConstructor(sfi Value) bool {
	k, ok := h.FunctionKind(sfi)
	if !ok {
		return false
	}
	first, last := h.Layout.SharedFunctionInfo.FirstClassConstructorKind, h.Layout.SharedFunctionInfo.LastClassConstructorKind
	return first >= 0 && last >= 0 && int64(k) >= first && int64(k) <= last
}
