package v8layout

import (
	"strings"
)

// Function names, scripts and line numbers for stack frames.

// SharedOf returns a JSFunction's SharedFunctionInfo.
func (h *Heap) SharedOf(fn Value) (Value, error) { return h.Word(fn, h.frames().sfi) }

// FrameShared returns the SharedFunctionInfo of a JS frame's function.
func (h *Heap) FrameShared(f *Frame) (Value, error) {
	if f.Shared != 0 {
		return f.Shared, nil
	}
	return h.SharedOf(f.Function)
}

func (h *Heap) sfiName(sfi Value) string {
	n, err := h.SFIName(sfi)
	if err != nil {
		return ""
	}
	return n
}

func (h *Heap) scriptName(script Value) string {
	n, err := h.ScriptName(script)
	if err != nil {
		return ""
	}
	return n
}

// receiverTypeName is the receiver's constructor name, as call sites use
// it for method calls ("Timeout", "process", "Array").
func (h *Heap) receiverTypeName(v Value) string {
	if h.IsSmi(v) {
		return "Number"
	}
	n, err := h.ConstructorName(v)
	if err != nil {
		return ""
	}
	return n
}

// methodName finds the name of the property of the receiver (or its
// prototypes) that holds fn: how call sites name anonymous methods
// ("Timeout._onTimeout").
func (h *Heap) methodName(recv, fn Value) string {
	obj := recv
	for depth := 0; depth < 16 && h.IsHeapObject(obj); depth++ {
		props, err := h.Properties(obj)
		if err != nil {
			return ""
		}
		for _, p := range props {
			if !p.Accessor && !p.IsSymbol && !p.Private && p.Value == fn {
				return p.Name
			}
		}
		mi, err := h.MapOf(obj)
		if err != nil {
			return ""
		}
		obj = mi.Prototype
	}
	return ""
}

// ScriptOf returns the Script of a SharedFunctionInfo (ok false for
// builtins and native functions without one).
func (h *Heap) scriptOf(sfi Value) (Value, bool) {
	l := h.frames()
	s, err := h.Word(sfi, l.sfiScript)
	if err != nil || !h.IsHeapObject(s) {
		return 0, false
	}
	it, err := h.InstanceType(s)
	if t, ok := h.M.Type("SCRIPT_TYPE"); err != nil || !ok || it != t {
		return 0, false
	}
	return s, true
}

// computeLineEnds finds line terminators as V8 does (\n, \r not followed
// by \n, U+2028, U+2029); the source end counts as the last line's end.
func computeLineEnds(src []uint16) []int {
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

// JSInfo is what a JS frame shows: the function as Node's stack traces
// name it, the script, and the 1-based line and column (0 when unknown).
type JSInfo struct {
	Name     string // "OrderProcessor.process", "new Pipeline", "<anonymous>"
	FuncName string // the function's own name ("" when anonymous)
	Script   string // file path or "node:internal/…"; "" for builtins
	Line     int
	Column   int
	Note     string // why the position is unknown
}

// FrameInfo names a JS frame and locates its current position.
func (h *Heap) FrameInfo(f *Frame) JSInfo {
	var ji JSInfo
	sfi, err := h.FrameShared(f)
	if err != nil {
		ji.Name, ji.Note = "<unknown>", err.Error()
		return ji
	}
	ji.FuncName = h.sfiName(sfi)
	if !f.Construct && h.IsClassConstructor(sfi) {
		g := *f
		g.Construct = true
		f = &g
	}
	ji.Name = h.nodeName(f, ji.FuncName)
	if ji.FuncName == "" && !f.Construct && f.Function != 0 && receiverKnown(f) && f.Receiver != 0 && !h.isTopLevelReceiver(f.Receiver) {
		if m := h.methodName(f.Receiver, f.Function); m != "" {
			ji.Name = strings.TrimSuffix(ji.Name, "<anonymous>") + m
		}
	}
	script, ok := h.scriptOf(sfi)
	if ok {
		ji.Script = h.scriptName(script)
	}
	switch {
	case f.Position >= 0 && ok:
		line, col, err := h.LineColumn(script, f.Position)
		if err != nil {
			ji.Note = "line ends: " + err.Error()
			break
		}
		ji.Line, ji.Column = line, col
	case f.PositionNote != "":
		ji.Note = f.PositionNote
	case !ok:
		ji.Note = "no script"
	}
	return ji
}

// nodeName builds the name the way V8's call sites print it: "new F" for
// constructors; for method calls the receiver's type name, a dot and the
// function name (unless the name already starts with the type name); else
// the function name, or "<anonymous>".
func (h *Heap) nodeName(f *Frame, fn string) string {
	if f.Construct {
		if fn == "" {
			fn = "<anonymous>"
		}
		return "new " + fn
	}
	if receiverKnown(f) && (f.ReceiverMap != 0 || !h.isTopLevelReceiver(f.Receiver)) {
		tn := ""
		if f.ReceiverMap != 0 {
			tn = h.mapConstructorName(f.ReceiverMap)
		} else {
			tn = h.receiverTypeName(f.Receiver)
		}
		switch {
		case fn == "":
			if tn != "" {
				return tn + ".<anonymous>"
			}
		case tn != "" && !startsWith(fn, tn+"."):
			return tn + "." + fn
		}
	}
	if fn == "" {
		return "<anonymous>"
	}
	return fn
}

// receiverKnown: a physical frame's receiver is in its slots; an inlined
// frame's only when the deoptimization translation gave it.
func receiverKnown(f *Frame) bool { return f.Inlined == 0 || f.ReceiverFrom != "" }

func startsWith(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// isTopLevelReceiver: undefined, null or the global proxy: not a method call.
func (h *Heap) isTopLevelReceiver(v Value) bool {
	if !h.IsHeapObject(v) {
		return false // a Smi receiver is a method call on a number
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return true
	}
	if t, ok := h.M.Type("JS_GLOBAL_PROXY_TYPE"); ok && it == t {
		return true
	}
	if t, ok := h.M.Type("ODDBALL_TYPE"); ok && it == t {
		kind, err := h.Word(v, h.oddballKindOffset())
		if err == nil && h.IsSmi(kind) {
			k := h.SmiValue(kind)
			u, _ := h.M.Const("OddballUndefined")
			n, _ := h.M.Const("OddballNull")
			return k == u || k == n
		}
	}
	return false
}

func (h *Heap) oddballKindOffset() int64 {
	o, _ := h.M.Field("Oddball", "kind")
	return o
}

// FunctionKind is the kind V8 keeps in a SharedFunctionInfo's flags
// (normal function, class constructor, arrow, method, ...); ok false when
// the metadata has no layout for it.
func (h *Heap) FunctionKind(sfi Value) (int, bool) {
	off, ok := h.M.Field("SharedFunctionInfo", "flags")
	if !ok {
		return 0, false
	}
	mask, ok1 := h.M.Const("ndb_sfi_function_kind_mask")
	shift, ok2 := h.M.Const("ndb_sfi_function_kind_shift")
	if !ok1 || !ok2 || !h.IsHeapObject(sfi) {
		return 0, false
	}
	flags, err := h.P.ReadU32(h.Untag(sfi) + uint64(off))
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
	first, ok1 := h.M.Const("ndb_function_kind_first_class_constructor")
	last, ok2 := h.M.Const("ndb_function_kind_last_class_constructor")
	return ok1 && ok2 && int64(k) >= first && int64(k) <= last
}
