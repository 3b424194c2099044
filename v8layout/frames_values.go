package v8layout

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
)

// FrameValue summarises a value found in a frame (an argument, the
// receiver, a thrown value) in one line, and as a JSON value.
func (h *Heap) FrameValue(v Value) (string, any) {
	if h.IsSmi(v) {
		n := h.SmiValue(v)
		return strconv.FormatInt(n, 10), n
	}
	if !h.IsHeapObject(v) {
		s := fmt.Sprintf("%#x", uint64(v))
		return s, map[string]any{"addr": s, "type": "(not a tagged value)"}
	}
	addr := fmt.Sprintf("%#x", uint64(v))
	it, err := h.InstanceType(v)
	if err != nil {
		return addr + " (unreadable)", map[string]any{"addr": addr, "error": err.Error()}
	}
	if fns, ok := h.M.Const("FirstNonstringType"); ok && int64(it) < fns {
		s, err := h.frameString(v, 200)
		if err != nil {
			return addr + " (string)", map[string]any{"addr": addr, "type": "string"}
		}
		return strconv.Quote(s), s
	}
	if t, ok := h.M.Type("HEAP_NUMBER_TYPE"); ok && it == t {
		off, _ := h.M.Field("HeapNumber", "value")
		bits, err := h.P.ReadU64(h.Untag(v) + uint64(off))
		if err == nil {
			f := math.Float64frombits(bits)
			s := strconv.FormatFloat(f, 'g', -1, 64)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return s, s
			}
			return s, f
		}
	}
	if t, ok := h.M.Type("ODDBALL_TYPE"); ok && it == t {
		if k, err := h.Word(v, h.oddballKindOffset()); err == nil && h.IsSmi(k) {
			for _, o := range []struct {
				c    string
				name string
				json any
			}{{"OddballUndefined", "undefined", nil}, {"OddballNull", "null", nil}, {"OddballTrue", "true", true}, {"OddballFalse", "false", false}} {
				if c, ok := h.M.Const(o.c); ok && c == h.SmiValue(k) {
					if o.name == "undefined" {
						return o.name, map[string]any{"type": "undefined"}
					}
					return o.name, o.json
				}
			}
		}
		return "<hole>", map[string]any{"type": "hole"}
	}
	if h.isJSFunction(v) {
		name := "<anonymous>"
		if sfi, err := h.SharedOf(v); err == nil {
			if n := h.sfiName(sfi); n != "" {
				name = n
			}
		}
		return fmt.Sprintf("%s (function %s)", addr, name), map[string]any{"addr": addr, "type": "function", "name": name}
	}
	tn := h.receiverTypeName(v)
	if tn == "" {
		tn = h.M.TypeName(it)
	}
	return fmt.Sprintf("%s (%s)", addr, tn), map[string]any{"addr": addr, "type": tn}
}

// ScriptLines returns lines from..to (1-based, inclusive, clipped) of the
// script of a function.
func (h *Heap) ScriptLines(fn Value, from, to int) ([]string, error) {
	sfi, err := h.SharedOf(fn)
	if err != nil {
		return nil, err
	}
	script, ok := h.scriptOf(sfi)
	if !ok {
		return nil, fmt.Errorf("no script")
	}
	src, err := h.ScriptSource(script)
	if err != nil {
		return nil, err
	}
	ends := computeLineEnds(src)
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
