package object

import "fmt"

// CallSite is one frame V8 captured when an Error was made, as it keeps it
// until err.stack is first read (V8's CallSiteInfo).
type CallSite struct {
	Code     Value // the BytecodeArray or Code the frame ran (0 when none)
	Receiver Value
	Function Value
	// Offset is the bytecode offset (or code offset for Code) of the
	// frame, or its script offset when PositionComputed.
	Offset           int
	Constructor      bool // called with new
	Async            bool // an "await" frame V8 appended after the stack
	PositionComputed bool
}

// maxCallSites bounds the frames read from one Error (Error.stackTraceLimit
// is 10 by default; a corrupt length must not make ndb allocate more).
const maxCallSites = 1024

// CallSites reads the call sites V8 captured for an Error (ErrorStack's
// CallSites), outermost last.
func (h *Heap) CallSites(arr Value) ([]CallSite, error) {
	cl := h.Layout.CallSite
	if err := need("CallSiteInfo.code_object", cl.Code, "CallSiteInfo.receiver_or_instance", cl.Receiver,
		"CallSiteInfo.function", cl.Function, "CallSiteInfo.code_offset_or_source_position", cl.CodeOffset,
		"CallSiteInfo.flags", cl.Flags); err != nil {
		return nil, err
	}
	n, err := h.FixedArrayLength(arr)
	if err != nil {
		return nil, err
	}
	per := 1
	if cl.FlatSlots > 0 {
		per = int(cl.FlatSlots)
	}
	frames := min(n/per, maxCallSites)
	out := make([]CallSite, 0, frames)
	for i := range frames {
		var cs CallSite
		if cl.FlatSlots > 0 {
			cs, err = h.flatCallSite(arr, i*per)
		} else {
			cs, err = h.callSiteInfo(arr, i)
		}
		if err != nil {
			return out, fmt.Errorf("call site %d: %v", i, err)
		}
		out = append(out, cs)
	}
	return out, nil
}

// callSiteInfo reads element i of a FixedArray of CallSiteInfo structs.
func (h *Heap) callSiteInfo(arr Value, i int) (CallSite, error) {
	info, err := h.FixedArrayGet(arr, i)
	if err != nil {
		return CallSite{}, err
	}
	if t, err := h.InstanceType(info); err != nil || t != h.Layout.Types.CallSiteInfo {
		return CallSite{}, fmt.Errorf("%#x is not a CallSiteInfo", uint64(info))
	}
	cl := h.Layout.CallSite
	word := func(off int64) (Value, error) { return h.Word(info, off) }
	return h.readCallSite(word, cl.Code, cl.Receiver, cl.Function, cl.CodeOffset, cl.Flags)
}

// flatCallSite reads the frame whose slots start at index base of V8 14's
// flat call-site array.
func (h *Heap) flatCallSite(arr Value, base int) (CallSite, error) {
	cl := h.Layout.CallSite
	word := func(slot int64) (Value, error) { return h.FixedArrayGet(arr, base+int(slot)) }
	return h.readCallSite(word, cl.Code, cl.Receiver, cl.Function, cl.CodeOffset, cl.Flags)
}

func (h *Heap) readCallSite(word func(int64) (Value, error), code, recv, fn, off, flags int64) (CallSite, error) {
	var cs CallSite
	var err error
	var offset, fl Value
	for _, r := range []struct {
		at  int64
		dst *Value
	}{{code, &cs.Code}, {recv, &cs.Receiver}, {fn, &cs.Function}, {off, &offset}, {flags, &fl}} {
		if *r.dst, err = word(r.at); err != nil {
			return cs, err
		}
	}
	if !h.IsSmi(offset) || !h.IsSmi(fl) {
		return cs, fmt.Errorf("offset %#x or flags %#x is not a Smi", uint64(offset), uint64(fl))
	}
	cs.Offset = int(h.SmiValue(offset))
	bits := h.SmiValue(fl)
	cl := h.Layout.CallSite
	cs.Constructor = cl.FlagConstructor > 0 && bits&cl.FlagConstructor != 0
	cs.Async = cl.FlagAsync > 0 && bits&cl.FlagAsync != 0
	cs.PositionComputed = cl.FlagSourcePositionComputed > 0 && bits&cl.FlagSourcePositionComputed != 0
	cs.Code = h.unwrapCode(cs.Code)
	return cs, nil
}

// unwrapCode returns the BytecodeArray or Code a V8 14 BytecodeWrapper or
// CodeWrapper holds; other values as they are (Smi 0: no code).
func (h *Heap) unwrapCode(v Value) Value {
	if !h.IsHeapObject(v) {
		return 0
	}
	t, err := h.InstanceType(v)
	if err != nil {
		return 0
	}
	l := h.Layout
	off := int64(-1)
	switch {
	case t == l.Types.BytecodeWrapper && t >= 0:
		off = l.CallSite.BytecodeWrapperBytecode
	case t == l.Types.CodeWrapper && t >= 0:
		off = l.CallSite.CodeWrapperCode
	default:
		return v
	}
	if off < 0 {
		return 0
	}
	w, err := h.Word(v, off)
	if err != nil {
		return 0
	}
	return w
}
