package commands

import (
	"github.com/ndb-debugger/ndb/v8/async"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

// promiseReactions is the value printers' view of who waits on a pending
// promise (nil when the session cannot read async chains).
func promiseReactions(inv *Invocation) func(object.Value) ([]value.Reaction, string) {
	r, err := AsyncReaderOf(inv)
	if err != nil {
		return nil
	}
	h, err := HeapOf(inv)
	if err != nil {
		return nil
	}
	return func(p object.Value) ([]value.Reaction, string) {
		rs, note := r.Reactions(p)
		out := make([]value.Reaction, 0, len(rs))
		for _, rc := range rs {
			out = append(out, reactionValue(h, rc))
		}
		return out, note
	}
}

func reactionValue(h *object.Heap, rc async.Reaction) value.Reaction {
	v := value.Reaction{Kind: string(rc.Kind), Object: rc.Next}
	switch rc.Kind {
	case async.ReactAwait, async.ReactCombinator:
		f := rc.Frame
		v.Function, v.Script, v.Line, v.Column = f.Name, f.Script, f.Line, f.Column
		if f.Kind == async.KindCombinator {
			v.Function = f.Text()[len("async "):]
		}
		if f.Generator != 0 {
			v.Object = f.Generator
		}
	case async.ReactThen, async.ReactCatch:
		fn := rc.Fulfill
		if rc.Kind == async.ReactCatch {
			fn = rc.Reject
		}
		if fi, err := h.Function(fn); err == nil {
			v.Function, v.Script, v.Line, v.Column = fi.DisplayName(), fi.ScriptName, fi.Line, fi.Column
		}
		v.Object = fn
	}
	return v
}

// asyncFunctionState is the value printers' view of an async function or
// generator object (nil when the session cannot read async chains).
func asyncFunctionState(inv *Invocation) func(object.Value) (string, string) {
	r, err := AsyncReaderOf(inv)
	if err != nil {
		return nil
	}
	return func(g object.Value) (string, string) {
		c, err := r.Continuation(g)
		switch {
		case err != nil:
			return "unknown: " + err.Error(), ""
		case c == async.Executing:
			return "executing", ""
		case c < 0:
			return "closed", ""
		}
		f := r.Describe(g)
		return "suspended", f.Text()
	}
}
