package crash

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/stack"
)

var abortFlag = []string{"--abort-on-uncaught-exception"}

// decide opens a core and decides its reason as ::status does.
func decide(t *testing.T, path, sigName string) *Reason {
	t.Helper()
	h := testcores.Heap(t, path, "")
	p := h.Proc
	w := stack.NewWalker(h)
	in := Input{Proc: p, Walker: w, Thread: p.SignalThread(), SignalName: sigName}
	if in.Thread != nil {
		in.Stack = w.WalkThread(context.Background(), in.Thread, stack.WalkOptions{})
	}
	return Decide(in)
}

// firstLine is the first line of what Node printed.
func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// TestUncaughtV8Errors: errors V8 raises itself (and an explicit throw from
// a worker, rethrown on the busy main thread) are found with their
// constructor and message exactly as Node's "Uncaught ..." line printed
// them.
func TestUncaughtV8Errors(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, fx := range []string{"type_error.js", "json_parse.js", "stack_overflow.js", "worker_throw.js"} {
			t.Run(fx+"/"+v, func(t *testing.T) {
				c := testnode.MakeCore(t, v, fx, abortFlag, nil)
				r := decide(t, c.Path, "SIGTRAP")
				if r.Kind != UncaughtException || r.Error == nil {
					t.Fatalf("reason %+v, want an uncaught exception; node printed:\n%s", r, c.Stderr)
				}
				if got, want := "Uncaught "+r.Text, firstLine(c.Stderr); got != want {
					t.Errorf("got %q, node printed %q", got, want)
				}
				checkFromFrames(t, r, c)
				if want := r.Error.Constructor + ": " + r.Error.Message + "\n"; r.Error.Stack != "" && !strings.HasPrefix(r.Error.Stack, want) {
					t.Errorf("stack %q does not start with %q", r.Error.Stack, want)
				}
				if fx == "worker_throw.js" {
					// The worker's own stack, which Node did not print: the
					// fixture's source is the oracle (throw at 18:11).
					if want := "\n    at workerTask (" + c.Script + ":18:11)\n"; !strings.Contains(r.Error.Stack, want) {
						t.Errorf("worker error's stack has no %q:\n%s", want, r.Error.Stack)
					}
				}
			})
		}
	}
}

// TestUnhandledRejections: the rejected promise's reason and its stack,
// with its "at async" lines, exactly as Node printed them.
func TestUnhandledRejections(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, fx := range []string{"unhandled_rejection.js", "async_throw.js"} {
			t.Run(fx+"/"+v, func(t *testing.T) {
				c := testnode.MakeCore(t, v, fx, abortFlag, nil)
				r := decide(t, c.Path, "SIGABRT")
				if r.Kind != UnhandledRejection || r.Error == nil || r.Promise == "" {
					t.Fatalf("reason %+v, want an unhandled rejection; node printed:\n%s", r, c.Stderr)
				}
				if !strings.Contains(r.Error.Stack, "\n    at async ") {
					t.Errorf("stack has no async frame:\n%s", r.Error.Stack)
				}
				if r.Error.Stack == "" || !strings.Contains(c.Stderr, "\n"+r.Error.Stack) {
					t.Errorf("stack\n%s\nnot as node printed it:\n%s", r.Error.Stack, c.Stderr)
				}
				if want := r.Error.Constructor + ": " + r.Error.Message; !strings.HasPrefix(r.Error.Stack, want+"\n") {
					t.Errorf("stack does not start with %q", want)
				}
			})
		}
	}
}

// TestHeapOOM: the FATAL ERROR line, found in the core, as Node printed it.
func TestHeapOOM(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.MakeCore(t, v, "oom.js", []string{"--max-old-space-size=32"}, nil)
			r := decide(t, c.Path, "SIGABRT")
			if r.Kind != FatalError || r.Fatal == nil {
				t.Fatalf("reason %+v, want a fatal error; node printed:\n%s", r, c.Stderr)
			}
			if !strings.Contains(c.Stderr, "\n"+r.Text+"\n") {
				t.Errorf("%q is not a line node printed:\n%s", r.Text, c.Stderr)
			}
			checkSpaces(t, c)
			// Where the heap ran out: in fill, at its push (line 9) or at the
			// loop's back edge (line 8, "for (;;)"), where V8 checks for
			// interrupts and may collect; which one depends on when the last
			// collection falls, so a fresh core may give either.
			if len(r.JSFrames) == 0 || !strings.HasPrefix(r.JSFrames[0], "fill ("+c.Script+":9:") &&
				r.JSFrames[0] != "fill ("+c.Script+":8:3)" {
				t.Errorf("JS frames %q, want fill (oom.js:9) or fill (oom.js:8:3) first", r.JSFrames)
			}
		})
	}
}

// checkSpaces: the heap's spaces at the OOM. V8 died when the old
// generation reached --max-old-space-size=32 (MB), so the old space and
// the large-object space together hold at least three quarters of it.
func checkSpaces(t *testing.T, c *testnode.Core) {
	t.Helper()
	h := testcores.Heap(t, c.Path, "")
	p := h.Proc
	cs, err := heap.Build(context.Background(), h, heap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var old uint64
	for _, s := range HeapSpaces(p, cs) {
		if s.Used > s.Committed {
			t.Errorf("%+v: more used than committed", s)
		}
		if s.Space == "OldSpace" || s.Space == "OldLargeObjectSpace" {
			old += s.Used
		}
	}
	if old < 24<<20 {
		t.Errorf("old generation holds %d bytes, want at least 24 MiB: %+v", old, HeapSpaces(p, cs))
	}
}

// nodeJSTop is the first frame of Node's "JavaScript stack trace" (printed
// on abort), without its number.
var nodeJSTop = regexp.MustCompile(`(?m)^----- JavaScript stack trace -----\n\n1: (.*)$`)

// TestProcessAbort: process.abort() and the JavaScript frame that called
// it, at the position Node printed.
func TestProcessAbort(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.MakeCore(t, v, "abort.js", nil, nil)
			r := decide(t, c.Path, "SIGABRT")
			if r.Kind != Abort {
				t.Fatalf("reason %+v, want abort", r)
			}
			// Node 18 prints no JavaScript stack trace on abort: there the
			// oracle is the fixture's source (process.abort() is at 36:9).
			want := c.Script + ":36:9"
			if m := nodeJSTop.FindStringSubmatch(c.Stderr); m != nil {
				want = m[1]
			} else if !strings.HasPrefix(v, "18.") {
				t.Fatalf("node printed no JavaScript stack trace:\n%s", c.Stderr)
			}
			if !strings.HasSuffix(r.Text, "("+want+")") {
				t.Errorf("got %q, node printed the top frame %q", r.Text, want)
			}
		})
	}
}

// TestSignal: a SIGSEGV is reported as the signal, with the JavaScript
// frames that sent it (their lines are those of the fixture's source).
func TestSignal(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.MakeCore(t, v, "sigsegv.js", nil, nil)
			r := decide(t, c.Path, "SIGSEGV")
			if r.Kind != Signal || r.Fault == nil {
				t.Fatalf("reason %+v, want signal", r)
			}
			// process.kill sent it: no fault address, the sender is the process.
			if r.Fault.Addr != "" || r.Fault.SentBy == 0 || r.Fault.SentBy != c.Pid {
				t.Errorf("fault %+v, want sent by pid %d without an address", r.Fault, c.Pid)
			}
			js := strings.Join(r.JSFrames, "\n")
			for _, want := range []string{"crashHere (" + c.Script + ":6:11)", "outer (" + c.Script + ":11:10)"} {
				if !strings.Contains(js, want) {
					t.Errorf("no frame %q in\n%s", want, js)
				}
			}
		})
	}
}

// TestSnapshot: a gcore of a live process is a snapshot, not a death by
// gdb's SIGSTOP.
func TestSnapshot(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			cores := testnode.Snapshots(t, v, "grow.js", []string{"--expose-gc"}, []string{"--initial=1000", "--step=500", "--steps=4"})
			r := decide(t, cores[0].Path, "none")
			if r.Kind != Snapshot || r.Signal != "" {
				t.Errorf("reason %+v, want snapshot", r)
			}
		})
	}
}

// nodeFrame is one "name (location)" frame V8 printed.
var nodeFrame = regexp.MustCompile(`[^()\n]+ \([^()\n]+\)`)

// bareLocation is an unnamed frame's location that older V8 prints with
// the next frame on the same line.
var bareLocation = regexp.MustCompile(`^\S+:\d+:\d+`)

// checkFromFrames: every frame of the fixture's script V8 printed under
// "FROM" (the JavaScript stack at the throw) is one of the reason's
// JavaScript frames, in the same order; when none is the script's (the
// worker's error, rethrown from Node's internals), every named frame.
// Node's internal frames are otherwise left out: ndb names some of them
// differently (V8's "[as runMain]" aliases; "Module._extensions..js" on
// Node 18, which ndb calls "Object..js") and does not show builtin frames
// such as "JSON.parse (<anonymous>)".
func checkFromFrames(t *testing.T, r *Reason, c *testnode.Core) {
	t.Helper()
	_, from, ok := strings.Cut(c.Stderr, "\nFROM\n")
	if !ok {
		t.Fatalf("node printed no FROM stack:\n%s", c.Stderr)
	}
	// Older V8 prints the frames without line breaks between them.
	var want []string
	wanted := map[string]bool{}
	frames := nodeFrame.FindAllString(from, -1)
	script := strings.Contains(from, c.Script+":")
	for _, l := range frames {
		l = bareLocation.ReplaceAllString(l, "") // "file:1:2" of an unnamed frame run into the next
		if (!script || strings.Contains(l, c.Script+":")) && !strings.Contains(l, " [as ") {
			want = append(want, l)
			wanted[l] = true
		}
	}
	var got []string
	for _, f := range r.JSFrames {
		if wanted[f] {
			got = append(got, f)
		}
	}
	if len(r.JSFrames) == MaxJSFrames && len(want) > len(got) {
		want = want[:len(got)] // a deep stack: the reason keeps the innermost frames
	}
	if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("frames\n%s\nnode printed\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestCheckFailure: a failed Node CHECK, with the file:line, function and
// condition of its AssertionInfo exactly as Node printed them.
func TestCheckFailure(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.MakeCore(t, v, "check_failure.js", nil, nil)
			r := decide(t, c.Path, "SIGABRT")
			if r.Kind != Abort || r.Assert == nil {
				t.Fatalf("reason %+v, want an abort with its assertion; node printed:\n%s", r, c.Stderr)
			}
			a := r.Assert
			// Node 18: "FILE:LINE:FUNCTION: Assertion `COND' failed."; later
			// lines: "FUNCTION at FILE:LINE" and "Assertion failed: COND".
			old := a.FileLine + ":" + a.Function + ": Assertion `" + a.Message + "' failed."
			cur := a.Function + " at " + a.FileLine + "\n  #  Assertion failed: " + a.Message + "\n"
			if !strings.Contains(c.Stderr, old) && !strings.Contains(c.Stderr, cur) {
				t.Errorf("assertion %+v is not what node printed:\n%s", a, c.Stderr)
			}
			if !strings.HasSuffix(a.FileLine, "tcp_wrap.cc:"+a.FileLine[strings.LastIndex(a.FileLine, ":")+1:]) || a.Message != "args[0]->IsInt32()" {
				t.Errorf("assertion %+v, want tcp_wrap.cc's args[0]->IsInt32()", a)
			}
			if len(r.JSFrames) == 0 || !strings.HasPrefix(r.JSFrames[0], "openSocket ("+c.Script+":9:") {
				t.Errorf("JS frames %q, want openSocket first", r.JSFrames)
			}
		})
	}
}

// TestDecideBadThread: registers that point nowhere, or into the middle of
// the heap, give a reason (no panic, no hang).
func TestDecideBadThread(t *testing.T) {
	c := testnode.MakeCore(t, testnode.Versions[len(testnode.Versions)-1], "unhandled_rejection.js", abortFlag, nil)
	h := testcores.Heap(t, c.Path, "")
	p := h.Proc
	w := stack.NewWalker(h)
	good := *p.SignalThread()
	heapAddr := uint64(0)
	for _, s := range p.Segments {
		if _, ok := p.FileMappingAt(s.Start); !ok && s.End-s.Start >= 1<<18 {
			heapAddr = s.Start + 7
			break
		}
	}
	for _, sp := range []uint64{0, 8, 1 << 63, ^uint64(0) - 7, heapAddr, good.Regs.RSP + 3} {
		th := good
		th.Regs.RSP, th.Regs.RBP, th.Regs.RIP = sp, sp, sp
		r := Decide(Input{Proc: p, Walker: w, Thread: &th, Stack: w.WalkThread(context.Background(), &th, stack.WalkOptions{}), SignalName: "SIGABRT"})
		if r.Kind == "" || r.Text == "" {
			t.Errorf("sp %#x: reason %+v", sp, r)
		}
	}
}

// nodeStackFrame is one frame of the stack Node printed under "FROM": a
// bare location ("/app.js:36:17", which older V8 runs into the next frame)
// or "name (location)".
var nodeStackFrame = regexp.MustCompile(`(?:/|node:|evalmachine\.<anonymous>)[^\s()]*?:\d+:\d+|[^()\n]+? \([^()\n]*\)`)

// uncaughtLine is the line V8 printed for the uncaught error.
var uncaughtLine = regexp.MustCompile(`(?m)^Uncaught (.*)$`)

// stackTraceLimit is V8's default Error.stackTraceLimit.
const stackTraceLimit = 10

// TestUnreadStacks: an error whose stack the process never read is
// formatted from the call sites V8 captured, line for line as Node printed
// the stack under "FROM" (the frames at the throw, of which the error keeps
// the first ten, "at async" frames included). Only the innermost frame of
// a thrown `new Error` differs: the error's is where it was made (`new`),
// Node's where it was thrown. Optimized frames (crash.js --warm) included.
func TestUnreadStacks(t *testing.T) {
	newLine, newCol := testcores.FixtureLine(t, "crash.js", "new Error('boom")
	innermost := map[string]string{
		"crash.js": fmt.Sprintf("validate (%%s:%d:%d)", newLine, newCol),
		// async_chain.js runs `throw new Error("deepest point")` with vm.
		"async_chain.js": "evalmachine.<anonymous>:1:7",
	}
	for _, v := range testnode.Versions {
		for _, tc := range []struct {
			fixture string
			args    []string
		}{{"crash.js", nil}, {"crash.js", []string{"--warm"}}, {"type_error.js", nil}, {"json_parse.js", nil},
			{"async_chain.js", nil}, {"async_chain.js", []string{"then"}}} {
			t.Run(tc.fixture+strings.Join(tc.args, "")+"/"+v, func(t *testing.T) {
				c := testnode.MakeCore(t, v, tc.fixture, abortFlag, tc.args)
				r := decide(t, c.Path, "SIGTRAP")
				if r.Error == nil || !slices.Contains(r.Notes, UnreadStackNote) {
					t.Fatalf("reason %+v: no stack formatted from call sites", r)
				}
				_, from, ok := strings.Cut(c.Stderr, "\nFROM\n")
				if !ok {
					t.Fatalf("node printed no FROM stack:\n%s", c.Stderr)
				}
				frames := nodeStackFrame.FindAllString(from, stackTraceLimit)
				if f, ok := innermost[tc.fixture]; ok {
					frames[0] = strings.ReplaceAll(f, "%s", c.Script)
				}
				m := uncaughtLine.FindStringSubmatch(c.Stderr)
				if m == nil {
					t.Fatalf("node printed no Uncaught line:\n%s", c.Stderr)
				}
				want := m[1] + "\n    at " + strings.Join(frames, "\n    at ")
				if r.Error.Stack != want {
					t.Errorf("stack\n%s\nwant\n%s", r.Error.Stack, want)
				}
			})
		}
	}
}
