package unwind_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/unwind"
)

// gdbScript prints, for every thread, each frame gdb unwinds: its type
// (gdb.NORMAL_FRAME, INLINE_FRAME, SIGTRAMP_FRAME...), pc, sp and name.
const gdbScript = `
import gdb
for th in gdb.selected_inferior().threads():
    th.switch()
    print("thread %d" % th.ptid[1])
    f = gdb.newest_frame()
    n = 0
    while f is not None and n < 200:
        print("frame %d %d %d %s" % (f.type(), f.pc(), int(f.read_register('rsp')) & 0xffffffffffffffff, f.name()))
        try:
            f = f.older()
        except gdb.error:
            break
        n += 1
`

type gdbFrame struct {
	typ, pc, sp uint64
	name        string // "None" when gdb has no name
}

// gdbStacks runs gdb on a core, with no separate debug files (so names come
// from the ELF symbol tables, as ndb's do), and returns each thread's frames.
func gdbStacks(t *testing.T, exe, core string) map[int][]gdbFrame {
	script := filepath.Join(t.TempDir(), "bt.py")
	if err := os.WriteFile(script, []byte(gdbScript), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "gdb", "-nx", "-batch",
		"-iex", "set debug-file-directory /nonexistent", "-iex", "set auto-load no",
		"-x", script, exe, core).Output()
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	stacks := map[int][]gdbFrame{}
	tid := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		fs := strings.SplitN(sc.Text(), " ", 5)
		switch {
		case len(fs) == 2 && fs[0] == "thread":
			tid, _ = strconv.Atoi(fs[1])
		case len(fs) == 5 && fs[0] == "frame":
			var f gdbFrame
			f.typ, _ = strconv.ParseUint(fs[1], 10, 64)
			f.pc, _ = strconv.ParseUint(fs[2], 10, 64)
			f.sp, _ = strconv.ParseUint(fs[3], 10, 64)
			f.name = fs[4]
			stacks[tid] = append(stacks[tid], f)
		}
	}
	if len(stacks) == 0 {
		t.Fatalf("gdb printed no stacks: %s", out)
	}
	return stacks
}

const (
	gdbInlineFrame   = 2
	gdbSigtrampFrame = 4
)

// TestAgainstGDB compares the native frames of every thread with gdb's
// backtrace of the same core, which unwinds libc and node with their CFI:
// the same pc, sp and function, frame by frame, up to the first frame in
// V8's code (where gdb, without frame pointer knowledge of V8, goes astray).
// Threads that never enter V8 must match to their outermost frame.
func TestAgainstGDB(t *testing.T) {
	needGDB(t)
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) { againstGDB(t, v) })
	}
}

func againstGDB(t *testing.T, v string) {
	cores := map[string]*testnode.Core{
		"abort":          testnode.MakeCore(t, v, "abort.js", nil, nil),
		"async_throw":    testnode.MakeCore(t, v, "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil),
		"sigsegv":        testnode.MakeCore(t, v, "sigsegv.js", nil, nil),
		"signal_handler": testnode.StopCore(t, v, "signal_handler.js", "uv__signal_handler", nil, nil),
	}
	for name, c := range cores {
		t.Run(name, func(t *testing.T) {
			p := open(t, c)
			want := gdbStacks(t, c.Exe, c.Path)
			u := unwind.New(p)
			for _, th := range p.Threads {
				frames, stop := u.Thread(th)
				if !compareGDB(t, p, frames, want[th.TID]) {
					t.Errorf("thread %d differs from gdb:\n%s", th.TID, dump(p, frames, stop))
				}
			}
		})
	}
}

func compareGDB(t *testing.T, p *elfcore.Process, frames []unwind.Frame, gdb []gdbFrame) bool {
	t.Helper()
	i := 0
	for _, g := range gdb {
		if g.typ == gdbInlineFrame {
			continue // an inlined call: the same pc as the frame that follows
		}
		if g.pc == 0 && i == len(frames) {
			break // gdb's way of ending a stack it cannot unwind further
		}
		if i == len(frames) {
			t.Errorf("gdb has more frames: %+v", g)
			return false
		}
		f := frames[i]
		if f.PC != g.pc || f.SP != g.sp {
			t.Errorf("frame %d: pc %#x sp %#x, gdb: pc %#x sp %#x", i, f.PC, f.SP, g.pc, g.sp)
			return false
		}
		if (g.typ == gdbSigtrampFrame) != f.Trampoline {
			t.Errorf("frame %d: trampoline %v, gdb frame type %d", i, f.Trampoline, g.typ)
			return false
		}
		i++
		if inV8(p, f) {
			t.Logf("compared %d frames up to V8", i)
			return true // gdb cannot go on from V8's frames
		}
		if !sameFunction(p, f, g.name) {
			t.Errorf("frame %d: %q, gdb: %q", i-1, name(p, f), g.name)
			return false
		}
	}
	if i != len(frames) {
		t.Errorf("ndb has %d frames, gdb %d", len(frames), i)
		return false
	}
	t.Logf("compared all %d frames", i)
	return true
}

// inV8 tells V8's code: JIT code in anonymous memory, or embedded builtins.
func inV8(p *elfcore.Process, f unwind.Frame) bool {
	if _, _, ok := p.ModuleAddr(f.LookupPC()); !ok {
		return true
	}
	return strings.HasPrefix(name(p, f), "Builtins_")
}

// sameFunction: the frame's symbol is gdb's, or an alias of it (raise and
// gsignal are one function).
func sameFunction(p *elfcore.Process, f unwind.Frame, gdbName string) bool {
	ours := name(p, f)
	if gdbName == "None" {
		return ours == ""
	}
	if ours == gdbName {
		return true
	}
	m, vaddr, ok := p.ModuleAddr(f.LookupPC())
	if !ok {
		return false
	}
	s, ok := m.LookupAddr(vaddr)
	if !ok {
		return false
	}
	syms, _ := m.Symbols()
	for _, o := range syms {
		if o.Addr == s.Addr && elfcore.Demangle(o.Name) == gdbName {
			return true
		}
	}
	return false
}
