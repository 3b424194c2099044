package flame

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// Kind is the kind of a frame, which picks its colour.
type Kind int

const (
	KindJSTurbofan Kind = iota
	KindJSMaglev
	KindJSSparkplug
	KindJSInterpreted
	KindJS // JS of unknown tier (.cpuprofile, other JIT code)
	KindBuiltin
	KindRegExp
	KindGC
	KindCompiler
	KindV8
	KindNode
	KindLibuv
	KindKernel
	KindNative
	KindProcess
	KindTruncated
	numKinds
)

type kindStyle struct {
	label   string
	h, s, l float64 // HSL base colour
}

var kindStyles = [numKinds]kindStyle{
	KindJSTurbofan:    {"JS optimized (TurboFan, JS:*)", 122, 0.55, 0.45},
	KindJSMaglev:      {"JS Maglev (JS:+)", 168, 0.55, 0.45},
	KindJSSparkplug:   {"JS baseline (Sparkplug, JS:^)", 84, 0.60, 0.50},
	KindJSInterpreted: {"JS interpreted (Ignition, JS:~)", 54, 0.75, 0.55},
	KindJS:            {"JS", 100, 0.35, 0.55},
	KindBuiltin:       {"V8 builtins", 30, 0.85, 0.58},
	KindRegExp:        {"RegExp", 318, 0.60, 0.60},
	KindGC:            {"GC", 2, 0.75, 0.55},
	KindCompiler:      {"V8 compiler & parser", 268, 0.50, 0.62},
	KindV8:            {"V8 C++ (runtime)", 212, 0.60, 0.62},
	KindNode:          {"Node C++", 190, 0.65, 0.50},
	KindLibuv:         {"libuv", 22, 0.45, 0.42},
	KindKernel:        {"kernel", 220, 0.15, 0.55},
	KindNative:        {"other native (libc, OpenSSL, zlib…)", 40, 0.25, 0.68},
	KindProcess:       {"process / thread", 0, 0, 0.80},
	KindTruncated:     {"stack cut at perf's 127-frame limit", 0, 0, 0.30},
}

func (k Kind) String() string { return kindStyles[k].label }

// stripAnnotation removes a trailing _[k], _[j], _[i] or _[w].
func stripAnnotation(name string) string {
	n := len(name)
	if n >= 4 && name[n-4] == '_' && name[n-3] == '[' && name[n-1] == ']' {
		switch name[n-2] {
		case 'k', 'j', 'i', 'w':
			return name[:n-4]
		}
	}
	return name
}

// jsTier returns the tier of a V8 perf-map name such as "JS:*fib …",
// "LazyCompile:~f …" or "Function:^g …".
func jsTier(name string) (Kind, bool) {
	i := strings.IndexByte(name, ':')
	if i < 0 || i+1 >= len(name) {
		return 0, false
	}
	switch name[:i] {
	case "JS", "LazyCompile", "Function", "Eval", "Script":
	default:
		return 0, false
	}
	switch name[i+1] {
	case '*':
		return KindJSTurbofan, true
	case '+':
		return KindJSMaglev, true
	case '^':
		return KindJSSparkplug, true
	case '~':
		return KindJSInterpreted, true
	}
	return KindJS, true
}

var gcMarkers = []string{
	"v8::internal::Heap::", "v8::internal::Heap<", "Scavenge", "MarkCompact", "MinorMarkSweep",
	"MinorMS", "ConcurrentMarking", "IncrementalMarking", "MarkingVisitor", "MarkingBarrier",
	"MarkingWorklist", "Sweeper", "GCTracer", "v8::internal::heap::", "cppgc::", "Evacuat",
	"v8::internal::MemoryAllocator", "v8::internal::MemoryReducer", "ArrayBufferSweeper",
	"v8::internal::PagedSpace", "v8::internal::SemiSpace", "v8::internal::HeapAllocator",
	"v8::internal::LargeObjectSpace", "PretenuringHandler", "v8::internal::GlobalHandles::",
	"(garbage collector)",
}

var compilerMarkers = []string{
	"v8::internal::compiler::", "v8::internal::maglev::", "v8::internal::baseline::",
	"v8::internal::turboshaft::", "v8::internal::Compiler::", "v8::internal::Parser",
	"v8::internal::ParserBase", "v8::internal::PreParser", "v8::internal::Scanner",
	"v8::internal::interpreter::", "v8::internal::OptimizingCompileDispatcher",
	"v8::internal::parsing::", "v8::internal::Scope::", "v8::internal::DeclarationScope",
	"v8::internal::AstNodeFactory", "v8::internal::BackgroundCompileTask",
}

// classify returns the kind of a frame. depth 1 is the process name.
func classify(name string, depth int) Kind {
	if name == truncatedFrame {
		return KindTruncated
	}
	if depth == 1 {
		return KindProcess
	}
	n := len(name)
	if n >= 4 && strings.HasSuffix(name, "_[k]") {
		return KindKernel
	}
	jit := strings.HasSuffix(name, "_[j]")
	name = stripAnnotation(name)
	if k, ok := jsTier(name); ok {
		return k
	}
	switch {
	case strings.HasPrefix(name, "RegExp:"), strings.HasPrefix(name, "Builtins_RegExp"),
		strings.HasPrefix(name, "Builtin:RegExp"), strings.HasPrefix(name, "v8::internal::RegExp"),
		strings.HasPrefix(name, "v8::internal::Irregexp"):
		return KindRegExp
	case strings.HasPrefix(name, "Builtins_Interpreter"), strings.HasPrefix(name, "Builtin:Interpreter"),
		strings.HasPrefix(name, "BytecodeHandler:"):
		return KindJSInterpreted
	}
	for _, m := range gcMarkers {
		if strings.Contains(name, m) {
			return KindGC
		}
	}
	for _, m := range compilerMarkers {
		if strings.Contains(name, m) {
			return KindCompiler
		}
	}
	switch {
	case strings.HasPrefix(name, "Builtins_"), strings.HasPrefix(name, "Builtin:"),
		strings.HasPrefix(name, "Builtins::"), strings.HasPrefix(name, "Stub:"):
		return KindBuiltin
	case strings.HasPrefix(name, "v8::"), strings.HasPrefix(name, "Runtime_"),
		strings.Contains(name, "v8::internal::"):
		return KindV8
	case strings.HasPrefix(name, "node::"), strings.HasPrefix(name, "napi_"),
		strings.Contains(name, "node::"):
		return KindNode
	case strings.HasPrefix(name, "uv_"), strings.HasPrefix(name, "uv__"):
		return KindLibuv
	case jit:
		return KindJS
	}
	return KindNative
}

// frameColor gives a deterministic colour for a frame: the kind's hue, with
// a lightness and saturation varied by a hash of the name.
func frameColor(k Kind, name string) string {
	st := kindStyles[k]
	h := fnv.New32a()
	h.Write([]byte(name))
	v := float64(h.Sum32()%1000) / 1000 // 0..1
	l := st.l + (v-0.5)*0.12
	s := st.s
	if s > 0 {
		s += (0.5 - v) * 0.1
	}
	return hslToRGB(st.h+(v-0.5)*8, s, l)
}

func legendColor(k Kind) string {
	st := kindStyles[k]
	return hslToRGB(st.h, st.s, st.l)
}

func hslToRGB(h, s, l float64) string {
	h = math.Mod(h+360, 360) / 360
	l = math.Max(0, math.Min(1, l))
	s = math.Max(0, math.Min(1, s))
	var r, g, b float64
	if s == 0 {
		r, g, b = l, l, l
	} else {
		q := l * (1 + s)
		if l >= 0.5 {
			q = l + s - l*s
		}
		p := 2*l - q
		r = hue(p, q, h+1.0/3)
		g = hue(p, q, h)
		b = hue(p, q, h-1.0/3)
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", int(math.Round(r*255)), int(math.Round(g*255)), int(math.Round(b*255)))
}

func hue(p, q, t float64) float64 {
	if t < 0 {
		t++
	}
	if t > 1 {
		t--
	}
	switch {
	case t < 1.0/6:
		return p + (q-p)*6*t
	case t < 0.5:
		return q
	case t < 2.0/3:
		return p + (q-p)*(2.0/3-t)*6
	}
	return p
}

// diffColor follows flamegraph.pl's differential scale: red grew, blue
// shrank, white unchanged.
func diffColor(delta, maxDelta float64) string {
	r, g, b := 255, 255, 255
	if maxDelta <= 0 {
		return "rgb(255,255,255)"
	}
	if delta > 0 {
		g = int(210 * (maxDelta - delta) / maxDelta)
		b = g
	} else if delta < 0 {
		r = int(210 * (maxDelta + delta) / maxDelta)
		g = r
	}
	return fmt.Sprintf("rgb(%d,%d,%d)", r, g, b)
}
