package stack

import (
	"fmt"
	"sort"
)

// Source positions: V8 records, for bytecode and for machine code, a table
// of (code offset, source position) pairs. The encoding (one entry after
// the other, each two zig-zag variable-length integers, 7 bits a byte, low
// group first, high bit = more):
//
//	code offset delta — non-negative: a statement position with that delta;
//	                    negative v: an expression position, delta -(v+1)
//	position delta    — of the raw 64-bit SourcePosition
//
// A raw SourcePosition has bit 0 = external, bits 1..30 = script offset + 1
// and bits 31..46 = inlining id + 1 (0 = not inlined).

// maxCodeOffset bounds code offsets: V8 code and bytecode are far smaller
// than 2 GiB (their sizes are ints).
const maxCodeOffset = 1<<31 - 1

// posEntry is one decoded source position table entry.
type posEntry struct {
	CodeOffset int
	Statement  bool
	Raw        int64
}

// ScriptOffset is the entry's offset into the script source (-1 for none).
func (e posEntry) ScriptOffset() int { return int((e.Raw>>1)&(1<<30-1)) - 1 }

// InliningID is the index of the inlined function in the code's inlining
// positions, -1 when the position is in the code's own function.
func (e posEntry) InliningID() int { return int((e.Raw>>31)&0xffff) - 1 }

func readSignedVLQ(b []byte, i *int) (int64, bool) {
	u, next, err := readVLQ(b, *i, vlqGroups64)
	*i = next
	return zigzag(u), err == nil
}

// decodePositions decodes a source position table of the given format
// (const ndb_source_position_format: 1 up to V8 13, 2 from V8 14, where the
// first number is 2×delta+1 and its sign marks statements).
func decodePositions(b []byte, format int) ([]posEntry, error) {
	var out []posEntry
	var off, raw int64
	for i := 0; i < len(b); {
		d, ok := readSignedVLQ(b, &i)
		if !ok {
			return out, fmt.Errorf("source position table: truncated entry at byte %d", i)
		}
		stmt := d >= 0
		if !stmt {
			d = -(d + 1)
		}
		if format == 2 {
			stmt = !stmt
			d >>= 1
		}
		p, ok := readSignedVLQ(b, &i)
		if !ok {
			return out, fmt.Errorf("source position table: truncated entry at byte %d", i)
		}
		off += d
		if off > maxCodeOffset {
			// Only a hostile table gets here; summing on would wrap the
			// offsets negative and break their order, which lookups rely on.
			return out, fmt.Errorf("source position table: code offset beyond %d at byte %d", maxCodeOffset, i)
		}
		raw += p
		out = append(out, posEntry{CodeOffset: int(off), Statement: stmt, Raw: raw})
	}
	return out, nil
}

// positionAt returns the last entry whose code offset is <= off.
func positionAt(es []posEntry, off int) (posEntry, bool) {
	i := sort.Search(len(es), func(i int) bool { return es[i].CodeOffset > off })
	if i == 0 {
		return posEntry{}, false
	}
	return es[i-1], true
}

// byteArray returns the bytes of a (Trusted)ByteArray: a Smi length at the
// FixedArrayBase length offset, the bytes after the header.
func (h *Walker) byteArray(v Value) ([]byte, error) {
	if !h.IsHeapObject(v) {
		return nil, fmt.Errorf("%#x is not a byte array", uint64(v))
	}
	lenOff := h.Layout.FixedArray.Length
	n, err := h.Word(v, lenOff)
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(n) || h.SmiValue(n) < 0 || h.SmiValue(n) > 64<<20 {
		return nil, fmt.Errorf("byte array %#x: bad length", uint64(v))
	}
	return h.Proc.Slice(h.Untag(v)+uint64(lenOff)+8, uint64(h.SmiValue(n)))
}

// bytecodePosition maps a bytecode offset to a script offset through the
// BytecodeArray's source position table.
func (h *Walker) bytecodePosition(ba Value, off int) (int, string) {
	key := bytecodePos{ba, off}
	h.namesMu.Lock()
	r, ok := h.positions[key]
	h.namesMu.Unlock()
	if ok {
		return r.pos, r.note
	}
	r.pos, r.note = h.readBytecodePosition(ba, off)
	h.namesMu.Lock()
	if len(h.positions) < maxCachedNames {
		h.positions[key] = r
	}
	h.namesMu.Unlock()
	return r.pos, r.note
}

// bytecodePos keys the cache of positions: recursion runs the same
// bytecode offset of the same function thousands of times.
type bytecodePos struct {
	ba  Value
	off int
}

type positionResult struct {
	pos  int
	note string
}

func (h *Walker) readBytecodePosition(ba Value, off int) (int, string) {
	l := h.Layout
	spt, err := h.Word(ba, l.Frame.BytecodeArraySourcePositions)
	if err != nil {
		return -1, err.Error()
	}
	b, err := h.byteArray(spt)
	if err != nil {
		return -1, "no source positions: " + err.Error()
	}
	es, err := decodePositions(b, l.Frame.SourcePositionFormat)
	if err != nil && len(es) == 0 {
		return -1, err.Error()
	}
	e, ok := positionAt(es, off)
	if !ok {
		return -1, "bytecode offset before the first source position"
	}
	return e.ScriptOffset(), ""
}
