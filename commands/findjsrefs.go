package commands

import (
	"fmt"
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
		JSON: `{"addr": "0x..." (the holder), "constructor", "via"}`,
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
					if err := inv.JSONLine(map[string]any{"addr": Hex(r.Holder | 1), "constructor": r.Constructor, "via": r.Via}); err != nil {
						return err
					}
				case inv.Flag('v'):
					inv.Printf("%x %s.%s (depth %d)\n", r.Holder|1, r.Constructor, r.Via, r.Depth)
				default:
					inv.Printf("%x %s\n", r.Holder|1, refText(r.Constructor, r.Via))
				}
			}
			return nil
		},
	})
}

func refText(ctor, via string) string {
	switch {
	case via == "":
		return ctor
	case via[0] == '[':
		return ctor + via
	}
	return fmt.Sprintf("%s %s", ctor, via)
}
