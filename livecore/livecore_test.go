package livecore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestSigtermDuringSnapshot sends this process a real SIGTERM while the target is stopped,
// through the same signal.NotifyContext as ndb gcore: the snapshot stops, the target runs on
// with its output unaffected, and no file is left.
func TestSigtermDuringSnapshot(t *testing.T) {
	l := testnode.StartLive(t, testnode.Versions[len(testnode.Versions)-1], "grow.js", []string{"--expose-gc"}, nil)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	sawStop := false
	whileStopped = func() {
		sawStop = procState(l.Pid) == "t"
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-ctx.Done()
	}
	defer func() { whileStopped = nil }()
	dir := t.TempDir()
	_, err := Snapshot(ctx, l.Pid, filepath.Join(dir, "core"), Options{})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Snapshot = %v, want interrupted", err)
	}
	if !sawStop {
		t.Errorf("the process was not stopped when the signal came")
	}
	if st := procState(l.Pid); st == "t" || st == "T" {
		t.Errorf("after the interrupted snapshot the process is in state %s", st)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the interrupted snapshot left %v", entries)
	}
	// The fixture goes on as if nothing happened: two more steps, then a clean exit.
	for want := 2; want <= 3; want++ {
		if !l.Next() || l.Name != fmt.Sprintf("step%d", want) {
			t.Fatalf("after the interrupted snapshot the fixture printed %q; stderr %s", l.Stdout(), l.Stderr())
		}
	}
	rest, err := l.Finish()
	if err != nil || rest != "" || l.Stderr() != "" {
		t.Errorf("the fixture ended with %v, stdout %q, stderr %q", err, rest, l.Stderr())
	}
	if !strings.HasSuffix(l.Stdout(), "SNAP step1\nSNAP step2\nSNAP step3\n") {
		t.Errorf("stdout %q", l.Stdout())
	}
}

// TestNotesReadBack: elfcore reads back what the notes of a snapshot say, compared with /proc
// of the same process. The command line is cut at 79 bytes, as the kernel cuts it.
func TestNotesReadBack(t *testing.T) {
	l := testnode.StartLive(t, testnode.Versions[0], "grow.js", []string{"--expose-gc"}, nil)
	path := filepath.Join(t.TempDir(), "core")
	r, err := Snapshot(context.Background(), l.Pid, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := elfcore.Open(path, elfcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.Warnings) > 0 {
		t.Errorf("warnings: %v", p.Warnings)
	}
	tids, _ := listTasks(l.Pid)
	if len(p.Threads) != len(tids) || r.Threads != len(tids) || p.Threads[0].TID != l.Pid {
		t.Errorf("threads %d (first %d), result %d; /proc has %v", len(p.Threads), p.Threads[0].TID, r.Threads, tids)
	}
	if p.Info.PID != l.Pid || p.Info.PPID != os.Getpid() || p.Info.Command != "node" ||
		p.Info.Args != (l.Exe + " --expose-gc " + l.Script)[:prArgsSize-1] || p.Info.UID != os.Getuid() {
		t.Errorf("NT_PRPSINFO: %+v", p.Info)
	}
	if p.Sig == nil || p.Sig.Signo != 0 || p.Signal() != 0 {
		t.Errorf("NT_SIGINFO %+v: want no signal", p.Sig)
	}
	auxv, _ := os.ReadFile(fmt.Sprintf("/proc/%d/auxv", l.Pid))
	if len(p.Auxv) == 0 || p.Auxv[elfcore.AT_ENTRY] == 0 || len(auxv) == 0 {
		t.Errorf("NT_AUXV: %v", p.Auxv)
	}
	if p.ExePath != l.Exe || p.BuildIDStatus != "match" || p.NodeVersion != "v"+l.Version {
		t.Errorf("executable %s (%s), node %s", p.ExePath, p.BuildIDStatus, p.NodeVersion)
	}
	mf, _ := os.Open(fmt.Sprintf("/proc/%d/maps", l.Pid))
	maps, err := parseMaps(mf)
	mf.Close()
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, m := range maps {
		if m.fileBacked() {
			files++
		}
	}
	if len(p.Files) != files || len(p.Segments) != len(maps) {
		t.Errorf("NT_FILE has %d files, /proc %d; %d segments for %d mappings", len(p.Files), files, len(p.Segments), len(maps))
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 || st.Size() != r.Size {
		t.Errorf("core mode %v size %d, want 0600 and %d", st.Mode(), st.Size(), r.Size)
	}
	if sys := st.Sys().(*syscall.Stat_t); sys.Blocks*512 >= st.Size()/2 {
		t.Errorf("core takes %d bytes of disk for %d: zero pages are not holes", sys.Blocks*512, st.Size())
	}
}

func TestSnapshotRefusesDevices(t *testing.T) {
	_, err := Snapshot(context.Background(), os.Getpid(), "/dev/null", Options{AnyProgram: true})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Snapshot to /dev/null: %v", err)
	}
	if errors.Is(err, ErrTarget) {
		t.Errorf("a bad output is not the target's fault: %v", err)
	}
}

func TestParseMapsLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want mapping
	}{
		{"7f1460738000-7f146073a000 r--p 00031000 fe:00 325835                     /usr/lib/ld 2.so",
			mapping{start: 0x7f1460738000, end: 0x7f146073a000, read: true, offset: 0x31000, inode: 325835, path: "/usr/lib/ld 2.so"}},
		{"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
			mapping{start: 0xffffffffff600000, end: 0xffffffffff601000, exec: true, path: "[vsyscall]"}},
		{"7fe226c7a000-7fe226c7e000 rw-s 10000000 00:10 58360 anon_inode:[io_uring]",
			mapping{start: 0x7fe226c7a000, end: 0x7fe226c7e000, read: true, write: true, shared: true, offset: 0x10000000, inode: 58360, path: "anon_inode:[io_uring]"}},
		{"00400000-00401000 rw-p 00000000 00:00 0 ",
			mapping{start: 0x400000, end: 0x401000, read: true, write: true}},
	} {
		got, err := parseMapsLine(tc.line)
		if err != nil || got != tc.want {
			t.Errorf("parseMapsLine(%q) = %+v, %v; want %+v", tc.line, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "x-y r--p 0 0:0 0", "1000-0 r--p 0 00:00 0", "1000-2000 r-p 0 00:00 0"} {
		if _, err := parseMapsLine(bad); err == nil {
			t.Errorf("parseMapsLine(%q) accepted", bad)
		}
	}
}

func procState(pid int) string {
	st, err := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "gone"
	}
	return st.state
}

// TestInterruptDuringPreCopy: an interrupt that comes before the stop (here, as the pre-copy
// starts) ends the snapshot with the process never stopped and no file left.
func TestInterruptDuringPreCopy(t *testing.T) {
	l := testnode.StartLive(t, testnode.Versions[len(testnode.Versions)-1], "grow.js", []string{"--expose-gc"}, nil)
	staleOverride = recopyAll // the pre-copy runs on kernels without soft-dirty bits too
	defer func() { staleOverride = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	_, err := Snapshot(ctx, l.Pid, filepath.Join(dir, "core"), Options{})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Snapshot = %v, want interrupted", err)
	}
	if st := procState(l.Pid); st == "t" || st == "T" {
		t.Errorf("after the interrupted pre-copy the process is in state %s", st)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the interrupted snapshot left %v", entries)
	}
	if !l.Next() || l.Name != "step2" {
		t.Errorf("after the interrupted pre-copy the fixture printed %q", l.Stdout())
	}
}
