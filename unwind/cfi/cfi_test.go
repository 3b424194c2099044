package cfi_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/unwind/cfi"
	"github.com/ndb-debugger/ndb/unwind/internal/ehbuild"
)

const ehAddr, hdrAddr = 0x10000, 0x8000

// prologue is push rbp; mov rbp, rsp at 0x1000 and a body using rbp as
// the CFA, then an epilogue (pop rbp; DW_CFA_restore rbp) at 0x1020.
var prologue = []byte{
	0x41,     // advance 1
	0x0e, 16, // def_cfa_offset 16
	0x86, 2, // offset rbp, cfa-16
	0x43,    // advance 3
	0x0d, 6, // def_cfa_register rbp
	0x40 | 0x1c, // advance 28 (to 0x1020)
	0x0c, 7, 8,  // def_cfa rsp+8
	0xc6, // restore rbp
}

func table(t *testing.T, fdes []ehbuild.FDE, withHdr bool) *cfi.Table {
	t.Helper()
	eh, offs := ehbuild.EHFrame(ehAddr, ehbuild.CIEInitial, fdes)
	var hdr []byte
	if withHdr {
		hdr = ehbuild.Hdr(hdrAddr, ehAddr, fdes, offs)
	}
	return cfi.NewEHFrame(eh, ehAddr, hdr, hdrAddr)
}

func TestRows(t *testing.T) {
	fdes := []ehbuild.FDE{{Begin: 0x2000, Size: 0x10, Instr: nil}, {Begin: 0x1000, Size: 0x40, Instr: prologue}}
	for _, withHdr := range []bool{true, false} {
		tab := table(t, fdes, withHdr)
		for _, c := range []struct {
			pc             uint64
			cfaReg         uint64
			cfaOff, rbpOff int64
			rbp            cfi.RuleKind
		}{
			{0x1000, cfi.RegRSP, 8, 0, cfi.RuleUnspecified},
			{0x1001, cfi.RegRSP, 16, -16, cfi.RuleOffset},
			{0x1010, cfi.RegRBP, 16, -16, cfi.RuleOffset},
			// DW_CFA_restore goes back to the CIE's rule, not "undefined".
			{0x1030, cfi.RegRSP, 8, 0, cfi.RuleUnspecified},
			{0x2008, cfi.RegRSP, 8, 0, cfi.RuleUnspecified},
		} {
			f, err := tab.FDE(c.pc)
			if err != nil {
				t.Fatalf("hdr %v pc %#x: %v", withHdr, c.pc, err)
			}
			row, err := f.Row(c.pc)
			if err != nil {
				t.Fatalf("pc %#x: %v", c.pc, err)
			}
			if row.CFA.Kind != cfi.RuleCFA || row.CFA.Reg != c.cfaReg || row.CFA.Offset != c.cfaOff ||
				row.Regs[cfi.RegRBP].Kind != c.rbp || row.Regs[cfi.RegRBP].Offset != c.rbpOff ||
				row.Regs[cfi.RegRA].Kind != cfi.RuleOffset || row.Regs[cfi.RegRA].Offset != -8 {
				t.Errorf("hdr %v pc %#x: row %+v", withHdr, c.pc, row)
			}
		}
		for _, pc := range []uint64{0xfff, 0x1040, 0x1fff, 0x2010} {
			if _, err := tab.FDE(pc); !errors.Is(err, cfi.ErrNoFDE) {
				t.Errorf("hdr %v pc %#x: %v, want ErrNoFDE", withHdr, pc, err)
			}
		}
	}
}

// TestCorrupt: damaged entries and instructions give errors, never a
// panic or a wrong row.
func TestCorrupt(t *testing.T) {
	for _, c := range []struct {
		name  string
		instr []byte
		want  string
	}{
		{"unknown opcode", []byte{0x3f}, "not known"},
		{"restore_state with nothing remembered", []byte{0x0b}, "nothing remembered"},
		{"remember_state too deep", []byte(strings.Repeat("\x0a", 100)), "nested"},
		{"def_cfa_offset after an expression CFA", []byte{0x0f, 1, 0x77, 0x0e, 8}, "without a register CFA"},
	} {
		tab := table(t, []ehbuild.FDE{{Begin: 0x1000, Size: 0x10, Instr: c.instr}}, true)
		f, err := tab.FDE(0x1008)
		if err == nil {
			_, err = f.Row(0x1008)
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	truncated := cfi.FDE{End: 0x10, Instructions: []byte{0x0c, 7},
		CIE: cfi.CIE{CodeAlign: 1, DataAlign: -8, RAReg: 16, Initial: ehbuild.CIEInitial}}
	if _, err := truncated.Row(8); err == nil || !strings.Contains(err.Error(), "ends early") {
		t.Errorf("truncated operand: %v", err)
	}
	eh, offs := ehbuild.EHFrame(ehAddr, ehbuild.CIEInitial, []ehbuild.FDE{{Begin: 0x1000, Size: 0x10}})
	hdr := ehbuild.Hdr(hdrAddr, ehAddr, []ehbuild.FDE{{Begin: 0x1000, Size: 0x10}}, offs)
	bad := append([]byte(nil), eh...)
	bad[offs[0]+4] = 0xff // CIE pointer far before the section
	if _, err := cfi.NewEHFrame(bad, ehAddr, hdr, hdrAddr).FDE(0x1008); err == nil || !strings.Contains(err.Error(), "CIE pointer") {
		t.Errorf("bad CIE pointer: %v", err)
	}
	bad = append([]byte(nil), eh...)
	bad[offs[0]] = 0xf0 // FDE length past the section
	tab := cfi.NewEHFrame(bad, ehAddr, nil, 0)
	if _, err := tab.FDE(0x1008); !errors.Is(err, cfi.ErrNoFDE) || !strings.Contains(tab.Note(), "corrupt") {
		t.Errorf("FDE length past the section: %v, note %q", err, tab.Note())
	}
}

type fakeMachine map[uint64]uint64

func (m fakeMachine) Reg(n uint64) (uint64, bool) { v, ok := m[n]; return v, ok }
func (m fakeMachine) ReadU64(addr uint64) (uint64, error) {
	return 0, errors.New("no memory")
}

func TestEval(t *testing.T) {
	m := fakeMachine{cfi.RegRSP: 0x7000}
	// The PLT rule: rsp+8 + ((rip&15) >= 11 ? 8 : 0).
	plt := []byte{0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22}
	m[16] = 0x100c
	if v, err := cfi.Eval(plt, m); err != nil || v != 0x7010 {
		t.Errorf("plt at +0xc: %#x %v", v, err)
	}
	m[16] = 0x1003
	if v, err := cfi.Eval(plt, m); err != nil || v != 0x7008 {
		t.Errorf("plt at +0x3: %#x %v", v, err)
	}
	for _, c := range []struct {
		name string
		expr []byte
		want string
	}{
		{"loop", []byte{0x2f, 0xfd, 0xff}, "steps"},
		{"underflow", []byte{0x22}, "underflow"},
		{"unknown register", []byte{0x73, 0}, "lost"},
		{"branch outside", []byte{0x2f, 0x10, 0x00}, "outside"},
		{"divide by zero", []byte{0x31, 0x30, 0x1b}, "zero"},
		{"deref", []byte{0x30, 0x06}, "no memory"},
	} {
		if _, err := cfi.Eval(c.expr, m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func FuzzEHFrame(f *testing.F) {
	fdes := []ehbuild.FDE{{Begin: 0x1000, Size: 0x40, Instr: prologue}, {Begin: 0x2000, Size: 0x10}}
	eh, offs := ehbuild.EHFrame(ehAddr, ehbuild.CIEInitial, fdes)
	hdr := ehbuild.Hdr(hdrAddr, ehAddr, fdes, offs)
	f.Add(eh, hdr, uint64(0x1010))
	f.Add(eh, []byte(nil), uint64(0x2004))
	f.Fuzz(func(t *testing.T, eh, hdr []byte, pc uint64) {
		for _, tab := range []*cfi.Table{cfi.NewEHFrame(eh, ehAddr, hdr, hdrAddr), cfi.NewDebugFrame(eh)} {
			if f, err := tab.FDE(pc); err == nil {
				if pc < f.Begin || pc >= f.End {
					t.Fatalf("FDE [%#x, %#x) for pc %#x", f.Begin, f.End, pc)
				}
				f.Row(pc)
			}
			tab.Note()
		}
	})
}

func FuzzRow(f *testing.F) {
	f.Add(ehbuild.CIEInitial, prologue, uint64(0x10))
	f.Add([]byte{0x0c, 7, 8}, []byte{0x0a, 0x41, 0x0b, 0x10, 6, 2, 0x77, 0}, uint64(3))
	f.Fuzz(func(t *testing.T, initial, instr []byte, pc uint64) {
		fde := cfi.FDE{Begin: 0, End: 1 << 20, Instructions: instr,
			CIE: cfi.CIE{CodeAlign: 1, DataAlign: -8, RAReg: 16, Initial: initial}}
		row, err := fde.Row(pc % (1 << 20))
		if err != nil {
			return
		}
		m := fakeMachine{cfi.RegRSP: 0x7000, cfi.RegRBP: 0x7100}
		if row.CFA.Kind == cfi.RuleCFAExpression {
			cfi.Eval(row.CFA.Expr, m)
		}
		for _, r := range row.Regs {
			if r.Kind == cfi.RuleExpression || r.Kind == cfi.RuleValExpression {
				cfi.Eval(r.Expr, m, 0x7010)
			}
		}
	})
}
