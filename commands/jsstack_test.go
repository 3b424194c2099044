package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// nodeFrame is one frame of the JS stack trace node printed before it
// aborted.
type nodeFrame struct {
	name, script string
	line, col    int
}

var (
	locRE = regexp.MustCompile(`^(.*):(\d+):(\d+)$`)
	// A frame is "NAME (LOCATION)" or a bare location; node 18 prints them
	// without newlines between frames.
	frameRE = regexp.MustCompile(`((?:/|node:)[^()\s]*?:\d+:\d+)|([^()\n]+?) \(([^()]*)\)`)
)

// parseNodeTrace reads the frames after "FROM" in node's stderr.
func parseNodeTrace(t *testing.T, stderr string) []nodeFrame {
	t.Helper()
	_, rest, ok := strings.Cut(stderr, "\nFROM\n")
	if !ok {
		t.Fatalf("no FROM in node's stderr:\n%s", stderr)
	}
	var out []nodeFrame
	for _, m := range frameRE.FindAllStringSubmatch(rest, -1) {
		f := nodeFrame{name: "<anonymous>"}
		loc := m[1]
		if m[1] == "" {
			f.name, loc = strings.TrimSpace(m[2]), m[3]
		}
		if lm := locRE.FindStringSubmatch(loc); lm != nil {
			f.script = lm[1]
			f.line, _ = strconv.Atoi(lm[2])
			f.col, _ = strconv.Atoi(lm[3])
		}
		out = append(out, f)
	}
	return out
}

func openSession(t testing.TB, c *testnode.Core) *Session {
	t.Helper()
	tg := testcores.Target(t, c.Path, c.Exe)
	return NewSession(tg.Proc, tg.Meta)
}

// runDcmd runs one dcmd and returns what it printed.
func runDcmd(t testing.TB, s *Session, jsonOut bool, name string, addr uint64, args ...string) string {
	t.Helper()
	c := Lookup(name)
	inv, err := NewInvocation(context.Background(), s, c, args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inv.Out, inv.JSON = &out, jsonOut
	if addr != 0 {
		inv.Addr, inv.HasAddr = addr, true
	}
	if err := inv.Run(); err != nil {
		t.Fatalf("::%s %v: %v", name, args, err)
	}
	return out.String()
}

type jsonFrame struct {
	Thread   int    `json:"thread"`
	Frame    int    `json:"frame"`
	Kind     string `json:"kind"`
	Function string `json:"function"`
	Script   string `json:"script"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Tier     string `json:"tier"`
	Note     string `json:"position_note"`
	Args     []any  `json:"args"`
	This     any    `json:"this"`
	FP       string `json:"fp"`
	PC       string `json:"pc"`
	Symbol   string `json:"symbol"`
	End      string `json:"stack_end"`
	Inlined  bool   `json:"inlined"`
}

func jsFrames(t testing.TB, out string) (js []jsonFrame, all []jsonFrame) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var f jsonFrame
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("bad JSON line %q: %v", l, err)
		}
		all = append(all, f)
		if f.Kind == "js" {
			js = append(js, f)
		}
	}
	return js, all
}

// wantArgs: the arguments crash.js passes (order 42, label "alpha"), by
// function, as the positions they take.
var wantArgs = map[string][]any{
	"validate": {42.0, "alpha"}, "OrderProcessor.check": {42.0, "alpha"},
	"OrderProcessor.process": {42.0, "alpha"}, "run": {42.0, "alpha"}, "main": {42.0, "alpha"},
	"new Pipeline": {nil, 42.0, "alpha"}, "<anonymous>": {42.0},
}

func TestJSStackMatchesNode(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, warm := range []bool{false} {
			name := v
			var args []string
			if warm {
				name += "/warm"
				args = []string{"--warm"}
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, args)
				want := parseNodeTrace(t, c.Stderr)
				if len(want) < 6 {
					t.Fatalf("node printed only %d frames", len(want))
				}
				s := openSession(t, c)
				got, all := jsFrames(t, runDcmd(t, s, true, "jsstack", 0))
				if len(got) != len(want) {
					t.Errorf("%d JS frames, node printed %d", len(got), len(want))
				}
				for i := 0; i < min(len(got), len(want)); i++ {
					g, w := got[i], want[i]
					if g.Function != w.name {
						t.Errorf("frame %d: function %q, node says %q", i, g.Function, w.name)
					}
					if w.script == "" {
						continue
					}
					if g.Script != w.script {
						t.Errorf("frame %d (%s): script %q, node says %q", i, w.name, g.Script, w.script)
					}
					if !warm || g.Tier == "interpreted" {
						if g.Line != w.line || g.Column != w.col {
							t.Errorf("frame %d (%s, %s): at %d:%d, node says %d:%d (%s)", i, w.name, g.Tier, g.Line, g.Column, w.line, w.col, g.Note)
						}
					} else if g.Line != 0 && g.Line != w.line {
						t.Errorf("frame %d (%s, %s): line %d, node says %d", i, w.name, g.Tier, g.Line, w.line)
					} else if g.Line == 0 && g.Note == "" {
						t.Errorf("frame %d (%s, %s): no position and no reason", i, w.name, g.Tier)
					}
					if wa, ok := wantArgs[w.name]; ok && w.script == c.Script {
						checkArgs(t, i, w.name, g.Args, wa)
					}
				}
				if !warm {
					for _, f := range got {
						if f.Tier != "interpreted" && f.Tier != "builtin" {
							t.Errorf("frame %d (%s): tier %s in a cold run", f.Frame, f.Function, f.Tier)
						}
					}
				}
				if all[len(all)-1].End != "" {
					t.Errorf("walk stopped early: %s", all[len(all)-1].End)
				}
			})
		}
	}
}

func checkArgs(t *testing.T, i int, name string, got []any, want []any) {
	t.Helper()
	if len(got) < len(want) {
		t.Errorf("frame %d (%s): %d args %v, want at least %v", i, name, len(got), got, want)
		return
	}
	for k, w := range want {
		if w == nil {
			continue
		}
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("frame %d (%s): arg %d = %v, want %v", i, name, k+1, got[k], w)
		}
	}
}

func TestCrashSummaryInStatus(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
			var st struct {
				Top struct {
					Function string `json:"function"`
					Line     int    `json:"line"`
				} `json:"top_js_frame"`
				Message string `json:"exception_message"`
			}
			out := runDcmd(t, openSession(t, c), true, "status", 0)
			if err := json.Unmarshal([]byte(out), &st); err != nil {
				t.Fatal(err)
			}
			if st.Top.Function != "validate" || st.Top.Line != 25 || st.Message != "boom: order 42" {
				t.Errorf("crash summary: top %+v, message %q; want validate line 25, \"boom: order 42\"", st.Top, st.Message)
			}
		})
	}
}

// TestJSStackWarmMatchesNode: with optimized code (crash.js --warm, where
// Turbofan compiles main with everything it calls inlined) ndb's JS frames
// are Node's trace, frame for frame: names, scripts, lines and columns,
// inlined frames included. Inlined methods are named after their receiver
// and the builtin Turbofan inlined (Array.forEach) has its frame, both
// from the deoptimization translation at the call site. The one case left
// unnamed is the unknowable one: an inlined frame whose receiver the
// translation keeps in a register (see sameName).
func TestJSStackWarmMatchesNode(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, []string{"--warm"})
			want := parseNodeTrace(t, c.Stderr)
			s := openSession(t, c)
			got, all := jsFrames(t, runDcmd(t, s, true, "jsstack", 0))
			checkWarmStack(t, got, want, c.Script, receiverNotes(t, s))
			if all[len(all)-1].End != "" {
				t.Errorf("walk stopped early: %s", all[len(all)-1].End)
			}
		})
	}
}

// receiverNotes: why the receiver of an inlined frame is not known, by
// frame index, from the walk ::jsstack prints.
func receiverNotes(t *testing.T, s *Session) map[int]string {
	t.Helper()
	h, err := newTestWalker(s)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[int]string{}
	st := h.WalkThread(context.Background(), s.Proc.SignalThread(), stack.WalkOptions{})
	for i, f := range st.Frames {
		if f.Inlined > 0 && f.ReceiverNote != "" {
			notes[i] = f.ReceiverNote
		}
		if f.TranslationNote != "" {
			t.Errorf("frame %d: %s", i, f.TranslationNote)
		}
	}
	return notes
}

// checkWarmStack compares ndb's JS frames with node's trace (see
// TestJSStackWarmMatchesNode) and requires optimized and inlined frames.
func checkWarmStack(t *testing.T, got []jsonFrame, want []nodeFrame, script string, notes map[int]string) {
	t.Helper()
	optimized, inlined := 0, 0
	if len(got) != len(want) {
		t.Errorf("%d JS frames, node printed %d", len(got), len(want))
	}
	for i := 0; i < min(len(got), len(want)); i++ {
		g, w := got[i], want[i]
		if !sameName(g, w, notes[g.Frame]) {
			t.Errorf("frame %d: %q (%s), node says %q", g.Frame, g.Function, g.Tier, w.name)
		}
		if g.Script != w.script || (w.script != "" && (g.Line != w.line || g.Column != w.col)) {
			t.Errorf("frame %d %s (%s): at %s:%d:%d, node says %s:%d:%d (%s)", g.Frame, w.name, g.Tier, g.Script, g.Line, g.Column, w.script, w.line, w.col, g.Note)
		}
		if g.Tier == "turbofan" || g.Tier == "maglev" {
			optimized++
		}
		if g.Inlined {
			inlined++
			if g.Args != nil {
				t.Errorf("frame %d %s: inlined, yet args %v", g.Frame, g.Function, g.Args)
			}
		} else if wa, ok := wantArgs[w.name]; ok && w.script == script {
			checkArgs(t, g.Frame, w.name, g.Args, wa)
		}
	}
	if optimized == 0 || inlined == 0 {
		t.Errorf("%d optimized and %d inlined frames in a warmed-up run; want some of each", optimized, inlined)
	}
}

// sameName: ndb names a frame as node does. The one exception is an
// inlined method whose receiver the deoptimization translation keeps in a
// register: registers of frames below the signal frame are not in the
// core, so ndb names it by its function alone ("check" for node's
// "OrderProcessor.check") and -v says why.
func sameName(g jsonFrame, w nodeFrame, receiverNote string) bool {
	if g.Function == w.name {
		return true
	}
	return g.Inlined && strings.Contains(receiverNote, "register") && g.Function != "<anonymous>" &&
		!strings.HasPrefix(w.name, "new ") && strings.HasSuffix(w.name, "."+g.Function)
}

// TestJSStackTiersMatchNode: stack_tiers.js dies through a baseline, a
// Maglev (Turbofan before Node 24) and a Turbofan frame, none inlined; ndb
// must name and place each as Node's trace does, tell the tiers apart and
// read the arguments of the optimized frames.
func TestJSStackTiersMatchNode(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			maglev := v >= "24" // Node 22 ships with Maglev disabled
			c := testnode.MakeCore(t, v, "stack_tiers.js", []string{"--allow-natives-syntax", "--abort-on-uncaught-exception"}, nil)
			want := parseNodeTrace(t, c.Stderr)
			got, all := jsFrames(t, runDcmd(t, openSession(t, c), true, "jsstack", 0))
			if len(got) != len(want) {
				t.Fatalf("%d JS frames, node printed %d: %v", len(got), len(want), want)
			}
			tiers := map[string]string{"thrower": "baseline", "viaMaglev": "turbofan", "outer": "turbofan"}
			if maglev {
				tiers["viaMaglev"] = "maglev"
			}
			for i, g := range got {
				w := want[i]
				if g.Function != w.name || g.Script != w.script || g.Line != w.line || g.Column != w.col {
					t.Errorf("frame %d: %s at %s:%d:%d (%s, %s), node says %s at %s:%d:%d", i, g.Function, g.Script, g.Line, g.Column, g.Tier, g.Note, w.name, w.script, w.line, w.col)
				}
				if tier, ok := tiers[w.name]; ok && g.Tier != tier {
					t.Errorf("frame %d %s: tier %s, want %s", i, w.name, g.Tier, tier)
				}
				if g.Inlined {
					t.Errorf("frame %d %s: inlined; the fixture prevents it", i, w.name)
				}
				if w.name == "thrower" || w.name == "viaMaglev" {
					checkArgs(t, i, w.name, g.Args, []any{42.0, "tag"})
				}
			}
			if all[len(all)-1].End != "" {
				t.Errorf("walk stopped early: %s", all[len(all)-1].End)
			}
		})
	}
}

func newTestWalker(s *Session) (*stack.Walker, error) {
	h, err := object.NewHeap(s.Proc, s.Meta)
	if err != nil {
		return nil, err
	}
	return stack.NewWalker(h), nil
}
