package commands

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsframe",
		Synopsis: "FP::jsframe [-v] [-n LINES] [-t TID]",
		Summary:  "one stack frame in detail: function, location, receiver, arguments, source",
		Help: `Decodes the frame whose frame pointer is FP (as ::jsstack -a prints it, or
piped: ::jsstack | ::jsframe -v). An address below 0x10000 is a frame number
as ::jsstack prints it: 5::jsframe opens frame #5 of the thread that got the
signal, 5::jsframe -t TID of thread TID (frame numbers are decimal, like
::jsstack's). Prints the function as Node names it and its
script:line:column; with -v also the receiver, each argument and the source
lines around the current line (-n LINES each side, default 2; 0 for none).
A frame that is not a JS frame prints its kind and symbol.`,
		JSON: `One object: the fields of ::jsstack --json for that frame, plus with -v
"source": [{"line", "text", "current"}].`,
		Opts: "vn:t:",
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
	f, tid, err := frameByAddr(inv, h)
	if err != nil {
		return err
	}
	var ji stack.JSInfo
	if f.Kind == stack.KindJS {
		ji = h.FrameInfo(f)
	}
	if inv.JSON {
		obj := frameJSON(h, tid, f, ji)
		if ctx >= 0 && f.Kind == stack.KindJS {
			for _, l := range sourceLines(h, f, ji, ctx) {
				obj.Source = append(obj.Source, sourceRecord{l.n, l.text, l.current})
			}
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

// maxFrameNumber: an address below it names a frame by its number.
const maxFrameNumber = 0x10000

// frameByAddr resolves ::jsframe's address: a frame number of the selected
// thread, or a frame pointer.
func frameByAddr(inv *Invocation, h *stack.Walker) (*stack.Frame, int, error) {
	threads, err := selectThreads(inv)
	if err != nil {
		return nil, 0, err
	}
	t := threads[0]
	if inv.Addr >= maxFrameNumber {
		f, err := findFrame(inv, h, inv.Addr)
		return f, t.TID, err
	}
	// The address was read as hex; ::jsstack numbers frames in decimal.
	n, err := strconv.Atoi(fmt.Sprintf("%x", inv.Addr))
	if err != nil {
		return nil, 0, fmt.Errorf("frame number %#x: write it as ::jsstack prints it (decimal)", inv.Addr)
	}
	st := threadStack(inv, h, t)
	if n >= len(st.Frames) {
		return nil, 0, fmt.Errorf("thread %d has frames #0 to #%d, no #%d", t.TID, len(st.Frames)-1, n)
	}
	return &st.Frames[n], t.TID, nil
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

// frameRecord is the --json record of one frame (::jsstack, ::jsframe).
type frameRecord struct {
	Thread int    `json:"thread"`
	Frame  int    `json:"frame"`
	Kind   string `json:"kind"`
	// Repeat, on a folded run of identical frames (::jsstack without -a),
	// is the number of frames of the run, from Frame outwards.
	Repeat       int               `json:"repeat,omitempty"`
	Function     string            `json:"function,omitempty"`
	Script       string            `json:"script,omitempty"`
	Line         int               `json:"line,omitempty"`
	Column       int               `json:"column,omitempty"`
	Tier         string            `json:"tier,omitempty"`
	PositionNote string            `json:"position_note,omitempty"`
	Construct    bool              `json:"construct,omitempty"`
	Inlined      bool              `json:"inlined,omitempty"`
	This         json.RawMessage   `json:"this,omitempty"`
	Args         []json.RawMessage `json:"args,omitempty"`
	FP           string            `json:"fp,omitempty"`
	PC           string            `json:"pc"`
	Symbol       string            `json:"symbol,omitempty"`
	Type         string            `json:"type,omitempty"`
	Unwound      string            `json:"unwound,omitempty"`
	Source       []sourceRecord    `json:"source,omitempty"`
}

// sourceRecord is one source line of ::jsframe -v --json.
type sourceRecord struct {
	Line    int    `json:"line"`
	Text    string `json:"text"`
	Current bool   `json:"current"`
}

// frameJSON is the --json record of one frame.
func frameJSON(h *stack.Walker, tid int, f *stack.Frame, ji stack.JSInfo) frameRecord {
	o := frameRecord{Thread: tid, Frame: f.Index, Kind: string(f.Kind), PC: Hex(f.PC), Symbol: f.Symbol, Type: f.Type, Unwound: f.Unwound}
	if f.FP != 0 {
		o.FP = Hex(f.FP)
	}
	if f.Kind != stack.KindJS {
		return o
	}
	o.Function, o.Tier, o.Script = ji.Name, string(f.Tier), ji.Script
	if ji.Line > 0 {
		o.Line, o.Column = ji.Line, ji.Column
	} else {
		o.PositionNote = ji.Note
	}
	o.Construct, o.Inlined = f.Construct, f.Inlined > 0
	if f.Receiver != 0 {
		o.This = valueJSON(h, f.Receiver)
	}
	if f.Inlined == 0 || len(f.Args) > 0 {
		o.Args = make([]json.RawMessage, 0, len(f.Args))
		for _, a := range f.Args {
			o.Args = append(o.Args, valueJSON(h, a))
		}
	}
	return o
}

func valueText(h *stack.Walker, v object.Value) string { return value.Summary(h.Heap, v) }

// valueJSON is the ::jsprint --json form of a value, one level deep.
func valueJSON(h *stack.Walker, v object.Value) json.RawMessage {
	return json.RawMessage(value.FormatJSON(h.Heap, v, value.Options{Depth: 1, MaxString: 200, MaxItems: 10}))
}
