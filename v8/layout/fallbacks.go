package layout

// fallback is one value the postmortem metadata lacks for some V8
// versions, with the version window where it holds. This table is the only
// source of defaults for offsets, constants and type numbers (Layout reads
// them through the Metadata); every entry says why. The object readers still
// know a few encodings V8 has kept for years (string representation tags,
// the Smi and weak-reference tag bits, oddball kinds), each commented where
// it is used.
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
	// Object model (::jsprint): classes the generator never described.
	{key: "type:BIGINT_TYPE", from: all[0], to: all[1], value: 129, why: "BigInt has no type symbol; it follows SYMBOL_TYPE (128)"},
	{key: "BigInt.bitfield", from: all[0], to: all[1], value: 8, why: "BigIntBase::bitfield (u32: sign bit 0, length bits 1-30) not emitted"},
	{key: "BigInt.digits", from: all[0], to: all[1], value: 16, why: "BigIntBase digits (64-bit, least significant first) not emitted"},
	{key: "JSPrimitiveWrapper.value", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "JSCollection.table", from: all[0], to: all[1], value: 24, why: "JSMap/JSSet OrderedHashTable, not emitted"},
	{key: "JSWeakCollection.table", from: all[0], to: all[1], value: 24, why: "JSWeakMap/JSWeakSet EphemeronHashTable, not emitted"},
	{key: "JSWeakRef.target", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "JSProxy.target", from: all[0], to: all[1], value: 16, why: "not emitted (JSProxy has no elements slot)"},
	{key: "JSProxy.handler", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "JSPromise.reactions_or_result", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "JSPromise.flags", from: all[0], to: all[1], value: 32, why: "Smi; status in bits 0-1; not emitted"},
	{key: "JSBoundFunction.bound_target_function", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "JSBoundFunction.bound_this", from: all[0], to: all[1], value: 32, why: "not emitted"},
	{key: "JSBoundFunction.bound_arguments", from: all[0], to: all[1], value: 40, why: "FixedArray; not emitted"},
	{key: "JSRegExp.flags", from: all[0], to: all[1], value: 40, why: "Smi after source; not emitted"},
	{key: "JSArrayBufferView.buffer", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "ErrorStackData.call_site_infos_or_formatted_stack", from: all[0], to: all[1], value: 8, why: "first field of the Struct; not emitted"},
	{key: "Symbol.flags", from: all[0], to: all[1], value: 12, why: "u32 after raw_hash_field; bit 0 is_private; not emitted"},
	{key: "PropertyCell.name", from: all[0], to: all[1], value: 8, why: "global object dictionary cells; not emitted"},
	{key: "PropertyCell.property_details_raw", from: all[0], to: all[1], value: 16, why: "not emitted"},
	{key: "PropertyCell.value", from: all[0], to: all[1], value: 24, why: "not emitted"},
	{key: "Context.length", from: all[0], to: all[1], value: 8, why: "Context is FixedArray-shaped; not emitted"},
	{key: "Context.elements", from: all[0], to: all[1], value: 16, why: "first context slot (scope_info); not emitted"},
	{key: "ScopeInfo.flags", from: all[0], to: all[1], value: 8, why: "first ScopeInfo slot; scopeinfo_idx_* count slots from here"},
	{key: "SharedFunctionInfo.function_data", from: [2]int{12, 0}, to: all[1], value: 8, why: "the accessor was removed in V8 12 (UncompiledData positions)"},
	{key: "const:prop_dictionary_storage_shift", from: all[0], to: all[1], value: 8, why: "PropertyDetails::DictionaryStorageField (enumeration index); not emitted"},
	{key: "const:OrderedHashTableStartIndex", from: all[0], to: all[1], value: 3, why: "elements, deleted, buckets, then buckets and entries"},
	{key: "const:OrderedHashMapEntrySize", from: all[0], to: all[1], value: 3, why: "key, value, chain"},
	{key: "const:OrderedHashSetEntrySize", from: all[0], to: all[1], value: 2, why: "key, chain"},
	{key: "const:EphemeronHashTableEntriesStart", from: all[0], to: all[1], value: 3, why: "HashTable prefix start 3, EphemeronHashTableShape prefix 0"},
	{key: "type:HOLE_TYPE", from: [2]int{14, 0}, to: all[1], value: 274, why: "the Hole class lost its type symbol in V8 14 (seen in holey arrays of 26.10.0)"},
	{key: "ExternalString.resource_data", from: all[0], to: all[1], value: 24, why: "cached data pointer of (cacheable) external strings; not emitted"},
	{key: "const:JSDateValueIsDouble", from: [2]int{13, 0}, to: all[1], value: 1, why: "JSDate::value became an unboxed float64 in V8 13 (a tagged Number before)"},
	{key: "const:globaldictionaryshape_prefix_size", from: all[0], to: all[1], value: 2, why: "GlobalDictionaryShape prefix (next enumeration index, hash); not emitted"},
	{key: "const:JSFunctionTypeCount", from: all[0], to: [2]int{11, 99}, value: 17, why: "JSFunction subclass types follow JS_FUNCTION_TYPE; First/LastJSFunctionType are emitted from V8 12"},
	// Async stack traces (validated by matching ::jsstack's async frames against the "at async" frames
	// of new Error().stack in async_chain.js on all five versions; V8's Torque layouts, unchanged
	// from V8 10 to 14).
	{key: "JSGeneratorObject.function", from: all[0], to: all[1], value: 24, why: "first field after JSObject's header; not emitted"},
	{key: "JSGeneratorObject.context", from: all[0], to: all[1], value: 32, why: "not emitted"},
	{key: "JSGeneratorObject.receiver", from: all[0], to: all[1], value: 40, why: "not emitted"},
	{key: "JSGeneratorObject.input_or_debug_pos", from: all[0], to: all[1], value: 48, why: "not emitted; holds the bytecode offset + ndb_bytecode_offset_bias while suspended"},
	{key: "JSGeneratorObject.continuation", from: all[0], to: all[1], value: 64, why: "Smi after resume_mode; not emitted"},
	{key: "JSGeneratorObject.parameters_and_registers", from: all[0], to: all[1], value: 72, why: "FixedArray; not emitted"},
	{key: "JSAsyncFunctionObject.promise", from: all[0], to: all[1], value: 80, why: "after JSGeneratorObject's fields; not emitted"},
	{key: "JSAsyncGeneratorObject.queue", from: all[0], to: all[1], value: 80, why: "after JSGeneratorObject's fields; not emitted"},
	{key: "PromiseReaction.next", from: all[0], to: [2]int{11, 99}, value: 8, why: "Struct fields in order next, reject_handler, fulfill_handler, promise_or_capability; not emitted"},
	{key: "PromiseReaction.reject_handler", from: all[0], to: [2]int{11, 99}, value: 16, why: "as above"},
	{key: "PromiseReaction.fulfill_handler", from: all[0], to: [2]int{11, 99}, value: 24, why: "as above"},
	{key: "PromiseReaction.promise_or_capability", from: all[0], to: [2]int{11, 99}, value: 32, why: "as above"},
	{key: "PromiseReaction.next", from: [2]int{12, 0}, to: all[1], value: 16, why: "V8 12 moved continuation_preserved_embedder_data to the first field; not emitted"},
	{key: "PromiseReaction.reject_handler", from: [2]int{12, 0}, to: all[1], value: 24, why: "as above"},
	{key: "PromiseReaction.fulfill_handler", from: [2]int{12, 0}, to: all[1], value: 32, why: "as above"},
	{key: "PromiseReaction.promise_or_capability", from: [2]int{12, 0}, to: all[1], value: 40, why: "as above"},
	{key: "PromiseCapability.promise", from: all[0], to: all[1], value: 8, why: "first Struct field; not emitted"},
	{key: "AsyncGeneratorRequest.promise", from: all[0], to: all[1], value: 32, why: "after next, resume_mode and value; not emitted"},
	{key: "InterpreterData.bytecode_array", from: all[0], to: all[1], value: 8, why: "first field; not emitted"},
	{key: "const:context_idx_ext", from: all[0], to: all[1], value: 2, why: "Context::EXTENSION_INDEX (after scope_info and previous): an await closure's context keeps the generator there; not emitted"},
	// Call sites of an Error whose stack was never formatted (validated by formatting them on
	// cores of crash.js, type_error.js and json_parse.js and matching the stack node printed).
	{key: "CallSiteInfo.receiver_or_instance", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 8, why: "Struct fields receiver_or_instance, function, code_object, code_offset_or_source_position, flags; not emitted"},
	{key: "CallSiteInfo.function", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 16, why: "as above"},
	{key: "CallSiteInfo.code_object", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 24, why: "as above"},
	{key: "CallSiteInfo.code_object", from: [2]int{12, 0}, to: [2]int{13, 99}, value: 8, why: "V8 12 moved code_object (a trusted pointer) first; not emitted"},
	{key: "CallSiteInfo.receiver_or_instance", from: [2]int{12, 0}, to: [2]int{13, 99}, value: 16, why: "as above"},
	{key: "CallSiteInfo.function", from: [2]int{12, 0}, to: [2]int{13, 99}, value: 24, why: "as above"},
	{key: "CallSiteInfo.code_offset_or_source_position", from: [2]int{10, 0}, to: [2]int{13, 99}, value: 32, why: "Smi; not emitted"},
	{key: "CallSiteInfo.flags", from: [2]int{10, 0}, to: [2]int{13, 99}, value: 40, why: "Smi-tagged CallSiteInfoFlags; not emitted"},
	{key: "const:ndb_call_site_flat_slots", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 6, why: "V8 14 keeps the call sites in one FixedArray, 6 slots a frame: code wrapper, receiver, function, offset, parameters, flags"},
	{key: "const:ndb_call_site_code_slot", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 0, why: "as above"},
	{key: "const:ndb_call_site_receiver_slot", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 1, why: "as above"},
	{key: "const:ndb_call_site_function_slot", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 2, why: "as above"},
	{key: "const:ndb_call_site_offset_slot", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 3, why: "as above"},
	{key: "const:ndb_call_site_flags_slot", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 5, why: "as above"},
	{key: "const:ndb_call_site_is_constructor", from: all[0], to: all[1], value: 8, why: "CallSiteInfoFlags: is_wasm, is_asm_js_wasm, is_strict, is_constructor, is_asm_js_at_number_conversion, is_async, is_builtin, is_source_position_computed"},
	{key: "const:ndb_call_site_is_async", from: all[0], to: all[1], value: 32, why: "as above"},
	{key: "const:ndb_call_site_is_source_position_computed", from: all[0], to: all[1], value: 128, why: "as above: the offset slot then holds the script offset"},
	{key: "const:ndb_function_receiver_named", from: [2]int{13, 0}, to: all[1], value: 1, why: "CallSiteInfo::GetTypeName names a function receiver by its debug name from V8 13 (node 24 and 26 print Module._load, node 22 Function._load)"},
	{key: "const:ndb_call_site_inferred_name", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 1, why: "seen on cores: node 18 and 20 print an anonymous method by its inferred name alone (Module._load, Module._extensions..js) where node 22 prints Function._load and Object..js"},
	{key: "BytecodeWrapper.bytecode", from: [2]int{12, 0}, to: all[1], value: 8, why: "first field after the map; not emitted"},
	{key: "CodeWrapper.code", from: [2]int{12, 0}, to: all[1], value: 8, why: "first field after the map; not emitted"},
	// Heap census (validated by matching ::findjsobjects against V8's heap snapshot).
	{key: "const:bit_field3_is_prototype_map_shift", from: all[0], to: all[1], value: 20, why: "Map::Bits3::IsPrototypeMapBit, just below is_dictionary_map (21); not emitted"},
	{key: "const:bit_field2_new_target_is_base_shift", from: all[0], to: all[1], value: 0, why: "Map::Bits2::NewTargetIsBaseBit, the lowest bit of bit_field2 (is_immutable_prototype next, elements kind from bit 2); not emitted"},
	// Stack frames (validated by matching ::jsstack against the stack trace node printed).
	{key: "BytecodeArray.source_position_table", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 32, why: "not emitted since V8 9.4; after constant_pool and handler_table"},
	{key: "BytecodeArray.source_position_table", from: [2]int{12, 0}, to: [2]int{14, 99}, value: 24, why: "not emitted since V8 9.4; trusted-space layout from V8 12"},
	{key: "const:ndb_bytecode_offset_bias", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 54, why: "interpreted frames hold offset + BytecodeArray::kHeaderSize - kHeapObjectTag; kHeaderSize is one less than the emitted data offset"},
	{key: "const:ndb_bytecode_offset_bias", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 52, why: "as above (data offset 54, header 53)"},
	{key: "const:ndb_bytecode_offset_bias", from: [2]int{12, 0}, to: [2]int{14, 99}, value: 62, why: "as above (data offset 64, header 63)"},
	{key: "const:ndb_source_position_format", from: [2]int{10, 0}, to: [2]int{13, 99}, value: 1, why: "source position tables: code offset delta, sign = expression"},
	{key: "const:ndb_source_position_format", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 2, why: "V8 14: first number is (delta<<1|1), sign = statement"},
	{key: "const:FirstJSFunctionType", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 2065, why: "the JSFunction type range is emitted only from V8 12; JS_FUNCTION_TYPE starts it"},
	{key: "const:LastJSFunctionType", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 2080, why: "the JSFunction type range is emitted only from V8 12; 16 types, class constructors last"},
	{key: "const:FirstJSFunctionType", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 2066, why: "the JSFunction type range is emitted only from V8 12; JS_FUNCTION_TYPE starts it"},
	{key: "const:LastJSFunctionType", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 2081, why: "the JSFunction type range is emitted only from V8 12; 16 types, class constructors last"},
	// Optimized code (validated by matching ::jsstack of warmed-up cores, with inlined frames, against node's trace).
	{key: "Code.deoptimization_data", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 16, why: "not emitted before V8 11; after relocation_info"},
	{key: "Code.source_position_table", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 24, why: "not emitted before V8 11; after deoptimization_data"},
	{key: "Code.deoptimization_data", from: [2]int{12, 0}, to: [2]int{14, 99}, value: 8, why: "trusted Code of V8 12+: deoptimization_data_or_interpreter_data, not emitted"},
	{key: "Code.source_position_table", from: [2]int{12, 0}, to: [2]int{14, 99}, value: 16, why: "trusted Code of V8 12+: position_table (source positions, or bytecode offsets for baseline), not emitted"},
	{key: "Code.instruction_stream", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 32, why: "emitted from V8 12; Code and InstructionStream point at each other"},
	{key: "Code.flags", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 48, why: "emitted in V8 10 and from V8 12; kind in the low bits"},
	{key: "Code.instruction_size", from: [2]int{11, 0}, to: [2]int{11, 99}, value: 56, why: "emitted in V8 10 and from V8 12; after flags and builtin id"},
	{key: "InstructionStream.code", from: [2]int{11, 0}, to: [2]int{14, 99}, value: 8, why: "the back pointer to the Code object, first field after the map; not emitted"},
	{key: "const:CodeKindMaglev", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 12, why: "CodeKind enum: ... INTERPRETED_FUNCTION, BASELINE, MAGLEV, TURBOFAN; only the first two are emitted"},
	{key: "const:CodeKindTurbofan", from: [2]int{10, 0}, to: [2]int{11, 99}, value: 13, why: "as above"},
	{key: "const:CodeKindMaglev", from: [2]int{12, 0}, to: [2]int{13, 99}, value: 11, why: "as above (BASELINE is 10 in V8 12 and 13)"},
	{key: "const:CodeKindTurbofan", from: [2]int{12, 0}, to: [2]int{13, 99}, value: 12, why: "as above"},
	{key: "const:CodeKindMaglev", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 12, why: "as above (BASELINE is 11 again in V8 14)"},
	{key: "const:CodeKindTurbofan", from: [2]int{14, 0}, to: [2]int{14, 99}, value: 13, why: "as above (TURBOFAN_JS)"},
	{key: "const:DeoptimizationDataInlinedFunctionCountIndex", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 1, why: "DeoptimizationData indices are emitted from V8 11"},
	{key: "const:DeoptimizationDataLiteralArrayIndex", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 2, why: "as above"},
	{key: "const:DeoptimizationDataInliningPositionsIndex", from: [2]int{10, 0}, to: [2]int{10, 99}, value: 7, why: "as above"},
	{key: "const:ndb_inlining_position_size", from: all[0], to: all[1], value: 16, why: "InliningPosition: SourcePosition (raw 64 bits) then int inlined_function_id, padded to 16 bytes"},
	{key: "const:ndb_bytecode_wide", from: all[0], to: all[1], value: 0, why: "Bytecode::kWide, the first bytecode: operands of the next bytecode are 2 bytes"},
	{key: "const:ndb_bytecode_extra_wide", from: all[0], to: all[1], value: 1, why: "Bytecode::kExtraWide: operands of the next bytecode are 4 bytes"},
	{key: "const:ndb_inlining_position_function_offset", from: all[0], to: all[1], value: 8, why: "InliningPosition::inlined_function_id: index into the literal array"},
	// Function kinds (names of inlined constructors: a class constructor runs only under new).
	{key: "const:ndb_sfi_function_kind_shift", from: all[0], to: all[1], value: 0, why: "SharedFunctionInfo::flags: FunctionKindBits are the low bits; not emitted"},
	{key: "const:ndb_sfi_function_kind_mask", from: all[0], to: all[1], value: 0x1f, why: "FunctionKindBits: 5 bits (FunctionKind has fewer than 32 values); not emitted"},
	{key: "const:ndb_function_kind_first_class_constructor", from: all[0], to: all[1], value: 3, why: "FunctionKind: normal function, two module kinds, then the class constructors (base, default base, default derived, derived); not emitted"},
	{key: "const:ndb_function_kind_last_class_constructor", from: all[0], to: all[1], value: 6, why: "as above: kDerivedConstructor ends the class constructors"},
	// Deoptimization points (validated: on warmed-up crash.js cores of all five versions the return address of the optimized frame is the pc of exactly one entry).
	{key: "const:ndb_deopt_translation_array_index", from: all[0], to: all[1], value: 0, why: "DeoptimizationData::kTranslationByteArrayIndex (a (trusted) byte array); not emitted"},
	{key: "const:ndb_deopt_first_entry_index", from: [2]int{10, 0}, to: [2]int{12, 99}, value: 11, why: "DeoptimizationData::kFirstDeoptEntryIndex: after the deopt exit start and the eager and lazy counts; not emitted"},
	{key: "const:ndb_deopt_first_entry_index", from: [2]int{13, 0}, to: [2]int{14, 99}, value: 12, why: "as above; V8 13 added the protected literal array to the header"},
	{key: "const:ndb_deopt_entry_size", from: all[0], to: all[1], value: 3, why: "DeoptimizationData::kDeoptEntrySize: bytecode offset, translation index, pc (-1 for eager deopts)"},
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
		c := Constant{Name: "fallback:" + f.key, Value: f.value, Source: SourceFallback, Reason: f.why}
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

// translationOpcodes: the deoptimization translation opcodes of each V8
// line in enum order, each "NAME/operand count". The metadata has none.
// V8 10 and 11 keep TranslationOpcodeToString's names array in the binary
// (18.20.8 and 20.20.2 read from it; 18.20.8's operand counts array too);
// V8 12 to 14 print them through a switch, whose strings lie in the binary
// in enum order where the linker did not merge them into longer ones: the
// lists below are V8's translation-opcode.h of each line, checked against
// that order, and TestTranslationsParse decodes the whole translation
// array of the optimized frame of warmed-up crash.js cores of all five
// versions with them (its deopt point starts at a BEGIN of that decoding;
// the stack-slot opcode bytes seen are 0x30, 0x1f, 0x23, 0x28, 0x28), and
// every translation there, with the instructions it shares with an earlier
// one (MATCH_PREVIOUS_TRANSLATION, V8 11+), into the frame and JS frame
// counts its BEGIN states. INLINED_EXTRA_ARGUMENTS has 3 operands from V8
// 13 (V8's frame-translation-builder adds the parameter count; with 2 the
// translations of 24.21.0 and 26.10.0 misalign after it).
var translationOpcodes = []struct {
	from, to   [2]int
	vlqOpcodes bool // V8 10: opcodes are signed VLQ numbers like operands; later one byte
	list       string
}{
	{[2]int{10, 0}, [2]int{10, 99}, true, "ARGUMENTS_ADAPTOR_FRAME/2 ARGUMENTS_ELEMENTS/1 ARGUMENTS_LENGTH/0 BEGIN/3 BOOL_REGISTER/1 BOOL_STACK_SLOT/1 " +
		"BUILTIN_CONTINUATION_FRAME/3 CAPTURED_OBJECT/1 CONSTRUCT_STUB_FRAME/3 DOUBLE_REGISTER/1 DOUBLE_STACK_SLOT/1 DUPLICATED_OBJECT/1 " +
		"FLOAT_REGISTER/1 FLOAT_STACK_SLOT/1 INT32_REGISTER/1 INT32_STACK_SLOT/1 INT64_REGISTER/1 INT64_STACK_SLOT/1 INTERPRETED_FRAME/5 " +
		"JAVA_SCRIPT_BUILTIN_CONTINUATION_FRAME/3 JAVA_SCRIPT_BUILTIN_CONTINUATION_WITH_CATCH_FRAME/3 JS_TO_WASM_BUILTIN_CONTINUATION_FRAME/4 " +
		"LITERAL/1 REGISTER/1 STACK_SLOT/1 UINT32_REGISTER/1 UINT32_STACK_SLOT/1 UPDATE_FEEDBACK/2"},
	{[2]int{11, 0}, [2]int{11, 99}, false, "ARGUMENTS_ELEMENTS/1 ARGUMENTS_LENGTH/0 BEGIN_WITHOUT_FEEDBACK/3 BEGIN_WITH_FEEDBACK/3 BOOL_REGISTER/1 BOOL_STACK_SLOT/1 " +
		"BUILTIN_CONTINUATION_FRAME/3 CAPTURED_OBJECT/1 CONSTRUCT_STUB_FRAME/3 DOUBLE_REGISTER/1 DOUBLE_STACK_SLOT/1 DUPLICATED_OBJECT/1 " +
		"FLOAT_REGISTER/1 FLOAT_STACK_SLOT/1 INLINED_EXTRA_ARGUMENTS/2 INT32_REGISTER/1 INT32_STACK_SLOT/1 INT64_REGISTER/1 INT64_STACK_SLOT/1 " +
		"SIGNED_BIGINT64_REGISTER/1 SIGNED_BIGINT64_STACK_SLOT/1 UNSIGNED_BIGINT64_REGISTER/1 UNSIGNED_BIGINT64_STACK_SLOT/1 " +
		"INTERPRETED_FRAME_WITH_RETURN/5 INTERPRETED_FRAME_WITHOUT_RETURN/3 JAVA_SCRIPT_BUILTIN_CONTINUATION_FRAME/3 " +
		"JAVA_SCRIPT_BUILTIN_CONTINUATION_WITH_CATCH_FRAME/3 JS_TO_WASM_BUILTIN_CONTINUATION_FRAME/4 OPTIMIZED_OUT/0 LITERAL/1 REGISTER/1 " +
		"STACK_SLOT/1 UINT32_REGISTER/1 UINT32_STACK_SLOT/1 UPDATE_FEEDBACK/2 MATCH_PREVIOUS_TRANSLATION/1"},
	{[2]int{12, 0}, [2]int{12, 99}, false, "INTERPRETED_FRAME_WITH_RETURN/5 INTERPRETED_FRAME_WITHOUT_RETURN/3 JAVA_SCRIPT_BUILTIN_CONTINUATION_FRAME/3 " +
		"JAVA_SCRIPT_BUILTIN_CONTINUATION_WITH_CATCH_FRAME/3 CONSTRUCT_CREATE_STUB_FRAME/2 CONSTRUCT_INVOKE_STUB_FRAME/1 BUILTIN_CONTINUATION_FRAME/3 " +
		"JS_TO_WASM_BUILTIN_CONTINUATION_FRAME/4 WASM_INLINED_INTO_JS_FRAME/3 INLINED_EXTRA_ARGUMENTS/2 ARGUMENTS_ELEMENTS/1 ARGUMENTS_LENGTH/0 " +
		"BEGIN_WITHOUT_FEEDBACK/3 BEGIN_WITH_FEEDBACK/3 BOOL_REGISTER/1 BOOL_STACK_SLOT/1 CAPTURED_OBJECT/1 DOUBLE_REGISTER/1 DOUBLE_STACK_SLOT/1 " +
		"HOLEY_DOUBLE_REGISTER/1 HOLEY_DOUBLE_STACK_SLOT/1 DUPLICATED_OBJECT/1 FLOAT_REGISTER/1 FLOAT_STACK_SLOT/1 INT32_REGISTER/1 INT32_STACK_SLOT/1 " +
		"INT64_REGISTER/1 INT64_STACK_SLOT/1 SIGNED_BIGINT64_REGISTER/1 SIGNED_BIGINT64_STACK_SLOT/1 UNSIGNED_BIGINT64_REGISTER/1 " +
		"UNSIGNED_BIGINT64_STACK_SLOT/1 OPTIMIZED_OUT/0 LITERAL/1 REGISTER/1 TAGGED_STACK_SLOT/1 UINT32_REGISTER/1 UINT32_STACK_SLOT/1 " +
		"UPDATE_FEEDBACK/2 MATCH_PREVIOUS_TRANSLATION/1"},
	{[2]int{13, 0}, [2]int{14, 99}, false, "INTERPRETED_FRAME_WITH_RETURN/6 INTERPRETED_FRAME_WITHOUT_RETURN/4 JAVASCRIPT_BUILTIN_CONTINUATION_FRAME/3 " +
		"JAVASCRIPT_BUILTIN_CONTINUATION_WITH_CATCH_FRAME/3 CONSTRUCT_CREATE_STUB_FRAME/2 CONSTRUCT_INVOKE_STUB_FRAME/1 BUILTIN_CONTINUATION_FRAME/3 " +
		"JS_TO_WASM_BUILTIN_CONTINUATION_FRAME/4 WASM_INLINED_INTO_JS_FRAME/3 LIFTOFF_FRAME/3 INLINED_EXTRA_ARGUMENTS/3 ARGUMENTS_ELEMENTS/1 " +
		"ARGUMENTS_LENGTH/0 REST_LENGTH/0 BEGIN_WITHOUT_FEEDBACK/3 BEGIN_WITH_FEEDBACK/3 BOOL_REGISTER/1 BOOL_STACK_SLOT/1 CAPTURED_OBJECT/1 " +
		"STRING_CONCAT/0 DOUBLE_REGISTER/1 DOUBLE_STACK_SLOT/1 SIMD128_STACK_SLOT/1 HOLEY_DOUBLE_REGISTER/1 HOLEY_DOUBLE_STACK_SLOT/1 " +
		"SIMD128_REGISTER/1 DUPLICATED_OBJECT/1 FLOAT_REGISTER/1 FLOAT_STACK_SLOT/1 INT32_REGISTER/1 INT32_STACK_SLOT/1 INT64_REGISTER/1 " +
		"INT64_STACK_SLOT/1 SIGNED_BIGINT64_REGISTER/1 SIGNED_BIGINT64_STACK_SLOT/1 UNSIGNED_BIGINT64_REGISTER/1 UNSIGNED_BIGINT64_STACK_SLOT/1 " +
		"OPTIMIZED_OUT/0 LITERAL/1 REGISTER/1 TAGGED_STACK_SLOT/1 UINT32_REGISTER/1 UINT32_STACK_SLOT/1 UPDATE_FEEDBACK/2 " +
		"MATCH_PREVIOUS_TRANSLATION/1"},
}
