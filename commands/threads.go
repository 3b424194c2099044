package commands

func init() {
	Register(&Command{
		Name:     "threads",
		Synopsis: "::threads",
		Summary:  "every thread: id, role, pc, sp, fp and the symbol at pc",
		Help: `Lists the threads of the core, the one that got the signal marked with '>'.
ROLE says what each thread does, inferred from the function it was started in
(its outermost native frames): the main JavaScript thread, worker N (a
worker_threads Worker, numbered in thread id order; with its isolate where
V8's thread-local current isolate can be read), libuv threadpool, V8
platform worker, V8 delayed-task scheduler, inspector I/O, another
node thread (named by its start function), other (a library's thread), or
unknown (its stack could not be walked to its start).
Piped into another dcmd, each line starts with the thread's stack pointer.`,
		JSON: `One record per thread: {"tid", "signal" (true for the signalled thread),
"role" (as printed), "role_kind" ("main", "worker", "threadpool", "platform",
"scheduler", "inspector", "node", "other", "unknown"), "worker" (N of worker N),
"isolate" (of the main thread and workers, from V8's thread-local current
isolate; absent on Node 18 and in bundles without the executable's symbols),
"start" (the start function), "pc", "sp", "fp", "symbol"}.`,
		Run: runThreads,
	})
}

// threadRecord is the --json record of one thread.
type threadRecord struct {
	TID      int    `json:"tid"`
	Signal   bool   `json:"signal"`
	Role     string `json:"role,omitempty"`
	RoleKind string `json:"role_kind,omitempty"`
	Worker   int    `json:"worker,omitempty"`
	Isolate  string `json:"isolate,omitempty"`
	Start    string `json:"start,omitempty"`
	PC       string `json:"pc"`
	SP       string `json:"sp"`
	FP       string `json:"fp"`
	Symbol   string `json:"symbol"`
}

func runThreads(inv *Invocation) error {
	p := inv.Session.Proc
	sig := p.SignalThread()
	var rec []threadRecord
	for i := range p.Threads {
		t := &p.Threads[i]
		sym := "?"
		if loc, ok := p.Symbolize(t.Regs.RIP); ok {
			sym = loc.String()
		}
		rec = append(rec, threadRecord{TID: t.TID, Signal: t == sig, PC: Hex(t.Regs.RIP), SP: Hex(t.Regs.RSP),
			FP: Hex(t.Regs.RBP), Symbol: sym})
	}
	if h, err := WalkerOf(inv); err == nil && h.FramesErr() == nil {
		roles := threadRoles(inv, h)
		for i := range rec {
			r := roles[rec[i].TID]
			rec[i].Role, rec[i].RoleKind, rec[i].Worker, rec[i].Start = r.String(), string(r.Kind), r.N, r.Start
			if r.Isolate != 0 {
				rec[i].Isolate = Hex(r.Isolate)
			}
		}
	}
	if !inv.JSON && !inv.Piped {
		inv.Printf("  %-8s %-44s %-18s %-18s %-18s %s\n", "TID", "ROLE", "PC", "SP", "FP", "SYMBOL")
	}
	for i, r := range rec {
		switch {
		case inv.JSON:
			if err := inv.JSONLine(r); err != nil {
				return err
			}
		case inv.Piped:
			inv.Printf("%x\n", p.Threads[i].Regs.RSP)
		default:
			mark := " "
			if r.Signal {
				mark = ">"
			}
			inv.Printf("%s %-8d %-44s %-18s %-18s %-18s %s\n", mark, r.TID, orStr(r.Role, "?"), r.PC, r.SP, r.FP, r.Symbol)
		}
	}
	return nil
}
