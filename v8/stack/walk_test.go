package stack

import (
	"context"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testcores"
)

// TestWalkStopsSafely starts walks at bad frame pointers of a real core.
func TestWalkStopsSafely(t *testing.T) {
	h := NewWalker(testcores.Open(t, "crash-22.23.3"))
	th := h.Proc.SignalThread()
	st := h.WalkFrom(context.Background(), th.TID, th.Regs.RIP, 0x7ead00000000, 0, WalkOptions{})
	if !strings.Contains(st.End, "stack ends: fp 0x7ead00000000 not in core") {
		t.Errorf("unmapped fp: end %q", st.End)
	}
	st = h.WalkFrom(context.Background(), th.TID, th.Regs.RIP, th.Regs.RSP+3, 0, WalkOptions{})
	if !strings.Contains(st.End, "misaligned") {
		t.Errorf("misaligned fp: end %q", st.End)
	}
	// A stack word that points below itself: a backwards (corrupted) chain.
	for a := th.Regs.RSP; a < th.Regs.RSP+4096; a += 8 {
		w, err := h.Proc.ReadU64(a)
		if err != nil || w >= a || w < a-4096 || w&7 != 0 {
			continue
		}
		st = h.WalkFrom(context.Background(), th.TID, th.Regs.RIP, a, 0, WalkOptions{})
		if !strings.Contains(st.End, "goes backwards") && !strings.Contains(st.End, "loops") {
			t.Errorf("backwards fp %#x -> %#x: end %q", a, w, st.End)
		}
		break
	}
	st = h.WalkFrom(context.Background(), th.TID, th.Regs.RIP, th.Regs.RBP, 0, WalkOptions{MaxFrames: 5})
	if len(st.Frames) != 5 || !strings.Contains(st.End, "more than 5 frames") {
		t.Errorf("frame limit: %d frames, end %q", len(st.Frames), st.End)
	}
}
