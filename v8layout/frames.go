package v8layout

import (
	"context"
	"fmt"
	"strings"
	"sync"

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
}

// MaxFrames bounds a walk.
const MaxFrames = 4096

// frameLayout holds what the walker needs, resolved once per Heap.
type frameLayout struct {
	err                                    error
	fpContext, fpFunction, fpArgc, fpArgs  int64
	fpBytecodeArray, fpBytecodeOffset      int64
	maxMarker                              uint64
	firstFn, lastFn                        int
	tBytecodeArray                         int
	bcBias, baSPT                          int64
	posFormat                              int
	kindOf                                 map[int]FrameKind
	tierFrame                              map[Tier]string
	sfi                                    int64
	sfiName, sfiScript                     int64
	scriptName, scriptSource, scriptLineEn int64
}

var frameLayouts sync.Map // *Metadata → *frameLayout

func (h *Heap) frames() *frameLayout {
	if l, ok := frameLayouts.Load(h.M); ok {
		return l.(*frameLayout)
	}
	l := newFrameLayout(h.M)
	frameLayouts.Store(h.M, l)
	return l
}

func newFrameLayout(m *Metadata) *frameLayout {
	l := &frameLayout{kindOf: map[int]FrameKind{}, tierFrame: map[Tier]string{}}
	l.err = m.Require("const:off_fp_context_or_frame_type", "const:off_fp_function", "const:off_fp_argc",
		"const:off_fp_args", "const:off_fp_bytecode_array", "const:off_fp_bytecode_offset",
		"const:FirstJSFunctionType", "const:LastJSFunctionType", "type:BYTECODE_ARRAY_TYPE",
		"const:ndb_bytecode_offset_bias", "const:ndb_source_position_format", "BytecodeArray.source_position_table", "JSFunction.shared",
		"SharedFunctionInfo.name_or_scope_info", "SharedFunctionInfo.script",
		"Script.name", "Script.source", "Script.line_ends")
	c := func(n string) int64 { v, _ := m.Const(n); return v }
	f := func(cls, n string) int64 { v, _ := m.Field(cls, n); return v }
	l.fpContext = c("off_fp_context_or_frame_type")
	l.fpFunction = c("off_fp_function")
	l.fpArgc = c("off_fp_argc")
	l.fpArgs = c("off_fp_args")
	l.fpBytecodeArray = c("off_fp_bytecode_array")
	l.fpBytecodeOffset = c("off_fp_bytecode_offset")
	l.maxMarker = uint64(m.MaxFrameType()) << 1
	l.firstFn, l.lastFn = int(c("FirstJSFunctionType")), int(c("LastJSFunctionType"))
	l.tBytecodeArray, _ = m.Type("BYTECODE_ARRAY_TYPE")
	l.bcBias = c("ndb_bytecode_offset_bias")
	l.posFormat = int(c("ndb_source_position_format"))
	l.baSPT = f("BytecodeArray", "source_position_table")
	l.sfi = f("JSFunction", "shared")
	l.sfiName = f("SharedFunctionInfo", "name_or_scope_info")
	l.sfiScript = f("SharedFunctionInfo", "script")
	l.scriptName = f("Script", "name")
	l.scriptSource = f("Script", "source")
	l.scriptLineEn = f("Script", "line_ends")
	for name, v := range m.frameTypes {
		l.kindOf[v] = markerKind(name)
	}
	for tier, names := range map[Tier][]string{
		TierInterpreted: {"InterpretedFrame"}, TierBaseline: {"BaselineFrame"}, TierMaglev: {"MaglevFrame"},
		TierTurbofan:  {"TurbofanJSFrame", "TurbofanFrame", "OptimizedFrame"},
		TierOptimized: {"TurbofanJSFrame", "TurbofanFrame", "OptimizedFrame"}, TierBuiltin: {"BuiltinFrame"},
	} {
		for _, n := range names {
			if _, ok := m.FrameType(n); ok {
				l.tierFrame[tier] = n
				break
			}
		}
	}
	return l
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
func (h *Heap) FramesErr() error { return h.frames().err }

// WalkOptions controls a stack walk.
type WalkOptions struct {
	MaxFrames int // 0 = MaxFrames
}

// WalkThread walks one thread's stack by frame pointer, from its registers
// outwards, and classifies each frame. It never fails: a frame pointer that
// leaves the core, goes backwards or loops ends the walk with a note in
// Stack.End.
func (h *Heap) WalkThread(ctx context.Context, t *elfcore.Thread, opts WalkOptions) *Stack {
	return h.WalkFrom(ctx, t.TID, t.Regs.RIP, t.Regs.RBP, t.Regs.RSP, opts)
}

// WalkFrom walks from an explicit pc and frame pointer (sp bounds the first
// frame pointer; 0 = no bound).
func (h *Heap) WalkFrom(ctx context.Context, tid int, pc, fp, sp uint64, opts WalkOptions) *Stack {
	st := h.walk(ctx, tid, pc, fp, sp, opts)
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

func (h *Heap) walk(ctx context.Context, tid int, pc, fp, sp uint64, opts WalkOptions) *Stack {
	st := &Stack{TID: tid}
	limit := opts.MaxFrames
	if limit <= 0 {
		limit = MaxFrames
	}
	p := h.P
	if sp != 0 && (fp < sp || fp-sp > maxFrameSize) && fp != 0 {
		// The innermost code does not keep a frame pointer (libc): the
		// register holds a stale or reused value.
		st.Frames = append(st.Frames, h.classify(0, pc, 0))
		st.End = fmt.Sprintf("stack ends: fp %#x is not a frame pointer (sp %#x)", fp, sp)
		return st
	}
	for i := 0; ; i++ {
		if ctx != nil && ctx.Err() != nil {
			st.End = "stack walk interrupted"
			return st
		}
		if i >= limit {
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
		if i > 0 { // pc is a return address: a call site
			h.inlineFromTranslation(&f)
		}
		st.Frames = append(st.Frames, expandInlined(f)...)
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

func (h *Heap) symbol(pc uint64) string {
	if loc, ok := h.P.Symbolize(pc); ok {
		return loc.String()
	}
	return ""
}

// isBuiltinPC reports whether pc lies in V8's embedded builtins (in the
// binary's text or its remapped copy), with the symbol name.
func (h *Heap) pcSymbol(pc uint64) (loc elfcore.Location, inFile bool) {
	loc, ok := h.P.Symbolize(pc)
	return loc, ok
}

// classify decodes the frame at fp executing pc (fp 0: only the pc is known).
func (h *Heap) classify(idx int, pc, fp uint64) Frame {
	l := h.frames()
	f := Frame{Index: idx, FP: fp, PC: pc, Position: -1, BytecodeOffset: -1}
	loc, fileBacked := h.pcSymbol(pc)
	if fileBacked {
		f.Symbol = loc.String()
	}
	builtin := fileBacked && strings.HasPrefix(loc.Symbol, "Builtins_")
	if fp == 0 || l.err != nil || (fileBacked && !builtin) {
		// C/C++ code: its frame slots are its own locals.
		f.Kind = KindNative
		return f
	}
	slot := func(off int64) uint64 {
		v, err := h.P.ReadU64(uint64(int64(fp) + off))
		if err != nil {
			return 0
		}
		return v
	}
	marker := slot(l.fpContext)
	if marker&1 == 0 && marker != 0 && marker <= l.maxMarker {
		t := int(marker >> 1)
		f.Type = h.M.FrameTypeName(t)
		if k, ok := l.kindOf[t]; ok {
			f.Kind = k
		} else {
			f.Kind = KindInternal
		}
		if f.Kind == KindJS { // a JS frame type in a marker slot does not happen; be safe
			f.Kind = KindInternal
		}
		return f
	}
	fn := Value(slot(l.fpFunction))
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
	argc := slot(l.fpArgc)
	if argc >= 1 && argc < 1<<16 {
		f.Receiver = Value(slot(l.fpArgs))
		for k := uint64(1); k < argc; k++ {
			f.Args = append(f.Args, Value(slot(l.fpArgs+int64(8*k))))
		}
	}
	ba := Value(slot(l.fpBytecodeArray))
	isBA := false
	if h.IsHeapObject(ba) {
		if it, err := h.InstanceType(ba); err == nil && it == l.tBytecodeArray {
			isBA = true
		}
	}
	switch {
	case isBA && h.IsSmi(Value(slot(l.fpBytecodeOffset))):
		f.Tier = TierInterpreted
		f.BytecodeArray = ba
		f.BytecodeOffset = int(h.SmiValue(Value(slot(l.fpBytecodeOffset))) - l.bcBias)
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
	f.Type = l.tierFrame[f.Tier]
	return f
}

// isJSFunction reports whether v points to a JSFunction (of any of its
// instance types: class constructors, async functions, ...).
func (h *Heap) isJSFunction(v Value) bool {
	if !h.IsHeapObject(v) {
		return false
	}
	it, err := h.InstanceType(v)
	if err != nil {
		return false
	}
	l := h.frames()
	return it >= l.firstFn && it <= l.lastFn
}
