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
		Help: `Walks a thread's stack by frame pointer through JIT code, V8 builtins and
native code, and prints one line a frame, innermost first:

  js:      validate (/app/crash.js:25:5) [interpreted]
  native:  node` + "`" + `v8::internal::Runtime_Throw(...)+0x32
  exit:    <BuiltinExitFrame>

JS frames are named as Node's stack traces name them ("OrderProcessor.process",
"new Pipeline", "<anonymous>"), with script, line and column, for every tier;
functions that optimized code inlined get frames of their own, marked
"inlined" (their receiver and arguments are not kept). When a position cannot
be known, the frame says so instead of guessing.
The walk stops with a note ("stack ends: fp 0x… not in core") on a frame
pointer that leaves the core, goes backwards or loops.

  -t TID   the thread (default: the one that got the signal); "all" for every thread
  -v       each JS frame's receiver and arguments, and its source line
  -a       frame pointer and pc of every frame, the JSFunction of JS frames;
           with -v also the address of each argument and receiver
  -n       hide native frames
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

Piped into another dcmd, each line starts with the frame pointer (async
frames are not piped):
::jsstack | ::jsframe -v shows every frame in detail.`,
		JSON: `One object per frame: {"thread", "frame" (0 = innermost), "kind" ("js",
"native", "builtin", "exit", "entry", "internal"), "function", "script", "line",
"column", "tier" ("interpreted", "baseline", "maglev", "turbofan", "optimized",
"builtin"), "position_note" (why line/column are absent), "construct",
"inlined" (no args or this then), "args"
(jsprint --json values, receiver excluded), "this", "fp", "pc", "symbol",
"type" (the V8 frame type)}; fields that do not apply are omitted. A thread
whose walk stopped early adds {"thread", "stack_end": "..."}. Async frames:
{"thread", "frame", "kind": "async", "function", "script", "line", "column",
"position_note", "index" (combinators), "generator" (the suspended async
function or generator object), "awaits" (the promise it waits on), "this",
"args", "locals": [{"name", "value"}]}; {"thread", "async_end": "..."} when
the chain stopped early.`,
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
	verbose, all, noNative := inv.Flag('v'), inv.Flag('a'), inv.Flag('n')
	filter, _ := inv.Opt('f')
	for ti, t := range threads {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		st := threadStack(inv, h, t)
		if len(threads) > 1 && !inv.JSON && !inv.Piped {
			if ti > 0 {
				inv.Printf("\n")
			}
			inv.Printf("thread %d:\n", t.TID)
		}
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
				if filter != "" && !strings.Contains(ji.Name, filter) {
					continue
				}
			} else if filter != "" {
				continue
			}
			if inv.JSON {
				if err := inv.JSONLine(frameJSON(inv, h, t.TID, f, ji)); err != nil {
					return err
				}
				continue
			}
			if inv.Piped {
				inv.Printf("%x %s\n", f.FP, frameLine(f, ji))
				continue
			}
			if all {
				inv.Printf("%016x %016x ", f.FP, f.PC)
			}
			inv.Printf("%s\n", frameLine(f, ji))
			if all && f.Kind == stack.KindJS {
				inv.Printf("%36s function: %#x\n", "", uint64(f.Function))
			}
			if verbose && f.Kind == stack.KindJS {
				printFrameDetail(inv, h, f, ji, 1, "         ")
				printTranslationDetail(inv, h, f, "         ")
			}
		}
		if err := printAsyncFrames(inv, h, t, st, verbose, filter); err != nil {
			return err
		}
		if st.End != "" {
			if inv.JSON {
				if err := inv.JSONLine(map[string]any{"thread": t.TID, "stack_end": st.End}); err != nil {
					return err
				}
			} else if !inv.Piped {
				inv.Printf("(%s)\n", st.End)
			}
		}
	}
	return nil
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
