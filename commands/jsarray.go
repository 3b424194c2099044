package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

// defaultArrayCount is how many elements ::jsarray prints without -n.
const defaultArrayCount = 1000

func init() {
	Register(&Command{
		Name:     "jsarray",
		Synopsis: "ADDR::jsarray [-i] [-n COUNT]",
		Summary:  "elements of the JavaScript array at ADDR, one per line",
		Opts:     "in:",
		Addr:     AddrRequired,
		Help: `Prints the array's elements, one tagged value (an address or a Smi word) per
line, so that "ADDR::jsarray | ::jsprint" prints each. -i prefixes each with
its index (not pipe-able). Holes are skipped; unboxed doubles (double arrays)
print as numbers. -n COUNT prints the first COUNT elements (default 1,000;
0 for all) and says on stderr how many more there are.`,
		JSON:   "One object per element.",
		Record: elementRecord{},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			v := object.Value(inv.Addr)
			ln, err := h.ArrayLength(v)
			if err != nil {
				return err
			}
			limit, err := inv.IntOpt('n', defaultArrayCount)
			if err != nil {
				return err
			}
			if limit == 0 {
				limit = -1
			}
			els, err := h.Elements(v, int(min(ln, object.MaxElements)), limit)
			if err != nil {
				return err
			}

			for _, e := range els.Elements {
				if err := inv.Cancelled(); err != nil {
					return err
				}
				if e.Hole || e.Index >= ln {
					continue
				}
				var word string
				if e.IsDouble {
					word = value.FormatNumber(e.Num)
				} else {
					word = Hex(uint64(e.Value))
				}
				switch {
				case inv.JSON:
					if e.IsDouble {
						err = inv.Emit(elementRecord{Index: e.Index, Number: &e.Num})
					} else {
						err = inv.Emit(elementRecord{Index: e.Index, Value: word})
					}
					if err != nil {
						return err
					}
				case inv.Flag('i') && !inv.Piped:
					inv.Printf("%d %s\n", e.Index, word)
				default:
					inv.Printf("%s\n", word)
				}
			}
			if els.Truncated {
				more := int(ln) - len(els.Elements)
				if els.Dictionary {
					more = els.Length - len(els.Elements)
				}
				fmt.Fprintf(inv.Warn, "jsarray: %s\n", value.MoreText(max(more, 0), "elements"))
			}
			return nil
		},
	})
}

type elementRecord struct {
	Index  int64    `json:"index" doc:"the element's index"`
	Number *float64 `json:"number,omitempty" doc:"the element of an array of unboxed doubles"`
	Value  string   `json:"value,omitempty" doc:"any other element: its tagged value"`
}
