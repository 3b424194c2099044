package heap

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// group membership for InstancesOfTypes.
const (
	typeSkip  int32 = -1 // no object of the group has a wanted type
	typeCheck int32 = -2 // objects of the group may: read each one's map
)

// InstancesOfTypes returns the addresses (untagged, in address order) of
// every object the census found whose instance type is one of types, by
// type, in one pass over the object table. Internal groups have one type;
// JavaScript object groups join objects of one constructor and property
// set whatever their type (an async function object and an empty object
// both say "Object"), so their objects' maps are read.
func (c *Census) InstancesOfTypes(types ...int) map[int][]uint64 {
	typeOf := make([]int32, len(c.byID)) // group id → the wanted type of all its objects, or typeSkip/typeCheck
	for id, g := range c.byID {
		switch {
		case g == nil || g.Kind == KindString || g.Kind == KindFunction:
			typeOf[id] = typeSkip
		case g.Kind == KindInternal && slices.Contains(types, g.Type):
			typeOf[id] = int32(g.Type)
		case g.Kind == KindInternal:
			typeOf[id] = typeSkip
		default:
			typeOf[id] = typeCheck
		}
	}
	out := map[int][]uint64{}
	for i := range c.Pages {
		pg := &c.Pages[i]
		j := 0
		for wi, b := range pg.bits {
			for b != 0 {
				tz := bits.TrailingZeros64(b)
				b &= b - 1
				gid := pg.gids[j]
				j++
				if int(gid) >= len(typeOf) || typeOf[gid] == typeSkip {
					continue
				}
				addr := pg.Start + uint64(wi*64+tz)*8
				t := int(typeOf[gid])
				if typeOf[gid] == typeCheck {
					if t = c.typeAt(pg, addr); !slices.Contains(types, t) {
						continue
					}
				}
				out[t] = append(out[t], addr)
			}
		}
	}
	return out
}

// typeAt is the instance type of the object at addr of a page (-1 when
// its map is not known).
func (c *Census) typeAt(pg *Page, addr uint64) int {
	off := addr - pg.Start
	if off+8 > uint64(len(pg.Data)) {
		return -1
	}
	mi := c.w.mapInfo(binary.LittleEndian.Uint64(pg.Data[off:]))
	if mi == nil {
		return -1
	}
	return mi.Type
}
