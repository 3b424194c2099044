package commands

import (
	"context"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8layout"
)

// TestFunctionKinds validates the FunctionKind fallbacks on every version:
// the kinds read from the SharedFunctionInfo flags of crash.js's (cold,
// interpreted) frames are the ones their source declares: a class
// constructor, arrows, a class method and plain functions.
func TestFunctionKinds(t *testing.T) {
	const normal, classConstructor, arrow = 0, 3, 11
	want := map[string]int{
		"validate": normal, "<anonymous>": normal, "OrderProcessor.check": normal, "main": normal,
		"new Pipeline": classConstructor, "run": arrow, "Timeout._onTimeout": arrow,
	}
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
			s := openSession(t, c)
			h, err := v8layout.NewHeap(s.Proc, s.Meta)
			if err != nil {
				t.Fatal(err)
			}
			st := h.WalkThread(context.Background(), s.Proc.SignalThread(), v8layout.WalkOptions{})
			seen, method := 0, -1
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != v8layout.KindJS {
					continue
				}
				sfi, err := h.FrameShared(f)
				if err != nil {
					t.Fatal(err)
				}
				name := h.FrameInfo(f).Name
				k, ok := h.FunctionKind(sfi)
				if !ok {
					t.Fatalf("%s: no function kind", name)
				}
				if name == "OrderProcessor.process" {
					method = k
				}
				if w, ok := want[name]; ok {
					seen++
					if k != w {
						t.Errorf("%s: function kind %d, want %d", name, k, w)
					}
					if h.IsClassConstructor(sfi) != (w == classConstructor) {
						t.Errorf("%s: class constructor %v", name, !(w == classConstructor))
					}
				}
			}
			if seen != len(want) {
				t.Errorf("saw %d of the %d functions", seen, len(want))
			}
			// A concise method is none of the kinds above and no constructor.
			if method <= arrow {
				t.Errorf("OrderProcessor.process: function kind %d, want a method kind above the arrows", method)
			}
		})
	}
}

// TestDeoptPointAtReturnAddress: the optimized frame of a warmed-up
// crash.js core has, on every version, a deopt point whose pc is its
// return address, at a bytecode offset and translation index in range.
func TestDeoptPointAtReturnAddress(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, []string{"--warm"})
			s := openSession(t, c)
			h, err := v8layout.NewHeap(s.Proc, s.Meta)
			if err != nil {
				t.Fatal(err)
			}
			st := h.WalkThread(context.Background(), s.Proc.SignalThread(), v8layout.WalkOptions{})
			found := 0
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != v8layout.KindJS || f.Tier != v8layout.TierTurbofan || f.Inlined > 0 {
					continue
				}
				ci, err := h.CodeAt(f.PC)
				if err != nil {
					t.Fatal(err)
				}
				dp, err := h.DeoptPointAt(ci.Code, int(f.PC-ci.Start))
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if dp.BytecodeOffset < 0 || dp.TranslationIndex < 0 || dp.TranslationIndex >= dp.TranslationLen {
					t.Errorf("frame %d: deopt point %+v", i, dp)
				}
				found++
			}
			if found == 0 {
				t.Fatal("no Turbofan frame")
			}
		})
	}
}

// TestTranslationsParse: with the translation opcode table of its V8
// line, the whole translation array of the optimized frame's code decodes
// instruction by instruction, the frame's deopt point starts at one of its
// BEGINs, and where its translation is whole (no instructions shared with
// an earlier one) it describes the frames Node's trace shows: interpreted
// frames and the Array.forEach builtin continuation around the callback.
func TestTranslationsParse(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, []string{"--warm"})
			s := openSession(t, c)
			h, err := v8layout.NewHeap(s.Proc, s.Meta)
			if err != nil {
				t.Fatal(err)
			}
			st := h.WalkThread(context.Background(), s.Proc.SignalThread(), v8layout.WalkOptions{})
			found := 0
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != v8layout.KindJS || f.Tier != v8layout.TierTurbofan || f.Inlined > 0 {
					continue
				}
				found++
				ci, err := h.CodeAt(f.PC)
				if err != nil {
					t.Fatal(err)
				}
				dp, err := h.DeoptPointAt(ci.Code, int(f.PC-ci.Start))
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				begins, err := h.TranslationBegins(dp.Translation)
				if err != nil || len(begins) == 0 {
					t.Fatalf("frame %d: translation array: %d translations, %v", i, len(begins), err)
				}
				at := false
				for _, b := range begins {
					at = at || b == dp.TranslationIndex
				}
				if !at {
					t.Fatalf("frame %d: deopt point at %d is not a BEGIN of %v", i, dp.TranslationIndex, begins)
				}
				ops, err := h.Translation(dp)
				if err != nil {
					if strings.Contains(err.Error(), "MATCH_PREVIOUS_TRANSLATION") {
						t.Logf("frame %d: %v", i, err)
						continue
					}
					t.Fatalf("frame %d: %v", i, err)
				}
				interp, builtin := 0, 0
				for _, o := range ops {
					switch {
					case strings.HasPrefix(o.Name, "INTERPRETED_FRAME"):
						interp++
					case strings.HasSuffix(o.Name, "BUILTIN_CONTINUATION_FRAME"):
						builtin++
					}
				}
				// main, run, new Pipeline, process, check, <anonymous>, validate.
				if interp != 7 || builtin != 1 {
					t.Errorf("frame %d: %d interpreted and %d JS builtin continuation frames, want 7 and 1: %v", i, interp, builtin, ops)
				}
			}
			if found == 0 {
				t.Fatal("no Turbofan frame")
			}
		})
	}
}
