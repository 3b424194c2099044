package elfcore

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"regexp"
	"strings"
)

// RawConstant is one postmortem metadata symbol of the executable
// (v8dbg_* from V8, nodedbg_* from Node) with its 4-byte value.
type RawConstant struct {
	Name   string // the symbol name, e.g. "v8dbg_SmiTag"
	Value  int64
	Source string // SourceBinary, SourceCore or SourceBSS
}

// Where a constant's value came from.
const (
	SourceBinary = "binary"     // initialised data of the executable
	SourceCore   = "core"       // memory of the process (set at start-up)
	SourceBSS    = "binary-bss" // zero-initialised, not in the core: 0
)

// readConstants collects every v8dbg_* and nodedbg_* symbol. Values in
// .data come from the file; .bss ones are read from the core, where Node
// sets some at start-up, and are 0 when the core lacks the page.
func (p *Process) readConstants() []RawConstant {
	var out []RawConstant
	m := p.Exe
	bias := p.exeBias()
	le := binary.LittleEndian
	m.rawSymbols(func(name []byte, value, size uint64, info byte, shndx elf.SectionIndex) {
		if !bytes.HasPrefix(name, []byte("v8dbg_")) && !bytes.HasPrefix(name, []byte("nodedbg_")) {
			return
		}
		if int(shndx) >= len(m.elf.Sections) || shndx == elf.SHN_UNDEF {
			return
		}
		sec := m.elf.Sections[shndx]
		c := RawConstant{Name: string(name)}
		if sec.Type == elf.SHT_NOBITS {
			var b [4]byte
			if p.readCore(b[:], value+bias) {
				c.Value, c.Source = int64(int32(le.Uint32(b[:]))), SourceCore
			} else {
				c.Source = SourceBSS
			}
		} else {
			off := sec.Offset + (value - sec.Addr)
			b, ok := m.fileBytes(off, 4)
			if !ok || len(b) < 4 {
				return
			}
			c.Value, c.Source = int64(int32(le.Uint32(b))), SourceBinary
		}
		out = append(out, c)
	})
	return out
}

var (
	nodeVersionRE = regexp.MustCompile(`/download/release/(v\d+\.\d+\.\d+)/`)
	v8VersionRE   = regexp.MustCompile(`\x00(\d+\.\d+\.\d+\.\d+-node\.\d+)\x00`)
)

// readVersions finds the Node and V8 version strings in the executable's
// read-only data, where process.release and process.versions.v8 come from.
func (p *Process) readVersions() (node, v8 string) {
	m := p.Exe
	sec := m.elf.Section(".rodata")
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return "", ""
	}
	data, ok := m.fileBytes(sec.Offset, sec.Size)
	if !ok {
		return "", ""
	}
	if i := bytes.Index(data, []byte("/download/release/v")); i >= 0 {
		if mm := nodeVersionRE.FindSubmatch(data[i:min(len(data), i+64)]); mm != nil {
			node = string(mm[1])
		}
	}
	for from := 0; from < len(data); {
		i := bytes.Index(data[from:], []byte("-node."))
		if i < 0 {
			break
		}
		i += from
		lo := max(0, i-32)
		if mm := v8VersionRE.FindSubmatch(data[lo:min(len(data), i+16)]); mm != nil {
			v8 = string(mm[1])
			break
		}
		from = i + 1
	}
	if v8 == "" {
		v8 = p.v8VersionFromSymbols()
	}
	return node, v8
}

func (p *Process) v8VersionFromSymbols() string {
	var parts []string
	for _, f := range []string{"_ZN2v88internal7Version6major_E", "_ZN2v88internal7Version6minor_E", "_ZN2v88internal7Version6build_E", "_ZN2v88internal7Version6patch_E"} {
		addr, ok := p.SymbolAddress(f)
		if !ok {
			continue
		}
		v, err := p.ReadU32(addr)
		if err != nil {
			return ""
		}
		parts = append(parts, itoa(int(v)))
	}
	return strings.Join(parts, ".")
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	if n == 0 {
		return "0"
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
