package commands

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

func init() {
	Register(&Command{
		Name:     "dis",
		Synopsis: "ADDR::dis [-n COUNT]",
		Summary:  "disassemble x86-64 instructions",
		Help: `Disassembles COUNT instructions (default 16, at most 10000) at ADDR in AT&T
syntax, naming call and jump targets with their symbols. Code the core did not
dump (the text of the executable and libraries) is read from the files.`,
		JSON:   "One object per instruction.",
		Record: instructionRecord{},
		Opts:   "n:",
		Addr:   AddrRequired,
		Run: func(inv *Invocation) error {
			n, err := inv.IntOpt('n', 16)
			if err != nil {
				return err
			}
			if n <= 0 || n > 10000 {
				return fmt.Errorf("-n must be between 1 and 10000")
			}
			p := inv.Session.Proc
			symname := func(a uint64) (string, uint64) {
				if loc, ok := p.Symbolize(a); ok && loc.Symbol != "" {
					return loc.String(), 0
				}
				return "", 0
			}
			addr := inv.Addr
			for i := 0; i < n; i++ {
				var buf [16]byte
				m := 0
				for m < len(buf) { // read what is there, byte runs may end at a mapping
					if err := p.ReadAt(buf[m:m+1], addr+uint64(m)); err != nil {
						break
					}
					m++
				}
				if m == 0 {
					return fmt.Errorf("address %#x: not in the core", addr)
				}
				ins, err := x86asm.Decode(buf[:m], 64)
				text := ""
				if err != nil {
					ins.Len = 1
					text = fmt.Sprintf(".byte %#x", buf[0])
				} else {
					text = x86asm.GNUSyntax(ins, addr, symname)
				}
				sym := ""
				if loc, ok := p.Symbolize(addr); ok {
					sym = loc.String()
				}
				if inv.JSON {
					if err := inv.Emit(instructionRecord{Addr: Hex(addr), Bytes: fmt.Sprintf("%x", buf[:ins.Len]), Symbol: sym, Text: text}); err != nil {
						return err
					}
				} else {
					inv.Printf("%x %-40s %s\n", addr, sym+":", text)
				}
				addr += uint64(ins.Len)
			}
			return nil
		},
	})
}

type instructionRecord struct {
	Addr   string `json:"addr" doc:"the instruction's address"`
	Bytes  string `json:"bytes" doc:"its bytes, in hex"`
	Symbol string `json:"symbol" doc:"the function or code object it is in, +offset"`
	Text   string `json:"text" doc:"the instruction in Go assembler syntax"`
}
