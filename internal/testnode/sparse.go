package testnode

import (
	"bytes"
	"io"
	"os"
	"syscall"
)

// digHoles turns runs of zero bytes in the file at path into holes, as `fallocate --dig-holes`
// does. gdb writes the PROT_NONE reservations of V8 as real zeros, so a gcore of a small node
// process takes about 1 GB of disk; sparse, it takes a few tens of MB. The content is unchanged.
// Errors (say, a file system without hole punching) leave the file as it is.
func digHoles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	const (
		block        = 64 << 10
		punchHole    = 0x02 // FALLOC_FL_PUNCH_HOLE
		keepSize     = 0x01 // FALLOC_FL_KEEP_SIZE
		minHoleBytes = 1 << 20
	)
	buf := make([]byte, 16<<20)
	zero := make([]byte, block)
	var off, holeStart int64 = 0, -1
	punch := func(end int64) error {
		if holeStart >= 0 && end-holeStart >= minHoleBytes {
			if err := syscall.Fallocate(int(f.Fd()), punchHole|keepSize, holeStart, end-holeStart); err != nil {
				return err
			}
		}
		holeStart = -1
		return nil
	}
	for {
		n, err := io.ReadFull(f, buf)
		for i := 0; i < n; i += block {
			b := buf[i:min(i+block, n)]
			if len(b) == block && bytes.Equal(b, zero) {
				if holeStart < 0 {
					holeStart = off + int64(i)
				}
			} else if err := punch(off + int64(i)); err != nil {
				return err
			}
		}
		off += int64(n)
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return punch(off)
		}
		if err != nil {
			return err
		}
	}
}
