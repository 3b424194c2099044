package bundle

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/outfile"
)

// PackOptions control Pack.
type PackOptions struct {
	Exe   string // the node executable; found from the core when empty
	Force bool   // pack even when the executable's build-id differs
	// Level is the zstd level (default zstd.SpeedDefault).
	Level zstd.EncoderLevel
	// Workers compress in parallel (default GOMAXPROCS).
	Workers int
	// CreatedBy names the writer in the index ("ndb 0.1.0").
	CreatedBy string
	// Overwrite replaces an existing output file (a regular file that is
	// not an input; anything else is always refused).
	Overwrite bool
	// NoUnwindTables leaves out the modules' unwind tables (.eh_frame and
	// friends, 2 MB a bundle for node): native frames are then walked by
	// frame pointer only. For bundles whose stacks need no CFI, such as
	// the heap snapshots of the workshop.
	NoUnwindTables bool
	// Files says which bytes of the executable and libraries to store, of
	// those the process had mapped and the core lacks: FilesAuto (default)
	// the ones ndb reads, FilesAll every one, FilesNone none.
	Files string
}

// Values of PackOptions.Files.
const (
	FilesAuto = "auto"
	FilesAll  = "all"
	FilesNone = "none"
)

// Stats are the figures of one Pack.
type Stats struct {
	CoreSize   uint64 // the core's apparent size
	CoreOnDisk uint64 // blocks the core takes on disk (less when sparse)
	Memory     uint64 // bytes of memory the core holds
	Stored     uint64 // of which non-zero, stored in the bundle
	FileBytes  uint64 // bytes of the executable and libraries stored
	Symbols    int    // symbols stored, all modules
	Bundle     uint64 // the bundle's size
	Elapsed    time.Duration
	Warnings   []string
}

// Pack writes a bundle of the core at corePath to out, through
// internal/outfile: out may not be an input or anything but a regular file,
// an existing out is replaced only with Overwrite, and the bundle is
// written under a temporary name with mode 0600 and renamed when complete,
// so out is either the whole bundle or untouched.
func Pack(out, corePath string, o PackOptions) (*Stats, error) {
	start := time.Now()
	if IsBundle(corePath) {
		return nil, fmt.Errorf("%s is already an ndb bundle", corePath)
	}
	p, err := elfcore.Open(corePath, elfcore.Options{Exe: o.Exe, Force: o.Force})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	cf, err := elfcore.OpenRegular(corePath)
	if err != nil {
		return nil, err
	}
	defer cf.Close()
	tmp, err := outfile.Create(out, o.Overwrite, inputs(p)...)
	if err != nil {
		return nil, err
	}
	defer tmp.Close()
	st, err := write(tmp.File, p, cf, o)
	if err != nil {
		return nil, err
	}
	if err := tmp.Commit(); err != nil {
		return nil, err
	}
	st.Elapsed = time.Since(start)
	st.Warnings = p.Warnings
	return st, nil
}

// inputs are the files a bundle of p is made from.
func inputs(p *elfcore.Process) []string {
	in := []string{p.CorePath, p.ExePath}
	for _, fm := range p.Files {
		in = append(in, fm.Path)
	}
	return in
}

// countingWriter hashes and counts what goes to the file.
type countingWriter struct {
	w   io.Writer
	h   hash.Hash
	off uint64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.h.Write(b[:n])
	c.off += uint64(n)
	return n, err
}

// write streams the bundle of p (whose core file is cf) to f.
func write(f *os.File, p *elfcore.Process, cf *os.File, o PackOptions) (*Stats, error) {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Level == 0 {
		o.Level = zstd.SpeedDefault
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(o.Level), zstd.WithEncoderConcurrency(o.Workers),
		zstd.WithEncoderCRC(true), zstd.WithWindowSize(1<<20))
	if err != nil {
		return nil, err
	}
	defer enc.Close()

	st := &Stats{}
	if fi, err := cf.Stat(); err == nil {
		st.CoreSize = uint64(fi.Size())
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			st.CoreOnDisk = uint64(sys.Blocks) * 512
		}
	}
	offs, err := segmentOffsets(cf)
	if err != nil {
		return nil, err
	}

	ix := &index{Format: Version, CreatedBy: o.CreatedBy, ExeModule: -1,
		Source: source{Core: p.CorePath, CoreSize: st.CoreSize, CoreOnDisk: st.CoreOnDisk, Exe: p.ExePath}}
	fillProcess(ix, p)

	// The memory image: segments first, each at a page-aligned offset.
	var image uint64
	for _, s := range p.Segments {
		ix.Segments = append(ix.Segments, segment{Start: s.Start, End: s.End, Flags: uint32(s.Flags),
			FileSize: s.FileSize, DataLen: uint64(len(s.Data)), Image: image})
		image += pageRound(uint64(len(s.Data)))
		st.Memory += uint64(len(s.Data))
	}
	mods, files := collectModules(p)
	defer func() {
		for _, fl := range files {
			fl.Close()
		}
	}()
	for i, m := range mods {
		ix.Modules = append(ix.Modules, module{Paths: m.paths, BuildID: m.mod.BuildID})
		im := &ix.Modules[i]
		for _, l := range m.mod.Loads {
			im.Loads = append(im.Loads, loadSegment(l))
		}
		if m.mod == p.Exe {
			ix.ExeModule = i
		}
	}

	cw := &countingWriter{w: nil, h: sha256.New(), off: headerSize}
	if _, err := f.Write(header{version: Version}.encode()); err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	cw.w = bw

	// Chunks of memory, compressed by a pool of workers, written in order;
	// the workers also look for what the memory points to in the files.
	gaps := fileGaps(p, mods)
	sc := newScanner(p, gaps, o.Files == FilesAuto || o.Files == "")
	var jobs []chunkJob
	for i, s := range p.Segments {
		off, ok := offs[s.Start]
		if !ok && len(s.Data) > 0 {
			return nil, fmt.Errorf("segment %#x: not found in the core's program headers", s.Start)
		}
		jobs = append(jobs, chunkJob{src: cf, srcOff: off, image: ix.Segments[i].Image,
			addr: s.Start, length: uint64(len(s.Data)), sparse: true})
	}
	stored, err := writeChunks(cw, enc, o.Workers, jobs, &ix.Chunks, sc)
	if err != nil {
		return nil, err
	}

	// Then the bytes of the files that ndb reads and the core lacks.
	jobs = jobs[:0]
	for i, m := range mods {
		for _, e := range chooseExtents(p, m, gaps[m.mod], sc, o.Files) {
			e.Image = image
			image += pageRound(e.Length)
			ix.Modules[i].Extents = append(ix.Modules[i].Extents, e)
			st.FileBytes += e.Length
			jobs = append(jobs, chunkJob{src: files[m.mod], srcOff: e.FileOffset, image: e.Image, length: e.Length})
		}
	}
	ix.MemSize = image
	if _, err := writeChunks(cw, enc, o.Workers, jobs, &ix.Chunks, nil); err != nil {
		return nil, err
	}
	st.Stored = stored

	// Symbol tables.
	for i, m := range mods {
		syms, err := m.mod.Symbols()
		if err != nil {
			ix.Modules[i].SymbolsErr = err.Error()
			continue
		}
		st.Symbols += len(syms)
		ref, err := writeFrame(cw, enc, encodeSymbols(syms))
		if err != nil {
			return nil, err
		}
		ix.Modules[i].Symbols = &ref
		if tls, err := m.mod.TLS(); err == nil {
			ix.Modules[i].TLS = tls
		}
	}

	if o.NoUnwindTables {
		for i := range ix.Modules {
			ix.Modules[i].Sections = []sectionRef{} // none, on purpose
		}
	} else if err := writeSections(cw, enc, mods, ix); err != nil {
		return nil, err
	}

	js, err := json.Marshal(ix)
	if err != nil {
		return nil, err
	}
	ref, err := writeFrame(cw, enc, js)
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	var t trailer
	t.indexOff, t.indexLen = ref.Offset, ref.Length
	copy(t.sum[:], cw.h.Sum(nil))
	if _, err := f.Write(t.encode()); err != nil {
		return nil, err
	}
	size := cw.off + trailerSize
	if _, err := f.WriteAt(header{version: Version, size: size}.encode(), 0); err != nil {
		return nil, err
	}
	st.Bundle = size
	return st, nil
}

func pageRound(n uint64) uint64 { return (n + pageSize - 1) &^ (pageSize - 1) }

// segmentOffsets maps each PT_LOAD's address to its offset in the core file.
func segmentOffsets(cf *os.File) (map[uint64]uint64, error) {
	ef, err := elf.NewFile(cf)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", cf.Name(), err)
	}
	offs := map[uint64]uint64{}
	for _, ph := range ef.Progs {
		if ph.Type == elf.PT_LOAD {
			offs[ph.Vaddr] = ph.Off
		}
	}
	return offs, nil
}

func fillProcess(ix *index, p *elfcore.Process) {
	ix.Info = procInfo(p.Info)
	for _, t := range p.Threads {
		ix.Threads = append(ix.Threads, thread{TID: t.TID, Signal: t.Signal, Regs: t.Regs.Slice()})
	}
	if p.Sig != nil {
		s := sigInfo(*p.Sig)
		ix.Sig = &s
	}
	ix.Auxv = p.Auxv
	for _, fm := range p.Files {
		ix.Files = append(ix.Files, fileMapping(fm))
	}
	ix.PageSize = p.PageSize
	ix.TruncatedBy = p.TruncatedBy
	ix.Warnings = p.Warnings
	ix.ExePath = p.ExePath
	ix.CoreBuildID = p.CoreBuildID
	ix.BuildIDStatus = p.BuildIDStatus
	ix.NodeVersion, ix.V8Version = p.NodeVersion, p.V8Version
	for _, c := range p.Constants {
		ix.Constants = append(ix.Constants, constant(c))
	}
}

type packedModule struct {
	mod   *elfcore.Module
	paths []string
}

// collectModules returns every module the process resolves on this
// machine, each once with the paths that name it, and an open file of
// each for reading extents.
func collectModules(p *elfcore.Process) ([]*packedModule, map[*elfcore.Module]*os.File) {
	var mods []*packedModule
	byMod := map[*elfcore.Module]*packedModule{}
	add := func(path string) {
		m := p.Module(path)
		if m == nil {
			return
		}
		pm := byMod[m]
		if pm == nil {
			pm = &packedModule{mod: m}
			byMod[m] = pm
			mods = append(mods, pm)
		}
		for _, q := range pm.paths {
			if q == path {
				return
			}
		}
		pm.paths = append(pm.paths, path)
	}
	if p.Exe != nil {
		add(p.Exe.Path)
		add(p.ExePath)
	}
	for _, fm := range p.Files {
		add(fm.Path)
	}
	// Paths[0] must be the module's own Path.
	for _, pm := range mods {
		sort.SliceStable(pm.paths, func(i, j int) bool { return pm.paths[i] == pm.mod.Path && pm.paths[j] != pm.mod.Path })
	}
	files := map[*elfcore.Module]*os.File{}
	for _, pm := range mods {
		if f, err := elfcore.OpenRegular(pm.mod.Path); err == nil {
			files[pm.mod] = f
		}
	}
	return mods, files
}

// writeSections stores each module's unwind tables, one frame a section.
// Sections stays non-nil (an empty list) for a module without any, which
// tells it from a bundle made before they were stored.
func writeSections(cw *countingWriter, enc *zstd.Encoder, mods []*packedModule, ix *index) error {
	for i, m := range mods {
		ix.Modules[i].Sections = []sectionRef{}
		for _, name := range unwindSections {
			sec, err := m.mod.Section(name)
			if err != nil {
				continue
			}
			ref, err := writeFrame(cw, enc, sec.Data)
			if err != nil {
				return err
			}
			ix.Modules[i].Sections = append(ix.Modules[i].Sections,
				sectionRef{Name: name, Addr: sec.Addr, Size: uint64(len(sec.Data)), Frame: ref})
		}
	}
	return nil
}

// encodeSymbols is the symbol-table frame: uvarint count, then per symbol
// uvarint address delta, uvarint size, uvarint name length, name.
func encodeSymbols(syms []elfcore.Symbol) []byte {
	var b []byte
	b = binary.AppendUvarint(b, uint64(len(syms)))
	var prev uint64
	for _, s := range syms {
		b = binary.AppendUvarint(b, s.Addr-prev)
		b = binary.AppendUvarint(b, s.Size)
		b = binary.AppendUvarint(b, uint64(len(s.Name)))
		b = append(b, s.Name...)
		prev = s.Addr
	}
	return b
}

func writeFrame(cw *countingWriter, enc *zstd.Encoder, data []byte) (frameRef, error) {
	c := enc.EncodeAll(data, nil)
	ref := frameRef{Offset: cw.off, Length: uint64(len(c))}
	_, err := cw.Write(c)
	return ref, err
}

// chunkJob is a range of the memory image and where its bytes come from.
type chunkJob struct {
	src    io.ReaderAt
	srcOff uint64
	image  uint64
	addr   uint64 // the address of the first byte (memory chunks)
	length uint64
	sparse bool // src is the core: skip its holes without reading them
}

type chunkResult struct {
	frame  []byte // nil: all zeros
	stored uint64
	err    error
}

var zeroPage = make([]byte, pageSize)

// framePool recycles the buffers of compressed chunks.
// It holds *[]byte: a slice put as an interface would be allocated.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, chunkBytes+chunkBytes/8); return &b }}

// writeChunks compresses the jobs' bytes in 1 MiB chunks with workers
// goroutines and writes the frames in order. At most 2*workers chunks are
// in flight, so memory stays bounded whatever the core's size.
func writeChunks(cw *countingWriter, enc *zstd.Encoder, workers int, jobs []chunkJob, refs *[]frameRef, sc *scanner) (uint64, error) {
	type task struct {
		job  chunkJob
		done chan chunkResult
	}
	tasks := make(chan task)
	pending := make(chan chan chunkResult, 2*workers)
	stop := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func() {
			buf := make([]byte, chunkBytes)
			raw := make([]byte, 0, chunkHeader+chunkPages/8+chunkBytes)
			for t := range tasks {
				r := compressChunk(enc, t.job, buf, raw)
				if r.err == nil && sc != nil {
					sc.scan(buf[:t.job.length], t.job.addr)
				}
				t.done <- r
			}
		}()
	}
	go func() {
		defer close(pending)
		defer close(tasks)
		for _, j := range jobs {
			for off := uint64(0); off < j.length; off += chunkBytes {
				c := chunkJob{src: j.src, srcOff: j.srcOff + off, image: j.image + off, addr: j.addr + off,
					length: min(chunkBytes, j.length-off), sparse: j.sparse}
				if c.sparse && isHole(c.src, c.srcOff, c.length) {
					continue
				}
				done := make(chan chunkResult, 1)
				select {
				case tasks <- task{c, done}:
				case <-stop:
					return
				}
				select {
				case pending <- done:
				case <-stop:
					return
				}
			}
		}
	}()
	var stored uint64
	var firstErr error
	for done := range pending {
		r := <-done
		if firstErr != nil {
			continue
		}
		if r.err != nil {
			firstErr = r.err
			close(stop)
			continue
		}
		if r.frame == nil {
			continue
		}
		stored += r.stored
		*refs = append(*refs, frameRef{Offset: cw.off, Length: uint64(len(r.frame))})
		if _, err := cw.Write(r.frame); err != nil {
			firstErr = err
			close(stop)
		}
		buf := r.frame[:0]
		framePool.Put(&buf)
	}
	return stored, firstErr
}

// isHole reports whether [off, off+n) of a file is all hole (reads as
// zeros) without reading it.
func isHole(src io.ReaderAt, off, n uint64) bool {
	f, ok := src.(*os.File)
	if !ok {
		return false
	}
	next, err := unix.Seek(int(f.Fd()), int64(off), unix.SEEK_DATA)
	if errors.Is(err, unix.ENXIO) {
		return true // no data after off
	}
	return err == nil && uint64(next) >= off+n
}

func compressChunk(enc *zstd.Encoder, j chunkJob, buf, raw []byte) chunkResult {
	if j.src == nil {
		return chunkResult{err: fmt.Errorf("no source for image offset %#x", j.image)}
	}
	b := buf[:j.length]
	if n, err := j.src.ReadAt(b, int64(j.srcOff)); n < len(b) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return chunkResult{err: fmt.Errorf("reading %d bytes at offset %d: %v", len(b), j.srcOff, err)}
	}
	pages, maskLen := chunkLayout(j.length)
	raw = raw[:chunkHeader+maskLen]
	clear(raw)
	binary.LittleEndian.PutUint64(raw, j.image)
	binary.LittleEndian.PutUint32(raw[8:], uint32(j.length))
	mask := raw[chunkHeader:]
	var stored uint64
	for i := 0; i < pages; i++ {
		pg := b[i*pageSize : min(len(b), (i+1)*pageSize)]
		if bytes.Equal(pg, zeroPage[:len(pg)]) {
			continue
		}
		mask[i/8] |= 1 << (i % 8)
		raw = append(raw, pg...)
		stored += uint64(len(pg))
	}
	if stored == 0 {
		return chunkResult{}
	}
	return chunkResult{frame: enc.EncodeAll(raw, *framePool.Get().(*[]byte)), stored: stored}
}
