package commands

import "fmt"

func init() {
	Register(&Command{
		Name:     "threads",
		Synopsis: "::threads",
		Summary:  "every thread: id, pc, sp, fp and the symbol at pc",
		Help: `Lists the threads of the core, the one that got the signal marked with '>'.
Piped into another dcmd, each line starts with the thread's stack pointer.`,
		JSON: `One object per thread: {"tid", "signal" (true for the signalled thread),
"pc", "sp", "fp", "symbol"}.`,
		Run: func(inv *Invocation) error {
			p := inv.Session.Proc
			sig := p.SignalThread()
			if !inv.JSON && !inv.Piped {
				inv.Printf("  %-8s %-18s %-18s %-18s %s\n", "TID", "PC", "SP", "FP", "SYMBOL")
			}
			for i := range p.Threads {
				t := &p.Threads[i]
				sym := "?"
				if loc, ok := p.Symbolize(t.Regs.RIP); ok {
					sym = loc.String()
				}
				switch {
				case inv.JSON:
					if err := inv.JSONLine(map[string]any{"tid": t.TID, "signal": t == sig, "pc": Hex(t.Regs.RIP),
						"sp": Hex(t.Regs.RSP), "fp": Hex(t.Regs.RBP), "symbol": sym}); err != nil {
						return err
					}
				case inv.Piped:
					inv.Printf("%x\n", t.Regs.RSP)
				default:
					mark := " "
					if t == sig {
						mark = ">"
					}
					inv.Printf("%s %-8d %-18s %-18s %-18s %s\n", mark, t.TID, fmt.Sprintf("%#x", t.Regs.RIP),
						fmt.Sprintf("%#x", t.Regs.RSP), fmt.Sprintf("%#x", t.Regs.RBP), sym)
				}
			}
			return nil
		},
	})
}
