package commands

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

// Where a process died: the native frames below JavaScript (libc's abort,
// node), the JavaScript frames above them, deep recursion, workers and the
// names Node gives methods, on real cores of every Node line.

// nodeBacktraceLine is a frame of the "JavaScript stack trace" Node prints
// as it aborts: "3: name (file:line:col)" or "3: file:line:col".
var nodeBacktraceLine = regexp.MustCompile(`(?m)^\d+: (?:(\S.*?) \()?([^()\s]+):(\d+):(\d+)\)?$`)

// nodeBacktrace reads the frames after "----- JavaScript stack trace -----"
// (Node 18 prints none: nil).
func nodeBacktrace(t *testing.T, stderr string) []nodeFrame {
	t.Helper()
	_, rest, ok := strings.Cut(stderr, "----- JavaScript stack trace -----")
	if !ok {
		return nil
	}
	var out []nodeFrame
	for _, m := range nodeBacktraceLine.FindAllStringSubmatch(rest, -1) {
		line, _ := strconv.Atoi(m[3])
		col, _ := strconv.Atoi(m[4])
		out = append(out, nodeFrame{name: m[1], script: m[2], line: line, col: col})
	}
	if len(out) == 0 {
		t.Fatalf("no frames in node's JavaScript stack trace:\n%s", rest)
	}
	return out
}

// TestJSStackAbortDeaths: a death in libc's abort() (process.abort(), an
// async throw under --abort-on-uncaught-exception) shows abort, node's
// frames and, in order, every JavaScript frame of the stack trace Node
// printed, with the same file, line and column, down to the thread's
// start. Node's trace names a function by its debug name
// ("Module._extensions..js" where the call site says "Object..js"): the
// last component of the name must match.
func TestJSStackAbortDeaths(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, fx := range []struct {
			fixture string
			flags   []string
			native  string // a node frame between abort and JavaScript
		}{
			{"abort.js", nil, "node::Abort"},
			{"async_throw.js", []string{"--abort-on-uncaught-exception"}, "node::errors::TriggerUncaughtException"},
		} {
			t.Run(fx.fixture+"/"+v, func(t *testing.T) {
				t.Parallel()
				c := testnode.MakeCore(t, v, fx.fixture, fx.flags, nil)
				want := nodeBacktrace(t, c.Stderr)
				js, all := jsFrames(t, runDcmd(t, openSession(t, c), true, "jsstack", 0, "-a"))
				if last := all[len(all)-1]; last.End != "" {
					t.Errorf("walk stopped early: %s", last.End)
				}
				abort, native := -1, -1
				for i, f := range all {
					if f.Kind != "native" {
						continue
					}
					if abort < 0 && strings.Contains(f.Symbol, "`abort+") {
						abort = i
					}
					if native < 0 && strings.Contains(f.Symbol, "`"+fx.native) {
						native = i
					}
				}
				if abort < 0 || native < abort {
					t.Errorf("no libc abort frame (%d) with %s (%d) below it", abort, fx.native, native)
				}
				if !strings.Contains(all[len(all)-1].Symbol, "_start") {
					t.Errorf("outermost frame %q, want _start", all[len(all)-1].Symbol)
				}
				k := 0
				for _, f := range js {
					if k < len(want) && f.Script == want[k].script && f.Line == want[k].line && f.Column == want[k].col {
						if w := lastComponent(want[k].name); w != "" && lastComponent(f.Function) != w {
							t.Errorf("%s:%d:%d: function %q, node says %q", f.Script, f.Line, f.Column, f.Function, w)
						}
						k++
					}
				}
				if len(want) == 0 {
					t.Logf("node %s printed no JavaScript stack trace; %d JS frames", v, len(js))
				}
				if k != len(want) {
					t.Errorf("node's frame %d (%+v) not found in order among ::jsstack's %d JS frames", k, want[min(k, len(want)-1)], len(js))
				}
			})
		}
	}
}

// lastComponent is a function name after its last dot, without an alias.
func lastComponent(name string) string {
	name, _, _ = strings.Cut(name, " [as ")
	return name[strings.LastIndex(name, ".")+1:]
}

// TestJSStackMethodAlias: a function called under another property name
// is named as Node names it: "Timeout.onTimer [as _onTimeout]".
func TestJSStackMethodAlias(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "timer_alias.js", []string{"--abort-on-uncaught-exception"}, nil)
			want := parseNodeTrace(t, c.Stderr)
			aliased := false
			for _, w := range want {
				aliased = aliased || strings.Contains(w.name, " [as _onTimeout]")
			}
			if !aliased {
				t.Fatalf("node printed no [as _onTimeout] frame:\n%s", c.Stderr)
			}
			got, _ := jsFrames(t, runDcmd(t, openSession(t, c), true, "jsstack", 0))
			if len(got) != len(want) {
				t.Errorf("%d JS frames, node printed %d", len(got), len(want))
			}
			for i := 0; i < min(len(got), len(want)); i++ {
				g, w := got[i], want[i]
				if g.Function != w.name || g.Script != w.script || g.Line != w.line || g.Column != w.col {
					t.Errorf("frame %d: %s (%s:%d:%d), node says %s (%s:%d:%d)", i, g.Function, g.Script, g.Line, g.Column, w.name, w.script, w.line, w.col)
				}
			}
		})
	}
}

// foldedRun matches a folded line of ::jsstack: "#7 js: walk (FILE:6:10) × 10,464 (#7 to #10470)".
var foldedRun = regexp.MustCompile(`(?m)^#(\d+)\s+js:\s+walk \((\S+):(\d+):(\d+)\) × ([\d,]+) \(#(\d+) to #(\d+)\)$`)

// TestJSStackOverflow: a stack overflow has no frame cap: the recursion is
// folded into one line with its count, and the outermost frames (who
// started it: the module's top level, Node's loader) show; -a and JSON
// give every frame.
func TestJSStackOverflow(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "stack_overflow.js", []string{"--abort-on-uncaught-exception"}, nil)
			if !strings.Contains(c.Stderr, "Maximum call stack size exceeded") {
				t.Fatalf("node did not overflow:\n%s", c.Stderr)
			}
			s := openSession(t, c)
			text := runDcmd(t, s, false, "jsstack", 0, "-n")
			m := foldedRun.FindStringSubmatch(text)
			if m == nil {
				t.Fatalf("no folded run of walk frames:\n%s", text)
			}
			count, _ := strconv.Atoi(strings.ReplaceAll(m[5], ",", ""))
			from, _ := strconv.Atoi(m[6])
			to, _ := strconv.Atoi(m[7])
			line, col := testcores.FixtureLine(t, "stack_overflow.js", "walk(depth + 1)")
			if m[3] != strconv.Itoa(line) || m[4] != strconv.Itoa(col) {
				t.Errorf("folded frame at %s:%s, the recursive call is at %d:%d", m[3], m[4], line, col)
			}
			if count != to-from+1 || count < 1000 {
				t.Errorf("run of %d frames from #%d to #%d", count, from, to)
			}
			top, topCol := testcores.FixtureLine(t, "stack_overflow.js", "walk(0)")
			if !strings.Contains(text, "stack_overflow.js:"+strconv.Itoa(top)+":"+strconv.Itoa(topCol)+")") {
				t.Errorf("the outermost caller of walk (line %d) is missing:\n%s", top, text)
			}
			if strings.Contains(text, "stack ends") {
				t.Errorf("walk stopped early:\n%s", text)
			}
			// Every frame, unfolded, in JSON: as many walk frames as the
			// fold counted, plus the innermost one.
			js, _ := jsFrames(t, runDcmd(t, s, true, "jsstack", 0, "-a", "-n"))
			walks := 0
			for _, f := range js {
				if f.Function == "walk" {
					walks++
				}
			}
			if walks != count+1 {
				t.Errorf("-a: %d walk frames, the fold counted %d and the innermost 1", walks, count)
			}
		})
	}
}

// TestJSStackWorker: a core of a process with a worker: ::threads names
// the main thread and the worker, and the worker's JavaScript stack shows
// its functions.
func TestJSStackWorker(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "worker_stack.js", nil, nil)
			s := openSession(t, c)
			threads := runDcmd(t, s, false, "threads", 0)
			var workerTID string
			for _, l := range strings.Split(threads, "\n") {
				f := strings.Fields(strings.TrimPrefix(l, ">"))
				if len(f) > 2 && f[1] == "worker" && f[2] == "1" {
					workerTID = f[0]
				}
			}
			if workerTID == "" || !strings.Contains(threads, "> "+strconv.Itoa(s.Proc.SignalThread().TID)) ||
				!strings.Contains(threads, "main JavaScript thread") {
				t.Fatalf("no worker 1 or main thread:\n%s", threads)
			}
			// crypto.pbkdf2 ran on libuv's threadpool (4 threads by default).
			if n := strings.Count(threads, " libuv threadpool "); n != 4 {
				t.Errorf("%d libuv threadpool threads, want 4:\n%s", n, threads)
			}
			main := runDcmd(t, s, false, "jsstack", 0, "-n")
			if !strings.Contains(main, "js:      Timeout.mainAbort [as _onTimeout] (") {
				t.Errorf("main thread: no mainAbort frame:\n%s", main)
			}
			worker := runDcmd(t, s, false, "jsstack", 0, "-n", "-t", workerTID)
			spin := strings.Index(worker, " workerSpin (")
			wmain := strings.Index(worker, " workerMain (")
			if spin < 0 || wmain < spin {
				t.Errorf("worker thread %s: want workerSpin called by workerMain:\n%s", workerTID, worker)
			}
			all := runDcmd(t, s, false, "jsstack", 0, "-t", "all", "-n")
			if !strings.Contains(all, "thread "+workerTID+" (worker 1") {
				t.Errorf("::jsstack -t all does not head the worker's stack with its role:\n%s", all)
			}
		})
	}
}

// TestJSStackNoJSFrames: -n on a thread without JavaScript says so.
func TestJSStackNoJSFrames(t *testing.T) {
	c := testnode.MakeCore(t, testnode.Versions[len(testnode.Versions)-1], "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil)
	s := openSession(t, c)
	sig := s.Proc.SignalThread()
	for _, th := range s.Proc.Threads {
		if th.TID == sig.TID {
			continue
		}
		out := runDcmd(t, s, false, "jsstack", 0, "-n", "-t", strconv.Itoa(th.TID))
		if want := "(thread " + strconv.Itoa(th.TID) + " has no JavaScript frames)\n"; out != want {
			t.Errorf("got %q, want %q", out, want)
		}
		return
	}
	t.Fatal("the core has one thread")
}

// TestJSFrameByNumber: N::jsframe opens frame #N as ::jsstack numbers it.
func TestJSFrameByNumber(t *testing.T) {
	c := testnode.MakeCore(t, testnode.Versions[len(testnode.Versions)-1], "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
	s := openSession(t, c)
	text := runDcmd(t, s, false, "jsstack", 0)
	for _, l := range strings.Split(text, "\n") {
		num, rest, ok := strings.Cut(l, " ")
		if !ok || !strings.Contains(rest, "js:") {
			continue
		}
		n := strings.TrimPrefix(num, "#")
		addr, err := strconv.ParseUint(n, 16, 64) // typed as ADDR, read as hex
		if err != nil {
			t.Fatal(err)
		}
		got := runDcmd(t, s, false, "jsframe", addr)
		if first, _, _ := strings.Cut(got, "\n"); first != strings.TrimSpace(rest) {
			t.Errorf("%s::jsframe: %q, ::jsstack says %q", n, first, strings.TrimSpace(rest))
		}
	}
}
