package unwind_test

import (
	"debug/elf"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/unwind"
	"github.com/ndb-debugger/ndb/unwind/cfi"
	"github.com/ndb-debugger/ndb/unwind/internal/ehbuild"
)

// A synthetic process: a library mapped at libBase whose .eh_frame has the
// FDEs a case gives, JIT-like code without CFI at jitBase, and a stack.
const (
	libBase   = 0x400000
	jitBase   = 0x500000
	stackBase = 0x7000
	stackSize = 0x2000
)

func synthetic(t *testing.T, fdes []ehbuild.FDE, stack map[uint64]uint64) *elfcore.Process {
	t.Helper()
	const ehAddr, hdrAddr = 0x8000, 0x7000
	eh, offs := ehbuild.EHFrame(ehAddr, ehbuild.CIEInitial, fdes)
	hdr := ehbuild.Hdr(hdrAddr, ehAddr, fdes, offs)
	mem := make([]byte, stackSize)
	for addr, v := range stack {
		binary.LittleEndian.PutUint64(mem[addr-stackBase:], v)
	}
	p := elfcore.NewProcess(nil)
	p.Segments = []elfcore.Segment{
		{Start: stackBase, End: stackBase + stackSize, Flags: elf.PF_R | elf.PF_W, Data: mem, FileSize: stackSize},
		{Start: libBase, End: libBase + 0x10000, Flags: elf.PF_R | elf.PF_X},
		{Start: jitBase, End: jitBase + 0x1000, Flags: elf.PF_R | elf.PF_X},
	}
	p.Files = []elfcore.FileMapping{{Start: libBase, End: libBase + 0x10000, Path: "/lib/libfake.so"}}
	sections := map[string]elfcore.Section{
		".eh_frame":     {Name: ".eh_frame", Addr: ehAddr, Data: eh},
		".eh_frame_hdr": {Name: ".eh_frame_hdr", Addr: hdrAddr, Data: hdr},
	}
	p.AddModule("/lib/libfake.so", &elfcore.Module{Path: "/lib/libfake.so",
		Loads: []elfcore.LoadSegment{{Filesz: 0x10000, Memsz: 0x10000}},
		SectionLoader: func(name string) (elfcore.Section, error) {
			if s, ok := sections[name]; ok {
				return s, nil
			}
			return elfcore.Section{}, elfcore.ErrNoSection
		}})
	return p
}

func start(pc, sp, fp uint64) unwind.Regs {
	var r unwind.Regs
	r.V[cfi.RegRA], r.V[cfi.RegRSP], r.V[cfi.RegRBP] = pc, sp, fp
	r.Known = 1<<cfi.RegRA | 1<<cfi.RegRSP | 1<<cfi.RegRBP
	return r
}

var (
	// f0: CFA = rsp+16, return address at CFA-8, rbp at CFA-16.
	frame16 = []byte{0x0e, 16, 0x86, 2}
	// outermost: the return address is undefined (like _start).
	outermost = []byte{0x07, 16}
)

// TestGoodSynthetic: CFI, then the frame pointer through code without CFI,
// back to CFI, to the outermost frame.
func TestGoodSynthetic(t *testing.T) {
	p := synthetic(t, []ehbuild.FDE{
		{Begin: 0x1000, Size: 0x100, Instr: frame16},
		{Begin: 0x2000, Size: 0x100, Instr: outermost},
	}, map[uint64]uint64{
		0x7000: 0x7100,           // saved rbp: the JIT frame's fp
		0x7008: jitBase + 0x10,   // return into JIT code
		0x7100: 0x7200,           // JIT frame: saved rbp
		0x7108: libBase + 0x2010, // return into the outermost function
	})
	frames, stop := unwind.New(p).Walk(start(libBase+0x1010, 0x6ff0+0x10, 0))
	var methods []string
	for _, f := range frames {
		methods = append(methods, f.Method.String())
	}
	if got := strings.Join(methods, " "); got != "regs cfi fp" || stop.Kind != unwind.StopOutermost || len(stop.Notes) > 0 {
		t.Errorf("methods %q, stop %s", got, stop)
	}
	if frames[1].FP != 0x7100 || !frames[1].FPKnown || frames[1].SP != 0x7010 || frames[2].SP != 0x7110 {
		t.Errorf("frames %+v", frames)
	}
}

// TestBadInput: each damage ends the walk with a reason, or is stepped
// around with the frame pointer and a note.
func TestBadInput(t *testing.T) {
	good := map[uint64]uint64{0x7000: 0x7100, 0x7008: libBase + 0x2010, 0x7100: 0, 0x7108: 0}
	for _, c := range []struct {
		name   string
		instr  []byte
		stack  map[uint64]uint64
		fp     uint64
		kind   unwind.StopKind
		reason string // in the stop's reason
		note   string // in its notes
		frames int
	}{
		{name: "corrupt FDE, no frame pointer", instr: []byte{0x3f}, stack: good,
			kind: unwind.StopFailed, reason: "call frame instruction 0x3f not known", frames: 1},
		{name: "corrupt FDE, frame pointer", instr: []byte{0x3f}, stack: good, fp: 0x7000,
			kind: unwind.StopOutermost, note: "not known; used the frame pointer", frames: 2},
		{name: "CFA that does not move", instr: []byte{0x0e, 0}, stack: good,
			kind: unwind.StopFailed, reason: "is not above sp", frames: 1},
		{name: "CFA expression that loops", instr: []byte{0x0f, 3, 0x2f, 0xfd, 0xff}, stack: good,
			kind: unwind.StopFailed, reason: "more than 1000 steps", frames: 1},
		{name: "CFA past the stack", instr: []byte{0x0e, 0x80, 0x80, 0x04}, stack: good,
			kind: unwind.StopFailed, reason: "past the end of the stack", frames: 1},
		{name: "return address outside every mapping", instr: frame16,
			stack: map[uint64]uint64{0x7008: 0xdead0000}, kind: unwind.StopFailed,
			reason: "return address 0xdead0000 is outside every mapping", frames: 1},
		{name: "return address into data", instr: frame16,
			stack: map[uint64]uint64{0x7008: stackBase + 8}, kind: unwind.StopFailed,
			reason: "not executable", frames: 1},
		{name: "frame pointer cycle", instr: []byte{0x3f}, fp: 0x7100,
			stack: map[uint64]uint64{0x7100: 0x7100, 0x7108: jitBase}, kind: unwind.StopFailed,
			reason: "not a frame pointer", frames: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := synthetic(t, []ehbuild.FDE{
				{Begin: 0x1000, Size: 0x100, Instr: c.instr},
				{Begin: 0x2000, Size: 0x100, Instr: outermost},
			}, c.stack)
			frames, stop := unwind.New(p).Walk(start(libBase+0x1010, 0x7000, c.fp))
			if stop.Kind != c.kind || !strings.Contains(stop.Reason, c.reason) ||
				!strings.Contains(strings.Join(stop.Notes, "; "), c.note) || len(frames) != c.frames {
				t.Errorf("%d frames, stop %s", len(frames), stop)
			}
		})
	}
}

// TestCallThroughBadPointer: a thread that faulted calling address 0 has
// its caller's return address at sp.
func TestCallThroughBadPointer(t *testing.T) {
	p := synthetic(t, []ehbuild.FDE{{Begin: 0x2000, Size: 0x100, Instr: outermost}},
		map[uint64]uint64{0x7000: libBase + 0x2010})
	frames, stop := unwind.New(p).Walk(start(0, 0x7000, 0))
	if len(frames) != 2 || frames[1].Method != unwind.MethodStackTop || frames[1].PC != libBase+0x2010 ||
		frames[1].SP != 0x7008 || stop.Kind != unwind.StopOutermost {
		t.Errorf("frames %+v, stop %s", frames, stop)
	}
	// Not a return address either: the walk ends with both reasons.
	p = synthetic(t, nil, map[uint64]uint64{0x7000: 0x1234})
	frames, stop = unwind.New(p).Walk(start(0, 0x7000, 0))
	if len(frames) != 1 || stop.Kind != unwind.StopFailed || !strings.Contains(stop.Reason, "pc 0x0 is not code") {
		t.Errorf("frames %+v, stop %s", frames, stop)
	}
}
