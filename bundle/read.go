package bundle

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Open reads a bundle into a Process that never touches another file. The
// whole file is checked against its checksum first; the memory is decoded
// once into a cache file (see CacheDir) and mapped, so later opens of the
// same bundle only check and map.
func Open(path string) (*elfcore.Process, error) {
	b, err := openBundle(path)
	if err != nil {
		return nil, err
	}
	p, err := b.process()
	if err != nil {
		b.close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return p, nil
}

// bundleFile is an opened, verified bundle.
type bundleFile struct {
	path string
	f    *os.File
	ix   *index
	sum  [32]byte
	meta *metaDecoder
	body [2]uint64 // [start, end) of the frames
	mem  []byte    // the mapped memory image
}

func openBundle(path string) (*bundleFile, error) {
	f, err := elfcore.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	b := &bundleFile{path: path, f: f, meta: &metaDecoder{left: maxMeta}}
	if err := b.verify(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return b, nil
}

func (b *bundleFile) close() {
	if b.mem != nil {
		unix.Munmap(b.mem)
		b.mem = nil
	}
	b.f.Close()
}

// verify checks the header, the size, the checksum and reads the index.
func (b *bundleFile) verify() error {
	fi, err := b.f.Stat()
	if err != nil {
		return err
	}
	size := uint64(fi.Size())
	hb := make([]byte, headerSize)
	if _, err := io.ReadFull(b.f, hb); err != nil {
		return errors.New("not an ndb bundle (too short)")
	}
	h, err := decodeHeader(hb)
	if err != nil {
		return err
	}
	switch {
	case h.version > Version:
		return fmt.Errorf("bundle format version %d is newer than this ndb reads (%d); update ndb", h.version, Version)
	case h.version == 0:
		return errors.New("damaged bundle: format version 0")
	case h.size == 0:
		return errors.New("incomplete bundle: its writer did not finish")
	case size < h.size:
		return fmt.Errorf("truncated bundle: %d of its %d bytes", size, h.size)
	case size > h.size:
		return fmt.Errorf("damaged bundle: %d bytes, its header says %d", size, h.size)
	case size < headerSize+trailerSize:
		return errors.New("damaged bundle: too short for its trailer")
	}
	tb := make([]byte, trailerSize)
	if _, err := b.f.ReadAt(tb, int64(size-trailerSize)); err != nil {
		return err
	}
	t := decodeTrailer(tb)
	b.body = [2]uint64{headerSize, size - trailerSize}
	hs := sha256.New()
	if _, err := io.Copy(hs, io.NewSectionReader(b.f, headerSize, int64(b.body[1]-headerSize))); err != nil {
		return err
	}
	if !bytes.Equal(hs.Sum(nil), t.sum[:]) {
		return errors.New("damaged bundle: checksum mismatch (the file was corrupted or cut and patched)")
	}
	b.sum = t.sum
	js, err := b.frame(frameRef{Offset: t.indexOff, Length: t.indexLen}, maxIndex)
	if err != nil {
		return fmt.Errorf("damaged bundle: index: %v", err)
	}
	ix := &index{}
	if err := json.Unmarshal(js, ix); err != nil {
		return fmt.Errorf("damaged bundle: index: %v", err)
	}
	if ix.Format != int(h.version) {
		return fmt.Errorf("damaged bundle: index format %d, header %d", ix.Format, h.version)
	}
	if err := ix.check(b.body[0], b.body[1]); err != nil {
		return fmt.Errorf("damaged bundle: %v", err)
	}
	b.ix = ix
	return nil
}

// check validates the index's references before anything uses them.
func (ix *index) check(lo, hi uint64) error {
	for _, r := range ix.Chunks {
		if err := checkFrame(r, lo, hi, maxChunk); err != nil {
			return err
		}
	}
	if err := ix.imageLayout(); err != nil {
		return err
	}
	for _, m := range ix.Modules {
		if len(m.Paths) == 0 {
			return errors.New("module without a path")
		}
		if m.Symbols != nil {
			if err := checkFrame(*m.Symbols, lo, hi, maxSymbolTable); err != nil {
				return err
			}
		}
		for _, e := range m.Extents {
			if e.Image > ix.MemSize || e.Length > ix.MemSize-e.Image {
				return errors.New("file extent out of range")
			}
		}
		for _, sec := range m.Sections {
			if sec.Size > maxSection {
				return fmt.Errorf("section %s of %d bytes: more than %d", sec.Name, sec.Size, maxSection)
			}
			if err := checkFrame(sec.Frame, lo, hi, maxSection); err != nil {
				return err
			}
		}
	}
	if ix.ExeModule >= len(ix.Modules) {
		return errors.New("executable module out of range")
	}
	for _, t := range ix.Threads {
		if len(t.Regs) != len(elfcore.RegisterNames) {
			return fmt.Errorf("thread %d has %d registers", t.TID, len(t.Regs))
		}
	}
	return nil
}

// frame reads and decompresses one frame of the index or a symbol table,
// of at most limit decoded bytes.
func (b *bundleFile) frame(r frameRef, limit uint64) ([]byte, error) {
	if err := checkFrame(r, b.body[0], b.body[1], limit); err != nil {
		return nil, err
	}
	c := make([]byte, r.Length)
	if _, err := b.f.ReadAt(c, int64(r.Offset)); err != nil {
		return nil, err
	}
	return b.meta.decode(c, limit)
}

// process maps the memory image (decoding it if not cached) and builds the
// Process.
func (b *bundleFile) process() (*elfcore.Process, error) {
	ix := b.ix
	if ix.MemSize > 0 {
		mf, err := b.memoryImage()
		if err != nil {
			return nil, err
		}
		b.mem, err = unix.Mmap(int(mf.Fd()), 0, int(ix.MemSize), unix.PROT_READ, unix.MAP_SHARED)
		mf.Close()
		if err != nil {
			return nil, fmt.Errorf("mapping the memory image: %v", err)
		}
	}
	var once sync.Once
	p := elfcore.NewProcess(func() { once.Do(b.close) })
	p.CorePath = b.path
	p.ExePath = ix.ExePath
	for _, s := range ix.Segments {
		seg := elfcore.Segment{Start: s.Start, End: s.End, Flags: elf.ProgFlag(s.Flags), FileSize: s.FileSize}
		if s.DataLen > 0 {
			seg.Data = b.mem[s.Image : s.Image+s.DataLen : s.Image+s.DataLen]
		}
		p.Segments = append(p.Segments, seg)
	}
	for _, t := range ix.Threads {
		p.Threads = append(p.Threads, elfcore.Thread{TID: t.TID, Signal: t.Signal, Regs: regsFromSlice(t.Regs)})
	}
	p.Info = elfcore.ProcessInfo(ix.Info)
	if ix.Sig != nil {
		s := elfcore.SigInfo(*ix.Sig)
		p.Sig = &s
	}
	p.Auxv = ix.Auxv
	for _, fm := range ix.Files {
		p.Files = append(p.Files, elfcore.FileMapping(fm))
	}
	if ix.PageSize != 0 {
		p.PageSize = ix.PageSize
	}
	p.TruncatedBy = ix.TruncatedBy
	p.Warnings = ix.Warnings
	p.CoreBuildID, p.BuildIDStatus = ix.CoreBuildID, ix.BuildIDStatus
	p.NodeVersion, p.V8Version = ix.NodeVersion, ix.V8Version
	for _, c := range ix.Constants {
		p.Constants = append(p.Constants, elfcore.RawConstant(c))
	}
	for i := range ix.Modules {
		im := &ix.Modules[i]
		m := &elfcore.Module{Path: im.Paths[0], BuildID: im.BuildID}
		for _, l := range im.Loads {
			m.Loads = append(m.Loads, elfcore.LoadSegment(l))
		}
		m.SymbolsLoader = b.symbolsLoader(im)
		m.FileReader = b.fileReader(im.Extents)
		m.SectionLoader = b.sectionLoader(im)
		m.TLSLoader = tlsLoader(im)
		for _, path := range im.Paths {
			p.AddModule(path, m)
		}
		if i == ix.ExeModule {
			p.Exe = m
		}
	}
	return p, nil
}

func regsFromSlice(v []uint64) elfcore.Registers {
	var r elfcore.Registers
	for i, p := range []*uint64{&r.R15, &r.R14, &r.R13, &r.R12, &r.RBP, &r.RBX, &r.R11, &r.R10, &r.R9, &r.R8,
		&r.RAX, &r.RCX, &r.RDX, &r.RSI, &r.RDI, &r.OrigRAX, &r.RIP, &r.CS, &r.EFLAGS,
		&r.RSP, &r.SS, &r.FSBase, &r.GSBase, &r.DS, &r.ES, &r.FS, &r.GS} {
		*p = v[i]
	}
	return r
}

func (b *bundleFile) symbolsLoader(im *module) func() ([]elfcore.Symbol, error) {
	return func() ([]elfcore.Symbol, error) {
		if im.Symbols == nil {
			return nil, errors.New(im.SymbolsErr)
		}
		d, err := b.frame(*im.Symbols, maxSymbolTable)
		if err != nil {
			return nil, fmt.Errorf("%s: symbols in bundle %s: %v", im.Paths[0], b.path, err)
		}
		syms, err := decodeSymbols(d)
		if err != nil {
			return nil, fmt.Errorf("%s: symbols in bundle %s: %v", im.Paths[0], b.path, err)
		}
		return syms, nil
	}
}

// sectionLoader decodes a stored section on first use and keeps it.
func (b *bundleFile) sectionLoader(im *module) func(name string) (elfcore.Section, error) {
	var mu sync.Mutex
	decoded := map[string]elfcore.Section{}
	return func(name string) (elfcore.Section, error) {
		if im.Sections == nil {
			return elfcore.Section{}, fmt.Errorf("%s: section %s: not in this bundle (made before ndb stored unwind tables)", filepath.Base(im.Paths[0]), name)
		}
		mu.Lock()
		defer mu.Unlock()
		if s, ok := decoded[name]; ok {
			return s, nil
		}
		for _, ref := range im.Sections {
			if ref.Name != name {
				continue
			}
			d, err := b.frame(ref.Frame, maxSection)
			if err == nil && uint64(len(d)) != ref.Size {
				err = fmt.Errorf("%d bytes, the index says %d", len(d), ref.Size)
			}
			if err != nil {
				return elfcore.Section{}, fmt.Errorf("%s: section %s in bundle %s: %v", filepath.Base(im.Paths[0]), name, b.path, err)
			}
			s := elfcore.Section{Name: name, Addr: ref.Addr, Data: d}
			decoded[name] = s
			return s, nil
		}
		return elfcore.Section{}, fmt.Errorf("%s: section %s: %w", filepath.Base(im.Paths[0]), name, elfcore.ErrNoSection)
	}
}

func decodeSymbols(d []byte) ([]elfcore.Symbol, error) {
	errBad := errors.New("damaged symbol table")
	n, k := binary.Uvarint(d)
	if k <= 0 || n > uint64(len(d)) {
		return nil, errBad
	}
	d = d[k:]
	// Each symbol takes at least 4 bytes (three uvarints and a name).
	if n > uint64(len(d))/4 {
		return nil, errBad
	}
	syms := make([]elfcore.Symbol, 0, n)
	var addr uint64
	for i := uint64(0); i < n; i++ {
		var v [3]uint64
		for j := range v {
			x, k := binary.Uvarint(d)
			if k <= 0 {
				return nil, errBad
			}
			v[j], d = x, d[k:]
		}
		if v[2] == 0 || v[2] > uint64(len(d)) {
			return nil, errBad
		}
		addr += v[0]
		syms = append(syms, elfcore.Symbol{Addr: addr, Size: v[1], Name: string(d[:v[2]])})
		d = d[v[2]:]
	}
	return syms, nil
}

func (b *bundleFile) fileReader(exts []extent) func(off, n uint64) ([]byte, bool) {
	if len(exts) == 0 {
		return nil
	}
	exts = append([]extent(nil), exts...)
	sort.Slice(exts, func(i, j int) bool { return exts[i].FileOffset < exts[j].FileOffset })
	return func(off, n uint64) ([]byte, bool) {
		i := sort.Search(len(exts), func(i int) bool { return exts[i].FileOffset+exts[i].Length > off })
		if i == len(exts) || exts[i].FileOffset > off {
			return nil, false
		}
		e := exts[i]
		from := e.Image + (off - e.FileOffset)
		to := e.Image + e.Length
		if n < to-from {
			to = from + n
		}
		return b.mem[from:to:to], true
	}
}

// CacheDir is where decoded memory images of bundles are kept:
// $NDB_BUNDLE_CACHE, else $NDB_CACHE/bundles, else the user cache
// directory's ndb/bundles.
func CacheDir() string {
	if d := os.Getenv("NDB_BUNDLE_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("NDB_CACHE"); d != "" {
		return filepath.Join(d, "bundles")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ndb", "bundles")
	}
	return filepath.Join(os.TempDir(), "ndb-bundles")
}

// cacheMaxAge: images unused for longer are removed when a new one is made.
const cacheMaxAge = 14 * 24 * time.Hour

// memoryImage returns the decoded memory image, from the cache when it is
// there, else decoding it into the cache (or, when the cache cannot be
// written, into an unlinked temporary file).
func (b *bundleFile) memoryImage() (*os.File, error) {
	dir := CacheDir()
	name := filepath.Join(dir, hex.EncodeToString(b.sum[:16])+".mem")
	if f, err := elfcore.OpenRegular(name); err == nil {
		if fi, err := f.Stat(); err == nil && uint64(fi.Size()) == b.ix.MemSize {
			now := time.Now()
			os.Chtimes(name, now, now)
			return f, nil
		}
		f.Close()
	}
	f, err := unnamedFile(dir)
	if err != nil {
		return nil, err
	}
	if err := b.fill(f); err != nil {
		f.Close()
		return nil, err
	}
	// The image gets its name only once complete: whatever ends ndb
	// before (an error, a signal, running out of memory), the cache holds
	// no partial image.
	if err := linkInto(f, name); err == nil {
		pruneCache(dir)
	}
	return f, nil
}

// fill sizes the image file and decodes the chunks into it.
func (b *bundleFile) fill(f *os.File) error {
	if err := f.Truncate(int64(b.ix.MemSize)); err != nil {
		return err
	}
	return b.decodeChunks(f)
}

// unnamedFile creates a file with no name (O_TMPFILE) in dir, or, when the
// cache directory cannot hold one, in the system's temporary directory.
func unnamedFile(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err == nil {
		if fd, err := unix.Open(dir, unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600); err == nil {
			return os.NewFile(uintptr(fd), filepath.Join(dir, "(image)")), nil
		}
	}
	if fd, err := unix.Open(os.TempDir(), unix.O_RDWR|unix.O_TMPFILE|unix.O_CLOEXEC, 0o600); err == nil {
		return os.NewFile(uintptr(fd), "(image)"), nil
	}
	// No O_TMPFILE: a named file, unlinked at once.
	f, err := os.CreateTemp("", "ndb-bundle-*.mem")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}

// linkInto gives the unnamed file f the name path (through /proc, which
// needs no privilege, unlike AT_EMPTY_PATH).
func linkInto(f *os.File, path string) error {
	proc := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	return unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
}

// decodeChunks decompresses every chunk frame in parallel and writes its
// non-zero pages at their image offsets; zeros stay holes. Each frame
// decodes to at most maxChunk bytes, and all of them together to no more
// than the image they fill plus their headers: what a frame claims beyond
// that is refused before it is written.
func (b *bundleFile) decodeChunks(out *os.File) error {
	workers := min(runtime.GOMAXPROCS(0), maxDecodeWorkers)
	dec, err := newDecoder(workers, maxChunk)
	if err != nil {
		return err
	}
	defer dec.Close()
	var budget atomic.Int64 // may go below zero by one chunk per worker
	budget.Store(int64(b.ix.MemSize + uint64(len(b.ix.Chunks))*(chunkHeader+chunkPages/8)))
	refs := make(chan frameRef)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, d := make([]byte, 0, frameBound(maxChunk)), make([]byte, 0, maxChunk)
			for r := range refs {
				var err error
				if d, err = b.chunk(dec, r, c, d, &budget); err != nil {
					errs <- err
					return
				}
				if err := writeChunk(out, d, b.ix.MemSize); err != nil {
					errs <- fmt.Errorf("damaged bundle: chunk at %d: %v", r.Offset, err)
					return
				}
			}
		}()
	}
feed:
	for _, r := range b.ix.Chunks {
		select {
		case refs <- r:
		case err = <-errs:
			break feed
		}
	}
	close(refs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

// chunk reads chunk frame r into c and decodes it into d (both reused),
// charging the decoded bytes to budget.
func (b *bundleFile) chunk(dec *zstd.Decoder, r frameRef, c, d []byte, budget *atomic.Int64) ([]byte, error) {
	c = c[:r.Length] // checkFrame: r.Length <= frameBound(maxChunk)
	if _, err := b.f.ReadAt(c, int64(r.Offset)); err != nil {
		return d, err
	}
	d, err := dec.DecodeAll(c, d[:0])
	if err != nil {
		return d, fmt.Errorf("damaged bundle: chunk at %d: %v", r.Offset, err)
	}
	if budget.Add(-int64(len(d))) < 0 {
		return d, fmt.Errorf("damaged bundle: chunk at %d: %v", r.Offset, errBudget)
	}
	return d, nil
}

func writeChunk(out *os.File, d []byte, memSize uint64) error {
	if len(d) < chunkHeader {
		return errors.New("short chunk")
	}
	image := binary.LittleEndian.Uint64(d)
	length := uint64(binary.LittleEndian.Uint32(d[8:]))
	if length == 0 || length > chunkBytes || image > memSize || length > memSize-image {
		return errors.New("chunk out of range")
	}
	pages, maskLen := chunkLayout(length)
	if len(d) < chunkHeader+maskLen {
		return errors.New("short chunk")
	}
	mask, data := d[chunkHeader:chunkHeader+maskLen], d[chunkHeader+maskLen:]
	// Write runs of present pages with one call each.
	for i := 0; i < pages; {
		if mask[i/8]&(1<<(i%8)) == 0 {
			i++
			continue
		}
		j := i
		for j < pages && mask[j/8]&(1<<(j%8)) != 0 {
			j++
		}
		n := min(uint64(j-i)*pageSize, length-uint64(i)*pageSize)
		if uint64(len(data)) < n {
			return errors.New("short chunk")
		}
		if _, err := out.WriteAt(data[:n], int64(image+uint64(i)*pageSize)); err != nil {
			return err
		}
		data = data[n:]
		i = j
	}
	if len(data) != 0 {
		return errors.New("chunk has extra bytes")
	}
	return nil
}

// pruneCache removes images not used for cacheMaxAge, and the partial
// images (.mem-*.tmp) that versions of ndb before O_TMPFILE left when they
// were killed.
func pruneCache(dir string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil {
			continue
		}
		partial := strings.HasPrefix(e.Name(), ".mem-") && strings.HasSuffix(e.Name(), ".tmp")
		if age := time.Since(fi.ModTime()); age > cacheMaxAge || partial && age > time.Hour {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// tlsLoader supplies a module's static TLS block from the index (bundles
// made before ndb stored it have none).
func tlsLoader(im *module) func() (*elfcore.TLS, error) {
	return func() (*elfcore.TLS, error) {
		if im.TLS == nil {
			return nil, fmt.Errorf("%s: this bundle does not store thread-local symbols (made by an older ndb)", filepath.Base(im.Paths[0]))
		}
		return im.TLS, nil
	}
}
