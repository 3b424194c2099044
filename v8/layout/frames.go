package layout

import "fmt"

func newTagging(md *Metadata) Tagging {
	t := Tagging{TaggedSize: -1}
	if t.Err = md.Require("const:SmiShiftSize", "const:HeapObjectTag", "const:HeapObjectTagMask", "HeapObject.map", "Map.instance_type"); t.Err != nil {
		return t
	}
	if ts, ok := md.Const("TaggedSize"); ok {
		t.TaggedSize = ts
		if ts != 8 {
			t.Err = fmt.Errorf("this node was built with pointer compression (TaggedSize %d): not supported", ts)
		}
	}
	shift, _ := md.Const("SmiShiftSize")
	tagSize, ok := md.Const("SmiValueShift")
	if !ok {
		tagSize = 1
	}
	tag, _ := md.Const("HeapObjectTag")
	mask, _ := md.Const("HeapObjectTagMask")
	t.SmiShift, t.TagMask, t.HeapTag = uint(shift+tagSize), uint64(mask), uint64(tag)
	return t
}

func newFrameLayout(m *Metadata) FrameLayout {
	l := FrameLayout{TypeNames: map[int]string{}}
	l.Err = m.Require("const:off_fp_context_or_frame_type", "const:off_fp_function", "const:off_fp_argc",
		"const:off_fp_args", "const:off_fp_bytecode_array", "const:off_fp_bytecode_offset",
		"const:FirstJSFunctionType", "const:LastJSFunctionType", "type:BYTECODE_ARRAY_TYPE",
		"const:ndb_bytecode_offset_bias", "const:ndb_source_position_format", "BytecodeArray.source_position_table", "JSFunction.shared",
		"SharedFunctionInfo.name_or_scope_info", "SharedFunctionInfo.script",
		"Script.name", "Script.source", "Script.line_ends")
	c := func(n string) int64 { v, _ := m.Const(n); return v }
	l.ContextOrFrameType = c("off_fp_context_or_frame_type")
	l.Function = c("off_fp_function")
	l.Argc = c("off_fp_argc")
	l.Args = c("off_fp_args")
	l.BytecodeArray = c("off_fp_bytecode_array")
	l.BytecodeOffset = c("off_fp_bytecode_offset")
	l.MaxMarker = uint64(m.MaxFrameType()) << 1
	l.BytecodeOffsetBias = c("ndb_bytecode_offset_bias")
	l.SourcePositionFormat = int(c("ndb_source_position_format"))
	l.BytecodeWide, l.BytecodeExtraWide = c("ndb_bytecode_wide"), c("ndb_bytecode_extra_wide")
	l.BytecodeArraySourcePositions, _ = m.Field("BytecodeArray", "source_position_table")
	for name, v := range m.frameTypes {
		l.TypeNames[v] = name
	}
	l.CurrentIsolate, l.ThreadTopWindow = currentIsolateTLS(m), threadTopWindow
	return l
}

// threadTopWindow bounds the search for ThreadLocalTop in an Isolate: it
// lies in IsolateData, after the roots and builtin tables (about 40 KB on
// V8 11 to 14; see src/execution/isolate-data.h).
const threadTopWindow = 128 << 10

// currentIsolateTLS names V8's thread-local current isolate
// (v8::internal::g_current_isolate_, src/execution/isolate.cc, V8 ≥ 10.5;
// V8 10.2 of Node 18 keeps it in a pthread key, Isolate::isolate_key_).
func currentIsolateTLS(m *Metadata) string {
	if m.Major > 10 || m.Major == 10 && m.Minor >= 5 {
		return "_ZN2v88internal18g_current_isolate_E"
	}
	return ""
}

func newCodeLayout(m *Metadata) CodeLayout {
	l := CodeLayout{}
	req := []string{"type:CODE_TYPE", "Code.deoptimization_data", "Code.source_position_table",
		"Code.instruction_size", "Code.flags", "const:CodeKindFieldMask", "const:CodeKindFieldShift",
		"const:CodeKindBaseline", "const:CodeKindMaglev", "const:CodeKindTurbofan",
		"const:DeoptimizationDataInlinedFunctionCountIndex", "const:DeoptimizationDataLiteralArrayIndex",
		"const:DeoptimizationDataInliningPositionsIndex", "const:ndb_inlining_position_size",
		"const:ndb_inlining_position_function_offset", "const:ndb_source_position_format"}
	_, hasStream := m.Type("INSTRUCTION_STREAM_TYPE")
	if hasStream {
		req = append(req, "InstructionStream.code", "InstructionStream.instruction_start", "Code.instruction_stream")
	} else {
		req = append(req, "Code.instruction_start")
	}
	if l.Err = m.Require(req...); l.Err != nil {
		return l
	}
	c := func(n string) int64 { v, _ := m.Const(n); return v }
	f := func(cls, n string) int64 { v, _ := m.Field(cls, n); return v }
	if hasStream {
		l.StreamCode = f("InstructionStream", "code")
		l.StreamBody = f("InstructionStream", "instruction_start")
		l.InstructionStream = f("Code", "instruction_stream")
	} else {
		l.Body = f("Code", "instruction_start")
	}
	l.DeoptimizationData = f("Code", "deoptimization_data")
	l.SourcePositions = f("Code", "source_position_table")
	l.InstructionSize = f("Code", "instruction_size")
	l.Flags = f("Code", "flags")
	l.KindMask, l.KindShift = c("CodeKindFieldMask"), c("CodeKindFieldShift")
	l.KindBaseline, l.KindMaglev, l.KindTurbofan = c("CodeKindBaseline"), c("CodeKindMaglev"), c("CodeKindTurbofan")
	l.DeoptInlinedCountIndex = int(c("DeoptimizationDataInlinedFunctionCountIndex"))
	l.DeoptLiteralsIndex = int(c("DeoptimizationDataLiteralArrayIndex"))
	l.DeoptInliningIndex = int(c("DeoptimizationDataInliningPositionsIndex"))
	l.InliningPositionSize = c("ndb_inlining_position_size")
	l.InliningPositionFunction = c("ndb_inlining_position_function_offset")
	l.InliningPositionPosition = 0
	l.DeoptFirstEntryIndex = c("ndb_deopt_first_entry_index")
	l.DeoptEntrySize = c("ndb_deopt_entry_size")
	l.DeoptTranslationArrayIndex = c("ndb_deopt_translation_array_index")
	l.SourcePositionFormat = int(c("ndb_source_position_format"))
	return l
}
