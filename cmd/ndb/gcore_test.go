package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
