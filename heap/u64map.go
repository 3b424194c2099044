package heap

// u64map is an open-addressing hash table from non-zero uint64 keys to
// int32 values: the hot lookups of the census (map words, chunk numbers)
// without the cost of Go maps.
type u64map struct {
	keys []uint64
	vals []int32
	mask uint64
	n    int
}

func newU64map(hint int) *u64map {
	size := 16
	for size < hint*2 {
		size <<= 1
	}
	return &u64map{keys: make([]uint64, size), vals: make([]int32, size), mask: uint64(size - 1)}
}

func hash64(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> 17 }

func (m *u64map) get(k uint64) (int32, bool) {
	for i := hash64(k) & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case k:
			return m.vals[i], true
		case 0:
			return 0, false
		}
	}
}

func (m *u64map) put(k uint64, v int32) {
	if (m.n+1)*2 > len(m.keys) {
		old := *m
		*m = *newU64map(len(old.keys))
		for i, ok := range old.keys {
			if ok != 0 {
				m.put(ok, old.vals[i])
			}
		}
	}
	for i := hash64(k) & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case k:
			m.vals[i] = v
			return
		case 0:
			m.keys[i], m.vals[i] = k, v
			m.n++
			return
		}
	}
}
