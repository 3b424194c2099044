package object

import (
	"fmt"
	"sort"
)

// FunctionInfo describes a JSFunction or a bound function.
type FunctionInfo struct {
	Addr Value
	Name string // the function's name ("" for anonymous ones)
	// InferredName is V8's guess for anonymous functions ("obj.method").
	InferredName string
	SFI          Value
	Script       Value  // 0 for functions without a script (builtins)
	ScriptName   string // the script's name (file path or node:module)
	// Start, End are source positions of the function (End exclusive);
	// Token is the position of its `function`/name token; -1 if unknown.
	Start, End, Token int
	// Line and Column (1-based) of Token, or of Start; 0 if unknown.
	Line, Column int
	Context      Value

	Bound       bool // a JSBoundFunction: the fields below, not the above
	BoundTarget Value
	BoundThis   Value
	BoundArgs   []Value
}

// DisplayName is the name to show: the name, else the inferred name,
// else "<anonymous>".
func (f *FunctionInfo) DisplayName() string {
	switch {
	case f.Name != "":
		return f.Name
	case f.InferredName != "":
		return f.InferredName
	}
	return "<anonymous>"
}

// Location is "script:line:column", "script" or "".
func (f *FunctionInfo) Location() string {
	switch {
	case f.ScriptName == "":
		return ""
	case f.Line > 0:
		return fmt.Sprintf("%s:%d:%d", f.ScriptName, f.Line, f.Column)
	}
	return f.ScriptName
}

// IsFunction reports whether v is a JSFunction (any of its subtypes) or a
// bound function.
func (h *Heap) IsFunction(v Value) bool {
	if !h.IsHeapObject(v) {
		return false
	}
	t, err := h.InstanceType(v)
	return err == nil && (h.IsFunctionType(t) || t == h.Layout.Types.JSBoundFunction)
}

// SharedInfo returns the SharedFunctionInfo of a JSFunction.
func (h *Heap) SharedInfo(fn Value) (Value, error) {
	t, err := h.InstanceType(fn)
	if err != nil {
		return 0, err
	}
	if !h.IsFunctionType(t) {
		return 0, fmt.Errorf("%#x is not a JSFunction (%s)", uint64(fn), h.TypeNameOf(t))
	}
	md := h.Layout
	if err := need("JSFunction.shared", md.JSFunction.Shared); err != nil {
		return 0, err
	}
	sfi, err := h.Word(fn, md.JSFunction.Shared)
	if err != nil {
		return 0, err
	}
	if st, err := h.InstanceType(sfi); err != nil || st != md.Types.SharedFunctionInfo {
		return 0, fmt.Errorf("function %#x: shared %#x is not a SharedFunctionInfo", uint64(fn), uint64(sfi))
	}
	return sfi, nil
}

// FunctionName returns the name of a JSFunction ("" when anonymous), or
// "bound NAME" for a bound function.
func (h *Heap) FunctionName(fn Value) (string, error) {
	t, err := h.InstanceType(fn)
	if err != nil {
		return "", err
	}
	if t == h.Layout.Types.JSBoundFunction {
		target, err := h.Word(fn, h.Layout.JSBoundFunction.Target)
		if err != nil {
			return "", err
		}
		for i := 0; i < 16 && h.IsHeapObject(target); i++ {
			tt, err := h.InstanceType(target)
			if err != nil || tt != h.Layout.Types.JSBoundFunction {
				break
			}
			target, _ = h.Word(target, h.Layout.JSBoundFunction.Target)
		}
		n, err := h.FunctionName(target)
		return "bound " + n, err
	}
	sfi, err := h.SharedInfo(fn)
	if err != nil {
		return "", err
	}
	return h.SFIName(sfi)
}

// SFIName returns the name of a SharedFunctionInfo: the String in
// name_or_scope_info, or the function name recorded in its ScopeInfo.
func (h *Heap) SFIName(sfi Value) (string, error) {
	md := h.Layout
	if err := need("SharedFunctionInfo.name_or_scope_info", md.SharedFunctionInfo.NameOrScopeInfo); err != nil {
		return "", err
	}
	n, err := h.Word(sfi, md.SharedFunctionInfo.NameOrScopeInfo)
	if err != nil {
		return "", err
	}
	if !h.IsHeapObject(n) {
		return "", nil
	}
	t, err := h.InstanceType(n)
	if err != nil {
		return "", err
	}
	if h.IsStringType(t) {
		return h.StringValue(n)
	}
	if t == md.Types.ScopeInfo {
		si, err := h.ReadScopeInfo(n)
		if err != nil {
			return "", err
		}
		return si.FunctionName, nil
	}
	return "", nil
}

// SFIScript returns the Script of a SharedFunctionInfo, or 0.
func (h *Heap) SFIScript(sfi Value) (Value, error) {
	md := h.Layout
	if err := need("SharedFunctionInfo.script", md.SharedFunctionInfo.Script); err != nil {
		return 0, err
	}
	s, err := h.Word(sfi, md.SharedFunctionInfo.Script)
	if err != nil {
		return 0, err
	}
	// Node ≤ 20: script_or_debug_info; a DebugInfo has the script behind
	// its shared info, which ndb does not follow.
	if !h.IsHeapObject(s) {
		return 0, nil
	}
	if t, err := h.InstanceType(s); err != nil || t != md.Types.Script {
		return 0, nil
	}
	return s, nil
}

// ScriptName returns a Script's name ("" when it has none).
func (h *Heap) ScriptName(script Value) (string, error) {
	md := h.Layout
	n, err := h.Word(script, md.Script.Name)
	if err != nil {
		return "", err
	}
	if !h.IsString(n) {
		return "", nil
	}
	return h.StringValue(n)
}

// ScriptSourceString returns the String object of a Script's source.
func (h *Heap) ScriptSourceString(script Value) (Value, error) {
	src, err := h.Word(script, h.Layout.Script.Source)
	if err != nil {
		return 0, err
	}
	if !h.IsString(src) {
		return 0, fmt.Errorf("script %#x has no source", uint64(script))
	}
	return src, nil
}

// LineEnds returns the positions of the line ends of a script: from its
// line_ends array when V8 computed it, else from its source.
func (h *Heap) LineEnds(script Value) ([]int, error) {
	key := script
	if v, ok := h.lineEnds.Load(key); ok {
		return v.([]int), nil
	}
	md := h.Layout
	var ends []int
	if le, err := h.Word(script, md.Script.LineEnds); err == nil && h.IsHeapObject(le) {
		if t, _ := h.InstanceType(le); t == md.Types.FixedArray {
			if n, err := h.FixedArrayLength(le); err == nil {
				if slots, err := h.fixedSlots(le, 0, n); err == nil {
					for _, s := range slots {
						if h.IsSmi(s) {
							ends = append(ends, int(h.SmiValue(s)))
						}
					}
				}
			}
		}
	}
	if ends == nil {
		src, err := h.ScriptSourceString(script)
		if err != nil {
			return nil, err
		}
		s, _, err := h.ReadString(src, -1)
		if err != nil {
			return nil, err
		}
		pos := 0
		for _, r := range s {
			if r == '\n' {
				ends = append(ends, pos)
			}
			if r >= 0x10000 {
				pos += 2
			} else {
				pos++
			}
		}
		ends = append(ends, pos)
	}
	h.lineEnds.Store(key, ends)
	return ends, nil
}

// LineColumn converts a source position of a script to a 1-based line and
// column.
func (h *Heap) LineColumn(script Value, pos int) (line, col int, err error) {
	ends, err := h.LineEnds(script)
	if err != nil {
		return 0, 0, err
	}
	i := sort.SearchInts(ends, pos)
	start := 0
	if i > 0 {
		start = ends[i-1] + 1
	}
	return i + 1, pos - start + 1, nil
}

// Function decodes a JSFunction or JSBoundFunction.
func (h *Heap) Function(fn Value) (*FunctionInfo, error) {
	t, err := h.InstanceType(fn)
	if err != nil {
		return nil, err
	}
	md := h.Layout
	fi := &FunctionInfo{Addr: fn, Start: -1, End: -1, Token: -1}
	if t == md.Types.JSBoundFunction {
		if err := need("JSBoundFunction.bound_target_function", md.JSBoundFunction.Target, "JSBoundFunction.bound_this", md.JSBoundFunction.This,
			"JSBoundFunction.bound_arguments", md.JSBoundFunction.Arguments); err != nil {
			return nil, err
		}
		fi.Bound = true
		fi.Name, err = h.FunctionName(fn)
		if err != nil {
			return nil, err
		}
		fi.BoundTarget, _ = h.Word(fn, md.JSBoundFunction.Target)
		fi.BoundThis, _ = h.Word(fn, md.JSBoundFunction.This)
		if args, err := h.Word(fn, md.JSBoundFunction.Arguments); err == nil && h.IsHeapObject(args) {
			if n, err := h.FixedArrayLength(args); err == nil && n <= MaxProperties {
				fi.BoundArgs, _ = h.fixedSlots(args, 0, n)
			}
		}
		return fi, nil
	}
	sfi, err := h.SharedInfo(fn)
	if err != nil {
		return nil, err
	}
	fi.SFI = sfi
	fi.Context, _ = h.Word(fn, md.JSFunction.Context)
	if err := h.fillSFI(fi); err != nil {
		return fi, err
	}
	return fi, nil
}

// SharedFunction decodes a SharedFunctionInfo on its own.
func (h *Heap) SharedFunction(sfi Value) (*FunctionInfo, error) {
	fi := &FunctionInfo{SFI: sfi, Start: -1, End: -1, Token: -1}
	return fi, h.fillSFI(fi)
}

func (h *Heap) fillSFI(fi *FunctionInfo) error {
	md := h.Layout
	var err error
	fi.Name, err = h.SFIName(fi.SFI)
	if err != nil {
		return err
	}
	fi.Script, err = h.SFIScript(fi.SFI)
	if err != nil {
		return err
	}
	if fi.Script != 0 {
		fi.ScriptName, _ = h.ScriptName(fi.Script)
	}
	h.positions(fi)
	if fi.Start >= 0 && md.SharedFunctionInfo.FunctionTokenOffset >= 0 {
		if off, err := h.Proc.ReadU16(h.Untag(fi.SFI) + uint64(md.SharedFunctionInfo.FunctionTokenOffset)); err == nil && off != 0xffff && int(off) <= fi.Start {
			fi.Token = fi.Start - int(off)
		}
	}
	if fi.Script != 0 && fi.Start >= 0 {
		pos := fi.Start
		if fi.Token >= 0 {
			pos = fi.Token
		}
		fi.Line, fi.Column, _ = h.LineColumn(fi.Script, pos)
	}
	return nil
}

// positions finds the start and end position of a function: in the
// UncompiledData of a function not compiled yet, else in its ScopeInfo.
func (h *Heap) positions(fi *FunctionInfo) {
	md := h.Layout
	if md.SharedFunctionInfo.FunctionData >= 0 {
		if d, err := h.Word(fi.SFI, md.SharedFunctionInfo.FunctionData); err == nil && h.IsHeapObject(d) {
			if t, err := h.InstanceType(d); err == nil && (t == md.Types.UncompiledDataWithoutPreparseData || t == md.Types.UncompiledDataWithPreparseData) {
				s, err1 := h.Proc.ReadU32(h.Untag(d) + uint64(md.UncompiledData.StartPosition))
				e, err2 := h.Proc.ReadU32(h.Untag(d) + uint64(md.UncompiledData.EndPosition))
				if err1 == nil && err2 == nil && int32(s) >= 0 && int32(e) >= int32(s) {
					fi.Start, fi.End = int(int32(s)), int(int32(e))
				}
				if fi.Name == "" && md.UncompiledData.InferredName >= 0 {
					if n, err := h.Word(d, md.UncompiledData.InferredName); err == nil && h.IsString(n) {
						fi.InferredName, _ = h.StringValue(n)
					}
				}
				return
			}
		}
	}
	n, err := h.Word(fi.SFI, md.SharedFunctionInfo.NameOrScopeInfo)
	if err != nil || !h.IsHeapObject(n) {
		return
	}
	if t, err := h.InstanceType(n); err != nil || t != md.Types.ScopeInfo {
		return
	}
	si, err := h.ReadScopeInfo(n)
	if err != nil {
		return
	}
	fi.Start, fi.End = si.Start, si.End
	if fi.Name == "" {
		fi.InferredName = si.InferredName
	}
}
