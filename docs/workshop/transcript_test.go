package workshop

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

// scriptOf writes the transcripts of a page as one testscript, as a
// learner types them in one terminal: each shell step runs with sh in $WORK
// (where testdata is the module's), each session on a pseudo-terminal, and
// `match` compares what they printed with the page. Step I of block B
// expects file bB.sI.want.
func scriptOf(file, page string, blocks []Block) string {
	var s strings.Builder
	var files strings.Builder
	fmt.Fprintf(&s, "# %s\n", page)
	fmt.Fprintf(&s, "env WORKSHOP_SCRIPT=%s\n", file)
	for bi, b := range blocks {
		fmt.Fprintf(&s, "\n# line %d\n", b.Line)
		for si, st := range b.Steps {
			writeStep(&s, &files, fmt.Sprintf("b%d.s%d", bi, si), st)
		}
	}
	return s.String() + files.String()
}

func writeStep(s, files *strings.Builder, id string, st Step) {
	want := id + ".want"
	{
		if dcmds := st.Session(); dcmds != nil {
			cmds := id + ".dcmds"
			fmt.Fprintf(s, "session %s %s %s.out\n", quote(st.Cmd), cmds, id)
			fmt.Fprintf(s, "match %s.out %s\n", id, want)
			fmt.Fprintf(files, "-- %s --\n%s\n", cmds, strings.Join(dcmds, "\n"))
		} else {
			// The learner's terminal shows stdout and stderr together; the
			// transcript shows output, not the exit status.
			fmt.Fprintf(s, "exec sh -c %s sh %s\n", quote(`exec 2>&1; eval "$1"; exit 0`), quote(st.Cmd))
			fmt.Fprintf(s, "match stdout %s\n", want)
		}
		fmt.Fprintf(files, "-- %s --\n%s", want, st.Output)
	}
}

// quote quotes a word for testscript: single quotes, which also stop the
// expansion of $VARS.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// results collects the real outputs for -update: script file → step id
// ("bB.sI") → output.
type results struct {
	mu  sync.Mutex
	out map[string]map[string]string
}

func (r *results) put(file, step, out string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out[file] == nil {
		r.out[file] = map[string]string{}
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
	scripts := map[string]string{} // page → script file
	for i, page := range pages(t) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks, err := Parse(text)
		if err != nil {
			t.Fatalf("%s: %v", page, err)
		}
		parsed[page] = blocks
		if len(blocks) == 0 {
			continue
		}
		// Numbered: ../../README.md and README.md are different pages.
		file := fmt.Sprintf("%d-%s.txtar", i, strings.TrimSuffix(filepath.Base(page), ".md"))
		if err := os.WriteFile(filepath.Join(dir, file), []byte(scriptOf(file, page, blocks)), 0o644); err != nil {
			t.Fatal(err)
		}
		scripts[page] = file
	}

	res := &results{out: map[string]map[string]string{}}
	goEnv := goEnvironment(t)
	t.Run("scripts", func(t *testing.T) {
		testscript.Run(t, testscript.Params{
			Dir: dir,
			Setup: func(e *testscript.Env) error {
				e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
				e.Setenv("NDB_BUNDLE_CACHE", bundleCache)
				e.Setenv("HOME", e.WorkDir)
				for k, v := range goEnv {
					e.Setenv(k, v)
				}
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
		for id, out := range res.out[scripts[page]] {
			var bi, si int
			if _, err := fmt.Sscanf(id, "b%d.s%d", &bi, &si); err != nil {
				t.Fatalf("step %q: %v", id, err)
			}
			if blocks[bi].Steps[si].Output != out {
				blocks[bi].Steps[si].Output = out
				changed = true
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

// goEnvironment is the go command's cache and module settings, for the
// steps that run `go tool` with $HOME in their work directory.
func goEnvironment(t *testing.T) map[string]string {
	keys := []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOTOOLCHAIN", "GOFLAGS", "GOPROXY"}
	out, err := exec.Command("go", append([]string{"env"}, keys...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	env := map[string]string{}
	for i, v := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if i < len(keys) && v != "" {
			env[keys[i]] = v
		}
	}
	return env
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
	for _, k := range []string{"PATH", "HOME", "NDB_BUNDLE_CACHE", "TMPDIR", "GOCACHE", "GOMODCACHE", "GOPATH"} {
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
		res.put(ts.Getenv("WORKSHOP_SCRIPT"), strings.TrimSuffix(args[1], ".want"), got)
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
