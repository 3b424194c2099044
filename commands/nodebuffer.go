package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "nodebuffer",
		Synopsis: "ADDR::nodebuffer",
		Summary:  "data address and length of a Buffer, typed array or ArrayBuffer",
		Addr:     AddrRequired,
		Help: `Prints "DATA LENGTH": the address of the first byte and the byte length of a
Node Buffer (or any typed array, DataView or ArrayBuffer), for use with
memory dumps.`,
		JSON:   "One object.",
		Record: bufferRecord{},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			v := object.Value(inv.Addr)
			n := value.Describe(h, v, value.Options{Depth: 0, MaxItems: 1})
			switch n.Kind {
			case value.KTypedArray, value.KArrayBuffer:
			case value.KError:
				return fmt.Errorf("%s", n.Err)
			default:
				return fmt.Errorf("%#x is not a Buffer, typed array or ArrayBuffer (%s)", inv.Addr, n.Kind)
			}
			if inv.JSON {
				return inv.Emit(bufferRecord{Addr: Hex(inv.Addr), Data: Hex(n.Buffer.Data), Length: n.Length})
			}
			inv.Printf("%s %d\n", Hex(n.Buffer.Data), n.Length)
			return nil
		},
	})
}

type bufferRecord struct {
	Addr   string `json:"addr" doc:"the Buffer, typed array or ArrayBuffer"`
	Data   string `json:"data" doc:"the address of its bytes"`
	Length int64  `json:"length" doc:"its length in bytes"`
}
