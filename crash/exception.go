package crash

import (
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
)

// exception fills in an uncaught exception or unhandled rejection. The
// thrown value is not kept at one place V8 and Node agree on before the
// abort: Isolate::Throw holds it in a register or a handle, Node's
// TriggerUncaughtException in its FunctionCallbackInfo. What is certain is
// that it is live on the crashing thread's stack (a tagged pointer, or a
// handle pointing at one), so the stack is scanned for the innermost Error.
// A rejected promise is found the same way, and its result is the reason.
func (c *collector) exception(r *Reason) {
	r.Kind = UncaughtException
	fromPromise := c.calledFromJS("processPromiseRejections")
	if fromPromise {
		r.Kind = UnhandledRejection
	}
	if c.in.Walker == nil {
		r.Text = string(r.Kind)
		r.Notes = append(r.Notes, "the V8 layout of this core is unknown: the thrown value cannot be read")
		return
	}
	h := c.in.Walker.Heap
	var thrown object.Value
	if fromPromise {
		if p, ok := c.findValue(func(v object.Value) bool { return c.rejected(v) }); ok {
			r.Promise = fmt.Sprintf("%#x", uint64(p))
			_, thrown, _ = h.Promise(p)
		}
	}
	if thrown == 0 {
		thrown, _ = c.findValue(c.isError)
	}
	if thrown == 0 {
		// An error rebuilt from another thread (a worker's, deserialized
		// on the main thread) is a plain object made from Error.prototype.
		thrown, _ = c.findValue(c.looksLikeError)
	}
	if thrown == 0 {
		r.Text = string(r.Kind) + " (the thrown value is not on the stack)"
		return
	}
	r.Error = describeError(h, thrown)
	if r.Error.Stack == "" {
		r.Notes = append(r.Notes, "error.stack was never read, so never formatted: the js frames shown are those at the throw")
	}
	r.Text = r.Error.Constructor
	if r.Error.Message != "" {
		r.Text += ": " + r.Error.Message
	}
}

// calledFromJS reports whether a JavaScript frame of the crashing thread
// runs the function named.
func (c *collector) calledFromJS(name string) bool {
	for _, f := range c.jsFrames(0) {
		if strings.HasPrefix(f, name+" ") || strings.Contains(f, "."+name+" ") {
			return true
		}
	}
	return false
}

// findValue returns the innermost stack word that is, or is a handle to, a
// value that ok accepts.
func (c *collector) findValue(ok func(object.Value) bool) (object.Value, bool) {
	h := c.in.Walker.Heap
	for _, w := range c.words {
		v := object.Value(w)
		if h.IsHeapObject(v) && ok(v) {
			return v, true
		}
		if w&7 != 0 || w < 4096 {
			continue
		}
		// A handle: an aligned pointer to a slot holding the value.
		if s, err := c.in.Proc.ReadU64(w); err == nil && h.IsHeapObject(object.Value(s)) && ok(object.Value(s)) {
			return object.Value(s), true
		}
	}
	return 0, false
}

func (c *collector) isError(v object.Value) bool {
	t, err := c.in.Walker.InstanceType(v)
	return err == nil && t == c.in.Walker.Layout.Types.JSError && t > 0
}

func (c *collector) looksLikeError(v object.Value) bool {
	h := c.in.Walker.Heap
	t, err := h.InstanceType(v)
	if err != nil || !h.IsJSReceiverType(t) || h.IsFunctionType(t) {
		return false
	}
	name, err := h.ConstructorName(v)
	return err == nil && strings.HasSuffix(name, "Error")
}

func (c *collector) rejected(v object.Value) bool {
	h := c.in.Walker.Heap
	t, err := h.InstanceType(v)
	if err != nil || t != h.Layout.Types.JSPromise || t <= 0 {
		return false
	}
	st, _, err := h.Promise(v)
	return err == nil && st == object.Rejected
}

// describeError reads an error's constructor, message and stack.
func describeError(h *object.Heap, v object.Value) *ErrorObject {
	e := &ErrorObject{Address: fmt.Sprintf("%#x", uint64(v))}
	e.Constructor, _ = h.ConstructorName(v)
	props, err := h.Properties(v)
	if err != nil {
		return e
	}
	for _, p := range props {
		if p.Accessor {
			continue
		}
		switch {
		case p.Name == "message" && !p.IsSymbol:
			e.Message, _ = h.StringValue(p.Value)
		case p.Name == "stack" && !p.IsSymbol:
			if s, err := h.StringValue(p.Value); err == nil {
				e.Stack = s
			}
		case p.Private && e.Stack == "":
			e.Stack = formattedStack(h, p.Value)
		}
	}
	// A formatted stack, told from the other private strings an error holds
	// (V8 13 keeps the message under a private symbol too; private symbols
	// have no name to tell them apart by): it has frames, or starts with
	// the error's name.
	if e.Stack != "" && !strings.Contains(e.Stack, "\n    at ") && !strings.HasPrefix(e.Stack, e.Constructor) {
		e.Stack = ""
	}
	return e
}

// formattedStack is the formatted stack V8 keeps under its private
// error_stack_symbol once something read error.stack. Before that it keeps
// the call sites (a FixedArray), which are not formatted here.
func formattedStack(h *object.Heap, v object.Value) string {
	if s, err := h.StringValue(v); err == nil {
		return s
	}
	return ""
}
