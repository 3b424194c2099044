package stack

import (
	"context"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/unwind"
)

// A thread's stack is walked in two parts. Native code (libc, node, native
// addons) is unwound by call frame information where an FDE covers the pc,
// else by frame pointer, through signal frames (package unwind). At the
// first frame whose pc lies in V8 code (JIT code in anonymous memory or an
// embedded builtin), V8's own frame walk takes over from that frame's
// frame pointer: it knows V8's frame types, JS functions and inlining.
// Native frames found by the unwinder beyond where V8's walk stops are
// kept, so a broken frame pointer chain below JavaScript does not hide the
// thread's start.

// unwinder returns the native unwinder of the core (made once).
func (h *Walker) unwinder() *unwind.Unwinder {
	h.unwindOnce.Do(func() { h.unwind = unwind.New(h.Proc) })
	return h.unwind
}

// isV8Code reports whether pc is V8's: JIT code (executable memory no file
// backs) or an embedded builtin.
func (h *Walker) isV8Code(pc uint64) bool {
	loc, fileBacked := h.pcSymbol(pc)
	if fileBacked {
		return strings.HasPrefix(loc.Symbol, "Builtins_")
	}
	_, mapped := h.Proc.FileMappingAt(pc)
	return !mapped && h.Proc.InCore(pc)
}

// walkMixed unwinds a thread natively and hands over to V8's walk at the
// first V8 frame; the native frames outside JavaScript (below V8's entry
// frame) are the unwinder's.
func (h *Walker) walkMixed(ctx context.Context, t *elfcore.Thread, opts WalkOptions) *Stack {
	nat, stop := h.unwinder().Thread(*t)
	st := &Stack{TID: t.TID, Frames: make([]Frame, 0, len(nat)+8)}
	opts.capHint = len(nat) + 8
	for i, nf := range nat {
		if nf.Trampoline || !nf.FPKnown || !h.isV8Code(nf.LookupPC()) {
			st.Frames = append(st.Frames, h.nativeFrame(nf))
			continue
		}
		js := h.walk(ctx, t.TID, nf.PC, nf.FP, nf.SP, !nf.Exact, opts)
		st.Frames = append(st.Frames, js.Frames...)
		st.End = js.End
		if js.End != errInterrupted {
			h.spliceNative(st, nat[i+1:], stop)
		}
		return st
	}
	if stop.Kind == unwind.StopFailed {
		st.End = "stack ends: " + stop.Reason
		if !h.fromThreadTop(ctx, t, st, opts) {
			h.fallbackFP(ctx, t, st, opts)
		}
	}
	return st
}

// fromThreadTop: the native unwinder failed before any V8 frame; V8's
// record of the thread's last exit frame gives the JavaScript frames.
func (h *Walker) fromThreadTop(ctx context.Context, t *elfcore.Thread, st *Stack, opts WalkOptions) bool {
	js, err := h.WalkFromThreadTop(ctx, t, opts)
	if err != nil {
		st.End += "; V8's thread-local top: " + err.Error()
		return false
	}
	native := st.End
	st.Frames = append(st.Frames, js.Frames...)
	st.End = js.End
	if len(js.Frames) > 0 {
		st.Frames[len(st.Frames)-len(js.Frames)].Unwound = "thread-top"
	}
	st.Gap = strings.TrimPrefix(native, "stack ends: ")
	return true
}

const errInterrupted = "stack walk interrupted"

// spliceNative replaces the frames V8's walk found beyond its outermost V8
// frame (native code it followed by frame pointer, or nothing when it
// stopped early) with the native unwinder's, which use call frame
// information there. V8's own frames stay.
func (h *Walker) spliceNative(st *Stack, rest []unwind.Frame, stop unwind.Stop) {
	k := -1
	for i, f := range st.Frames {
		if f.Kind != KindNative {
			k = i
		}
	}
	if k < 0 {
		return
	}
	boundary := st.Frames[k].FP
	var tail []Frame
	for _, nf := range rest {
		if nf.SP <= boundary {
			continue
		}
		if !nf.Trampoline && nf.FPKnown && h.isV8Code(nf.LookupPC()) {
			tail = appendExpanded(tail, h.classify(0, nf.PC, nf.FP))
			continue
		}
		tail = append(tail, h.nativeFrame(nf))
	}
	if len(tail) == 0 {
		return
	}
	st.Frames = append(st.Frames[:k+1], tail...)
	st.End = ""
	if stop.Kind == unwind.StopFailed {
		st.End = "stack ends: " + stop.Reason
	}
}

// fallbackFP: the native unwinder found no V8 frame and failed; V8's frame
// pointer walk from the thread's registers may still reach JavaScript (a
// library without unwind tables whose code keeps frame pointers).
func (h *Walker) fallbackFP(ctx context.Context, t *elfcore.Thread, st *Stack, opts WalkOptions) {
	fp := h.walk(ctx, t.TID, t.Regs.RIP, t.Regs.RBP, t.Regs.RSP, false, opts)
	for _, f := range fp.Frames {
		if f.Kind != KindNative {
			st.Frames = fp.Frames
			st.End = fmt.Sprintf("%s; the frame pointer walk: %s", st.End, orEnd(fp.End))
			return
		}
	}
}

func orEnd(s string) string {
	if s == "" {
		return "reached the outermost frame"
	}
	return s
}

// nativeFrame is a frame of native code found by the unwinder.
func (h *Walker) nativeFrame(nf unwind.Frame) Frame {
	f := Frame{PC: nf.PC, Kind: KindNative, Position: -1, BytecodeOffset: -1, Unwound: nf.Method.String()}
	if nf.FPKnown {
		f.FP = nf.FP // rbp in this frame: the frame pointer of code that keeps one
	}
	if loc, ok := h.pcSymbol(nf.LookupPC()); ok {
		if nf.LookupPC() != nf.PC {
			loc.Offset++ // name the return address itself, as gdb prints it
		}
		f.Symbol = h.locationText(nf.PC, loc)
	}
	if nf.Trampoline {
		f.Type = "SignalFrame"
	}
	return f
}

// maxCachedNames bounds the per-core caches of symbol and function names
// (a hostile core can have any number of distinct pcs).
const maxCachedNames = 1 << 16

// locationText is loc as text ("node`uv_run+0x2f4"), cached by pc: deep
// recursion names the same few return addresses thousands of times, and
// demangling is not cheap.
func (h *Walker) locationText(pc uint64, loc elfcore.Location) string {
	h.namesMu.Lock()
	defer h.namesMu.Unlock()
	if s, ok := h.symbols[pc]; ok {
		return s
	}
	s := loc.String()
	if len(h.symbols) < maxCachedNames {
		h.symbols[pc] = s
	}
	return s
}
