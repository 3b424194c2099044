package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
)

// FrameKind is what a stack frame is, as ::jsstack --json names it.
type FrameKind string

const (
	KindJS       FrameKind = "js"       // a JavaScript function (including builtins with JS linkage)
	KindNative   FrameKind = "native"   // C/C++ code of node or a library
	KindBuiltin  FrameKind = "builtin"  // a V8 builtin or stub frame that is not a JS function
	KindExit     FrameKind = "exit"     // V8 calling out to C++ (runtime, API callbacks)
	KindEntry    FrameKind = "entry"    // C++ entering JavaScript
	KindInternal FrameKind = "internal" // construct, internal and other V8 bookkeeping frames
)

// Tier says which of V8's execution tiers runs a JS frame.
type Tier string

const (
	TierInterpreted Tier = "interpreted" // Ignition
	TierBaseline    Tier = "baseline"    // Sparkplug
	TierMaglev      Tier = "maglev"
	TierTurbofan    Tier = "turbofan"
	TierOptimized   Tier = "optimized" // Maglev or Turbofan, the Code object not found
	TierBuiltin     Tier = "builtin"   // a builtin with JS linkage (Array.prototype.forEach)
)

// Frame is one frame of a thread's stack. FP is the frame pointer of the
// frame and PC the address it executes (for an outer frame: the return
// address its callee will return to).
type Frame struct {
	Index  int // 0 = innermost
	FP, PC uint64
	Kind   FrameKind
	// Type is the V8 frame type name for frames with a type marker
	// ("BuiltinExitFrame"), the tier's frame type for JS frames.
	Type   string
	Symbol string // the symbolized PC ("node`Builtins_ArrayForEach+0x39e"); "" when unknown
	// Unwound says how the native unwinder found a native frame ("regs",
	// "cfi", "fp", "signal", "sp"); "" for frames V8's walk found.
	Unwound string

	// JavaScript frames only.
	Tier      Tier
	Function  Value   // the JSFunction
	Receiver  Value   // "this"
	Args      []Value // the actual arguments, receiver excluded
	Construct bool    // called with new
	// Position is the script offset of the current position, -1 when it
	// cannot be known; PositionNote says why.
	Position     int
	PositionNote string
	// Inlined is > 0 for a frame that optimized code inlined into the
	// physical frame at FP (1 = inlined into the frame below it in the list).
	// Such a frame has no JSFunction, receiver or arguments of its own (the
	// compiler keeps them only where it may deoptimize): Shared names its
	// function.
	Inlined int
	Shared  Value // the SharedFunctionInfo of an inlined frame
	// An inlined frame's receiver, when the deoptimization translation at
	// the call site keeps it where a core has it: ReceiverFrom says where
	// ("literal 19", "stack slot 6 (fp-40)"); ReceiverMap is the map of a
	// receiver optimized code never allocated (Receiver 0 then). Else
	// ReceiverNote says why it is not known.
	ReceiverFrom, ReceiverNote string
	ReceiverMap                Value
	// TranslationNote, on a physical optimized frame, says why its deopt
	// point's translation was not used ("" when it was or did not apply).
	TranslationNote string
	// InlinedFrames, on a physical optimized frame as classify decodes it,
	// are the functions inlined at its pc, innermost first; the walk turns
	// them into frames of their own.
	InlinedFrames []InlinedFrame
	// BytecodeArray and BytecodeOffset for interpreted and baseline
	// frames (offset -1 when unknown).
	BytecodeArray  Value
	BytecodeOffset int
	Code           Value // the Code object of baseline and optimized frames, 0 if not found
}

// Stack is the walked stack of one thread.
type Stack struct {
	TID    int
	Frames []Frame
	// End says why the walk stopped early ("stack ends: fp 0x… not in
	// core"); "" when it reached the outermost frame.
	End string
	// Gap, when the native frames stopped short and V8's record of the
	// last exit frame gave the frames after them, says why native
	// unwinding stopped (frames between the two may be missing).
	Gap string
}

// markerKind classifies a V8 frame type by its name.
func markerKind(name string) FrameKind {
	switch {
	case name == "EntryFrame" || name == "ConstructEntryFrame" || name == "CWasmEntryFrame":
		return KindEntry
	case strings.HasSuffix(name, "ExitFrame"):
		return KindExit
	case name == "NativeFrame":
		return KindNative
	case name == "StubFrame" || name == "BuiltinFrame" || strings.Contains(name, "Continuation") ||
		strings.HasPrefix(name, "TurbofanStub") || name == "IrregexpFrame":
		return KindBuiltin
	case name == "InterpretedFrame" || name == "BaselineFrame" || name == "MaglevFrame" ||
		name == "TurbofanJSFrame" || name == "TurbofanFrame" || name == "OptimizedFrame":
		return KindJS
	}
	return KindInternal
}

// Err reports why frames cannot be decoded with this metadata (nil if they
// can).
func (h *Walker) FramesErr() error { return h.Layout.Frame.Err }

// WalkOptions controls a stack walk.
type WalkOptions struct {
	// MaxFrames bounds a walk (0: no bound; a walk always ends, as each
	// frame pointer must be above the last one).
	MaxFrames int

	capHint int // frames expected (from the native walk)
}

// WalkThread walks one thread's stack from its registers outwards (native
// frames by call frame information, V8's by frame pointer; see native.go)
// and classifies each frame. It never fails: when every method fails the
// walk ends with a note in Stack.End.
func (h *Walker) WalkThread(ctx context.Context, t *elfcore.Thread, opts WalkOptions) *Stack {
	return h.numbered(h.walkMixed(ctx, t, opts))
}

// WalkFrom walks from an explicit pc and frame pointer (sp bounds the first
// frame pointer; 0 = no bound).
func (h *Walker) WalkFrom(ctx context.Context, tid int, pc, fp, sp uint64, opts WalkOptions) *Stack {
	return h.numbered(h.walk(ctx, tid, pc, fp, sp, false, opts))
}

// numbered numbers the frames and marks the constructor calls.
func (h *Walker) numbered(st *Stack) *Stack {
	// A JS frame called by a construct frame runs a constructor.
	for i := range st.Frames {
		st.Frames[i].Index = i
		if i+1 < len(st.Frames) && st.Frames[i].Kind == KindJS {
			if t := st.Frames[i+1].Type; t == "ConstructFrame" || t == "FastConstructFrame" {
				st.Frames[i].Construct = true
			}
		}
	}
	return st
}

// walk follows the frame pointer chain from fp; callSite says pc is a
// return address (the frame called out), not the instruction being run.
func (h *Walker) walk(ctx context.Context, tid int, pc, fp, sp uint64, callSite bool, opts WalkOptions) *Stack {
	st := &Stack{TID: tid, Frames: make([]Frame, 0, opts.capHint)}
	limit := opts.MaxFrames
	p := h.Proc
	if sp != 0 && (fp < sp || fp-sp > maxFrameSize) && fp != 0 {
		// The innermost code does not keep a frame pointer (libc): the
		// register holds a stale or reused value.
		st.Frames = append(st.Frames, h.classify(0, pc, 0))
		st.End = fmt.Sprintf("stack ends: fp %#x is not a frame pointer (sp %#x)", fp, sp)
		return st
	}
	for i := 0; ; i++ {
		if ctx != nil && ctx.Err() != nil {
			st.End = errInterrupted
			return st
		}
		if limit > 0 && i >= limit {
			st.End = fmt.Sprintf("stack ends: more than %d frames", limit)
			return st
		}
		if fp == 0 {
			if pc != 0 {
				st.Frames = append(st.Frames, h.classify(len(st.Frames), pc, 0))
			}
			return st
		}
		if fp&7 != 0 {
			st.End = fmt.Sprintf("stack ends: fp %#x is misaligned", fp)
			return st
		}
		if !p.InCore(fp) || !p.InCore(fp+8) {
			if pc != 0 {
				st.Frames = append(st.Frames, Frame{Index: len(st.Frames), PC: pc, Kind: KindNative, Symbol: h.symbol(pc), Position: -1, BytecodeOffset: -1})
			}
			if fp < 0x10000 {
				return st // the outermost frame's saved fp is not a pointer (thread start)
			}
			st.End = fmt.Sprintf("stack ends: fp %#x not in core", fp)
			return st
		}
		f := h.classify(len(st.Frames), pc, fp)
		if i > 0 || callSite { // pc is a return address: a call site
			h.inlineFromTranslation(&f)
		}
		st.Frames = appendExpanded(st.Frames, f)
		next, _ := p.ReadU64(fp)
		ret, _ := p.ReadU64(fp + 8)
		if next != 0 && next <= fp {
			if next == fp {
				st.End = fmt.Sprintf("stack ends: fp %#x loops to itself", fp)
			} else if next < 0x10000 {
				if ret != 0 {
					st.Frames = append(st.Frames, h.classify(len(st.Frames), ret, 0))
				}
				return st
			} else {
				st.End = fmt.Sprintf("stack ends: fp %#x goes backwards to %#x (corrupted frame pointer)", fp, next)
			}
			return st
		}
		if next != 0 && next-fp > maxFrameSize {
			st.End = fmt.Sprintf("stack ends: fp %#x jumps to %#x (corrupted frame pointer)", fp, next)
			return st
		}
		fp, pc = next, ret
	}
}

// appendExpanded appends a frame, expanded when it has inlined functions.
func appendExpanded(frames []Frame, f Frame) []Frame {
	if len(f.InlinedFrames) == 0 {
		return append(frames, f)
	}
	return append(frames, expandInlined(f)...)
}

// expandInlined turns an optimized frame with inlined functions into one
// frame each, innermost first, the physical frame last.
func expandInlined(f Frame) []Frame {
	if len(f.InlinedFrames) == 0 {
		return []Frame{f}
	}
	out := make([]Frame, 0, len(f.InlinedFrames)+1)
	for _, in := range f.InlinedFrames {
		g := Frame{Index: f.Index, FP: f.FP, PC: f.PC, Kind: KindJS, Type: f.Type, Symbol: f.Symbol,
			Tier: f.Tier, Function: in.Function, Shared: in.Shared, Position: in.Position, Inlined: 1, BytecodeOffset: -1, Code: f.Code,
			Receiver: in.Receiver, ReceiverMap: in.ReceiverMap, ReceiverFrom: in.ReceiverFrom, ReceiverNote: in.ReceiverNote}
		if in.Builtin {
			g.Tier, g.PositionNote = TierBuiltin, "builtin"
		}
		out = append(out, g)
	}
	f.InlinedFrames = nil
	return append(out, f)
}

// maxFrameSize bounds the distance between two consecutive frame pointers.
const maxFrameSize = 64 << 20

func (h *Walker) symbol(pc uint64) string {
	if loc, ok := h.Proc.Symbolize(pc); ok {
		return loc.String()
	}
	return ""
}

// isBuiltinPC reports whether pc lies in V8's embedded builtins (in the
// binary's text or its remapped copy), with the symbol name.
func (h *Walker) pcSymbol(pc uint64) (loc elfcore.Location, inFile bool) {
	loc, ok := h.Proc.Symbolize(pc)
	return loc, ok
}

// classify decodes the frame at fp executing pc (fp 0: only the pc is known).
func (h *Walker) classify(idx int, pc, fp uint64) Frame {
	l := h.Layout
	f := Frame{Index: idx, FP: fp, PC: pc, Position: -1, BytecodeOffset: -1}
	loc, fileBacked := h.pcSymbol(pc)
	if fileBacked {
		f.Symbol = h.locationText(pc, loc)
	}
	builtin := fileBacked && strings.HasPrefix(loc.Symbol, "Builtins_")
	if fp == 0 || l.Frame.Err != nil || (fileBacked && !builtin) {
		// C/C++ code: its frame slots are its own locals.
		f.Kind = KindNative
		return f
	}
	slot := func(off int64) uint64 {
		v, err := h.Proc.ReadU64(uint64(int64(fp) + off))
		if err != nil {
			return 0
		}
		return v
	}
	marker := slot(l.Frame.ContextOrFrameType)
	if marker&1 == 0 && marker != 0 && marker <= l.Frame.MaxMarker {
		t := int(marker >> 1)
		f.Type = h.Meta().FrameTypeName(t)
		if k, ok := h.kindOf[t]; ok {
			f.Kind = k
		} else {
			f.Kind = KindInternal
		}
		if f.Kind == KindJS { // a JS frame type in a marker slot does not happen; be safe
			f.Kind = KindInternal
		}
		return f
	}
	fn := Value(slot(l.Frame.Function))
	if !h.isJSFunction(fn) {
		switch {
		case builtin:
			f.Kind = KindBuiltin
		case fileBacked:
			f.Kind = KindNative
		default:
			f.Kind = KindInternal
		}
		return f
	}
	f.Kind = KindJS
	f.Function = fn
	argc := slot(l.Frame.Argc)
	if argc >= 1 && argc < 1<<16 {
		f.Receiver = Value(slot(l.Frame.Args))
		for k := uint64(1); k < argc; k++ {
			f.Args = append(f.Args, Value(slot(l.Frame.Args+int64(8*k))))
		}
	}
	ba := Value(slot(l.Frame.BytecodeArray))
	isBA := false
	if h.IsHeapObject(ba) {
		if it, err := h.InstanceType(ba); err == nil && it == l.Types.BytecodeArray {
			isBA = true
		}
	}
	switch {
	case isBA && h.IsSmi(Value(slot(l.Frame.BytecodeOffset))):
		f.Tier = TierInterpreted
		f.BytecodeArray = ba
		f.BytecodeOffset = int(h.SmiValue(Value(slot(l.Frame.BytecodeOffset))) - l.Frame.BytecodeOffsetBias)
		f.Position, f.PositionNote = h.bytecodePosition(ba, f.BytecodeOffset)
	case builtin:
		f.Tier = TierBuiltin
		f.PositionNote = "builtin"
	default:
		// Baseline or optimized: the kind of the Code object tells.
		if isBA {
			f.BytecodeArray = ba
		}
		h.compiledPosition(&f, isBA)
	}
	f.Type = h.tierFrame[f.Tier]
	return f
}

// isJSFunction reports whether v points to a JSFunction (of any of its
// instance types: class constructors, async functions, ...).
func (h *Walker) isJSFunction(v Value) bool {
	if !h.IsHeapObject(v) {
		return false
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return false
	}
	l := h.Layout
	return it >= l.Types.FirstJSFunction && it <= l.Types.LastJSFunction
}
