package livecore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// chunkSize is the size of one read of the process's memory.
const chunkSize = 4 << 20

// copier reads the memory of the stopped process into the core. What fits in its buffer is
// kept there and written after the process resumes; the rest is written at once, while the
// process is still stopped. The buffer is faulted in before the process stops (by the pre-copy,
// or at once), so that filling it while stopped costs only the copy.
type copier struct {
	mem     *os.File // /proc/PID/mem
	out     *os.File
	arena   []byte
	used    int
	scratch []byte
	pending []chunk
	memory  int64 // bytes of memory in the core
	reused  int64 // of which bytes taken from the pre-copy, not read while stopped
}

type chunk struct {
	off  int64
	data []byte
}

var zeroPage = make([]byte, pageSize)

// newCopier maps a buffer of budget bytes, faulted in at once when populate is set.
func newCopier(mem, out *os.File, budget int64, populate bool) (*copier, error) {
	c := &copier{mem: mem, out: out, scratch: make([]byte, chunkSize)}
	if budget >= chunkSize {
		flags := unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_NORESERVE
		if populate {
			flags |= unix.MAP_POPULATE
		}
		a, err := unix.Mmap(-1, 0, int(budget), unix.PROT_READ|unix.PROT_WRITE, flags)
		if err != nil {
			return nil, fmt.Errorf("reserving %d MB to copy the memory into: %v", budget>>20, err)
		}
		c.arena = a
	}
	return c, nil
}

func (c *copier) free() {
	if c.arena != nil {
		unix.Munmap(c.arena) //nolint:errcheck
		c.arena, c.pending = nil, nil
	}
}

// populateRest faults in the part of the buffer not yet used, so that the copy while stopped
// does not wait for the kernel to zero pages. Failing that (a kernel before 5.14), it is faulted
// in as it fills.
func (c *copier) populateRest() {
	if c.used < len(c.arena) {
		unix.Madvise(c.arena[c.used:], unix.MADV_POPULATE_WRITE) //nolint:errcheck
	}
}

// take hands out n bytes of the buffer, nil when they do not fit.
func (c *copier) take(n int) []byte {
	if c.used+n > len(c.arena) {
		return nil
	}
	b := c.arena[c.used : c.used+n : c.used+n]
	c.used += n
	return b
}

// untake gives back the last n bytes taken.
func (c *copier) untake(n int) { c.used -= n }

// copyRun reads [r.start, r.end) of the process into the core at file offset off.
func (c *copier) copyRun(r run, off int64, cancelled func() bool) error {
	for addr := r.start; addr < r.end; {
		if cancelled() {
			return errInterrupted
		}
		n := min(r.end-addr, chunkSize)
		dst := c.take(int(n))
		kept := dst != nil
		if !kept {
			dst = c.scratch[:n]
		}
		if err := c.readMem(dst, addr); err != nil {
			return err
		}
		c.memory += int64(n)
		if kept {
			c.pending = append(c.pending, chunk{off, dst})
		} else if err := c.writeData(off, dst); err != nil {
			return err
		}
		addr += n
		off += int64(n)
	}
	return nil
}

// readMem fills dst with the memory at addr. Pages that cannot be read (the kernel's [vvar],
// device memory) are zeros, as the kernel leaves them. A read of nothing at all means the
// process is gone.
func (c *copier) readMem(dst []byte, addr uint64) error {
	if addr >= 1<<63 {
		clear(dst) // beyond what a file offset can name: [vsyscall]
		return nil
	}
	n, err := c.mem.ReadAt(dst, int64(addr))
	if err == nil {
		return nil
	}
	if n == 0 && (err == io.EOF || errors.Is(err, unix.ESRCH)) {
		return fmt.Errorf("the process %w during the snapshot", errGone)
	}
	for p := 0; p < len(dst); p += pageSize {
		page := dst[p:min(p+pageSize, len(dst))]
		if _, err := c.mem.ReadAt(page, int64(addr)+int64(p)); err != nil {
			if err == io.EOF || errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("the process %w during the snapshot", errGone)
			}
			clear(page)
		}
	}
	return nil
}

// writeData writes memory at off, leaving all-zero pages as holes.
func (c *copier) writeData(off int64, data []byte) error {
	for i := 0; i < len(data); {
		if bytes.Equal(data[i:min(i+pageSize, len(data))], zeroPage[:min(pageSize, len(data)-i)]) {
			i += pageSize
			continue
		}
		j := i + pageSize
		for j < len(data) && !bytes.Equal(data[j:min(j+pageSize, len(data))], zeroPage[:min(pageSize, len(data)-j)]) {
			j += pageSize
		}
		j = min(j, len(data))
		if _, err := c.out.WriteAt(data[i:j], off+int64(i)); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// flush writes what was kept in the buffer.
func (c *copier) flush(cancelled func() bool) error {
	for _, ch := range c.pending {
		if cancelled() {
			return errInterrupted
		}
		if err := c.writeData(ch.off, ch.data); err != nil {
			return err
		}
	}
	c.pending = nil
	return nil
}
