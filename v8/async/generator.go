package async

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/stack"
)

// Describe names a suspended (or executing) generator object's function as
// V8's async frames do and locates the await it is suspended at.
func (r *Reader) Describe(g Value) Frame {
	h, l := r.h, r.h.Layout.JSGenerator
	_, generated := r.IsGenerator(g)
	f := Frame{Kind: KindAwait, Generator: g, Generated: generated, Name: "<unknown>"}
	fn, err := h.Word(g, l.Function)
	if err != nil || !h.IsHeapObject(fn) {
		f.Note = fmt.Sprintf("generator %#x: no function (freed or half-written object)", uint64(g))
		return f
	}
	f.Function = fn
	f.Receiver, _ = h.Word(g, l.Receiver)
	pos, note := r.awaitPosition(g, fn)
	sf := stack.Frame{Kind: stack.KindJS, Tier: stack.TierInterpreted, Function: fn, Receiver: f.Receiver,
		Position: pos, PositionNote: note, BytecodeOffset: -1}
	ji := r.w.FrameInfo(&sf)
	f.Name, f.Script, f.Line, f.Column, f.Note = ji.Name, ji.Script, ji.Line, ji.Column, ji.Note
	return f
}

// maxDescribed bounds the cache of describeCached.
const maxDescribed = 1 << 16

// describeCached is Describe for many generators: those with the same
// function, receiver map and saved offset share their name and position.
func (r *Reader) describeCached(g Value) Frame {
	h, l := r.h, r.h.Layout.JSGenerator
	fn, err1 := h.Word(g, l.Function)
	pos, err2 := h.Word(g, l.InputOrDebugPos)
	recv, err3 := h.Word(g, l.Receiver)
	if err1 != nil || err2 != nil || err3 != nil {
		return r.Describe(g)
	}
	k := describeKey{fn: fn, pos: pos, receiverMap: recv}
	if h.IsHeapObject(recv) {
		if m, err := h.Map(recv); err == nil {
			k.receiverMap = m
		}
	}
	r.mu.Lock()
	f, ok := r.described[k]
	r.mu.Unlock()
	if !ok {
		f = r.Describe(g)
		r.mu.Lock()
		if len(r.described) < maxDescribed {
			r.described[k] = f
		}
		r.mu.Unlock()
	}
	f.Generator, f.Receiver = g, recv
	return f
}

// awaitPosition is the script offset of the await a generator is
// suspended at: its saved bytecode offset (input_or_debug_pos, biased as in
// interpreted frames) through its function's source position table.
func (r *Reader) awaitPosition(g, fn Value) (int, string) {
	h := r.h
	c, err := r.Continuation(g)
	if err != nil {
		return -1, err.Error()
	}
	if c < 0 {
		return -1, "not suspended"
	}
	pos, err := h.Word(g, h.Layout.JSGenerator.InputOrDebugPos)
	if err != nil || !h.IsSmi(pos) {
		return -1, "no saved bytecode offset"
	}
	off := int(h.SmiValue(pos) - h.Layout.Frame.BytecodeOffsetBias)
	ba, err := r.BytecodeArray(fn)
	if err != nil {
		return -1, err.Error()
	}
	return r.w.BytecodePosition(ba, off)
}

// BytecodeArray is a function's BytecodeArray, from its
// SharedFunctionInfo's function data: the array itself, InterpreterData, or
// baseline code (whose bytecode is in its deoptimization data slot).
func (r *Reader) BytecodeArray(fn Value) (Value, error) {
	h, l := r.h, r.h.Layout
	sfi, err := h.SharedInfo(fn)
	if err != nil {
		return 0, err
	}
	if l.SharedFunctionInfo.FunctionData < 0 {
		return 0, fmt.Errorf("V8 metadata lacks SharedFunctionInfo.function_data")
	}
	d, err := h.Word(sfi, l.SharedFunctionInfo.FunctionData)
	if err != nil {
		return 0, err
	}
	for range 3 {
		if !h.IsHeapObject(d) {
			break
		}
		t, err := h.InstanceType(d)
		if err != nil {
			break
		}
		switch {
		case t == l.Types.BytecodeArray:
			return d, nil
		case t == l.Types.InterpreterData && l.InterpreterData.BytecodeArray >= 0:
			d, err = h.Word(d, l.InterpreterData.BytecodeArray)
		case t == l.Types.Code && l.Code.DeoptimizationData >= 0:
			d, err = h.Word(d, l.Code.DeoptimizationData)
		default:
			return 0, fmt.Errorf("function data %#x is no bytecode (%s)", uint64(d), h.TypeNameOf(t))
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("function %#x has no bytecode", uint64(fn))
}

// Details is what a suspended generator keeps: its arguments and
// registers (parameters_and_registers) and its context's named locals.
type Details struct {
	Args      []Value
	Registers []Value
	Locals    []Local
	Note      string // why some are missing
}

// Local is a named variable of the suspended function's context.
type Local struct {
	Name  string
	Value Value
}

// maxRegisters bounds the registers read from one generator.
const maxRegisters = 256

// Details reads a suspended generator's arguments, registers and
// context locals.
func (r *Reader) Details(g Value) Details {
	h, l := r.h, r.h.Layout
	var d Details
	fn, err := h.Word(g, l.JSGenerator.Function)
	if err != nil {
		d.Note = err.Error()
		return d
	}
	nparams := -1
	if sfi, err := h.SharedInfo(fn); err == nil && l.SharedFunctionInfo.FormalParameterCount >= 0 {
		if n, err := h.Proc.ReadU16(h.Untag(sfi) + uint64(l.SharedFunctionInfo.FormalParameterCount)); err == nil {
			nparams = int(n) - 1 // the count includes the receiver
		}
	}
	pr, err := h.Word(g, l.JSGenerator.ParametersAndRegisters)
	if err == nil && h.IsHeapObject(pr) {
		n, err := h.FixedArrayLength(pr)
		if err == nil {
			n = min(n, maxRegisters)
			for i := 0; i < n; i++ {
				v, err := h.FixedArrayGet(pr, i)
				if err != nil {
					break
				}
				if i < nparams {
					d.Args = append(d.Args, v)
				} else {
					d.Registers = append(d.Registers, v)
				}
			}
		} else {
			d.Note = "parameters and registers: " + err.Error()
		}
	}
	d.Locals = r.ownLocals(g, fn)
	return d
}

// maxScopes bounds the contexts read for one generator's locals.
const maxScopes = 16

// ownLocals are the named variables of the contexts the suspended function
// created itself: from the generator's context out to (excluding) the
// context its closure was made in, which holds the outer scopes' variables.
func (r *Reader) ownLocals(g, fn Value) []Local {
	h, l := r.h, r.h.Layout
	outer, err := h.Word(fn, l.JSFunction.Context)
	if err != nil {
		return nil
	}
	ctx, err := h.Word(g, l.JSGenerator.Context)
	var out []Local
	for i := 0; err == nil && i < maxScopes && ctx != outer && h.IsHeapObject(ctx); i++ {
		vars, c, verr := h.ContextVariables(ctx)
		if verr != nil {
			break
		}
		for _, v := range vars {
			out = append(out, Local{Name: v.Name, Value: v.Value})
		}
		ctx, err = c.Previous, nil
	}
	return out
}
