package object

import (
	"encoding/binary"
	"encoding/json"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzStrings decodes arbitrary two-byte string contents as V8's
// SeqTwoByteString characters and quotes them as ::jsprint does.
func FuzzStrings(f *testing.F) {
	f.Add([]byte("h\x00i\x00"))
	f.Add([]byte{0x3d, 0xd8, 0x00, 0xde})            // U+1F600 as a surrogate pair
	f.Add([]byte{0x3d, 0xd8, 0x41, 0x00})            // a lone high surrogate
	f.Add([]byte{'"', 0, '\\', 0, '\n', 0, 0x7f, 0}) // escaped characters
	f.Fuzz(func(t *testing.T, b []byte) {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		s := decodeUTF16(u)
		if !utf8.ValidString(s) {
			t.Fatalf("%x decodes to invalid UTF-8 %q", u, s)
		}
		if re := utf16.Encode([]rune(s)); len(re) == len(u) {
			for i := range re {
				if re[i] != u[i] && (u[i] < 0xd800 || u[i] > 0xdfff) {
					t.Fatalf("%x decodes to %q, which encodes to %x", u, s, re)
				}
			}
		}
		var back string
		q := QuoteString(s)
		if err := json.Unmarshal([]byte(q), &back); err != nil || back != s {
			t.Fatalf("QuoteString(%q) = %s: JSON reads %q, %v", s, q, back, err)
		}
	})
}
