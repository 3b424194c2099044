package stack

import (
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
)

// Call sites: the frames V8 captured when an Error was made, formatted as
// V8 formats them on the first read of err.stack (its CallSite
// serialization), so that a stack the process never read reads as Node
// would have printed it.

// CodeOffsetPosition maps an offset into a BytecodeArray (a bytecode
// offset) or a Code object (an instruction offset) to a script offset
// through the object's source position table (-1 and why when it cannot).
func (h *Walker) CodeOffsetPosition(code Value, off int) (int, string) {
	t, err := h.InstanceType(code)
	if err != nil {
		return -1, err.Error()
	}
	l := h.Layout
	switch t {
	case l.Types.BytecodeArray:
		// bytecodePosition counts offsets as the walker reads them from
		// frames (the slot minus ndb_bytecode_offset_bias), one more than
		// the offsets V8 itself keeps in call sites: on cores of all five
		// lines a call site's offset is its frame's offset less one.
		return h.bytecodePosition(code, off+1)
	case l.Types.Code:
		spt, err := h.Word(code, l.Code.SourcePositions)
		if err != nil {
			return -1, err.Error()
		}
		b, err := h.byteArray(spt)
		if err != nil {
			return -1, "no source positions: " + err.Error()
		}
		es, err := decodePositions(b, l.Code.SourcePositionFormat)
		if err != nil && len(es) == 0 {
			return -1, err.Error()
		}
		e, ok := positionAt(es, off)
		if !ok {
			return -1, "code offset before the first source position"
		}
		return e.ScriptOffset(), ""
	}
	return -1, "no code"
}

// CallSiteLine is one call site as V8 prints it after "    at ":
// "fn (file:line:col)", "Type.method [as name] (file:line:col)",
// "new F (...)", "async fn (...)", "Array.forEach (<anonymous>)" for a
// builtin, or the bare location of an anonymous function.
func (h *Walker) CallSiteLine(cs object.CallSite) string {
	f := Frame{Kind: KindJS, Function: cs.Function, Receiver: cs.Receiver, Construct: cs.Constructor, Position: -1}
	switch {
	case cs.PositionComputed:
		f.Position = cs.Offset
	case cs.Code != 0:
		f.Position, f.PositionNote = h.CodeOffsetPosition(cs.Code, cs.Offset)
	}
	ji := h.FrameInfo(&f)
	if cs.Async && ji.Script == "" && promiseCombinators[ji.FuncName] {
		// V8 keeps the builtin and, in place of an offset, the index of
		// the awaited promise.
		return "async Promise." + ji.FuncName + " (index " + strconv.Itoa(cs.Offset) + ")"
	}
	loc := "<anonymous>"
	if ji.Script != "" {
		loc = ji.Script
	}
	if ji.Line > 0 {
		loc += ":" + strconv.Itoa(ji.Line) + ":" + strconv.Itoa(ji.Column)
	}
	prefix := ""
	if cs.Async {
		prefix = "async "
	}
	name := ji.Name
	if n := h.inferredName(cs, ji.FuncName); n != "" {
		return prefix + n + " (" + loc + ")"
	}
	if ji.FuncName == "" && name == "<anonymous>" {
		return prefix + loc
	}
	return prefix + name + " (" + loc + ")"
}

// promiseCombinators are the builtins whose await frames V8 prints as
// "async Promise.all (index N)".
var promiseCombinators = map[string]bool{"all": true, "allSettled": true, "any": true}

// inferredName is the name V8 inferred for an anonymous function
// ("Module._load"), where its call sites print it alone (up to V8 11).
func (h *Walker) inferredName(cs object.CallSite, fn string) string {
	if h.Layout.CallSite.InferredName != 1 || fn != "" || cs.Constructor {
		return ""
	}
	fi, err := h.Function(cs.Function)
	if err != nil {
		return ""
	}
	return fi.InferredName
}

// FormatCallSites is the stack V8 would have formatted: the header (the
// error's "Name: message") and one "    at " line a call site.
func (h *Walker) FormatCallSites(header string, sites []object.CallSite) string {
	var b strings.Builder
	b.WriteString(header)
	for _, cs := range sites {
		b.WriteString("\n    at ")
		b.WriteString(h.CallSiteLine(cs))
	}
	return b.String()
}
