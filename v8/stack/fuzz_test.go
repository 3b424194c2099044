package stack

import (
	"encoding/binary"
	"testing"

	"github.com/ndb-debugger/ndb/v8/layout"
)

// appendVLQ encodes v as V8 does, in as few groups as it takes.
func appendVLQ(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func FuzzVLQ(f *testing.F) {
	f.Add([]byte{0x00})
	f.Add([]byte{0x7f})
	f.Add([]byte{0x80, 0x01})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, groups := range []int{vlqGroups32, vlqGroups64} {
			v, next, err := readVLQ(b, 0, groups)
			if next < 0 || next > len(b) || next > groups {
				t.Fatalf("next %d for %d bytes", next, len(b))
			}
			if err != nil {
				continue
			}
			if next == 0 {
				t.Fatal("a number of no bytes")
			}
			// What decodes re-encodes to a number that decodes the same.
			enc := appendVLQ(nil, v)
			w, n, err := readVLQ(enc, 0, vlqGroups64)
			if err != nil || w != v || n != len(enc) {
				t.Fatalf("%x → %d → %x → %d, %v", b[:next], v, enc, w, err)
			}
		}
		// Any 32-bit number goes round.
		if len(b) >= 4 {
			x := uint64(binary.LittleEndian.Uint32(b))
			w, _, err := readVLQ(appendVLQ(nil, x), 0, vlqGroups32)
			if err != nil || w != x {
				t.Fatalf("%d → %d, %v", x, w, err)
			}
		}
	})
}

func FuzzSourcePositions(f *testing.F) {
	// code offset +0 (statement), position +10; then +3, +5.
	f.Add(appendVLQ(appendVLQ(appendVLQ(appendVLQ(nil, 0), 20), 6), 10), uint8(1))
	f.Add([]byte{0x81}, uint8(2))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, format uint8) {
		es, err := decodePositions(b, int(format%3))
		if 2*len(es) > len(b) {
			t.Fatalf("%d entries from %d bytes", len(es), len(b))
		}
		if err == nil && len(b) > 0 && len(es) == 0 {
			t.Fatal("bytes decoded to nothing without an error")
		}
		for _, e := range es {
			_, _ = e.ScriptOffset(), e.InliningID()
			if _, ok := positionAt(es, e.CodeOffset); !ok {
				t.Fatalf("no position at the offset of an entry (%d)", e.CodeOffset)
			}
		}
	})
}

// translationVersions are the V8 lines of Node 18 to 26.
var translationVersions = [][2]int{{10, 2}, {11, 3}, {12, 4}, {13, 6}, {14, 6}}

func FuzzTranslation(f *testing.F) {
	// V8 12: BEGIN_WITH_FEEDBACK 1 frame, 1 JS frame, no update; an
	// interpreted frame; a stack slot; a literal.
	v12 := layout.TranslationOpcodesOf(12, 4)
	seed := []byte{byte(v12.ByName["BEGIN_WITH_FEEDBACK"])}
	seed = appendVLQ(appendVLQ(appendVLQ(seed, 2), 2), 0)
	seed = append(seed, byte(v12.ByName["INTERPRETED_FRAME_WITHOUT_RETURN"]))
	seed = appendVLQ(appendVLQ(appendVLQ(seed, 4), 6), 6)
	seed = appendVLQ(append(seed, byte(v12.ByName["TAGGED_STACK_SLOT"])), 11)
	seed = appendVLQ(append(seed, byte(v12.ByName["LITERAL"])), 38)
	f.Add(seed, uint8(2))
	f.Add([]byte{0x06, 0x02}, uint8(0))
	f.Add([]byte{0xfe, 0x80}, uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, version uint8) {
		v := translationVersions[int(version)%len(translationVersions)]
		ops := layout.TranslationOpcodesOf(v[0], v[1])
		if ops.Err != nil {
			t.Fatal(ops.Err)
		}
		var all []trOp
		for p := 0; p < len(b); {
			op, next, err := parseOp(&ops, b, p)
			if err != nil {
				break
			}
			if next <= p || next > len(b) {
				t.Fatalf("op at %d ends at %d of %d", p, next, len(b))
			}
			if op.Name == "" {
				t.Fatalf("op at %d has no name", p)
			}
			all = append(all, op)
			p = next
		}
		if len(all) > len(b) {
			t.Fatalf("%d ops from %d bytes", len(all), len(b))
		}
		if _, err := splitFrames(all, ops.VLQOpcodes); err != nil {
			return
		}
	})
}
