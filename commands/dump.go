package commands

import (
	"fmt"
	"strings"
)

func init() {
	Register(&Command{
		Name:     "dump",
		Synopsis: "ADDR::dump [-n BYTES]",
		Summary:  "hex and ASCII dump of memory",
		Help: `Dumps BYTES bytes (default 64, at most 1 MB) of memory at ADDR, 16 per line,
as hex and ASCII. Bytes the core lacks end the dump with the reason.`,
		JSON:   "One object.",
		Record: dumpRecord{},
		Opts:   "n:",
		Addr:   AddrRequired,
		Run: func(inv *Invocation) error {
			n, err := inv.IntOpt('n', 64)
			if err != nil {
				return err
			}
			if n <= 0 || n > 1<<20 {
				return fmt.Errorf("-n must be between 1 and 1048576")
			}
			b, err := inv.Session.Proc.Slice(inv.Addr, uint64(n))
			if err != nil {
				return err
			}
			if inv.JSON {
				return inv.Emit(dumpRecord{Addr: Hex(inv.Addr), Bytes: fmt.Sprintf("%x", b)})
			}
			for off := 0; off < len(b); off += 16 {
				row := b[off:min(off+16, len(b))]
				var hx, asc strings.Builder
				for i := 0; i < 16; i++ {
					if i < len(row) {
						fmt.Fprintf(&hx, "%02x", row[i])
						c := row[i]
						if c < 32 || c > 126 {
							c = '.'
						}
						asc.WriteByte(c)
					} else {
						hx.WriteString("  ")
					}
					if i%2 == 1 {
						hx.WriteByte(' ')
					}
				}
				inv.Printf("%x: %s %s\n", inv.Addr+uint64(off), hx.String(), asc.String())
			}
			return nil
		},
	})
}

type dumpRecord struct {
	Addr  string `json:"addr" doc:"the first byte's address"`
	Bytes string `json:"bytes" doc:"the bytes, in hex"`
}
