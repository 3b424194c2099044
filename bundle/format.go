package bundle

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ndb-debugger/ndb/elfcore"
)

// The layout of a bundle file (docs/bundle-format.md is the reference):
//
//	header   32 bytes: Magic, version u32, flags u32, total size u64, reserved u64
//	body     zstd frames: memory chunks, file extents, symbol tables, then the index
//	trailer  48 bytes: index offset u64, index length u64, SHA-256 of the body
//
// All integers are little-endian. The checksum covers every byte between
// the header and the trailer; the header's fields are checked on their own
// (magic, version, total size against the file's size).

// Version is the format version this ndb writes and reads.
const Version = 1

const (
	headerSize  = 32
	trailerSize = 48
	// chunkPages is how many pages one memory frame covers at most: 1 MiB,
	// small enough to keep packing in bounded memory, large enough for zstd.
	chunkPages = 256
	pageSize   = 4096
	chunkBytes = chunkPages * pageSize
)

type header struct {
	version uint32
	flags   uint32
	size    uint64
}

func (h header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, Magic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], h.version)
	le.PutUint32(b[12:], h.flags)
	le.PutUint64(b[16:], h.size)
	return b
}

func decodeHeader(b []byte) (header, error) {
	if len(b) < headerSize || string(b[:len(Magic)]) != string(Magic) {
		return header{}, errNotBundle
	}
	le := binary.LittleEndian
	return header{version: le.Uint32(b[8:]), flags: le.Uint32(b[12:]), size: le.Uint64(b[16:])}, nil
}

type trailer struct {
	indexOff, indexLen uint64
	sum                [32]byte
}

func (t trailer) encode() []byte {
	b := make([]byte, trailerSize)
	le := binary.LittleEndian
	le.PutUint64(b, t.indexOff)
	le.PutUint64(b[8:], t.indexLen)
	copy(b[16:], t.sum[:])
	return b
}

func decodeTrailer(b []byte) trailer {
	le := binary.LittleEndian
	var t trailer
	t.indexOff, t.indexLen = le.Uint64(b), le.Uint64(b[8:])
	copy(t.sum[:], b[16:])
	return t
}

var errNotBundle = errors.New("not an ndb bundle")

// The index: one zstd frame of JSON at the end of the body. It describes the
// process (what elfcore reads from the core's notes and the executable) and
// where every other frame is. Field names are part of the format.
type index struct {
	Format    int    `json:"format"`
	CreatedBy string `json:"created_by"`
	Source    source `json:"source"`

	Info        procInfo          `json:"process"`
	Threads     []thread          `json:"threads"`
	Sig         *sigInfo          `json:"siginfo,omitempty"`
	Auxv        map[uint64]uint64 `json:"auxv"`
	Files       []fileMapping     `json:"files"`
	PageSize    uint64            `json:"page_size"`
	TruncatedBy uint64            `json:"truncated_by"`
	Warnings    []string          `json:"warnings"`

	ExePath       string     `json:"exe_path"`
	ExeModule     int        `json:"exe_module"` // index into Modules, -1 if none
	CoreBuildID   string     `json:"core_build_id"`
	BuildIDStatus string     `json:"build_id_status"`
	NodeVersion   string     `json:"node_version"`
	V8Version     string     `json:"v8_version"`
	Constants     []constant `json:"constants"`

	Modules  []module  `json:"modules"`
	Segments []segment `json:"segments"`
	// Chunks lists the frames holding the memory image (segment bytes and
	// file extents), in file order. Chunks of zeros have no frame.
	Chunks []frameRef `json:"chunks"`
	// MemSize is the size of the decoded memory image: every segment's
	// bytes at its Image offset, then every file extent's.
	MemSize uint64 `json:"mem_size"`
}

// source says what was packed (informational).
type source struct {
	Core       string `json:"core"`
	CoreSize   uint64 `json:"core_size"`    // apparent size
	CoreOnDisk uint64 `json:"core_on_disk"` // allocated blocks
	Exe        string `json:"exe"`
}

type procInfo struct {
	PID     int    `json:"pid"`
	PPID    int    `json:"ppid"`
	UID     int    `json:"uid"`
	Command string `json:"command"`
	Args    string `json:"args"`
}

type thread struct {
	TID    int `json:"tid"`
	Signal int `json:"signal"`
	// Regs in the kernel's user_regs_struct order (27 words).
	Regs []uint64 `json:"regs"`
}

type sigInfo struct {
	Signo     int    `json:"signo"`
	Errno     int    `json:"errno"`
	Code      int    `json:"code"`
	Addr      uint64 `json:"addr"`
	SenderPID int    `json:"sender_pid"`
}

type fileMapping struct {
	Start      uint64 `json:"start"`
	End        uint64 `json:"end"`
	FileOffset uint64 `json:"file_offset"`
	Path       string `json:"path"`
}

type constant struct {
	Name   string `json:"name"`
	Value  int64  `json:"value"`
	Source string `json:"source"`
}

type loadSegment struct {
	Vaddr  uint64 `json:"vaddr"`
	Offset uint64 `json:"offset"`
	Filesz uint64 `json:"filesz"`
	Memsz  uint64 `json:"memsz"`
}

// module is an ELF file the process had mapped and that was on the packing
// machine: its build-id, load segments, symbols and the bytes of it that ndb
// may read and the core lacks.
type module struct {
	Paths   []string      `json:"paths"` // the core's paths that name it; Paths[0] is Module.Path
	BuildID string        `json:"build_id"`
	Loads   []loadSegment `json:"loads"`
	// Symbols is the frame holding the symbol table; SymbolsErr is the
	// error reading it gave instead.
	Symbols    *frameRef `json:"symbols,omitempty"`
	SymbolsErr string    `json:"symbols_error,omitempty"`
	Extents    []extent  `json:"extents"`
	// Sections are the module's unwind tables, each in its own frame.
	// Bundles made before ndb stored them have none (nil).
	Sections []sectionRef `json:"sections,omitempty"`
	// TLS is the module's static TLS block, with its thread-local
	// symbols (V8's current isolate); nil in bundles made before ndb
	// stored it, or for a module without one.
	TLS *elfcore.TLS `json:"tls,omitempty"`
}

// unwindSections are the sections of each module a bundle stores: what
// native stack unwinding reads.
var unwindSections = []string{".eh_frame_hdr", ".eh_frame", ".debug_frame"}

// sectionRef is one stored section of a module's file.
type sectionRef struct {
	Name  string   `json:"name"`
	Addr  uint64   `json:"addr"` // link-time address
	Size  uint64   `json:"size"` // bytes after decompression
	Frame frameRef `json:"frame"`
}

// extent is a range of a module's file stored in the bundle.
type extent struct {
	FileOffset uint64 `json:"file_offset"`
	Length     uint64 `json:"length"`
	Image      uint64 `json:"image"` // offset in the memory image
	Why        string `json:"why"`
}

type segment struct {
	Start    uint64 `json:"start"`
	End      uint64 `json:"end"`
	Flags    uint32 `json:"flags"`
	FileSize uint64 `json:"file_size"`
	DataLen  uint64 `json:"data_len"` // bytes present in the core
	Image    uint64 `json:"image"`    // offset of the bytes in the memory image
}

// frameRef locates one zstd frame in the bundle file.
type frameRef struct {
	Offset uint64 `json:"offset"`
	Length uint64 `json:"length"`
}

// Chunk frames (memory and extents) decompress to
//
//	image offset u64 | length u32 | page mask (ceil(pages/8) bytes) | pages
//
// where pages are the non-zero pages of [image offset, +length), in order;
// bit i of the mask (LSB first) says page i is present. The last page may be
// short. Pages absent from the mask are zero.
const chunkHeader = 12

func chunkLayout(length uint64) (pages, maskLen int) {
	pages = int((length + pageSize - 1) / pageSize)
	return pages, (pages + 7) / 8
}

// checkFrame checks that frame r lies in the body [lo, hi) and is no
// longer than a frame of at most decoded bytes can be.
func checkFrame(r frameRef, lo, hi, decoded uint64) error {
	if r.Offset < lo || r.Length > hi || r.Offset > hi-r.Length {
		return fmt.Errorf("frame at %d (+%d) outside the body", r.Offset, r.Length)
	}
	if r.Length > frameBound(decoded) {
		return fmt.Errorf("frame at %d: %d bytes, more than %d decoded bytes compress to", r.Offset, r.Length, decoded)
	}
	return nil
}
