package object_test

import (
	"context"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// crashValues returns the heap of a crash.js bundle with the frames of
// validate, the forEach callback and OrderProcessor.process, whose values
// crash.js fixes: validate(42, "alpha"), the callback's array [42], and
// the receiver new OrderProcessor('main').
func crashValues(t *testing.T, name string) (h *object.Heap, validate, callback, process stack.Frame) {
	t.Helper()
	h = testcores.Open(t, name)
	w := stack.NewWalker(h)
	st := w.WalkThread(context.Background(), h.Proc.SignalThread(), stack.WalkOptions{})
	var js []stack.Frame
	for _, f := range st.Frames {
		if f.Kind == stack.KindJS {
			js = append(js, f)
		}
	}
	if len(js) < 5 {
		t.Fatalf("%d JS frames", len(js))
	}
	return h, js[0], js[1], js[4]
}

func TestFunctionAndScript(t *testing.T) {
	line, col := testcores.FixtureLine(t, "crash.js", "function validate(")
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h, validate, _, _ := crashValues(t, name)
			fi, err := h.Function(validate.Function)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Name != "validate" || fi.Line != line || fi.Column != col {
				t.Errorf("function %q at line %d column %d, want validate at %d:%d", fi.Name, fi.Line, fi.Column, line, col)
			}
			src, err := h.ScriptLines(validate.Function, line, line)
			if err != nil || len(src) != 1 || src[0] != "function validate(order, label) {" {
				t.Errorf("source line %q %v", src, err)
			}
		})
	}
}

func TestObjectProperties(t *testing.T) {
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h, _, _, process := crashValues(t, name)
			if c, err := h.ConstructorName(process.Receiver); err != nil || c != "OrderProcessor" {
				t.Fatalf("receiver constructor %q %v", c, err)
			}
			props, err := h.Properties(process.Receiver)
			if err != nil || len(props) != 2 || props[0].Name != "name" || props[1].Name != "check" {
				t.Fatalf("properties %+v %v, want name and check", props, err)
			}
			if s, err := h.StringValue(props[0].Value); err != nil || s != "main" {
				t.Errorf("name = %q %v, want main", s, err)
			}
			if n, err := h.FunctionName(props[1].Value); err != nil || n != "check" {
				t.Errorf("check is %q %v", n, err)
			}
		})
	}
}

func TestArrayElements(t *testing.T) {
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h, _, callback, _ := crashValues(t, name)
			if len(callback.Args) != 3 {
				t.Fatalf("callback args %v", callback.Args)
			}
			arr := callback.Args[2] // [order].forEach: the array [42]
			n, err := h.ArrayLength(arr)
			if err != nil || n != 1 {
				t.Fatalf("length %d %v", n, err)
			}
			els, err := h.Elements(arr, int(n), 10)
			if err != nil || len(els.Elements) != 1 || !h.IsSmi(els.Elements[0].Value) || h.SmiValue(els.Elements[0].Value) != 42 {
				t.Errorf("elements %+v %v, want [42]", els, err)
			}
		})
	}
}
