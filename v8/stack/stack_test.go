package stack_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// crashTrace is the JS stack Node printed for crash.js (the fixture lists
// it at its top), innermost first.
var crashTrace = []string{"validate", "<anonymous>", "Array.forEach", "OrderProcessor.check",
	"OrderProcessor.process", "new Pipeline", "run", "main", "Timeout._onTimeout", "listOnTimeout",
	"process.processTimers"}

func jsFrames(t *testing.T, name string) (*stack.Walker, []stack.Frame) {
	t.Helper()
	w := stack.NewWalker(testcores.Open(t, name))
	if err := w.FramesErr(); err != nil {
		t.Fatal(err)
	}
	st := w.WalkThread(context.Background(), w.Proc.SignalThread(), stack.WalkOptions{})
	var js []stack.Frame
	for _, f := range st.Frames {
		if f.Kind == stack.KindJS {
			js = append(js, f)
		}
	}
	return w, js
}

func TestCrashStackMatchesNode(t *testing.T) {
	throwLine, throwCol := testcores.FixtureLine(t, "crash.js", "throw new Error('boom")
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			w, js := jsFrames(t, name)
			var got []string
			for i := range js {
				got = append(got, w.FrameInfo(&js[i]).Name)
			}
			if strings.Join(got, "\n") != strings.Join(crashTrace, "\n") {
				t.Fatalf("JS frames:\n%s\nwant (Node's trace):\n%s", strings.Join(got, "\n"), strings.Join(crashTrace, "\n"))
			}
			top := w.FrameInfo(&js[0])
			if !strings.HasSuffix(top.Script, "/crash.js") || top.Line != throwLine || top.Column != throwCol {
				t.Errorf("validate at %s:%d:%d, want crash.js:%d:%d", top.Script, top.Line, top.Column, throwLine, throwCol)
			}
			if js[0].Tier != stack.TierInterpreted {
				t.Errorf("validate runs %s, want interpreted (a cold crash.js)", js[0].Tier)
			}
		})
	}
}

func TestCrashFrameArguments(t *testing.T) {
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			w, js := jsFrames(t, name)
			f := js[0] // validate(42, "alpha")
			if len(f.Args) != 2 || !w.IsSmi(f.Args[0]) || w.SmiValue(f.Args[0]) != 42 {
				t.Fatalf("validate args %v, want 42 first", f.Args)
			}
			if s, err := w.StringValue(f.Args[1]); err != nil || s != "alpha" {
				t.Errorf("validate second arg %q %v, want alpha", s, err)
			}
			fi, err := w.Function(f.Function)
			if err != nil || fi.Name != "validate" {
				t.Errorf("validate frame function %+v %v", fi, err)
			}
		})
	}
}
