package commands

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// gdbPCs prints the pc of each frame gdb unwinds on the current thread.
const gdbPCs = `
import gdb
f = gdb.newest_frame()
n = 0
while f is not None and n < 400:
    print("pc %d" % f.pc())
    try:
        f = f.older()
    except gdb.error:
        break
    n += 1
`

// TestJSStackNativeMatchesGdb: the native frames ::jsstack shows for a
// death in libc's abort() are gdb's backtrace, pc for pc: the frames above
// JavaScript (libc's abort, node's) and the first V8 frame. (Below it gdb
// loses its way in JIT code, so the frames below V8's entry frame are
// checked against Node's own trace and the thread's start elsewhere.)
func TestJSStackNativeMatchesGdb(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	c := testnode.MakeCore(t, "22.23.3", "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil)
	script := filepath.Join(t.TempDir(), "pcs.py")
	if err := os.WriteFile(script, []byte(gdbPCs), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gdb, "-nx", "-batch", "-iex", "set debug-file-directory /nonexistent",
		"-iex", "set auto-load no", "-x", script, c.Exe, c.Path).Output()
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	var want []uint64
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(l, "pc "); ok {
			pc, _ := strconv.ParseUint(v, 10, 64)
			want = append(want, pc)
		}
	}
	_, all := jsFrames(t, runDcmd(t, openSession(t, c), true, "jsstack", 0, "-a"))
	var top []uint64 // the native frames above JavaScript and the first V8 frame
	for _, f := range all {
		pc, _ := strconv.ParseUint(strings.TrimPrefix(f.PC, "0x"), 16, 64)
		top = append(top, pc)
		if f.Kind != "native" {
			break
		}
	}
	if len(top) < 4 || len(want) < len(top) {
		t.Fatalf("%d frames down to the first V8 frame; gdb has %d frames", len(top), len(want))
	}
	for i, pc := range top {
		if want[i] != pc {
			t.Errorf("frame %d (%s): pc %#x, gdb says %#x", i, all[i].Symbol, pc, want[i])
		}
	}
}
