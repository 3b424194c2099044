package livecore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"
)

// preCopied is the private anonymous memory of the process, copied while it ran, after its
// soft-dirty bits were cleared. Once the process is stopped, a page that pagemap says is
// unchanged is taken from here; any other is read again.
type preCopied struct {
	chunks []chunkAt // by address, not overlapping
	bytes  int64
}

// chunkAt is memory copied from addr.
type chunkAt struct {
	addr uint64
	data []byte
}

func (ch chunkAt) end() uint64 { return ch.addr + uint64(len(ch.data)) }

// staleOverride, when set (by tests and benchmarks), stands in for the soft-dirty bits so that the
// pre-copy runs on a kernel without them: it says from a page's pagemap entry whether to read the
// page again while stopped. The probe and the clearing of the bits are skipped.
var staleOverride func(entry uint64) bool

// recopyAll is a staleOverride that reads every page again: the pre-copy's bookkeeping with a
// core as consistent as stop-the-world's.
func recopyAll(uint64) bool { return true }

// preCopyable is true for the mappings the pre-copy takes: private anonymous memory (V8's heap,
// malloc's, the stacks). Shared memory can change with no write of this process, file pages with
// the file, and both are small.
func preCopyable(m mapping) bool {
	return !m.special() && !m.shared && !m.fileBacked() && (m.read || m.write || m.exec)
}

// preCopy clears the soft-dirty bits of pid, then copies its private anonymous memory into the
// copier's buffer while the process runs, as much as the buffer holds. A page the process writes
// from the clearing on reads soft-dirty, so what it copies is what the process holds at the stop
// wherever pagemap then says unchanged. Chunks that cannot be read whole (a mapping that went
// away meanwhile) are not kept.
func preCopy(pid int, c *copier, pm *pagemap, cancelled func() bool) (*preCopied, error) {
	if staleOverride == nil {
		if err := clearSoftDirty(pid); err != nil {
			return nil, err
		}
	}
	mf, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, fmt.Errorf("the process %w during the snapshot", errGone)
	}
	maps, err := parseMaps(mf)
	mf.Close()
	if err != nil {
		return nil, err
	}
	pre := &preCopied{}
	for _, m := range maps {
		if !preCopyable(m) {
			continue
		}
		runs, _, err := pm.anonRuns(m.start, m.end, nil)
		if err != nil {
			continue // unmapped since the listing
		}
		for _, r := range runs {
			for addr := r.start; addr < r.end; {
				if cancelled() {
					return nil, errInterrupted
				}
				n := min(r.end-addr, chunkSize)
				dst := c.take(int(n))
				if dst == nil {
					return pre, nil // the buffer is full: the rest is read while stopped
				}
				got, err := c.mem.ReadAt(dst, int64(addr))
				if err != nil || got != len(dst) {
					c.untake(len(dst))
					if got == 0 && (err == io.EOF || errors.Is(err, unix.ESRCH)) {
						return nil, fmt.Errorf("the process %w during the snapshot", errGone)
					}
					break // the rest of this run is read while stopped
				}
				pre.chunks = append(pre.chunks, chunkAt{addr, dst})
				pre.bytes += int64(n)
				addr += n
			}
		}
	}
	return pre, nil
}

// covering returns the chunk that holds addr, or, when none does, the address of the next chunk
// above addr (^0 when there is none).
func (pre *preCopied) covering(addr uint64) (ch chunkAt, ok bool, next uint64) {
	i := sort.Search(len(pre.chunks), func(i int) bool { return pre.chunks[i].end() > addr })
	if i == len(pre.chunks) {
		return chunkAt{}, false, ^uint64(0)
	}
	if pre.chunks[i].addr <= addr {
		return pre.chunks[i], true, 0
	}
	return chunkAt{}, false, pre.chunks[i].addr
}

// isStale tells from a page's pagemap entry at the stop whether its pre-copy must be read again.
func isStale(e uint64) bool {
	if staleOverride != nil {
		return staleOverride(e)
	}
	return !unchanged(e)
}

// copyRunAfter copies run r of a stopped process to file offset off like copyRun, but takes
// from pre what it holds of the run, reading again into their place there the pages of stale
// (sorted runs), so that the run is written from one buffer after the resume.
func (c *copier) copyRunAfter(pre *preCopied, stale []run, r run, off int64, cancelled func() bool) error {
	for addr := r.start; addr < r.end; {
		ch, ok, next := pre.covering(addr)
		if !ok {
			end := min(r.end, next)
			if err := c.copyRun(run{addr, end}, off+int64(addr-r.start), cancelled); err != nil {
				return err
			}
			addr = end
			continue
		}
		if cancelled() {
			return errInterrupted
		}
		end := min(r.end, ch.end())
		slot := ch.data[addr-ch.addr : end-ch.addr : end-ch.addr]
		if err := c.refresh(slot, addr, stale); err != nil {
			return err
		}
		c.pending = append(c.pending, chunk{off + int64(addr-r.start), slot})
		c.memory += int64(len(slot))
		addr = end
	}
	return nil
}

// refresh reads again, into slot, which holds the memory from addr, the pages of stale within it,
// and counts the others as reused.
func (c *copier) refresh(slot []byte, addr uint64, stale []run) error {
	end := addr + uint64(len(slot))
	c.reused += int64(len(slot))
	i := sort.Search(len(stale), func(i int) bool { return stale[i].end > addr })
	for ; i < len(stale) && stale[i].start < end; i++ {
		s, e := max(stale[i].start, addr), min(stale[i].end, end)
		if err := c.readMem(slot[s-addr:e-addr], s); err != nil {
			return err
		}
		c.reused -= int64(e - s)
	}
	return nil
}
