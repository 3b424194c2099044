package cfi_test

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/unwind/cfi"
)

// TestAgainstReadelf computes the row at every location of every FDE of
// libc's .eh_frame and of node 26's .debug_frame, and compares it with the
// table binutils' readelf prints (readelf -wF): the CFA rule and the rule
// of every register it shows.
func TestAgainstReadelf(t *testing.T) {
	if _, err := exec.LookPath("readelf"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("readelf (binutils) is not installed")
		}
		t.Skip("readelf (binutils) is not installed")
	}
	t.Run("libc eh_frame", func(t *testing.T) {
		compareReadelf(t, "/lib/x86_64-linux-gnu/libc.so.6", ".eh_frame", 10000)
	})
	t.Run("node 22 eh_frame", func(t *testing.T) {
		compareReadelf(t, testnode.Binary(t, "22.23.3"), ".eh_frame", 100000)
	})
	t.Run("node 26 debug_frame", func(t *testing.T) {
		compareReadelf(t, testnode.Binary(t, "26.10.0"), ".debug_frame", 20)
	})
}

var readelfRegs = map[string]uint64{"rax": 0, "rdx": 1, "rcx": 2, "rbx": 3, "rsi": 4, "rdi": 5, "rbp": 6, "rsp": 7,
	"r8": 8, "r9": 9, "r10": 10, "r11": 11, "r12": 12, "r13": 13, "r14": 14, "r15": 15, "ra": 16}

func compareReadelf(t *testing.T, path, section string, minRows int) {
	f, err := elf.Open(path)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	var tab *cfi.Table
	s := f.Section(section)
	if s == nil {
		t.Fatalf("%s has no %s", path, section)
	}
	data, _ := s.Data()
	if section == ".eh_frame" {
		h := f.Section(".eh_frame_hdr")
		hdr, _ := h.Data()
		tab = cfi.NewEHFrame(data, s.Addr, hdr, h.Addr)
	} else {
		tab = cfi.NewDebugFrame(data)
	}
	// readelf exits 1 on warnings about other sections; its tables are whole.
	out, err := exec.Command("readelf", "-wF", path).Output()
	if len(out) == 0 {
		t.Fatalf("readelf: %v", err)
	}
	// readelf prints .eh_frame first, then .debug_frame.
	text := string(out)
	if i := strings.Index(text, "Contents of the "+section+" section"); i >= 0 {
		text = text[i:]
	}
	if j := strings.Index(text[1:], "Contents of the "); j >= 0 {
		text = text[:j+1]
	}
	rows, fdes := 0, 0
	var cols []string
	var end uint64
	inFDE := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 4 && fields[3] == "FDE":
			inFDE, cols = true, nil
			fdes++
			if i := strings.Index(line, ".."); i >= 0 {
				end, _ = strconv.ParseUint(line[i+2:], 16, 64)
			}
		case len(fields) >= 4 && fields[3] == "CIE":
			inFDE = false
		case inFDE && len(fields) > 0 && fields[0] == "LOC":
			cols = fields[2:]
		case inFDE && cols != nil && len(fields) == len(cols)+2:
			loc, err := strconv.ParseUint(fields[0], 16, 64)
			if err != nil || loc >= end {
				continue // readelf also prints a row past the FDE's end
			}
			rows++
			if msg := compareRow(tab, loc, fields[1], cols, fields[2:]); msg != "" {
				t.Errorf("%s %s at %#x: %s\n%s", path, section, loc, msg, line)
				if rows > 20 {
					return
				}
			}
		}
	}
	if rows < minRows {
		t.Fatalf("only %d rows of %d FDEs compared", rows, fdes)
	}
	t.Logf("%d rows of %d FDEs match", rows, fdes)
}

func compareRow(tab *cfi.Table, loc uint64, cfa string, cols, cells []string) string {
	fde, err := tab.FDE(loc)
	if err != nil {
		return err.Error()
	}
	row, err := fde.Row(loc)
	if err != nil {
		return err.Error()
	}
	var b bytes.Buffer
	if got := cfaString(row.CFA); got != cfa {
		fmt.Fprintf(&b, "CFA %s, readelf %s; ", got, cfa)
	}
	for i, name := range cols {
		n, ok := readelfRegs[name]
		if !ok {
			continue // vector registers: not kept
		}
		if got := ruleString(row.Regs[n]); got != cells[i] {
			fmt.Fprintf(&b, "%s %s, readelf %s; ", name, got, cells[i])
		}
	}
	return b.String()
}

func regName(n uint64) string {
	for name, v := range readelfRegs {
		if v == n && name != "ra" {
			return name
		}
	}
	return fmt.Sprintf("r%d", n)
}

func cfaString(r cfi.Rule) string {
	if r.Kind == cfi.RuleCFAExpression {
		return "exp"
	}
	return fmt.Sprintf("%s%+d", regName(r.Reg), r.Offset)
}

func ruleString(r cfi.Rule) string {
	switch r.Kind {
	case cfi.RuleUnspecified, cfi.RuleUndefined:
		return "u"
	case cfi.RuleSameValue:
		return "s"
	case cfi.RuleOffset:
		return fmt.Sprintf("c%+d", r.Offset)
	case cfi.RuleValOffset:
		return fmt.Sprintf("v%+d", r.Offset)
	case cfi.RuleRegister:
		return regName(r.Reg)
	case cfi.RuleExpression:
		return "exp"
	case cfi.RuleValExpression:
		return "vexp"
	}
	return "?"
}
