package livecore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Pagemap bits beyond those planMapping uses (Documentation/admin-guide/mm/pagemap.rst).
const (
	pmSoftDirty = 1 << 55 // written since soft-dirty bits were last cleared
	pmExclusive = 1 << 56 // mapped by this process only
)

// softDirtyProbe is probeSoftDirty, tried once per run of ndb: the kernel does not change.
var softDirtyProbe = sync.OnceValue(probeSoftDirty)

// probeSoftDirty tells whether the kernel tracks soft-dirty bits
// (Documentation/admin-guide/mm/soft-dirty.rst), by trying them on a page of ndb's own: a page
// just written must read soft-dirty, clean after "4" is written to clear_refs, dirty again after
// a write. A kernel built without CONFIG_MEM_SOFT_DIRTY accepts the write to clear_refs and never
// sets the bit, so only such a trial can tell. The error says why there is no tracking.
func probeSoftDirty() error {
	page, err := unix.Mmap(-1, 0, pageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return err
	}
	defer unix.Munmap(page) //nolint:errcheck
	pm, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return err
	}
	defer pm.Close()
	addr := uint64(uintptr(unsafe.Pointer(&page[0])))
	entry := func() uint64 {
		var b [8]byte
		if _, err := pm.ReadAt(b[:], int64(addr/pageSize*8)); err != nil {
			return 0
		}
		return binary.LittleEndian.Uint64(b[:])
	}
	page[0] = 1
	if entry()&pmSoftDirty == 0 {
		return errors.New("the kernel has no soft-dirty bits (built without CONFIG_MEM_SOFT_DIRTY)")
	}
	if err := clearSoftDirty(os.Getpid()); err != nil {
		return err
	}
	if entry()&pmSoftDirty != 0 {
		return errors.New("clearing soft-dirty bits has no effect on this kernel")
	}
	page[0] = 2
	if entry()&pmSoftDirty == 0 {
		return errors.New("the kernel does not mark written pages soft-dirty")
	}
	return nil
}

// clearSoftDirty clears the soft-dirty bits of every page of pid: from now on a page the
// process writes, and every page of a mapping it creates, reads soft-dirty in its pagemap.
func clearSoftDirty(pid int) error {
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/clear_refs", pid), os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot clear the soft-dirty bits of pid %d: %v", pid, err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("4")); err != nil {
		return fmt.Errorf("cannot clear the soft-dirty bits of pid %d: %v", pid, err)
	}
	return nil
}

// unchanged tells whether a page copied after the soft-dirty bits were cleared still holds what
// was copied, judged from its pagemap entry now: present, not written since, and mapped by this
// process alone. The last excludes the shared zero page, which a read maps where memory was
// discarded (MADV_DONTNEED) without marking anything dirty. Any other page is read again.
func unchanged(e uint64) bool {
	return e&pmPresent != 0 && e&pmExclusive != 0 && e&pmSoftDirty == 0 && e&pmFile == 0
}
