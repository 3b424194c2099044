package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/v8/stack"
)

func init() {
	Register(&Command{
		Name:     "jsstack",
		Synopsis: "::jsstack [-avn] [-t TID|all] [-f FUNCTION]",
		Summary:  "mixed JavaScript and native stack of a thread, innermost frame first",
		Help: `Walks a thread's stack and prints one numbered line a frame, innermost first:

  #0  native:  libc.so.6` + "`" + `abort+0xd3
  #4  exit:    <ApiCallbackExitFrame> node` + "`" + `Builtins_CallApiCallbackGeneric+0xa2
  #5  js:      validate (/app/crash.js:25:5) [interpreted]

Native code (libc, node, native addons) is unwound with its call frame
information (.eh_frame, .debug_frame) where it has some, and by frame pointer
elsewhere, through signal handlers; from the first frame in V8 code (JIT code,
builtins) V8's own frame walk takes over, and below V8's entry frame the native
unwinder again. So a death in libc's abort() shows abort, node's frames and
the JavaScript frames that led there. When native unwinding fails before the
first V8 frame, the walk starts again from V8's own record of the thread's last
exit from JavaScript (the isolate's thread-local top), with a note.

JS frames are named as Node's stack traces name them ("OrderProcessor.process",
"new Pipeline", "Timeout.onTimer [as _onTimeout]", "<anonymous>"), with
script, line and column, for every tier; functions that optimized code inlined
get frames of their own, marked "inlined" (their receiver and arguments are
not kept). When a position cannot be known, the frame says so instead of
guessing. A walk that could not reach the outermost frame ends with
"(stack ends: ...)" and the reason every method failed.

There is no frame limit. Runs of three or more identical frames (deep
recursion) are folded into one line with their count,
"#5 js: walk (/app/overflow.js:3:10) × 4,090 (#5 to #4094)"; the innermost
and outermost frames always show on their own. -a prints every frame.
Numbers are the frames' indexes: N::jsframe opens frame N.

  -t TID   the thread (default: the one that got the signal); "all" for every
           thread, each headed by its role (see ::threads)
  -v       each JS frame's receiver and arguments, and its source line
  -a       every frame unfolded, with frame pointer and pc, and the JSFunction
           of JS frames; with -v also the address of each argument and receiver
  -n       hide native frames (a thread without JS frames says so)
  -f NAME  only JS frames whose function name contains NAME

After the synchronous frames of a thread that runs an async function resumed
by a microtask, the async frames V8's own traces show follow: who awaits that
function, and on (through Promise.all, allSettled and any, async generators and
for await), each with the await where it is suspended:

  js:      async step (/app.js:14:10)
  js:      async Promise.all (index 0)

-v adds their receiver, arguments and own context locals. A chain that
cannot go on (a cycle, a half-written generator, one longer than any real
one) ends with "(async chain ends: …)".

Piped into another dcmd, each line starts with the frame pointer, every frame
unfolded (async frames are not piped): ::jsstack | ::jsframe -v shows every frame in detail.`,
		JSON: `One record per frame: {"thread", "frame" (its index, 0 = innermost),
"kind" ("js", "native", "builtin", "exit", "entry", "internal"), "repeat" (a
folded run: the number of identical frames from "frame" outwards; absent with
-a), "function", "script", "line", "column", "tier" ("interpreted", "baseline",
"maglev", "turbofan", "optimized", "builtin"), "position_note" (why
line/column are absent), "construct", "inlined" (no args or this then),
"this" and "args" (jsprint --json values, receiver excluded; absent when
none), "fp", "pc", "symbol", "type" (the V8 frame type), "unwound" (how the
native unwinder found a native frame: "regs", "cfi", "fp", "signal", "sp";
"thread-top" on the first frame found from V8's record of the last exit
frame, when native unwinding failed before it)};
fields that do not apply are omitted. A thread whose walk stopped early adds
{"thread", "stack_end": "..."}; one with nothing to show {"thread", "note"}.
Async frames: {"thread", "frame", "kind": "async", "function", "script",
"line", "column", "position_note", "index" (combinators), "generator" (the
suspended async function or generator object), "awaits" (the promise it waits
on), "this", "args", "locals": [{"name", "value"}]}; {"thread", "async_end":
"..."} when the chain stopped early.`,
		Opts: "avnt:f:",
		Addr: AddrNone,
		Run:  runJSStack,
	})
}

// threadStacks walks (once per session) the stack of a thread.
func threadStack(inv *Invocation, h *stack.Walker, t *elfcore.Thread) *stack.Stack {
	v, err := inv.Session.Cached(fmt.Sprintf("frames.stack.%d", t.TID), func() (any, error) {
		st := h.WalkThread(inv.Ctx, t, stack.WalkOptions{})
		if inv.Ctx != nil && inv.Ctx.Err() != nil {
			return nil, inv.Ctx.Err()
		}
		return st, nil
	})
	if err != nil {
		return &stack.Stack{TID: t.TID, End: "stack walk interrupted"}
	}
	return v.(*stack.Stack)
}

// selectThreads resolves -t.
func selectThreads(inv *Invocation) ([]*elfcore.Thread, error) {
	p := inv.Session.Proc
	arg, ok := inv.Opt('t')
	if !ok {
		if t := p.SignalThread(); t != nil {
			return []*elfcore.Thread{t}, nil
		}
		if len(p.Threads) == 0 {
			return nil, fmt.Errorf("the core has no threads")
		}
		return []*elfcore.Thread{&p.Threads[0]}, nil
	}
	var out []*elfcore.Thread
	if arg == "all" {
		for i := range p.Threads {
			out = append(out, &p.Threads[i])
		}
		return out, nil
	}
	tid, err := strconv.Atoi(arg)
	if err != nil {
		return nil, fmt.Errorf("-t wants a thread id or \"all\", not %q", arg)
	}
	for i := range p.Threads {
		if p.Threads[i].TID == tid {
			return []*elfcore.Thread{&p.Threads[i]}, nil
		}
	}
	return nil, fmt.Errorf("no thread %d (::threads lists them)", tid)
}

func runJSStack(inv *Invocation) error {
	h, err := WalkerOf(inv)
	if err != nil {
		return err
	}
	if err := h.FramesErr(); err != nil {
		return err
	}
	threads, err := selectThreads(inv)
	if err != nil {
		return err
	}
	var roles map[int]stack.Role
	if len(threads) > 1 {
		roles = threadRoles(inv, h)
	}
	for ti, t := range threads {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		st := threadStack(inv, h, t)
		if len(threads) > 1 && !inv.JSON && !inv.Piped {
			if ti > 0 {
				inv.Printf("\n")
			}
			inv.Printf("thread %d (%s):\n", t.TID, roles[t.TID])
		}
		if err := printStack(inv, h, t, st); err != nil {
			return err
		}
	}
	return nil
}

// stackEndRecord is the --json record of a walk that stopped before the
// outermost frame, or of a thread with nothing to show.
type stackEndRecord struct {
	Thread   int    `json:"thread"`
	StackEnd string `json:"stack_end,omitempty"`
	Note     string `json:"note,omitempty"`
}

// shownFrame is a frame ::jsstack prints, with the run of identical
// frames it stands for.
type shownFrame struct {
	f      *stack.Frame
	ji     stack.JSInfo
	text   string
	repeat int // frames in the run (1: not folded)
	last   int // the index of the run's outermost frame
}

// printStack prints one thread's walked stack with the options of ::jsstack.
func printStack(inv *Invocation, h *stack.Walker, t *elfcore.Thread, st *stack.Stack) error {
	verbose, all, noNative := inv.Flag('v'), inv.Flag('a'), inv.Flag('n')
	filter, _ := inv.Opt('f')
	var shown []shownFrame
	for i := range st.Frames {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		f := &st.Frames[i]
		if noNative && f.Kind == stack.KindNative {
			continue
		}
		var ji stack.JSInfo
		if f.Kind == stack.KindJS {
			ji = h.FrameInfo(f)
		}
		if filter != "" && (f.Kind != stack.KindJS || !strings.Contains(ji.Name, filter)) {
			continue
		}
		shown = append(shown, shownFrame{f: f, ji: ji, text: frameLine(f, ji), repeat: 1})
	}
	if !all && !inv.Piped {
		shown = foldRuns(shown)
	}
	width := len(fmt.Sprint(len(st.Frames) - 1))
	for _, s := range shown {
		f := s.f
		switch {
		case inv.JSON:
			rec := frameJSON(h, st.TID, f, s.ji)
			if s.repeat > 1 {
				rec.Repeat = s.repeat
			}
			if err := inv.JSONLine(rec); err != nil {
				return err
			}
			continue
		case inv.Piped:
			inv.Printf("%x %s\n", f.FP, s.text)
			continue
		}
		if all {
			inv.Printf("%016x %016x ", f.FP, f.PC)
		}
		if f.Unwound == "thread-top" {
			inv.Printf("(native unwinding stopped: %s; the frames below start at V8's record of the last exit frame)\n", st.Gap)
		}
		num := fmt.Sprintf("#%-*d", width, f.Index)
		if s.repeat > 1 {
			inv.Printf("%s %s × %s (#%d to #%d)\n", num, s.text, thousands(s.repeat), f.Index, s.last)
			continue
		}
		inv.Printf("%s %s\n", num, s.text)
		indent := strings.Repeat(" ", width+2) + "         "
		if all && f.Kind == stack.KindJS {
			inv.Printf("%36s function: %#x\n", "", uint64(f.Function))
		}
		if verbose && f.Kind == stack.KindJS {
			printFrameDetail(inv, h, f, s.ji, 1, indent)
			printTranslationDetail(inv, h, f, indent)
		}
	}
	if err := printAsyncFrames(inv, h, t, st, verbose, filter); err != nil {
		return err
	}
	note := ""
	switch {
	case len(shown) > 0:
	case filter != "":
		note = fmt.Sprintf("no JavaScript frame on thread %d matches %q", st.TID, filter)
	case noNative:
		note = fmt.Sprintf("thread %d has no JavaScript frames", st.TID)
	case len(st.Frames) == 0:
		note = fmt.Sprintf("no frames on thread %d", st.TID)
	}
	if note == "" && st.End == "" {
		return nil
	}
	if inv.JSON {
		return inv.JSONLine(stackEndRecord{Thread: st.TID, StackEnd: st.End, Note: note})
	}
	if inv.Piped {
		return nil
	}
	if note != "" {
		inv.Printf("(%s)\n", note)
	}
	if st.End != "" {
		inv.Printf("(%s)\n", st.End)
	}
	return nil
}

// foldRuns folds runs of three or more identical frames (same kind, name
// and position) into one, except the innermost and outermost frames,
// which always show on their own.
func foldRuns(in []shownFrame) []shownFrame {
	var out []shownFrame
	for i := 0; i < len(in); {
		j := i + 1
		if i > 0 {
			for j < len(in)-1 && in[j].text == in[i].text {
				j++
			}
		}
		if j-i >= 3 {
			s := in[i]
			s.repeat, s.last = j-i, in[j-1].f.Index
			out = append(out, s)
		} else {
			j = i + 1
			out = append(out, in[i])
		}
		i = j
	}
	return out
}

// thousands formats n with thousands separators: 4,090.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// threadRoles infers (once per session) the role of every thread.
func threadRoles(inv *Invocation, h *stack.Walker) map[int]stack.Role {
	v, err := inv.Session.Cached("threads.roles", func() (any, error) {
		p := inv.Session.Proc
		stacks := make([]*stack.Stack, len(p.Threads))
		for i := range p.Threads {
			stacks[i] = threadStack(inv, h, &p.Threads[i])
		}
		roles := map[int]stack.Role{}
		for i, r := range stack.ThreadRoles(stacks) {
			if r.Kind == stack.RoleMain || r.Kind == stack.RoleWorker {
				r.Isolate, _ = h.IsolateOf(&p.Threads[i])
			}
			roles[p.Threads[i].TID] = r
		}
		return roles, nil
	})
	if err != nil {
		return nil
	}
	return v.(map[int]stack.Role)
}

// frameLine is the one-line form of a frame.
func frameLine(f *stack.Frame, ji stack.JSInfo) string {
	switch f.Kind {
	case stack.KindJS:
		return "js:      " + jsFrameText(f, ji)
	case stack.KindNative:
		return "native:  " + orQ(f.Symbol, f.PC)
	default:
		s := fmt.Sprintf("%-8s <%s>", string(f.Kind)+":", orStr(f.Type, "frame"))
		if f.Symbol != "" {
			s += " " + f.Symbol
		}
		return s
	}
}

func jsFrameText(f *stack.Frame, ji stack.JSInfo) string {
	var b strings.Builder
	b.WriteString(ji.Name)
	b.WriteString(" (")
	b.WriteString(jsLocation(ji))
	b.WriteString(")")
	if f.Tier != stack.TierInterpreted {
		b.WriteString(" [")
		b.WriteString(string(f.Tier))
		if f.Inlined > 0 {
			b.WriteString(", inlined")
		}
		b.WriteString("]")
	}
	if ji.Line == 0 && ji.Note != "" && f.Tier != stack.TierBuiltin {
		b.WriteString(" (position unknown: ")
		b.WriteString(ji.Note)
		b.WriteString(")")
	}
	return b.String()
}

// jsLocation is "file:line:col" as Node prints it, "<anonymous>" without a
// script.
func jsLocation(ji stack.JSInfo) string {
	if ji.Script == "" {
		return "<anonymous>"
	}
	if ji.Line == 0 {
		return ji.Script
	}
	return fmt.Sprintf("%s:%d:%d", ji.Script, ji.Line, ji.Column)
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orQ(sym string, pc uint64) string {
	if sym == "" {
		return fmt.Sprintf("%#x", pc)
	}
	return sym
}

// printTranslationDetail says, for -v, where an inlined frame's receiver
// came from (the deoptimization translation at the call site) or why it
// is not known, and why a physical optimized frame's translation was not
// used.
func printTranslationDetail(inv *Invocation, h *stack.Walker, f *stack.Frame, indent string) {
	switch {
	case f.Inlined > 0 && f.ReceiverMap != 0:
		inv.Printf("%s(receiver: %s)\n", indent, f.ReceiverFrom)
	case f.Inlined > 0 && f.ReceiverFrom != "":
		inv.Printf("%s(receiver from the deoptimization translation: %s)\n", indent, f.ReceiverFrom)
	case f.Inlined > 0 && f.ReceiverNote != "":
		inv.Printf("%s(%s; named by its function alone)\n", indent, f.ReceiverNote)
	}
	if f.TranslationNote != "" {
		inv.Printf("%s(%s)\n", indent, f.TranslationNote)
	}
}
