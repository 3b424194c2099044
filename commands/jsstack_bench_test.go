package commands

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// BenchmarkJSStackVerbose measures ::jsstack -v on a stack of 50 JS frames
// (a fresh session each time: walk, names, positions, arguments, source).
func BenchmarkJSStackVerbose(b *testing.B) {
	v := testnode.Versions[len(testnode.Versions)-1]
	c := testnode.MakeCore(b, v, "stack_deep.js", []string{"--abort-on-uncaught-exception"}, nil)
	base := openSession(b, c)
	out := runDcmd(b, base, false, "jsstack", 0, "-v")
	if n := strings.Count(out, " js: "); n < 50 {
		b.Fatalf("only %d JS frames:\n%s", n, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := NewSession(base.Proc, base.Meta)
		runDcmd(b, s, false, "jsstack", 0, "-v")
	}
}

func TestJSStackDeep(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "stack_deep.js", []string{"--abort-on-uncaught-exception"}, nil)
			want := parseNodeTrace(t, c.Stderr)
			// -a: every frame, the recursion's unfolded (their arguments differ).
			got, _ := jsFrames(t, runDcmd(t, openSession(t, c), true, "jsstack", 0, "-a"))
			if len(got) < 50 {
				t.Fatalf("%d JS frames, want >= 50", len(got))
			}
			// node prints at most 10 frames (Error.stackTraceLimit)
			for i := 0; i < min(len(want), len(got)); i++ {
				if got[i].Function != want[i].name || got[i].Line != want[i].line || got[i].Column != want[i].col {
					t.Errorf("frame %d: %s %d:%d, node says %s %d:%d", i, got[i].Function, got[i].Line, got[i].Column, want[i].name, want[i].line, want[i].col)
				}
			}
			for i := 0; i < 47; i++ {
				if got[i].Function != "descend" || len(got[i].Args) != 2 || fmt.Sprint(got[i].Args[0]) != fmt.Sprint(i) {
					t.Errorf("frame %d: %s args %v, want descend(%d, 'deep')", i, got[i].Function, got[i].Args, i)
				}
			}
		})
	}
}
