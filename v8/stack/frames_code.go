package stack

import (
	"encoding/binary"
	"fmt"
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

// maxCodeScan bounds the backwards scan for a code header: V8 allocates
// code objects on pages of 256 KiB; large ones (their own page) are rarer
// and bigger than this, and then the position is reported unknown.
const maxCodeScan = 1 << 20

// codeInfo is the Code object that contains a pc.
type codeInfo struct {
	Code  Value  // the Code object
	Start uint64 // first instruction
	Size  uint64 // bytes of instructions
	Kind  int64  // CodeKind
}

// codeAt finds the Code object whose instructions contain pc.
func (h *Walker) codeAt(pc uint64) (codeInfo, error) {
	l := h.Layout
	if l.Code.Err != nil {
		return codeInfo{}, l.Code.Err
	}
	want := l.Types.InstructionStream
	if want < 0 { // V8 10: the instructions are in the Code object
		want = l.Types.Code
	}
	for a := pc &^ 7; a+maxCodeScan > pc && a > 0; a -= 8 {
		w, err := h.Proc.ReadU64(a)
		if err != nil {
			return codeInfo{}, fmt.Errorf("no code object header below pc %#x (memory ends at %#x)", pc, a)
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
			return codeInfo{}, err
		}
		if pc < ci.Start || pc >= ci.Start+ci.Size {
			return codeInfo{}, fmt.Errorf("pc %#x is not in the code object below it (instructions %#x-%#x)", pc, ci.Start, ci.Start+ci.Size)
		}
		return ci, nil
	}
	return codeInfo{}, fmt.Errorf("no code object header within %d KiB below pc %#x", maxCodeScan>>10, pc)
}

// codeFromHeader reads the Code object of the code-space object at addr.
func (h *Walker) codeFromHeader(addr uint64) (codeInfo, error) {
	l := h.Layout
	var ci codeInfo
	obj := h.Tag(addr)
	if l.Types.InstructionStream < 0 {
		ci.Code = obj
		ci.Start = addr + uint64(l.Code.Body)
	} else {
		code, err := h.Word(obj, l.Code.StreamCode)
		if err != nil {
			return ci, err
		}
		if it, err := h.InstanceType(code); err != nil || it != l.Types.Code {
			return ci, fmt.Errorf("instruction stream %#x: its code pointer %#x is not a Code object", uint64(obj), uint64(code))
		}
		back, err := h.Word(code, l.Code.InstructionStream)
		if err != nil || back != obj {
			return ci, fmt.Errorf("code %#x does not point back to instruction stream %#x", uint64(code), uint64(obj))
		}
		ci.Code = code
		ci.Start = addr + uint64(l.Code.StreamBody)
	}
	size, err := h.Proc.ReadU32(h.Untag(ci.Code) + uint64(l.Code.InstructionSize))
	if err != nil {
		return ci, err
	}
	flags, err := h.Proc.ReadU32(h.Untag(ci.Code) + uint64(l.Code.Flags))
	if err != nil {
		return ci, err
	}
	ci.Size = uint64(size)
	ci.Kind = (int64(flags) >> l.Code.KindShift) & l.Code.KindMask
	return ci, nil
}

// tierOf maps a CodeKind to the frame tier.
func (h *Walker) tierOf(kind int64) (Tier, bool) {
	l := &h.Layout.Code
	switch kind {
	case l.KindBaseline:
		return TierBaseline, true
	case l.KindMaglev:
		return TierMaglev, true
	case l.KindTurbofan:
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
func (h *Walker) compiledPosition(f *Frame, hasBytecode bool) {
	ci, err := h.codeAt(f.PC)
	if err != nil {
		f.Tier = TierOptimized
		if hasBytecode {
			f.Tier = TierBaseline
		}
		f.PositionNote = "code object not found: " + err.Error()
		return
	}
	f.Code = ci.Code
	t, ok := h.tierOf(ci.Kind)
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
func (h *Walker) baselinePosition(f *Frame, ci codeInfo) {
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

func (h *Walker) baselineBytecodeOffset(ba Value, ci codeInfo, pcOff int) (int, error) {
	l := h.Layout
	sizes, err := h.bytecodeSizes()
	if err != nil {
		return -1, err
	}
	tv, err := h.Word(ci.Code, l.Code.SourcePositions)
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
		u, np, err := readVLQ(table, i, vlqGroups32)
		i = np
		return int(u), err == nil
	}
	end, ok := next() // the prologue
	if !ok {
		return -1, fmt.Errorf("empty bytecode offset table")
	}
	bc := -1 // the prologue has no bytecode
	wide, extra := h.Layout.Frame.BytecodeWide, h.Layout.Frame.BytecodeExtraWide
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

// bytecodeSizes reads V8's table of bytecode lengths from the node binary,
// once.
func (h *Walker) bytecodeSizes() (*bytecodeSizeTable, error) {
	h.sizesOnce.Do(func() { h.sizes, h.sizesErr = h.readBytecodeSizes() })
	return h.sizes, h.sizesErr
}

const bytecodeSizesSymbol = "_ZN2v88internal11interpreter9Bytecodes14kBytecodeSizesE"

func (h *Walker) readBytecodeSizes() (*bytecodeSizeTable, error) {
	if h.Proc.Exe == nil {
		return nil, fmt.Errorf("bytecode lengths need the node binary (Bytecodes::kBytecodeSizes)")
	}
	s, ok := h.Proc.ExeSymbol(bytecodeSizesSymbol)
	if !ok || s.Size == 0 || s.Size%3 != 0 || s.Size > 3*1024 {
		return nil, fmt.Errorf("the node binary has no usable Bytecodes::kBytecodeSizes symbol")
	}
	b, err := h.Proc.Slice(s.Addr, s.Size)
	if err != nil {
		return nil, err
	}
	return &bytecodeSizeTable{b: b, count: int(s.Size / 3)}, nil
}

// bytecodes returns the bytes of a BytecodeArray from the interpreted
// frames' offset bias on: one byte before the first bytecode, then the
// bytecodes (their count a Smi at the FixedArrayBase length offset).
func (h *Walker) bytecodes(ba Value) ([]byte, error) {
	lenOff := h.Layout.FixedArray.Length
	n, err := h.Word(ba, lenOff)
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(n) || h.SmiValue(n) <= 0 || h.SmiValue(n) > 16<<20 {
		return nil, fmt.Errorf("bytecode array %#x: bad length", uint64(ba))
	}
	return h.Proc.Slice(uint64(ba)+uint64(h.Layout.Frame.BytecodeOffsetBias), uint64(h.SmiValue(n))+1)
}

// optimizedPosition finds the Code of an optimized frame, its tier, and
// decodes the position at the pc: the physical function's own position and
// one InlinedFrame for each function the compiler inlined there,
// innermost first.
func (h *Walker) optimizedPosition(f *Frame, ci codeInfo) {
	l := h.Layout
	spt, err := h.Word(ci.Code, l.Code.SourcePositions)
	if err != nil {
		f.PositionNote = err.Error()
		return
	}
	b, err := h.byteArray(spt)
	if err != nil {
		f.PositionNote = "no source positions: " + err.Error()
		return
	}
	es, err := decodePositions(b, l.Code.SourcePositionFormat)
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
func (h *Walker) inliningPositions(code Value) ([]inlining, error) {
	l := h.Layout
	dd, err := h.Word(code, l.Code.DeoptimizationData)
	if err != nil {
		return nil, err
	}
	if !h.IsHeapObject(dd) {
		return nil, fmt.Errorf("no deoptimization data")
	}
	get := func(i int) (Value, error) { return h.FixedArrayGet(dd, i) }
	nv, err := get(l.Code.DeoptInlinedCountIndex)
	if err != nil || !h.IsSmi(nv) {
		return nil, fmt.Errorf("deoptimization data %#x: no inlined function count", uint64(dd))
	}
	lits, err := get(l.Code.DeoptLiteralsIndex)
	if err != nil {
		return nil, err
	}
	ipv, err := get(l.Code.DeoptInliningIndex)
	if err != nil {
		return nil, err
	}
	ipb, err := h.byteArray(ipv)
	if err != nil {
		return nil, fmt.Errorf("inlining positions: %v", err)
	}
	n := len(ipb) / int(l.Code.InliningPositionSize)
	sfiType := h.Layout.Types.SharedFunctionInfo
	out := make([]inlining, n)
	for i := range out {
		rec := ipb[i*int(l.Code.InliningPositionSize):]
		raw := int64(binary.LittleEndian.Uint64(rec[l.Code.InliningPositionPosition:]))
		fnID := int(int32(binary.LittleEndian.Uint32(rec[l.Code.InliningPositionFunction:])))
		p := posEntry{Raw: raw}
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
