package workshop

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite the transcripts of the pages from ndb's real output")

// pages are the Markdown files whose ```console blocks are transcripts, from
// this directory.
func pages(t *testing.T) []string {
	labs, err := filepath.Glob("*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../../README.md"}, labs...)
}

// buildNDB builds ndb into dir, as a learner does.
func buildNDB(t *testing.T, dir string) {
	t.Helper()
	out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "ndb"), "github.com/ndb-debugger/ndb/cmd/ndb").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ndb: %v\n%s", err, out)
	}
}

// script is one transcript turned into a testscript script.
type script struct {
	page  string
	block int
	file  string // the script's file name
}

// scriptOf writes a transcript as a testscript: each shell step runs with
// sh in $WORK (where testdata is the module's), each session on a
// pseudo-terminal, and `match` compares what they printed with the page.
func scriptOf(file, page string, b Block) string {
	var s strings.Builder
	var files strings.Builder
	fmt.Fprintf(&s, "# %s:%d\n", page, b.Line)
	fmt.Fprintf(&s, "env WORKSHOP_SCRIPT=%s\n", file)
	for i, st := range b.Steps {
		want := fmt.Sprintf("step%d.want", i)
		if dcmds := st.Session(); dcmds != nil {
			cmds := fmt.Sprintf("step%d.dcmds", i)
			fmt.Fprintf(&s, "session %s %s step%d.out\n", quote(st.Cmd), cmds, i)
			fmt.Fprintf(&s, "match step%d.out %s\n", i, want)
			fmt.Fprintf(&files, "-- %s --\n%s\n", cmds, strings.Join(dcmds, "\n"))
		} else {
			// The learner's terminal shows stdout and stderr together; the
			// transcript shows output, not the exit status.
			fmt.Fprintf(&s, "exec sh -c %s sh %s\n", quote(`exec 2>&1; eval "$1"; exit 0`), quote(st.Cmd))
			fmt.Fprintf(&s, "match stdout %s\n", want)
		}
		fmt.Fprintf(&files, "-- %s --\n%s", want, st.Output)
	}
	return s.String() + files.String()
}

// quote quotes a word for testscript: single quotes, which also stop the
// expansion of $VARS.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// results collects the real outputs for -update: script file → step → output.
type results struct {
	mu  sync.Mutex
	out map[string]map[int]string
}

func (r *results) put(file string, step int, out string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out[file] == nil {
		r.out[file] = map[int]string{}
	}
	r.out[file][step] = out
}

// TestTranscripts runs every transcript of the pages and compares the
// output. With -update it rewrites the pages from the real outputs instead.
func TestTranscripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	buildNDB(t, bin)
	bundleCache := t.TempDir()
	dir := t.TempDir()

	parsed := map[string][]Block{}
	var scripts []script
	for _, page := range pages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Parse(text)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		parsed[page] = blocks
		for i, b := range blocks {
			name := strings.NewReplacer("../", "", "/", "_", ".md", "").Replace(page)
			file := fmt.Sprintf("%s_%d.txtar", name, b.Line)
			if err := os.WriteFile(filepath.Join(dir, file), []byte(scriptOf(file, page, b)), 0o644); err != nil {
				t.Fatal(err)
			}
			scripts = append(scripts, script{page, i, file})
		}
	}

	res := &results{out: map[string]map[int]string{}}
	t.Run("scripts", func(t *testing.T) {
		testscript.Run(t, testscript.Params{
			Dir: dir,
			Setup: func(e *testscript.Env) error {
				e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
				e.Setenv("NDB_BUNDLE_CACHE", bundleCache)
				e.Setenv("HOME", e.WorkDir)
				return os.Symlink(filepath.Join(root, "testdata"), filepath.Join(e.WorkDir, "testdata"))
			},
			Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
				"session": cmdSession,
				"match":   func(ts *testscript.TestScript, neg bool, args []string) { cmdMatch(ts, neg, args, res) },
			},
		})
	})
	if !*update {
		return
	}
	for _, page := range pages(t) {
		blocks := parsed[page]
		changed := false
		for _, s := range scripts {
			if s.page != page {
				continue
			}
			for step, out := range res.out[s.file] {
				if blocks[s.block].Steps[step].Output != out {
					blocks[s.block].Steps[step].Output = out
					changed = true
				}
			}
		}
		if !changed {
			continue
		}
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(page, Rewrite(text, blocks), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", page)
	}
}

// cmdSession runs `session 'ndb ARGS' DCMDS OUT`: ndb ARGS interactively on
// a pseudo-terminal, typing the dcmds of file DCMDS; the screen goes to OUT.
func cmdSession(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: session 'ndb ARGS' DCMDS OUT")
	}
	argv := strings.Fields(args[0])
	argv[0] = lookPath(ts, argv[0])
	var env []string
	for _, k := range []string{"PATH", "HOME", "NDB_BUNDLE_CACHE", "TMPDIR"} {
		env = append(env, k+"="+ts.Getenv(k))
	}
	dcmds := strings.Split(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"), "\n")
	screen, err := RunSession(argv, ts.Getenv("WORK"), env, dcmds, 5*time.Minute)
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(screen), 0o644))
}

// lookPath finds a program in the script's PATH.
func lookPath(ts *testscript.TestScript, name string) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	ts.Fatalf("%s is not in $PATH", name)
	return ""
}

// cmdMatch runs `match FILE WANT`: FILE (or stdout) shows what WANT shows,
// but for what varies (see Mismatch). With -update it records FILE as the
// real output of the step that WANT (stepN.want) belongs to.
func cmdMatch(ts *testscript.TestScript, neg bool, args []string, res *results) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: match FILE|stdout WANT")
	}
	got, want := Clean(ts.ReadFile(args[0])), ts.ReadFile(args[1])
	if *update {
		step, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(args[1], "step"), ".want"))
		ts.Check(err)
		res.put(ts.Getenv("WORKSHOP_SCRIPT"), step, got)
		return
	}
	if d := Mismatch(want, got); d != "" {
		ts.Fatalf("the page and ndb differ at %s\n(run `go test ./docs/workshop -update` to take ndb's output)\nndb printed:\n%s", d, got)
	}
}

// TestTypedAddressesAreShown checks that each address a learner types
// appears in an output above it on the same page.
func TestTypedAddressesAreShown(t *testing.T) {
	for _, page := range pages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Parse(text)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		bad := UnseenAddresses(blocks)
		sort.Strings(bad)
		for _, b := range bad {
			t.Errorf("%s: %s is typed but shown in no output above it", page, b)
		}
	}
}
