package object

import (
	"fmt"
	"unicode/utf16"
)

// ScriptLines returns lines from..to (1-based, inclusive, clipped) of the
// script of a function.
func (h *Heap) ScriptLines(fn Value, from, to int) ([]string, error) {
	sfi, err := h.SharedOf(fn)
	if err != nil {
		return nil, err
	}
	return h.ScriptLinesOf(sfi, from, to)
}

// ScriptLinesOf returns lines from..to of the script of a
// SharedFunctionInfo.
func (h *Heap) ScriptLinesOf(sfi Value, from, to int) ([]string, error) {
	script, ok := h.ScriptOf(sfi)
	if !ok {
		return nil, fmt.Errorf("no script")
	}
	sv, err := h.ScriptSourceString(script)
	if err != nil {
		return nil, err
	}
	text, err := h.StringValue(sv)
	if err != nil {
		return nil, err
	}
	src := utf16.Encode([]rune(text))
	ends := ComputeLineEnds(src)
	from = max(from, 1)
	to = min(to, len(ends))
	var out []string
	for n := from; n <= to; n++ {
		start := 0
		if n > 1 {
			start = ends[n-2] + 1
		}
		end := ends[n-1]
		if start > end || end > len(src) {
			break
		}
		out = append(out, string(utf16.Decode(src[start:end])))
	}
	return out, nil
}
