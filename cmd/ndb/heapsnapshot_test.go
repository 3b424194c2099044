package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	reader "github.com/ndb-debugger/ndb/internal/heapsnapshot"
)

// ndb heapsnapshot on a bundle: the file reads back, mode 0600; an output
// path that cannot be written fails before any work with one line and
// exit 2, leaving nothing behind; an existing file needs --force. The
// runs that write go in a child: the core's pages read in this process
// would count in the peak RSS of the children later tests measure.
func TestHeapsnapshotCommand(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	dir := t.TempDir()
	out := filepath.Join(dir, "app.heapsnapshot")
	r := runChild(t, t.TempDir(), "heapsnapshot", example, "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "wrote "+out+": ") {
		t.Errorf("stdout %q", r.stdout)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("output: %v %v", st, err)
	}
	s, err := reader.Read(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Names[1] != "(GC roots)" || len(s.Types) < 1000 {
		t.Errorf("%d nodes, node 1 %q", len(s.Types), s.Names[1])
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"heapsnapshot", example, "-o", out}, "exists; use --force"},
		{[]string{"heapsnapshot", example, "-o", dir}, "not a regular file"},
		{[]string{"heapsnapshot", example, "-o", example, "--force"}, "is the input"},
		{[]string{"heapsnapshot", example, "-o", filepath.Join(dir, "no", "x")}, "no such file or directory"},
		{[]string{"heapsnapshot", example}, "wants -o FILE"},
	} {
		code, _, stderr := runNDB(c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if r := runChild(t, t.TempDir(), "heapsnapshot", example, "-o", out, "--force"); r.code != 0 {
		t.Errorf("--force: exit %d: %s", r.code, r.stderr)
	}
}
