package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsclosure",
		Synopsis: "ADDR::jsclosure [-a] [-n COUNT]",
		Summary:  "variables captured by the closure at ADDR",
		Opts:     "an:",
		Addr:     AddrRequired,
		Help: `Prints the variables of the function's context, named from its ScopeInfo, one per
line, then those of the enclosing contexts up to (not including) the native
context:

  secret: "captured value"
  counter: 7

-a prints each value's address. -n COUNT shows COUNT elements, entries or
bytes of each value (default 100 elements and entries, 50 bytes; 0 for all),
counting the rest ("... 900 more elements (-n 0 for all)"). When piped, each line starts with the value's
address (so "ADDR::jsclosure | ::jsprint" prints every variable).`,
		JSON:   "One object per variable.",
		Record: closureVariableRecord{},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			fi, err := h.Function(object.Value(inv.Addr))
			if err != nil {
				return err
			}
			if fi.Bound {
				return fmt.Errorf("a bound function has no context; see ::jsfunction")
			}
			o := value.Options{Depth: 0, MaxString: 80}
			if err := countOption(inv, &o); err != nil {
				return err
			}
			ctx := fi.Context
			for depth := 0; depth < 64 && h.IsHeapObject(ctx); depth++ {
				if err := inv.Cancelled(); err != nil {
					return err
				}
				vars, c, err := h.ContextVariables(ctx)
				if err != nil {
					if depth == 0 {
						return err
					}
					break
				}
				for _, cv := range vars {
					switch {
					case inv.JSON:
						if err := inv.Emit(closureVariableRecord{Addr: Hex(uint64(cv.Value)), Context: Hex(uint64(ctx)), Name: cv.Name,
							Value: value.JSONValue(value.Describe(h, cv.Value, o))}); err != nil {
							return err
						}
					case inv.Piped:
						inv.Printf("%s %s\n", Hex(uint64(cv.Value)), cv.Name)
					default:
						oo := o
						oo.Addresses = inv.Flag('a')
						inv.Printf("%s: %s\n", cv.Name, value.Format(h, cv.Value, oo))
					}
				}
				ctx = c.Previous
			}
			return nil
		},
	})
}

type closureVariableRecord struct {
	Addr    string `json:"addr" doc:"the variable's value"`
	Context string `json:"context" doc:"the Context that holds it"`
	Name    string `json:"name" doc:"the variable's name"`
	Value   any    `json:"value" doc:"the value as ::jsprint --json prints it, depth 0"`
}
