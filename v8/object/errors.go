package object

import "fmt"

// ErrorStack is an Error's stack as V8 keeps it under the private
// error_stack_symbol: the formatted stack once err.stack was read (or set),
// else the call sites V8 captured when the Error was made, which it formats
// on the first read (ErrorUtils::GetFormattedStack). Exactly one is set.
type ErrorStack struct {
	Holder    Value // the object that holds the symbol: the Error, or a prototype
	Formatted Value // the formatted stack, usually a String
	CallSites Value // the captured call sites (a FixedArray), never formatted
}

// maxPrototypes bounds prototype-chain walks (a corrupt chain can loop).
const maxPrototypes = 64

// ErrorStack finds the error_stack_symbol of obj or of an object on its
// prototype chain, as V8's stack getter does.
func (h *Heap) ErrorStack(obj Value) (*ErrorStack, error) {
	cur := obj
	for range maxPrototypes {
		if !h.IsHeapObject(cur) {
			break
		}
		if t, err := h.InstanceType(cur); err != nil || !h.IsJSReceiverType(t) {
			break
		}
		if v, ok, err := h.errorStackSymbol(cur); err != nil {
			return nil, err
		} else if ok {
			return h.classifyErrorStack(cur, v)
		}
		mi, err := h.MapOf(cur)
		if err != nil {
			return nil, err
		}
		cur = mi.Prototype
	}
	return nil, fmt.Errorf("%#x has no stack: it is not an Error, nor was Error.captureStackTrace called on it", uint64(obj))
}

// errorStackSymbol returns the value of obj's own error_stack_symbol. V8's
// private symbols have no description and are not otherwise named in the
// heap; error_stack_symbol is the first of them on an Error (V8 10-12 add
// only it; from V8 13 an Error's initial map has it first, then
// error_message_symbol).
func (h *Heap) errorStackSymbol(obj Value) (Value, bool, error) {
	props, err := h.Properties(obj)
	if err != nil {
		return 0, false, err
	}
	for _, p := range props {
		if p.Private && p.Name == "Symbol()" && !p.Accessor {
			return p.Value, true, nil
		}
	}
	return 0, false, nil
}

func (h *Heap) classifyErrorStack(holder, v Value) (*ErrorStack, error) {
	es := &ErrorStack{Holder: holder}
	if h.IsHeapObject(v) {
		t, err := h.InstanceType(v)
		if err != nil {
			return nil, err
		}
		switch t {
		case h.Layout.Types.ErrorStackData:
			if err := need("ErrorStackData.call_site_infos_or_formatted_stack", h.Layout.ErrorStackData.CallSiteInfosOrFormattedStack); err != nil {
				return nil, err
			}
			inner, err := h.Word(v, h.Layout.ErrorStackData.CallSiteInfosOrFormattedStack)
			if err != nil {
				return nil, err
			}
			if it, err := h.InstanceType(inner); err == nil && it == h.Layout.Types.FixedArray {
				es.CallSites = inner
			} else {
				es.Formatted = inner
			}
			return es, nil
		case h.Layout.Types.FixedArray:
			es.CallSites = v
			return es, nil
		}
	}
	es.Formatted = v
	return es, nil
}
