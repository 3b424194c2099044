package elfcore

import (
	"encoding/binary"
	"fmt"
)

// Note types found in Linux x86-64 core files.
const (
	ntPRSTATUS   = 1
	ntPRPSINFO   = 3
	ntAUXV       = 6
	ntSIGINFO    = 0x53494749
	ntFILE       = 0x46494c45
	ntGNUBuildID = 3
)

// Registers holds the x86-64 general registers of a thread, in the order of
// the kernel's user_regs_struct.
type Registers struct {
	R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8    uint64
	RAX, RCX, RDX, RSI, RDI, OrigRAX, RIP, CS, EFLAGS uint64
	RSP, SS, FSBase, GSBase, DS, ES, FS, GS           uint64
}

// RegisterNames lists the registers in user_regs_struct order.
var RegisterNames = []string{"r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8",
	"rax", "rcx", "rdx", "rsi", "rdi", "orig_rax", "rip", "cs", "eflags",
	"rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs"}

// Slice returns the registers in user_regs_struct order.
func (r *Registers) Slice() []uint64 {
	return []uint64{r.R15, r.R14, r.R13, r.R12, r.RBP, r.RBX, r.R11, r.R10, r.R9, r.R8,
		r.RAX, r.RCX, r.RDX, r.RSI, r.RDI, r.OrigRAX, r.RIP, r.CS, r.EFLAGS,
		r.RSP, r.SS, r.FSBase, r.GSBase, r.DS, r.ES, r.FS, r.GS}
}

// Thread is one NT_PRSTATUS note: a thread of the dumped process.
type Thread struct {
	TID    int
	Signal int // pr_cursig: the signal this thread was handling
	Regs   Registers
}

// FileMapping is one entry of the NT_FILE note: a file-backed mapping.
type FileMapping struct {
	Start, End uint64
	FileOffset uint64 // in bytes
	Path       string
}

// ProcessInfo is what NT_PRPSINFO says about the process.
type ProcessInfo struct {
	PID     int
	PPID    int
	UID     int
	Command string // pr_fname
	Args    string // pr_psargs: the command line, cut at 80 bytes by the kernel
}

// SigInfo is the NT_SIGINFO note: the signal that killed the process.
type SigInfo struct {
	Signo, Errno, Code int
	Addr               uint64 // fault address for SIGSEGV/SIGBUS/SIGILL/SIGFPE
	SenderPID          int    // for signals sent by kill/tgkill
}

type rawNote struct {
	typ  uint32
	name string
	desc []byte
}

// walkNotes calls fn for each note of a PT_NOTE segment, in order. A
// damaged note ends the walk; the notes before it have been seen. Nothing
// is kept: the caller keeps what it understands, so a note area of
// millions of empty notes costs time in proportion, not memory.
func walkNotes(b []byte, fn func(rawNote)) error {
	le := binary.LittleEndian
	for len(b) >= 12 {
		namesz, descsz, typ := le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])
		b = b[12:]
		nameEnd := align4(uint64(namesz))
		if nameEnd > uint64(len(b)) {
			return fmt.Errorf("note name runs past its segment")
		}
		name := string(trimNUL(b[:namesz]))
		b = b[nameEnd:]
		descEnd := align4(uint64(descsz))
		if uint64(descsz) > uint64(len(b)) {
			return fmt.Errorf("note %q type %#x runs past its segment", name, typ)
		}
		fn(rawNote{typ: typ, name: name, desc: b[:descsz]})
		if descEnd > uint64(len(b)) {
			break
		}
		b = b[descEnd:]
	}
	return nil
}

func align4(n uint64) uint64 { return (n + 3) &^ 3 }

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

func parsePRStatus(d []byte) (Thread, error) {
	const regsOff = 112
	if len(d) < regsOff+27*8 {
		return Thread{}, fmt.Errorf("NT_PRSTATUS note too short (%d bytes)", len(d))
	}
	le := binary.LittleEndian
	t := Thread{Signal: int(le.Uint16(d[12:])), TID: int(int32(le.Uint32(d[32:])))}
	regs := make([]uint64, 27)
	for i := range regs {
		regs[i] = le.Uint64(d[regsOff+8*i:])
	}
	r := &t.Regs
	for i, p := range []*uint64{&r.R15, &r.R14, &r.R13, &r.R12, &r.RBP, &r.RBX, &r.R11, &r.R10, &r.R9, &r.R8,
		&r.RAX, &r.RCX, &r.RDX, &r.RSI, &r.RDI, &r.OrigRAX, &r.RIP, &r.CS, &r.EFLAGS,
		&r.RSP, &r.SS, &r.FSBase, &r.GSBase, &r.DS, &r.ES, &r.FS, &r.GS} {
		*p = regs[i]
	}
	return t, nil
}

func parsePRPSInfo(d []byte) (ProcessInfo, error) {
	if len(d) < 136 {
		return ProcessInfo{}, fmt.Errorf("NT_PRPSINFO note too short (%d bytes)", len(d))
	}
	le := binary.LittleEndian
	return ProcessInfo{
		UID:     int(le.Uint32(d[16:])),
		PID:     int(int32(le.Uint32(d[24:]))),
		PPID:    int(int32(le.Uint32(d[28:]))),
		Command: string(trimNUL(d[40:56])),
		Args:    string(trimNUL(d[56:136])),
	}, nil
}

func parseSigInfo(d []byte) (SigInfo, error) {
	if len(d) < 24 {
		return SigInfo{}, fmt.Errorf("NT_SIGINFO note too short (%d bytes)", len(d))
	}
	le := binary.LittleEndian
	s := SigInfo{Signo: int(int32(le.Uint32(d))), Errno: int(int32(le.Uint32(d[4:]))), Code: int(int32(le.Uint32(d[8:])))}
	switch {
	case s.Code <= 0: // SI_USER, SI_QUEUE, SI_TKILL...: sent by a process, whose pid follows
		s.SenderPID = int(int32(le.Uint32(d[16:])))
	case s.Signo == 4 || s.Signo == 7 || s.Signo == 8 || s.Signo == 11:
		// SIGILL, SIGBUS, SIGFPE, SIGSEGV raised by the kernel carry a fault address
		s.Addr = le.Uint64(d[16:])
	default:
		s.SenderPID = int(int32(le.Uint32(d[16:])))
	}
	return s, nil
}

func parseAuxv(d []byte) map[uint64]uint64 {
	m := make(map[uint64]uint64)
	le := binary.LittleEndian
	for i := 0; i+16 <= len(d) && len(m) < maxAuxv; i += 16 {
		k, v := le.Uint64(d[i:]), le.Uint64(d[i+8:])
		if k == 0 {
			break
		}
		m[k] = v
	}
	return m
}

func parseFileNote(d []byte) ([]FileMapping, uint64, error) {
	le := binary.LittleEndian
	if len(d) < 16 {
		return nil, 0, fmt.Errorf("NT_FILE note too short")
	}
	count, pageSize := le.Uint64(d), le.Uint64(d[8:])
	if count > uint64(len(d))/24 {
		return nil, 0, fmt.Errorf("NT_FILE note claims %d entries in %d bytes", count, len(d))
	}
	off := 16 + 24*int(count)
	if off > len(d) {
		return nil, 0, fmt.Errorf("NT_FILE note truncated")
	}
	names := d[off:]
	maps := make([]FileMapping, 0, count)
	for i := 0; i < int(count); i++ {
		e := d[16+24*i:]
		m := FileMapping{Start: le.Uint64(e), End: le.Uint64(e[8:]), FileOffset: le.Uint64(e[16:]) * pageSize}
		j := 0
		for j < len(names) && names[j] != 0 {
			j++
		}
		m.Path = string(names[:j])
		if j < len(names) {
			names = names[j+1:]
		} else {
			names = nil
		}
		maps = append(maps, m)
	}
	return maps, pageSize, nil
}

// maxAuxv bounds the auxiliary vector's entries: Linux defines about 40
// keys.
const maxAuxv = 256

// Auxiliary vector keys used by ndb.
const (
	AT_PHDR         = 3
	AT_ENTRY        = 9
	AT_EXECFN       = 31
	AT_SYSINFO_EHDR = 33
)
