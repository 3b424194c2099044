// Package stack walks the stacks of a core's threads: frames by frame
// pointer, the Code object of a pc, source positions, deoptimization
// translations and the functions inlined into optimized frames, and the
// names Node's stack traces give them.
package stack

import (
	"sync"

	"github.com/ndb-debugger/ndb/unwind"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Value is a tagged V8 word.
type Value = object.Value

// Walker reads the frames of one core with its heap's layout. It holds the
// caches of the tables it reads from the executable.
type Walker struct {
	*object.Heap

	kindOf    map[int]FrameKind // frame type marker → kind
	tierFrame map[Tier]string   // tier → the V8 frame type name of its frames

	namesMu  sync.Mutex
	symbols  map[uint64]string // symbol text by pc
	sfiNames map[Value]string  // function name by SharedFunctionInfo
	scripts  map[Value]string  // name by Script
	// positions: script offset by bytecode array and offset
	positions map[bytecodePos]positionResult

	unwindOnce sync.Once
	unwind     *unwind.Unwinder

	sizesOnce sync.Once
	sizes     *bytecodeSizeTable
	sizesErr  error
}

// NewWalker prepares stack walking on a heap.
func NewWalker(h *object.Heap) *Walker {
	w := &Walker{Heap: h, kindOf: map[int]FrameKind{}, tierFrame: map[Tier]string{},
		symbols: map[uint64]string{}, sfiNames: map[Value]string{}, scripts: map[Value]string{},
		positions: map[bytecodePos]positionResult{}}
	for v, name := range h.Layout.Frame.TypeNames {
		w.kindOf[v] = markerKind(name)
	}
	for tier, names := range map[Tier][]string{
		TierInterpreted: {"InterpretedFrame"}, TierBaseline: {"BaselineFrame"}, TierMaglev: {"MaglevFrame"},
		TierTurbofan:  {"TurbofanJSFrame", "TurbofanFrame", "OptimizedFrame"},
		TierOptimized: {"TurbofanJSFrame", "TurbofanFrame", "OptimizedFrame"}, TierBuiltin: {"BuiltinFrame"},
	} {
		for _, n := range names {
			if _, ok := h.Meta().FrameType(n); ok {
				w.tierFrame[tier] = n
				break
			}
		}
	}
	return w
}
