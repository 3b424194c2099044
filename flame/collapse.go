package flame

import (
	"bytes"
	"sort"
)

// chunkFolder folds one chunk of perf script text. A chunk always starts at
// the beginning of the input or right after a blank line, where the state of
// stackcollapse-perf.pl is reset (no sample open, empty stack); the only state
// that crosses chunks is the event filter, which the caller supplies.
type chunkFolder struct {
	opt    *FoldOptions
	filter []byte

	index   map[string]int
	keys    []string
	weights []weight
	counts  []int64 // samples of each key
	order   []int32 // sample keys in input order (Ordered)
	orderW  []float64

	// current sample
	open      bool
	pname     []byte
	period    weight
	scratch   []byte     // frame names of the sample
	groups    [][2]int32 // ranges in scratch: the frames of each frame line, joined by ';'
	cache     map[string]cachedGroup
	mods      map[string]string // with opt.Modules: the module of each frame name
	nframes   int               // frame lines of the sample
	key       []byte
	tmp       []byte
	hdr       header
	fr        frame
	javaComm  bool
	eventSeen []byte // first event seen in this chunk (when filter is empty)

	// diagnostics
	lines       int // lines processed
	badLines    int
	firstBad    int // 1-based line within the chunk
	firstBadTxt string
	samples     int
	headers     int
	openAt      int // line of the header of a sample left open at the end
}

func newChunkFolder(opt *FoldOptions) *chunkFolder {
	c := &chunkFolder{opt: opt, index: make(map[string]int), cache: make(map[string]cachedGroup)}
	if opt.Modules {
		c.mods = make(map[string]string)
	}
	return c
}

// reset prepares the folder for a new chunk, keeping its buffers and the
// accumulated stacks.
func (c *chunkFolder) resetDiag() {
	c.lines, c.badLines, c.firstBad, c.firstBadTxt = 0, 0, 0, ""
	c.samples, c.headers, c.openAt = 0, 0, 0
}

// fold processes the lines of data. A final line without a newline is
// processed as a line.
func (c *chunkFolder) fold(data []byte) {
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		c.lines++
		c.line(line)
	}
	if c.open {
		c.openAt = c.lines
	}
}

func (c *chunkFolder) line(line []byte) {
	if len(line) == 0 {
		c.endSample()
		return
	}
	if line[0] == '#' {
		return
	}
	if !isSpace(line[0]) && parseHeader(line, &c.hdr) {
		c.header()
		return
	}
	if c.open && isSpace(line[0]) && len(line) <= maxCachedLine && !c.javaComm {
		if g, ok := c.cache[string(line)]; ok {
			c.nframes++
			if g.ok {
				start := len(c.scratch)
				c.scratch = append(c.scratch, g.s...)
				c.groups = append(c.groups, [2]int32{int32(start), int32(len(c.scratch))})
			}
			return
		}
	}
	if !parseFrame(line, &c.fr) {
		c.badLines++
		if c.firstBad == 0 {
			c.firstBad = c.lines
			txt := line
			if len(txt) > 80 {
				txt = txt[:80]
			}
			c.firstBadTxt = string(txt)
		}
		return
	}
	if c.open {
		c.frame(line)
	}
}

func (c *chunkFolder) header() {
	h := &c.hdr
	c.headers++
	if h.hasEvent {
		if len(c.filter) == 0 {
			c.filter = append(c.filter[:0], h.event...)
			c.eventSeen = c.filter
		} else if !bytes.Equal(h.event, c.filter) {
			return
		}
	}
	pid, tid := h.pid, h.tid
	if !h.hasTID || (len(tid) == 1 && tid[0] == '0') {
		tid, pid = pid, []byte("?")
	}
	if c.opt.Samples {
		c.period = weight{n: 1}
	} else if len(h.period) == 0 || (len(h.period) == 1 && h.period[0] == '0') {
		c.period = weight{n: 1}
	} else {
		c.period = parseWeight(h.period)
	}
	p := append(c.pname[:0], h.comm...)
	switch {
	case c.opt.TID:
		p = append(p, '-')
		p = append(p, pid...)
		p = append(p, '/')
		p = append(p, tid...)
	case c.opt.PID:
		p = append(p, '-')
		p = append(p, pid...)
	}
	for i, b := range p {
		if b == ' ' {
			p[i] = '_'
		}
	}
	c.pname = p
	c.javaComm = bytes.HasPrefix(p, []byte("java"))
	c.open = true
}

func (c *chunkFolder) frame(line []byte) {
	c.nframes++
	cacheable := !c.javaComm && len(line) <= maxCachedLine
	if cacheable {
		if g, ok := c.cache[string(line)]; ok {
			if g.ok {
				start := len(c.scratch)
				c.scratch = append(c.scratch, g.s...)
				c.groups = append(c.groups, [2]int32{int32(start), int32(len(c.scratch))})
			}
			return
		}
	}
	start := len(c.scratch)
	ok := c.renderGroup()
	if ok {
		c.groups = append(c.groups, [2]int32{int32(start), int32(len(c.scratch))})
		if c.mods != nil {
			c.recordModule(c.scratch[start:])
		}
	}
	if cacheable && len(c.cache) < maxCacheEntries {
		c.cache[string(line)] = cachedGroup{s: string(c.scratch[start:]), ok: ok}
	}
}

// recordModule notes the module of the current frame line as the module of
// each frame in group (names joined by ';'). When a name comes from several
// modules, the bytewise smallest is kept, so the result does not depend on
// how the input was split among workers.
func (c *chunkFolder) recordModule(group []byte) {
	for len(group) > 0 {
		name := group
		if i := bytes.IndexByte(group, ';'); i >= 0 {
			name, group = group[:i], group[i+1:]
		} else {
			group = nil
		}
		if m, ok := c.mods[string(name)]; !ok || string(c.fr.mod) < m {
			c.mods[string(name)] = string(c.fr.mod)
		}
	}
}

const (
	maxCachedLine   = 512
	maxCacheEntries = 1 << 16
)

type cachedGroup struct {
	s  string
	ok bool // false: the line adds no frame
}

// renderGroup appends the frames of the parsed frame line c.fr to scratch,
// joined by ';', and reports whether it added any.
func (c *chunkFolder) renderGroup() bool {
	raw := stripOffset(c.fr.rawfunc)
	if len(raw) > 0 && raw[0] == '(' {
		return false
	}
	// Perl's split drops trailing empty fields.
	for len(raw) >= 2 && raw[len(raw)-2] == '-' && raw[len(raw)-1] == '>' {
		raw = raw[:len(raw)-2]
	}
	if len(raw) == 0 {
		return false
	}
	first := true
	for {
		fn := raw
		i := indexArrow(raw)
		if i >= 0 {
			fn = raw[:i]
		}
		if !first {
			c.scratch = append(c.scratch, ';')
		}
		c.scratch = c.appendFunc(c.scratch, fn, !first)
		first = false
		if i < 0 {
			return true
		}
		raw = raw[i+2:]
	}
}

func indexArrow(b []byte) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '-')
		if i < 0 || off+i+1 >= len(b) {
			return -1
		}
		if b[off+i+1] == '>' {
			return off + i
		}
		off += i + 1
	}
}

// appendFunc tidies one function name as stackcollapse-perf.pl does.
func (c *chunkFolder) appendFunc(dst, fn []byte, inlined bool) []byte {
	f := &c.fr
	if string(fn) == "[unknown]" {
		var name []byte
		if string(f.mod) != "[unknown]" {
			name = f.mod
			if i := bytes.LastIndexByte(name, '/'); i >= 0 {
				name = name[i+1:]
			}
		} else {
			name = []byte("unknown")
		}
		t := append(c.tmp[:0], '[')
		t = append(t, name...)
		if c.opt.Addrs {
			t = append(t, " <"...)
			t = append(t, f.pc...)
			t = append(t, '>')
		}
		t = append(t, ']')
		c.tmp = t
		fn = t
	}
	start := len(dst)
	goMethod := isGoMethod(fn)
	end := len(fn)
	if !goMethod {
		off := 0
		for {
			i := bytes.IndexByte(fn[off:], '(')
			if i < 0 {
				break
			}
			i += off
			if !bytes.HasPrefix(fn[i+1:], []byte("anonymous namespace)")) {
				end = i
				break
			}
			off = i + 1
		}
	}
	for _, b := range fn[:end] {
		switch b {
		case ';':
			dst = append(dst, ':')
		case '"', '\'':
		default:
			dst = append(dst, b)
		}
	}
	if c.javaComm && len(dst) > start && dst[start] == 'L' &&
		bytes.IndexByte(dst[start:], '/') >= 0 {
		copy(dst[start:], dst[start+1:])
		dst = dst[:len(dst)-1]
	}
	name := dst[start:]
	switch {
	case inlined:
		if !bytes.Contains(name, []byte("_[i]")) {
			dst = append(dst, "_[i]"...)
		}
	case c.opt.Kernel && isKernelMod(f.mod):
		dst = append(dst, "_[k]"...)
	case c.opt.JIT && isPerfMap(f.mod):
		if !bytes.Contains(name, []byte("_[j]")) {
			dst = append(dst, "_[j]"...)
		}
	}
	return dst
}

func (c *chunkFolder) endSample() {
	if !c.open {
		return
	}
	k := append(c.key[:0], c.pname...)
	if c.opt.MarkTruncated && c.nframes >= perfMaxStack {
		k = append(k, ';')
		k = append(k, truncatedFrame...)
	}
	for g := len(c.groups) - 1; g >= 0; g-- {
		k = append(k, ';')
		k = append(k, c.scratch[c.groups[g][0]:c.groups[g][1]]...)
	}
	c.key = k
	idx, ok := c.index[string(k)]
	if !ok {
		idx = len(c.keys)
		s := string(k)
		c.index[s] = idx
		c.keys = append(c.keys, s)
		c.weights = append(c.weights, weight{})
		c.counts = append(c.counts, 0)
	}
	c.weights[idx].add(c.period)
	c.counts[idx]++
	if c.opt.Ordered {
		c.order = append(c.order, int32(idx))
		c.orderW = append(c.orderW, c.period.float64())
	}
	c.samples++
	c.open = false
	c.scratch = c.scratch[:0]
	c.groups = c.groups[:0]
	c.nframes = 0
}

// Stack is one folded stack and its weight.
type Stack struct {
	Frames  string // root first, separated by ';'
	Weight  weight
	Samples int64 // samples folded into the stack
}

// sortedStacks returns the stacks of the folders merged and sorted bytewise.
func mergeFolders(fs []*chunkFolder) []Stack {
	if len(fs) == 1 {
		c := fs[0]
		out := make([]Stack, len(c.keys))
		for i, k := range c.keys {
			out[i] = Stack{Frames: k, Weight: c.weights[i], Samples: c.counts[i]}
		}
		sortStacks(out)
		return out
	}
	index := make(map[string]int)
	var out []Stack
	for _, c := range fs {
		for i, k := range c.keys {
			j, ok := index[k]
			if !ok {
				j = len(out)
				index[k] = j
				out = append(out, Stack{Frames: k})
			}
			out[j].Weight.add(c.weights[i])
			out[j].Samples += c.counts[i]
		}
	}
	sortStacks(out)
	return out
}

// mergeModules merges the frame modules of the folders, keeping the bytewise
// smallest module of a name, as recordModule does.
func mergeModules(fs []*chunkFolder) map[string]string {
	if len(fs) == 0 || fs[0].mods == nil {
		return nil
	}
	out := fs[0].mods
	for _, c := range fs[1:] {
		for name, m := range c.mods {
			if old, ok := out[name]; !ok || m < old {
				out[name] = m
			}
		}
	}
	return out
}

func sortStacks(s []Stack) {
	sort.Slice(s, func(i, j int) bool { return s[i].Frames < s[j].Frames })
}
