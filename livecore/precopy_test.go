package livecore

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    uint64
		want bool
	}{
		{"present, exclusive, clean", pmPresent | pmExclusive | 0x1234, true},
		{"written since", pmPresent | pmExclusive | pmSoftDirty, false},
		{"shared zero page or shared with a child", pmPresent, false},
		{"file page", pmPresent | pmExclusive | pmFile, false},
		{"swapped out", pmSwapped | pmExclusive, false},
		{"not present", 0, false},
	} {
		if got := unchanged(tc.e); got != tc.want {
			t.Errorf("%s: unchanged(%#x) = %v", tc.name, tc.e, got)
		}
	}
}

func TestCovering(t *testing.T) {
	pre := &preCopied{chunks: []chunkAt{{0x1000, make([]byte, 0x2000)}, {0x5000, make([]byte, 0x1000)}}}
	for _, tc := range []struct {
		addr, chunk, next uint64
		ok                bool
	}{
		{0x0, 0, 0x1000, false},
		{0x1000, 0x1000, 0, true},
		{0x2fff, 0x1000, 0, true},
		{0x3000, 0, 0x5000, false},
		{0x5800, 0x5000, 0, true},
		{0x6000, 0, ^uint64(0), false},
	} {
		ch, ok, next := pre.covering(tc.addr)
		if ok != tc.ok || (ok && ch.addr != tc.chunk) || (!ok && next != tc.next) {
			t.Errorf("covering(%#x) = %#x, %v, %#x; want %#x, %v, %#x", tc.addr, ch.addr, ok, next, tc.chunk, tc.ok, tc.next)
		}
	}
}

// TestSoftDirtyProbe: the probe agrees with the kernel's configuration, when the kernel says it.
func TestSoftDirtyProbe(t *testing.T) {
	err := softDirtyProbe()
	t.Logf("soft-dirty probe: %v", err)
	cfg, ok := kernelConfig("CONFIG_MEM_SOFT_DIRTY")
	if !ok {
		t.Skip("no kernel configuration to compare with")
	}
	if (cfg == "y") != (err == nil) {
		t.Errorf("CONFIG_MEM_SOFT_DIRTY=%q but the probe says %v", cfg, err)
	}
}

// kernelConfig reads one option of the running kernel's configuration, from /proc/config.gz or
// /boot/config-RELEASE ("" when not set; false when neither is there).
func kernelConfig(key string) (string, bool) {
	var cfg []byte
	if f, err := os.Open("/proc/config.gz"); err == nil {
		defer f.Close()
		if z, err := gzip.NewReader(f); err == nil {
			cfg, _ = io.ReadAll(io.LimitReader(z, 16<<20))
		}
	}
	if cfg == nil {
		var u unix.Utsname
		if unix.Uname(&u) != nil {
			return "", false
		}
		var err error
		if cfg, err = os.ReadFile("/boot/config-" + unix.ByteSliceToString(u.Release[:])); err != nil {
			return "", false
		}
	}
	for _, line := range strings.Split(string(cfg), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return v, true
		}
	}
	return "", true
}

// TestRefresh reads again, from this process's own memory, exactly the stale pages of a slot.
func TestRefresh(t *testing.T) {
	mem, err := os.Open("/proc/self/mem")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	live, err := unix.Mmap(-1, 0, 8*pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(live)
	for i := range live {
		live[i] = 'n'
	}
	addr := uint64(uintptr(unsafe.Pointer(&live[0])))
	slot := bytes.Repeat([]byte{'o'}, 6*pageSize) // a copy of live's pages 1 to 6, from before
	c := &copier{mem: mem}
	stale := []run{
		{addr, addr + 2*pageSize},              // pages 0-1: only page 1 is in the slot
		{addr + 4*pageSize, addr + 5*pageSize}, // page 4
		{addr + 6*pageSize, addr + 8*pageSize}, // pages 6-7: only 6
	}
	if err := c.refresh(slot, addr+pageSize, stale); err != nil {
		t.Fatal(err)
	}
	want := "noonon" // pages 1 to 6
	for i := range 6 {
		if got := slot[i*pageSize]; got != want[i] || !bytes.Equal(slot[i*pageSize:(i+1)*pageSize], bytes.Repeat([]byte{got}, pageSize)) {
			t.Errorf("page %d of the slot holds %q, want %q throughout", i+1, got, want[i])
		}
	}
	if c.reused != 3*pageSize {
		t.Errorf("reused %d bytes, want %d", c.reused, 3*pageSize)
	}
}
