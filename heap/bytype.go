package heap

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// maxGroupTypes bounds the distinct instance types a group records; a
// group with more says so (many).
const maxGroupTypes = 8

// instanceTypes is the set of instance types of a group's objects.
type instanceTypes struct {
	list []int
	many bool // more than maxGroupTypes: not all are listed
}

func (ts *instanceTypes) add(t int) {
	if len(ts.list) > 0 && ts.list[0] == t || ts.many || slices.Contains(ts.list, t) {
		return
	}
	if len(ts.list) == maxGroupTypes {
		ts.many = true
		return
	}
	ts.list = append(ts.list, t)
}

func (ts *instanceTypes) merge(o *instanceTypes) {
	for _, t := range o.list {
		ts.add(t)
	}
	ts.many = ts.many || o.many
}

// group membership for InstancesOfTypes.
const (
	typeSkip  int32 = -1 // no object of the group has a wanted type
	typeCheck int32 = -2 // some may: read each one's map
)

// InstancesOfTypes returns the addresses (untagged, in address order) of
// every object the census found whose instance type is one of types, by
// type, in one pass over the object table. A group whose objects all have
// one wanted type gives them all; JavaScript object groups join objects of
// one constructor and property set whatever their type (an async function
// object and an empty object both say "Object"), so the maps of the
// objects of groups that mix a wanted type with others are read.
func (c *Census) InstancesOfTypes(types ...int) map[int][]uint64 {
	typeOf := make([]int32, len(c.byID)) // group id → the wanted type of all its objects, or typeSkip/typeCheck
	for id, g := range c.byID {
		typeOf[id] = typeSkip
		if g == nil || g.Kind == KindString {
			continue
		}
		wanted := 0
		for _, t := range g.types.list {
			if slices.Contains(types, t) {
				wanted++
			}
		}
		switch {
		case wanted == 1 && len(g.types.list) == 1 && !g.types.many:
			typeOf[id] = int32(g.types.list[0])
		case wanted > 0 || g.types.many:
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
