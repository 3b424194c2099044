// Package async follows what suspended async code waits on: the chain of
// async functions and generators that V8's async stack traces show ("at
// async step (app.js:14:10)"), read from a core's heap. It follows the
// links V8's CaptureAsyncStackTrace follows (execution/isolate.cc): a
// pending promise's single reaction, an await closure's context to its
// JSAsyncFunctionObject or JSAsyncGeneratorObject, that object's promise
// (or its queue's first request's promise), the element closures of
// Promise.all, allSettled and any, a promise capability's default resolve
// function, and plain then-chains.
package async

import (
	"fmt"
	"sync"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// Value is a tagged V8 word.
type Value = object.Value

// MaxFrames bounds a chain: V8's own async traces stop at
// Error.stackTraceLimit; no real chain is longer than this.
const MaxFrames = 256

// MaxSteps bounds the promises one chain goes through (then-chains add
// no frames).
const MaxSteps = 1 << 16

// FrameKind says what an async frame is.
type FrameKind string

const (
	KindAwait      FrameKind = "await"      // a suspended async function or async generator
	KindCombinator FrameKind = "combinator" // Promise.all, allSettled or any waiting for an element
)

// Frame is one async frame: a suspended async function or generator, named
// and located as V8's async stack traces do, or a promise combinator.
type Frame struct {
	Kind      FrameKind
	Generator Value // the JSAsyncFunctionObject or JSAsyncGeneratorObject (await frames)
	Function  Value // its JSFunction (await frames) or the element closure (combinators)
	Receiver  Value // "this" of the suspended function
	Generated bool  // an async generator (else an async function)
	Name      string
	Script    string
	Line      int // 1-based line and column of the await where it is suspended; 0 when unknown
	Column    int
	Note      string // why the position is unknown
	Index     int    // a combinator's element index
	// Awaits is the promise this frame waits on (the one the chain came from).
	Awaits Value
}

// Text is the frame as V8 prints it after "at ": "async step
// (/app.js:14:10)", "async Promise.all (index 0)".
func (f *Frame) Text() string {
	if f.Kind == KindCombinator {
		return fmt.Sprintf("async %s (index %d)", f.Name, f.Index)
	}
	return "async " + f.Name + " (" + f.Location() + ")"
}

// Location is "file:line:col", the file alone, or "<anonymous>".
func (f *Frame) Location() string {
	switch {
	case f.Script == "":
		return "<anonymous>"
	case f.Line == 0:
		return f.Script
	}
	return fmt.Sprintf("%s:%d:%d", f.Script, f.Line, f.Column)
}

// Chain is a list of async frames, innermost first, and why it ended.
type Chain struct {
	Frames []Frame
	// Promise is the last promise reached: the one the outermost frame's
	// function will settle (pending), or where the chain stopped.
	Promise Value
	// End, when not "", says why the chain stopped on bad or unusual input
	// (a cycle, an unreadable object, a chain longer than MaxFrames).
	End string
}

// Reader follows async chains in one core.
type Reader struct {
	w *stack.Walker
	h *object.Heap

	mu        sync.Mutex
	described map[describeKey]Frame // frames of suspended generators alike, by what names and locates them
}

// describeKey is what Describe's result depends on besides the generator
// itself: the function, the receiver's map (its name) and the saved
// bytecode offset.
type describeKey struct{ fn, receiverMap, pos Value }

// NewReader prepares chain following with a core's stack walker (for
// names and source positions).
func NewReader(w *stack.Walker) *Reader {
	return &Reader{w: w, h: w.Heap, described: map[describeKey]Frame{}}
}

// isType reports whether v is a heap object of instance type t.
func (r *Reader) isType(v Value, t int) bool {
	if t < 0 || !r.h.IsHeapObject(v) {
		return false
	}
	it, err := r.h.InstanceType(v)
	return err == nil && it == t
}

// IsGenerator reports whether v is an async function or async generator
// object, and which.
func (r *Reader) IsGenerator(v Value) (ok, generated bool) {
	if !r.h.IsHeapObject(v) {
		return false, false
	}
	it, err := r.h.InstanceType(v)
	if err != nil {
		return false, false
	}
	t := r.h.Layout.Types
	switch {
	case t.JSAsyncFunctionObject >= 0 && it == t.JSAsyncFunctionObject:
		return true, false
	case t.JSAsyncGeneratorObject >= 0 && it == t.JSAsyncGeneratorObject:
		return true, true
	}
	return false, false
}

// Continuation is a generator's continuation: >= 0 while suspended, -2
// while executing, -1 once closed (V8's kGeneratorExecuting and
// kGeneratorClosed).
func (r *Reader) Continuation(g Value) (int64, error) {
	l := r.h.Layout.JSGenerator
	if l.Continuation < 0 {
		return 0, fmt.Errorf("V8 metadata lacks JSGeneratorObject.continuation")
	}
	c, err := r.h.Word(g, l.Continuation)
	if err != nil {
		return 0, err
	}
	if !r.h.IsSmi(c) {
		return 0, fmt.Errorf("generator %#x: continuation %#x is not a Smi (half-written or freed object)", uint64(g), uint64(c))
	}
	return r.h.SmiValue(c), nil
}

// Executing continuation value (V8's JSGeneratorObject::kGeneratorExecuting).
const Executing = -2

// SettledBy is the promise a generator settles when it finishes (an async
// function's promise), or will settle next (an async generator's first
// queued request's promise); 0 when there is none.
func (r *Reader) SettledBy(g Value) (Value, error) {
	ok, generated := r.IsGenerator(g)
	if !ok {
		return 0, fmt.Errorf("%#x is not an async function or generator object", uint64(g))
	}
	l := r.h.Layout
	if !generated {
		p, err := r.h.Word(g, l.JSGenerator.AsyncFunctionPromise)
		if err != nil || !r.isType(p, l.Types.JSPromise) {
			return 0, fmt.Errorf("async function object %#x: no promise", uint64(g))
		}
		return p, nil
	}
	q, err := r.h.Word(g, l.JSGenerator.AsyncGeneratorQueue)
	if err != nil {
		return 0, err
	}
	if !r.isType(q, l.Types.AsyncGeneratorRequest) {
		return 0, nil // undefined: nobody is waiting for the generator's next value
	}
	p, err := r.h.Word(q, l.AsyncGenRequest.Promise)
	if err != nil || !r.isType(p, l.Types.JSPromise) {
		return 0, fmt.Errorf("async generator request %#x: no promise", uint64(q))
	}
	return p, nil
}

// FromGenerator is the chain of an executing or suspended generator's
// awaiters: the async frames V8 prints below the synchronous frames when
// the generator's function runs from a microtask.
func (r *Reader) FromGenerator(g Value) Chain {
	p, err := r.SettledBy(g)
	if err != nil {
		return Chain{End: err.Error()}
	}
	if p == 0 {
		return Chain{}
	}
	return r.FromPromise(p)
}

// FromPromise follows a promise to whoever awaits it, and on, as
// CaptureAsyncStackTrace does: it stops at a settled promise, at one with
// no or several reactions, and at a reaction that leads to no promise.
func (r *Reader) FromPromise(p Value) Chain {
	var ch Chain
	seen := map[Value]bool{}
	for steps := 0; ; steps++ {
		ch.Promise = p
		if seen[p] {
			ch.End = fmt.Sprintf("cycle: promise %#x is already in this chain", uint64(p))
			return ch
		}
		if len(ch.Frames) >= MaxFrames || steps >= MaxSteps {
			ch.End = fmt.Sprintf("chain longer than %d frames or %d promises", MaxFrames, MaxSteps)
			return ch
		}
		seen[p] = true
		reaction, err := r.singleReaction(p)
		if err != nil {
			ch.End = err.Error()
			return ch
		}
		if reaction == 0 {
			return ch
		}
		next, f, err := r.step(reaction)
		if err != nil {
			ch.End = err.Error()
			return ch
		}
		if f != nil {
			f.Awaits = p
			ch.Frames = append(ch.Frames, *f)
		}
		if next == 0 {
			return ch
		}
		p = next
	}
}

// singleReaction is the only reaction of a pending promise; 0 when the
// promise is settled or has no or several reactions (V8 follows only one).
func (r *Reader) singleReaction(p Value) (Value, error) {
	l := r.h.Layout
	if !r.isType(p, l.Types.JSPromise) {
		return 0, fmt.Errorf("%#x is not a promise", uint64(p))
	}
	st, reactions, err := r.h.Promise(p)
	if err != nil {
		return 0, err
	}
	if st != object.Pending || !r.isType(reactions, l.Types.PromiseReaction) {
		return 0, nil
	}
	next, err := r.h.Word(reactions, l.PromiseReaction.Next)
	if err != nil {
		return 0, err
	}
	if !r.h.IsSmi(next) {
		return 0, nil
	}
	return reactions, nil
}

// step reads one reaction: the frame it adds (nil for plain then-chains)
// and the promise the chain goes on with (0 to stop).
func (r *Reader) step(reaction Value) (Value, *Frame, error) {
	l := r.h.Layout
	fulfill, err := r.h.Word(reaction, l.PromiseReaction.FulfillHandler)
	if err != nil {
		return 0, nil, err
	}
	reject, err := r.h.Word(reaction, l.PromiseReaction.RejectHandler)
	if err != nil {
		return 0, nil, err
	}
	if g := r.AwaitGenerator(fulfill); g != 0 {
		f := r.describeCached(g)
		next, err := r.SettledBy(g)
		if err != nil {
			return 0, &f, err
		}
		return next, &f, nil
	}
	if f, next, ok := r.combinator(fulfill, reject); ok {
		return next, f, nil
	}
	if next := r.defaultResolvePromise(fulfill); next != 0 {
		return next, nil, nil
	}
	poc, err := r.h.Word(reaction, l.PromiseReaction.PromiseOrCapability)
	if err != nil {
		return 0, nil, err
	}
	return r.promiseOf(poc), nil, nil
}

// promiseOf is a JSPromise itself or a PromiseCapability's promise; 0 for
// anything else (undefined: the reaction's handler result goes nowhere).
func (r *Reader) promiseOf(v Value) Value {
	l := r.h.Layout
	if r.isType(v, l.Types.JSPromise) {
		return v
	}
	if r.isType(v, l.Types.PromiseCapability) {
		p, err := r.h.Word(v, l.PromiseCapability.Promise)
		if err == nil && r.isType(p, l.Types.JSPromise) {
			return p
		}
	}
	return 0
}

// builtinContext is the context of a builtin closure (one without a
// script: an await closure, a combinator element closure, a capability's
// resolve function); 0 for user functions, whose context slots hold
// program variables.
func (r *Reader) builtinContext(fn Value) Value {
	h := r.h
	if !h.IsHeapObject(fn) {
		return 0
	}
	t, err := h.InstanceType(fn)
	if err != nil || !h.IsFunctionType(t) {
		return 0
	}
	sfi, err := h.SharedInfo(fn)
	if err != nil {
		return 0
	}
	if _, ok := h.ScriptOf(sfi); ok {
		return 0
	}
	ctx, err := h.Word(fn, h.Layout.JSFunction.Context)
	if err != nil || !h.IsHeapObject(ctx) {
		return 0
	}
	return ctx
}

// contextSlot reads slot i of a context (bounded by its length).
func (r *Reader) contextSlot(ctx Value, i int64) (Value, bool) {
	l := r.h.Layout.Context
	if i < 0 || l.Slots < 0 || l.Length < 0 {
		return 0, false
	}
	n, err := r.h.Word(ctx, l.Length)
	if err != nil || !r.h.IsSmi(n) || r.h.SmiValue(n) <= i {
		return 0, false
	}
	v, err := r.h.Word(ctx, l.Slots+i*8)
	return v, err == nil
}

// AwaitGenerator is the generator object an await closure resumes (its
// context's extension), 0 when fn is no await closure.
func (r *Reader) AwaitGenerator(fn Value) Value {
	ctx := r.builtinContext(fn)
	if ctx == 0 {
		return 0
	}
	g, ok := r.contextSlot(ctx, r.h.Layout.Context.ExtensionIndex)
	if !ok {
		return 0
	}
	if ok, _ := r.IsGenerator(g); !ok {
		return 0
	}
	return g
}

// defaultResolvePromise is the promise a capability's default resolve
// function resolves (PromiseBuiltins::kPromiseSlot, the first slot of its
// context), 0 when fn is not one.
func (r *Reader) defaultResolvePromise(fn Value) Value {
	ctx := r.builtinContext(fn)
	if ctx == 0 {
		return 0
	}
	p, ok := r.contextSlot(ctx, r.h.Layout.Context.MinSlots)
	if !ok || !r.isType(p, r.h.Layout.Types.JSPromise) {
		return 0
	}
	return p
}

// elementCapability is the PromiseCapability of a combinator element
// closure's context (PromiseBuiltins' capability slot, after the
// remaining-elements count), 0 when fn is not one.
func (r *Reader) elementCapability(fn Value) (ctx, capability Value) {
	ctx = r.builtinContext(fn)
	if ctx == 0 {
		return 0, 0
	}
	c, ok := r.contextSlot(ctx, r.h.Layout.Context.MinSlots+1)
	if !ok || !r.isType(c, r.h.Layout.Types.PromiseCapability) {
		return 0, 0
	}
	return ctx, c
}

// combinator recognizes a Promise.all, allSettled or any element closure
// among a reaction's handlers: all has it as the fulfill handler, any as
// the reject handler, allSettled as both (two closures sharing a context).
func (r *Reader) combinator(fulfill, reject Value) (*Frame, Value, bool) {
	fctx, fcap := r.elementCapability(fulfill)
	rctx, rcap := r.elementCapability(reject)
	var name string
	var closure, capability Value
	switch {
	case fcap != 0 && rcap != 0 && fctx == rctx:
		name, closure, capability = "Promise.allSettled", fulfill, fcap
	case fcap != 0:
		name, closure, capability = "Promise.all", fulfill, fcap
	case rcap != 0:
		name, closure, capability = "Promise.any", reject, rcap
	default:
		return nil, 0, false
	}
	f := &Frame{Kind: KindCombinator, Function: closure, Name: name, Index: r.elementIndex(closure)}
	return f, r.promiseOf(capability), true
}

// elementIndex is a combinator element closure's index: V8 stores index+1
// as the closure's identity hash (a Smi in its properties slot while it
// has no properties).
func (r *Reader) elementIndex(fn Value) int {
	v, err := r.h.Word(fn, r.h.Layout.JSReceiver.PropertiesOrHash)
	if err != nil || !r.h.IsSmi(v) {
		return -1
	}
	return int(r.h.SmiValue(v)) - 1
}
