package async

import "encoding/binary"

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
