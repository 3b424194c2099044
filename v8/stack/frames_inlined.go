package stack

import (
	"fmt"
	"strings"
)

// Inlined frames from the deoptimization translation: at a call from
// optimized code, the translation of the deopt point at the return address
// lists the frames the optimized frame stands for, outermost first, and
// where each one's function and receiver live. Node's stack traces take
// from it the receiver of inlined methods ("OrderProcessor.check") and the
// builtins Turbofan inlined (Array.forEach around an inlined callback).

// trFrame is one frame of a translation: its frame instruction and the
// instructions of its values (the function first, then the receiver for
// JavaScript frames). A CAPTURED_OBJECT value is followed by the values of
// its fields, which Values keeps flat.
type trFrame struct {
	Op     trOp
	Values []trOp
}

// IsJS reports whether a translation frame is a JavaScript frame: an
// interpreted frame or a JavaScript builtin continuation (the frames V8
// counts in the BEGIN's JS frame count).
func (f trFrame) IsJS() bool { return f.IsInterpreted() || f.IsBuiltin() }

// IsInterpreted: a function's (interpreted) frame.
func (f trFrame) IsInterpreted() bool { return strings.HasPrefix(f.Op.Name, "INTERPRETED_FRAME") }

// IsBuiltin: a JavaScript builtin continuation (a builtin with JS linkage,
// as Array.prototype.forEach, inlined into optimized code).
func (f trFrame) IsBuiltin() bool {
	n := strings.ReplaceAll(f.Op.Name, "JAVA_SCRIPT", "JAVASCRIPT")
	return strings.HasPrefix(n, "JAVASCRIPT_BUILTIN_CONTINUATION")
}

func isFrameOp(name string) bool {
	return strings.HasSuffix(name, "_FRAME") || strings.Contains(name, "_FRAME_WITH") ||
		name == "INLINED_EXTRA_ARGUMENTS"
}

// deoptFrames decodes the translation of a deopt point into its
// frames, outermost first, checked against the counts its BEGIN states
// (frames, JavaScript frames).
func (h *Walker) deoptFrames(dp deoptPoint) ([]trFrame, error) {
	ops, err := h.translation(dp)
	if err != nil {
		return nil, err
	}
	t, err := h.translationOps()
	if err != nil {
		return nil, err
	}
	return splitFrames(ops, t.VLQOpcodes)
}

func splitFrames(ops []trOp, vlqOpcodes bool) ([]trFrame, error) {
	if len(ops) == 0 || !isBegin(ops[0].Name) {
		return nil, fmt.Errorf("translation does not start with BEGIN")
	}
	// V8 10: BEGIN frame count, JS frame count, feedback count; from V8
	// 11 the distance to a translation it shares with comes first.
	b := ops[0]
	i := 1
	if vlqOpcodes {
		i = 0
	}
	if len(b.Operands) < i+2 {
		return nil, fmt.Errorf("BEGIN with %d operands", len(b.Operands))
	}
	nFrames, nJS := b.Signed(i), b.Signed(i+1)
	var out []trFrame
	for _, op := range ops[1:] {
		switch {
		case isFrameOp(op.Name):
			out = append(out, trFrame{Op: op})
		case op.Name == "UPDATE_FEEDBACK":
		case len(out) == 0:
			return nil, fmt.Errorf("%s at %d before the first frame", op.Name, op.Pos)
		default:
			out[len(out)-1].Values = append(out[len(out)-1].Values, op)
		}
	}
	js := 0
	for _, f := range out {
		if f.IsJS() {
			js++
		}
	}
	if len(out) != nFrames || js != nJS {
		return out, fmt.Errorf("translation has %d frames (%d JavaScript), its BEGIN says %d (%d)", len(out), js, nFrames, nJS)
	}
	return out, nil
}

// trValue is a value of a translation frame as a post-mortem debugger can
// read it.
type trValue struct {
	Value Value  // the value, when it is in the core
	Map   Value  // for an object the optimized code never allocated (escape analysed): its map
	From  string // where it was read: "literal 19", "stack slot 6 (fp-40)", "captured object"
	Note  string // why it cannot be read ("" when it can)
}

// Known reports whether the value (or, for a captured object, its map) was
// read.
func (v trValue) Known() bool { return v.Note == "" }

// stackSlotFP is the offset from the optimized frame's fp of spill slot
// i, as V8's deoptimizer reads it: slots count down from the caller's sp
// (fp + off_fp_args, where the receiver is), slot 0 being the caller's
// pc; slots -1, -2, ... are the receiver and the arguments.
func (h *Walker) stackSlotFP(i int) int64 { return h.Layout.Frame.Args - int64(i+1)*8 }

// trFrameValue reads value k of translation frame tf of the optimized
// frame at fp (code: its Code object, for the literal array).
func (h *Walker) trFrameValue(code Value, fp uint64, tf trFrame, k int) trValue {
	// Find value k at the top level: a CAPTURED_OBJECT's fields follow
	// it; skip them.
	i := 0
	for n := 0; n < k; n++ {
		if i >= len(tf.Values) {
			return trValue{Note: fmt.Sprintf("the frame has only %d values", n)}
		}
		i = skipValue(tf.Values, i)
		if i < 0 {
			return trValue{Note: "value not decodable"}
		}
	}
	if i >= len(tf.Values) {
		return trValue{Note: fmt.Sprintf("the frame has no value %d", k)}
	}
	op := tf.Values[i]
	switch op.Name {
	case "LITERAL":
		id := op.Signed(0)
		v, err := h.deoptLiteral(code, id)
		if err != nil {
			return trValue{Note: fmt.Sprintf("literal %d: %v", id, err)}
		}
		return trValue{Value: v, From: fmt.Sprintf("literal %d", id)}
	case "STACK_SLOT", "TAGGED_STACK_SLOT":
		s := op.Signed(0)
		off := h.stackSlotFP(s)
		w, err := h.Proc.ReadU64(uint64(int64(fp) + off))
		if err != nil {
			return trValue{Note: fmt.Sprintf("stack slot %d (fp%+d): %v", s, off, err)}
		}
		return trValue{Value: Value(w), From: fmt.Sprintf("stack slot %d (fp%+d)", s, off)}
	case "REGISTER":
		return trValue{Note: fmt.Sprintf("kept in a register (code %d) at the call: registers of frames below the signal frame are not in the core", op.Operands[0])}
	case "OPTIMIZED_OUT":
		return trValue{Note: "optimized out"}
	case "CAPTURED_OBJECT":
		// An object escape analysis removed: its fields follow, the map
		// first.
		if i+1 < len(tf.Values) && tf.Values[i+1].Name == "LITERAL" {
			m, err := h.deoptLiteral(code, tf.Values[i+1].Signed(0))
			if err == nil && h.IsHeapObject(m) {
				if t := h.Layout.Types.Map; t >= 0 {
					if it, err := h.InstanceType(m); err == nil && it == t {
						return trValue{Map: m, From: "captured object (not allocated; map from literal " + fmt.Sprint(tf.Values[i+1].Signed(0)) + ")"}
					}
				}
			}
		}
		return trValue{Note: "an object optimized code did not allocate, its map not a literal"}
	}
	return trValue{Note: "kept as " + op.Name}
}

// skipValue returns the index after the value starting at i (-1 when it
// cannot be skipped).
func skipValue(vs []trOp, i int) int {
	if i >= len(vs) {
		return -1
	}
	switch vs[i].Name {
	case "CAPTURED_OBJECT":
		n := vs[i].Signed(0)
		i++
		for ; n > 0; n-- {
			if i = skipValue(vs, i); i < 0 {
				return -1
			}
		}
		return i
	case "STRING_CONCAT", "ARGUMENTS_ELEMENTS", "ARGUMENTS_LENGTH", "REST_LENGTH":
		return -1 // values whose extent ndb does not know
	}
	return i + 1
}

// deoptLiteral is entry id of the literal array of optimized code's
// DeoptimizationData (weak references made strong).
func (h *Walker) deoptLiteral(code Value, id int) (Value, error) {
	l := h.Layout
	dd, err := h.Word(code, l.Code.DeoptimizationData)
	if err != nil {
		return 0, err
	}
	if !h.IsHeapObject(dd) {
		return 0, fmt.Errorf("no deoptimization data")
	}
	lits, err := h.FixedArrayGet(dd, l.Code.DeoptLiteralsIndex)
	if err != nil {
		return 0, err
	}
	v, err := h.FixedArrayGet(lits, id)
	if err != nil {
		return 0, err
	}
	if uint64(v)&3 == 3 {
		v = Value(uint64(v) &^ 2)
	}
	return v, nil
}

// translationFrames decodes the translation of an optimized frame's deopt
// point at its return address.
func (h *Walker) translationFrames(f *Frame) ([]trFrame, error) {
	ci, err := h.codeAt(f.PC)
	if err != nil {
		return nil, err
	}
	dp, err := h.deoptPointAt(ci.Code, int(f.PC-ci.Start))
	if err != nil {
		return nil, err
	}
	return h.deoptFrames(dp)
}

// inlineFromTranslation gives the inlined frames of an optimized frame that
// called out (pc is a return address) what the deopt point's translation
// knows: each inlined function's receiver, and frames for the builtins
// with JS linkage that were inlined. The translation's interpreted frames
// must be the frame's functions (the inlined ones and itself) one for one;
// otherwise nothing changes and TranslationNote says why.
func (h *Walker) inlineFromTranslation(f *Frame) {
	if f.Tier != TierTurbofan && f.Tier != TierMaglev || f.Code == 0 {
		return
	}
	tfs, err := h.translationFrames(f)
	if err != nil {
		f.TranslationNote = "deoptimization translation: " + err.Error()
		return
	}
	// Outermost first: the physical frame's function, then the inlined ones.
	var interp []trFrame
	for _, tf := range tfs {
		if tf.IsInterpreted() {
			interp = append(interp, tf)
		}
	}
	if len(interp) != len(f.InlinedFrames)+1 {
		f.TranslationNote = fmt.Sprintf("deoptimization translation has %d interpreted frames, the source positions %d functions", len(interp), len(f.InlinedFrames)+1)
		return
	}
	shared := func(k int) Value { // k counted from the outermost function
		if k == 0 {
			s, _ := h.SharedOf(f.Function)
			return s
		}
		return f.InlinedFrames[len(f.InlinedFrames)-k].Shared
	}
	// Each interpreted frame's function, where it can be read, must be
	// the function the source positions name.
	for k, tf := range interp {
		fv := h.trFrameValue(f.Code, f.FP, tf, 0)
		if !fv.Known() || !h.isJSFunction(fv.Value) {
			continue
		}
		if s, err := h.SharedOf(fv.Value); err != nil || s != shared(k) {
			f.TranslationNote = fmt.Sprintf("deoptimization translation: frame %d is another function than the source positions say", k)
			return
		}
	}
	var out []InlinedFrame // outermost first
	k := 0
	for _, tf := range tfs {
		switch {
		case tf.IsInterpreted():
			if k > 0 {
				in := f.InlinedFrames[len(f.InlinedFrames)-k]
				h.setReceiver(&in, f, tf)
				out = append(out, in)
			}
			k++
		case tf.IsBuiltin():
			fv := h.trFrameValue(f.Code, f.FP, tf, 0)
			if !fv.Known() || !h.isJSFunction(fv.Value) {
				continue // no function to name it by
			}
			s, err := h.SharedOf(fv.Value)
			if err != nil {
				continue
			}
			in := InlinedFrame{Shared: s, Function: fv.Value, Position: -1, Builtin: true}
			h.setReceiver(&in, f, tf)
			out = append(out, in)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	f.InlinedFrames = out
}

func (h *Walker) setReceiver(in *InlinedFrame, f *Frame, tf trFrame) {
	if fv := h.trFrameValue(f.Code, f.FP, tf, 0); fv.Known() && h.isJSFunction(fv.Value) {
		in.Function = fv.Value
	}
	rv := h.trFrameValue(f.Code, f.FP, tf, 1)
	if !rv.Known() {
		in.ReceiverNote = "receiver " + rv.Note
		return
	}
	in.Receiver, in.ReceiverMap, in.ReceiverFrom = rv.Value, rv.Map, rv.From
}

// mapConstructorName is the type name of objects of map m as the
// prototype's constructor property gives it ("Array"); "" when unknown.
func (h *Walker) mapConstructorName(m Value) string {
	mi, err := h.ReadMap(m)
	if err != nil || !h.IsHeapObject(mi.Prototype) {
		return ""
	}
	props, err := h.Properties(mi.Prototype)
	if err != nil {
		return ""
	}
	for _, p := range props {
		if p.Name == "constructor" && !p.IsSymbol && !p.Accessor && h.IsFunction(p.Value) {
			if n, err := h.FunctionName(p.Value); err == nil {
				return n
			}
		}
	}
	return ""
}
