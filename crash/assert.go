package crash

// assertion fills in a failed Node CHECK: node::Assert(const
// AssertionInfo&) prints "file:line: function: Assertion `message'
// failed." and aborts. AssertionInfo is a static of three char* (file_line,
// message, function) in the executable's data; a pointer to it is on the
// stack in Assert's frame or its caller's.
func (c *collector) assertion(r *Reason) {
	r.Kind = Abort
	end := c.outermost(assertFuncs) + 512
	for i := 0; i < len(c.words) && i < end; i++ {
		if a, ok := c.assertionInfo(c.words[i]); ok {
			r.Assert = a
			r.Text = "assertion failed: " + a.FileLine + ": " + a.Function + ": Assertion `" + a.Message + "' failed."
			return
		}
	}
	r.Text = "assertion failed (its AssertionInfo is not on the stack)"
}

// assertionInfo reads an AssertionInfo at addr: three pointers to texts,
// the first of the form "file:line".
func (c *collector) assertionInfo(addr uint64) (*Assertion, bool) {
	if addr&7 != 0 || addr < 4096 {
		return nil, false
	}
	var ptr [3]uint64
	for i := range ptr {
		w, err := c.in.Proc.ReadU64(addr + 8*uint64(i))
		if err != nil {
			return nil, false
		}
		ptr[i] = w
	}
	var s [3]string
	for i, p := range ptr {
		t, ok := c.rodataText(p)
		if !ok {
			return nil, false
		}
		s[i] = t
	}
	if !isFileLine(s[0]) {
		return nil, false
	}
	return &Assertion{FileLine: s[0], Message: s[1], Function: s[2]}, true
}

// isFileLine reports "path:123".
func isFileLine(s string) bool {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return i < len(s) && i > 1 && s[i-1] == ':'
}
