package commands

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "nodebuffer",
		Synopsis: "ADDR::nodebuffer [-n COUNT]",
		Summary:  "data address and length of a Buffer, typed array or ArrayBuffer",
		Addr:     AddrRequired,
		Help: `Prints "DATA LENGTH": the address of the first byte and the byte length of a
Node Buffer (or any typed array, DataView or ArrayBuffer), for use with
memory dumps. -n COUNT also prints the first COUNT bytes in hex on a second
line (0 for all), then how many more there are:

  0x7f3a1c000b10 256
  68 65 6c 6c 6f ... 251 more bytes (-n 0 for all)`,
		JSON:   "One object.",
		Record: bufferRecord{},
		Opts:   "n:",
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			v := object.Value(inv.Addr)
			o := value.Options{Depth: 0, MaxItems: 1, MaxBytes: 1}
			_, withBytes := inv.Opt('n')
			if err := countOption(inv, &o); err != nil {
				return err
			}
			o.MaxItems = o.MaxBytes // typed arrays count bytes here too
			n := value.Describe(h, v, o)
			switch n.Kind {
			case value.KTypedArray, value.KArrayBuffer:
			case value.KError:
				return fmt.Errorf("%s", n.Err)
			default:
				return fmt.Errorf("%#x is not a Buffer, typed array or ArrayBuffer (%s)", inv.Addr, n.Kind)
			}
			if inv.JSON {
				rec := bufferRecord{Addr: Hex(inv.Addr), Data: Hex(n.Buffer.Data), Length: n.Length}
				if withBytes {
					b := hex.EncodeToString(n.Buffer.Bytes)
					rec.Bytes, rec.More = &b, n.More
				}
				return inv.Emit(rec)
			}
			inv.Printf("%s %d\n", Hex(n.Buffer.Data), n.Length)
			if withBytes && !inv.Piped {
				inv.Printf("%s\n", hexBytes(n.Buffer.Bytes, n.More))
			}
			return nil
		},
	})
}

// bufferRecord is the --json record of ::nodebuffer.
type bufferRecord struct {
	Addr   string  `json:"addr" doc:"the Buffer, typed array or ArrayBuffer"`
	Data   string  `json:"data" doc:"the address of its bytes"`
	Length int64   `json:"length" doc:"its length in bytes"`
	Bytes  *string `json:"bytes,omitempty" doc:"with -n: the first COUNT bytes, in hex"`
	More   int     `json:"more,omitempty" doc:"with -n: how many bytes were left out"`
}

// hexBytes writes bytes as "68 65 6c" and counts the ones left out.
func hexBytes(b []byte, more int) string {
	var s strings.Builder
	for i, c := range b {
		if i > 0 {
			s.WriteByte(' ')
		}
		fmt.Fprintf(&s, "%02x", c)
	}
	if more > 0 {
		if len(b) > 0 {
			s.WriteByte(' ')
		}
		s.WriteString(value.MoreText(more, "bytes"))
	}
	return s.String()
}
