package v8layout

import (
	"fmt"
	"sync"
)

// model holds the offsets and type numbers the object model uses, resolved
// once per Heap from the metadata (and its fallback table). An offset of -1
// means "unknown for this binary": the code that needs it reports an error
// for that value only.
type model struct {
	// Map
	mapInstanceSize, mapInObjStart, mapBitField2, mapBitField3 int64
	mapPrototype, mapConstructor, mapDescriptors               int64
	ekMask, ekShift, dictShift, nodMask, nodShift              int64
	ekDictionary                                               int64
	// receivers
	propsOrHash, elements, arrayLength, fixedLen, fixedData int64
	// strings
	strLength, seqChars, consFirst, consSecond, slicedParent, slicedOffset int64
	thinActual, extResource, extDataOff                                    int64
	symName, symFlags                                                      int64
	// primitives
	oddKind, numValue, bigBitfield, bigDigits int64
	// descriptors and dictionaries
	descHeader, descEntry, descKey, descDetails, descValue       int64
	ndPrefixStart, ndPrefix, ndEntry, numdPrefix, numdEntry      int64
	gdEntry                                                      int64
	pdKindMask, pdLocMask, pdLocShift, pdIndexMask, pdIndexShift int64
	pdAttrMask, pdAttrShift, pdLocDescriptor, pdKindAccessor     int64
	accGetter, accSetter, cellValue                              int64
	// functions
	fnShared, fnContext, bfTarget, bfThis, bfArgs                  int64
	sfiName, sfiScript, sfiData, sfiTokenOffset, sfiFlags, sfiLen  int64
	uncInferred, uncStart, uncEnd                                  int64
	scriptSource, scriptName, scriptLineEnds                       int64
	siNParams, siNLocals, siFirstVars, ctxScope, ctxPrev, ctxSlots int64
	// built-ins
	wrapperValue, dateValue, reSource, reFlags, collTable, weakTable, weakRefTarget int64
	proxyTarget, proxyHandler, promiseResult, promiseFlags                          int64
	abByteLength, abBackingStore, viewBuffer, viewByteOffset, viewByteLength        int64
	taLength, taExternal, taBase                                                    int64

	oddFalse, oddTrue, oddNull, oddUndefined, oddHole int64

	// instance types (-1 when unknown)
	tSymbol, tHeapNumber, tBigInt, tOddball, tHole, tMap                         int
	tFixedArray, tFixedDoubleArray, tPropertyArray, tDescriptorArray             int
	tJSObject, tJSArray, tJSFunction, tFirstFn, tLastFn, tBoundFunction          int
	tSFI, tScopeInfo, tScript, tFirstCtx, tLastCtx, tAccessorPair, tAccessorInfo int
	tPrimitiveWrapper, tDate, tRegExp, tError, tMap2, tSet, tWeakMap, tWeakSet   int
	tWeakRef, tProxy, tPromise, tArrayBuffer, tTypedArray, tDataView, tGlobalObj int
	tGlobalProxy, tPropertyCell, tArgs, tApiObject, tSpecialApiObject, tUncomp1  int
	tUncomp2, tFirstNonString                                                    int
}

var models sync.Map // *Heap → *model

func (h *Heap) model() *model {
	if m, ok := models.Load(h); ok {
		return m.(*model)
	}
	m := newModel(h.M)
	models.Store(h, m)
	return m
}

func newModel(md *Metadata) *model {
	f := func(cls, field string) int64 {
		if v, ok := md.Field(cls, field); ok {
			return v
		}
		return -1
	}
	c := func(name string, def int64) int64 {
		if v, ok := md.Const(name); ok {
			return v
		}
		return def
	}
	t := func(names ...string) int {
		for _, n := range names {
			if v, ok := md.Type(n); ok {
				return v
			}
		}
		return -1
	}
	m := &model{
		mapInstanceSize: f("Map", "instance_size_in_words"),
		mapInObjStart:   f("Map", "inobject_properties_start_or_constructor_function_index"),
		mapBitField2:    f("Map", "bit_field2"),
		mapBitField3:    f("Map", "bit_field3"),
		mapPrototype:    f("Map", "prototype"),
		mapConstructor:  f("Map", "constructor_or_back_pointer"),
		mapDescriptors:  f("Map", "instance_descriptors"),
		ekMask:          c("bit_field2_elements_kind_mask", -1),
		ekShift:         c("bit_field2_elements_kind_shift", -1),
		dictShift:       c("bit_field3_is_dictionary_map_shift", -1),
		nodMask:         c("bit_field3_number_of_own_descriptors_mask", -1),
		nodShift:        c("bit_field3_number_of_own_descriptors_shift", -1),
		ekDictionary:    c("elements_dictionary_elements", -1),

		propsOrHash: f("JSReceiver", "raw_properties_or_hash"),
		elements:    f("JSObject", "elements"),
		arrayLength: f("JSArray", "length"),
		fixedLen:    f("FixedArrayBase", "length"),
		fixedData:   f("FixedArray", "data"),

		strLength:    f("String", "length"),
		seqChars:     f("SeqOneByteString", "chars"),
		consFirst:    f("ConsString", "first"),
		consSecond:   f("ConsString", "second"),
		slicedParent: f("SlicedString", "parent"),
		slicedOffset: f("SlicedString", "offset"),
		thinActual:   f("ThinString", "actual"),
		extResource:  f("ExternalString", "resource"),
		symName:      f("Symbol", "name"),
		symFlags:     f("Symbol", "flags"),

		oddKind:     f("Oddball", "kind"),
		numValue:    f("HeapNumber", "value"),
		bigBitfield: f("BigInt", "bitfield"),
		bigDigits:   f("BigInt", "digits"),

		descHeader:      f("DescriptorArray", "header_size"),
		descEntry:       c("prop_desc_size", -1),
		descKey:         c("prop_desc_key", -1),
		descDetails:     c("prop_desc_details", -1),
		descValue:       c("prop_desc_value", -1),
		ndPrefixStart:   c("namedictionary_prefix_start_index", -1),
		ndPrefix:        c("namedictionaryshape_prefix_size", -1),
		ndEntry:         c("namedictionaryshape_entry_size", -1),
		numdPrefix:      c("numberdictionaryshape_prefix_size", -1),
		numdEntry:       c("numberdictionaryshape_entry_size", -1),
		gdEntry:         c("globaldictionaryshape_entry_size", -1),
		pdKindMask:      c("prop_kind_mask", -1),
		pdLocMask:       c("prop_location_mask", -1),
		pdLocShift:      c("prop_location_shift", -1),
		pdIndexMask:     c("prop_index_mask", -1),
		pdIndexShift:    c("prop_index_shift", -1),
		pdAttrMask:      c("prop_attributes_mask", -1),
		pdAttrShift:     c("prop_attributes_shift", -1),
		pdLocDescriptor: c("prop_location_Descriptor", -1),
		pdKindAccessor:  c("prop_kind_Accessor", -1),
		accGetter:       f("AccessorPair", "getter"),
		accSetter:       f("AccessorPair", "setter"),
		cellValue:       f("PropertyCell", "value"),

		fnShared:       f("JSFunction", "shared"),
		fnContext:      f("JSFunction", "context"),
		bfTarget:       f("JSBoundFunction", "bound_target_function"),
		bfThis:         f("JSBoundFunction", "bound_this"),
		bfArgs:         f("JSBoundFunction", "bound_arguments"),
		sfiName:        f("SharedFunctionInfo", "name_or_scope_info"),
		sfiScript:      f("SharedFunctionInfo", "script"),
		sfiData:        f("SharedFunctionInfo", "function_data"),
		sfiTokenOffset: f("SharedFunctionInfo", "raw_function_token_offset"),
		sfiFlags:       f("SharedFunctionInfo", "flags"),
		sfiLen:         f("SharedFunctionInfo", "length"),
		uncInferred:    f("UncompiledData", "inferred_name"),
		uncStart:       f("UncompiledData", "start_position"),
		uncEnd:         f("UncompiledData", "end_position"),
		scriptSource:   f("Script", "source"),
		scriptName:     f("Script", "name"),
		scriptLineEnds: f("Script", "line_ends"),
		siNParams:      c("scopeinfo_idx_nparams", -1),
		siNLocals:      c("scopeinfo_idx_ncontextlocals", -1),
		siFirstVars:    c("scopeinfo_idx_first_vars", -1),
		ctxScope:       c("context_idx_scope_info", -1),
		ctxPrev:        c("context_idx_prev", -1),
		ctxSlots:       f("Context", "elements"),

		wrapperValue:   f("JSPrimitiveWrapper", "value"),
		dateValue:      f("JSDate", "value"),
		reSource:       f("JSRegExp", "source"),
		reFlags:        f("JSRegExp", "flags"),
		collTable:      f("JSCollection", "table"),
		weakTable:      f("JSWeakCollection", "table"),
		weakRefTarget:  f("JSWeakRef", "target"),
		proxyTarget:    f("JSProxy", "target"),
		proxyHandler:   f("JSProxy", "handler"),
		promiseResult:  f("JSPromise", "reactions_or_result"),
		promiseFlags:   f("JSPromise", "flags"),
		abByteLength:   f("JSArrayBuffer", "byte_length"),
		abBackingStore: f("JSArrayBuffer", "backing_store"),
		viewBuffer:     f("JSArrayBufferView", "buffer"),
		viewByteOffset: f("JSArrayBufferView", "byte_offset"),
		viewByteLength: f("JSArrayBufferView", "byte_length"),
		taLength:       f("JSTypedArray", "length"),
		taExternal:     f("JSTypedArray", "external_pointer"),
		taBase:         f("JSTypedArray", "base_pointer"),

		oddFalse:     c("OddballFalse", -1),
		oddTrue:      c("OddballTrue", -1),
		oddNull:      c("OddballNull", -1),
		oddUndefined: c("OddballUndefined", -1),
		oddHole:      c("OddballTheHole", -1),

		tSymbol:           t("SYMBOL_TYPE"),
		tHeapNumber:       t("HEAP_NUMBER_TYPE"),
		tBigInt:           t("BIGINT_TYPE"),
		tOddball:          t("ODDBALL_TYPE"),
		tHole:             t("HOLE_TYPE"),
		tMap:              t("MAP_TYPE"),
		tFixedArray:       t("FIXED_ARRAY_TYPE"),
		tFixedDoubleArray: t("FIXED_DOUBLE_ARRAY_TYPE"),
		tPropertyArray:    t("PROPERTY_ARRAY_TYPE"),
		tDescriptorArray:  t("DESCRIPTOR_ARRAY_TYPE"),
		tJSObject:         t("JS_OBJECT_TYPE"),
		tJSArray:          t("JS_ARRAY_TYPE"),
		tJSFunction:       t("JS_FUNCTION_TYPE"),
		tBoundFunction:    t("JS_BOUND_FUNCTION_TYPE"),
		tSFI:              t("SHARED_FUNCTION_INFO_TYPE"),
		tScopeInfo:        t("SCOPE_INFO_TYPE"),
		tScript:           t("SCRIPT_TYPE"),
		tAccessorPair:     t("ACCESSOR_PAIR_TYPE"),
		tAccessorInfo:     t("ACCESSOR_INFO_TYPE"),
		tPrimitiveWrapper: t("JS_PRIMITIVE_WRAPPER_TYPE"),
		tDate:             t("JS_DATE_TYPE"),
		tRegExp:           t("JS_REG_EXP_TYPE"),
		tError:            t("JS_ERROR_TYPE"),
		tMap2:             t("JS_MAP_TYPE"),
		tSet:              t("JS_SET_TYPE"),
		tWeakMap:          t("JS_WEAK_MAP_TYPE"),
		tWeakSet:          t("JS_WEAK_SET_TYPE"),
		tWeakRef:          t("JS_WEAK_REF_TYPE"),
		tProxy:            t("JS_PROXY_TYPE"),
		tPromise:          t("JS_PROMISE_TYPE"),
		tArrayBuffer:      t("JS_ARRAY_BUFFER_TYPE"),
		tTypedArray:       t("JS_TYPED_ARRAY_TYPE"),
		tDataView:         t("JS_DATA_VIEW_TYPE"),
		tGlobalObj:        t("JS_GLOBAL_OBJECT_TYPE"),
		tGlobalProxy:      t("JS_GLOBAL_PROXY_TYPE"),
		tPropertyCell:     t("PROPERTY_CELL_TYPE"),
		tArgs:             t("JS_ARGUMENTS_OBJECT_TYPE"),
		tUncomp1:          t("UNCOMPILED_DATA_WITHOUT_PREPARSE_DATA_TYPE"),
		tUncomp2:          t("UNCOMPILED_DATA_WITH_PREPARSE_DATA_TYPE"),
		tFirstNonString:   int(c("FirstNonstringType", 128)),
		tApiObject:        int(c("APIObjectType", -1)),
		tSpecialApiObject: int(c("SpecialAPIObjectType", -1)),
		tFirstFn:          int(c("FirstJSFunctionType", -1)),
		tLastFn:           int(c("LastJSFunctionType", -1)),
		tFirstCtx:         int(c("FirstContextType", -1)),
		tLastCtx:          int(c("LastContextType", -1)),
	}
	if m.tFirstFn < 0 {
		m.tFirstFn, m.tLastFn = m.tJSFunction, m.tJSFunction
		if v, ok := md.Const("JSFunctionTypeCount"); ok && m.tJSFunction >= 0 {
			m.tLastFn = m.tJSFunction + int(v) - 1
		}
	}
	if v, ok := md.NodeConst("offset_ExternalString__data__uintptr_t"); ok {
		m.extDataOff = v
	} else {
		m.extDataOff = -1
	}
	return m
}

// need returns an error naming the first unknown offset among the given
// (name, value) pairs.
func need(pairs ...any) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		switch v := pairs[i+1].(type) {
		case int64:
			if v < 0 {
				return fmt.Errorf("V8 metadata lacks %s", pairs[i])
			}
		case int:
			if v < 0 {
				return fmt.Errorf("V8 metadata lacks %s", pairs[i])
			}
		}
	}
	return nil
}
