package livecore

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	v8layout "github.com/ndb-debugger/ndb/v8/layout"
)

// TestSnapshotOfMutatingProcess snapshots mutate.js while it writes a round number into 20000
// objects in a loop, by every method this kernel allows: the pre-copy with soft-dirty bits (when
// the kernel has them), the pre-copy reading every page again while stopped (the pre-copy's
// bookkeeping, on any kernel), and stop-the-world. Each core must be what a stop-the-world copy
// sees at one instant: the heap census skips nothing, every cell's two counters are equal but
// in at most one cell, and the rounds split the cells at one place only (a torn copy, pages from
// different moments, splits them at several). The objects the process never writes must read
// the same, at the same addresses, in every core.
func TestSnapshotOfMutatingProcess(t *testing.T) {
	const cells = 20000
	l := testnode.StartLive(t, testnode.Versions[len(testnode.Versions)-1], "mutate.js", []string{"--expose-gc"},
		[]string{fmt.Sprintf("--cells=%d", cells)})
	dir := t.TempDir()
	snap := func(name string, opts Options) *Result {
		r, err := Snapshot(context.Background(), l.Pid, filepath.Join(dir, name), opts)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Logf("%s: %s, paused %v, %d of %d bytes read while running and unchanged", name, r.Method, r.Paused, r.Reused, r.Memory)
		return r
	}
	var frozen []string
	var census string
	check := func(name string, r *Result) {
		s := openSession(t, filepath.Join(dir, name))
		if got := censusTotals(runDcmd(t, s, "findjsobjects", 0, false, "-v")); census == "" {
			census = got
		} else if got != census {
			t.Errorf("%s: the census says\n%s\nthe first core's\n%s", name, got, census)
		}
		rounds := make([]int, cells)
		torn := 0
		for _, obj := range instances(t, s, "Cell") {
			m := cellRE.FindStringSubmatch(runDcmd(t, s, "jsprint", obj, false))
			if m == nil {
				t.Fatalf("%s: %#x::jsprint is not a Cell: %q", name, obj, runDcmd(t, s, "jsprint", obj, false))
			}
			i, _ := strconv.Atoi(m[1])
			a, _ := strconv.Atoi(m[2])
			b, _ := strconv.Atoi(m[3])
			if a != b {
				torn++
				if a != b+1 {
					t.Errorf("%s: cell %d has a = %d, b = %d", name, i, a, b)
				}
			}
			rounds[i] = a
		}
		splits := 0
		for i := 1; i < cells; i++ {
			if rounds[i] != rounds[i-1] {
				splits++
				if rounds[i] != rounds[i-1]-1 {
					t.Errorf("%s: cell %d has round %d after round %d", name, i, rounds[i], rounds[i-1])
				}
			}
		}
		if torn > 1 || splits > 1 || rounds[0] == 0 {
			t.Errorf("%s: %d cells with unequal counters and %d splits of the rounds (first %d, last %d): not one instant",
				name, torn, splits, rounds[0], rounds[cells-1])
		}
		var got []string
		for _, obj := range instances(t, s, "Frozen") {
			got = append(got, fmt.Sprintf("%#x %s", obj, strings.TrimSpace(runDcmd(t, s, "jsprint", obj, false))))
		}
		if len(got) != cells {
			t.Errorf("%s: %d Frozen objects, want %d", name, len(got), cells)
		}
		if frozen == nil {
			frozen = got
		} else if !slicesEqual(got, frozen) {
			t.Errorf("%s: the objects the process never writes differ from the first core's", name)
		}
	}
	check("stop-the-world", snap("stop-the-world", Options{StopTheWorld: true}))
	if r := snap("default", Options{}); r.Method == MethodPreCopy {
		if r.Reused == 0 {
			t.Errorf("the pre-copy took nothing from before the stop")
		}
		check("default", r)
	} else {
		t.Logf("no soft-dirty bits here: %s", r.Method)
	}
	staleOverride = recopyAll
	r := snap("recopy", Options{})
	staleOverride = nil
	if r.Method != MethodPreCopy || r.Reused != 0 {
		t.Errorf("recopy: method %q, %d bytes reused", r.Method, r.Reused)
	}
	check("recopy", r)
}

var cellRE = regexp.MustCompile(`Cell \{\s*i: (\d+),\s*a: (\d+),\s*b: (\d+),?\s*\}`)

// censusTotals keeps the lines of ::findjsobjects -v that count what the census found and what
// it could not parse. A process that allocates nothing has the same totals at any instant; a torn
// copy (an object's map from one moment, its neighbours from another) does not.
func censusTotals(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		for _, key := range []string{"heap pages", "heap objects", "JavaScript objects", "strings", "skipped (unparsable)"} {
			if strings.HasPrefix(line, "findjsobjects: "+key+" =>") {
				keep = append(keep, line)
			}
		}
	}
	return strings.Join(keep, "\n")
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func openSession(t *testing.T, path string) *commands.Session {
	t.Helper()
	p, err := elfcore.Open(path, elfcore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	m, err := v8layout.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return commands.NewSession(p, m)
}

// runDcmd runs ADDR::name ARGS (::name ARGS when addr is 0 and hasAddr false).
func runDcmd(t *testing.T, s *commands.Session, name string, addr uint64, _ bool, args ...string) string {
	t.Helper()
	inv, err := commands.NewInvocation(context.Background(), s, commands.Lookup(name), args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inv.Out, inv.Addr, inv.HasAddr = &out, addr, addr != 0
	if err := inv.Run(); err != nil {
		t.Fatalf("%#x::%s %v: %v", addr, name, args, err)
	}
	return out.String()
}

// instances lists the live objects made by constructor ctor: ::findjsobjects -c CTOR gives a
// representative, REP::findjsobjects every instance.
func instances(t *testing.T, s *commands.Session, ctor string) []uint64 {
	t.Helper()
	var objs []uint64
	for _, f := range strings.Fields(runDcmd(t, s, "findjsobjects", 0, false, "-c", ctor)) {
		rep, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64)
		if err != nil || !strings.HasPrefix(runDcmd(t, s, "jsprint", rep, false), ctor+" {") {
			continue // not an address, or the group of the constructor function itself
		}
		for _, g := range strings.Fields(runDcmd(t, s, "findjsobjects", rep, false)) {
			if a, err := strconv.ParseUint(strings.TrimPrefix(g, "0x"), 16, 64); err == nil {
				objs = append(objs, a)
			}
		}
	}
	return objs
}
