package layout

import "encoding/binary"

// Object sizes, for walking heap pages object by object.
//
// A map with a non-zero instance_size_in_words describes fixed-size
// objects. Variable-size objects (instance_size_in_words is 0, V8's
// kVariableSizeSentinel) get their size from a length field whose layout
// depends on the kind of object. The metadata names only some instance
// types (the hash tables, contexts and many internal arrays have no
// v8dbg_type_ symbol), so a SizeRule lists the candidate layouts in order
// of likelihood and the page walker keeps the first one after which the
// next object starts (a map word) or the page ends: a wrong guess almost
// never lands on a map word by chance.

// SizeLayout is one way of computing an object's size from its header.
type SizeLayout uint8

const (
	SizeUnknown         SizeLayout = iota
	SizeFixed                      // the map's instance size
	SizeTaggedArray                // Smi length @8, 16 + 8*length (FixedArray, contexts, hash tables...)
	SizeByteArray                  // Smi length @8, 16 + length rounded up to 8
	SizeFreeSpace                  // Smi byte size @8
	SizeSeqOneByte                 // int32 length @String.length, chars + length
	SizeSeqTwoByte                 // int32 length @String.length, chars + 2*length
	SizeWeakArrayList              // Smi capacity @8, 24 + 8*capacity
	SizePropertyArray              // Smi length_and_hash @8 (low 10 bits), 16 + 8*length
	SizeDescriptorArray            // int16 number_of_all_descriptors @8, header + 24*n
)

// SizeRule is how to size the objects of one map.
type SizeRule struct {
	Layouts [3]SizeLayout // candidates, best first; SizeUnknown ends the list
	Fixed   int           // for SizeFixed
	// Certain is true when the first layout is known from the metadata
	// (no validation needed).
	Certain bool
}

// Sizer computes object sizes for one V8 version.
type Sizer struct {
	strLen, seqChars    int
	descHeader          int
	fixedArray, byteArr int
	fixedDouble         int
	freeSpace           int
	weakFixed, weakList int
	propArray, descArr  int
	strongDescArr       int
	trustedFixed        int
	trustedByte         int
	firstContext        int
	lastContext         int
	firstNonString      int
}

func newSizer(l *Layout) *Sizer {
	t := &l.Types
	return &Sizer{strLen: int(l.String.Length), seqChars: int(l.String.SeqChars), descHeader: int(l.DescriptorArray.HeaderSize),
		fixedArray: t.FixedArray, byteArr: t.ByteArray, fixedDouble: t.FixedDoubleArray,
		freeSpace: t.FreeSpace, weakFixed: t.WeakFixedArray, weakList: t.WeakArrayList,
		propArray: t.PropertyArray, descArr: t.DescriptorArray, strongDescArr: t.StrongDescriptorArray,
		trustedFixed: t.TrustedFixedArray, trustedByte: t.TrustedByteArray,
		firstContext: t.FirstContext, lastContext: t.LastContext, firstNonString: t.FirstNonString}
}

// SizeRuleFor returns how to size objects of a map with this instance type
// and instance_size_in_words.
func (s *Sizer) SizeRuleFor(itype, sizeInWords int) SizeRule {
	if sizeInWords != 0 {
		return SizeRule{Layouts: [3]SizeLayout{SizeFixed}, Fixed: sizeInWords * 8, Certain: true}
	}
	one := func(l SizeLayout) SizeRule { return SizeRule{Layouts: [3]SizeLayout{l}, Certain: true} }
	switch {
	case itype < s.firstNonString:
		// Only sequential strings are variable-size: representation bits 0.
		if itype&7 != 0 {
			return SizeRule{}
		}
		if itype&8 != 0 {
			return one(SizeSeqOneByte)
		}
		return one(SizeSeqTwoByte)
	case itype == s.freeSpace:
		return one(SizeFreeSpace)
	case itype == s.fixedArray, itype == s.weakFixed, itype == s.fixedDouble, itype == s.trustedFixed,
		itype >= s.firstContext && itype <= s.lastContext && s.firstContext >= 0:
		return one(SizeTaggedArray)
	case itype == s.byteArr, itype == s.trustedByte:
		return one(SizeByteArray)
	case itype == s.weakList:
		return one(SizeWeakArrayList)
	case itype == s.propArray:
		return one(SizePropertyArray)
	case itype == s.descArr, itype == s.strongDescArr:
		return one(SizeDescriptorArray)
	}
	// Unnamed variable-size types: most are FixedArray-shaped (hash tables,
	// boilerplate descriptions, ...); free space has no type symbol in some
	// versions.
	return SizeRule{Layouts: [3]SizeLayout{SizeTaggedArray, SizeFreeSpace, SizeByteArray}}
}

// ObjectSize computes the size of an object whose bytes start at obj
// (obj may extend past the object; it must hold at least the header) with
// one layout. ok is false when the header is not readable or the size is
// implausible.
func (s *Sizer) ObjectSize(l SizeLayout, fixed int, obj []byte) (size int, ok bool) {
	le := binary.LittleEndian
	smiAt := func(off int) (int64, bool) {
		if off+8 > len(obj) {
			return 0, false
		}
		w := le.Uint64(obj[off:])
		if w&1 != 0 {
			return 0, false
		}
		return int64(w) >> 32, true
	}
	var n int64
	switch l {
	case SizeFixed:
		return fixed, fixed > 0
	case SizeTaggedArray:
		v, ok := smiAt(8)
		if !ok || v < 0 || v > 1<<27 {
			return 0, false
		}
		n = 16 + 8*v
	case SizeByteArray:
		v, ok := smiAt(8)
		if !ok || v < 0 || v > 1<<30 {
			return 0, false
		}
		n = 16 + (v+7)&^7
	case SizeFreeSpace:
		v, ok := smiAt(8)
		if !ok || v < 16 || v&7 != 0 || v > 1<<31 {
			return 0, false
		}
		n = v
	case SizeSeqOneByte, SizeSeqTwoByte:
		if s.strLen < 0 || s.seqChars < 0 || s.strLen+4 > len(obj) {
			return 0, false
		}
		v := int64(int32(le.Uint32(obj[s.strLen:])))
		if v < 0 || v > 1<<30 {
			return 0, false
		}
		if l == SizeSeqTwoByte {
			v *= 2
		}
		n = (int64(s.seqChars) + v + 7) &^ 7
	case SizeWeakArrayList:
		v, ok := smiAt(8)
		if !ok || v < 0 || v > 1<<27 {
			return 0, false
		}
		n = 24 + 8*v
	case SizePropertyArray:
		v, ok := smiAt(8)
		if !ok || v < 0 {
			return 0, false
		}
		n = 16 + 8*(v&0x3ff)
	case SizeDescriptorArray:
		if 10 > len(obj) {
			return 0, false
		}
		v := int64(int16(le.Uint16(obj[8:])))
		if v < 0 {
			return 0, false
		}
		n = int64(s.descHeader) + 24*v
	default:
		return 0, false
	}
	return int(n), n >= 8
}
