package commands

import (
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
)

func init() {
	Register(&Command{
		Name:     "jssource",
		Synopsis: "ADDR::jssource [-n LINES]",
		Summary:  "the source text of the function at ADDR",
		Opts:     "n:",
		Addr:     AddrRequired,
		Help: `Prints the function's source from its Script, with line numbers:

  file: /app/values.js
    27 function add(a, b) {
    28   return a + b;
    29 }

-n LINES adds that many lines of context before and after (default 0).`,
		JSON:   "One object.",
		Record: functionSourceRecord{},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			ctxLines, err := inv.IntOpt('n', 0)
			if err != nil {
				return err
			}
			fi, err := h.Function(object.Value(inv.Addr))
			if err != nil {
				return err
			}
			if fi.Bound {
				return fmt.Errorf("a bound function has no source; see ::jsfunction")
			}
			if fi.Script == 0 || fi.Start < 0 {
				return fmt.Errorf("function %s has no source in the core (native or not found)", fi.DisplayName())
			}
			src, err := h.ScriptSourceString(fi.Script)
			if err != nil {
				return err
			}
			text, _, err := h.ReadString(src, 1<<26)
			if err != nil {
				return err
			}
			lines := strings.Split(text, "\n")
			first, _, _ := h.LineColumn(fi.Script, max(fi.Token, 0))
			if fi.Token < 0 {
				first, _, _ = h.LineColumn(fi.Script, fi.Start)
			}
			last, _, _ := h.LineColumn(fi.Script, max(fi.End-1, fi.Start))
			first = max(1, first-ctxLines)
			last = min(len(lines), last+ctxLines)
			var out []sourceLine
			for i := first; i <= last; i++ {
				out = append(out, sourceLine{i, strings.TrimRight(lines[i-1], "\r")})
			}
			if inv.JSON {
				return inv.Emit(functionSourceRecord{Addr: Hex(inv.Addr), Lines: out, Script: fi.ScriptName})
			}
			inv.Printf("file: %s\n", fi.ScriptName)
			for _, l := range out {
				inv.Printf("%6d %s\n", l.Line, l.Text)
			}
			return nil
		},
	})
}

type functionSourceRecord struct {
	Addr   string       `json:"addr" doc:"the function"`
	Lines  []sourceLine `json:"lines" doc:"its source lines, with the context asked for"`
	Script string       `json:"script" doc:"its script's name"`
}

type sourceLine struct {
	Line int    `json:"line" doc:"1-based line number"`
	Text string `json:"text" doc:"the line"`
}
