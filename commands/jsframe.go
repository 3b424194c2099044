package commands

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsframe",
		Synopsis: "FP::jsframe [-v] [-n LINES]",
		Summary:  "one stack frame in detail: function, location, receiver, arguments, source",
		Help: `Decodes the frame whose frame pointer is FP (as ::jsstack -a prints it, or
piped: ::jsstack | ::jsframe -v). Prints the function as Node names it and its
script:line:column; with -v also the receiver, each argument and the source
lines around the current line (-n LINES each side, default 2; 0 for none).
A frame that is not a JS frame prints its kind and symbol.`,
		JSON: `One object: the fields of ::jsstack --json for that frame, plus with -v
"source": [{"line", "text", "current"}].`,
		Opts: "vn:",
		Addr: AddrRequired,
		Run:  runJSFrame,
	})
}

func runJSFrame(inv *Invocation) error {
	h, err := WalkerOf(inv)
	if err != nil {
		return err
	}
	if err := h.FramesErr(); err != nil {
		return err
	}
	ctx := 2
	if inv.Flag('v') {
		if ctx, err = inv.IntOpt('n', 2); err != nil {
			return err
		}
	} else {
		ctx = -1
	}
	f, err := findFrame(inv, h, inv.Addr)
	if err != nil {
		return err
	}
	var ji stack.JSInfo
	if f.Kind == stack.KindJS {
		ji = h.FrameInfo(f)
	}
	tid := 0
	if t := inv.Session.Proc.SignalThread(); t != nil {
		tid = t.TID
	}
	if inv.JSON {
		obj := frameJSON(inv, h, tid, f, ji)
		if ctx >= 0 && f.Kind == stack.KindJS {
			var src []map[string]any
			for _, l := range sourceLines(h, f, ji, ctx) {
				src = append(src, map[string]any{"line": l.n, "text": l.text, "current": l.current})
			}
			obj["source"] = src
		}
		return inv.JSONLine(obj)
	}
	if inv.Piped {
		inv.Printf("%x %s\n", f.FP, frameLine(f, ji))
		return nil
	}
	inv.Printf("%s\n", frameLine(f, ji))
	inv.Printf("         fp %#x  pc %#x", f.FP, f.PC)
	if f.Symbol != "" {
		inv.Printf("  %s", f.Symbol)
	}
	inv.Printf("\n")
	if f.Kind != stack.KindJS {
		return nil
	}
	inv.Printf("         function: %#x", uint64(f.Function))
	if f.Type != "" {
		inv.Printf(" (%s)", f.Type)
	}
	inv.Printf("\n")
	if ctx >= 0 {
		printFrameDetail(inv, h, f, ji, ctx, "         ")
	}
	return nil
}

// findFrame finds the frame at fp on a thread's walked stack, or decodes it
// on its own when no walk reaches it.
func findFrame(inv *Invocation, h *stack.Walker, fp uint64) (*stack.Frame, error) {
	p := inv.Session.Proc
	for i := range p.Threads {
		st := threadStack(inv, h, &p.Threads[i])
		for j := range st.Frames {
			if st.Frames[j].FP == fp && fp != 0 {
				return &st.Frames[j], nil
			}
		}
	}
	if !p.InCore(fp) {
		return nil, fmt.Errorf("fp %#x is not in the core", fp)
	}
	// A frame pointer the walks did not reach: its pc is unknown, decode
	// its slots alone.
	st := h.WalkFrom(inv.Ctx, 0, 0, fp, 0, stack.WalkOptions{MaxFrames: 1})
	if len(st.Frames) == 0 {
		return nil, fmt.Errorf("fp %#x: %s", fp, st.End)
	}
	return &st.Frames[0], nil
}

// printFrameDetail prints receiver, arguments and source lines of a JS frame.
func printFrameDetail(inv *Invocation, h *stack.Walker, f *stack.Frame, ji stack.JSInfo, ctx int, indent string) {
	valueText := valueText
	if inv.Flag('a') {
		valueText = func(h *stack.Walker, v object.Value) string { return value.AddressedSummary(h.Heap, v) }
	}
	if f.Receiver != 0 {
		inv.Printf("%sthis: %s\n", indent, valueText(h, f.Receiver))
	}
	for i, a := range f.Args {
		inv.Printf("%sarg%d: %s\n", indent, i+1, valueText(h, a))
	}
	if f.Inlined > 0 && len(f.Args) == 0 {
		inv.Printf("%s(arguments of inlined frames are not kept)\n", indent)
	}
	for _, l := range sourceLines(h, f, ji, ctx) {
		mark := " "
		if l.current {
			mark = ">"
		}
		inv.Printf("%s%s %5d  %s\n", indent, mark, l.n, l.text)
	}
}

type srcLine struct {
	n       int
	text    string
	current bool
}

// sourceLines returns the lines around the frame's current line.
func sourceLines(h *stack.Walker, f *stack.Frame, ji stack.JSInfo, ctx int) []srcLine {
	if ctx < 0 || ji.Line == 0 {
		return nil
	}
	sfi, err := h.FrameShared(f)
	if err != nil {
		return nil
	}
	lines, err := h.ScriptLinesOf(sfi, ji.Line-ctx, ji.Line+ctx)
	if err != nil {
		return nil
	}
	var out []srcLine
	for i, text := range lines {
		n := max(1, ji.Line-ctx) + i
		out = append(out, srcLine{n, strings.TrimRight(text, "\r"), n == ji.Line})
	}
	return out
}

// frameJSON is the --json object of one frame.
func frameJSON(inv *Invocation, h *stack.Walker, tid int, f *stack.Frame, ji stack.JSInfo) map[string]any {
	o := map[string]any{"thread": tid, "frame": f.Index, "kind": string(f.Kind), "pc": Hex(f.PC)}
	if f.FP != 0 {
		o["fp"] = Hex(f.FP)
	}
	if f.Symbol != "" {
		o["symbol"] = f.Symbol
	}
	if f.Type != "" {
		o["type"] = f.Type
	}
	if f.Kind != stack.KindJS {
		return o
	}
	o["function"] = ji.Name
	o["tier"] = string(f.Tier)
	if ji.Script != "" {
		o["script"] = ji.Script
	}
	if ji.Line > 0 {
		o["line"], o["column"] = ji.Line, ji.Column
	} else if ji.Note != "" {
		o["position_note"] = ji.Note
	}
	if f.Construct {
		o["construct"] = true
	}
	if f.Inlined > 0 {
		o["inlined"] = true
	}
	if f.Receiver != 0 {
		o["this"] = valueJSON(h, f.Receiver)
	}
	if f.Inlined == 0 || len(f.Args) > 0 {
		args := make([]any, 0, len(f.Args))
		for _, a := range f.Args {
			args = append(args, valueJSON(h, a))
		}
		o["args"] = args
	}
	return o
}

func valueText(h *stack.Walker, v object.Value) string { return value.Summary(h.Heap, v) }

// valueJSON is the ::jsprint --json form of a value, one level deep.
func valueJSON(h *stack.Walker, v object.Value) any {
	return json.RawMessage(value.FormatJSON(h.Heap, v, value.Options{Depth: 1, MaxString: 200, MaxItems: 10}))
}
