package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
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
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			h := NewWalker(testcores.Open(t, name))
			st := h.WalkThread(context.Background(), h.Proc.SignalThread(), WalkOptions{})
			seen, method := 0, -1
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != KindJS {
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
			h, st := warmCrashStack(t, v)
			found := 0
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != KindJS || f.Tier != TierTurbofan || f.Inlined > 0 {
					continue
				}
				ci, err := h.codeAt(f.PC)
				if err != nil {
					t.Fatal(err)
				}
				dp, err := h.deoptPointAt(ci.Code, int(f.PC-ci.Start))
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
// line, every translation of the optimized frame's code decodes (with the
// instructions it shares with an earlier one, V8 11+) into as many frames
// and JavaScript frames as its BEGIN says, and the deopt point at the
// frame's return address describes the frames Node's trace shows, the same
// on every version: main, run, new Pipeline, process, check (interpreted
// frames), the Array.forEach builtin continuation, the callback and
// validate.
func TestTranslationsParse(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			h, st := warmCrashStack(t, v)
			found := 0
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != KindJS || f.Tier != TierTurbofan || f.Inlined > 0 {
					continue
				}
				found++
				ci, err := h.codeAt(f.PC)
				if err != nil {
					t.Fatal(err)
				}
				dp, err := h.deoptPointAt(ci.Code, int(f.PC-ci.Start))
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				begins, err := h.translationBegins(dp.Translation)
				if err != nil || len(begins) == 0 {
					t.Fatalf("frame %d: translation array: %d translations, %v", i, len(begins), err)
				}
				at, shared := false, 0
				for _, b := range begins {
					at = at || b == dp.TranslationIndex
					q := dp
					q.TranslationIndex = b
					ops, err := h.translation(q)
					if err != nil {
						t.Errorf("translation at %d: %v", b, err)
						continue
					}
					for _, o := range ops {
						if o.Matched {
							shared++
							break
						}
					}
					if _, err := h.deoptFrames(q); err != nil {
						t.Errorf("translation at %d: %v", b, err)
					}
				}
				if !at {
					t.Fatalf("frame %d: deopt point at %d is not a BEGIN of %v", i, dp.TranslationIndex, begins)
				}
				t.Logf("%d translations, %d sharing instructions with an earlier one", len(begins), shared)
				tfs, err := h.deoptFrames(dp)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				var js strings.Builder
				for _, tf := range tfs {
					switch {
					case tf.IsInterpreted():
						js.WriteByte('I')
					case tf.IsBuiltin():
						js.WriteByte('B')
					}
				}
				if js.String() != "IIIIIBII" {
					t.Errorf("frame %d: JavaScript frames %s, want IIIIIBII (interpreted, B the builtin continuation): %v", i, js.String(), tfs)
				}
			}
			if found == 0 {
				t.Fatal("no Turbofan frame")
			}
		})
	}
}

// TestTranslationReceivers pins how values of a translation are read
// from a core. The optimized frame's own interpreted frame (main) must
// give, through its stack slots, what the frame's slots hold: the
// function (slot 3 = fp-16), the receiver and the arguments 42 and
// "alpha" (slots -1, -2, -3 = fp+16, +24, +32): V8's slot rule, fp + 16 -
// (slot+1)*8. Then every inlined frame's receiver is known and is what
// crash.js passes: the OrderProcessor instance for process and check, the
// new Pipeline for its constructor, an Array for forEach, undefined for
// the plain calls.
func TestTranslationReceivers(t *testing.T) {
	wantThis := map[string]string{
		"validate": "undefined", "<anonymous>": "undefined", "Array.forEach": "Array",
		"OrderProcessor.check": "OrderProcessor", "OrderProcessor.process": "OrderProcessor",
		"new Pipeline": "Pipeline", "run": "undefined",
	}
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			h, st := warmCrashStack(t, v)
			seen, slots := 0, 0
			for i := range st.Frames {
				f := &st.Frames[i]
				if f.Kind != KindJS || (f.Tier != TierTurbofan && f.Tier != TierBuiltin) {
					continue
				}
				name := h.FrameInfo(f).Name
				if f.Inlined == 0 {
					checkOwnFrame(t, h, f)
					continue
				}
				w, ok := wantThis[name]
				if !ok {
					t.Errorf("frame %d: %s (%s)", i, name, f.ReceiverNote)
					continue
				}
				seen++
				if f.ReceiverFrom == "" {
					t.Errorf("frame %d %s: receiver not known: %s", i, name, f.ReceiverNote)
					continue
				}
				if strings.HasPrefix(f.ReceiverFrom, "stack slot") {
					slots++
				}
				got := "undefined"
				switch {
				case f.ReceiverMap != 0:
					got = "Array" // a captured object: checked by its name
					if name != "Array.forEach" {
						got = "captured"
					}
				case h.IsHeapObject(f.Receiver):
					if n, err := h.ConstructorName(f.Receiver); err == nil && n != "" {
						got = n
					} else if value.Summary(h.Heap, f.Receiver) != "undefined" {
						got = value.Summary(h.Heap, f.Receiver)
					}
				default:
					got = value.Summary(h.Heap, f.Receiver)
				}
				if got != w {
					t.Errorf("frame %d %s: receiver %s (%s), want %s", i, name, got, f.ReceiverFrom, w)
				}
			}
			if seen != len(wantThis) {
				t.Errorf("saw %d of the %d inlined frames", seen, len(wantThis))
			}
			if slots == 0 {
				t.Errorf("no receiver read from a stack slot")
			}
		})
	}
}

// checkOwnFrame: the outermost interpreted frame of the deopt point's
// translation is the optimized frame itself, whose function, receiver and
// arguments are in its slots.
func checkOwnFrame(t *testing.T, h *Walker, f *Frame) {
	t.Helper()
	ci, err := h.codeAt(f.PC)
	if err != nil {
		t.Fatal(err)
	}
	dp, err := h.deoptPointAt(ci.Code, int(f.PC-ci.Start))
	if err != nil {
		t.Fatal(err)
	}
	tfs, err := h.deoptFrames(dp)
	if err != nil || len(tfs) == 0 || !tfs[0].IsInterpreted() {
		t.Fatalf("translation: %v %v", tfs, err)
	}
	want := append([]object.Value{f.Function, f.Receiver}, f.Args...)
	slots := 0
	for k := 0; k < 4 && k < len(want); k++ {
		tv := h.trFrameValue(ci.Code, f.FP, tfs[0], k)
		if !tv.Known() {
			t.Errorf("main's value %d: %s", k, tv.Note)
			continue
		}
		if strings.HasPrefix(tv.From, "stack slot") {
			slots++
		}
		if tv.Value != want[k] {
			t.Errorf("main's value %d from %s: %#x, the frame holds %#x", k, tv.From, uint64(tv.Value), uint64(want[k]))
		}
	}
	if slots < 3 {
		t.Errorf("main: only %d of its function, receiver and arguments from stack slots", slots)
	}
}

// warmCrashStack walks the signal thread of a warmed-up crash.js core
// (Turbofan frames with inlined functions) of Node version v.
func warmCrashStack(t *testing.T, v string) (*Walker, *Stack) {
	t.Helper()
	c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, []string{"--warm"})
	heap := testcores.Heap(t, c.Path, c.Exe)
	h := NewWalker(heap)
	return h, h.WalkThread(context.Background(), heap.Proc.SignalThread(), WalkOptions{})
}
