package testnode

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"io"
	"os"
	"syscall"
	"testing"
)

// coreInfo is what the tests check in a core; parsed here with debug/elf only, independently of
// ndb's own reader.
type coreInfo struct {
	threads     int      // NT_PRSTATUS notes
	cursig      []int    // pr_cursig of each thread, in note order
	siginfo     int      // si_signo of the first NT_SIGINFO
	exeMappings []uint64 // NT_FILE file offsets (in pages) of the mappings of the executable
	gdbTdesc    bool     // an NT_GDB_TDESC note (gdb-made cores)
	diskBytes   int64    // blocks actually allocated
	size        int64
}

const (
	ntPrstatus  = 1
	ntFile      = 0x46494c45
	ntSiginfo   = 0x53494749
	ntGdbTdesc  = 0xff000000
	prCursigOff = 12
)

func readCoreInfo(t *testing.T, path, exe string) coreInfo {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Type != elf.ET_CORE || f.Machine != elf.EM_X86_64 {
		t.Fatalf("%s: ELF type %v machine %v, want ET_CORE EM_X86_64", path, f.Type, f.Machine)
	}
	var info coreInfo
	for _, p := range f.Progs {
		if p.Type != elf.PT_NOTE {
			continue
		}
		data, err := io.ReadAll(p.Open())
		if err != nil {
			t.Fatal(err)
		}
		for len(data) >= 12 {
			le := binary.LittleEndian
			namesz, descsz, typ := le.Uint32(data), le.Uint32(data[4:]), le.Uint32(data[8:])
			off := 12 + align4(namesz)
			if uint64(len(data)) < uint64(off)+uint64(descsz) {
				break
			}
			desc := data[off : off+descsz]
			data = data[off+align4(descsz):]
			switch typ {
			case ntPrstatus:
				info.threads++
				info.cursig = append(info.cursig, int(le.Uint16(desc[prCursigOff:])))
			case ntSiginfo:
				if info.siginfo == 0 {
					info.siginfo = int(le.Uint32(desc))
				}
			case ntGdbTdesc:
				info.gdbTdesc = true
			case ntFile:
				count := le.Uint64(desc)
				entries := desc[16:]
				names := bytes.Split(entries[count*24:], []byte{0})
				for i := uint64(0); i < count && int(i) < len(names); i++ {
					if string(names[i]) == exe {
						info.exeMappings = append(info.exeMappings, le.Uint64(entries[i*24+16:]))
					}
				}
			}
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	info.size = st.Size()
	info.diskBytes = diskBytes(st)
	return info
}

func align4(n uint32) uint32 { return (n + 3) &^ 3 }

func diskBytes(st os.FileInfo) int64 {
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		return s.Blocks * 512
	}
	return st.Size()
}
