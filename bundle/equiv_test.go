package bundle_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/repl"
)

// session opens a core with its executable (or a bundle) as ndb does.
func session(t testing.TB, path, exe string) *commands.Session {
	t.Helper()
	tg := testcores.Target(t, path, exe)
	return commands.NewSession(tg.Proc, tg.Meta)
}

// scripts is every dcmd line the equivalence test runs: every dcmd that
// needs no address (with piped, also every dcmd that takes one fed with
// the addresses other dcmds print).
func scripts(piped bool) []string {
	var lines, sources []string
	all := commands.All()
	for _, c := range all {
		if c.Addr != commands.AddrRequired {
			lines = append(lines, "::"+c.Name)
		}
	}
	for _, s := range []string{"jsstack", "findjsobjects", "jsframe", "threads"} {
		if c := commands.Lookup(s); c != nil && c.Addr != commands.AddrRequired {
			sources = append(sources, s)
		}
	}
	for _, c := range all {
		if c.Addr == commands.AddrNone || !piped {
			continue
		}
		for _, s := range sources {
			if s != c.Name {
				lines = append(lines, "::"+s+" | ::"+c.Name)
			}
		}
	}
	return lines
}

// pathsRE matches what may differ between a core and its bundle: the
// paths lines of ::status.
var pathsRE = regexp.MustCompile(`(?m)^(core|executable):.*$|"(core|executable)":"[^"]*"`)

func runLine(s *commands.Session, line string, json bool) string {
	var out, errs bytes.Buffer
	r := &repl.Runner{S: s, Out: &out, Err: &errs, JSON: json}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r.Exec(ctx, line)
	return pathsRE.ReplaceAllString(out.String(), "$1$2: PATH") + "\n--- stderr\n" + errs.String()
}

// equivalent runs the lines on the core with its executable and on the
// bundle, and wants the same bytes: in text and JSON for dcmds without an
// address, in text for pipelines.
func equivalent(t *testing.T, core, exe, bundlePath string, lines []string) {
	t.Helper()
	onCore := session(t, core, exe)
	onBundle := session(t, bundlePath, "")
	if !onBundle.Proc.NoFiles {
		t.Fatal("a bundle's Process may look at files")
	}
	ran := 0
	for _, line := range lines {
		for _, json := range []bool{false, true} {
			if json && strings.Contains(line, "|") {
				continue
			}
			a, b := runLine(onCore, line, json), runLine(onBundle, line, json)
			ran++
			if a != b {
				t.Errorf("%s (json %v) differs on the bundle:\n%s", line, json, firstDiff(a, b))
			}
			if strings.Contains(a, "internal error (please report)") {
				t.Logf("%s (json %v): %s", line, json, firstLine(a, "internal error (please report)"))
			}
		}
	}
	t.Logf("%d dcmd lines identical on core and bundle", ran)
}

func firstLine(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < max(len(la), len(lb)); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			j := 0
			for j < len(x) && j < len(y) && x[j] == y[j] {
				j++
			}
			cut := func(s string) string { return s[max(0, j-80):min(len(s), j+80)] }
			return fmt.Sprintf("line %d, byte %d:\n  core:   %q\n  bundle: %q", i+1, j, cut(x), cut(y))
		}
	}
	return ""
}

// TestEquivalence packs real cores of every Node line (a crash, a leak and
// a gcore snapshot) and checks every dcmd answers the same on the bundle.
func TestEquivalence(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Run("crash", func(t *testing.T) {
				c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
				// Pipelines feed every object to every ADDR dcmd: slow; with
				// -short on one line only.
				packAndCompare(t, c.Path, c.Exe, scripts(!testing.Short() || v == "22.23.3"))
			})
			t.Run("leak", func(t *testing.T) {
				c := testnode.MakeCore(t, v, "leak.js", nil, nil)
				packAndCompare(t, c.Path, c.Exe, scripts(false))
			})
			t.Run("gcore", func(t *testing.T) {
				if testing.Short() {
					t.Skip("gcore snapshots are slow")
				}
				cores := testnode.Snapshots(t, v, "grow.js", []string{"--expose-gc"}, []string{"--initial=300", "--step=300", "--steps=2"})
				c := cores[len(cores)-1]
				packAndCompare(t, c.Path, c.Exe, scripts(false))
			})
		})
	}
}

func packAndCompare(t *testing.T, core, exe string, lines []string) {
	out := filepath.Join(t.TempDir(), "x.ndb")
	st, err := bundle.Pack(out, core, bundle.PackOptions{Exe: exe})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("core %s (%s on disk) → bundle %s in %v", elfcore.HumanBytes(st.CoreSize),
		elfcore.HumanBytes(st.CoreOnDisk), elfcore.HumanBytes(st.Bundle), st.Elapsed.Round(time.Millisecond))
	equivalent(t, core, exe, out, lines)
	// A second open maps the cached image: same answers.
	equivalent(t, core, exe, out, []string{"::status", "::mappings", "::jsstack"})
}
