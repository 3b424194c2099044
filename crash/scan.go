package crash

import (
	"debug/elf"
	"fmt"
	"strings"

	"github.com/ianlancetaylor/demangle"

	"github.com/ndb-debugger/ndb/elfcore"
)

// maxScanWords bounds the stack scan of one thread (512 KiB): the native
// frames between the crash and the last JavaScript frame are far fewer.
const maxScanWords = 64 * 1024

// nativeCall is a return address found on a thread's stack: a word that
// points just after a call instruction in a mapped module's code.
type nativeCall struct {
	Slot     uint64 // where on the stack
	PC       uint64
	Function string // demangled, without parameters ("node::errors::TriggerUncaughtException")
	Location string // module`symbol+0xoff as the stack printers show it
}

// stackWords reads the words of a thread's stack from its sp up to limit
// (exclusive; 0 means as far as the core holds the stack, within
// maxScanWords).
func stackWords(p *elfcore.Process, sp, limit uint64) (base uint64, words []uint64) {
	sp &^= 7
	n := uint64(maxScanWords)
	if limit > sp && (limit-sp)/8 < n {
		n = (limit - sp) / 8
	}
	for i := uint64(0); i < n; i++ {
		w, err := p.ReadU64(sp + 8*i)
		if err != nil {
			break
		}
		words = append(words, w)
	}
	return sp, words
}

// scanCalls finds the return addresses among a thread's stack words,
// innermost first. Each must follow a call instruction (call rel32, or an
// indirect call through a register or memory), which keeps code pointers
// that are data (function pointers, vtables) out.
func scanCalls(p *elfcore.Process, base uint64, words []uint64) []nativeCall {
	var out []nativeCall
	for i, w := range words {
		if w == 0 {
			continue
		}
		// The call is the byte before the return address: a call to a
		// noreturn function (abort) ends its caller, so the return address
		// may be the first byte of the next function.
		loc, ok := p.Symbolize(w - 1)
		if !ok || loc.Symbol == "" || !followsCall(p, w) {
			continue
		}
		out = append(out, nativeCall{
			Slot:     base + 8*uint64(i),
			PC:       w,
			Function: functionName(loc.Symbol),
			Location: loc.String(),
		})
	}
	return out
}

// followsCall reports whether the bytes before pc end with a call: E8
// rel32 (5 bytes) or FF /2 with any of its ModRM lengths (2 to 7 bytes).
// When the core does not hold the code (a bundle), it cannot be checked.
func followsCall(p *elfcore.Process, pc uint64) bool {
	var b [7]byte
	if pc < 7 {
		return false
	}
	if p.ReadAt(b[:], pc-7) != nil {
		return true // a bundle without the code: the symbol alone decides
	}
	if b[2] == 0xe8 {
		return true
	}
	for n := 2; n <= 7; n++ {
		op, modrm := b[7-n], b[7-n+1]
		if op == 0xff && (modrm>>3)&7 == 2 {
			return true
		}
	}
	return false
}

// functionName demangles a symbol and drops its parameters, so that
// "node::errors::TriggerUncaughtException" names both overloads.
func functionName(sym string) string {
	name := demangle.Filter(sym, demangle.NoParams, demangle.NoClones)
	return strings.TrimSpace(name)
}

// hasCall reports whether calls holds a call from the function named, and
// the innermost such call.
func hasCall(calls []nativeCall, names ...string) (nativeCall, bool) {
	for _, c := range calls {
		for _, n := range names {
			if c.Function == n || strings.HasSuffix(c.Function, "::"+n) {
				return c, true
			}
		}
	}
	return nativeCall{}, false
}

const (
	elfFlagW = elf.PF_W
)

func hex(v uint64) string { return fmt.Sprintf("%#x", v) }
