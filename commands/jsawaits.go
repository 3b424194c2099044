package commands

import (
	"strconv"

	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/v8/async"
	"github.com/ndb-debugger/ndb/v8/object"
)

func init() {
	Register(&Command{
		Name:     "jsawaits",
		Synopsis: "::jsawaits [-v]",
		Summary:  "every suspended async function and generator in the heap, grouped by what it awaits",
		Opts:     "v",
		Addr:     AddrNone,
		Help: `Lists the suspended work of the heap: every async function and async
generator suspended at an await, one row per distinct chain (the same
functions at the same await sites, outermost awaiter first, down to the
innermost pending promise), with counts, largest first:

       300 × handleRequest (/app/server.js:18:10) awaiting query (/app/server.js:13:3) awaiting <Promise pending>

Chains go through Promise.all, allSettled and any ("Promise.all (index 2)")
and async generators as ::jsstack's async frames do. Rows of then and catch
handlers pending on a promise follow, named by the handler's function and
position. A chain that cannot go on ends with "(chain ends: …)".

  -v   each chain of each group: its objects (the suspended function objects,
       with the promise the innermost one awaits)

Uses the heap census (computed once per session). Piped, prints the
outermost suspended object of every chain (the promise, for handler rows):
::jsawaits | ::jsprint.`,
		JSON: `One object per group: {"count", "kind" ("await", "then", "catch"),
"text" (the row), "chain": [{"function", "script", "line", "column",
"index" (combinators)}] (outermost first), "objects": [the outermost object of
each chain]}; with -v, "chains": [{"frames": [{"generator", "function",
"awaits"}] (innermost first), "awaits", "end"}].`,
		Run: runJSAwaits,
	})
}

// awaitSiteJSON is one function and await site of a group's chain.
type awaitSiteJSON struct {
	Function string `json:"function"`
	Script   string `json:"script,omitempty"`
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Index    *int   `json:"index,omitempty"`
}

// awaitFrameJSON is one frame of one chain (-v).
type awaitFrameJSON struct {
	Generator string `json:"generator,omitempty"`
	Function  string `json:"function"`
	Awaits    string `json:"awaits,omitempty"`
}

// awaitChainJSON is one chain of a group (-v).
type awaitChainJSON struct {
	Frames []awaitFrameJSON `json:"frames"`
	Awaits string           `json:"awaits,omitempty"`
	End    string           `json:"end,omitempty"`
}

// awaitGroupJSON is one row of ::jsawaits --json.
type awaitGroupJSON struct {
	Count   int              `json:"count"`
	Kind    string           `json:"kind"`
	Text    string           `json:"text"`
	Chain   []awaitSiteJSON  `json:"chain,omitempty"`
	Objects []string         `json:"objects"`
	Chains  []awaitChainJSON `json:"chains,omitempty"`
}

// SuspendedOf returns (once per session) the heap's suspended work.
func SuspendedOf(inv *Invocation) ([]*async.Group, error) {
	v, err := inv.Session.Cached("async.suspended", func() (any, error) {
		c, err := CensusOf(inv)
		if err != nil {
			return nil, err
		}
		r, err := AsyncReaderOf(inv)
		if err != nil {
			return nil, err
		}
		h, err := HeapOf(inv)
		if err != nil {
			return nil, err
		}
		return suspendedWork(inv, c, r, h)
	})
	if err != nil {
		return nil, err
	}
	return v.([]*async.Group), nil
}

func suspendedWork(inv *Invocation, c *heap.Census, r *async.Reader, h *object.Heap) ([]*async.Group, error) {
	t := h.Layout.Types
	byType := c.InstancesOfTypes(t.JSAsyncFunctionObject, t.JSAsyncGeneratorObject, t.JSPromise)
	tag := func(addrs []uint64) []object.Value {
		out := make([]object.Value, len(addrs))
		for i, a := range addrs {
			out[i] = h.Tag(a)
		}
		return out
	}
	gens := append(tag(byType[t.JSAsyncFunctionObject]), tag(byType[t.JSAsyncGeneratorObject])...)
	return r.Suspended(inv.Ctx, gens, tag(byType[t.JSPromise]))
}

func runJSAwaits(inv *Invocation) error {
	groups, err := SuspendedOf(inv)
	if err != nil {
		return err
	}
	verbose := inv.Flag('v')
	if len(groups) == 0 && !inv.JSON && !inv.Piped {
		inv.Printf("no suspended async functions or pending handlers in the heap\n")
		return nil
	}
	for _, g := range groups {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		switch {
		case inv.JSON:
			if err := inv.JSONLine(awaitGroupRecord(g, verbose)); err != nil {
				return err
			}
		case inv.Piped:
			for i := range g.Chains {
				inv.Printf("%x\n", uint64(g.Chains[i].Outer()))
			}
		default:
			inv.Printf("%10s × %s\n", withCommas(g.Count()), g.Text)
			if verbose {
				printAwaitChains(inv, g)
			}
		}
	}
	return nil
}

// printAwaitChains lists a group's chains, one line each, outermost first.
func printAwaitChains(inv *Invocation, g *async.Group) {
	for i := range g.Chains {
		ch := &g.Chains[i]
		line := ""
		for j := len(ch.Frames) - 1; j >= 0; j-- {
			f := &ch.Frames[j]
			if f.Generator != 0 {
				line += Hex(uint64(f.Generator)) + " → "
			} else {
				line += f.Name + " → "
			}
		}
		if ch.Handler != 0 {
			line += Hex(uint64(ch.Handler)) + " on "
		}
		inv.Printf("%13s %s<Promise %s>\n", "", line, Hex(uint64(ch.Awaits)))
	}
}

func awaitGroupRecord(g *async.Group, verbose bool) awaitGroupJSON {
	o := awaitGroupJSON{Count: g.Count(), Kind: string(g.Kind), Text: g.Text, Objects: make([]string, 0, g.Count())}
	if len(g.Chains) > 0 {
		fs := g.Chains[0].Frames
		for i := len(fs) - 1; i >= 0; i-- {
			s := awaitSiteJSON{Function: fs[i].Name, Script: fs[i].Script, Line: fs[i].Line, Column: fs[i].Column}
			if fs[i].Kind == async.KindCombinator {
				idx := fs[i].Index
				s.Index = &idx
			}
			o.Chain = append(o.Chain, s)
		}
	}
	for i := range g.Chains {
		ch := &g.Chains[i]
		o.Objects = append(o.Objects, Hex(uint64(ch.Outer())))
		if !verbose {
			continue
		}
		cj := awaitChainJSON{End: ch.End}
		if ch.Awaits != 0 {
			cj.Awaits = Hex(uint64(ch.Awaits))
		}
		for _, f := range ch.Frames {
			fj := awaitFrameJSON{Function: f.Name}
			if f.Generator != 0 {
				fj.Generator = Hex(uint64(f.Generator))
			}
			if f.Awaits != 0 {
				fj.Awaits = Hex(uint64(f.Awaits))
			}
			cj.Frames = append(cj.Frames, fj)
		}
		o.Chains = append(o.Chains, cj)
	}
	return o
}

// withCommas formats n with thousands separators: 3,214.
func withCommas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
