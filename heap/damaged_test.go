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

// TestDamagedPages: a zero-filled heap page and a corrupted stretch of
// another still give a census of the rest, and say what was skipped.
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
	// A page of LeakFoos, zero-filled: the others are still counted (unless
	// the page held what names them: their map, constructor or its name).
	mapAddr := c.MapOf(foo.Rep).Addr
	perPage := map[uint64]int{}
	var order []uint64
	fooObjs := c.Instances(foo)
	for _, a := range fooObjs {
		i, _ := c.chunkPage.get(a >> chunkBits)
		p := c.Pages[i]
		if mapAddr >= p.Start && mapAddr < p.End {
			continue
		}
		if perPage[p.Chunk] == 0 {
			order = append(order, p.Chunk)
		}
		perPage[p.Chunk]++
	}
	ok := false
	for _, chunk := range order {
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
		if got == 1234-perPage[chunk] {
			ok = true
			break
		}
	}
	if !ok {
		t.Errorf("no zero-filled page left exactly the other LeakFoos")
	}
	// The same page with a corrupted stretch in the middle of the LeakFoos.
	mid := fooObjs[len(fooObjs)/2]
	bad := damage(t, lc.core.Path, mid, 4096, 0xa5)
	c3, err := Build(context.Background(), openHeap(t, bad, lc.core.Exe), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := groupCount(c3, KindObject, "LeakFoo")
	if got >= 1234 || got < 1234-4096/40-1 {
		t.Errorf("corrupted 4 KiB: %d LeakFoo, want a little less than 1234", got)
	}
	if c3.Stats.Skipped <= c.Stats.Skipped {
		t.Errorf("corrupted 4 KiB: skipped %d bytes, intact core %d", c3.Stats.Skipped, c.Stats.Skipped)
	}
	t.Logf("corrupted: %d LeakFoo, skipped %d more bytes", got, c3.Stats.Skipped-c.Stats.Skipped)
}
