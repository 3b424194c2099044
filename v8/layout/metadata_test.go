package layout_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/layout"
)

func loadAbort(t *testing.T, version string) (*elfcore.Process, *layout.Metadata) {
	t.Helper()
	c := testnode.MakeCore(t, version, "abort.js", nil, nil)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	m, err := layout.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, m
}

// TestConstantsMatchReference compares every v8dbg_/nodedbg_ constant with
// the lists read independently from the same binaries (gdb on the binary,
// and a live process for the runtime-initialised nodedbg_ values).
func TestConstantsMatchReference(t *testing.T) {
	for _, v := range []string{"18.20.8", "20.20.2", "26.10.0"} {
		t.Run(v, func(t *testing.T) {
			_, m := loadAbort(t, v)
			want := readReference(t, filepath.Join("..", "..", "testdata", "v8dbg-symbols", "node-"+v+".txt"))
			got := map[string]string{}
			for _, c := range m.All() {
				if c.Source != layout.SourceFallback && !strings.HasPrefix(c.Name, "fallback:") {
					got[c.Name] = fmt.Sprint(c.Value)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d constants, reference has %d", len(got), len(want))
			}
			var bad []string
			for n, w := range want {
				if got[n] != w {
					bad = append(bad, fmt.Sprintf("%s = %q, reference %s", n, got[n], w))
				}
			}
			sort.Strings(bad)
			for _, b := range bad {
				t.Error(b)
			}
		})
	}
}

func readReference(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		out[f[0]] = f[1]
	}
	return out
}

// TestLookupsAcrossVersions checks the name-based lookups that hide the
// renames between V8 versions (type suffixes, field renames, frame and
// instance type numbers).
func TestLookupsAcrossVersions(t *testing.T) {
	want := map[string][5]int64{
		// from the binaries' own symbols: see testdata/v8dbg-symbols
		"frame:InterpretedFrame":          {12, 13, 13, 14, 4},
		"type:JS_OBJECT_TYPE":             {1057, 1057, 1057, 1057, 1057},
		"Map.constructor_or_back_pointer": {32, 32, 32, 32, 32},
		"JSFunction.shared":               {24, 24, 32, 32, 32},
		"Oddball.kind":                    {40, 40, 40, 40, 40},
		"JSArray.length":                  {24, 24, 24, 24, 24}, // fallback table
	}
	for i, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			_, m := loadAbort(t, v)
			for key, vals := range want {
				var got int64
				var ok bool
				switch {
				case strings.HasPrefix(key, "frame:"):
					var n int
					n, ok = m.FrameType(key[6:])
					got = int64(n)
				case strings.HasPrefix(key, "type:"):
					var n int
					n, ok = m.Type(key[5:])
					got = int64(n)
				default:
					cls, f, _ := strings.Cut(key, ".")
					got, ok = m.Field(cls, f)
				}
				if !ok || got != vals[i] {
					t.Errorf("%s = %d (found %v), want %d", key, got, ok, vals[i])
				}
			}
			if miss := m.Missing("NoSuchClass.field", "const:SmiShiftSize"); len(miss) != 1 || miss[0] != "NoSuchClass.field" {
				t.Errorf("Missing = %v", miss)
			}
		})
	}
}

// TestNotNode checks a core of a process that is not Node is refused by
// name.
func TestNotNode(t *testing.T) {
	_, err := layout.FromConstants(nil, "", "/bin/sleep")
	if err == nil || !strings.Contains(err.Error(), "not a Node.js process") {
		t.Fatalf("err = %v", err)
	}
}
