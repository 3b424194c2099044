package cfi

import (
	"errors"
	"fmt"
)

// Machine is what an expression reads: the frame's registers and memory.
type Machine interface {
	// Reg returns a register of the frame being unwound, false when its
	// value is not known.
	Reg(dwarfReg uint64) (uint64, bool)
	// ReadU64 reads a word of the process's memory.
	ReadU64(addr uint64) (uint64, error)
}

// Expression limits: the operations of one evaluation (branches can loop)
// and the stack depth.
const (
	maxSteps = 1000
	maxStack = 64
)

// ErrUnknownRegister says an expression or rule needs a register whose
// value the unwinder does not know.
var ErrUnknownRegister = errors.New("needs a register whose value is lost")

// Eval runs a DWARF expression (the subset call frame information uses)
// with the given values pushed first, and returns the top of the stack.
func Eval(expr []byte, m Machine, push ...uint64) (uint64, error) {
	stack := make([]uint64, 0, 8)
	stack = append(stack, push...)
	r := reader{b: expr}
	pop := func() uint64 {
		if len(stack) == 0 {
			r.fail(errors.New("expression stack underflow"))
			return 0
		}
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		return v
	}
	for steps := 0; r.left() > 0; steps++ {
		if steps >= maxSteps {
			return 0, fmt.Errorf("expression runs more than %d steps", maxSteps)
		}
		if len(stack) > maxStack {
			return 0, fmt.Errorf("expression stack deeper than %d", maxStack)
		}
		op := r.u8()
		switch {
		case op >= 0x30 && op <= 0x4f: // DW_OP_lit0..31
			stack = append(stack, uint64(op-0x30))
			continue
		case op >= 0x50 && op <= 0x6f: // DW_OP_reg0..31: a location, not a value
			return 0, fmt.Errorf("register location operation %#x in a call frame expression", op)
		case op >= 0x70 && op <= 0x8f: // DW_OP_breg0..31
			v, ok := m.Reg(uint64(op - 0x70))
			if !ok {
				return 0, ErrUnknownRegister
			}
			stack = append(stack, v+uint64(r.sleb()))
			continue
		}
		switch op {
		case 0x06: // deref
			v, err := m.ReadU64(pop())
			if r.err == nil && err != nil {
				return 0, err
			}
			stack = append(stack, v)
		case 0x08: // const1u
			stack = append(stack, uint64(r.u8()))
		case 0x09: // const1s
			stack = append(stack, uint64(int64(int8(r.u8()))))
		case 0x0a: // const2u
			stack = append(stack, uint64(r.u16()))
		case 0x0b: // const2s
			stack = append(stack, uint64(int64(int16(r.u16()))))
		case 0x0c: // const4u
			stack = append(stack, uint64(r.u32()))
		case 0x0d: // const4s
			stack = append(stack, uint64(int64(int32(r.u32()))))
		case 0x0e, 0x0f: // const8u, const8s
			stack = append(stack, r.u64())
		case 0x10: // constu
			stack = append(stack, r.uleb())
		case 0x11: // consts
			stack = append(stack, uint64(r.sleb()))
		case 0x12: // dup
			v := pop()
			stack = append(stack, v, v)
		case 0x13: // drop
			pop()
		case 0x14: // over
			if len(stack) < 2 {
				return 0, errors.New("expression stack underflow")
			}
			stack = append(stack, stack[len(stack)-2])
		case 0x15: // pick
			i := int(r.u8())
			if i >= len(stack) {
				return 0, errors.New("expression stack underflow")
			}
			stack = append(stack, stack[len(stack)-1-i])
		case 0x16: // swap
			a, b := pop(), pop()
			stack = append(stack, a, b)
		case 0x17: // rot
			a, b, c := pop(), pop(), pop()
			stack = append(stack, a, c, b)
		case 0x19: // abs
			v := int64(pop())
			if v < 0 {
				v = -v
			}
			stack = append(stack, uint64(v))
		case 0x1f: // neg
			stack = append(stack, -pop())
		case 0x20: // not
			stack = append(stack, ^pop())
		case 0x23: // plus_uconst
			stack = append(stack, pop()+r.uleb())
		case 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x21, 0x22, 0x24, 0x25, 0x26, 0x27,
			0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e: // binary operations
			b, a := pop(), pop()
			v, err := binaryOp(op, a, b)
			if err != nil {
				return 0, err
			}
			stack = append(stack, v)
		case 0x2f: // skip
			n := int(int16(r.u16()))
			if err := r.jump(n); err != nil {
				return 0, err
			}
		case 0x28: // bra
			n := int(int16(r.u16()))
			if pop() != 0 {
				if err := r.jump(n); err != nil {
					return 0, err
				}
			}
		case 0x96: // nop
		default:
			return 0, fmt.Errorf("expression operation %#x not supported", op)
		}
		if r.err != nil {
			return 0, r.err
		}
	}
	if r.err != nil {
		return 0, r.err
	}
	if len(stack) == 0 {
		return 0, errors.New("expression leaves an empty stack")
	}
	return stack[len(stack)-1], nil
}

func (r *reader) jump(n int) error {
	to := r.off + n
	if r.err != nil || to < 0 || to > len(r.b) {
		return errors.New("expression branches outside itself")
	}
	r.off = to
	return nil
}

func binaryOp(op byte, a, b uint64) (uint64, error) {
	bool64 := func(c bool) uint64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case 0x1a:
		return a & b, nil
	case 0x1b, 0x1d: // div, mod (signed div, unsigned mod as DWARF says)
		if b == 0 {
			return 0, errors.New("expression divides by zero")
		}
		if op == 0x1b {
			if int64(b) == -1 {
				return -a, nil
			}
			return uint64(int64(a) / int64(b)), nil
		}
		return a % b, nil
	case 0x1c:
		return a - b, nil
	case 0x1e:
		return a * b, nil
	case 0x21:
		return a | b, nil
	case 0x22:
		return a + b, nil
	case 0x24:
		if b >= 64 {
			return 0, nil
		}
		return a << b, nil
	case 0x25:
		if b >= 64 {
			return 0, nil
		}
		return a >> b, nil
	case 0x26:
		if b >= 64 {
			b = 63
		}
		return uint64(int64(a) >> b), nil
	case 0x27:
		return a ^ b, nil
	case 0x29:
		return bool64(a == b), nil
	case 0x2a:
		return bool64(int64(a) >= int64(b)), nil
	case 0x2b:
		return bool64(int64(a) > int64(b)), nil
	case 0x2c:
		return bool64(int64(a) <= int64(b)), nil
	case 0x2d:
		return bool64(int64(a) < int64(b)), nil
	case 0x2e:
		return bool64(a != b), nil
	}
	return 0, fmt.Errorf("expression operation %#x not supported", op)
}
