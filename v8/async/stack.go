package async

import (
	"encoding/binary"
	"strings"

	"github.com/ndb-debugger/ndb/v8/stack"
)

// maxStackScan bounds the stack bytes searched for the running generator.
const maxStackScan = 8 << 20

// Running finds, among the words of a thread's stack, the generator
// object of the async function the current microtask resumed: an
// executing async function or generator object whose function is that of
// a synchronous JS frame, the outermost such frame winning (an async
// function called from it runs synchronously until its first await, and
// is executing too). frameFunctions are the JSFunctions of the thread's JS
// frames, innermost first. It returns 0 when there is none: the thread
// runs no resumed async function.
func (r *Reader) Running(stackWords []uint64, frameFunctions []Value) Value {
	byFunction := map[Value]Value{}
	seen := map[Value]bool{}
	fnOff := r.h.Layout.JSGenerator.Function
	for _, w := range stackWords {
		v := Value(w)
		if seen[v] || !r.h.IsHeapObject(v) {
			continue
		}
		seen[v] = true
		if ok, _ := r.IsGenerator(v); !ok {
			continue
		}
		if c, err := r.Continuation(v); err != nil || c != Executing {
			continue
		}
		if fn, err := r.h.Word(v, fnOff); err == nil {
			byFunction[fn] = v
		}
	}
	for i := len(frameFunctions) - 1; i >= 0; i-- {
		if g, ok := byFunction[frameFunctions[i]]; ok {
			return g
		}
	}
	return 0
}

// StackWords reads the words of a thread's stack between sp and top
// (bounded); nil when they are not in the core.
func (r *Reader) StackWords(sp, top uint64) []uint64 {
	if top <= sp {
		return nil
	}
	n := min(top-sp, maxStackScan) &^ 7
	b, err := r.h.Proc.Slice(sp, n)
	if err != nil {
		return nil
	}
	out := make([]uint64, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return out
}

// FromStack is the async chain below a thread's synchronous frames, as V8
// finds it from the running microtask: the awaiters of the async function
// it resumed, or, when it runs a then or catch handler (a promise reaction
// job), of the promise that job settles. sp is the thread's stack pointer.
func (r *Reader) FromStack(st *stack.Stack, sp uint64) Chain {
	var fns []Value
	var top uint64
	for i := range st.Frames {
		f := &st.Frames[i]
		top = max(top, f.FP)
		if f.Kind == stack.KindJS && f.Function != 0 {
			fns = append(fns, f.Function)
		}
	}
	if len(fns) == 0 {
		return Chain{}
	}
	if g := r.Running(r.StackWords(sp, top+16), fns); g != 0 {
		return r.FromGenerator(g)
	}
	if p := r.reactionJobPromise(st); p != 0 {
		return r.FromPromise(p)
	}
	return Chain{}
}

// reactionJobPromise is the promise a running promise reaction job will
// settle with its handler's result: the builtin (PromiseFulfillReactionJob
// or PromiseRejectReactionJob) keeps it in its frame while the handler,
// the JS frame just inside it, runs. 0 when no such job runs.
func (r *Reader) reactionJobPromise(st *stack.Stack) Value {
	for i := 1; i < len(st.Frames); i++ {
		f := &st.Frames[i]
		if f.Kind == stack.KindJS || !isReactionJob(f.Symbol) {
			continue
		}
		inner := &st.Frames[i-1]
		if inner.Kind != stack.KindJS || inner.FP >= f.FP {
			return 0
		}
		for _, w := range r.StackWords(inner.FP, f.FP) {
			if v := Value(w); r.isType(v, r.h.Layout.Types.JSPromise) {
				return v
			}
		}
		return 0
	}
	return 0
}

// isReactionJob: the symbol of a promise reaction job builtin's frame.
func isReactionJob(symbol string) bool {
	return strings.Contains(symbol, "Builtins_PromiseFulfillReactionJob+") ||
		strings.Contains(symbol, "Builtins_PromiseRejectReactionJob+")
}
