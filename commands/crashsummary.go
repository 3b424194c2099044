package commands

import (
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// The crash summary of ::status: the top JS frame of the thread that got
// the signal and, when the process died of an uncaught exception, the
// thrown value.
func init() {
	RegisterStatusSection(crashSummary)
}

func crashSummary(inv *Invocation) []StatusField {
	h, err := WalkerOf(inv)
	if err != nil || h.FramesErr() != nil {
		return nil
	}
	t := inv.Session.Proc.SignalThread()
	if t == nil {
		return nil
	}
	st := threadStack(inv, h, t)
	var out []StatusField
	for i := range st.Frames {
		f := &st.Frames[i]
		if f.Kind != stack.KindJS {
			continue
		}
		ji := h.FrameInfo(f)
		text := ji.Name + " (" + jsLocation(ji) + ")"
		out = append(out, StatusField{"top JS frame", "top_js_frame", text, map[string]any{
			"function": ji.Name, "script": ji.Script, "line": ji.Line, "column": ji.Column, "fp": Hex(f.FP)}})
		break
	}
	if v, ok := thrownValue(h, st); ok {
		text := valueText(h, v)
		if msg, ok := errorMessage(h, v); ok {
			text += ": " + msg
			out = append(out, StatusField{"", "exception_message", "", msg})
		}
		out = append(out, StatusField{"uncaught exception", "exception", text, valueJSON(h, v)})
	}
	return out
}

// thrownValue finds the value passed to V8's Throw/ReThrow runtime
// function: its one argument sits on the stack above the exit frame that
// called it (the exit frame's caller stack pointer, fp + 16).
func thrownValue(h *stack.Walker, st *stack.Stack) (object.Value, bool) {
	for i := 1; i < len(st.Frames); i++ {
		f, callee := &st.Frames[i], &st.Frames[i-1]
		if f.Kind != stack.KindExit || callee.Kind != stack.KindNative {
			continue
		}
		if !strings.Contains(callee.Symbol, "Runtime_Throw(") && !strings.Contains(callee.Symbol, "Runtime_ReThrow(") {
			continue
		}
		w, err := h.Proc.ReadU64(f.FP + 16)
		if err != nil {
			return 0, false
		}
		return object.Value(w), true
	}
	return 0, false
}

// errorMessage reads the own "message" property of an Error.
func errorMessage(h *stack.Walker, v object.Value) (string, bool) {
	if !h.IsHeapObject(v) {
		return "", false
	}
	props, err := h.Properties(v)
	if err != nil {
		return "", false
	}
	for _, p := range props {
		if p.Name == "message" && !p.IsSymbol && !p.Accessor {
			s, err := h.StringValue(p.Value)
			return s, err == nil
		}
	}
	return "", false
}
