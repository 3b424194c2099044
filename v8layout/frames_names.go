package v8layout

import (
	"encoding/binary"
	"fmt"
	"sort"
	"unicode/utf16"
)

// Function names, scripts and line numbers for stack frames.

// frameString reads a V8 string (sequential, cons, thin, sliced or
// external), at most max characters.
func (h *Heap) frameString(v Value, max int) (string, error) {
	u, err := h.frameStringUnits(nil, v, max, 0)
	if err != nil {
		return "", err
	}
	return string(utf16.Decode(u)), nil
}

func (h *Heap) frameStringUnits(out []uint16, v Value, max, depth int) ([]uint16, error) {
	if depth > 64 || len(out) >= max {
		return out, nil
	}
	if !h.IsHeapObject(v) {
		return out, fmt.Errorf("%#x is not a string", uint64(v))
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return out, err
	}
	if fns, ok := h.M.Const("FirstNonstringType"); ok && int64(it) >= fns {
		return out, fmt.Errorf("%#x is not a string", uint64(v))
	}
	f := func(cls, field string) int64 { o, _ := h.M.Field(cls, field); return o }
	n32, err := h.P.ReadU32(h.Untag(v) + uint64(f("String", "length")))
	if err != nil {
		return out, err
	}
	n := int(int32(n32))
	if n < 0 {
		return out, fmt.Errorf("string %#x: bad length", uint64(v))
	}
	oneByte := it&8 != 0
	read := func(addr uint64, n int) ([]uint16, error) {
		n = min(n, max-len(out))
		if oneByte {
			b, err := h.P.Slice(addr, uint64(n))
			if err != nil {
				return out, err
			}
			for _, c := range b {
				out = append(out, uint16(c))
			}
			return out, nil
		}
		b, err := h.P.Slice(addr, uint64(2*n))
		if err != nil {
			return out, err
		}
		for i := 0; i+1 < len(b); i += 2 {
			out = append(out, uint16(b[i])|uint16(b[i+1])<<8)
		}
		return out, nil
	}
	switch it & 7 {
	case 0: // sequential
		return read(h.Untag(v)+uint64(f("SeqOneByteString", "chars")), n)
	case 1: // cons
		a, _ := h.Word(v, f("ConsString", "first"))
		b, _ := h.Word(v, f("ConsString", "second"))
		out, err = h.frameStringUnits(out, a, max, depth+1)
		if err != nil {
			return out, err
		}
		return h.frameStringUnits(out, b, max, depth+1)
	case 5: // thin
		a, _ := h.Word(v, f("ThinString", "actual"))
		return h.frameStringUnits(out, a, max, depth+1)
	case 3: // sliced
		parent, _ := h.Word(v, f("SlicedString", "parent"))
		off, _ := h.Word(v, f("SlicedString", "offset"))
		s, err := h.frameStringUnits(nil, parent, int(h.SmiValue(off))+n, depth+1)
		if err != nil {
			return out, err
		}
		if o := int(h.SmiValue(off)); o <= len(s) {
			s = s[o:]
		}
		return append(out, s[:min(len(s), n, max-len(out))]...), nil
	case 2: // external
		res, err := h.P.ReadU64(h.Untag(v) + uint64(f("ExternalString", "resource")))
		if err != nil {
			return out, err
		}
		doff, ok := h.M.NodeConst("offset_ExternalString__data__uintptr_t")
		if !ok {
			return out, fmt.Errorf("external string: resource layout unknown")
		}
		data, err := h.P.ReadU64(res + uint64(doff))
		if err != nil {
			return out, err
		}
		return read(data, n)
	}
	return out, fmt.Errorf("string %#x: unknown representation", uint64(v))
}

// SharedOf returns a JSFunction's SharedFunctionInfo.
func (h *Heap) SharedOf(fn Value) (Value, error) { return h.Word(fn, h.frames().sfi) }

// sfiName returns a SharedFunctionInfo's name ("" for anonymous functions).
// The name is a String, or sits in the ScopeInfo when the function has one.
func (h *Heap) sfiName(sfi Value) string {
	l := h.frames()
	v, err := h.Word(sfi, l.sfiName)
	if err != nil || !h.IsHeapObject(v) {
		return ""
	}
	if s, err := h.frameString(v, 1024); err == nil {
		return s
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return ""
	}
	if t, ok := h.M.Type("SCOPE_INFO_TYPE"); !ok || it != t {
		return ""
	}
	// ScopeInfo: flags, parameter count, context local count, then the
	// context locals' names and infos; the function name is the first
	// string after them.
	first, ok1 := h.M.Const("scopeinfo_idx_first_vars")
	nlocIdx, ok2 := h.M.Const("scopeinfo_idx_ncontextlocals")
	if !ok1 || !ok2 {
		return ""
	}
	nloc, err := h.Word(v, 8*(nlocIdx+1))
	if err != nil || !h.IsSmi(nloc) {
		return ""
	}
	n := h.SmiValue(nloc)
	if n < 0 || n > 75 { // more locals are kept in a hash table
		return ""
	}
	start := first + 2*n
	for i := start; i < start+3; i++ {
		w, err := h.Word(v, 8*(i+1))
		if err != nil {
			return ""
		}
		if !h.IsHeapObject(w) {
			continue
		}
		if s, err := h.frameString(w, 1024); err == nil {
			return s
		}
		return ""
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

// scriptName returns a Script's name (its file path or node:… id).
func (h *Heap) scriptName(script Value) string {
	n, err := h.Word(script, h.frames().scriptName)
	if err != nil {
		return ""
	}
	s, err := h.frameString(n, 4096)
	if err != nil {
		return ""
	}
	return s
}

// lineEnds returns the offsets of the line terminators of a script,
// computed from its source when V8 has not computed them.
func (h *Heap) lineEnds(script Value) ([]int, error) {
	l := h.frames()
	le, err := h.Word(script, l.scriptLineEn)
	if err != nil {
		return nil, err
	}
	if h.IsHeapObject(le) {
		if t, ok := h.M.Type("FIXED_ARRAY_TYPE"); ok {
			if it, err := h.InstanceType(le); err == nil && it == t {
				lenOff, _ := h.M.Field("FixedArrayBase", "length")
				n, err := h.Word(le, lenOff)
				if err == nil && h.IsSmi(n) && h.SmiValue(n) >= 0 && h.SmiValue(n) < 1<<24 {
					cnt := int(h.SmiValue(n))
					b, err := h.P.Slice(h.Untag(le)+uint64(lenOff)+8, uint64(8*cnt))
					if err == nil {
						out := make([]int, cnt)
						for i := range out {
							out[i] = int(h.SmiValue(Value(binary.LittleEndian.Uint64(b[8*i:]))))
						}
						return out, nil
					}
				}
			}
		}
	}
	src, err := h.ScriptSource(script)
	if err != nil {
		return nil, err
	}
	return computeLineEnds(src), nil
}

// ScriptSource returns a script's source text (as UTF-16 code units turned
// into a string: offsets are in code units, as V8's).
func (h *Heap) ScriptSource(script Value) ([]uint16, error) {
	s, err := h.Word(script, h.frames().scriptSource)
	if err != nil {
		return nil, err
	}
	return h.frameStringUnits(nil, s, 64<<20, 0)
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

// lineCol turns a script offset into a 1-based line and column.
func lineCol(ends []int, pos int) (int, int) {
	i := sort.SearchInts(ends, pos) // first end >= pos
	start := 0
	if i > 0 {
		start = ends[i-1] + 1
	}
	return i + 1, pos - start + 1
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
	sfi, err := h.SharedOf(f.Function)
	if err != nil {
		ji.Name, ji.Note = "<unknown>", err.Error()
		return ji
	}
	ji.FuncName = h.sfiName(sfi)
	ji.Name = h.nodeName(f, ji.FuncName)
	script, ok := h.scriptOf(sfi)
	if ok {
		ji.Script = h.scriptName(script)
	}
	switch {
	case f.Position >= 0 && ok:
		ends, err := h.lineEnds(script)
		if err != nil {
			ji.Note = "line ends: " + err.Error()
			break
		}
		ji.Line, ji.Column = lineCol(ends, f.Position)
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
	if !h.isTopLevelReceiver(f.Receiver) {
		tn := h.receiverTypeName(f.Receiver)
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

// receiverTypeName is the receiver's constructor name (JSReceiver::
// GetConstructorName in spirit): the name of the function that made its
// map, found through the map's constructor-or-back-pointer chain.
func (h *Heap) receiverTypeName(v Value) string {
	if !h.IsHeapObject(v) {
		return "Number"
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return ""
	}
	if fns, ok := h.M.Const("FirstNonstringType"); ok && int64(it) < fns {
		return "String"
	}
	if t, ok := h.M.Type("JS_RECEIVER_TYPE"); ok && it < t {
		if t2, ok := h.M.Type("FIRST_JS_RECEIVER_TYPE"); !ok || it < t2 {
			// primitives other than strings
			if hn, ok := h.M.Type("HEAP_NUMBER_TYPE"); ok && it == hn {
				return "Number"
			}
		}
	}
	ctorOff, ok := h.M.Field("Map", "constructor_or_back_pointer")
	if !ok {
		return ""
	}
	m, err := h.Map(v)
	if err != nil {
		return ""
	}
	mapType, _ := h.M.Type("MAP_TYPE")
	for i := 0; i < 64; i++ {
		c, err := h.Word(m, ctorOff)
		if err != nil || !h.IsHeapObject(c) {
			return ""
		}
		ct, err := h.InstanceType(c)
		if err != nil {
			return ""
		}
		if ct == mapType {
			m = c
			continue
		}
		if h.isJSFunction(c) {
			sfi, err := h.SharedOf(c)
			if err != nil {
				return ""
			}
			return h.sfiName(sfi)
		}
		// a FunctionTemplateInfo (API objects such as process): its class name
		return h.templateClassName(c)
	}
	return ""
}

// templateClassName reads FunctionTemplateInfo::class_name when the
// metadata names it.
func (h *Heap) templateClassName(t Value) string {
	off, ok := h.M.Field("FunctionTemplateInfo", "class_name")
	if !ok {
		return ""
	}
	n, err := h.Word(t, off)
	if err != nil {
		return ""
	}
	s, err := h.frameString(n, 256)
	if err != nil {
		return ""
	}
	return s
}
