package cfi

import (
	"errors"
	"fmt"
)

// NumRegs is how many DWARF register columns a Row keeps: x86-64's general
// registers (0-15: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8-r15) and the
// return address (16). Rules for other columns (vector registers) are read
// and dropped.
const NumRegs = 17

// x86-64 DWARF register numbers the unwinder names.
const (
	RegRBX = 3
	RegRBP = 6
	RegRSP = 7
	RegRA  = 16
)

// RuleKind says how a register (or the CFA) of the caller is recovered.
type RuleKind uint8

const (
	// RuleUnspecified: the FDE says nothing; on x86-64 a callee-saved
	// register keeps its value, a scratch one is lost.
	RuleUnspecified   RuleKind = iota
	RuleUndefined              // the value is lost (for the return address: the outermost frame)
	RuleSameValue              // unchanged
	RuleOffset                 // saved at CFA+Offset
	RuleValOffset              // the value is CFA+Offset
	RuleRegister               // the value is in register Reg
	RuleExpression             // saved at the address Expr computes (CFA pushed first)
	RuleValExpression          // the value is what Expr computes
	RuleCFA                    // the CFA only: register Reg + Offset
	RuleCFAExpression          // the CFA only: what Expr computes
)

// Rule is one register's rule in a row.
type Rule struct {
	Kind   RuleKind
	Reg    uint64
	Offset int64
	Expr   []byte
}

// Row is the unwind rule set at one address.
type Row struct {
	CFA    Rule
	Regs   [NumRegs]Rule
	RA     uint64 // the return address column
	Signal bool   // the FDE describes a signal trampoline ('S')
}

// maxRemembered bounds DW_CFA_remember_state nesting; real code uses one
// or two levels.
const maxRemembered = 64

// Row executes the CIE's initial instructions and then the FDE's, up to
// pc (a link-time address in [Begin, End)), and returns the row for pc.
func (f *FDE) Row(pc uint64) (Row, error) {
	x := executor{fde: f, loc: f.Begin, pc: pc}
	x.row.RA = f.CIE.RAReg
	x.row.Signal = f.CIE.Signal
	if f.CIE.RAReg >= NumRegs {
		return Row{}, fmt.Errorf("FDE at %#x: return address column %d", f.Offset, f.CIE.RAReg)
	}
	if err := x.run(f.CIE.Initial, true); err != nil {
		return Row{}, fmt.Errorf("CIE at %#x: %v", f.CIE.Offset, err)
	}
	x.initial = x.row.Regs
	if err := x.run(f.Instructions, false); err != nil {
		return Row{}, fmt.Errorf("FDE at %#x: %v", f.Offset, err)
	}
	if x.row.CFA.Kind == RuleUnspecified {
		return Row{}, fmt.Errorf("FDE at %#x: no CFA rule at %#x", f.Offset, pc)
	}
	return x.row, nil
}

type executor struct {
	fde     *FDE
	loc, pc uint64
	row     Row
	initial [NumRegs]Rule
	stack   []savedState
}

type savedState struct {
	cfa  Rule
	regs [NumRegs]Rule
}

var errPastPC = errors.New("past pc") // internal: the row for pc is complete

func (x *executor) advance(delta uint64) error {
	next := x.loc + delta*x.fde.CIE.CodeAlign
	if next < x.loc {
		return fmt.Errorf("location advances past the end of the address space")
	}
	if next > x.pc {
		return errPastPC
	}
	x.loc = next
	return nil
}

func (x *executor) set(reg uint64, r Rule) {
	if reg < NumRegs {
		x.row.Regs[reg] = r
	}
}

// run executes instructions; in the CIE (cie true) location changes are
// not allowed.
func (x *executor) run(instr []byte, cie bool) error {
	r := reader{b: instr}
	daf := x.fde.CIE.DataAlign
	for r.left() > 0 {
		op := r.u8()
		var err error
		switch op >> 6 {
		case 1: // DW_CFA_advance_loc
			if cie {
				return fmt.Errorf("location advance in a CIE")
			}
			if x.advance(uint64(op&0x3f)) == errPastPC {
				return nil
			}
			continue
		case 2: // DW_CFA_offset
			x.set(uint64(op&0x3f), Rule{Kind: RuleOffset, Offset: int64(r.uleb()) * daf})
			continue
		case 3: // DW_CFA_restore
			x.restore(uint64(op & 0x3f))
			continue
		}
		switch op {
		case 0x00: // nop
		case 0x01: // set_loc
			var loc uint64
			if x.fde.CIE.fdeEnc&0x70 == pePCRel || x.fde.CIE.fdeEnc&0x70 == peDataRel {
				return fmt.Errorf("DW_CFA_set_loc with a relative encoding")
			}
			if loc, err = r.encoded(x.fde.CIE.fdeEnc, 0, 0); err != nil {
				return err
			}
			if cie {
				return fmt.Errorf("location change in a CIE")
			}
			if loc < x.loc {
				return fmt.Errorf("DW_CFA_set_loc goes backwards")
			}
			if loc > x.pc {
				return nil
			}
			x.loc = loc
		case 0x02, 0x03, 0x04: // advance_loc1, 2, 4
			var d uint64
			switch op {
			case 0x02:
				d = uint64(r.u8())
			case 0x03:
				d = uint64(r.u16())
			default:
				d = uint64(r.u32())
			}
			if r.err != nil {
				return r.err
			}
			if cie {
				return fmt.Errorf("location advance in a CIE")
			}
			if x.advance(d) == errPastPC {
				return nil
			}
		case 0x05: // offset_extended
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleOffset, Offset: int64(r.uleb()) * daf})
		case 0x06: // restore_extended
			x.restore(r.uleb())
		case 0x07: // undefined
			x.set(r.uleb(), Rule{Kind: RuleUndefined})
		case 0x08: // same_value
			x.set(r.uleb(), Rule{Kind: RuleSameValue})
		case 0x09: // register
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleRegister, Reg: r.uleb()})
		case 0x0a: // remember_state
			if len(x.stack) >= maxRemembered {
				return fmt.Errorf("DW_CFA_remember_state nested more than %d deep", maxRemembered)
			}
			x.stack = append(x.stack, savedState{x.row.CFA, x.row.Regs})
		case 0x0b: // restore_state
			if len(x.stack) == 0 {
				return fmt.Errorf("DW_CFA_restore_state with nothing remembered")
			}
			s := x.stack[len(x.stack)-1]
			x.stack = x.stack[:len(x.stack)-1]
			x.row.CFA, x.row.Regs = s.cfa, s.regs
		case 0x0c: // def_cfa
			reg := r.uleb()
			x.row.CFA = Rule{Kind: RuleCFA, Reg: reg, Offset: int64(r.uleb())}
		case 0x0d: // def_cfa_register
			x.row.CFA.Reg = r.uleb()
			if x.row.CFA.Kind != RuleCFA {
				x.row.CFA = Rule{Kind: RuleCFA, Reg: x.row.CFA.Reg}
			}
		case 0x0e: // def_cfa_offset
			if x.row.CFA.Kind != RuleCFA {
				return fmt.Errorf("DW_CFA_def_cfa_offset without a register CFA")
			}
			x.row.CFA.Offset = int64(r.uleb())
		case 0x0f: // def_cfa_expression
			x.row.CFA = Rule{Kind: RuleCFAExpression, Expr: r.bytes(r.uleb())}
		case 0x10: // expression
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleExpression, Expr: r.bytes(r.uleb())})
		case 0x11: // offset_extended_sf
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleOffset, Offset: r.sleb() * daf})
		case 0x12: // def_cfa_sf
			reg := r.uleb()
			x.row.CFA = Rule{Kind: RuleCFA, Reg: reg, Offset: r.sleb() * daf}
		case 0x13: // def_cfa_offset_sf
			if x.row.CFA.Kind != RuleCFA {
				return fmt.Errorf("DW_CFA_def_cfa_offset_sf without a register CFA")
			}
			x.row.CFA.Offset = r.sleb() * daf
		case 0x14: // val_offset
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleValOffset, Offset: int64(r.uleb()) * daf})
		case 0x15: // val_offset_sf
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleValOffset, Offset: r.sleb() * daf})
		case 0x16: // val_expression
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleValExpression, Expr: r.bytes(r.uleb())})
		case 0x2e: // GNU_args_size
			r.uleb()
		case 0x2f: // GNU_negative_offset_extended
			reg := r.uleb()
			x.set(reg, Rule{Kind: RuleOffset, Offset: -int64(r.uleb()) * daf})
		default:
			return fmt.Errorf("call frame instruction %#x not known", op)
		}
		if err != nil {
			return err
		}
		if r.err != nil {
			return r.err
		}
	}
	return r.err
}

// restore sets a register back to its rule after the CIE's instructions.
func (x *executor) restore(reg uint64) {
	if reg < NumRegs {
		x.row.Regs[reg] = x.initial[reg]
	}
}
