package commands

import (
	"strings"

	"github.com/ndb-debugger/ndb/heap"
)

func init() {
	Register(&Command{
		Name:     "jsroots",
		Synopsis: "ADDR::jsroots [-n MAX]",
		Summary:  "why is ADDR alive: the shortest retaining paths from a root",
		Opts:     "n:",
		Addr:     AddrRequired,
		Help: `Prints the shortest retaining path(s) (at most MAX, default 3) from a root to
the object at ADDR, each step named:
  global __cache → Map entry "k-17" → LeakRequest.headers → Object.auth → LeakTarget
Roots considered: the global objects (searched first), every slot of each
thread's live stack, and native memory (V8's roots table, handle blocks and
global handles, found conservatively: any word there that points at an
object start). V8-internal objects on the way (property arrays, hash
tables, property cells, contexts) are folded into the step that names them.`,
		JSON:   "One object per path.",
		Record: rootPathRecord{},
		Run: func(inv *Invocation) error {
			max, err := inv.IntOpt('n', 3)
			if err != nil {
				return err
			}
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			g, err := GraphOf(inv)
			if err != nil {
				return err
			}
			paths, err := g.RootPaths(h, inv.Addr, max)
			if err != nil {
				return err
			}
			if len(paths) == 0 && !inv.JSON {
				inv.Printf("%x: no retaining path from a root found (roots considered: %s)\n", inv.Addr, strings.Join(g.RootKinds, ", "))
			}
			for _, p := range paths {
				if inv.JSON {
					var steps []pathStepRecord
					for _, s := range p.Steps {
						steps = append(steps, pathStepRecord{Addr: Hex(s.Addr | 1), Constructor: s.Constructor, edgeRecord: newEdgeRecord(s.Via)})
					}
					if err := inv.Emit(rootPathRecord{Path: steps, Root: p.Root.String()}); err != nil {
						return err
					}
					continue
				}
				var b strings.Builder
				for i, s := range p.Steps {
					if i == 0 {
						if p.Root.String() == "global" {
							if len(p.Steps) > 1 {
								b.WriteString("global " + p.Steps[1].Via.String())
							} else {
								b.WriteString("global")
							}
						} else {
							b.WriteString(p.Root.String() + " " + s.Constructor)
						}
						continue
					}
					if i == 1 && p.Root.String() == "global" {
						continue
					}
					b.WriteString(" → ")
					prev := p.Steps[i-1].Constructor
					switch s.Via.Kind {
					case heap.EdgeMapEntry, heap.EdgeSetEntry, heap.EdgeElement:
						// "[12499]", an index: "Array[12499]" reads like a length
						b.WriteString(s.Via.String())
					default:
						b.WriteString(prev + "." + s.Via.String())
					}
				}
				last := p.Steps[len(p.Steps)-1]
				b.WriteString(" → " + last.Constructor)
				if inv.Piped {
					inv.Printf("%x %s\n", last.Addr|1, b.String())
					continue
				}
				inv.Printf("%s\n", b.String())
				for _, s := range p.Steps {
					inv.Printf("    %x %s\n", s.Addr|1, s.Constructor)
				}
			}
			return nil
		},
	})
}

type rootPathRecord struct {
	Path []pathStepRecord `json:"path" doc:"the steps from the root to the object, each held by the one before"`
	Root string           `json:"root" doc:"global, stack or native"`
}

type pathStepRecord struct {
	Addr        string `json:"addr" doc:"the step's object"`
	Constructor string `json:"constructor" doc:"its constructor"`
	edgeRecord
}
