package flame

import (
	"bytes"
	"strconv"
)

// FoldOptions selects how perf script samples are folded. The options mirror
// those of stackcollapse-perf.pl so that folds are byte-identical to it.
type FoldOptions struct {
	PID         bool   // --pid: "comm-PID" as the root frame
	TID         bool   // --tid: "comm-PID/TID" as the root frame (wins over PID)
	Kernel      bool   // --kernel: "_[k]" on kernel frames
	JIT         bool   // --jit: "_[j]" on frames from /tmp/perf-N.map
	Addrs       bool   // --addrs: "[module <pc>]" for unknown symbols
	EventFilter string // --event-filter: keep only this event ("" = the first seen)
	Samples     bool   // --weight=samples: count samples instead of summing periods

	// MarkTruncated inserts truncatedFrame under the root of samples whose
	// call chain has perf's maximum length (127 frames). Folds that must
	// match stackcollapse-perf.pl leave it off.
	MarkTruncated bool
	// Ordered keeps the samples in input order (for flame charts).
	Ordered bool
	// Modules records the module (DSO) of each frame name in
	// FoldResult.Modules, for the pprof mappings.
	Modules bool
}

// truncatedFrame marks stacks that perf cut at its frame limit.
const truncatedFrame = "[truncated: perf 127-frame limit]"

// perfMaxStack is perf's default kernel.perf_event_max_stack.
const perfMaxStack = 127

// isSpace reports Perl's \s for byte strings: [ \t\n\v\f\r].
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWord(c byte) bool {
	return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// header is a parsed sample header line.
type header struct {
	comm, pid, tid []byte
	hasTID         bool
	period         []byte // digits, possibly empty
	event          []byte
	hasEvent       bool
}

// parseHeader matches /^(\S.+?)\s+(\d+)\/*(\d+)*\s+/ and, when it matches,
// /:\s*(\d+)*\s+(\S+):\s*$/, with Perl's backtracking semantics.
func parseHeader(line []byte, h *header) bool {
	if len(line) < 3 || isSpace(line[0]) {
		return false
	}
	n := len(line)
	matched := false
	for e := 2; e < n; e++ {
		if !isSpace(line[e]) || (e > 2 && isSpace(line[e-1])) {
			continue
		}
		q := e
		for q < n && isSpace(line[q]) {
			q++
		}
		d1 := q
		for d1 < n && isDigit(line[d1]) {
			d1++
		}
		if d1 == q {
			continue
		}
		s := d1
		for s < n && line[s] == '/' {
			s++
		}
		d2 := s
		for d2 < n && isDigit(line[d2]) {
			d2++
		}
		if d2 >= n || !isSpace(line[d2]) {
			continue
		}
		h.comm = line[:e]
		h.pid = line[q:d1]
		h.tid = line[s:d2]
		h.hasTID = d2 > s
		matched = true
		break
	}
	if !matched {
		return false
	}
	h.hasEvent = false
	h.period = nil
	h.event = nil
	// /:\s*(\d+)*\s+(\S+):\s*$/
	k := n
	for k > 0 && isSpace(line[k-1]) {
		k--
	}
	if k == 0 || line[k-1] != ':' {
		return true
	}
	k-- // index of the final ':'
	r := k
	for r > 0 && !isSpace(line[r-1]) {
		r--
	}
	if r == 0 || k-r < 1 {
		return true
	}
	i := r - 1
	for i >= 0 && isSpace(line[i]) {
		i--
	}
	dEnd := i + 1
	for i >= 0 && isDigit(line[i]) {
		i--
	}
	dStart := i + 1
	if dStart < dEnd {
		for i >= 0 && isSpace(line[i]) {
			i--
		}
	}
	if i < 0 || line[i] != ':' {
		return true
	}
	h.hasEvent = true
	h.period = line[dStart:dEnd]
	h.event = line[r:k]
	return true
}

// frame is a parsed call-chain line: /^\s*(\w+)\s*(.+) \((.*)\)/.
type frame struct {
	pc, rawfunc, mod []byte
}

func parseFrame(line []byte, f *frame) bool {
	n := len(line)
	ws := 0
	for ws < n && isSpace(line[ws]) {
		ws++
	}
	if ws >= n || !isWord(line[ws]) {
		return false
	}
	wordEnd := ws + 1
	for wordEnd < n && isWord(line[wordEnd]) {
		wordEnd++
	}
	s2max := wordEnd
	for s2max < n && isSpace(line[s2max]) {
		s2max++
	}
	lastParen := bytes.LastIndexByte(line, ')')
	if lastParen < 0 {
		return false
	}
	j := lastParen
	for {
		j = bytes.LastIndexByte(line[:j], '(')
		if j < 1 || line[j-1] == ' ' {
			break
		}
	}
	j-- // the space before '('
	if j < ws+2 {
		return false
	}
	s2 := min(s2max, j-1)
	f.pc = line[ws:min(s2, wordEnd)]
	f.rawfunc = line[s2:j]
	f.mod = line[j+2 : lastParen]
	return true
}

// stripOffset removes a trailing /\+0x[\da-f]+$/.
func stripOffset(b []byte) []byte {
	i := bytes.LastIndex(b, []byte("+0x"))
	if i < 0 || i+3 == len(b) {
		return b
	}
	for _, c := range b[i+3:] {
		if !isDigit(c) && (c < 'a' || c > 'f') {
			return b
		}
	}
	return b[:i]
}

// isGoMethod matches /\.\(.*\)\./.
func isGoMethod(b []byte) bool {
	i := bytes.Index(b, []byte(".("))
	if i < 0 {
		return false
	}
	k := bytes.LastIndex(b, []byte(")."))
	return k >= i+2
}

// isPerfMap matches m:/tmp/perf-\d+\.map:.
func isPerfMap(mod []byte) bool {
	for {
		i := bytes.Index(mod, []byte("/tmp/perf-"))
		if i < 0 {
			return false
		}
		rest := mod[i+10:]
		d := 0
		for d < len(rest) && isDigit(rest[d]) {
			d++
		}
		if d > 0 && bytes.HasPrefix(rest[d:], []byte(".map")) {
			return true
		}
		mod = mod[i+1:]
	}
}

func isKernelMod(mod []byte) bool {
	return (len(mod) > 0 && mod[0] == '[' || bytes.HasSuffix(mod, []byte("vmlinux"))) &&
		!bytes.Contains(mod, []byte("unknown"))
}

// weight is a sum with Perl's numeric behaviour: unsigned 64-bit integers
// until they overflow, then doubles.
type weight struct {
	n     uint64
	f     float64
	float bool
}

func (w *weight) add(v weight) {
	switch {
	case w.float || v.float:
		w.f = w.float64() + v.float64()
		w.float = true
	default:
		s := w.n + v.n
		if s < w.n {
			w.f = float64(w.n) + float64(v.n)
			w.float = true
			return
		}
		w.n = s
	}
}

func (w weight) float64() float64 {
	if w.float {
		return w.f
	}
	return float64(w.n)
}

// parseWeight converts a digit string the way Perl's numification does.
func parseWeight(d []byte) weight {
	var n uint64
	for _, c := range d {
		m := n*10 + uint64(c-'0')
		if n > (1<<64-1)/10 || m < n*10 {
			f, _ := strconv.ParseFloat(string(d), 64)
			return weight{f: f, float: true}
		}
		n = m
	}
	return weight{n: n}
}

// appendTo formats w like Perl's stringification of a number.
func (w weight) appendTo(b []byte) []byte {
	if !w.float {
		return strconv.AppendUint(b, w.n, 10)
	}
	return appendPerlFloat(b, w.f)
}

func (w weight) String() string { return string(w.appendTo(nil)) }

// appendPerlFloat formats like Perl's "%.15g".
func appendPerlFloat(b []byte, f float64) []byte {
	if f == float64(int64(f)) && f < 1e15 && f > -1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'g', 15, 64)
	// Go writes e+19, Perl writes e+19 too, but Go trims no zeros in 'g' with
	// explicit precision; Perl's %g removes trailing zeros.
	if i := bytes.IndexByte([]byte(s), 'e'); i >= 0 {
		mant, exp := s[:i], s[i:]
		if bytes.IndexByte([]byte(mant), '.') >= 0 {
			mant = string(bytes.TrimRight([]byte(mant), "0"))
			mant = string(bytes.TrimSuffix([]byte(mant), []byte(".")))
		}
		if len(exp) == 3 { // e+5 -> e+05
			exp = exp[:2] + "0" + exp[2:]
		}
		s = mant + exp
	} else if bytes.IndexByte([]byte(s), '.') >= 0 {
		s = string(bytes.TrimSuffix(bytes.TrimRight([]byte(s), "0"), []byte(".")))
	}
	return append(b, s...)
}
