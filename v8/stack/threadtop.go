package stack

import (
	"context"
	"fmt"

	"github.com/ndb-debugger/ndb/elfcore"
)

// The second starting point of a walk, independent of native unwinding:
// V8's record of the thread's last exit from JavaScript into C++. Each
// isolate's ThreadLocalTop holds c_entry_fp, the frame pointer of the top
// exit frame (src/execution/thread-local-top.h). The thread's isolate is
// V8's thread-local current isolate; c_entry_fp is the word of the
// isolate's thread-local top that points into the thread's stack at a
// frame whose type marker says exit frame. From there V8's frame walk
// finds the JavaScript frames, however the native frames below them
// defeated the unwinder.

// IsolateOf returns the isolate thread t last entered, as V8's
// thread-local current isolate holds it.
func (h *Walker) IsolateOf(t *elfcore.Thread) (uint64, error) {
	name := h.Layout.Frame.CurrentIsolate
	if name == "" {
		return 0, fmt.Errorf("V8 %d.%d keeps the current isolate in a pthread key", h.Meta().Major, h.Meta().Minor)
	}
	addr, err := h.Proc.ThreadLocal(t, name)
	if err != nil {
		return 0, err
	}
	iso, err := h.Proc.ReadU64(addr)
	if err != nil {
		return 0, fmt.Errorf("thread %d's current isolate at %#x: %v", t.TID, addr, err)
	}
	return iso, nil
}

// ThreadTop is what the thread-local top of a thread's isolate says.
type ThreadTop struct {
	Isolate uint64
	// CEntryFP is the frame pointer of the top exit frame (0: the thread
	// is not in C++ called from JavaScript).
	CEntryFP uint64
}

// ThreadTopOf finds the thread-local top of a thread's isolate.
func (h *Walker) ThreadTopOf(t *elfcore.Thread) (ThreadTop, error) {
	iso, err := h.IsolateOf(t)
	if err != nil || iso == 0 {
		if err == nil {
			err = fmt.Errorf("thread %d has entered no isolate", t.TID)
		}
		return ThreadTop{}, err
	}
	top := ThreadTop{Isolate: iso}
	stack, ok := h.Proc.SegmentAt(t.Regs.RSP)
	if !ok {
		return top, fmt.Errorf("sp %#x is outside every mapping", t.Regs.RSP)
	}
	seg, ok := h.Proc.SegmentAt(iso)
	if !ok || uint64(len(seg.Data)) < iso-seg.Start {
		return top, fmt.Errorf("isolate %#x is not in the core", iso)
	}
	data := seg.Data[iso-seg.Start:]
	n := min(uint64(len(data)), h.Layout.Frame.ThreadTopWindow) &^ 7
	for off := uint64(0); off < n; off += 8 {
		w := le64(data[off:])
		if w < t.Regs.RSP || w >= stack.End || w&7 != 0 {
			continue
		}
		if h.isExitFrame(w) {
			top.CEntryFP = w
			return top, nil
		}
	}
	return top, nil
}

func le64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// isExitFrame reports whether the frame at fp carries an exit frame's type
// marker.
func (h *Walker) isExitFrame(fp uint64) bool {
	marker, err := h.Proc.ReadU64(uint64(int64(fp) + h.Layout.Frame.ContextOrFrameType))
	if err != nil || marker&1 != 0 || marker == 0 || marker > h.Layout.Frame.MaxMarker {
		return false
	}
	return h.kindOf[int(marker>>1)] == KindExit
}

// WalkFromThreadTop walks a thread's V8 frames from its isolate's last
// exit frame.
func (h *Walker) WalkFromThreadTop(ctx context.Context, t *elfcore.Thread, opts WalkOptions) (*Stack, error) {
	top, err := h.ThreadTopOf(t)
	if err != nil {
		return nil, err
	}
	if top.CEntryFP == 0 {
		return nil, fmt.Errorf("isolate %#x records no exit frame on thread %d", top.Isolate, t.TID)
	}
	return h.numbered(h.walk(ctx, t.TID, 0, top.CEntryFP, 0, true, opts)), nil
}
