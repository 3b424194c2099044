package stack

import (
	"strings"
)

// Function names, scripts and line numbers for stack frames.

// FrameShared returns the SharedFunctionInfo of a JS frame's function.
func (h *Walker) FrameShared(f *Frame) (Value, error) {
	if f.Shared != 0 {
		return f.Shared, nil
	}
	return h.SharedOf(f.Function)
}

func (h *Walker) sfiName(sfi Value) string {
	return h.cachedName(h.sfiNames, sfi, h.SFIName)
}

func (h *Walker) scriptName(script Value) string {
	return h.cachedName(h.scripts, script, h.ScriptName)
}

// cachedName reads a name once per object ("" when it cannot be read).
func (h *Walker) cachedName(cache map[Value]string, v Value, read func(Value) (string, error)) string {
	h.namesMu.Lock()
	n, ok := cache[v]
	h.namesMu.Unlock()
	if ok {
		return n
	}
	n, err := read(v)
	if err != nil {
		n = ""
	}
	h.namesMu.Lock()
	if len(cache) < maxCachedNames {
		cache[v] = n
	}
	h.namesMu.Unlock()
	return n
}

// JSInfo is what a JS frame shows: the function as Node's stack traces
// name it, the script, and the 1-based line and column (0 when unknown).
type JSInfo struct {
	Name     string // "OrderProcessor.process", "new Pipeline", "<anonymous>"
	FuncName string // the function's own name ("" when anonymous)
	Script   string // file path or "node:internal/…"; "" for builtins
	Line     int
	Column   int
	Note     string // why the position is unknown
}

// FrameInfo names a JS frame and locates its current position.
func (h *Walker) FrameInfo(f *Frame) JSInfo {
	var ji JSInfo
	sfi, err := h.FrameShared(f)
	if err != nil {
		ji.Name, ji.Note = "<unknown>", err.Error()
		return ji
	}
	ji.FuncName = h.sfiName(sfi)
	if !f.Construct && h.IsClassConstructor(sfi) {
		g := *f
		g.Construct = true
		f = &g
	}
	ji.Name = h.nodeName(f, ji.FuncName)
	if !f.Construct && f.Function != 0 && receiverKnown(f) && f.Receiver != 0 && !h.IsTopLevelReceiver(f.Receiver) {
		ji.Name = withMethodName(ji.Name, ji.FuncName, h.MethodName(f.Receiver, f.Function, ji.FuncName))
	}
	script, ok := h.ScriptOf(sfi)
	if ok {
		ji.Script = h.scriptName(script)
	}
	switch {
	case f.Position >= 0 && ok:
		line, col, err := h.LineColumn(script, f.Position)
		if err != nil {
			ji.Note = "line ends: " + err.Error()
			break
		}
		ji.Line, ji.Column = line, col
	case f.PositionNote != "":
		ji.Note = f.PositionNote
	case !ok:
		ji.Note = "no script"
	}
	return ji
}

// withMethodName adds the method name to a method call's name as V8's
// call sites do: an anonymous function is named by it ("Timeout.<anonymous>"
// becomes "Timeout._onTimeout"); a named function gets " [as method]" unless
// its name is the method name or ends with "." and it
// ("Timeout.onTimer [as _onTimeout]").
func withMethodName(name, fn, method string) string {
	switch {
	case method == "":
		return name
	case fn == "":
		return strings.TrimSuffix(name, "<anonymous>") + method
	case fn == method || strings.HasSuffix(fn, "."+method):
		return name
	}
	return name + " [as " + method + "]"
}

// nodeName builds the name the way V8's call sites print it: "new F" for
// constructors; for method calls the receiver's type name, a dot and the
// function name (unless the name already starts with the type name); else
// the function name, or "<anonymous>".
func (h *Walker) nodeName(f *Frame, fn string) string {
	if f.Construct {
		if fn == "" {
			fn = "<anonymous>"
		}
		return "new " + fn
	}
	if receiverKnown(f) && (f.ReceiverMap != 0 || !h.IsTopLevelReceiver(f.Receiver)) {
		tn := ""
		if f.ReceiverMap != 0 {
			tn = h.mapConstructorName(f.ReceiverMap)
		} else {
			tn = h.ReceiverTypeName(f.Receiver)
		}
		switch {
		case fn == "":
			if tn != "" {
				return tn + ".<anonymous>"
			}
		case tn != "" && !strings.HasPrefix(fn, tn+"."):
			return tn + "." + fn
		}
	}
	if fn == "" {
		return "<anonymous>"
	}
	return fn
}

// receiverKnown: a physical frame's receiver is in its slots; an inlined
// frame's only when the deoptimization translation gave it.
func receiverKnown(f *Frame) bool { return f.Inlined == 0 || f.ReceiverFrom != "" }
