package stack

import "fmt"

// deoptPoint is the deoptimization point of optimized code at a return
// address: a (lazy) deopt entry of the code's DeoptimizationData whose pc
// is the return address. Its translation (in the data's translation
// array, from TranslationIndex on) describes the frames the optimized
// frame stands for, inlined ones included, and where their values live.
type deoptPoint struct {
	Index            int // entry number
	BytecodeOffset   int // of the outermost function
	TranslationIndex int // byte offset into the translation array
	Translation      Value
	TranslationLen   int
}

// deoptPointAt finds the deopt entry of code whose pc offset is pcOff (the
// return address minus the first instruction). Entries follow the data's
// fixed header, three Smis each: bytecode offset, translation index, pc
// (-1 for eager deopts, which have no return address).
func (h *Walker) deoptPointAt(code Value, pcOff int) (deoptPoint, error) {
	if err := h.Meta().Require("const:ndb_deopt_first_entry_index", "const:ndb_deopt_entry_size",
		"const:ndb_deopt_translation_array_index"); err != nil {
		return deoptPoint{}, err
	}
	l := &h.Layout.Code
	first, size, trIdx := l.DeoptFirstEntryIndex, l.DeoptEntrySize, l.DeoptTranslationArrayIndex
	dd, err := h.Word(code, h.Layout.Code.DeoptimizationData)
	if err != nil {
		return deoptPoint{}, err
	}
	if !h.IsHeapObject(dd) {
		return deoptPoint{}, fmt.Errorf("no deoptimization data")
	}
	nv, err := h.Word(dd, h.fixedArrayLengthOffset())
	if err != nil || !h.IsSmi(nv) {
		return deoptPoint{}, fmt.Errorf("deoptimization data %#x: bad length", uint64(dd))
	}
	n := int(h.SmiValue(nv))
	smi := func(i int) (int, bool) {
		v, err := h.FixedArrayGet(dd, i)
		if err != nil || !h.IsSmi(v) {
			return 0, false
		}
		return int(h.SmiValue(v)), true
	}
	for i, k := int(first), 0; i+int(size) <= n; i, k = i+int(size), k+1 {
		pc, ok := smi(i + 2)
		if !ok {
			return deoptPoint{}, fmt.Errorf("deoptimization data %#x: entry %d is not three Smis", uint64(dd), k)
		}
		if pc != pcOff {
			continue
		}
		bc, ok1 := smi(i)
		ti, ok2 := smi(i + 1)
		if !ok1 || !ok2 {
			return deoptPoint{}, fmt.Errorf("deoptimization data %#x: entry %d is not three Smis", uint64(dd), k)
		}
		tr, err := h.FixedArrayGet(dd, int(trIdx))
		if err != nil {
			return deoptPoint{}, err
		}
		b, err := h.byteArray(tr)
		if err != nil {
			return deoptPoint{}, fmt.Errorf("translation array: %v", err)
		}
		if ti < 0 || ti >= len(b) {
			return deoptPoint{}, fmt.Errorf("deopt entry %d: translation index %d outside the translation array (%d bytes)", k, ti, len(b))
		}
		return deoptPoint{Index: k, BytecodeOffset: bc, TranslationIndex: ti, Translation: tr, TranslationLen: len(b)}, nil
	}
	return deoptPoint{}, fmt.Errorf("no deopt point at pc offset %#x", pcOff)
}

func (h *Walker) fixedArrayLengthOffset() int64 { return h.Layout.FixedArray.Length }
