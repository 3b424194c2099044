package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/object"
)

func init() {
	Register(&Command{
		Name:     "jsconstructor",
		Synopsis: "ADDR::jsconstructor [-v]",
		Summary:  "the constructor of the JavaScript object at ADDR",
		Opts:     "v",
		Addr:     AddrRequired,
		Help: `Prints the name of the object's constructor (the "constructor" of its prototype,
else the function its map records). -v also prints the constructor
JSFunction's address. When piped, prints the constructor's address first, so
"ADDR::jsconstructor | ::jsfunction" works.`,
		JSON:   "One object.",
		Record: constructorRecord{},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			v := object.Value(inv.Addr)
			if !h.IsHeapObject(v) {
				return fmt.Errorf("%#x is not a heap object", inv.Addr)
			}
			name, err := h.ConstructorName(v)
			if err != nil {
				return err
			}
			fn, ok, _ := h.ConstructorOf(v)
			if !ok {
				fn = 0
			}
			if name == "" {
				name = "<unknown>"
			}
			switch {
			case inv.JSON:
				return inv.Emit(constructorRecord{Addr: Hex(inv.Addr), Constructor: name, Function: Hex(uint64(fn))})
			case inv.Piped:
				inv.Printf("%s %s\n", Hex(uint64(fn)), name)
			case inv.Flag('v'):
				inv.Printf("%s (JSFunction: %s)\n", name, Hex(uint64(fn)))
			default:
				inv.Printf("%s\n", name)
			}
			return nil
		},
	})
}

type constructorRecord struct {
	Addr        string `json:"addr" doc:"the object"`
	Constructor string `json:"constructor" doc:"its constructor's name"`
	Function    string `json:"function" doc:"the constructor JSFunction"`
}
