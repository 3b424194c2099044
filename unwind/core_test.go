package unwind_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/unwind"
)

// The cores of processes that die in libc's abort(): process.abort(), and
// an error thrown in an async function under --abort-on-uncaught-exception.
var abortFixtures = []struct {
	fixture string
	flags   []string
}{
	{"abort.js", nil},
	{"async_throw.js", []string{"--abort-on-uncaught-exception"}},
}

func open(t *testing.T, c *testnode.Core) *elfcore.Process {
	t.Helper()
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// name is the demangled symbol of a frame's code, "" when none.
func name(p *elfcore.Process, f unwind.Frame) string {
	loc, ok := p.Symbolize(f.LookupPC())
	if !ok || loc.Symbol == "" {
		return ""
	}
	return elfcore.Demangle(loc.Symbol)
}

func dump(p *elfcore.Process, frames []unwind.Frame, stop unwind.Stop) string {
	var b strings.Builder
	for i, f := range frames {
		loc, _ := p.Symbolize(f.LookupPC())
		fmt.Fprintf(&b, "#%-3d %-6s pc %#x sp %#x fp %#x cfa %#x %s\n", i, f.Method, f.PC, f.SP, f.FP, f.CFA, loc)
	}
	fmt.Fprintf(&b, "stop: %s\n", stop)
	return b.String()
}

// nodeTrace is the "Native stack trace" Node printed as it aborted: return
// addresses, innermost first (its frame 0, the dumping function, omitted).
var nodeTraceLine = regexp.MustCompile(`(?m)^\s*(\d+): (0x[0-9a-f]+) `)

func nodeTrace(stderr string) []uint64 {
	var pcs []uint64
	for _, m := range nodeTraceLine.FindAllStringSubmatch(stderr, -1) {
		v, _ := strconv.ParseUint(m[2][2:], 16, 64)
		pcs = append(pcs, v)
	}
	return pcs
}

// TestAbortStacks unwinds every thread of the abort cores of all Node lines
// to its outermost frame, through libc's abort() (no frame pointers), node,
// and V8's frames; the signalled thread's frames hold every return address
// of the native stack trace Node printed as it died.
func TestAbortStacks(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, fx := range abortFixtures {
			t.Run(fx.fixture+"/"+v, func(t *testing.T) {
				c := testnode.MakeCore(t, v, fx.fixture, fx.flags, nil)
				p := open(t, c)
				u := unwind.New(p)
				for _, th := range p.Threads {
					frames, stop := u.Thread(th)
					if stop.Kind != unwind.StopOutermost || len(stop.Notes) > 0 {
						t.Errorf("thread %d: %s\n%s", th.TID, stop, dump(p, frames, stop))
					}
					if th.TID != p.SignalThread().TID {
						continue
					}
					checkAbortThread(t, p, frames, nodeTrace(c.Stderr))
					if t.Failed() {
						t.Logf("thread %d:\n%s", th.TID, dump(p, frames, stop))
					}
				}
			})
		}
	}
}

func checkAbortThread(t *testing.T, p *elfcore.Process, frames []unwind.Frame, trace []uint64) {
	t.Helper()
	var names []string
	fp := 0
	for _, f := range frames {
		names = append(names, name(p, f))
		if f.Method == unwind.MethodFP {
			fp++
		}
	}
	if !contains(names, "abort") {
		t.Errorf("no frame in libc's abort: %q", names)
	}
	if names[len(names)-1] != "_start" {
		t.Errorf("outermost frame is %q, want _start", names[len(names)-1])
	}
	if fp == 0 {
		t.Errorf("no frame found by the frame pointer: the walk did not cross V8's frames")
	}
	if len(trace) < 2 {
		t.Fatalf("Node printed no native stack trace: %v", trace)
	}
	// Node's frame 1 is another call site in a function on the stack; the
	// others are return addresses on the stack, in order.
	loc1, _ := p.Symbolize(trace[0] - 1)
	if !contains(names, elfcore.Demangle(loc1.Symbol)) {
		t.Errorf("Node's frame 1 %#x (%s) is in no function of the stack", trace[0], loc1)
	}
	i := 0
	for _, pc := range trace[1:] {
		for i < len(frames) && frames[i].PC != pc {
			i++
		}
		if i == len(frames) {
			t.Errorf("Node's native frame %#x is not on the unwound stack (in order)", pc)
			return
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSignalFrame unwinds a thread stopped inside a signal handler (libuv's,
// for a SIGUSR2 the process sent itself from JavaScript) through the
// kernel's signal frame, on all Node lines.
func TestSignalFrame(t *testing.T) {
	needGDB(t)
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.StopCore(t, v, "signal_handler.js", "uv__signal_handler", nil, nil)
			p := open(t, c)
			frames, stop := unwind.New(p).Thread(p.Threads[0])
			if stop.Kind != unwind.StopOutermost {
				t.Errorf("stop: %s", stop)
			}
			tramp := -1
			for i, f := range frames {
				if f.Trampoline {
					tramp = i
					break
				}
			}
			switch {
			case len(frames) < 4 || name(p, frames[0]) != "uv__signal_handler":
				t.Errorf("innermost frame is not the handler")
			case tramp != 1:
				t.Errorf("signal trampoline at frame %d, want 1", tramp)
			case frames[2].Method != unwind.MethodSignal || !frames[2].Exact || name(p, frames[2]) != "kill":
				t.Errorf("frame 2 should be kill, found from the signal frame: %+v %s", frames[2], name(p, frames[2]))
			case name(p, frames[3]) != "uv_kill":
				t.Errorf("frame 3 is %q, want uv_kill", name(p, frames[3]))
			}
			if t.Failed() {
				t.Logf("\n%s", dump(p, frames, stop))
			}
		})
	}
}

func needGDB(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gdb is not installed")
		}
		t.Skip("gdb is not installed")
	}
}

// TestDeepStack: a stack overflow's thousands of frames are all walked, to
// the outermost frame: there is no frame cap.
func TestDeepStack(t *testing.T) {
	c := testnode.MakeCore(t, "22.23.3", "stack_overflow.js", []string{"--abort-on-uncaught-exception"}, nil)
	p := open(t, c)
	frames, stop := unwind.New(p).Thread(*p.SignalThread())
	walks := 0
	for _, f := range frames {
		if f.Method == unwind.MethodFP {
			walks++
		}
	}
	if stop.Kind != unwind.StopOutermost || walks < 5000 || name(p, frames[len(frames)-1]) != "_start" {
		t.Errorf("%d frames (%d by frame pointer), stop %s", len(frames), walks, stop)
	}
	t.Logf("%d frames, %d by frame pointer", len(frames), walks)
}
