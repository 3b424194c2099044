package unwind_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/unwind"
)

// TestBundle: a bundle carries the unwind tables, and unwinds every thread
// exactly as the core with its files does.
func TestBundle(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	c := testnode.MakeCore(t, "22.23.3", "async_throw.js", []string{"--abort-on-uncaught-exception"}, nil)
	p := open(t, c)
	out := filepath.Join(t.TempDir(), "core.ndb")
	if _, err := bundle.Pack(out, c.Path, bundle.PackOptions{Exe: c.Exe}); err != nil {
		t.Fatal(err)
	}
	b, err := bundle.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	fromCore, fromBundle := unwind.New(p), unwind.New(b)
	for i, th := range p.Threads {
		want, wantStop := fromCore.Thread(th)
		got, gotStop := fromBundle.Thread(b.Threads[i])
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotStop, wantStop) {
			t.Errorf("thread %d: bundle\n%s\ncore\n%s", th.TID, dump(b, got, gotStop), dump(p, want, wantStop))
		}
	}
}

// TestOldBundle: a bundle made before bundles carried unwind tables (the
// example of testdata/cores) still unwinds, by frame pointers, and says why.
func TestOldBundle(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	b, err := bundle.Open("../testdata/cores/crash-22.23.3.ndb")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	frames, stop := unwind.New(b).Thread(*b.SignalThread())
	note := strings.Join(stop.Notes, "\n")
	if !strings.Contains(note, "node: section .eh_frame: not in this bundle (made before ndb stored unwind tables): frame pointers only") {
		t.Errorf("notes do not say the bundle has no unwind tables: %q", stop.Notes)
	}
	var names []string
	for _, f := range frames {
		if f.Method == unwind.MethodCFI {
			t.Errorf("frame found by CFI in a bundle without unwind tables: %+v", f)
		}
		names = append(names, name(b, f))
	}
	t.Logf("\n%s", dump(b, frames, stop))
	// The frame pointer chain crosses V8's frames from the trap to the
	// C++ code that entered JavaScript.
	for _, want := range []string{"Builtins_JSEntry", "v8::internal::Execution::Call(v8::internal::Isolate*, v8::internal::Handle<v8::internal::Object>, v8::internal::Handle<v8::internal::Object>, int, v8::internal::Handle<v8::internal::Object>*)"} {
		if !contains(names, want) {
			t.Errorf("no frame in %s:\n%s", want, dump(b, frames, stop))
		}
	}
}
