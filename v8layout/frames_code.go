package v8layout

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// Positions of baseline and optimized frames: through the Code object that
// contains the pc.
//
// Finding it: machine code lives in code space, one object after the other.
// From the pc, ndb scans backwards word by word for the header of the
// object that holds the instructions: an InstructionStream (V8 11 and
// later, whose second word points back to its Code) or, on V8 10, the Code
// object itself. A candidate is accepted only when its map has that
// instance type, the Code and InstructionStream point at each other, and
// the pc lies within the instructions; the scan never guesses past the
// first header it meets.

// codeLayout is what finding and decoding Code objects needs.
type codeLayout struct {
	err                                    error
	tCode, tIS                             int   // instance types; tIS 0 on V8 10 (instructions inline in Code)
	isCode, isBody                         int64 // InstructionStream: back pointer to Code, start of instructions
	codeBody                               int64 // V8 10: start of instructions in Code
	codeIS, codeDeopt, codeSPT             int64
	codeSize, codeFlags                    int64
	kindMask, kindShift                    int64
	kindBaseline, kindMaglev, kindTurbofan int64
	ddInlinedCount, ddLiterals, ddInlining int
	ipSize, ipPos, ipFn                    int64
	posFormat                              int
}

var codeLayouts sync.Map // *Metadata → *codeLayout

func (h *Heap) code() *codeLayout {
	if l, ok := codeLayouts.Load(h.M); ok {
		return l.(*codeLayout)
	}
	l := newCodeLayout(h.M)
	codeLayouts.Store(h.M, l)
	return l
}

func newCodeLayout(m *Metadata) *codeLayout {
	l := &codeLayout{}
	req := []string{"type:CODE_TYPE", "Code.deoptimization_data", "Code.source_position_table",
		"Code.instruction_size", "Code.flags", "const:CodeKindFieldMask", "const:CodeKindFieldShift",
		"const:CodeKindBaseline", "const:CodeKindMaglev", "const:CodeKindTurbofan",
		"const:DeoptimizationDataInlinedFunctionCountIndex", "const:DeoptimizationDataLiteralArrayIndex",
		"const:DeoptimizationDataInliningPositionsIndex", "const:ndb_inlining_position_size",
		"const:ndb_inlining_position_function_offset", "const:ndb_source_position_format"}
	if _, ok := m.Type("INSTRUCTION_STREAM_TYPE"); ok {
		req = append(req, "InstructionStream.code", "InstructionStream.instruction_start", "Code.instruction_stream")
	} else {
		req = append(req, "Code.instruction_start")
	}
	if l.err = m.Require(req...); l.err != nil {
		return l
	}
	c := func(n string) int64 { v, _ := m.Const(n); return v }
	f := func(cls, n string) int64 { v, _ := m.Field(cls, n); return v }
	l.tCode, _ = m.Type("CODE_TYPE")
	l.tIS, _ = m.Type("INSTRUCTION_STREAM_TYPE")
	if l.tIS != 0 {
		l.isCode = f("InstructionStream", "code")
		l.isBody = f("InstructionStream", "instruction_start")
		l.codeIS = f("Code", "instruction_stream")
	} else {
		l.codeBody = f("Code", "instruction_start")
	}
	l.codeDeopt = f("Code", "deoptimization_data")
	l.codeSPT = f("Code", "source_position_table")
	l.codeSize = f("Code", "instruction_size")
	l.codeFlags = f("Code", "flags")
	l.kindMask, l.kindShift = c("CodeKindFieldMask"), c("CodeKindFieldShift")
	l.kindBaseline, l.kindMaglev, l.kindTurbofan = c("CodeKindBaseline"), c("CodeKindMaglev"), c("CodeKindTurbofan")
	l.ddInlinedCount = int(c("DeoptimizationDataInlinedFunctionCountIndex"))
	l.ddLiterals = int(c("DeoptimizationDataLiteralArrayIndex"))
	l.ddInlining = int(c("DeoptimizationDataInliningPositionsIndex"))
	l.ipSize = c("ndb_inlining_position_size")
	l.ipFn = c("ndb_inlining_position_function_offset")
	l.ipPos = 0
	l.posFormat = int(c("ndb_source_position_format"))
	return l
}

// maxCodeScan bounds the backwards scan for a code header: V8 allocates
// code objects on pages of 256 KiB; large ones (their own page) are rarer
// and bigger than this, and then the position is reported unknown.
const maxCodeScan = 1 << 20

// CodeInfo is the Code object that contains a pc.
type CodeInfo struct {
	Code  Value  // the Code object
	Start uint64 // first instruction
	Size  uint64 // bytes of instructions
	Kind  int64  // CodeKind
}

// CodeAt finds the Code object whose instructions contain pc.
func (h *Heap) CodeAt(pc uint64) (CodeInfo, error) {
	l := h.code()
	if l.err != nil {
		return CodeInfo{}, l.err
	}
	want := l.tIS
	if want == 0 {
		want = l.tCode
	}
	for a := pc &^ 7; a+maxCodeScan > pc && a > 0; a -= 8 {
		w, err := h.P.ReadU64(a)
		if err != nil {
			return CodeInfo{}, fmt.Errorf("no code object header below pc %#x (memory ends at %#x)", pc, a)
		}
		if !h.IsHeapObject(Value(w)) || w == uint64(h.Tag(a)) {
			continue
		}
		it, err := h.MapInstanceType(Value(w))
		if err != nil || it != want {
			continue
		}
		// The map of a map is the meta map, whose own map is itself.
		mm, err := h.Map(Value(w))
		if err != nil {
			continue
		}
		if mmm, err := h.Map(mm); err != nil || mmm != mm {
			continue
		}
		ci, err := h.codeFromHeader(a)
		if err != nil {
			return CodeInfo{}, err
		}
		if pc < ci.Start || pc >= ci.Start+ci.Size {
			return CodeInfo{}, fmt.Errorf("pc %#x is not in the code object below it (instructions %#x-%#x)", pc, ci.Start, ci.Start+ci.Size)
		}
		return ci, nil
	}
	return CodeInfo{}, fmt.Errorf("no code object header within %d KiB below pc %#x", maxCodeScan>>10, pc)
}

// codeFromHeader reads the Code object of the code-space object at addr.
func (h *Heap) codeFromHeader(addr uint64) (CodeInfo, error) {
	l := h.code()
	var ci CodeInfo
	obj := h.Tag(addr)
	if l.tIS == 0 {
		ci.Code = obj
		ci.Start = addr + uint64(l.codeBody)
	} else {
		code, err := h.Word(obj, l.isCode)
		if err != nil {
			return ci, err
		}
		if it, err := h.InstanceType(code); err != nil || it != l.tCode {
			return ci, fmt.Errorf("instruction stream %#x: its code pointer %#x is not a Code object", uint64(obj), uint64(code))
		}
		back, err := h.Word(code, l.codeIS)
		if err != nil || back != obj {
			return ci, fmt.Errorf("code %#x does not point back to instruction stream %#x", uint64(code), uint64(obj))
		}
		ci.Code = code
		ci.Start = addr + uint64(l.isBody)
	}
	size, err := h.P.ReadU32(h.Untag(ci.Code) + uint64(l.codeSize))
	if err != nil {
		return ci, err
	}
	flags, err := h.P.ReadU32(h.Untag(ci.Code) + uint64(l.codeFlags))
	if err != nil {
		return ci, err
	}
	ci.Size = uint64(size)
	ci.Kind = (int64(flags) >> l.kindShift) & l.kindMask
	return ci, nil
}

// tierOf maps a CodeKind to the frame tier.
func (l *codeLayout) tierOf(kind int64) (Tier, bool) {
	switch kind {
	case l.kindBaseline:
		return TierBaseline, true
	case l.kindMaglev:
		return TierMaglev, true
	case l.kindTurbofan:
		return TierTurbofan, true
	}
	return "", false
}

// codeOffset is the offset into the instructions that a frame's position
// is looked up at. Outer frames hold return addresses: the call that is
// running ends just before them, so the byte before is looked up (the
// next instruction may already start a new position).
func codeOffset(f *Frame, start uint64) int {
	off := int(f.PC - start)
	if f.Index > 0 && off > 0 {
		off--
	}
	return off
}

// compiledPosition decodes a JS frame that runs compiled code: its Code
// object's kind gives the tier (a BytecodeArray in the frame's bytecode
// slot marks a baseline frame when the Code is not found).
func (h *Heap) compiledPosition(f *Frame, hasBytecode bool) {
	ci, err := h.CodeAt(f.PC)
	if err != nil {
		f.Tier = TierOptimized
		if hasBytecode {
			f.Tier = TierBaseline
		}
		f.PositionNote = "code object not found: " + err.Error()
		return
	}
	f.Code = ci.Code
	t, ok := h.code().tierOf(ci.Kind)
	switch {
	case !ok:
		f.Tier = TierOptimized
		f.PositionNote = fmt.Sprintf("JS frame in code of kind %d", ci.Kind)
	case t == TierBaseline:
		f.Tier = t
		h.baselinePosition(f, ci)
	default:
		f.Tier = t
		h.optimizedPosition(f, ci)
	}
}

// baselinePosition maps the pc of a baseline (Sparkplug) frame to a
// bytecode offset through the code's bytecode offset table, then to a
// script position like an interpreted frame. The table holds, for each
// bytecode in order, the length of its machine code (unsigned VLQ), the
// first one that of the prologue; walking it needs each bytecode's length,
// which the binary's own table (Bytecodes::kBytecodeSizes) gives.
func (h *Heap) baselinePosition(f *Frame, ci CodeInfo) {
	if f.BytecodeArray == 0 {
		f.PositionNote = "baseline frame without a BytecodeArray"
		return
	}
	off, err := h.baselineBytecodeOffset(f.BytecodeArray, ci, int(f.PC-ci.Start))
	if err != nil {
		f.PositionNote = "baseline code: " + err.Error()
		return
	}
	f.BytecodeOffset = off
	if off < 0 {
		f.PositionNote = "in the function's prologue"
		return
	}
	f.Position, f.PositionNote = h.bytecodePosition(f.BytecodeArray, off)
}

func (h *Heap) baselineBytecodeOffset(ba Value, ci CodeInfo, pcOff int) (int, error) {
	l := h.code()
	sizes, err := h.bytecodeSizes()
	if err != nil {
		return -1, err
	}
	tv, err := h.Word(ci.Code, l.codeSPT)
	if err != nil {
		return -1, err
	}
	table, err := h.byteArray(tv)
	if err != nil {
		return -1, fmt.Errorf("bytecode offset table: %v", err)
	}
	code, err := h.bytecodes(ba)
	if err != nil {
		return -1, err
	}
	i := 0
	next := func() (int, bool) {
		var u uint64
		for shift := uint(0); i < len(table) && shift < 35; shift += 7 {
			c := table[i]
			i++
			u |= uint64(c&0x7f) << shift
			if c&0x80 == 0 {
				return int(u), true
			}
		}
		return 0, false
	}
	end, ok := next() // the prologue
	if !ok {
		return -1, fmt.Errorf("empty bytecode offset table")
	}
	bc := -1 // the prologue has no bytecode
	wide, _ := h.M.Const("ndb_bytecode_wide")
	extra, _ := h.M.Const("ndb_bytecode_extra_wide")
	// Offsets count as interpreted frames do here (the bias, the source
	// position decoding): one more than V8's own, the first bytecode at 1.
	for at := 1; end < pcOff; {
		if at >= len(code) {
			return -1, fmt.Errorf("pc offset %#x beyond the code of the last bytecode", pcOff)
		}
		d, ok := next()
		if !ok {
			return -1, fmt.Errorf("bytecode offset table ends before pc offset %#x", pcOff)
		}
		end += d
		bc = at
		scale, b := 0, int(code[at])
		if b == int(wide) || b == int(extra) {
			scale = 1
			if b == int(extra) {
				scale = 2
			}
			if at+1 >= len(code) {
				return -1, fmt.Errorf("truncated bytecode at %d", at)
			}
			b = int(code[at+1])
			at++
		}
		n := sizes.size(scale, b)
		if n <= 0 {
			return -1, fmt.Errorf("bytecode %#x at %d has no size", b, at)
		}
		at += n
	}
	return bc, nil
}

type bytecodeSizeTable struct {
	b     []byte // [3][count]: operand scales 1, 2, 4
	count int
}

func (t *bytecodeSizeTable) size(scale, b int) int {
	if b >= t.count {
		return 0
	}
	return int(t.b[scale*t.count+b])
}

var bytecodeSizeTables sync.Map // *Heap → *bytecodeSizeTable or error

// bytecodeSizes reads V8's table of bytecode lengths from the node binary.
func (h *Heap) bytecodeSizes() (*bytecodeSizeTable, error) {
	if v, ok := bytecodeSizeTables.Load(h); ok {
		if t, ok := v.(*bytecodeSizeTable); ok {
			return t, nil
		}
		return nil, v.(error)
	}
	t, err := h.readBytecodeSizes()
	if err != nil {
		bytecodeSizeTables.Store(h, err)
		return nil, err
	}
	bytecodeSizeTables.Store(h, t)
	return t, nil
}

const bytecodeSizesSymbol = "_ZN2v88internal11interpreter9Bytecodes14kBytecodeSizesE"

func (h *Heap) readBytecodeSizes() (*bytecodeSizeTable, error) {
	if h.P.Exe == nil {
		return nil, fmt.Errorf("bytecode lengths need the node binary (Bytecodes::kBytecodeSizes)")
	}
	s, ok := h.P.ExeSymbol(bytecodeSizesSymbol)
	if !ok || s.Size == 0 || s.Size%3 != 0 || s.Size > 3*1024 {
		return nil, fmt.Errorf("the node binary has no usable Bytecodes::kBytecodeSizes symbol")
	}
	b, err := h.P.Slice(s.Addr, s.Size)
	if err != nil {
		return nil, err
	}
	return &bytecodeSizeTable{b: b, count: int(s.Size / 3)}, nil
}

// bytecodes returns the bytes of a BytecodeArray from the interpreted
// frames' offset bias on: one byte before the first bytecode, then the
// bytecodes (their count a Smi at the FixedArrayBase length offset).
func (h *Heap) bytecodes(ba Value) ([]byte, error) {
	lenOff, ok := h.M.Field("FixedArrayBase", "length")
	if !ok {
		lenOff = 8
	}
	n, err := h.Word(ba, lenOff)
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(n) || h.SmiValue(n) <= 0 || h.SmiValue(n) > 16<<20 {
		return nil, fmt.Errorf("bytecode array %#x: bad length", uint64(ba))
	}
	return h.P.Slice(uint64(ba)+uint64(h.frames().bcBias), uint64(h.SmiValue(n))+1)
}

// optimizedPosition finds the Code of an optimized frame, its tier, and
// decodes the position at the pc: the physical function's own position and
// one InlinedFrame for each function the compiler inlined there,
// innermost first.
func (h *Heap) optimizedPosition(f *Frame, ci CodeInfo) {
	l := h.code()
	spt, err := h.Word(ci.Code, l.codeSPT)
	if err != nil {
		f.PositionNote = err.Error()
		return
	}
	b, err := h.byteArray(spt)
	if err != nil {
		f.PositionNote = "no source positions: " + err.Error()
		return
	}
	es, err := DecodePositions(b, l.posFormat)
	if err != nil && len(es) == 0 {
		f.PositionNote = err.Error()
		return
	}
	e, ok := positionAt(es, codeOffset(f, ci.Start))
	if !ok {
		f.PositionNote = "pc before the first source position of its code"
		return
	}
	pos, id := e.ScriptOffset(), e.InliningID()
	if id < 0 {
		f.Position = pos
		return
	}
	inl, err := h.inliningPositions(ci.Code)
	if err != nil {
		f.PositionNote = "inlined code: " + err.Error()
		return
	}
	for depth := 0; id >= 0; depth++ {
		if id >= len(inl) || depth > len(inl) {
			f.PositionNote = fmt.Sprintf("inlining id %d out of range (%d inlined functions)", id, len(inl))
			f.InlinedFrames = nil
			return
		}
		f.InlinedFrames = append(f.InlinedFrames, InlinedFrame{Shared: inl[id].shared, Position: pos})
		pos, id = inl[id].callerPos, inl[id].callerID
	}
	f.Position = pos
}

// InlinedFrame is a function that optimized code inlined into the frame
// of another: its SharedFunctionInfo and the script offset it is at.
type InlinedFrame struct {
	Shared   Value
	Position int
	// From the deoptimization translation at a call site (see
	// inlineFromTranslation): the function, the receiver and where it was
	// read (or why not), and whether the frame is an inlined builtin.
	Function, Receiver, ReceiverMap Value
	ReceiverFrom, ReceiverNote      string
	Builtin                         bool
}

type inlining struct {
	shared              Value
	callerPos, callerID int
}

// inliningPositions reads the DeoptimizationData of optimized code: for
// each inlined function its SharedFunctionInfo (from the literal array)
// and the position of the call it was inlined at.
func (h *Heap) inliningPositions(code Value) ([]inlining, error) {
	l := h.code()
	dd, err := h.Word(code, l.codeDeopt)
	if err != nil {
		return nil, err
	}
	if !h.IsHeapObject(dd) {
		return nil, fmt.Errorf("no deoptimization data")
	}
	get := func(i int) (Value, error) { return h.FixedArrayGet(dd, i) }
	nv, err := get(l.ddInlinedCount)
	if err != nil || !h.IsSmi(nv) {
		return nil, fmt.Errorf("deoptimization data %#x: no inlined function count", uint64(dd))
	}
	lits, err := get(l.ddLiterals)
	if err != nil {
		return nil, err
	}
	ipv, err := get(l.ddInlining)
	if err != nil {
		return nil, err
	}
	ipb, err := h.byteArray(ipv)
	if err != nil {
		return nil, fmt.Errorf("inlining positions: %v", err)
	}
	n := len(ipb) / int(l.ipSize)
	sfiType, _ := h.M.Type("SHARED_FUNCTION_INFO_TYPE")
	out := make([]inlining, n)
	for i := range out {
		rec := ipb[i*int(l.ipSize):]
		raw := int64(binary.LittleEndian.Uint64(rec[l.ipPos:]))
		fnID := int(int32(binary.LittleEndian.Uint32(rec[l.ipFn:])))
		p := PosEntry{Raw: raw}
		out[i].callerPos, out[i].callerID = p.ScriptOffset(), p.InliningID()
		s, err := h.FixedArrayGet(lits, fnID)
		if err != nil {
			return nil, fmt.Errorf("inlined function %d: %v", fnID, err)
		}
		s = Value(uint64(s) &^ 2) // a weak reference in the literal array
		if it, err := h.InstanceType(s); err != nil || it != sfiType {
			return nil, fmt.Errorf("inlined function %d: literal %#x is not a SharedFunctionInfo", fnID, uint64(s))
		}
		out[i].shared = s
	}
	return out, nil
}
