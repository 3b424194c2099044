package stack

// BytecodePosition maps a bytecode offset of a BytecodeArray to a script
// offset through its source position table (-1 and why when it cannot):
// for positions saved outside frames, such as a suspended generator's.
func (h *Walker) BytecodePosition(ba Value, off int) (int, string) {
	return h.bytecodePosition(ba, off)
}
