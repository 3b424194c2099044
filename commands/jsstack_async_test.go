package commands

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// asyncLines are the "at async …" lines of the first stack trace node
// printed (new Error().stack at the deepest point of async_chain.js), in
// order: "step (/…/async_chain.js:16:10)", "Promise.all (index 0)".
func asyncLines(stderr string) []string {
	var out []string
	re := regexp.MustCompile(`^\s+at async (.*)$`)
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "Uncaught") {
			break
		}
		if m := re.FindStringSubmatch(l); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

// TestJSStackAsyncMatchesNode: ::jsstack lists, after the synchronous
// frames, the async frames V8 itself printed for the same point, in order,
// with the same names, files, lines and columns: from an async function
// resumed by an await (six frames through a Promise.all, an async generator
// under for await and a class's async method) and from a then handler
// whose promise an async function awaits (two frames).
func TestJSStackAsyncMatchesNode(t *testing.T) {
	for _, v := range testnode.Versions {
		for _, variant := range []struct {
			name   string
			args   []string
			frames int
		}{{"await", nil, 6}, {"then", []string{"then"}, 2}} {
			t.Run(v+"/"+variant.name, func(t *testing.T) {
				t.Parallel()
				testAsyncFrames(t, v, variant.args, variant.frames)
			})
		}
	}
}

func testAsyncFrames(t *testing.T, v string, args []string, frames int) {
	c := testnode.MakeCore(t, v, "async_chain.js", []string{"--abort-on-uncaught-exception"}, args)
	want := asyncLines(c.Stderr)
	if len(want) != frames {
		t.Fatalf("node printed %d async frames, want %d:\n%s", len(want), frames, c.Stderr)
	}
	s := openSession(t, c)
	var got []string
	var last int
	for _, line := range strings.Split(strings.TrimSpace(runDcmd(t, s, true, "jsstack", 0)), "\n") {
		var f asyncFrameJSON
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if f.Kind != "async" {
			if len(got) > 0 {
				t.Errorf("frame %d (%s) after the async frames", f.Frame, f.Kind)
			}
			last = f.Frame
			continue
		}
		if f.Frame <= last {
			t.Errorf("async frame numbered %d after frame %d", f.Frame, last)
		}
		last = f.Frame
		if f.Index != nil {
			got = append(got, fmt.Sprintf("%s (index %d)", f.Function, *f.Index))
		} else {
			got = append(got, fmt.Sprintf("%s (%s:%d:%d)", f.Function, f.Script, f.Line, f.Column))
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("async frames:\n%s\nnode printed:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(args) > 0 {
		return
	}
	text := runDcmd(t, s, false, "jsstack", 0, "-n", "-v")
	for _, w := range []string{"js:      async Worker.run (", "this: [Worker]", "arg1: 7", "return await deepest(n);"} {
		if !strings.Contains(text, w) {
			t.Errorf("::jsstack -v lacks %q:\n%s", w, text)
		}
	}
}
