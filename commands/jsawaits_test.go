package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// sourcePos is the 1-based line and column of the first occurrence of
// needle in the fixture's text, plus offset characters.
func sourcePos(t *testing.T, src, needle string, offset int) (int, int) {
	t.Helper()
	i := strings.Index(src, needle)
	if i < 0 {
		t.Fatalf("fixture lacks %q", needle)
	}
	i += offset
	line := strings.Count(src[:i], "\n") + 1
	return line, i - strings.LastIndex(src[:i], "\n")
}

// TestJSAwaitsServer: async_server.js holds exactly 300 requests suspended
// in query() under handleRequest() and 120 uploads in readBody() under
// handleUpload(), and one then handler; ::jsawaits reports exactly those
// counts, at the awaits of the fixture's source.
func TestJSAwaitsServer(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "async_server.js", nil, nil)
			b, err := os.ReadFile(c.Script)
			if err != nil {
				t.Fatal(err)
			}
			src := string(b)
			site := func(fn, needle string, offset int) string {
				l, col := sourcePos(t, src, needle, offset)
				return fmt.Sprintf("%s (%s:%d:%d)", fn, c.Script, l, col)
			}
			want := []string{
				fmt.Sprintf("300 await %s awaiting %s awaiting <Promise pending>",
					site("handleRequest", "return await query(id)", len("return ")), site("query", "await wait();", 0)),
				fmt.Sprintf("120 await %s awaiting %s awaiting <Promise pending>",
					site("handleUpload", "await readBody(id)", 0), site("readBody", "await wait();\n}\n\nasync function handleUpload", 0)),
				fmt.Sprintf("1 then then %s pending on <Promise pending>", site("onReady", "function onReady", 0)),
			}
			s := openSession(t, c)
			var got []string
			objects := 0
			for _, line := range strings.Split(strings.TrimSpace(runDcmd(t, s, true, "jsawaits", 0)), "\n") {
				var g awaitGroupJSON
				if err := json.Unmarshal([]byte(line), &g); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
				got = append(got, fmt.Sprintf("%d %s %s", g.Count, g.Kind, g.Text))
				objects += len(g.Objects)
				if len(g.Objects) != g.Count {
					t.Errorf("group %q: %d objects for count %d", g.Text, len(g.Objects), g.Count)
				}
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("::jsawaits:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			piped := strings.Fields(runPiped(t, s, "jsawaits"))
			if len(piped) != objects {
				t.Errorf("piped ::jsawaits printed %d addresses, want %d", len(piped), objects)
			}
			// ::jsprint of the promise each innermost function awaits names it
			// and its await; the handler row's promise names the handler.
			var g awaitGroupJSON
			first := strings.SplitN(runDcmd(t, s, true, "jsawaits", 0, "-v"), "\n", 2)[0]
			if err := json.Unmarshal([]byte(first), &g); err != nil || len(g.Chains) != 300 {
				t.Fatalf("::jsawaits -v: %v, %d chains", err, len(g.Chains))
			}
			var awaited struct {
				State     string `json:"$state"`
				Reactions []struct {
					Kind, Function, Script string
					Line, Column           int
					Object                 string
				} `json:"$reactions"`
			}
			addr := parseHex(t, g.Chains[0].Awaits)
			if err := json.Unmarshal([]byte(runDcmd(t, s, true, "jsprint", addr)), &awaited); err != nil {
				t.Fatal(err)
			}
			l, col := sourcePos(t, src, "await wait();", 0)
			if awaited.State != "pending" || len(awaited.Reactions) != 1 || awaited.Reactions[0].Kind != "await" ||
				awaited.Reactions[0].Function != "query" || awaited.Reactions[0].Line != l || awaited.Reactions[0].Column != col ||
				awaited.Reactions[0].Object != g.Chains[0].Frames[0].Generator {
				t.Errorf("::jsprint of the promise query awaits: %+v", awaited)
			}
			var gen struct {
				State string `json:"$asyncState"`
				At    string `json:"$suspendedAt"`
			}
			outer := parseHex(t, g.Objects[0])
			if err := json.Unmarshal([]byte(runDcmd(t, s, true, "jsprint", outer)), &gen); err != nil {
				t.Fatal(err)
			}
			if gen.State != "suspended" || gen.At != "async "+site("handleRequest", "return await query(id)", len("return ")) {
				t.Errorf("::jsprint of a group's object: %+v", gen)
			}
			text := runDcmd(t, s, false, "jsawaits", 0)
			if !strings.Contains(text, "       300 × handleRequest (") {
				t.Errorf("text form:\n%s", text)
			}
		})
	}
}

// runPiped runs one dcmd as the left side of a pipeline.
func runPiped(t *testing.T, s *Session, name string, args ...string) string {
	t.Helper()
	inv, err := NewInvocation(context.Background(), s, Lookup(name), args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inv.Out, inv.Piped = &out, true
	if err := inv.Run(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestWithCommas(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 3214: "3,214", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := withCommas(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
