package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/heap"
)

// DominatorsOf returns the session's dominator tree and retained sizes,
// built on first request on top of the reference graph.
func DominatorsOf(inv *Invocation) (*heap.Graph, *heap.Dominators, error) {
	g, err := GraphOf(inv)
	if err != nil {
		return nil, nil, err
	}
	d, err := g.Dominators(inv.Ctx)
	if err != nil {
		return nil, nil, err
	}
	return g, d, nil
}

// retainedRecord is one object with its sizes, for JSON.
type retainedRecord struct {
	Addr        string `json:"addr" doc:"the object"`
	Constructor string `json:"constructor" doc:"its constructor"`
	Self        uint64 `json:"self" doc:"its shallow size in bytes"`
	Retained    uint64 `json:"retained" doc:"the bytes freed if it died"`
}

// retainerRecord is ::jsretained's record: an object and what it keeps
// alive.
type retainerRecord struct {
	Addr         string           `json:"addr" doc:"the object"`
	Children     []retainedRecord `json:"children" doc:"the objects it immediately dominates, largest first"`
	Constructor  string           `json:"constructor" doc:"its constructor"`
	MoreBytes    uint64           `json:"more_bytes" doc:"the retained bytes of the children left out"`
	MoreChildren int              `json:"more_children" doc:"how many children are left out"`
	Retained     uint64           `json:"retained" doc:"the bytes freed if it died"`
	Self         uint64           `json:"self" doc:"its shallow size in bytes"`
}

func newRetainedRecord(g *heap.Graph, d *heap.Dominators, i uint32) retainedRecord {
	r, _ := d.Retained(i)
	return retainedRecord{Addr: Hex(g.C.Addr(i) | 1), Constructor: g.Name(i), Self: uint64(g.C.Size(i)), Retained: r}
}

func init() {
	Register(&Command{
		Name:     "jsretained",
		Synopsis: "ADDR::jsretained [-n MAX]",
		Summary:  "the memory ADDR keeps alive, and the objects it keeps alive that account for most of it",
		Opts:     "n:",
		Addr:     AddrRequired,
		Help: `Prints the retained size of the object at ADDR: the bytes that would be
freed if it died (the shallow sizes of every object it dominates: every path
from a root to them passes through ADDR), then the objects it immediately
dominates, largest retained size first (at most MAX, default 10; the rest
summed on one line). Piped, prints those objects' addresses.
The dominator tree is built once per session on top of the reference graph
(see ::findjsrefs), from the same roots as ::jsroots. Garbage (objects no
root reaches) is not in the tree. See docs/heap.md.`,
		JSON:   "One object.",
		Record: retainerRecord{},
		Run: func(inv *Invocation) error {
			limit, err := inv.IntOpt('n', 10)
			if err != nil {
				return err
			}
			g, d, err := DominatorsOf(inv)
			if err != nil {
				return err
			}
			i, ok := g.Index(inv.Addr)
			if !ok {
				return fmt.Errorf("%#x is not the address of an object the census found", inv.Addr)
			}
			if _, ok := d.Retained(i); !ok {
				return fmt.Errorf("%#x is not reachable from any root (garbage): it keeps nothing alive", inv.Addr)
			}
			kids := d.Children(i)
			shown := kids[:min(len(kids), max(limit, 0))]
			var moreBytes uint64
			for _, k := range kids[len(shown):] {
				r, _ := d.Retained(k)
				moreBytes += r
			}
			if inv.Piped {
				for _, k := range shown {
					inv.Printf("%x\n", g.C.Addr(k)|1)
				}
				return nil
			}
			top := newRetainedRecord(g, d, i)
			if inv.JSON {
				children := []retainedRecord{}
				for _, k := range shown {
					children = append(children, newRetainedRecord(g, d, k))
				}
				return inv.Emit(retainerRecord{
					Addr: top.Addr, Children: children, Constructor: top.Constructor, MoreBytes: moreBytes,
					MoreChildren: len(kids) - len(shown), Retained: top.Retained, Self: top.Self,
				})
			}
			inv.Printf("%x %s: retains %d bytes (self %d); it immediately dominates %d objects\n", inv.Addr|1, top.Constructor, top.Retained, top.Self, len(kids))
			if len(kids) == 0 {
				return nil
			}
			inv.Printf("%12s %10s %-14s %s\n", "RETAINED", "SELF", "ADDR", "OBJECT")
			for _, k := range shown {
				r := newRetainedRecord(g, d, k)
				inv.Printf("%12d %10d %-14x %s\n", r.Retained, r.Self, g.C.Addr(k)|1, r.Constructor)
			}
			if n := len(kids) - len(shown); n > 0 {
				inv.Printf("%12d %10s %-14s (%d more)\n", moreBytes, "", "", n)
			}
			return nil
		},
	})
}
