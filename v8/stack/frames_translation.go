package stack

import (
	"fmt"
	"github.com/ndb-debugger/ndb/v8/layout"
	"strings"
)

// Deoptimization translations: for each deopt point, the frames optimized
// code stands for (the outermost function and the ones it inlined) and
// where each frame's values live. ndb reads them for the frames they
// describe and their receivers.

type opTable = layout.TranslationOpcodes

func (h *Walker) translationOps() (*opTable, error) {
	t := &h.Layout.Translation
	if t.Err != nil {
		return nil, t.Err
	}
	return t, nil
}

// trOp is one decoded translation instruction. Operands are the raw
// (unsigned) VLQ numbers; Signed interprets one as V8's signed operands.
type trOp struct {
	Pos      int // byte offset in the translation array (in the earlier translation for matched ops)
	Name     string
	Operands []uint32
	Matched  bool // read from the earlier translation (MATCH_PREVIOUS_TRANSLATION)
}

// Signed is operand i read as a signed operand (sign in the low bit).
func (o trOp) Signed(i int) int {
	u := o.Operands[i]
	if u&1 != 0 {
		return -int(u >> 1)
	}
	return int(u >> 1)
}

func vlq(b []byte, p int) (uint32, int, error) {
	v, next, err := readVLQ(b, p, vlqGroups32)
	switch err {
	case errVLQTruncated:
		return 0, next, fmt.Errorf("translation ends inside a number")
	case errVLQTooLong:
		return 0, next, fmt.Errorf("number too long at %d", next)
	}
	return uint32(v), next, nil
}

// parseOp decodes the instruction at p. From V8 11 an opcode byte past
// the last opcode is MATCH_PREVIOUS_TRANSLATION with the byte's excess as
// its operand.
func parseOp(t *opTable, b []byte, p int) (trOp, int, error) {
	op := trOp{Pos: p}
	var code int
	if t.VLQOpcodes {
		u, np, err := vlq(b, p)
		if err != nil {
			return op, np, err
		}
		if u&1 != 0 {
			return op, np, fmt.Errorf("negative opcode at %d", p)
		}
		code, p = int(u>>1), np
	} else {
		if p >= len(b) {
			return op, p, fmt.Errorf("translation ends at %d", p)
		}
		code = int(b[p])
		p++
		if code >= len(t.Names) {
			if _, ok := t.ByName["MATCH_PREVIOUS_TRANSLATION"]; !ok {
				return op, p, fmt.Errorf("opcode %d at %d out of range", code, op.Pos)
			}
			op.Name, op.Operands = "MATCH_PREVIOUS_TRANSLATION", []uint32{uint32(code - len(t.Names))}
			return op, p, nil
		}
	}
	if code >= len(t.Names) {
		return op, p, fmt.Errorf("opcode %d at %d out of range", code, op.Pos)
	}
	op.Name = t.Names[code]
	for i := 0; i < t.Operands[code]; i++ {
		u, np, err := vlq(b, p)
		if err != nil {
			return op, np, err
		}
		op.Operands = append(op.Operands, u)
		p = np
	}
	return op, p, nil
}

func isBegin(name string) bool { return strings.HasPrefix(name, "BEGIN") }

// translationBegins decodes a whole translation array instruction by
// instruction and returns where each translation (a BEGIN) starts.
func (h *Walker) translationBegins(tr Value) ([]int, error) {
	t, err := h.translationOps()
	if err != nil {
		return nil, err
	}
	b, err := h.byteArray(tr)
	if err != nil {
		return nil, err
	}
	var out []int
	for p := 0; p < len(b); {
		op, np, err := parseOp(t, b, p)
		if err != nil {
			return out, err
		}
		if isBegin(op.Name) {
			out = append(out, p)
		}
		p = np
	}
	return out, nil
}

// translation decodes the translation of a deopt point: its instructions
// from its BEGIN to the next, with the instructions it shares with an
// earlier translation (MATCH_PREVIOUS_TRANSLATION, V8 11+) taken from
// there. Matched instructions keep their position in the earlier
// translation (TrOp.Pos) and are marked Matched.
//
// The rule, as V8's translation iterator reads it: a BEGIN's first operand
// is the distance back to the BEGIN of the translation it shares with (0:
// none); that translation shares with none. Every instruction written out
// stands for one of the earlier translation, in order (the BEGIN for the
// BEGIN). MATCH_PREVIOUS_TRANSLATION n (or an opcode byte n past the last
// opcode) stands for the next max(n, 1) instructions of the earlier
// translation, after skipping there as many instructions as were written
// out since the last match (or since the BEGIN, counting the BEGIN).
func (h *Walker) translation(dp deoptPoint) ([]trOp, error) {
	t, err := h.translationOps()
	if err != nil {
		return nil, err
	}
	b, err := h.byteArray(dp.Translation)
	if err != nil {
		return nil, err
	}
	p := dp.TranslationIndex
	first, p, err := parseOp(t, b, p)
	if err != nil {
		return nil, err
	}
	if !isBegin(first.Name) {
		return nil, fmt.Errorf("translation at %d starts with %s, not BEGIN", dp.TranslationIndex, first.Name)
	}
	_, sharing := t.ByName["MATCH_PREVIOUS_TRANSLATION"]
	prev := -1 // where the earlier translation is read
	if sharing && len(first.Operands) > 0 && first.Operands[0] != 0 {
		prev = first.Pos - int(first.Operands[0])
		if prev < 0 {
			return nil, fmt.Errorf("translation at %d: shares with one %d bytes back, before the array", first.Pos, first.Operands[0])
		}
		pb, _, err := parseOp(t, b, prev)
		if err != nil || !isBegin(pb.Name) || len(pb.Operands) == 0 || pb.Operands[0] != 0 {
			return nil, fmt.Errorf("translation at %d: no BEGIN sharing with none at %d", first.Pos, prev)
		}
	}
	since := 1 // instructions written out since prev was last lined up
	out := []trOp{first}
	for p < len(b) && len(out) < 1<<16 {
		op, np, err := parseOp(t, b, p)
		if err != nil {
			return out, err
		}
		if isBegin(op.Name) {
			break
		}
		p = np
		if op.Name != "MATCH_PREVIOUS_TRANSLATION" {
			out = append(out, op)
			since++
			continue
		}
		if prev < 0 {
			return out, fmt.Errorf("translation at %d: MATCH_PREVIOUS_TRANSLATION at %d without an earlier translation", first.Pos, op.Pos)
		}
		for ; since > 0; since-- {
			if _, prev, err = parseOp(t, b, prev); err != nil {
				return out, fmt.Errorf("earlier translation: %v", err)
			}
		}
		for n := max(int(op.Operands[0]), 1); n > 0; n-- {
			m, np, err := parseOp(t, b, prev)
			if err != nil {
				return out, fmt.Errorf("earlier translation: %v", err)
			}
			if isBegin(m.Name) || m.Name == "MATCH_PREVIOUS_TRANSLATION" || prev >= first.Pos {
				return out, fmt.Errorf("translation at %d: match at %d reaches %s at %d", first.Pos, op.Pos, m.Name, prev)
			}
			m.Matched = true
			out = append(out, m)
			prev = np
		}
	}
	return out, nil
}
