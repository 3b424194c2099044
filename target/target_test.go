package target_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/target"
)

// TestOpenBundle opens each example bundle: the Node version its name
// gives (the version the fixture ran under) is the one the core reports,
// and the V8 metadata is loaded.
func TestOpenBundle(t *testing.T) {
	for _, name := range append(testcores.Crash, testcores.Leak) {
		tg, err := target.Open(testcores.Path(t, "testdata", "cores", name+".ndb"), elfcore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want := "v" + name[strings.LastIndex(name, "-")+1:]
		if tg.Proc.NodeVersion != want {
			t.Errorf("%s: node %q, want %q", name, tg.Proc.NodeVersion, want)
		}
		if len(tg.Meta.All()) == 0 {
			t.Errorf("%s: no V8 metadata", name)
		}
		tg.Close()
	}
}

// TestOpenRefuses gives one clear error for what is neither a core nor a
// bundle.
func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a core\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{text, dir, filepath.Join(dir, "missing")} {
		if tg, err := target.Open(path, elfcore.Options{}); err == nil {
			tg.Close()
			t.Errorf("%s opened", path)
		}
	}
}
