package object

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"
)

// MaxStringDepth bounds how many Cons/Sliced/Thin links one string read
// follows; a deeper (or cyclic) string is reported as an error.
const MaxStringDepth = 4096

// MaxStringLength is the largest length field ndb believes: V8's
// String::kMaxLength on 64-bit is 2^29 - 24.
const MaxStringLength = 1<<29 - 24

// IsString reports whether an instance type is a string type.
func (h *Heap) IsStringType(t int) bool { return t < h.Layout.Types.FirstNonString }

// IsString reports whether v is a heap object that is a string.
func (h *Heap) IsString(v Value) bool {
	if !h.IsHeapObject(v) {
		return false
	}
	t, err := h.InstanceType(v)
	return err == nil && h.IsStringType(t)
}

// StringRep names a string representation.
type StringRep int

const (
	RepSeq      StringRep = 0
	RepCons     StringRep = 1
	RepExternal StringRep = 2
	RepSliced   StringRep = 3
	RepThin     StringRep = 5
)

func (r StringRep) String() string {
	switch r {
	case RepSeq:
		return "sequential"
	case RepCons:
		return "cons"
	case RepExternal:
		return "external"
	case RepSliced:
		return "sliced"
	case RepThin:
		return "thin"
	}
	return fmt.Sprintf("representation %d", int(r))
}

// StringInfo describes one string object without reading its characters.
type StringInfo struct {
	Length       int
	Rep          StringRep
	OneByte      bool
	Internalized bool
}

// StringShape decodes a string's instance type and length.
func (h *Heap) StringShape(v Value) (StringInfo, error) {
	t, err := h.InstanceType(v)
	if err != nil {
		return StringInfo{}, err
	}
	if !h.IsStringType(t) {
		return StringInfo{}, fmt.Errorf("%#x is not a string (%s)", uint64(v), h.TypeNameOf(t))
	}
	m := h.Layout
	if err := need("String.length", m.String.Length); err != nil {
		return StringInfo{}, err
	}
	n, err := h.Proc.ReadU32(h.Untag(v) + uint64(m.String.Length))
	if err != nil {
		return StringInfo{}, err
	}
	if int32(n) < 0 || n > MaxStringLength {
		return StringInfo{}, fmt.Errorf("string %#x has a bad length %d", uint64(v), int32(n))
	}
	sl := &h.Layout.String
	repMask, encMask, oneTag := sl.RepresentationMask, sl.EncodingMask, sl.OneByteTag
	if err := need("StringRepresentationMask", repMask, "StringEncodingMask", encMask, "OneByteStringTag", oneTag); err != nil {
		return StringInfo{}, err
	}
	// kNotInternalizedTag is 0x20 in every V8 since 2013; the metadata
	// names only the internalized/not-internalized type values.
	return StringInfo{Length: int(n), Rep: StringRep(int64(t) & repMask), OneByte: int64(t)&encMask == oneTag,
		Internalized: t&0x20 == 0}, nil
}

// ReadString returns up to max characters (UTF-16 code units; max < 0:
// all) of string v, flattening every representation, and the full length.
// Cons strings are walked iteratively with a bounded depth.
func (h *Heap) ReadString(v Value, max int) (string, int, error) {
	info, err := h.StringShape(v)
	if err != nil {
		return "", 0, err
	}
	want := info.Length
	if max >= 0 && max < want {
		want = max
	}
	units := make([]uint16, 0, min(want, 1<<16))
	units, err = h.appendString(units, v, 0, want, 0)
	if err != nil {
		return "", info.Length, err
	}
	return decodeUTF16(units), info.Length, nil
}

// StringValue reads a whole string of at most limit characters (longer
// strings are cut); handy for names and keys.
func (h *Heap) StringValue(v Value) (string, error) {
	s, _, err := h.ReadString(v, 4096)
	return s, err
}

func decodeUTF16(u []uint16) string {
	ascii := true
	for _, c := range u {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, len(u))
		for i, c := range u {
			b[i] = byte(c)
		}
		return string(b)
	}
	return string(utf16.Decode(u))
}

// appendString appends characters [start, start+n) of string v.
func (h *Heap) appendString(out []uint16, v Value, start, n int, steps int) ([]uint16, error) {
	m := h.Layout
	// An explicit stack of pending (string, start, n) pieces replaces
	// recursion over cons trees.
	type piece struct {
		v        Value
		start, n int
	}
	stack := []piece{{v, start, n}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.n <= 0 {
			continue
		}
		steps++
		if steps > MaxStringDepth {
			return out, fmt.Errorf("string %#x: more than %d pieces (cycle or corrupted cons string)", uint64(v), MaxStringDepth)
		}
		info, err := h.StringShape(p.v)
		if err != nil {
			return out, err
		}
		if p.start+p.n > info.Length {
			return out, fmt.Errorf("string %#x: piece %#x shorter (%d) than its parent says (%d)", uint64(v), uint64(p.v), info.Length, p.start+p.n)
		}
		base := h.Untag(p.v)
		switch info.Rep {
		case RepSeq:
			if err := need("SeqString.chars", m.String.SeqChars); err != nil {
				return out, err
			}
			out, err = h.appendChars(out, base+uint64(m.String.SeqChars), info.OneByte, p.start, p.n)
			if err != nil {
				return out, err
			}
		case RepExternal:
			data, err := h.externalData(p.v)
			if err != nil {
				return out, err
			}
			out, err = h.appendChars(out, data, info.OneByte, p.start, p.n)
			if err != nil {
				return out, err
			}
		case RepCons:
			if err := need("ConsString.first", m.String.ConsFirst, "ConsString.second", m.String.ConsSecond); err != nil {
				return out, err
			}
			first, err := h.Word(p.v, m.String.ConsFirst)
			if err != nil {
				return out, err
			}
			second, err := h.Word(p.v, m.String.ConsSecond)
			if err != nil {
				return out, err
			}
			fi, err := h.StringShape(first)
			if err != nil {
				return out, fmt.Errorf("cons string %#x: first: %w", uint64(p.v), err)
			}
			fl := fi.Length
			// Push the second half first so the first is read first.
			if p.start+p.n > fl {
				s2 := max(p.start-fl, 0)
				stack = append(stack, piece{second, s2, p.start + p.n - fl - s2})
			}
			if p.start < fl {
				stack = append(stack, piece{first, p.start, min(p.n, fl-p.start)})
			}
		case RepSliced:
			if err := need("SlicedString.parent", m.String.SlicedParent, "SlicedString.offset", m.String.SlicedOffset); err != nil {
				return out, err
			}
			parent, err := h.Word(p.v, m.String.SlicedParent)
			if err != nil {
				return out, err
			}
			off, err := h.Word(p.v, m.String.SlicedOffset)
			if err != nil {
				return out, err
			}
			if !h.IsSmi(off) || h.SmiValue(off) < 0 {
				return out, fmt.Errorf("sliced string %#x: bad offset %#x", uint64(p.v), uint64(off))
			}
			stack = append(stack, piece{parent, p.start + int(h.SmiValue(off)), p.n})
		case RepThin:
			if err := need("ThinString.actual", m.String.ThinActual); err != nil {
				return out, err
			}
			actual, err := h.Word(p.v, m.String.ThinActual)
			if err != nil {
				return out, err
			}
			stack = append(stack, piece{actual, p.start, p.n})
		default:
			return out, fmt.Errorf("string %#x: unknown representation %d", uint64(p.v), info.Rep)
		}
	}
	return out, nil
}

func (h *Heap) appendChars(out []uint16, addr uint64, oneByte bool, start, n int) ([]uint16, error) {
	if oneByte {
		b, err := h.Proc.Slice(addr+uint64(start), uint64(n))
		if err != nil {
			return out, err
		}
		for _, c := range b {
			out = append(out, uint16(c))
		}
		return out, nil
	}
	b, err := h.Proc.Slice(addr+2*uint64(start), 2*uint64(n))
	if err != nil {
		return out, err
	}
	for i := 0; i+1 < len(b); i += 2 {
		out = append(out, binary.LittleEndian.Uint16(b[i:]))
	}
	return out, nil
}

// QuoteString quotes s as a JavaScript string literal in double quotes
// (JSON escapes; other characters as they are).
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// externalData returns the address of an external string's characters:
// the data pointer V8 caches in the string, or for uncached external
// strings the one in Node's resource object (nodedbg offset).
func (h *Heap) externalData(v Value) (uint64, error) {
	m := h.Layout
	t, err := h.InstanceType(v)
	if err != nil {
		return 0, err
	}
	// kUncachedExternalStringTag (0x10) is a V8 encoding stable since 2019.
	if t&0x10 == 0 {
		if off := h.Layout.String.ExternalResourceData; off >= 0 {
			return h.Proc.ReadU64(h.Untag(v) + uint64(off))
		}
	}
	if err := need("ExternalString.resource", m.String.ExternalResource, "nodedbg ExternalString data offset", m.String.ExternalDataInResource); err != nil {
		return 0, err
	}
	res, err := h.Proc.ReadU64(h.Untag(v) + uint64(m.String.ExternalResource))
	if err != nil {
		return 0, err
	}
	data, err := h.Proc.ReadU64(res + uint64(m.String.ExternalDataInResource))
	if err != nil {
		return 0, fmt.Errorf("external string %#x: resource %#x: %w", uint64(v), res, err)
	}
	return data, nil
}
