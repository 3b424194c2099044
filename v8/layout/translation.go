package layout

import (
	"fmt"
	"strconv"
	"strings"
)

// TranslationOpcodes is one V8 line's deoptimization translation opcodes
// (see translationOpcodes), in enum order.
type TranslationOpcodes struct {
	Err        error    // no opcodes are known for this V8
	Names      []string // opcode → name
	Operands   []int    // opcode → operand count
	VLQOpcodes bool     // V8 10: opcodes are VLQ numbers like operands; later one byte
	ByName     map[string]int
}

func newTranslationOpcodes(m *Metadata) TranslationOpcodes {
	return TranslationOpcodesOf(m.Major, m.Minor)
}

// TranslationOpcodesOf returns the translation opcodes of V8 major.minor.
func TranslationOpcodesOf(major, minor int) TranslationOpcodes {
	for _, e := range translationOpcodes {
		if !inWindow(major, minor, e.from, e.to) {
			continue
		}
		t := TranslationOpcodes{VLQOpcodes: e.vlqOpcodes, ByName: map[string]int{}}
		for _, f := range strings.Fields(e.list) {
			name, n, _ := strings.Cut(f, "/")
			c, _ := strconv.Atoi(n)
			t.ByName[name] = len(t.Names)
			t.Names = append(t.Names, name)
			t.Operands = append(t.Operands, c)
		}
		return t
	}
	return TranslationOpcodes{Err: fmt.Errorf("no translation opcodes known for V8 %d.%d", major, minor)}
}
