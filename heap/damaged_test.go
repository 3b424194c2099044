package heap

import (
	"context"
	"debug/elf"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// damage copies a core and overwrites length bytes at virtual address
// addr with fill.
func damage(t *testing.T, core string, addr uint64, length int, fill byte) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "core")
	in, err := os.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	ef, err := elf.Open(core)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_LOAD && addr >= p.Vaddr && addr+uint64(length) <= p.Vaddr+p.Filesz {
			buf := make([]byte, length)
			for i := range buf {
				buf[i] = fill
			}
			if _, err := out.WriteAt(buf, int64(p.Off+addr-p.Vaddr)); err != nil {
				t.Fatal(err)
			}
			out.Close()
			return dst
		}
	}
	t.Fatalf("%#x not in the core", addr)
	return ""
}

// namers returns the objects the census reads to name the object at obj
// (untagged): its map and the maps up the back-pointer chain, the
// constructor, its SharedFunctionInfo and what holds the function's name
// (a string, or a ScopeInfo and the objects it points to), and the map and
// meta map of each of these.
func namers(c *Census, obj uint64) []uint64 {
	w, n := c.w, c.w.names
	var out []uint64
	add := func(v uint64) {
		if v&3 != 1 {
			return
		}
		a := v - 1
		out = append(out, a)
		if m := w.word(a); m&3 == 1 {
			out = append(out, m-1)
			if mm := w.word(m - 1); mm&3 == 1 {
				out = append(out, mm-1)
			}
		}
	}
	add(obj | 1)
	ctor := w.word(obj)
	for i := 0; i < 64 && w.isMap(ctor); i++ {
		add(ctor)
		ctor = w.word(ctor - 1 + uint64(n.ctorOff))
	}
	add(ctor)
	sfi := w.word(ctor - 1 + uint64(n.sfiOff))
	add(sfi)
	name := w.word(sfi - 1 + uint64(n.nameOff))
	add(name)
	if i, ok := c.ObjectAt(name - 1); ok && w.typeOf(name) == n.scopeInfo {
		for off := uint64(8); off < uint64(c.Size(i)); off += 8 {
			add(w.word(name - 1 + off))
		}
	}
	return out
}

// TestDamagedPages: a zero-filled heap page and a corrupted stretch of
// another still give a census of the rest, and say what was skipped.
//
// The page zero-filled is one the core holds whole, holding LeakFoos but
// none of the objects that name them (see namers): the census must report
// it and count exactly the LeakFoos of the other pages. Where LeakFoos lie
// differs from core to core: the test takes the page from this core.
func TestDamagedPages(t *testing.T) {
	lc := makeLeakCore(t, "22.23.3")
	h := openHeap(t, lc.core.Path, lc.core.Exe)
	c, err := Build(context.Background(), h, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var foo *Group
	for _, g := range c.Groups {
		if g.Kind == KindObject && g.Constructor == "LeakFoo" {
			foo = g
		}
	}
	if foo == nil || foo.Count != 1234 {
		t.Fatalf("LeakFoo: %+v, want 1234 instances", foo)
	}
	fooObjs := c.Instances(foo)
	pageOf := func(a uint64) *Page {
		i, ok := c.chunkPage.get(a >> chunkBits)
		if !ok {
			t.Fatalf("%#x is on no page", a)
		}
		return &c.Pages[i]
	}
	naming := map[uint64]bool{} // chunks holding an object that names LeakFoos
	for _, a := range namers(c, foo.Rep) {
		naming[a>>chunkBits<<chunkBits] = true
	}
	whole := func(pg *Page) bool {
		return !pg.Large && pg.Missing == 0 && pg.seg.Start <= pg.Chunk &&
			pg.Start+uint64(len(pg.Data)) == pg.Chunk+chunkSize
	}
	perPage := map[uint64]int{}
	var chunk uint64
	for _, a := range fooObjs {
		pg := pageOf(a)
		perPage[pg.Chunk]++
		if !naming[pg.Chunk] && whole(pg) && (chunk == 0 || perPage[pg.Chunk] > perPage[chunk]) {
			chunk = pg.Chunk
		}
	}
	if chunk == 0 {
		t.Skipf("every page holding LeakFoos (%v) also holds what names them or is not whole in the core", perPage)
	}
	t.Logf("LeakFoos per page %v; pages holding what names them %v", perPage, naming)
	zeroed := damage(t, lc.core.Path, chunk, chunkSize, 0)
	c2, err := Build(context.Background(), openHeap(t, zeroed, lc.core.Exe), Options{})
	if err != nil {
		t.Fatal(err)
	}
	said := false
	for _, sk := range c2.Skips {
		if sk.Addr == chunk && strings.Contains(sk.Reason, "zero-filled") {
			said = true
		}
	}
	if !said {
		t.Errorf("the zero-filled page %#x is not reported", chunk)
	}
	got := groupCount(c2, KindObject, "LeakFoo")
	t.Logf("zero-filled %#x: %d LeakFoo (%d were on it)", chunk, got, perPage[chunk])
	if got != 1234-perPage[chunk] {
		t.Errorf("zero-filled %#x: %d LeakFoo, want the %d of the other pages", chunk, got, 1234-perPage[chunk])
	}
	// A corrupted stretch in the middle of the LeakFoos of that page.
	var onPage []uint64
	for _, a := range fooObjs {
		if a>>chunkBits<<chunkBits == chunk {
			onPage = append(onPage, a)
		}
	}
	mid := onPage[len(onPage)/2]
	pg := pageOf(mid)
	if mid+4096 > pg.Start+uint64(len(pg.Data)) {
		mid = pg.Start + uint64(len(pg.Data)) - 4096
	}
	bad := damage(t, lc.core.Path, mid, 4096, 0xa5)
	c3, err := Build(context.Background(), openHeap(t, bad, lc.core.Exe), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got = groupCount(c3, KindObject, "LeakFoo")
	if got >= 1234 || got < 1234-4096/40-1 {
		t.Errorf("corrupted 4 KiB: %d LeakFoo, want a little less than 1234", got)
	}
	if c3.Stats.Skipped <= c.Stats.Skipped {
		t.Errorf("corrupted 4 KiB: skipped %d bytes, intact core %d", c3.Stats.Skipped, c.Stats.Skipped)
	}
	t.Logf("corrupted: %d LeakFoo, skipped %d more bytes", got, c3.Stats.Skipped-c.Stats.Skipped)
}
