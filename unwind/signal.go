package unwind

import (
	"bytes"
	"fmt"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/unwind/cfi"
)

// sigreturnCode is x86-64 glibc's __restore_rt (and the kernel vDSO's and
// musl's): mov $15, %rax (rt_sigreturn); syscall. The return address of a
// signal handler points at it.
var sigreturnCode = []byte{0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}

func (w *walker) isSigreturn(pc uint64) bool {
	var b [9]byte
	if w.p.ReadAt(b[:], pc) != nil {
		return false
	}
	return bytes.Equal(b[:], sigreturnCode)
}

// The kernel's rt_sigframe, at the trampoline frame's sp (the handler
// returned into the trampoline, popping the return address): a ucontext,
// whose uc_mcontext (struct sigcontext) starts at byte 40 with
// r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip.
const mcontextOffset = 40

// sigcontextRegs maps the sigcontext's words to DWARF register numbers.
var sigcontextRegs = [17]uint64{8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, cfi.RegRSP, cfi.RegRA}

// signalStep reads the registers the kernel saved when the signal came.
func (w *walker) signalStep(regs *Regs) (Regs, error) {
	var next Regs
	base := regs.V[cfi.RegRSP] + mcontextOffset
	for i, n := range sigcontextRegs {
		v, err := w.p.ReadU64(base + 8*uint64(i))
		if err != nil {
			return next, fmt.Errorf("reading the saved registers: %v", err)
		}
		next.set(n, v)
	}
	// The interrupted code may have run on another stack (the signal
	// handler on an alternate one): continue on the stack it used.
	sp := next.V[cfi.RegRSP]
	seg, ok := w.p.SegmentAt(sp)
	if !ok {
		return next, fmt.Errorf("the interrupted sp %#x is outside every mapping", sp)
	}
	switch {
	case seg == w.stack && sp <= regs.V[cfi.RegRSP]:
		return next, fmt.Errorf("the interrupted sp %#x is not above the signal frame", sp)
	case seg != w.stack && w.left[seg]:
		return next, fmt.Errorf("the interrupted sp %#x is on a stack the walk already left (a loop)", sp)
	case seg != w.stack:
		// The handler ran on an alternate signal stack.
		if w.left == nil {
			w.left = map[*elfcore.Segment]bool{}
		}
		w.left[w.stack] = true
		w.stack = seg
	}
	// An interrupted pc that is not code (a call through a bad pointer)
	// is the next step's to handle.
	return next, nil
}
