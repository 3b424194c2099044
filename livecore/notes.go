package livecore

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Note types and layouts of Linux x86-64 cores (include/uapi/linux/elf.h, include/linux/elfcore.h).
const (
	ntPRSTATUS   = 1
	ntFPREGSET   = 2
	ntPRPSINFO   = 3
	ntAUXV       = 6
	ntX86XSTATE  = 0x202
	ntSIGINFO    = 0x53494749
	ntFILE       = 0x46494c45
	prstatusSize = 336 // struct elf_prstatus
	prpsinfoSize = 136 // struct elf_prpsinfo
	siginfoSize  = 128
	prArgsSize   = 80 // ELF_PRARGSZ
	clockTicks   = 100
)

var le = binary.LittleEndian

// threadState is what the notes hold of one thread.
type threadState struct {
	tid    int
	regs   unix.PtraceRegs
	fp     []byte
	xstate []byte
	stat   stat
	status status
}

// appendNote appends one ELF note, its name and descriptor padded to 4 bytes.
func appendNote(b []byte, name string, typ uint32, desc []byte) []byte {
	b = le.AppendUint32(b, uint32(len(name)+1))
	b = le.AppendUint32(b, uint32(len(desc)))
	b = le.AppendUint32(b, typ)
	b = append(b, name...)
	b = append(b, make([]byte, align4(len(name)+1)-len(name))...)
	b = append(b, desc...)
	return append(b, make([]byte, align4(len(desc))-len(desc))...)
}

func align4(n int) int { return (n + 3) &^ 3 }

// buildNotes lays out the notes in the kernel's order (fs/binfmt_elf.c, write_note_info): the
// first thread's NT_PRSTATUS, then NT_PRPSINFO, NT_SIGINFO, NT_AUXV and NT_FILE, then the first
// thread's other register notes, then each other thread's.
func buildNotes(p *process, threads []threadState, maps []mapping) []byte {
	var b []byte
	for i := range threads {
		t := &threads[i]
		b = appendNote(b, "CORE", ntPRSTATUS, prstatus(p, t))
		if i == 0 {
			b = appendNote(b, "CORE", ntPRPSINFO, prpsinfo(p))
			// No signal: a snapshot of a live process, not a crash.
			b = appendNote(b, "CORE", ntSIGINFO, make([]byte, siginfoSize))
			b = appendNote(b, "CORE", ntAUXV, p.auxv)
			b = appendNote(b, "CORE", ntFILE, fileNote(maps))
		}
		b = appendNote(b, "CORE", ntFPREGSET, t.fp)
		if len(t.xstate) > 0 {
			b = appendNote(b, "LINUX", ntX86XSTATE, t.xstate)
		}
	}
	return b
}

// prstatus is struct elf_prstatus: pr_info (12), pr_cursig (2, +2 pad), pr_sigpend, pr_sighold,
// pr_pid, pr_ppid, pr_pgrp, pr_sid, four timevals, pr_reg (27 words), pr_fpvalid (+4 pad).
func prstatus(p *process, t *threadState) []byte {
	d := make([]byte, prstatusSize)
	le.PutUint64(d[16:], t.status.sigPnd)
	le.PutUint64(d[24:], t.status.sigBlk)
	le.PutUint32(d[32:], uint32(t.tid))
	le.PutUint32(d[36:], uint32(p.stat.ppid))
	le.PutUint32(d[40:], uint32(p.stat.pgrp))
	le.PutUint32(d[44:], uint32(p.stat.sid))
	putTimeval(d[48:], t.stat.utime)
	putTimeval(d[64:], t.stat.stime)
	if t.tid == p.pid {
		putTimeval(d[80:], p.stat.cutime)
		putTimeval(d[96:], p.stat.cstime)
	}
	regs := (*[27 * 8]byte)(unsafe.Pointer(&t.regs))
	copy(d[112:], regs[:])
	le.PutUint32(d[328:], 1) // pr_fpvalid
	return d
}

func putTimeval(d []byte, ticks uint64) {
	le.PutUint64(d, ticks/clockTicks)
	le.PutUint64(d[8:], ticks%clockTicks*(1000000/clockTicks))
}

// prpsinfo is struct elf_prpsinfo.
func prpsinfo(p *process) []byte {
	d := make([]byte, prpsinfoSize)
	state := strings.IndexByte("RSDTZW", p.stat.state[0]&^0x20)
	sname := byte('.')
	if state >= 0 {
		sname = "RSDTZW"[state]
	} else {
		state = 6
	}
	d[0], d[1] = byte(state), sname
	if sname == 'Z' {
		d[2] = 1
	}
	d[3] = byte(int8(p.stat.nice))
	le.PutUint64(d[8:], p.stat.flags)
	le.PutUint32(d[16:], uint32(p.status.uid))
	le.PutUint32(d[20:], uint32(p.status.gid))
	le.PutUint32(d[24:], uint32(p.pid))
	le.PutUint32(d[28:], uint32(p.stat.ppid))
	le.PutUint32(d[32:], uint32(p.stat.pgrp))
	le.PutUint32(d[36:], uint32(p.stat.sid))
	copy(d[40:55], p.stat.comm)
	// The kernel keeps the first 79 bytes of the command line, NULs turned into spaces.
	args := bytes.ReplaceAll(bytes.TrimRight(p.cmdline, "\x00"), []byte{0}, []byte{' '})
	copy(d[56:56+prArgsSize-1], args)
	return d
}

// fileNote is NT_FILE: count, page size, (start, end, page offset) per file mapping, then the
// NUL-terminated paths.
func fileNote(maps []mapping) []byte {
	var files []mapping
	for _, m := range maps {
		if m.fileBacked() {
			files = append(files, m)
		}
	}
	b := le.AppendUint64(nil, uint64(len(files)))
	b = le.AppendUint64(b, pageSize)
	for _, m := range files {
		b = le.AppendUint64(b, m.start)
		b = le.AppendUint64(b, m.end)
		b = le.AppendUint64(b, m.offset/pageSize)
	}
	for _, m := range files {
		b = append(append(b, m.path...), 0)
	}
	return b
}
