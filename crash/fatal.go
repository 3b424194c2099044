package crash

import (
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
)

// fatal fills in a death by V8's or Node's fatal error handler. The
// message is a C string the handler takes as an argument (node's
// OOMErrorHandler(location, details), OnFatalError(location, message),
// V8_Fatal(format, ...)); the handler and the functions it called before
// abort() keep that pointer in their frames. The stack from sp to the
// handler's caller is scanned, innermost first, for pointers to the start
// of a NUL-terminated printable text in the executable's read-only data:
// the first is the location ("Reached heap limit"); Node prints it with
// the "Allocation failed - ..." text of an out-of-memory death, which is
// taken from the same frames when a pointer to it is there.
func (c *collector) fatal(r *Reason) {
	r.Kind = FatalError
	end := c.outermost(fatalFuncs) + 64
	var msg, detail, from string
	for i := 0; i < len(c.words) && i < end; i++ {
		s, ok := c.rodataString(c.words[i])
		if !ok || strings.Contains(s, "%") {
			continue
		}
		switch {
		case msg == "":
			msg = s
			from = "char* at stack slot " + hex(c.base+8*uint64(i)) + " in the frame of " + c.frameOf(i)
		case detail == "" && strings.HasPrefix(s, "Allocation failed") && !strings.HasPrefix(msg, "Allocation failed"):
			detail = s
		}
	}
	if msg == "" {
		r.Text = "fatal error (its message is not on the stack)"
		return
	}
	if detail != "" {
		msg += " " + detail
	}
	r.Fatal = &FatalMessage{Message: msg, From: from}
	r.Text = "FATAL ERROR: " + msg
}

// outermost is the stack word index of the outermost call from one of
// the functions named.
func (c *collector) outermost(names []string) int {
	end := 0
	for _, call := range c.calls {
		if _, ok := hasCall([]nativeCall{call}, names...); ok {
			end = int((call.Slot - c.base) / 8)
		}
	}
	return end
}

// frameOf names the function whose frame holds stack word i: the function
// of the nearest return address below it.
func (c *collector) frameOf(i int) string {
	slot := c.base + 8*uint64(i)
	name := "the crashing function"
	for _, call := range c.calls {
		if call.Slot >= slot {
			break
		}
		name = call.Function
	}
	return name
}

// rodataString reads the text at addr when addr is the start of a
// printable, NUL-terminated string of 4 to 512 bytes in a read-only
// mapping of the executable.
func (c *collector) rodataString(addr uint64) (string, bool) {
	p := c.in.Proc
	if addr < 4096 {
		return "", false
	}
	prev, err := p.ReadU8(addr - 1)
	if err != nil || prev != 0 {
		return "", false
	}
	return c.rodataText(addr)
}

// rodataText is rodataString for a pointer known to be a char* (a field
// of a struct found otherwise): it may point into the tail of a longer
// string, as the linker merges a string with the tail of another.
func (c *collector) rodataText(addr uint64) (string, bool) {
	p := c.in.Proc
	if addr < 4096 || !inExeData(p, addr) {
		return "", false
	}
	s, err := p.ReadCString(addr, 513)
	if err != nil || len(s) < 4 || len(s) > 512 {
		return "", false
	}
	for _, ch := range []byte(s) {
		if ch < 0x20 || ch > 0x7e {
			return "", false
		}
	}
	return s, true
}

// inExeData reports whether addr lies in a read-only file mapping of the
// executable. Executable mappings count: node 18's binary keeps .rodata in
// its text segment.
func inExeData(p *elfcore.Process, addr uint64) bool {
	fm, ok := p.FileMappingAt(addr)
	if !ok || fm.Path != p.ExePath {
		return false
	}
	seg, ok := p.SegmentAt(addr)
	return ok && seg.Flags&elfFlagW == 0
}
