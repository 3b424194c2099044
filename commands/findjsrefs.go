package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/heap"
)

func init() {
	Register(&Command{
		Name:     "findjsrefs",
		Aliases:  []string{"jsfindrefs"},
		Synopsis: "ADDR::findjsrefs [-gv] [-l DEPTH]",
		Summary:  "every object that holds a reference to ADDR, and how",
		Opts:     "gvl:",
		Addr:     AddrRequired,
		Help: `Lists the JavaScript objects that hold the object at ADDR: by a property
("headers"), an array element ("[7]"), a Map or Set entry ("Map entry
\"k-17\""), a closure's context variable ("context kept"), or an internal
field. References through V8-internal objects (property arrays, element
stores, hash tables, contexts) are followed up to DEPTH levels (default 4).
Backed by a reverse-reference index built once per session (the first query
builds it). Holders no root reaches (garbage) are left out unless -g.
-v prints the depth and the holder's kind.`,
		JSON:   "One object per holder.",
		Record: refRecord{},
		Run: func(inv *Invocation) error {
			depth, err := inv.IntOpt('l', 4)
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
			refs, err := g.FindRefs(h, inv.Addr, depth, inv.Flag('g'))
			if err != nil {
				return err
			}
			if len(refs) == 0 && !inv.JSON && !inv.Piped {
				inv.Printf("%x is not referred to by a known object.\n", inv.Addr)
			}
			for _, r := range refs {
				switch {
				case inv.JSON:
					if err := inv.Emit(refRecord{Addr: Hex(r.Holder | 1), Constructor: r.Constructor, edgeRecord: newEdgeRecord(r.Via)}); err != nil {
						return err
					}
				case inv.Flag('v'):
					inv.Printf("%x %s.%s (depth %d)\n", r.Holder|1, r.Constructor, r.Via.String(), r.Depth)
				default:
					inv.Printf("%x %s\n", r.Holder|1, refText(r.Constructor, r.Via))
				}
			}
			return nil
		},
	})
}

func refText(ctor string, via heap.Edge) string {
	switch via.Kind {
	case "":
		return ctor
	case heap.EdgeElement:
		return ctor + via.String()
	}
	return fmt.Sprintf("%s %s", ctor, via)
}

type refRecord struct {
	Addr        string `json:"addr" doc:"the holder"`
	Constructor string `json:"constructor" doc:"the holder's constructor"`
	edgeRecord
}

// edgeRecord is how a holder references an object.
type edgeRecord struct {
	Kind heap.EdgeKind `json:"kind,omitempty" doc:"property, getter, setter, element, map-entry, map-key, set-entry, context, internal or internal-field"`
	Key  string        `json:"key,omitempty" doc:"the property name, element index, Map key or context variable name"`
}

func newEdgeRecord(e heap.Edge) edgeRecord { return edgeRecord{Kind: e.Kind, Key: e.Key} }
