package heap

import (
	"context"

	"github.com/ndb-debugger/ndb/v8/object"
)

// Slot is one strong reference of an object: the word of the object that
// holds it (0 is the map word) and the index of the object it points to.
type Slot struct {
	Word uint32
	To   uint32
}

// Heap returns the object reader the census was built with.
func (c *Census) Heap() *object.Heap { return c.w.h }

// ForEachObject calls fn for every object in index order with its strong
// references (weak ones, tag 3, are not followed; strings and free space
// hold none), page by page: memory stays at one page's worth. progress,
// when not nil, hears how many pages are done.
func (c *Census) ForEachObject(ctx context.Context, progress func(done, total int), fn func(i uint32, slots []Slot) error) error {
	freeSpace := c.w.l.Types.FreeSpace
	var buf []byte
	var slots []Slot
	var lc lastChunk
	for p := range c.Pages {
		if err := ctx.Err(); err != nil {
			return err
		}
		if progress != nil {
			progress(p, len(c.Pages))
		}
		pg := &c.Pages[p]
		data := c.w.pageBytes(pg, &buf)
		var ferr error
		pg.forObjects(func(j int, off, size uint32) {
			if ferr != nil {
				return
			}
			gr := c.byID[pg.gids[j]]
			slots = slots[:0]
			if scans(gr.Kind) && !(gr.Kind == KindInternal && gr.Type == freeSpace) && int(off+size) <= len(data) {
				b := data[off : off+size]
				for o := 0; o+8 <= len(b); o += 8 {
					v := le.Uint64(b[o:])
					if v&3 != 1 {
						continue
					}
					if t, ok := c.objectAt(&lc, v-1); ok {
						slots = append(slots, Slot{Word: uint32(o / 8), To: t})
					}
				}
			}
			ferr = fn(pg.first+uint32(j), slots)
		})
		if ferr != nil {
			return ferr
		}
	}
	if progress != nil {
		progress(len(c.Pages), len(c.Pages))
	}
	return nil
}

// Type returns the instance type of object i.
func (c *Census) Type(i uint32) int {
	if mi := c.MapOf(c.Addr(i)); mi != nil {
		return mi.Type
	}
	return -1
}

// IsRoot reports whether object i is a root of kind k.
func (g *Graph) IsRoot(i uint32, k RootKind) bool {
	bm := g.roots[k-1]
	return bm[i/64]&(1<<(i%64)) != 0
}
