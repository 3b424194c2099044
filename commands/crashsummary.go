package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/crash"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// The crash summary of ::status: the top JS frame of the thread that got
// the signal and, when the process died of an uncaught exception, the
// thrown value.
func init() {
	RegisterStatusSection(crashSummary)
	RegisterStatusSection(reasonSection)
}

// reasonSection is the "reason" of ::status: why the process died (see
// package crash), one line and its details indented below it.
func reasonSection(inv *Invocation) []StatusField {
	r := deathReason(inv)
	out := []StatusField{{"reason", "reason", r.Kind.String() + ": " + r.Text, r}}
	for _, d := range reasonDetails(r) {
		out = append(out, StatusField{"  " + d[0], "", d[1], nil})
	}
	return out
}

// deathReason decides the reason once per session.
func deathReason(inv *Invocation) *crash.Reason {
	v, _ := inv.Session.Cached("crash.reason", func() (any, error) {
		p := inv.Session.Proc
		in := crash.Input{Proc: p, Thread: p.SignalThread(), SignalName: SignalName(p.Signal())}
		if h, err := WalkerOf(inv); err == nil && h.FramesErr() == nil {
			in.Walker = h
			if in.Thread != nil {
				in.Stack = threadStack(inv, h, in.Thread)
			}
		}
		r := crash.Decide(in)
		if r.IsHeapOOM() {
			if c, err := CensusOf(inv); err == nil {
				r.Heap = crash.HeapSpaces(p, c)
			} else {
				r.Notes = append(r.Notes, "heap spaces: "+err.Error())
			}
		}
		return r, nil
	})
	return v.(*crash.Reason)
}

// reasonDetails are the indented lines under "reason:".
func reasonDetails(r *crash.Reason) [][2]string {
	var d [][2]string
	add := func(k, v string) {
		if v != "" {
			d = append(d, [2]string{k, v})
		}
	}
	add("via", r.Via)
	if e := r.Error; e != nil {
		add("error", e.Address+" "+e.Constructor)
		add("message", e.Message)
		for i, l := range strings.Split(e.Stack, "\n") {
			if i > 0 {
				add("stack", strings.TrimSpace(l))
			}
		}
	}
	add("promise", r.Promise)
	if f := r.Fatal; f != nil {
		add("found", f.From)
	}
	for _, s := range r.Heap {
		add("space", fmt.Sprintf("%-20s used %10d  committed %10d", s.Space, s.Used, s.Committed))
	}
	if a := r.Assert; a != nil {
		add("at", a.FileLine+" "+a.Function)
		add("assertion", a.Message)
	}
	if f := r.Fault; f != nil {
		add("fault address", f.Addr)
		if f.SentBy != 0 {
			add("sent by", fmt.Sprintf("pid %d (kill)", f.SentBy))
		}
		add("native frame", f.NativeFrame)
	}
	total := max(len(r.JSFrames), r.JSFramesTotal)
	for i, j := range r.JSFrames {
		if i == 5 {
			add("js", fmt.Sprintf("… %d more (::jsstack)", total-i))
			break
		}
		add("js", j)
	}
	for _, n := range r.Notes {
		add("note", n)
	}
	return d
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
		out = append(out, StatusField{"", "exception", text, valueJSON(h, v)}) // text: the reason line says it
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
