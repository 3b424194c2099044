package object

import (
	"fmt"
)

// ScopeInfo is what ndb reads of a V8 ScopeInfo: the context-local
// variable names, the function name and the source positions.
type ScopeInfo struct {
	Addr          Value
	NParams       int
	ContextLocals []string
	FunctionName  string
	InferredName  string
	Start, End    int // -1 when not found
}

// MaxContextLocals bounds the number of context locals ndb believes.
const MaxContextLocals = 1 << 14

func (h *Heap) scopeSlotBase() (int64, error) {
	v := h.Layout.ScopeInfo.Flags
	if v < 0 {
		return 0, fmt.Errorf("V8 metadata lacks ScopeInfo.flags")
	}
	return v, nil
}

// scopeSlot reads slot i of a ScopeInfo (slot 0 is the flags).
func (h *Heap) scopeSlot(si Value, base int64, i int) (Value, error) {
	return h.Word(si, base+int64(i)*8)
}

// ReadScopeInfo decodes a ScopeInfo. Only the counts and the first
// variable slot are in the metadata; the optional fields that follow the
// context locals (function variable, inferred name, and before V8 12.8 the
// position info) are told apart by their types.
func (h *Heap) ReadScopeInfo(si Value) (*ScopeInfo, error) {
	md := h.Layout
	if err := need("scopeinfo_idx_nparams", md.ScopeInfo.ParameterCountIndex, "scopeinfo_idx_ncontextlocals", md.ScopeInfo.ContextLocalCountIndex,
		"scopeinfo_idx_first_vars", md.ScopeInfo.FirstVarsIndex); err != nil {
		return nil, err
	}
	if t, err := h.InstanceType(si); err != nil || t != md.Types.ScopeInfo {
		return nil, fmt.Errorf("%#x is not a ScopeInfo", uint64(si))
	}
	base, err := h.scopeSlotBase()
	if err != nil {
		return nil, err
	}
	out := &ScopeInfo{Addr: si, Start: -1, End: -1}
	np, err := h.scopeSlot(si, base, int(md.ScopeInfo.ParameterCountIndex))
	if err != nil {
		return nil, err
	}
	nl, err := h.scopeSlot(si, base, int(md.ScopeInfo.ContextLocalCountIndex))
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(np) || !h.IsSmi(nl) || h.SmiValue(nl) < 0 || h.SmiValue(nl) > MaxContextLocals {
		return nil, fmt.Errorf("scope info %#x: bad counts", uint64(si))
	}
	out.NParams = int(h.SmiValue(np))
	n := int(h.SmiValue(nl))
	first := int(md.ScopeInfo.FirstVarsIndex)
	after := first + 2*n
	if n > 0 {
		s0, err := h.scopeSlot(si, base, first)
		if err != nil {
			return nil, err
		}
		if h.IsString(s0) {
			for i := 0; i < n; i++ {
				s, err := h.scopeSlot(si, base, first+i)
				if err != nil {
					return nil, err
				}
				name, _ := h.StringValue(s)
				out.ContextLocals = append(out.ContextLocals, name)
			}
		} else {
			// Many locals: the names are in a NameToIndexHashTable.
			after = first + 1 + n
		}
	}
	fixedPositions := first >= 5
	if fixedPositions {
		s, err1 := h.scopeSlot(si, base, first-2)
		e, err2 := h.scopeSlot(si, base, first-1)
		if err1 == nil && err2 == nil && h.IsSmi(s) && h.IsSmi(e) && h.SmiValue(s) >= 0 && h.SmiValue(e) >= h.SmiValue(s) {
			out.Start, out.End = int(h.SmiValue(s)), int(h.SmiValue(e))
		}
	}
	// The optional slots after the locals, in V8's order: saved class
	// variable (Smi), function variable (name, Smi), inferred name
	// (String or undefined), position info (Smi, Smi; before V8 12.8),
	// outer scope info, ...
	const window = 8
	var w [window]Value
	kind := [window]int{} // 0 other, 1 Smi, 2 String, 3 undefined
	for i := range w {
		v, err := h.scopeSlot(si, base, after+i)
		if err != nil {
			break
		}
		w[i] = v
		switch {
		case h.IsSmi(v):
			kind[i] = 1
		case h.IsString(v):
			kind[i] = 2
		case h.OddballOf(v) == Undefined:
			kind[i] = 3
		}
	}
	i := 0
	if kind[0] == 1 && kind[1] != 2 && !(kind[1] == 1 && kind[2] != 1) && !fixedPositions {
		i = 1 // saved class variable index
	} else if kind[0] == 1 && kind[1] == 2 {
		i = 1
	}
	for ; i < window; i++ {
		if kind[i] == 2 {
			if i+1 < window && kind[i+1] == 1 && out.FunctionName == "" && (i+2 >= window || kind[i+2] != 1 || (i+3 < window && kind[i+3] == 1)) {
				out.FunctionName, _ = h.StringValue(w[i])
				i++
				continue
			}
			out.InferredName, _ = h.StringValue(w[i])
			continue
		}
		if kind[i] == 1 && !fixedPositions && i+1 < window && kind[i+1] == 1 && (i+2 >= window || kind[i+2] != 1) {
			s, e := h.SmiValue(w[i]), h.SmiValue(w[i+1])
			if s >= 0 && e >= s {
				out.Start, out.End = int(s), int(e)
			}
			break
		}
		if kind[i] == 0 {
			break
		}
	}
	return out, nil
}

// Context is a decoded function context.
type Context struct {
	Addr      Value
	ScopeInfo Value
	Previous  Value
	Slots     []Value
}

// ReadContext reads a Context: its scope info, previous context and slots.
func (h *Heap) ReadContext(ctx Value) (*Context, error) {
	md := h.Layout
	t, err := h.InstanceType(ctx)
	if err != nil {
		return nil, err
	}
	if md.Types.FirstContext < 0 || t < md.Types.FirstContext || t > md.Types.LastContext {
		return nil, fmt.Errorf("%#x is not a Context (%s)", uint64(ctx), h.TypeNameOf(t))
	}
	if err := need("Context.length", h.Layout.Context.Length, "Context.elements", h.Layout.Context.Slots); err != nil {
		return nil, err
	}
	lw, err := h.Word(ctx, h.Layout.Context.Length)
	if err != nil {
		return nil, err
	}
	if !h.IsSmi(lw) || h.SmiValue(lw) < 2 || h.SmiValue(lw) > MaxContextLocals+16 {
		return nil, fmt.Errorf("context %#x: bad length %#x", uint64(ctx), uint64(lw))
	}
	n := int(h.SmiValue(lw))
	b, err := h.Proc.Slice(h.Untag(ctx)+uint64(h.Layout.Context.Slots), uint64(n)*8)
	if err != nil {
		return nil, err
	}
	c := &Context{Addr: ctx}
	for i := 0; i < n; i++ {
		c.Slots = append(c.Slots, Value(le64(b[8*i:])))
	}
	c.ScopeInfo = c.Slots[md.Context.ScopeInfoIndex]
	c.Previous = c.Slots[md.Context.PreviousIndex]
	return c, nil
}

// ContextVariable is one captured variable of a closure.
type ContextVariable struct {
	Name  string
	Value Value
}

// ContextVariables returns the variables of one context, named by its
// ScopeInfo. The context-local slots follow the context header (2 slots,
// or 3 with an extension slot): the header length is what remains of the
// context beyond its locals.
func (h *Heap) ContextVariables(ctx Value) ([]ContextVariable, *Context, error) {
	c, err := h.ReadContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	si, err := h.ReadScopeInfo(c.ScopeInfo)
	if err != nil {
		return nil, c, err
	}
	hdr := len(c.Slots) - len(si.ContextLocals)
	if hdr < 2 {
		return nil, c, fmt.Errorf("context %#x has %d slots for %d locals", uint64(ctx), len(c.Slots), len(si.ContextLocals))
	}
	out := make([]ContextVariable, len(si.ContextLocals))
	for i, n := range si.ContextLocals {
		out[i] = ContextVariable{Name: n, Value: c.Slots[hdr+i]}
	}
	return out, c, nil
}
