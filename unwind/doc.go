// Package unwind walks the native stack of a thread in a core: the chain
// of frames from the thread's registers to the outermost frame, through
// code with call frame information (node, libc, libstdc++, native addons),
// code with frame pointers only (V8's JIT code and embedded builtins) and
// the kernel's signal frames.
//
// Use:
//
//	u := unwind.New(proc)            // cheap: tables load on first use, per module
//	frames, stop := u.Thread(proc.Threads[0])
//	for _, f := range frames { ... f.PC, f.SP, f.FP, f.CFA, f.Method ... }
//	fmt.Println(stop.Reason)         // why the walk ended; stop.Notes: what it met
//
// Each frame says how it was found (Method): from the thread's registers
// (the innermost frame), by call frame information (CFI), by the frame
// pointer chain (FP), or from a signal frame's saved registers (Signal).
// At each step the unwinder uses the FDE covering the pc when there is
// one, and otherwise (or when that fails) the frame pointer: a frame of
// code without CFI saved the caller's rbp at [rbp] and the return address
// at [rbp+8]. A return address into the kernel's signal return trampoline
// (__restore_rt) gives a frame with Trampoline set, and the frame below it
// is the interrupted code, its registers read from the ucontext the kernel
// saved on the stack.
//
// A thread whose pc is not code (it faulted calling through a bad pointer)
// continues from the return address at its sp (MethodStackTop).
//
// Walk starts from any register set (rsp and rip at least), e.g. from the
// fp, sp and pc V8 recorded for its last exit frame.
//
// For a JavaScript stack walker: V8's frames are frame-pointer frames. At
// the first frame whose pc lies in V8 code (JIT code in anonymous memory,
// or a Builtins_* symbol), FP is that frame's rbp (FPKnown tells whether
// the unwinder knows it) and SP its rsp: start V8's own walk there. The
// frames before it are the native frames above JavaScript (e.g. libc's
// abort, node::Abort).
//
// The walk has no frame cap. It ends when CFI marks the outermost frame
// (the return address is undefined: _start, clone3), or when every method
// has failed; Stop says which, and why. It is bounded by the thread's
// stack mapping: each frame's sp must be above the previous one's (a loop
// can never repeat) and inside that mapping (a signal frame may move the
// walk to the stack it interrupted, e.g. from an alternate signal stack).
//
// Bad input (a corrupt FDE, a CFA rule that loops, a return address
// outside every mapping) ends that thread's walk with a note, or falls
// back to the frame pointer; it never panics or hangs.
package unwind
