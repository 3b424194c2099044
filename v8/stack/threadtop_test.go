package stack

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestThreadTop starts walks from V8's record of the last exit frame of
// the isolate of a thread that died in C++ called from JavaScript (an
// async throw aborting in node::errors::TriggerUncaughtException): the
// JavaScript frames are those of the full walk. A thread whose registers
// defeat native unwinding still shows them.
func TestThreadTop(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil)
			p, h := openCore(t, c)
			w := NewWalker(h)
			th := p.SignalThread()
			if w.Layout.Frame.CurrentIsolate == "" {
				if _, err := w.WalkFromThreadTop(context.Background(), th, WalkOptions{}); err == nil || !strings.Contains(err.Error(), "pthread key") {
					t.Errorf("V8 %d.%d: err %v, want the pthread key note", w.Meta().Major, w.Meta().Minor, err)
				}
				return
			}
			full := jsNames(w, w.WalkThread(context.Background(), th, WalkOptions{}))
			if len(full) < 2 {
				t.Fatalf("the full walk has %d JS frames", len(full))
			}
			top, err := w.WalkFromThreadTop(context.Background(), th, WalkOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := jsNames(w, top); strings.Join(got, "\n") != strings.Join(full, "\n") {
				t.Errorf("from the thread-local top:\n%s\nthe full walk:\n%s", strings.Join(got, "\n"), strings.Join(full, "\n"))
			}
			// Registers no unwinder can start from: pc 0, sp at the
			// stack's end, rbp 0.
			bad := *th
			bad.Regs.RIP, bad.Regs.RBP = 0, 0
			st := w.WalkThread(context.Background(), &bad, WalkOptions{})
			fromTop := false
			for _, f := range st.Frames {
				fromTop = fromTop || f.Unwound == "thread-top"
			}
			if got := jsNames(w, st); !fromTop || strings.Join(got, "\n") != strings.Join(full, "\n") {
				t.Errorf("bad registers (thread-top used: %v, gap %q, end %q):\n%s", fromTop, st.Gap, st.End, strings.Join(got, "\n"))
			}
		})
	}
}

func jsNames(w *Walker, st *Stack) []string {
	var out []string
	for i := range st.Frames {
		if st.Frames[i].Kind == KindJS {
			ji := w.FrameInfo(&st.Frames[i])
			out = append(out, ji.Name+" "+ji.Script)
		}
	}
	return out
}

// TestIsolateOfMatchesGdb: the isolate of each thread of a core with a
// worker is what gdb reads from V8's thread-local current isolate.
func TestIsolateOfMatchesGdb(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	c := testnode.MakeCore(t, "22.23.3", "worker_stack.js", nil, nil)
	out, err := exec.Command(gdb, "-batch", "-nx", "-ex", "thread apply all print/x *(long*)&_ZN2v88internal18g_current_isolate_E",
		c.Exe, c.Path).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	want := map[int]uint64{}
	tid := 0
	for _, l := range strings.Split(string(out), "\n") {
		if m := gdbThread.FindStringSubmatch(l); m != nil {
			tid, _ = strconv.Atoi(m[1])
		} else if m := gdbValue.FindStringSubmatch(l); m != nil && tid != 0 {
			want[tid], _ = strconv.ParseUint(m[1], 16, 64)
		}
	}
	p, h := openCore(t, c)
	w := NewWalker(h)
	nonzero := 0
	for i := range p.Threads {
		th := &p.Threads[i]
		wv, ok := want[th.TID]
		if !ok {
			t.Errorf("gdb printed nothing for thread %d:\n%s", th.TID, out)
			continue
		}
		got, err := w.IsolateOf(th)
		if err != nil || got != wv {
			t.Errorf("thread %d: isolate %#x (%v), gdb says %#x", th.TID, got, err, wv)
		}
		if wv != 0 {
			nonzero++
		}
	}
	if nonzero != 2 {
		t.Errorf("%d threads with an isolate, want 2 (main and worker)", nonzero)
	}
}

var (
	gdbThread = regexp.MustCompile(`^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)\)`)
	gdbValue  = regexp.MustCompile(`^\$\d+ = 0x([0-9a-f]+)`)
)

// TestThreadTopBadInput: a thread pointer that is not one, or an isolate
// pointer into nothing, ends with an error, never a panic.
func TestThreadTopBadInput(t *testing.T) {
	c := testnode.MakeCore(t, "22.23.3", "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil)
	p, h := openCore(t, c)
	w := NewWalker(h)
	for _, fs := range []uint64{0, 8, 0xffff_ffff_ffff_fff0, p.SignalThread().Regs.RSP} {
		bad := *p.SignalThread()
		bad.Regs.FSBase = fs
		if top, err := w.WalkFromThreadTop(context.Background(), &bad, WalkOptions{}); err == nil && len(top.Frames) > 0 && fs < 0x10000 {
			t.Errorf("fs_base %#x: a walk of %d frames", fs, len(top.Frames))
		}
	}
}
