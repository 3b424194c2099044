package v8layout

import "fmt"

// fallback is one value the postmortem metadata lacks for some V8
// versions, with the version window where it holds. This table is the only
// place ndb states V8 layout knowledge of its own; every entry says why.
type fallback struct {
	key      string // "Class.field", "const:Name" or "type:NAME"
	from, to [2]int // V8 major.minor window, inclusive; {0,0}..{99,99} = all
	value    int64
	why      string
}

var all = [2][2]int{{0, 0}, {99, 99}}

// fallbacks: validated on real cores of Node 18.20.8 (V8 10.2), 20.20.2
// (11.3), 22.23.3 (12.4), 24.21.0 (13.6) and 26.10.0 (14.6) unless noted.
var fallbacks = []fallback{
	{key: "JSArray.length", from: all[0], to: all[1], value: 24, why: "JSArray::length (Smi) is not emitted"},
	{key: "const:off_fp_argc", from: all[0], to: all[1], value: -24, why: "StandardFrameConstants::kArgCOffset: raw argc incl. receiver"},
	{key: "Map.used_or_unused_instance_size_in_words", from: all[0], to: all[1], value: 10, why: "not emitted"},
	{key: "Map.visitor_id", from: all[0], to: all[1], value: 11, why: "not emitted"},
	{key: "String.raw_hash_field", from: all[0], to: all[1], value: 8, why: "not emitted"},
	{key: "FixedArray.length", from: all[0], to: all[1], value: 8, why: "FixedArrayBase::length (Smi); some versions name it only on FixedArrayBase"},
	{key: "AccessorPair.getter", from: [2]int{14, 0}, to: all[1], value: 8, why: "AccessorPair fields left the metadata in V8 14"},
	{key: "AccessorPair.setter", from: [2]int{14, 0}, to: all[1], value: 16, why: "AccessorPair fields left the metadata in V8 14"},
}

// fieldAliases lists older or newer names of the same field.
var fieldAliases = map[string][]string{
	"Oddball.kind":                                 {"kind_offset"},
	"SharedFunctionInfo.script":                    {"script_or_debug_info", "raw_script"},
	"Script.eval_from_shared_or_wrapped_arguments": {"eval_from_shared_or_wrapped_arguments_or_sfi_table"},
	"FixedArray.length":                            {},
}

// builtinParents is the class hierarchy for the classes ndb prints, used
// when the metadata has no v8dbg_parent_* (V8 11.9 and later).
var builtinParents = map[string]string{
	"JSReceiver": "HeapObject", "JSObject": "JSReceiver", "JSArray": "JSObject",
	"JSFunctionOrBoundFunctionOrWrappedFunction": "JSObject",
	"JSFunction": "JSFunctionOrBoundFunctionOrWrappedFunction", "JSBoundFunction": "JSFunctionOrBoundFunctionOrWrappedFunction",
	"JSPrimitiveWrapper": "JSObject", "JSDate": "JSObject", "JSRegExp": "JSObject", "JSArrayBuffer": "JSObject",
	"JSArrayBufferView": "JSObject", "JSTypedArray": "JSArrayBufferView", "JSDataView": "JSArrayBufferView",
	"JSCollection": "JSObject", "JSMap": "JSCollection", "JSSet": "JSCollection",
	"JSWeakCollection": "JSObject", "JSWeakMap": "JSWeakCollection", "JSWeakSet": "JSWeakCollection",
	"JSError": "JSObject", "JSPromise": "JSObject", "JSProxy": "JSReceiver",
	"JSGlobalObject": "JSObject", "JSGlobalProxy": "JSObject",
	"Name": "HeapObject", "String": "Name", "Symbol": "Name",
	"SeqString": "String", "SeqOneByteString": "SeqString", "SeqTwoByteString": "SeqString",
	"ConsString": "String", "SlicedString": "String", "ThinString": "String", "ExternalString": "String",
	"ExternalOneByteString": "ExternalString", "ExternalTwoByteString": "ExternalString",
	"FixedArrayBase": "HeapObject", "FixedArray": "FixedArrayBase", "FixedDoubleArray": "FixedArrayBase",
	"Map": "HeapObject", "Oddball": "PrimitiveHeapObject", "HeapNumber": "PrimitiveHeapObject",
	"PrimitiveHeapObject": "HeapObject", "SharedFunctionInfo": "HeapObject", "Script": "Struct",
	"Struct": "HeapObject", "Context": "HeapObject", "ScopeInfo": "HeapObject",
}

func inWindow(maj, min int, from, to [2]int) bool {
	v := maj*1000 + min
	return v >= from[0]*1000+from[1] && v <= to[0]*1000+to[1]
}

// applyFallbacks adds the table's values that the metadata lacks.
func (m *Metadata) applyFallbacks() {
	for _, f := range fallbacks {
		if !inWindow(m.Major, m.Minor, f.from, f.to) {
			continue
		}
		c := Constant{Name: "fallback:" + f.key, Value: f.value, Source: fmt.Sprintf("%s (%s)", SourceFallback, f.why)}
		switch {
		case len(f.key) > 6 && f.key[:6] == "const:":
			if _, ok := m.misc[f.key[6:]]; ok {
				continue
			}
			m.misc[f.key[6:]] = c
		case len(f.key) > 5 && f.key[:5] == "type:":
			if _, ok := m.types[f.key[5:]]; ok {
				continue
			}
			m.types[f.key[5:]] = int(f.value)
			m.typeNames[int(f.value)] = append(m.typeNames[int(f.value)], f.key[5:])
		default:
			cls, field := splitKey(f.key)
			if _, ok := m.Field(cls, field); ok {
				continue
			}
			if m.fields[cls] == nil {
				m.fields[cls] = map[string][]fieldEntry{}
			}
			m.fields[cls][field] = []fieldEntry{{typ: "fallback", value: f.value, source: SourceFallback}}
		}
		m.fallbacks = append(m.fallbacks, c)
	}
}

func splitKey(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '.' {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}
