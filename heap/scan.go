package heap

import (
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

// NumPages is the number of heap pages the census walked.
func (c *Census) NumPages() int { return len(c.Pages) }

// PageScanner reads the objects of the census page by page with their
// strong references, for writers that go through the whole heap. Pages
// may be scanned concurrently, each by one goroutine; a page scanned is
// dropped from the resident set once its neighbours are done too.
type PageScanner struct {
	c   *Census
	rel *releaser
}

// NewPageScanner starts a scan; Close ends it.
func (c *Census) NewPageScanner() *PageScanner {
	return &PageScanner{c: c, rel: newReleaser(c.w.p, c.Pages)}
}

// Close releases every page read.
func (s *PageScanner) Close() { s.rel.all() }

// Large reports whether page p holds one large object.
func (s *PageScanner) Large(p int) bool { return s.c.Pages[p].Large }

// Scan calls fn for every object of page p in index order with its strong
// references (weak ones, tag 3, are not followed; strings and free space
// hold none). buf is the caller's page buffer, reused between calls.
func (s *PageScanner) Scan(p int, buf *[]byte, fn func(i uint32, slots []Slot)) {
	c := s.c
	freeSpace := c.w.l.Types.FreeSpace
	var slots []Slot
	var lc lastChunk
	pg := &c.Pages[p]
	data := c.w.pageBytes(pg, buf)
	pg.forObjects(func(j int, off, size uint32) {
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
		fn(pg.first+uint32(j), slots)
	})
	s.rel.finished(p)
}

// Type returns the instance type of object i.
func (c *Census) Type(i uint32) int {
	if mi := c.MapOf(c.Addr(i)); mi != nil {
		return mi.Type
	}
	return -1
}
