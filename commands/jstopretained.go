package commands

import (
	"strings"

	"github.com/ndb-debugger/ndb/heap"
)

// dominatorStep is one object of a dominator chain, for JSON.
type dominatorStep struct {
	Addr        string `json:"addr" doc:"the dominator"`
	Constructor string `json:"constructor" doc:"its constructor"`
}

// topRetainedRecord is one object of ::jstopretained.
type topRetainedRecord struct {
	Addr        string          `json:"addr" doc:"the object"`
	Constructor string          `json:"constructor" doc:"its constructor"`
	Dominators  []dominatorStep `json:"dominators" doc:"its JavaScript-level dominators, outermost first"`
	Retained    uint64          `json:"retained" doc:"the bytes freed if it died"`
	Root        string          `json:"root" doc:"what holds the outermost dominator: global, stack, native or roots (several)"`
	Self        uint64          `json:"self" doc:"its shallow size in bytes"`
}

func init() {
	Register(&Command{
		Name:     "jstopretained",
		Synopsis: "::jstopretained [-a] [-n MAX]",
		Summary:  "the objects that keep the most memory alive, with their dominators",
		Opts:     "an:",
		Addr:     AddrNone,
		Help: `Lists the MAX objects (default 10) with the largest retained sizes (the
bytes that would be freed if they died), largest first, each with its
dominators from the root side: the objects every path from a root to it
passes through. JavaScript objects, arrays and closures only; -a lists V8's
internal objects and strings too. The dominators shown are the JavaScript-level
ones; "root" says what holds the outermost: a global object, a stack slot,
native memory, or several roots ("roots"). Objects nest: an object that
dominates a big one retains at least as much. Piped, prints the addresses.
See ADDR::jsretained for what one object keeps alive.`,
		JSON:   "One object per line.",
		Record: topRetainedRecord{},
		Run: func(inv *Invocation) error {
			limit, err := inv.IntOpt('n', 10)
			if err != nil {
				return err
			}
			g, d, err := DominatorsOf(inv)
			if err != nil {
				return err
			}
			keep := func(i uint32) bool { return jsLevelKind(g.C.Kind(i)) }
			if inv.Flag('a') {
				keep = nil
			}
			top := d.Top(limit, keep)
			if !inv.JSON && !inv.Piped {
				inv.Printf("%12s %10s %-14s %s\n", "RETAINED", "SELF", "ADDR", "OBJECT")
			}
			for _, i := range top {
				if err := inv.Cancelled(); err != nil {
					return err
				}
				if inv.Piped {
					inv.Printf("%x\n", g.C.Addr(i)|1)
					continue
				}
				r := newRetainedRecord(g, d, i)
				root, steps := dominatorPath(g, d, i)
				if inv.JSON {
					if err := inv.Emit(topRetainedRecord{
						Addr: r.Addr, Constructor: r.Constructor, Dominators: steps, Retained: r.Retained,
						Root: root, Self: r.Self,
					}); err != nil {
						return err
					}
					continue
				}
				inv.Printf("%12d %10d %-14x %s\n", r.Retained, r.Self, g.C.Addr(i)|1, r.Constructor)
				path := []string{root}
				for _, s := range steps {
					path = append(path, s.Constructor+" "+strings.TrimPrefix(s.Addr, "0x"))
				}
				inv.Printf("%12s %10s   under: %s\n", "", "", strings.Join(path, " → "))
			}
			return nil
		},
	})
}

func jsLevelKind(k heap.Kind) bool {
	return k == heap.KindObject || k == heap.KindArray || k == heap.KindFunction
}

// dominatorPath returns what holds the outermost dominator of object i
// and the JavaScript-level dominators of i, outermost first (i left out).
func dominatorPath(g *heap.Graph, d *heap.Dominators, i uint32) (string, []dominatorStep) {
	chain := d.Chain(i)
	root := "roots"
	if k := g.Root(chain[len(chain)-1]); k != heap.RootNone {
		root = k.String()
	}
	steps := []dominatorStep{}
	for k := len(chain) - 1; k >= 1; k-- {
		x := chain[k]
		if jsLevelKind(g.C.Kind(x)) {
			steps = append(steps, dominatorStep{Addr: Hex(g.C.Addr(x) | 1), Constructor: g.Name(x)})
		}
	}
	return root, steps
}
