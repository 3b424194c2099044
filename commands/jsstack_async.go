package commands

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/async"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// AsyncReaderOf returns the session's async chain reader.
func AsyncReaderOf(inv *Invocation) (*async.Reader, error) {
	v, err := inv.Session.Cached("v8async", func() (any, error) {
		w, err := WalkerOf(inv)
		if err != nil {
			return nil, err
		}
		return async.NewReader(w), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*async.Reader), nil
}

// threadAsyncChain is (once per session) the async chain below a thread's
// synchronous frames (async.Reader.FromStack).
func threadAsyncChain(inv *Invocation, t *elfcore.Thread, st *stack.Stack) (async.Chain, error) {
	v, err := inv.Session.Cached(fmt.Sprintf("async.chain.%d", t.TID), func() (any, error) {
		r, err := AsyncReaderOf(inv)
		if err != nil {
			return nil, err
		}
		return r.FromStack(st, t.Regs.RSP), nil
	})
	if err != nil {
		return async.Chain{}, err
	}
	return v.(async.Chain), nil
}

// asyncFrameJSON is one async frame of ::jsstack --json.
type asyncFrameJSON struct {
	Thread       int               `json:"thread"`
	Frame        int               `json:"frame"`
	Kind         string            `json:"kind"` // "async"
	Function     string            `json:"function"`
	Script       string            `json:"script,omitempty"`
	Line         int               `json:"line,omitempty"`
	Column       int               `json:"column,omitempty"`
	PositionNote string            `json:"position_note,omitempty"`
	Index        *int              `json:"index,omitempty"`     // a combinator's element index
	Generator    string            `json:"generator,omitempty"` // the suspended JSAsyncFunctionObject/JSAsyncGeneratorObject
	Awaits       string            `json:"awaits"`              // the promise it waits on
	This         json.RawMessage   `json:"this,omitempty"`
	Args         []json.RawMessage `json:"args,omitempty"`
	Locals       []asyncLocalJSON  `json:"locals,omitempty"`
}

type asyncLocalJSON struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// asyncEndJSON says why a thread's async chain stopped early.
type asyncEndJSON struct {
	Thread   int    `json:"thread"`
	AsyncEnd string `json:"async_end"`
}

// printAsyncFrames appends a thread's async frames after its synchronous
// ones: "js:      async step (/app.js:14:10)", numbered on from them.
// Piped output carries only the synchronous frames (their frame pointers).
func printAsyncFrames(inv *Invocation, h *stack.Walker, t *elfcore.Thread, st *stack.Stack, verbose bool, filter string) error {
	if inv.Piped && !inv.JSON {
		return nil
	}
	ch, err := threadAsyncChain(inv, t, st)
	if err != nil {
		return nil // the synchronous frames stand without it
	}
	r, _ := AsyncReaderOf(inv)
	for i := range ch.Frames {
		f := &ch.Frames[i]
		if filter != "" && !strings.Contains(f.Name, filter) {
			continue
		}
		if inv.JSON {
			if err := inv.JSONLine(asyncFrameRecord(h, r, t.TID, len(st.Frames)+i, f)); err != nil {
				return err
			}
			continue
		}
		inv.Printf("js:      %s\n", f.Text())
		if f.Line == 0 && f.Note != "" && f.Kind == async.KindAwait {
			inv.Printf("         (position unknown: %s)\n", f.Note)
		}
		if verbose && f.Kind == async.KindAwait {
			printAsyncDetail(inv, h, r, f, "         ")
		}
	}
	if ch.End != "" {
		if inv.JSON {
			return inv.JSONLine(asyncEndJSON{Thread: t.TID, AsyncEnd: ch.End})
		}
		inv.Printf("(async chain ends: %s)\n", ch.End)
	}
	return nil
}

func asyncFrameRecord(h *stack.Walker, r *async.Reader, tid, n int, f *async.Frame) asyncFrameJSON {
	o := asyncFrameJSON{Thread: tid, Frame: n, Kind: "async", Function: f.Name, Script: f.Script,
		Line: f.Line, Column: f.Column, Awaits: Hex(uint64(f.Awaits))}
	if f.Line == 0 {
		o.PositionNote = f.Note
	}
	if f.Kind == async.KindCombinator {
		idx := f.Index
		o.Index = &idx
		return o
	}
	o.Generator = Hex(uint64(f.Generator))
	if f.Receiver != 0 {
		o.This = valueJSON(h, f.Receiver)
	}
	d := r.Details(f.Generator)
	for _, a := range d.Args {
		o.Args = append(o.Args, valueJSON(h, a))
	}
	for _, l := range d.Locals {
		o.Locals = append(o.Locals, asyncLocalJSON{Name: l.Name, Value: valueJSON(h, l.Value)})
	}
	return o
}

// printAsyncDetail is -v of an async frame: receiver, the arguments and
// context locals the generator keeps, and the await's source line.
func printAsyncDetail(inv *Invocation, h *stack.Walker, r *async.Reader, f *async.Frame, indent string) {
	if f.Receiver != 0 {
		inv.Printf("%sthis: %s\n", indent, valueText(h, f.Receiver))
	}
	d := r.Details(f.Generator)
	for i, a := range d.Args {
		inv.Printf("%sarg%d: %s\n", indent, i+1, valueText(h, a))
	}
	for _, l := range d.Locals {
		inv.Printf("%s%s: %s\n", indent, l.Name, valueText(h, l.Value))
	}
	if d.Note != "" {
		inv.Printf("%s(%s)\n", indent, d.Note)
	}
	if f.Line == 0 {
		return
	}
	sfi, err := h.SharedInfo(f.Function)
	if err != nil {
		return
	}
	if lines, err := h.ScriptLinesOf(sfi, f.Line, f.Line); err == nil && len(lines) == 1 {
		inv.Printf("%s> %5d  %s\n", indent, f.Line, strings.TrimRight(lines[0], "\r"))
	}
}
