package value_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
	"github.com/ndb-debugger/ndb/v8/value"
)

// processFrame returns the frame of OrderProcessor.process(42, "alpha"),
// whose receiver is crash.js's new OrderProcessor('main').
func processFrame(t *testing.T, name string) (*object.Heap, stack.Frame) {
	t.Helper()
	h := testcores.Open(t, name)
	w := stack.NewWalker(h)
	st := w.WalkThread(context.Background(), h.Proc.SignalThread(), stack.WalkOptions{})
	for i := range st.Frames {
		if f := st.Frames[i]; f.Kind == stack.KindJS && w.FrameInfo(&f).Name == "OrderProcessor.process" {
			return h, f
		}
	}
	t.Fatal("no OrderProcessor.process frame")
	return nil, stack.Frame{}
}

func TestFormatObject(t *testing.T) {
	line, col := testcores.FixtureLine(t, "crash.js", "return function check(")
	col += len("return ")
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h, f := processFrame(t, name)
			got := value.Format(h, f.Receiver, value.DefaultOptions())
			if !strings.HasPrefix(got, "OrderProcessor {\n    name: \"main\",\n    check: [Function: check] ") ||
				!strings.Contains(got, "crash.js:"+strconv.Itoa(line)+":"+strconv.Itoa(col)) {
				t.Errorf("::jsprint text:\n%s", got)
			}
			if s := value.Summary(h, f.Receiver); s != "[OrderProcessor]" {
				t.Errorf("summary %q", s)
			}
		})
	}
}

func TestFormatJSONArguments(t *testing.T) {
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h, f := processFrame(t, name)
			if len(f.Args) != 2 {
				t.Fatalf("args %v", f.Args)
			}
			if got := string(value.FormatJSON(h, f.Args[0], value.DefaultOptions())); got != "42" {
				t.Errorf("order as JSON: %s", got)
			}
			if got := string(value.FormatJSON(h, f.Args[1], value.DefaultOptions())); got != `"alpha"` {
				t.Errorf("label as JSON: %s", got)
			}
			got := string(value.FormatJSON(h, f.Receiver, value.DefaultOptions()))
			if !strings.Contains(got, `"$constructor":"OrderProcessor"`) || !strings.Contains(got, `"name":"main"`) {
				t.Errorf("receiver as JSON: %s", got)
			}
		})
	}
}
