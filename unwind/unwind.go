package unwind

import (
	"debug/elf"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/unwind/cfi"
)

// Method says how a frame's registers were found.
type Method uint8

const (
	MethodRegs   Method = iota // the thread's registers: the innermost frame
	MethodCFI                  // call frame information of the callee
	MethodFP                   // the callee's frame pointer chain
	MethodSignal               // a signal frame's saved registers
	// MethodStackTop: the callee's pc was not code (a call through a bad
	// pointer), so the return address its call pushed is at its sp.
	MethodStackTop
)

func (m Method) String() string {
	switch m {
	case MethodRegs:
		return "regs"
	case MethodCFI:
		return "cfi"
	case MethodFP:
		return "fp"
	case MethodSignal:
		return "signal"
	case MethodStackTop:
		return "sp"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// Frame is one native frame.
type Frame struct {
	// PC is the frame's pc: the interrupted instruction for the innermost
	// frame and for a frame interrupted by a signal, else the return
	// address its callee will return to.
	PC uint64
	SP uint64 // rsp in this frame
	// FP is rbp in this frame, when FPKnown. For code with frame pointers
	// (V8's frames) it is the frame pointer.
	FP      uint64
	FPKnown bool
	// CFA is the canonical frame address: the caller's sp, found when the
	// frame was unwound (by CFI, or fp+16 by the frame pointer). 0 for the
	// last frame and for a signal trampoline.
	CFA    uint64
	Method Method
	// Trampoline: PC is the kernel's signal return trampoline
	// (__restore_rt); the next frame is the code the signal interrupted.
	Trampoline bool
	// Exact: PC is the address of the instruction being run (innermost or
	// interrupted frame), not a return address.
	Exact bool
}

// LookupPC is the address to name the frame's code by: a return address
// may be the first byte after a call that ends its function, so look one
// byte back.
func (f Frame) LookupPC() uint64 {
	if f.Exact || f.Trampoline || f.PC == 0 {
		return f.PC
	}
	return f.PC - 1
}

// StopKind says whether a walk reached the outermost frame.
type StopKind uint8

const (
	StopOutermost StopKind = iota // CFI (or a zero return address) marks the end of the stack
	StopFailed                    // every method failed at the last frame
)

func (k StopKind) String() string {
	if k == StopOutermost {
		return "outermost"
	}
	return "failed"
}

// Stop says why a walk ended.
type Stop struct {
	Kind   StopKind
	Reason string
	// Notes are what the walk met on its way: modules without unwind
	// tables, corrupt entries it stepped around with the frame pointer.
	Notes []string
}

// Unwinder walks the threads of one process. Its unwind tables are loaded
// on first use, per module, and kept; it is safe for concurrent use.
type Unwinder struct {
	p      *elfcore.Process
	mu     sync.Mutex
	tables map[string]*moduleTables // by mapped path
	// rows caches what a pc's code needs: deep recursion runs the same
	// few return addresses thousands of times.
	rows map[pcKey]*pcRow
}

type pcKey struct {
	pc    uint64
	exact bool
}

// pcRow is the unwind rule of one pc: a row, or why there is none.
type pcRow struct {
	sigreturn bool
	row       cfi.Row
	err       error
}

// maxCachedRows bounds the cache (a hostile core can have any number of
// distinct return addresses).
const maxCachedRows = 1 << 16

type moduleTables struct {
	mod   *elfcore.Module
	eh    *cfi.Table
	debug *cfi.Table
	note  string // why a module has no tables, "" when it has
}

// New returns an unwinder for the process. It reads nothing yet.
func New(p *elfcore.Process) *Unwinder {
	return &Unwinder{p: p, tables: map[string]*moduleTables{}, rows: map[pcKey]*pcRow{}}
}

// tablesFor returns the unwind tables of the file mapped at path.
func (u *Unwinder) tablesFor(path string) *moduleTables {
	u.mu.Lock()
	defer u.mu.Unlock()
	if t, ok := u.tables[path]; ok {
		return t
	}
	t := &moduleTables{mod: u.p.Module(path)}
	u.tables[path] = t
	if t.mod == nil {
		t.note = fmt.Sprintf("%s: not on this machine or not the file the process had: frame pointers only", filepath.Base(path))
		return t
	}
	eh, errEH := t.mod.Section(".eh_frame")
	if errEH == nil {
		hdr, _ := t.mod.Section(".eh_frame_hdr")
		t.eh = cfi.NewEHFrame(eh.Data, eh.Addr, hdr.Data, hdr.Addr)
	}
	dbg, errDbg := t.mod.Section(".debug_frame")
	if errDbg == nil {
		t.debug = cfi.NewDebugFrame(dbg.Data)
	}
	if t.eh == nil && t.debug == nil {
		if errors.Is(errEH, elfcore.ErrNoSection) {
			t.note = fmt.Sprintf("%s has no call frame information: frame pointers only", t.mod.Name())
		} else {
			t.note = fmt.Sprintf("%v: frame pointers only", errEH)
		}
	}
	return t
}

// Thread walks a thread's stack from its registers.
func (u *Unwinder) Thread(t elfcore.Thread) ([]Frame, Stop) {
	return u.Walk(regsOf(&t.Regs))
}

// Regs is a register set to start a walk from, in DWARF numbering (see
// package cfi), with a mask of the registers known.
type Regs struct {
	V     [cfi.NumRegs]uint64
	Known uint32
}

func (r *Regs) get(n uint64) (uint64, bool) {
	if n >= cfi.NumRegs || r.Known&(1<<n) == 0 {
		return 0, false
	}
	return r.V[n], true
}

func (r *Regs) set(n uint64, v uint64) {
	r.V[n] = v
	r.Known |= 1 << n
}

// regsOf converts a thread's registers (user_regs_struct) to DWARF order.
func regsOf(g *elfcore.Registers) Regs {
	var r Regs
	for i, v := range []uint64{g.RAX, g.RDX, g.RCX, g.RBX, g.RSI, g.RDI, g.RBP, g.RSP,
		g.R8, g.R9, g.R10, g.R11, g.R12, g.R13, g.R14, g.R15, g.RIP} {
		r.set(uint64(i), v)
	}
	return r
}

// Walk walks a stack from a register set (rsp and rip must be known).
func (u *Unwinder) Walk(start Regs) ([]Frame, Stop) {
	w := &walker{u: u, p: u.p}
	return w.walk(start)
}

type walker struct {
	u     *Unwinder
	p     *elfcore.Process
	stack *elfcore.Segment          // the stack mapping the frames are on
	left  map[*elfcore.Segment]bool // stacks a signal frame moved the walk off
	notes []string
}

func (w *walker) note(s string) {
	for _, n := range w.notes {
		if n == s {
			return
		}
	}
	w.notes = append(w.notes, s)
}

func (w *walker) stop(kind StopKind, format string, args ...any) Stop {
	return Stop{Kind: kind, Reason: fmt.Sprintf(format, args...), Notes: w.notes}
}

func frameOf(r *Regs, m Method, exact bool) Frame {
	f := Frame{PC: r.V[cfi.RegRA], SP: r.V[cfi.RegRSP], Method: m, Exact: exact}
	f.FP, f.FPKnown = r.get(cfi.RegRBP)
	return f
}

func (w *walker) walk(regs Regs) ([]Frame, Stop) {
	if regs.Known&(1<<cfi.RegRSP|1<<cfi.RegRA) != 1<<cfi.RegRSP|1<<cfi.RegRA {
		return nil, w.stop(StopFailed, "no stack pointer or pc to start from")
	}
	frames := []Frame{frameOf(&regs, MethodRegs, true)}
	seg, ok := w.p.SegmentAt(regs.V[cfi.RegRSP])
	if !ok {
		return frames, w.stop(StopFailed, "sp %#x is outside every mapping", regs.V[cfi.RegRSP])
	}
	w.stack = seg
	for {
		cur := &frames[len(frames)-1]
		next, res := w.step(&regs, cur)
		switch {
		case res.end != "":
			return frames, w.stop(StopOutermost, "%s", res.end)
		case res.err != "":
			return frames, w.stop(StopFailed, "%s", res.err)
		}
		cur.CFA = res.cfa
		frames = append(frames, frameOf(&next, res.method, res.method == MethodSignal))
		regs = next
	}
}

// stepResult is the outcome of one step: the method that worked and the
// callee's CFA, or why the walk ends.
type stepResult struct {
	method Method
	cfa    uint64
	end    string // the outermost frame: why
	err    string // every method failed: why
}

// step finds the caller of the frame cur whose registers are regs.
func (w *walker) step(regs *Regs, cur *Frame) (Regs, stepResult) {
	pc := cur.PC
	info := w.rowAt(cur)
	if info.sigreturn {
		cur.Trampoline = true
		next, err := w.signalStep(regs)
		if err != nil {
			return next, stepResult{err: fmt.Sprintf("signal frame at sp %#x: %v", regs.V[cfi.RegRSP], err)}
		}
		return next, stepResult{method: MethodSignal}
	}
	if cur.Exact && w.checkPC(pc) != nil {
		next, err := w.stackTopStep(regs)
		if err == nil {
			err = w.check(regs, &next)
		}
		if err != nil {
			return next, stepResult{err: fmt.Sprintf("pc %#x is not code, and the word at sp is no return address: %v", pc, err)}
		}
		return next, stepResult{method: MethodStackTop, cfa: regs.V[cfi.RegRSP] + 8}
	}
	next, cfa, cfiErr := w.cfiStep(regs, info)
	if cfiErr == nil {
		if err := w.check(regs, &next); err != nil {
			cfiErr = err
		} else {
			return next, stepResult{method: MethodCFI, cfa: cfa}
		}
	}
	var end *outermost
	if errors.As(cfiErr, &end) {
		return next, stepResult{end: end.why}
	}
	next, fpErr := w.fpStep(regs)
	if fpErr == nil {
		if fpErr = w.check(regs, &next); fpErr == nil {
			if !errors.Is(cfiErr, errNoCFI) {
				w.note(fmt.Sprintf("pc %#x: %v; used the frame pointer", pc, cfiErr))
			}
			return next, stepResult{method: MethodFP, cfa: regs.V[cfi.RegRBP] + 16}
		}
	}
	if errors.As(fpErr, &end) {
		return next, stepResult{end: end.why}
	}
	return next, stepResult{err: fmt.Sprintf("pc %#x: cfi: %v; frame pointer: %v", pc, cfiErr, fpErr)}
}

// outermost is a step's way of saying the stack ends here, cleanly.
type outermost struct{ why string }

func (o *outermost) Error() string { return o.why }

// errNoCFI: no FDE covers the pc (JIT code, builtins): the frame pointer is
// the method, not a fallback worth a note.
var errNoCFI = errors.New("no FDE covers the pc")

// check validates a caller found by a step: its sp above the callee's and
// on the stack, its pc in executable memory.
func (w *walker) check(regs, next *Regs) error {
	sp, nsp := regs.V[cfi.RegRSP], next.V[cfi.RegRSP]
	if nsp < sp+8 || sp+8 < sp {
		// A call pushes at least its return address.
		return fmt.Errorf("caller's sp %#x is not above sp %#x (a loop)", nsp, sp)
	}
	if nsp > w.stack.End {
		return fmt.Errorf("caller's sp %#x is past the end of the stack mapping [%#x, %#x)", nsp, w.stack.Start, w.stack.End)
	}
	pc := next.V[cfi.RegRA]
	if pc == 0 {
		return &outermost{"return address 0: the outermost frame"}
	}
	return w.checkPC(pc)
}

func (w *walker) checkPC(pc uint64) error {
	seg, ok := w.p.SegmentAt(pc)
	switch {
	case !ok:
		// gdb's cores leave some file mappings out of the program headers;
		// NT_FILE still names them (without their permissions).
		if _, ok := w.p.FileMappingAt(pc); ok {
			return nil
		}
		return fmt.Errorf("return address %#x is outside every mapping", pc)
	case seg.Flags&(elf.PF_R|elf.PF_X) == 0:
		return fmt.Errorf("return address %#x is in inaccessible memory", pc)
	case seg.Flags&elf.PF_X == 0:
		return fmt.Errorf("return address %#x is in memory that is not executable", pc)
	}
	return nil
}

// stackTopStep unwinds a frame whose pc is not code: a call through a bad
// pointer faulted before the callee ran, so [sp] is the return address and
// every other register is the caller's.
func (w *walker) stackTopStep(regs *Regs) (Regs, error) {
	next := *regs
	sp := regs.V[cfi.RegRSP]
	ra, err := w.p.ReadU64(sp)
	if err != nil {
		return next, err
	}
	next.set(cfi.RegRA, ra)
	next.set(cfi.RegRSP, sp+8)
	return next, nil
}

// fpStep follows the frame pointer: [rbp] is the caller's rbp, [rbp+8] the
// return address, rbp+16 the caller's sp.
func (w *walker) fpStep(regs *Regs) (Regs, error) {
	var next Regs
	fp, ok := regs.get(cfi.RegRBP)
	switch {
	case !ok:
		return next, errors.New("rbp is not known")
	case fp == 0:
		return next, errors.New("rbp is 0")
	case fp%8 != 0:
		return next, fmt.Errorf("rbp %#x is not a frame pointer (not aligned)", fp)
	case fp < regs.V[cfi.RegRSP] || fp+16 > w.stack.End || fp+16 < fp:
		return next, fmt.Errorf("rbp %#x is not a frame pointer (outside the stack [%#x, %#x))", fp, regs.V[cfi.RegRSP], w.stack.End)
	}
	savedFP, err1 := w.p.ReadU64(fp)
	ra, err2 := w.p.ReadU64(fp + 8)
	if err := errors.Join(err1, err2); err != nil {
		return next, err
	}
	if ra == 0 && savedFP == 0 {
		return next, &outermost{"the frame pointer chain ends (saved rbp and return address 0)"}
	}
	next.set(cfi.RegRBP, savedFP)
	next.set(cfi.RegRA, ra)
	next.set(cfi.RegRSP, fp+16)
	return next, nil
}

// tablesAt returns the unwind tables and the link-time address of pc.
func (w *walker) tablesAt(pc uint64) (*moduleTables, uint64, error) {
	fm, ok := w.p.FileMappingAt(pc)
	if !ok {
		return nil, 0, errNoCFI
	}
	t := w.u.tablesFor(fm.Path)
	if t.mod == nil || (t.eh == nil && t.debug == nil) {
		return nil, 0, errNoCFI
	}
	vaddr, ok := t.mod.FileOffsetToVaddr(fm.FileOffset + (pc - fm.Start))
	if !ok {
		return nil, 0, errNoCFI
	}
	return t, vaddr, nil
}

func (t *moduleTables) fde(vaddr uint64) (cfi.FDE, error) {
	var errEH error = cfi.ErrNoFDE
	if t.eh != nil {
		f, err := t.eh.FDE(vaddr)
		if err == nil {
			return f, nil
		}
		errEH = err
	}
	if t.debug != nil {
		if f, err := t.debug.FDE(vaddr); err == nil {
			return f, nil
		}
	}
	return cfi.FDE{}, errEH
}

// rowAt returns what the frame's pc needs, from the cache or computed.
func (w *walker) rowAt(cur *Frame) *pcRow {
	key := pcKey{cur.PC, cur.Exact}
	u := w.u
	u.mu.Lock()
	r, ok := u.rows[key]
	u.mu.Unlock()
	if !ok {
		r = &pcRow{sigreturn: w.isSigreturn(cur.PC)}
		if !r.sigreturn {
			r.row, r.err = w.findRow(cur.LookupPC())
		}
		u.mu.Lock()
		if len(u.rows) < maxCachedRows {
			u.rows[key] = r
		}
		u.mu.Unlock()
	}
	if fm, ok := w.p.FileMappingAt(cur.LookupPC()); ok {
		if t := u.tablesFor(fm.Path); t.note != "" {
			w.note(t.note)
		}
	}
	return r
}

// findRow computes the CFI row at pc.
func (w *walker) findRow(lookup uint64) (cfi.Row, error) {
	t, vaddr, err := w.tablesAt(lookup)
	if err != nil {
		return cfi.Row{}, err
	}
	fde, err := t.fde(vaddr)
	if errors.Is(err, cfi.ErrNoFDE) {
		return cfi.Row{}, errNoCFI
	}
	if err != nil {
		return cfi.Row{}, fmt.Errorf("%s: %v", t.mod.Name(), err)
	}
	row, err := fde.Row(vaddr)
	if err != nil {
		return cfi.Row{}, fmt.Errorf("%s: %v", t.mod.Name(), err)
	}
	return row, nil
}

// cfiStep applies the CFI row at the frame's pc.
func (w *walker) cfiStep(regs *Regs, info *pcRow) (Regs, uint64, error) {
	var next Regs
	if info.err != nil {
		return next, 0, info.err
	}
	row := info.row
	var err error
	m := machine{regs: regs, p: w.p}
	var cfa uint64
	switch row.CFA.Kind {
	case cfi.RuleCFA:
		v, ok := regs.get(row.CFA.Reg)
		if !ok {
			return next, 0, fmt.Errorf("the CFA needs register %d, whose value is lost", row.CFA.Reg)
		}
		cfa = v + uint64(row.CFA.Offset)
	case cfi.RuleCFAExpression:
		if cfa, err = cfi.Eval(row.CFA.Expr, m); err != nil {
			return next, 0, fmt.Errorf("CFA expression: %v", err)
		}
	}
	if sp := regs.V[cfi.RegRSP]; cfa < sp+8 {
		return next, 0, fmt.Errorf("CFA %#x is not above sp %#x (a loop)", cfa, sp)
	}
	if cfa > w.stack.End {
		return next, 0, fmt.Errorf("CFA %#x is past the end of the stack mapping [%#x, %#x)", cfa, w.stack.Start, w.stack.End)
	}
	ra := row.Regs[row.RA]
	switch ra.Kind {
	case cfi.RuleUndefined:
		return next, cfa, &outermost{"the outermost frame (its CFI leaves the return address undefined)"}
	case cfi.RuleUnspecified:
		return next, cfa, errors.New("CFI has no rule for the return address")
	}
	for n := uint64(0); n < cfi.NumRegs; n++ {
		v, ok, err := recover1(row.Regs[n], n, cfa, regs, m)
		if err != nil && n == row.RA {
			return next, cfa, fmt.Errorf("return address: %v", err)
		}
		if ok {
			next.set(n, v)
		}
	}
	if next.Known&(1<<cfi.RegRSP) == 0 || row.Regs[cfi.RegRSP].Kind == cfi.RuleUnspecified {
		next.set(cfi.RegRSP, cfa)
	}
	if row.RA != cfi.RegRA {
		v, _ := next.get(row.RA)
		next.set(cfi.RegRA, v)
	}
	return next, cfa, nil
}

// calleeSaved are the registers a call preserves on x86-64 (rbx, rbp,
// r12-r15): with no rule they keep their value.
const calleeSaved = 1<<3 | 1<<6 | 1<<12 | 1<<13 | 1<<14 | 1<<15

// recover1 computes the caller's value of register n under rule r.
func recover1(r cfi.Rule, n, cfa uint64, regs *Regs, m machine) (uint64, bool, error) {
	switch r.Kind {
	case cfi.RuleUnspecified:
		if calleeSaved&(1<<n) == 0 {
			return 0, false, nil
		}
		v, ok := regs.get(n)
		return v, ok, nil
	case cfi.RuleSameValue:
		v, ok := regs.get(n)
		return v, ok, nil
	case cfi.RuleOffset:
		v, err := m.ReadU64(cfa + uint64(r.Offset))
		return v, err == nil, err
	case cfi.RuleValOffset:
		return cfa + uint64(r.Offset), true, nil
	case cfi.RuleRegister:
		v, ok := regs.get(r.Reg)
		if !ok {
			return 0, false, cfi.ErrUnknownRegister
		}
		return v, true, nil
	case cfi.RuleExpression:
		addr, err := cfi.Eval(r.Expr, m, cfa)
		if err != nil {
			return 0, false, err
		}
		v, err := m.ReadU64(addr)
		return v, err == nil, err
	case cfi.RuleValExpression:
		v, err := cfi.Eval(r.Expr, m, cfa)
		return v, err == nil, err
	}
	return 0, false, nil // undefined
}

// machine gives expressions the frame's registers and the core's memory.
type machine struct {
	regs *Regs
	p    *elfcore.Process
}

func (m machine) Reg(n uint64) (uint64, bool)         { return m.regs.get(n) }
func (m machine) ReadU64(addr uint64) (uint64, error) { return m.p.ReadU64(addr) }

// String renders a stop as one line.
func (s Stop) String() string {
	out := s.Kind.String() + ": " + s.Reason
	if len(s.Notes) > 0 {
		out += " (" + strings.Join(s.Notes, "; ") + ")"
	}
	return out
}
