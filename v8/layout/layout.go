package layout

// Layout is every offset, constant and instance type number ndb reads V8
// objects and frames with, resolved once per core from the postmortem
// metadata, whose fallback table (fallbacks.go) is the only source of
// values the binary lacks. An offset or a type of -1 means "unknown for
// this binary": the code that needs it reports an error for that value
// only. No other package looks a V8 constant up by name.
type Layout struct {
	Meta *Metadata

	Tagging            Tagging
	Map                MapLayout
	HeapObject         HeapObjectLayout
	JSReceiver         JSReceiverLayout
	JSObject           JSObjectLayout
	JSArray            JSArrayLayout
	FixedArray         FixedArrayLayout
	String             StringLayout
	Symbol             SymbolLayout
	Oddball            OddballLayout
	HeapNumber         HeapNumberLayout
	BigInt             BigIntLayout
	DescriptorArray    DescriptorArrayLayout
	Dictionary         DictionaryLayout
	PropertyDetails    PropertyDetailsLayout
	AccessorPair       AccessorPairLayout
	ErrorStackData     ErrorStackDataLayout
	PropertyCell       PropertyCellLayout
	JSFunction         JSFunctionLayout
	JSBoundFunction    JSBoundFunctionLayout
	SharedFunctionInfo SharedFunctionInfoLayout
	UncompiledData     UncompiledDataLayout
	Script             ScriptLayout
	ScopeInfo          ScopeInfoLayout
	Context            ContextLayout
	JSPrimitiveWrapper JSPrimitiveWrapperLayout
	JSDate             JSDateLayout
	JSRegExp           JSRegExpLayout
	JSCollection       JSCollectionLayout
	JSWeakCollection   JSWeakCollectionLayout
	JSWeakRef          JSWeakRefLayout
	JSProxy            JSProxyLayout
	JSPromise          JSPromiseLayout
	JSGenerator        JSGeneratorLayout
	PromiseReaction    PromiseReactionLayout
	PromiseCapability  PromiseCapabilityLayout
	AsyncGenRequest    AsyncGeneratorRequestLayout
	InterpreterData    InterpreterDataLayout
	JSArrayBuffer      JSArrayBufferLayout
	JSArrayBufferView  JSArrayBufferViewLayout
	JSTypedArray       JSTypedArrayLayout
	Types              Types
	HashTable          HashTableLayout
	Frame              FrameLayout
	Code               CodeLayout
	Translation        TranslationOpcodes
	Sizes              *Sizer
}

// Tagging is how a tagged word is a Smi or a heap object pointer.
type Tagging struct {
	SmiShift   uint   // SmiShiftSize + SmiTagSize: 32 on x86-64
	TagMask    uint64 // HeapObjectTagMask
	HeapTag    uint64 // HeapObjectTag
	TaggedSize int64  // 8 without pointer compression; -1 when not given
	Err        error  // the tagging constants are missing
}

// MapLayout holds the offsets of Map (-1 when unknown).
type MapLayout struct {
	InstanceSizeInWords         int64 // Map::instance_size_in_words
	InObjectPropertiesStart     int64 // Map::inobject_properties_start_or_constructor_function_index
	BitField2                   int64 // Map::bit_field2
	BitField3                   int64 // Map::bit_field3
	Prototype                   int64 // Map::prototype
	ConstructorOrBackPointer    int64 // Map::constructor_or_back_pointer
	InstanceDescriptors         int64 // Map::instance_descriptors
	ElementsKindMask            int64 // const bit_field2_elements_kind_mask
	ElementsKindShift           int64 // const bit_field2_elements_kind_shift
	IsDictionaryMapShift        int64 // const bit_field3_is_dictionary_map_shift
	NumberOfOwnDescriptorsMask  int64 // const bit_field3_number_of_own_descriptors_mask
	NumberOfOwnDescriptorsShift int64 // const bit_field3_number_of_own_descriptors_shift
	IsPrototypeMapShift         int64 // const bit_field3_is_prototype_map_shift
	NewTargetIsBaseShift        int64 // const bit_field2_new_target_is_base_shift
	InstanceType                int64 // Map::instance_type
	DictionaryElementsKind      int64 // const elements_dictionary_elements
}

// HeapObjectLayout holds the offsets of HeapObject (-1 when unknown).
type HeapObjectLayout struct {
	Map int64 // HeapObject::map
}

// JSReceiverLayout holds the offsets of JSReceiver (-1 when unknown).
type JSReceiverLayout struct {
	PropertiesOrHash int64 // JSReceiver::raw_properties_or_hash
}

// JSObjectLayout holds the offsets of JSObject (-1 when unknown).
type JSObjectLayout struct {
	Elements int64 // JSObject::elements
}

// JSArrayLayout holds the offsets of JSArray (-1 when unknown).
type JSArrayLayout struct {
	Length int64 // JSArray::length
}

// FixedArrayLayout holds the offsets of FixedArray (-1 when unknown).
type FixedArrayLayout struct {
	Length int64 // FixedArrayBase::length
	Data   int64 // FixedArray::data
}

// StringLayout holds the offsets of String (-1 when unknown).
type StringLayout struct {
	Length                 int64 // String::length
	SeqChars               int64 // SeqOneByteString::chars
	ConsFirst              int64 // ConsString::first
	ConsSecond             int64 // ConsString::second
	SlicedParent           int64 // SlicedString::parent
	SlicedOffset           int64 // SlicedString::offset
	ThinActual             int64 // ThinString::actual
	ExternalResource       int64 // ExternalString::resource
	ExternalDataInResource int64 // nodedbg offset_ExternalString__data__uintptr_t
	RepresentationMask     int64 // const StringRepresentationMask
	EncodingMask           int64 // const StringEncodingMask
	OneByteTag             int64 // const OneByteStringTag
	ExternalResourceData   int64 // ExternalString::resource_data
}

// SymbolLayout holds the offsets of Symbol (-1 when unknown).
type SymbolLayout struct {
	Description int64 // Symbol::name
	Flags       int64 // Symbol::flags
}

// OddballLayout holds the offsets of Oddball (-1 when unknown).
type OddballLayout struct {
	Kind      int64 // Oddball::kind
	False     int64 // const OddballFalse
	True      int64 // const OddballTrue
	Null      int64 // const OddballNull
	Undefined int64 // const OddballUndefined
	TheHole   int64 // const OddballTheHole
}

// HeapNumberLayout holds the offsets of HeapNumber (-1 when unknown).
type HeapNumberLayout struct {
	Value int64 // HeapNumber::value
}

// BigIntLayout holds the offsets of BigInt (-1 when unknown).
type BigIntLayout struct {
	Bitfield int64 // BigInt::bitfield
	Digits   int64 // BigInt::digits
}

// DescriptorArrayLayout holds the offsets of DescriptorArray (-1 when unknown).
type DescriptorArrayLayout struct {
	HeaderSize   int64 // DescriptorArray::header_size
	EntrySize    int64 // const prop_desc_size
	KeyIndex     int64 // const prop_desc_key
	DetailsIndex int64 // const prop_desc_details
	ValueIndex   int64 // const prop_desc_value
}

// DictionaryLayout holds the offsets of Dictionary (-1 when unknown).
type DictionaryLayout struct {
	NamePrefixStart  int64 // const namedictionary_prefix_start_index
	NamePrefixSize   int64 // const namedictionaryshape_prefix_size
	NameEntrySize    int64 // const namedictionaryshape_entry_size
	NumberPrefixSize int64 // const numberdictionaryshape_prefix_size
	NumberEntrySize  int64 // const numberdictionaryshape_entry_size
	GlobalEntrySize  int64 // const globaldictionaryshape_entry_size
	GlobalPrefixSize int64 // const globaldictionaryshape_prefix_size
}

// PropertyDetailsLayout holds the offsets of PropertyDetails (-1 when unknown).
type PropertyDetailsLayout struct {
	KindMask               int64 // const prop_kind_mask
	LocationMask           int64 // const prop_location_mask
	LocationShift          int64 // const prop_location_shift
	IndexMask              int64 // const prop_index_mask
	IndexShift             int64 // const prop_index_shift
	AttributesMask         int64 // const prop_attributes_mask
	AttributesShift        int64 // const prop_attributes_shift
	LocationDescriptor     int64 // const prop_location_Descriptor
	KindAccessor           int64 // const prop_kind_Accessor
	DictionaryStorageShift int64 // const prop_dictionary_storage_shift
}

// ErrorStackDataLayout holds the offsets of ErrorStackData, what an Error's
// stack is when the inspector asked V8 for detailed stack traces (-1 when
// unknown).
type ErrorStackDataLayout struct {
	CallSiteInfosOrFormattedStack int64 // the call sites (a FixedArray) or the formatted stack
}

// AccessorPairLayout holds the offsets of AccessorPair (-1 when unknown).
type AccessorPairLayout struct {
	Getter int64 // AccessorPair::getter
	Setter int64 // AccessorPair::setter
}

// PropertyCellLayout holds the offsets of PropertyCell (-1 when unknown).
type PropertyCellLayout struct {
	Value      int64 // PropertyCell::value
	Name       int64 // PropertyCell::name
	DetailsRaw int64 // PropertyCell::property_details_raw
}

// JSFunctionLayout holds the offsets of JSFunction (-1 when unknown).
type JSFunctionLayout struct {
	Shared  int64 // JSFunction::shared
	Context int64 // JSFunction::context
}

// JSBoundFunctionLayout holds the offsets of JSBoundFunction (-1 when unknown).
type JSBoundFunctionLayout struct {
	Target    int64 // JSBoundFunction::bound_target_function
	This      int64 // JSBoundFunction::bound_this
	Arguments int64 // JSBoundFunction::bound_arguments
}

// SharedFunctionInfoLayout holds the offsets of SharedFunctionInfo (-1 when unknown).
type SharedFunctionInfoLayout struct {
	NameOrScopeInfo           int64 // SharedFunctionInfo::name_or_scope_info
	Script                    int64 // SharedFunctionInfo::script
	FunctionData              int64 // SharedFunctionInfo::function_data
	FunctionTokenOffset       int64 // SharedFunctionInfo::raw_function_token_offset
	Flags                     int64 // SharedFunctionInfo::flags
	Length                    int64 // SharedFunctionInfo::length
	FormalParameterCount      int64 // SharedFunctionInfo::internal_formal_parameter_count (u16, receiver included)
	FunctionKindMask          int64 // const ndb_sfi_function_kind_mask
	FunctionKindShift         int64 // const ndb_sfi_function_kind_shift
	FirstClassConstructorKind int64 // const ndb_function_kind_first_class_constructor
	LastClassConstructorKind  int64 // const ndb_function_kind_last_class_constructor
}

// UncompiledDataLayout holds the offsets of UncompiledData (-1 when unknown).
type UncompiledDataLayout struct {
	InferredName  int64 // UncompiledData::inferred_name
	StartPosition int64 // UncompiledData::start_position
	EndPosition   int64 // UncompiledData::end_position
}

// ScriptLayout holds the offsets of Script (-1 when unknown).
type ScriptLayout struct {
	Source   int64 // Script::source
	Name     int64 // Script::name
	LineEnds int64 // Script::line_ends
}

// ScopeInfoLayout holds the offsets of ScopeInfo (-1 when unknown).
type ScopeInfoLayout struct {
	ParameterCountIndex    int64 // const scopeinfo_idx_nparams
	ContextLocalCountIndex int64 // const scopeinfo_idx_ncontextlocals
	FirstVarsIndex         int64 // const scopeinfo_idx_first_vars
	Flags                  int64 // ScopeInfo::flags: slot 0, the base of the scopeinfo_idx_* slots
}

// ContextLayout holds the offsets of Context (-1 when unknown).
type ContextLayout struct {
	ScopeInfoIndex int64 // const context_idx_scope_info
	PreviousIndex  int64 // const context_idx_prev
	ExtensionIndex int64 // const context_idx_ext: an await context's generator object
	MinSlots       int64 // const context_min_slots: the first slot of a builtin's synthetic context
	Slots          int64 // Context::elements
	Length         int64 // Context::length
}

// JSPrimitiveWrapperLayout holds the offsets of JSPrimitiveWrapper (-1 when unknown).
type JSPrimitiveWrapperLayout struct {
	Value int64 // JSPrimitiveWrapper::value
}

// JSDateLayout holds the offsets of JSDate (-1 when unknown).
type JSDateLayout struct {
	Value         int64 // JSDate::value
	ValueIsDouble int64 // const JSDateValueIsDouble (1: value is a raw double)
}

// JSRegExpLayout holds the offsets of JSRegExp (-1 when unknown).
type JSRegExpLayout struct {
	Source int64 // JSRegExp::source
	Flags  int64 // JSRegExp::flags
}

// JSCollectionLayout holds the offsets of JSCollection (-1 when unknown).
type JSCollectionLayout struct {
	Table int64 // JSCollection::table
}

// JSWeakCollectionLayout holds the offsets of JSWeakCollection (-1 when unknown).
type JSWeakCollectionLayout struct {
	Table int64 // JSWeakCollection::table
}

// JSWeakRefLayout holds the offsets of JSWeakRef (-1 when unknown).
type JSWeakRefLayout struct {
	Target int64 // JSWeakRef::target
}

// JSProxyLayout holds the offsets of JSProxy (-1 when unknown).
type JSProxyLayout struct {
	Target  int64 // JSProxy::target
	Handler int64 // JSProxy::handler
}

// JSPromiseLayout holds the offsets of JSPromise (-1 when unknown).
type JSPromiseLayout struct {
	ReactionsOrResult int64 // JSPromise::reactions_or_result
	Flags             int64 // JSPromise::flags
}

// JSGeneratorLayout holds the offsets of JSGeneratorObject and its async
// subclasses, JSAsyncFunctionObject and JSAsyncGeneratorObject (-1 when
// unknown).
type JSGeneratorLayout struct {
	Function               int64 // JSGeneratorObject::function
	Context                int64 // JSGeneratorObject::context
	Receiver               int64 // JSGeneratorObject::receiver
	InputOrDebugPos        int64 // JSGeneratorObject::input_or_debug_pos: bytecode offset + bias while suspended
	Continuation           int64 // JSGeneratorObject::continuation (Smi): >= 0 suspended, else executing or closed
	ParametersAndRegisters int64 // JSGeneratorObject::parameters_and_registers (FixedArray)
	AsyncFunctionPromise   int64 // JSAsyncFunctionObject::promise
	AsyncGeneratorQueue    int64 // JSAsyncGeneratorObject::queue (AsyncGeneratorRequest or undefined)
}

// PromiseReactionLayout holds the offsets of PromiseReaction (-1 when unknown).
type PromiseReactionLayout struct {
	Next                int64 // PromiseReaction::next (next reaction or Smi 0)
	RejectHandler       int64 // PromiseReaction::reject_handler
	FulfillHandler      int64 // PromiseReaction::fulfill_handler
	PromiseOrCapability int64 // PromiseReaction::promise_or_capability
}

// PromiseCapabilityLayout holds the offsets of PromiseCapability (-1 when unknown).
type PromiseCapabilityLayout struct {
	Promise int64 // PromiseCapability::promise
}

// AsyncGeneratorRequestLayout holds the offsets of AsyncGeneratorRequest (-1 when unknown).
type AsyncGeneratorRequestLayout struct {
	Promise int64 // AsyncGeneratorRequest::promise
}

// InterpreterDataLayout holds the offsets of InterpreterData (-1 when unknown).
type InterpreterDataLayout struct {
	BytecodeArray int64 // InterpreterData::bytecode_array
}

// JSArrayBufferLayout holds the offsets of JSArrayBuffer (-1 when unknown).
type JSArrayBufferLayout struct {
	ByteLength   int64 // JSArrayBuffer::byte_length
	BackingStore int64 // JSArrayBuffer::backing_store
}

// JSArrayBufferViewLayout holds the offsets of JSArrayBufferView (-1 when unknown).
type JSArrayBufferViewLayout struct {
	Buffer     int64 // JSArrayBufferView::buffer
	ByteOffset int64 // JSArrayBufferView::byte_offset
	ByteLength int64 // JSArrayBufferView::byte_length
}

// JSTypedArrayLayout holds the offsets of JSTypedArray (-1 when unknown).
type JSTypedArrayLayout struct {
	Length          int64 // JSTypedArray::length
	ExternalPointer int64 // JSTypedArray::external_pointer
	BasePointer     int64 // JSTypedArray::base_pointer
}

// Types holds instance type numbers and ranges (-1 when unknown).
type Types struct {
	Symbol                            int // SYMBOL_TYPE
	HeapNumber                        int // HEAP_NUMBER_TYPE
	BigInt                            int // BIGINT_TYPE
	Oddball                           int // ODDBALL_TYPE
	Hole                              int // HOLE_TYPE
	Map                               int // MAP_TYPE
	FixedArray                        int // FIXED_ARRAY_TYPE
	FixedDoubleArray                  int // FIXED_DOUBLE_ARRAY_TYPE
	PropertyArray                     int // PROPERTY_ARRAY_TYPE
	DescriptorArray                   int // DESCRIPTOR_ARRAY_TYPE
	JSObject                          int // JS_OBJECT_TYPE
	JSArray                           int // JS_ARRAY_TYPE
	JSFunction                        int // JS_FUNCTION_TYPE
	JSBoundFunction                   int // JS_BOUND_FUNCTION_TYPE
	SharedFunctionInfo                int // SHARED_FUNCTION_INFO_TYPE
	ScopeInfo                         int // SCOPE_INFO_TYPE
	Script                            int // SCRIPT_TYPE
	AccessorPair                      int // ACCESSOR_PAIR_TYPE
	ErrorStackData                    int // ERROR_STACK_DATA_TYPE
	AccessorInfo                      int // ACCESSOR_INFO_TYPE
	JSPrimitiveWrapper                int // JS_PRIMITIVE_WRAPPER_TYPE
	JSDate                            int // JS_DATE_TYPE
	JSRegExp                          int // JS_REG_EXP_TYPE
	JSError                           int // JS_ERROR_TYPE
	JSMap                             int // JS_MAP_TYPE
	JSSet                             int // JS_SET_TYPE
	JSWeakMap                         int // JS_WEAK_MAP_TYPE
	JSWeakSet                         int // JS_WEAK_SET_TYPE
	JSWeakRef                         int // JS_WEAK_REF_TYPE
	JSProxy                           int // JS_PROXY_TYPE
	JSPromise                         int // JS_PROMISE_TYPE
	JSAsyncFunctionObject             int // JS_ASYNC_FUNCTION_OBJECT_TYPE
	JSAsyncGeneratorObject            int // JS_ASYNC_GENERATOR_OBJECT_TYPE
	PromiseReaction                   int // PROMISE_REACTION_TYPE
	PromiseCapability                 int // PROMISE_CAPABILITY_TYPE
	AsyncGeneratorRequest             int // ASYNC_GENERATOR_REQUEST_TYPE
	InterpreterData                   int // INTERPRETER_DATA_TYPE
	JSArrayBuffer                     int // JS_ARRAY_BUFFER_TYPE
	JSTypedArray                      int // JS_TYPED_ARRAY_TYPE
	JSDataView                        int // JS_DATA_VIEW_TYPE
	JSGlobalObject                    int // JS_GLOBAL_OBJECT_TYPE
	JSGlobalProxy                     int // JS_GLOBAL_PROXY_TYPE
	PropertyCell                      int // PROPERTY_CELL_TYPE
	JSArgumentsObject                 int // JS_ARGUMENTS_OBJECT_TYPE
	UncompiledDataWithoutPreparseData int // UNCOMPILED_DATA_WITHOUT_PREPARSE_DATA_TYPE
	UncompiledDataWithPreparseData    int // UNCOMPILED_DATA_WITH_PREPARSE_DATA_TYPE
	FirstNonString                    int // const FirstNonstringType
	APIObject                         int // const APIObjectType
	SpecialAPIObject                  int // const SpecialAPIObjectType
	FirstJSFunction                   int // const FirstJSFunctionType
	LastJSFunction                    int // const LastJSFunctionType
	FirstContext                      int // const FirstContextType
	LastContext                       int // const LastContextType
	BytecodeArray                     int // BYTECODE_ARRAY_TYPE
	ByteArray                         int // BYTE_ARRAY_TYPE
	FreeSpace                         int // FREE_SPACE_TYPE
	WeakFixedArray                    int // WEAK_FIXED_ARRAY_TYPE
	WeakArrayList                     int // WEAK_ARRAY_LIST_TYPE
	StrongDescriptorArray             int // STRONG_DESCRIPTOR_ARRAY_TYPE
	TrustedFixedArray                 int // TRUSTED_FIXED_ARRAY_TYPE
	TrustedByteArray                  int // TRUSTED_BYTE_ARRAY_TYPE
	Code                              int // CODE_TYPE
	InstructionStream                 int // INSTRUCTION_STREAM_TYPE
	SwissNameDictionary               int // SWISS_NAME_DICTIONARY_TYPE
}

// HashTableLayout is the shape of V8's hash tables, in slots.
type HashTableLayout struct {
	OrderedStart          int64 // const OrderedHashTableStartIndex: JSMap and JSSet tables
	OrderedMapEntrySize   int64 // const OrderedHashMapEntrySize
	OrderedSetEntrySize   int64 // const OrderedHashSetEntrySize
	EphemeronEntriesStart int64 // const EphemeronHashTableEntriesStart: JSWeakMap and JSWeakSet tables
}

// FrameLayout is what walking frames needs: frame pointer offsets and the
// frame type markers.
type FrameLayout struct {
	Err error // why frames cannot be decoded with this metadata

	ContextOrFrameType, Function, Argc, Args int64 // const off_fp_*: slots relative to fp
	BytecodeArray, BytecodeOffset            int64 // interpreted frames
	MaxMarker                                uint64
	BytecodeOffsetBias                       int64          // const ndb_bytecode_offset_bias
	BytecodeArraySourcePositions             int64          // BytecodeArray::source_position_table
	SourcePositionFormat                     int            // const ndb_source_position_format
	TypeNames                                map[int]string // frame type marker → V8 frame type name
	BytecodeWide, BytecodeExtraWide          int64          // const ndb_bytecode_wide, ndb_bytecode_extra_wide: the prefix bytecodes

	// CurrentIsolate is the thread-local variable holding the isolate a
	// thread last entered ("" when this V8 has none: V8 10 keeps it in a
	// pthread key). ThreadTopWindow is how many bytes from the isolate's
	// start hold its thread-local top (in IsolateData, after the builtin
	// tables), searched for the last exit frame's frame pointer.
	CurrentIsolate  string
	ThreadTopWindow uint64
}

// CodeLayout is what finding and decoding Code objects needs.
type CodeLayout struct {
	Err error // why Code objects cannot be decoded with this metadata

	StreamCode, StreamBody                                                   int64 // InstructionStream: back pointer to Code, start of instructions
	Body                                                                     int64 // V8 10: start of instructions in Code
	InstructionStream, DeoptimizationData, SourcePositions                   int64
	InstructionSize, Flags                                                   int64
	KindMask, KindShift                                                      int64
	KindBaseline, KindMaglev, KindTurbofan                                   int64
	DeoptInlinedCountIndex, DeoptLiteralsIndex, DeoptInliningIndex           int
	InliningPositionSize, InliningPositionPosition, InliningPositionFunction int64
	SourcePositionFormat                                                     int
	DeoptFirstEntryIndex, DeoptEntrySize, DeoptTranslationArrayIndex         int64 // const ndb_deopt_*
}

// New resolves the layout of a core's V8 from its metadata.
func New(md *Metadata) *Layout {
	f := func(cls, field string) int64 {
		if v, ok := md.Field(cls, field); ok {
			return v
		}
		return -1
	}
	c := func(name string) int64 {
		if v, ok := md.Const(name); ok {
			return v
		}
		return -1
	}
	t := func(name string) int {
		if v, ok := md.Type(name); ok {
			return v
		}
		return -1
	}
	n := func(name string) int64 {
		if v, ok := md.NodeConst(name); ok {
			return v
		}
		return -1
	}
	l := &Layout{Meta: md}
	l.Tagging = newTagging(md)
	l.Map = MapLayout{
		InstanceSizeInWords:         f("Map", "instance_size_in_words"),
		InObjectPropertiesStart:     f("Map", "inobject_properties_start_or_constructor_function_index"),
		BitField2:                   f("Map", "bit_field2"),
		BitField3:                   f("Map", "bit_field3"),
		Prototype:                   f("Map", "prototype"),
		ConstructorOrBackPointer:    f("Map", "constructor_or_back_pointer"),
		InstanceDescriptors:         f("Map", "instance_descriptors"),
		ElementsKindMask:            c("bit_field2_elements_kind_mask"),
		ElementsKindShift:           c("bit_field2_elements_kind_shift"),
		IsDictionaryMapShift:        c("bit_field3_is_dictionary_map_shift"),
		NumberOfOwnDescriptorsMask:  c("bit_field3_number_of_own_descriptors_mask"),
		NumberOfOwnDescriptorsShift: c("bit_field3_number_of_own_descriptors_shift"),
		IsPrototypeMapShift:         c("bit_field3_is_prototype_map_shift"),
		NewTargetIsBaseShift:        c("bit_field2_new_target_is_base_shift"),
		InstanceType:                f("Map", "instance_type"),
		DictionaryElementsKind:      c("elements_dictionary_elements"),
	}
	l.HeapObject = HeapObjectLayout{
		Map: f("HeapObject", "map"),
	}
	l.JSReceiver = JSReceiverLayout{
		PropertiesOrHash: f("JSReceiver", "raw_properties_or_hash"),
	}
	l.JSObject = JSObjectLayout{
		Elements: f("JSObject", "elements"),
	}
	l.JSArray = JSArrayLayout{
		Length: f("JSArray", "length"),
	}
	l.FixedArray = FixedArrayLayout{
		Length: firstKnown(f("FixedArrayBase", "length"), f("FixedArray", "length")),
		Data:   f("FixedArray", "data"),
	}
	l.String = StringLayout{
		Length:                 f("String", "length"),
		SeqChars:               f("SeqOneByteString", "chars"),
		ConsFirst:              f("ConsString", "first"),
		ConsSecond:             f("ConsString", "second"),
		SlicedParent:           f("SlicedString", "parent"),
		SlicedOffset:           f("SlicedString", "offset"),
		ThinActual:             f("ThinString", "actual"),
		ExternalResource:       f("ExternalString", "resource"),
		ExternalDataInResource: n("offset_ExternalString__data__uintptr_t"),
		RepresentationMask:     c("StringRepresentationMask"),
		EncodingMask:           c("StringEncodingMask"),
		OneByteTag:             c("OneByteStringTag"),
		ExternalResourceData:   f("ExternalString", "resource_data"),
	}
	l.Symbol = SymbolLayout{
		Description: f("Symbol", "name"),
		Flags:       f("Symbol", "flags"),
	}
	l.Oddball = OddballLayout{
		Kind:      f("Oddball", "kind"),
		False:     c("OddballFalse"),
		True:      c("OddballTrue"),
		Null:      c("OddballNull"),
		Undefined: c("OddballUndefined"),
		TheHole:   c("OddballTheHole"),
	}
	l.HeapNumber = HeapNumberLayout{
		Value: f("HeapNumber", "value"),
	}
	l.BigInt = BigIntLayout{
		Bitfield: f("BigInt", "bitfield"),
		Digits:   f("BigInt", "digits"),
	}
	l.DescriptorArray = DescriptorArrayLayout{
		HeaderSize:   f("DescriptorArray", "header_size"),
		EntrySize:    c("prop_desc_size"),
		KeyIndex:     c("prop_desc_key"),
		DetailsIndex: c("prop_desc_details"),
		ValueIndex:   c("prop_desc_value"),
	}
	l.Dictionary = DictionaryLayout{
		NamePrefixStart:  c("namedictionary_prefix_start_index"),
		NamePrefixSize:   c("namedictionaryshape_prefix_size"),
		NameEntrySize:    c("namedictionaryshape_entry_size"),
		NumberPrefixSize: c("numberdictionaryshape_prefix_size"),
		NumberEntrySize:  c("numberdictionaryshape_entry_size"),
		GlobalEntrySize:  c("globaldictionaryshape_entry_size"),
		GlobalPrefixSize: c("globaldictionaryshape_prefix_size"),
	}
	l.PropertyDetails = PropertyDetailsLayout{
		KindMask:               c("prop_kind_mask"),
		LocationMask:           c("prop_location_mask"),
		LocationShift:          c("prop_location_shift"),
		IndexMask:              c("prop_index_mask"),
		IndexShift:             c("prop_index_shift"),
		AttributesMask:         c("prop_attributes_mask"),
		AttributesShift:        c("prop_attributes_shift"),
		LocationDescriptor:     c("prop_location_Descriptor"),
		KindAccessor:           c("prop_kind_Accessor"),
		DictionaryStorageShift: c("prop_dictionary_storage_shift"),
	}
	l.ErrorStackData = ErrorStackDataLayout{
		CallSiteInfosOrFormattedStack: f("ErrorStackData", "call_site_infos_or_formatted_stack"),
	}
	l.AccessorPair = AccessorPairLayout{
		Getter: f("AccessorPair", "getter"),
		Setter: f("AccessorPair", "setter"),
	}
	l.PropertyCell = PropertyCellLayout{
		Value:      f("PropertyCell", "value"),
		Name:       f("PropertyCell", "name"),
		DetailsRaw: f("PropertyCell", "property_details_raw"),
	}
	l.JSFunction = JSFunctionLayout{
		Shared:  f("JSFunction", "shared"),
		Context: f("JSFunction", "context"),
	}
	l.JSBoundFunction = JSBoundFunctionLayout{
		Target:    f("JSBoundFunction", "bound_target_function"),
		This:      f("JSBoundFunction", "bound_this"),
		Arguments: f("JSBoundFunction", "bound_arguments"),
	}
	l.SharedFunctionInfo = SharedFunctionInfoLayout{
		NameOrScopeInfo:           f("SharedFunctionInfo", "name_or_scope_info"),
		Script:                    f("SharedFunctionInfo", "script"),
		FunctionData:              f("SharedFunctionInfo", "function_data"),
		FunctionTokenOffset:       f("SharedFunctionInfo", "raw_function_token_offset"),
		Flags:                     f("SharedFunctionInfo", "flags"),
		Length:                    f("SharedFunctionInfo", "length"),
		FormalParameterCount:      f("SharedFunctionInfo", "internal_formal_parameter_count"),
		FunctionKindMask:          c("ndb_sfi_function_kind_mask"),
		FunctionKindShift:         c("ndb_sfi_function_kind_shift"),
		FirstClassConstructorKind: c("ndb_function_kind_first_class_constructor"),
		LastClassConstructorKind:  c("ndb_function_kind_last_class_constructor"),
	}
	l.UncompiledData = UncompiledDataLayout{
		InferredName:  f("UncompiledData", "inferred_name"),
		StartPosition: f("UncompiledData", "start_position"),
		EndPosition:   f("UncompiledData", "end_position"),
	}
	l.Script = ScriptLayout{
		Source:   f("Script", "source"),
		Name:     f("Script", "name"),
		LineEnds: f("Script", "line_ends"),
	}
	l.ScopeInfo = ScopeInfoLayout{
		ParameterCountIndex:    c("scopeinfo_idx_nparams"),
		ContextLocalCountIndex: c("scopeinfo_idx_ncontextlocals"),
		FirstVarsIndex:         c("scopeinfo_idx_first_vars"),
		Flags:                  f("ScopeInfo", "flags"),
	}
	l.Context = ContextLayout{
		ScopeInfoIndex: c("context_idx_scope_info"),
		PreviousIndex:  c("context_idx_prev"),
		ExtensionIndex: c("context_idx_ext"),
		MinSlots:       c("context_min_slots"),
		Slots:          f("Context", "elements"),
		Length:         f("Context", "length"),
	}
	l.JSPrimitiveWrapper = JSPrimitiveWrapperLayout{
		Value: f("JSPrimitiveWrapper", "value"),
	}
	l.JSDate = JSDateLayout{
		Value:         f("JSDate", "value"),
		ValueIsDouble: c("JSDateValueIsDouble"),
	}
	l.JSRegExp = JSRegExpLayout{
		Source: f("JSRegExp", "source"),
		Flags:  f("JSRegExp", "flags"),
	}
	l.JSCollection = JSCollectionLayout{
		Table: f("JSCollection", "table"),
	}
	l.JSWeakCollection = JSWeakCollectionLayout{
		Table: f("JSWeakCollection", "table"),
	}
	l.JSWeakRef = JSWeakRefLayout{
		Target: f("JSWeakRef", "target"),
	}
	l.JSProxy = JSProxyLayout{
		Target:  f("JSProxy", "target"),
		Handler: f("JSProxy", "handler"),
	}
	l.JSPromise = JSPromiseLayout{
		ReactionsOrResult: f("JSPromise", "reactions_or_result"),
		Flags:             f("JSPromise", "flags"),
	}
	l.JSGenerator = JSGeneratorLayout{
		Function:               f("JSGeneratorObject", "function"),
		Context:                f("JSGeneratorObject", "context"),
		Receiver:               f("JSGeneratorObject", "receiver"),
		InputOrDebugPos:        f("JSGeneratorObject", "input_or_debug_pos"),
		Continuation:           f("JSGeneratorObject", "continuation"),
		ParametersAndRegisters: f("JSGeneratorObject", "parameters_and_registers"),
		AsyncFunctionPromise:   f("JSAsyncFunctionObject", "promise"),
		AsyncGeneratorQueue:    f("JSAsyncGeneratorObject", "queue"),
	}
	l.PromiseReaction = PromiseReactionLayout{
		Next:                f("PromiseReaction", "next"),
		RejectHandler:       f("PromiseReaction", "reject_handler"),
		FulfillHandler:      f("PromiseReaction", "fulfill_handler"),
		PromiseOrCapability: f("PromiseReaction", "promise_or_capability"),
	}
	l.PromiseCapability = PromiseCapabilityLayout{Promise: f("PromiseCapability", "promise")}
	l.AsyncGenRequest = AsyncGeneratorRequestLayout{Promise: f("AsyncGeneratorRequest", "promise")}
	l.InterpreterData = InterpreterDataLayout{BytecodeArray: f("InterpreterData", "bytecode_array")}
	l.JSArrayBuffer = JSArrayBufferLayout{
		ByteLength:   f("JSArrayBuffer", "byte_length"),
		BackingStore: f("JSArrayBuffer", "backing_store"),
	}
	l.JSArrayBufferView = JSArrayBufferViewLayout{
		Buffer:     f("JSArrayBufferView", "buffer"),
		ByteOffset: f("JSArrayBufferView", "byte_offset"),
		ByteLength: f("JSArrayBufferView", "byte_length"),
	}
	l.JSTypedArray = JSTypedArrayLayout{
		Length:          f("JSTypedArray", "length"),
		ExternalPointer: f("JSTypedArray", "external_pointer"),
		BasePointer:     f("JSTypedArray", "base_pointer"),
	}
	l.Types = Types{
		Symbol:                            t("SYMBOL_TYPE"),
		HeapNumber:                        t("HEAP_NUMBER_TYPE"),
		BigInt:                            t("BIGINT_TYPE"),
		Oddball:                           t("ODDBALL_TYPE"),
		Hole:                              t("HOLE_TYPE"),
		Map:                               t("MAP_TYPE"),
		FixedArray:                        t("FIXED_ARRAY_TYPE"),
		FixedDoubleArray:                  t("FIXED_DOUBLE_ARRAY_TYPE"),
		PropertyArray:                     t("PROPERTY_ARRAY_TYPE"),
		DescriptorArray:                   t("DESCRIPTOR_ARRAY_TYPE"),
		JSObject:                          t("JS_OBJECT_TYPE"),
		JSArray:                           t("JS_ARRAY_TYPE"),
		JSFunction:                        t("JS_FUNCTION_TYPE"),
		JSBoundFunction:                   t("JS_BOUND_FUNCTION_TYPE"),
		SharedFunctionInfo:                t("SHARED_FUNCTION_INFO_TYPE"),
		ScopeInfo:                         t("SCOPE_INFO_TYPE"),
		Script:                            t("SCRIPT_TYPE"),
		AccessorPair:                      t("ACCESSOR_PAIR_TYPE"),
		ErrorStackData:                    t("ERROR_STACK_DATA_TYPE"),
		AccessorInfo:                      t("ACCESSOR_INFO_TYPE"),
		JSPrimitiveWrapper:                t("JS_PRIMITIVE_WRAPPER_TYPE"),
		JSDate:                            t("JS_DATE_TYPE"),
		JSRegExp:                          t("JS_REG_EXP_TYPE"),
		JSError:                           t("JS_ERROR_TYPE"),
		JSMap:                             t("JS_MAP_TYPE"),
		JSSet:                             t("JS_SET_TYPE"),
		JSWeakMap:                         t("JS_WEAK_MAP_TYPE"),
		JSWeakSet:                         t("JS_WEAK_SET_TYPE"),
		JSWeakRef:                         t("JS_WEAK_REF_TYPE"),
		JSProxy:                           t("JS_PROXY_TYPE"),
		JSPromise:                         t("JS_PROMISE_TYPE"),
		JSAsyncFunctionObject:             t("JS_ASYNC_FUNCTION_OBJECT_TYPE"),
		JSAsyncGeneratorObject:            t("JS_ASYNC_GENERATOR_OBJECT_TYPE"),
		PromiseReaction:                   t("PROMISE_REACTION_TYPE"),
		PromiseCapability:                 t("PROMISE_CAPABILITY_TYPE"),
		AsyncGeneratorRequest:             t("ASYNC_GENERATOR_REQUEST_TYPE"),
		InterpreterData:                   t("INTERPRETER_DATA_TYPE"),
		JSArrayBuffer:                     t("JS_ARRAY_BUFFER_TYPE"),
		JSTypedArray:                      t("JS_TYPED_ARRAY_TYPE"),
		JSDataView:                        t("JS_DATA_VIEW_TYPE"),
		JSGlobalObject:                    t("JS_GLOBAL_OBJECT_TYPE"),
		JSGlobalProxy:                     t("JS_GLOBAL_PROXY_TYPE"),
		PropertyCell:                      t("PROPERTY_CELL_TYPE"),
		JSArgumentsObject:                 t("JS_ARGUMENTS_OBJECT_TYPE"),
		UncompiledDataWithoutPreparseData: t("UNCOMPILED_DATA_WITHOUT_PREPARSE_DATA_TYPE"),
		UncompiledDataWithPreparseData:    t("UNCOMPILED_DATA_WITH_PREPARSE_DATA_TYPE"),
		FirstNonString:                    int(c("FirstNonstringType")),
		APIObject:                         int(c("APIObjectType")),
		SpecialAPIObject:                  int(c("SpecialAPIObjectType")),
		FirstJSFunction:                   int(c("FirstJSFunctionType")),
		LastJSFunction:                    int(c("LastJSFunctionType")),
		FirstContext:                      int(c("FirstContextType")),
		LastContext:                       int(c("LastContextType")),
		BytecodeArray:                     t("BYTECODE_ARRAY_TYPE"),
		ByteArray:                         t("BYTE_ARRAY_TYPE"),
		FreeSpace:                         t("FREE_SPACE_TYPE"),
		WeakFixedArray:                    t("WEAK_FIXED_ARRAY_TYPE"),
		WeakArrayList:                     t("WEAK_ARRAY_LIST_TYPE"),
		StrongDescriptorArray:             t("STRONG_DESCRIPTOR_ARRAY_TYPE"),
		TrustedFixedArray:                 t("TRUSTED_FIXED_ARRAY_TYPE"),
		TrustedByteArray:                  t("TRUSTED_BYTE_ARRAY_TYPE"),
		Code:                              t("CODE_TYPE"),
		InstructionStream:                 t("INSTRUCTION_STREAM_TYPE"),
		SwissNameDictionary:               t("SWISS_NAME_DICTIONARY_TYPE"),
	}
	if l.Types.FirstJSFunction < 0 && l.Types.JSFunction >= 0 {
		l.Types.FirstJSFunction, l.Types.LastJSFunction = l.Types.JSFunction, l.Types.JSFunction
		if v, ok := md.Const("JSFunctionTypeCount"); ok {
			l.Types.LastJSFunction = l.Types.JSFunction + int(v) - 1
		}
	}
	l.HashTable = HashTableLayout{
		OrderedStart:          c("OrderedHashTableStartIndex"),
		OrderedMapEntrySize:   c("OrderedHashMapEntrySize"),
		OrderedSetEntrySize:   c("OrderedHashSetEntrySize"),
		EphemeronEntriesStart: c("EphemeronHashTableEntriesStart"),
	}
	l.Frame = newFrameLayout(md)
	l.Code = newCodeLayout(md)
	l.Translation = newTranslationOpcodes(md)
	l.Sizes = newSizer(l)
	return l
}

// firstKnown is the first offset that is not -1.
func firstKnown(offs ...int64) int64 {
	for _, o := range offs {
		if o >= 0 {
			return o
		}
	}
	return -1
}
