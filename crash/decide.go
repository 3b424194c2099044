package crash

import (
	"context"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// Input is what Decide reads: the process, the thread that got the
// signal with its walked stack, and the stack walker (nil when the core's
// V8 layout is unknown: then no JavaScript object is read).
type Input struct {
	Proc       *elfcore.Process
	Walker     *stack.Walker
	Thread     *elfcore.Thread
	Stack      *stack.Stack
	SignalName string // "SIGABRT"
}

// The native functions that mark each way of dying, innermost first in
// the order they are tried. Names are demangled, without parameters.
var (
	fatalFuncs = []string{
		"node::OOMErrorHandler", "node::OnFatalError", "node::OOMErrorHandler",
		"v8::internal::V8::FatalProcessOutOfMemory", "v8::Utils::ReportOOMFailure",
		"v8::Utils::ReportApiFailure", "V8_Fatal",
	}
	assertFuncs   = []string{"node::Assert"}
	uncaughtFuncs = []string{"node::errors::TriggerUncaughtException"}
	v8ThrowFuncs  = []string{"v8::internal::Isolate::CreateMessageOrAbort", "v8::internal::Isolate::Throw", "v8::internal::Isolate::ThrowInternal", "v8::internal::Isolate::StackOverflow"}
	faultSignals  = map[string]bool{"SIGSEGV": true, "SIGBUS": true, "SIGILL": true, "SIGFPE": true}
)

// Decide says why the process died.
func Decide(in Input) *Reason {
	if in.Proc.Signal() == 0 || in.Thread == nil {
		return &Reason{Kind: Snapshot, Text: "no fatal signal: a core of a live process (gcore)"}
	}
	r := &Reason{Signal: in.SignalName, Thread: in.Thread.TID}
	base, words := stackWords(in.Proc, in.Thread.Regs.RSP, 0)
	calls := scanCalls(in.Proc, base, words)
	c := collector{in: in, base: base, words: words, calls: calls}
	c.jsStack()
	r.JSFrames = c.jsFrames(MaxJSFrames)
	if all := c.jsFrameCount(); all > len(r.JSFrames) {
		r.JSFramesTotal = all
	}
	switch {
	case c.found(fatalFuncs, r):
		c.fatal(r)
	case c.found(assertFuncs, r):
		c.assertion(r)
	case c.found(uncaughtFuncs, r), c.found(v8ThrowFuncs, r), c.calledFromJS("processPromiseRejections"):
		c.exception(r)
	case faultSignals[in.SignalName] && !c.v8Abort():
		c.fault(r)
	default:
		r.Kind = Abort
		r.Text = "abort() (" + in.SignalName + ")"
		if len(r.JSFrames) > 0 {
			r.Text = "abort() called from " + r.JSFrames[0]
		}
	}
	return r
}

// collector holds what Decide gathered from the crashing thread.
type collector struct {
	in    Input
	base  uint64
	words []uint64
	calls []nativeCall
}

// found reports whether one of names called on, and records it as Via.
func (c *collector) found(names []string, r *Reason) bool {
	call, ok := hasCall(c.calls, names...)
	if ok {
		r.Via = call.Function
	}
	return ok
}

// v8Abort reports a death by V8's own abort (base::OS::Abort traps with
// int3 or ud2: SIGTRAP or SIGILL, not a fault of the program).
func (c *collector) v8Abort() bool {
	_, ok := hasCall(c.calls, "v8::base::OS::Abort")
	return ok
}

// jsStack makes sure the crashing thread's stack has its JavaScript
// frames. When the frame-pointer walk from the thread's registers stops in
// native code without them (libc's abort() keeps no frame pointer), it
// walks again from the innermost return address into V8's builtins found
// on the stack, whose callee saved the frame pointer just below it.
func (c *collector) jsStack() {
	if c.in.Walker == nil || hasJS(c.in.Stack) {
		return
	}
	tries := 0
	for _, call := range c.calls {
		if !strings.Contains(call.Location, "`Builtins_") || call.Slot < c.base+8 {
			continue
		}
		if tries++; tries > 16 {
			break
		}
		fp := c.words[(call.Slot-c.base)/8-1]
		st := c.in.Walker.WalkFrom(context.Background(), c.in.Thread.TID, call.PC, fp, call.Slot+8, stack.WalkOptions{})
		if hasJS(st) {
			c.in.Stack = st
			return
		}
	}
}

func hasJS(st *stack.Stack) bool {
	if st == nil {
		return false
	}
	for i := range st.Frames {
		if st.Frames[i].Kind == stack.KindJS {
			return true
		}
	}
	return false
}

// jsFrames names up to n JavaScript frames of the crashing thread,
// innermost first, as "name (file:line:column)".
func (c *collector) jsFrames(n int) []string {
	if c.in.Walker == nil || c.in.Stack == nil {
		return nil
	}
	var out []string
	for i := range c.in.Stack.Frames {
		f := &c.in.Stack.Frames[i]
		if f.Kind != stack.KindJS {
			continue
		}
		ji := c.in.Walker.FrameInfo(f)
		out = append(out, ji.Name+" ("+location(ji)+")")
		if len(out) == n {
			break
		}
	}
	return out
}

// jsFrameCount counts the JavaScript frames of the crashing thread.
func (c *collector) jsFrameCount() int {
	n := 0
	if c.in.Stack != nil {
		for i := range c.in.Stack.Frames {
			if c.in.Stack.Frames[i].Kind == stack.KindJS {
				n++
			}
		}
	}
	return n
}

func location(ji stack.JSInfo) string {
	if ji.Script == "" {
		return "<anonymous>"
	}
	if ji.Line == 0 {
		return ji.Script
	}
	return fmt.Sprintf("%s:%d:%d", ji.Script, ji.Line, ji.Column)
}

// fault fills in a death by a fatal signal: si_addr, the innermost native
// frame and the JavaScript frames above it.
func (c *collector) fault(r *Reason) {
	r.Kind = Signal
	f := &Fault{}
	if si := c.in.Proc.Sig; si != nil {
		switch {
		case si.Code <= 0: // SI_USER, SI_TKILL, SI_QUEUE: sent, not a fault; no si_addr
			f.SentBy = si.SenderPID
		case si.Addr != 0:
			f.Addr = fmt.Sprintf("%#x", si.Addr)
		}
	}
	if loc, ok := c.in.Proc.Symbolize(c.in.Thread.Regs.RIP); ok {
		f.NativeFrame = loc.String()
	}
	r.Fault = f
	r.Text = r.Signal
	if f.Addr != "" {
		r.Text += " at " + f.Addr
	}
	if f.SentBy != 0 {
		r.Text += fmt.Sprintf(" sent by pid %d", f.SentBy)
	}
	if f.NativeFrame != "" {
		r.Text += " in " + f.NativeFrame
	}
	if len(r.JSFrames) > 0 {
		r.Text += " called from " + r.JSFrames[0]
	}
}
