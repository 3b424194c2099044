package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// liveCommands are the dcmds compared between an `ndb gcore` core and a gdb gcore core of the
// same stopped process: every dcmd that needs no address, and the address dcmds on an object
// the census finds.
var liveCommands = []string{
	"::status",
	"::threads",
	"::jsstack -t all -v",
	"::findjsobjects",
	"::findjsobjects -m",
	"::findjsobjects -c LeakyRequest | ::jsprint",
	"::findjsobjects -c LeakyRequest | ::v8print",
	"::findjsobjects -c LeakyRequest | ::v8type",
	"::findjsobjects -c LeakyRequest | ::jsconstructor",
	"::findjsobjects -c LeakyRequest | ::findjsrefs",
	"::findjsobjects -c LeakyRequest | ::jsroots",
	"::findjsobjects -c LeakyRequest | ::dump",
	"::jsfunctions -n waitLine",
	"::jsfunctions -n waitLine | ::jssource",
	"::jsfunctions -n waitLine | ::jsclosure",
	"::v8constants",
	"::mappings",
}

// ndbRun runs ndb in this process and returns its stdout, stderr and exit status.
func ndbRun(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	rc := run(args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), rc
}

// TestGcoreMatchesGdb snapshots the same stopped grow.js process with `ndb gcore` and gdb's gcore
// on every Node line and checks that every dcmd answers the same on both cores. The process
// waits in a blocking read between the two, so its memory does not change.
func TestGcoreMatchesGdb(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			l := testnode.StartLive(t, v, "grow.js", []string{"--expose-gc"}, nil)
			dir := t.TempDir()
			ours, gdbs := filepath.Join(dir, "ndb.core"), filepath.Join(dir, "gdb.core")
			if _, stderr, rc := ndbRun("gcore", fmt.Sprint(l.Pid), "-o", ours); rc != 0 || !strings.HasPrefix(stderr, "paused ") {
				t.Fatalf("ndb gcore: rc %d, stderr %q", rc, stderr)
			}
			if st, err := os.Stat(ours); err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("core %s: %v, mode %v", ours, err, st.Mode())
			}
			testnode.Gcore(t, l.Pid, gdbs)
			for _, c := range liveCommands {
				got, gotErr, _ := ndbRun("-e", c, ours)
				want, wantErr, _ := ndbRun("-e", c, gdbs)
				if c == "::mappings" {
					got, want = mappingsKernelSkips(t, got, want)
				}
				got = strings.ReplaceAll(got, ours, "CORE")
				want = strings.ReplaceAll(want, gdbs, "CORE")
				if got != want || gotErr != wantErr {
					t.Errorf("%s differs:\n%s", c, firstDiff(got+gotErr, want+wantErr))
				}
				if len(got) < 10 && c != "::jsfunctions -n waitLine | ::jsclosure" {
					t.Errorf("%s prints too little to compare: %q %q", c, got, gotErr)
				}
			}
			if _, err := l.Finish(); err != nil {
				t.Errorf("the process failed after its snapshots: %v; stderr %s", err, l.Stderr())
			}
		})
	}
}

// mappingsKernelSkips checks how ::mappings may differ and returns the listings with the
// allowed differences taken out. gdb dumps the pages of files the process never wrote and the
// PROT_NONE reservations (as r--p zeros), which the kernel's rules leave out of a core; it also
// leaves out the read-only file mappings it does not dump. Every other line must be the same.
func mappingsKernelSkips(t *testing.T, ours, gdbs string) (string, string) {
	t.Helper()
	type row struct{ perms, state, path string }
	parse := func(s string) (map[string]row, []string) {
		rows := map[string]row{}
		var order []string
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 {
				continue
			}
			r := row{perms: f[1], state: f[3]}
			if len(f) > 4 {
				r.path = strings.Join(f[4:], " ")
			}
			rows[f[0]] = r
			order = append(order, f[0])
		}
		return rows, order
	}
	a, aOrder := parse(ours)
	b, _ := parse(gdbs)
	skipped := 0
	for _, rng := range aOrder {
		ra := a[rng]
		rb, inGdb := b[rng]
		if inGdb && ra == rb {
			continue
		}
		if !kernelSkip(ra.perms, ra.state, ra.path, inGdb, rb.perms, rb.state, rb.path) {
			continue
		}
		skipped++
		delete(a, rng)
		delete(b, rng)
	}
	if skipped == 0 {
		t.Errorf("::mappings: nothing left out by the kernel's rules")
	}
	dump := func(m map[string]row) string {
		var lines []string
		for rng, r := range m {
			lines = append(lines, fmt.Sprintf("%s %s %s %s", rng, r.perms, r.state, r.path))
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	return dump(a), dump(b)
}

// kernelSkip tells whether a line of our ::mappings may differ from gdb's (absent there when
// !inGdb) by the kernel's rules: gdb shows PROT_NONE and execute-only mappings as readable and
// dumps them, dumps files' pages and never-touched anonymous memory, and leaves out the kernel's
// [vvar] pages, io_uring rings and read-only file mappings.
func kernelSkip(perms, state, path string, inGdb bool, gperms, gstate, gpath string) bool {
	if !inGdb {
		return !strings.Contains(perms, "w") || state == "absent"
	}
	if path != gpath {
		return false
	}
	if perms != gperms && (perms[0] != '-' || "r"+perms[1:] != gperms) {
		return false
	}
	return state == gstate || (state == "file" || state == "partial" || state == "absent") && gstate == "core"
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\nndb gcore: %q\ngdb gcore: %q", i+1, gl, wl)
		}
	}
	return "(same lines)"
}

// TestDiffOfLiveSnapshots: three `ndb gcore` snapshots of grow.js, the third taken by
// `ndb diff OLD -p PID`, show LeakyRequest growing by exactly the fixture's step (1000), and
// nothing else growing at both steps (what else comes and goes is bounded as in heap's
// TestDiffFindsTheLeak).
func TestDiffOfLiveSnapshots(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			l := testnode.StartLive(t, v, "grow.js", []string{"--expose-gc"}, []string{"--initial=1000", "--step=1000", "--steps=3"})
			dir := t.TempDir()
			var cores []string
			for i := 1; i <= 2; i++ {
				if l.Name != fmt.Sprintf("step%d", i) {
					t.Fatalf("the fixture is at %q, want step%d", l.Name, i)
				}
				path := filepath.Join(dir, l.Name+".core")
				if _, stderr, rc := ndbRun("gcore", fmt.Sprint(l.Pid), "-o", path); rc != 0 {
					t.Fatalf("ndb gcore: rc %d: %s", rc, stderr)
				}
				cores = append(cores, path)
				if !l.Next() {
					t.Fatalf("the fixture stopped early: %s", l.Stderr())
				}
			}
			steps := []map[string]diffRow{diffRows(t, "gcore", cores[0], cores[1])}
			steps = append(steps, diffRows(t, "-p", cores[1], "-p", fmt.Sprint(l.Pid)))
			grewAtEach := map[string]int{}
			for i, rows := range steps {
				leak := rows["object\x00LeakyRequest\x00id,method,status"]
				if leak.Delta != 1000 || leak.New != 1000*(i+2) {
					t.Errorf("step %d: LeakyRequest %d -> %d (delta %d), want +1000 to %d", i+2, leak.Old, leak.New, leak.Delta, 1000*(i+2))
				}
				for k, r := range rows {
					if r.Delta <= 0 || strings.Contains(k, "LeakyRequest") {
						continue
					}
					grewAtEach[k]++
					if limit := map[bool]int{true: 250, false: 10}[r.Kind == "string"]; r.Delta > limit {
						t.Errorf("step %d: %q grows by %d, more than %d", i+2, k, r.Delta, limit)
					}
				}
			}
			for k, n := range grewAtEach {
				if n == len(steps) {
					t.Errorf("%q grows at every step, like the leak", k)
				}
			}
			if _, err := l.Finish(); err != nil {
				t.Errorf("the process failed after its snapshots: %v; stderr %s", err, l.Stderr())
			}
		})
	}
}

type diffRow struct {
	Constructor string   `json:"constructor"`
	Kind        string   `json:"kind"`
	Properties  []string `json:"properties"`
	Old, New    int
	Delta       int
}

// diffRows runs `ndb diff --json OLD NEW` (or `OLD -p PID`) and returns its rows by kind,
// constructor and properties.
func diffRows(t *testing.T, what string, args ...string) map[string]diffRow {
	t.Helper()
	out, stderr, rc := ndbRun(append([]string{"diff", "--json"}, args...)...)
	if rc != 0 {
		t.Fatalf("ndb diff (%s): rc %d: %s", what, rc, stderr)
	}
	if what == "-p" && !strings.HasPrefix(stderr, "paused ") {
		t.Errorf("ndb diff -p printed %q, want the pause", stderr)
	}
	rows := map[string]diffRow{}
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r diffRow
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("ndb diff --json: %v", err)
		}
		rows[r.Kind+"\x00"+r.Constructor+"\x00"+strings.Join(r.Properties, ",")] = r
	}
	return rows
}

// TestGcoreBadTargets: a pid that does not exist, a process that is not node and one already
// traced each give one line and exit status 2, and leave the process running.
func TestGcoreBadTargets(t *testing.T) {
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	traced := exec.Command("sleep", "60")
	if err := traced.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { traced.Process.Kill(); traced.Wait() }()
	release := traceOnLockedThread(t, traced.Process.Pid)
	defer release()

	waitSleeping(t, sleep.Process.Pid)
	dir := t.TempDir()
	out := filepath.Join(dir, "core")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gcore", "4194305", "-o", out}, "no process with pid 4194305"},
		{[]string{"gcore", "abc", "-o", out}, `"abc" is not a process id`},
		{[]string{"gcore", fmt.Sprint(sleep.Process.Pid), "-o", out}, "which is not Node.js"},
		{[]string{"gcore", fmt.Sprint(traced.Process.Pid), "-o", out}, "is already traced by pid"},
		{[]string{"-p", fmt.Sprint(sleep.Process.Pid), "-e", "::status"}, "which is not Node.js"},
		{[]string{"diff", "old.core", "-p", "4194305"}, "no process with pid 4194305"},
	} {
		stdout, stderr, rc := ndbRun(tc.args...)
		if rc != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("ndb %v: rc %d, stdout %q, stderr %q; want 2 and one line with %q", tc.args, rc, stdout, stderr, tc.want)
		}
		for _, pid := range []int{sleep.Process.Pid} {
			if st := procState(pid); st != "S" {
				t.Errorf("after ndb %v: pid %d is in state %q, want S (sleeping)", tc.args, pid, st)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed snapshots left files: %v", entries)
	}
}

// traceOnLockedThread makes this test process the tracer of pid, as a debugger would be.
func traceOnLockedThread(t *testing.T, pid int) (release func()) {
	t.Helper()
	errc, done := make(chan error), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		err := unix.PtraceSeize(pid)
		errc <- err
		if err == nil {
			<-done
			unix.PtraceDetach(pid)
		}
	}()
	if err := <-errc; err != nil {
		t.Fatalf("PTRACE_SEIZE %d: %v", pid, err)
	}
	return func() { close(done) }
}

func waitSleeping(t *testing.T, pid int) {
	for i := 0; procState(pid) != "S"; i++ {
		if i > 5000 {
			t.Fatalf("pid %d never went to sleep: state %s", pid, procState(pid))
		}
		time.Sleep(time.Millisecond)
	}
}

func procState(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "gone"
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0]
}
