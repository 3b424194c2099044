package bundle

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// A bundle is untrusted input: a few KB of zstd can claim gigabytes. Every
// frame is decoded with a limit known before it is read (its kind's
// largest honest size), checked by the decoder against the frame's
// declared content size before it allocates and again while it decodes;
// all frames of a bundle together stay within a budget that follows from
// the index's checked sizes.
const (
	// maxIndex bounds the decoded index. Real ones are about 70 KB; a
	// dense 64 GB core (65,000 chunk frames) would need about 3 MB.
	maxIndex = 16 << 20
	// maxSymbolTable bounds one decoded symbol table: node 26's is 20 MB.
	maxSymbolTable = 64 << 20
	// maxSection bounds one decoded unwind-table section (.eh_frame,
	// .eh_frame_hdr, .debug_frame): node's .eh_frame is about 4 MB.
	maxSection = 64 << 20
	// maxMeta bounds the index and every symbol table of a bundle, decoded.
	maxMeta = 96 << 20
	// maxChunk is the largest decoded chunk frame: header, mask, 1 MiB.
	maxChunk = chunkHeader + chunkPages/8 + chunkBytes
	// maxImage bounds the memory image: no process has more memory than
	// the 128 TiB of x86-64 user address space.
	maxImage = 1 << 47
	// maxDecodeWorkers bounds the chunk decoders running at once: each
	// holds up to two chunks, so memory does not grow with the machine.
	maxDecodeWorkers = 8
)

// frameBound is the largest compressed frame of n decoded bytes (zstd's
// compress bound, with room for the frame header and checksum).
func frameBound(n uint64) uint64 { return n + n>>7 + 1024 }

// metaDecoder decodes the index and the symbol tables, one at a time,
// within the bundle's maxMeta budget.
type metaDecoder struct {
	mu   sync.Mutex
	left uint64 // bytes of the budget not used yet
}

var errBudget = errors.New("its frames decode to more than their declared sizes allow")

// decode decodes frame c (compressed) of at most limit decoded bytes.
func (m *metaDecoder) decode(c []byte, limit uint64) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit = min(limit, m.left)
	if limit == 0 {
		return nil, errBudget
	}
	d, err := newDecoder(1, limit)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	out, err := d.DecodeAll(c, nil)
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return nil, fmt.Errorf("frame decodes to more than %d bytes", limit)
	}
	if err != nil {
		return nil, err
	}
	m.left -= uint64(len(out))
	return out, nil
}

// newDecoder returns a zstd decoder of at most limit bytes per DecodeAll
// (and no larger window), with workers concurrent decodes.
func newDecoder(workers int, limit uint64) (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(workers), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(limit), zstd.WithDecoderMaxWindow(max(limit, zstd.MinWindowSize)))
}

// imageLayout checks that the memory image holds exactly what the index
// places in it, as the writer lays it out: each segment's bytes, then each
// file extent's, at consecutive page-aligned offsets. mem_size is then
// justified by sizes the index declares for each part.
func (ix *index) imageLayout() error {
	var at uint64
	next := func(what string, image, n uint64) error {
		if image != at {
			return fmt.Errorf("%s at image offset %d, want %d", what, image, at)
		}
		if n > math.MaxUint64-pageSize {
			return fmt.Errorf("%s of %d bytes", what, n)
		}
		var carry uint64
		at, carry = bits.Add64(at, pageRound(n), 0)
		if carry != 0 || at > maxImage {
			return fmt.Errorf("memory image larger than %d bytes", uint64(maxImage))
		}
		return nil
	}
	for i, s := range ix.Segments {
		if s.End < s.Start || s.FileSize > s.End-s.Start || s.DataLen > s.FileSize {
			return fmt.Errorf("segment %d out of range", i)
		}
		if i > 0 && s.Start < ix.Segments[i-1].End {
			return fmt.Errorf("segment %d overlaps the one before", i)
		}
		if err := next(fmt.Sprintf("segment %d", i), s.Image, s.DataLen); err != nil {
			return err
		}
	}
	for _, m := range ix.Modules {
		for _, e := range m.Extents {
			if err := next("file extent", e.Image, e.Length); err != nil {
				return err
			}
		}
	}
	if ix.MemSize != at {
		return fmt.Errorf("mem_size %d, but its segments and file extents take %d", ix.MemSize, at)
	}
	return nil
}
