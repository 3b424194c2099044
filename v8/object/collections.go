package object

import (
	"fmt"
	"math"
	"math/big"
	"time"
)

// CollectionEntries returns the live entries of a JSMap (key, value pairs)
// or JSSet (keys only; values are 0) in insertion order, up to limit.
func (h *Heap) CollectionEntries(coll Value, limit int) (keys, values []Value, total int, err error) {
	md := h.Layout
	t, err := h.InstanceType(coll)
	if err != nil {
		return nil, nil, 0, err
	}
	isMap := t == md.Types.JSMap
	if !isMap && t != md.Types.JSSet {
		return nil, nil, 0, fmt.Errorf("%#x is not a Map or Set", uint64(coll))
	}
	start := md.HashTable.OrderedStart
	esize := md.HashTable.OrderedSetEntrySize
	if isMap {
		esize = md.HashTable.OrderedMapEntrySize
	}
	if err := need("JSCollection.table", md.JSCollection.Table, "OrderedHashTableStartIndex", start, "OrderedHash*EntrySize", esize); err != nil {
		return nil, nil, 0, err
	}
	table, err := h.Word(coll, md.JSCollection.Table)
	if err != nil {
		return nil, nil, 0, err
	}
	n, err := h.FixedArrayLength(table)
	if err != nil {
		return nil, nil, 0, err
	}
	hdr, err := h.fixedSlots(table, 0, int(start))
	if err != nil {
		return nil, nil, 0, err
	}
	for _, w := range hdr {
		if !h.IsSmi(w) || h.SmiValue(w) < 0 {
			return nil, nil, 0, fmt.Errorf("hash table %#x: bad header", uint64(table))
		}
	}
	nof, nod, nb := int(h.SmiValue(hdr[0])), int(h.SmiValue(hdr[1])), int(h.SmiValue(hdr[2]))
	used := nof + nod
	if int(start)+nb+used*int(esize) > n {
		return nil, nil, 0, fmt.Errorf("hash table %#x: %d entries do not fit its length %d", uint64(table), used, n)
	}
	slots, err := h.fixedSlots(table, int(start)+nb, used*int(esize))
	if err != nil {
		return nil, nil, 0, err
	}
	for i := 0; i < used; i++ {
		k := slots[i*int(esize)]
		if h.OddballOf(k) == TheHole {
			continue
		}
		total++
		if limit >= 0 && len(keys) >= limit {
			continue
		}
		keys = append(keys, k)
		if isMap {
			values = append(values, slots[i*int(esize)+1])
		}
	}
	return keys, values, total, nil
}

// WeakCollectionEntries returns the entries of a JSWeakMap or JSWeakSet
// (an EphemeronHashTable of key, value pairs), up to limit.
func (h *Heap) WeakCollectionEntries(coll Value, limit int) (keys, values []Value, total int, err error) {
	md := h.Layout
	start := md.HashTable.EphemeronEntriesStart
	if err := need("JSWeakCollection.table", md.JSWeakCollection.Table, "EphemeronHashTableEntriesStart", start); err != nil {
		return nil, nil, 0, err
	}
	table, err := h.Word(coll, md.JSWeakCollection.Table)
	if err != nil {
		return nil, nil, 0, err
	}
	es, err := h.hashEntries(table, int(start), 2)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, e := range es {
		total++
		if limit >= 0 && len(keys) >= limit {
			continue
		}
		keys = append(keys, e.key)
		values = append(values, e.value)
	}
	return keys, values, total, nil
}

// DateValue returns a JSDate's time value (ms since the epoch; NaN for an
// invalid date).
func (h *Heap) DateValue(d Value) (float64, error) {
	w, err := h.Word(d, h.Layout.JSDate.Value)
	if err != nil {
		return 0, err
	}
	if h.Layout.JSDate.ValueIsDouble == 1 {
		return math.Float64frombits(uint64(w)), nil
	}
	f, ok := h.Number(w)
	if !ok {
		return 0, fmt.Errorf("date %#x: value %#x is not a number", uint64(d), uint64(w))
	}
	return f, nil
}

// FormatDate renders a time value as JavaScript's toISOString does, or
// "Invalid Date".
func FormatDate(ms float64) string {
	if math.IsNaN(ms) || math.IsInf(ms, 0) || math.Abs(ms) > 8.64e15 {
		return "Invalid Date"
	}
	t := time.UnixMilli(int64(ms)).UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return t.Format("-2006-01-02T15:04:05.000Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// RegExp returns a JSRegExp's source and flags ("gi").
func (h *Heap) RegExp(re Value) (source, flags string, err error) {
	md := h.Layout
	if err := need("JSRegExp.source", md.JSRegExp.Source, "JSRegExp.flags", md.JSRegExp.Flags); err != nil {
		return "", "", err
	}
	s, err := h.Word(re, md.JSRegExp.Source)
	if err != nil {
		return "", "", err
	}
	source, err = h.StringValue(s)
	if err != nil {
		return "", "", err
	}
	f, err := h.Word(re, md.JSRegExp.Flags)
	if err != nil {
		return "", "", err
	}
	if !h.IsSmi(f) {
		return source, "", fmt.Errorf("regexp %#x: bad flags %#x", uint64(re), uint64(f))
	}
	bits := h.SmiValue(f)
	// JSRegExp::Flag bits, printed in the order of RegExp.prototype.flags.
	for _, fl := range []struct {
		bit int64
		c   byte
	}{{7, 'd'}, {0, 'g'}, {1, 'i'}, {6, 'l'}, {2, 'm'}, {5, 's'}, {4, 'u'}, {8, 'v'}, {3, 'y'}} {
		if bits>>fl.bit&1 == 1 {
			flags += string(fl.c)
		}
	}
	return source, flags, nil
}

// PromiseState is a promise's state.
type PromiseState int

const (
	Pending PromiseState = iota
	Fulfilled
	Rejected
)

func (s PromiseState) String() string { return [...]string{"pending", "fulfilled", "rejected"}[s] }

// Promise returns a promise's state and, when settled, its result.
func (h *Heap) Promise(p Value) (PromiseState, Value, error) {
	md := h.Layout
	if err := need("JSPromise.flags", md.JSPromise.Flags, "JSPromise.reactions_or_result", md.JSPromise.ReactionsOrResult); err != nil {
		return 0, 0, err
	}
	f, err := h.Word(p, md.JSPromise.Flags)
	if err != nil {
		return 0, 0, err
	}
	if !h.IsSmi(f) {
		return 0, 0, fmt.Errorf("promise %#x: bad flags %#x", uint64(p), uint64(f))
	}
	st := PromiseState(h.SmiValue(f) & 3)
	if st > Rejected {
		return 0, 0, fmt.Errorf("promise %#x: bad state %d", uint64(p), st)
	}
	r, err := h.Word(p, md.JSPromise.ReactionsOrResult)
	return st, r, err
}

// ArrayBuffer returns a JSArrayBuffer's backing store address and length.
func (h *Heap) ArrayBuffer(ab Value) (data uint64, length uint64, err error) {
	md := h.Layout
	if err := need("JSArrayBuffer.backing_store", md.JSArrayBuffer.BackingStore, "JSArrayBuffer.byte_length", md.JSArrayBuffer.ByteLength); err != nil {
		return 0, 0, err
	}
	data, err = h.Proc.ReadU64(h.Untag(ab) + uint64(md.JSArrayBuffer.BackingStore))
	if err != nil {
		return 0, 0, err
	}
	length, err = h.Proc.ReadU64(h.Untag(ab) + uint64(md.JSArrayBuffer.ByteLength))
	return data, length, err
}

// TypedArray describes a typed array (or a Node Buffer, a Uint8Array).
type TypedArray struct {
	Data       uint64 // address of the first element
	ByteLength uint64
	// Length is the number of elements, 0 when the layout does not say
	// where V8 keeps it: V8 14 left JSTypedArray::length out of the
	// metadata, and the word its C++ layout names raw_length_ (offset 64)
	// holds no count in Node 26's cores (every typed array of
	// testdata/fixtures/values.js has the same tagged word there), so
	// there the count is ByteLength divided by the element size.
	Length     uint64
	Buffer     Value // the JSArrayBuffer
	ByteOffset uint64
}

// ReadTypedArray decodes a JSTypedArray or JSDataView.
func (h *Heap) ReadTypedArray(ta Value) (*TypedArray, error) {
	md := h.Layout
	if err := need("JSArrayBufferView.byte_length", md.JSArrayBufferView.ByteLength, "JSTypedArray.external_pointer", md.JSTypedArray.ExternalPointer,
		"JSTypedArray.base_pointer", md.JSTypedArray.BasePointer, "JSArrayBufferView.buffer", md.JSArrayBufferView.Buffer); err != nil {
		return nil, err
	}
	base := h.Untag(ta)
	out := &TypedArray{}
	var err error
	if out.ByteLength, err = h.Proc.ReadU64(base + uint64(md.JSArrayBufferView.ByteLength)); err != nil {
		return nil, err
	}
	if md.JSArrayBufferView.ByteOffset >= 0 {
		out.ByteOffset, _ = h.Proc.ReadU64(base + uint64(md.JSArrayBufferView.ByteOffset))
	}
	if md.JSTypedArray.Length >= 0 {
		out.Length, _ = h.Proc.ReadU64(base + uint64(md.JSTypedArray.Length))
	}
	ext, err := h.Proc.ReadU64(base + uint64(md.JSTypedArray.ExternalPointer))
	if err != nil {
		return nil, err
	}
	bp, err := h.Word(ta, md.JSTypedArray.BasePointer)
	if err != nil {
		return nil, err
	}
	// On-heap arrays: data = base_pointer + external_pointer (an offset);
	// off-heap: base_pointer is Smi 0 and external_pointer the address.
	if h.IsHeapObject(bp) {
		out.Data = uint64(bp) + ext
	} else {
		out.Data = ext
	}
	out.Buffer, _ = h.Word(ta, md.JSArrayBufferView.Buffer)
	return out, nil
}

// Proxy returns a JSProxy's target and handler.
func (h *Heap) Proxy(p Value) (target, handler Value, err error) {
	md := h.Layout
	if err := need("JSProxy.target", md.JSProxy.Target, "JSProxy.handler", md.JSProxy.Handler); err != nil {
		return 0, 0, err
	}
	if target, err = h.Word(p, md.JSProxy.Target); err != nil {
		return 0, 0, err
	}
	handler, err = h.Word(p, md.JSProxy.Handler)
	return target, handler, err
}

// WeakRefTarget returns a JSWeakRef's target (undefined once collected).
func (h *Heap) WeakRefTarget(w Value) (Value, error) {
	md := h.Layout
	if err := need("JSWeakRef.target", md.JSWeakRef.Target); err != nil {
		return 0, err
	}
	return h.Word(w, md.JSWeakRef.Target)
}

// PrimitiveValue returns the primitive inside a boxed primitive
// (JSPrimitiveWrapper: new Number(1), Object("s"), ...).
func (h *Heap) PrimitiveValue(w Value) (Value, error) {
	md := h.Layout
	if err := need("JSPrimitiveWrapper.value", md.JSPrimitiveWrapper.Value); err != nil {
		return 0, err
	}
	return h.Word(w, md.JSPrimitiveWrapper.Value)
}

// BigInt returns a BigInt's decimal text.
func (h *Heap) BigInt(b Value) (string, error) {
	md := h.Layout
	if err := need("BigInt.bitfield", md.BigInt.Bitfield, "BigInt.digits", md.BigInt.Digits); err != nil {
		return "", err
	}
	bf, err := h.Proc.ReadU32(h.Untag(b) + uint64(md.BigInt.Bitfield))
	if err != nil {
		return "", err
	}
	// BigInt bitfield: bit 0 sign, bits 1..30 length in 64-bit digits.
	neg := bf&1 == 1
	n := int(bf>>1) & (1<<30 - 1)
	if n > 1<<14 {
		return "", fmt.Errorf("bigint %#x: %d digits", uint64(b), n)
	}
	raw, err := h.Proc.Slice(h.Untag(b)+uint64(md.BigInt.Digits), uint64(n)*8)
	if err != nil {
		return "", err
	}
	digits := make([]uint64, n)
	for i := range digits {
		digits[i] = le64(raw[8*i:])
	}
	s := bigDecimal(digits)
	if neg && s != "0" {
		s = "-" + s
	}
	return s, nil
}

func bigDecimal(digits []uint64) string {
	x := new(big.Int)
	for i := len(digits) - 1; i >= 0; i-- {
		x.Lsh(x, 64)
		x.Or(x, new(big.Int).SetUint64(digits[i]))
	}
	return x.String()
}
