package stack

import "errors"

// V8 writes source position tables, baseline bytecode offset tables and
// deoptimization translations as variable-length numbers: 7-bit groups,
// least significant first, the high bit set on every group but the last.

var (
	errVLQTruncated = errors.New("the bytes end inside a number")
	errVLQTooLong   = errors.New("a number has too many groups")
)

// readVLQ decodes the number at b[p:] of at most maxGroups groups and
// returns it with the position after the bytes it read.
func readVLQ(b []byte, p, maxGroups int) (v uint64, next int, err error) {
	for g := 0; g < maxGroups; g++ {
		if p >= len(b) {
			return 0, p, errVLQTruncated
		}
		c := b[p]
		p++
		v |= uint64(c&0x7f) << (7 * g)
		if c&0x80 == 0 {
			return v, p, nil
		}
	}
	return 0, p, errVLQTooLong
}

// zigzag decodes V8's signed VLQ numbers: the sign in the lowest bit.
func zigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// Group limits: translations and offset tables hold 32-bit numbers (five
// groups), source position tables 64-bit ones (ten).
const (
	vlqGroups32 = 5
	vlqGroups64 = 10
)
