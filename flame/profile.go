package flame

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Profile is a set of weighted stacks, whatever the input format.
type Profile struct {
	Stacks []PStack
	// Unit names what the weights count ("ns", "samples", "cycles", "µs").
	Unit string
	// Event is the perf event, when known.
	Event string
	// Diff: Before holds the weights of the baseline.
	Diff bool
	// Ordered: the stacks are samples in time order (flame chart input).
	Ordered bool
	// Kinds overrides the frame classification by name.
	Kinds map[string]Kind
	// NSamples is the number of samples, when known.
	NSamples int
	// Source describes the input, for the subtitle.
	Source string
	// Modules maps frame names to their module (DSO), when known: perf
	// input folded with FoldOptions.Modules.
	Modules map[string]string
}

// PStack is a stack (root first) and its weight.
type PStack struct {
	Frames []string
	Value  float64
	Before float64
	// Samples is the number of samples in the stack; 0 when unknown.
	Samples int64
}

// Total is the sum of the weights.
func (p *Profile) Total() float64 {
	var t float64
	for _, s := range p.Stacks {
		t += s.Value
	}
	return t
}

// Format names an input format.
type Format string

const (
	FormatAuto       Format = "auto"
	FormatPerf       Format = "perf"
	FormatFolded     Format = "folded"
	FormatCPUProfile Format = "cpuprofile"
)

// InputError is a problem with the input, reported on one line.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErrorf(format string, a ...any) error {
	return &InputError{fmt.Sprintf(format, a...)}
}

// ErrEmpty reports an input without samples.
var ErrEmpty = errors.New("no samples in the input")

// openInput wraps r so that zstd and gzip input is decompressed, and
// returns the first bytes of the (decompressed) stream for sniffing.
func openInput(r io.Reader) (*bufio.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	closeFn := func() {}
	switch {
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		// 128 MiB is the largest window of zstd --long; a larger one is
		// refused before it takes memory
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(1<<27))
		if err != nil {
			return nil, nil, inputErrorf("zstd: %v", err)
		}
		br = bufio.NewReaderSize(&zstdErr{d}, 64<<10)
		closeFn = d.Close
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		g, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, inputErrorf("gzip: %v", err)
		}
		br = bufio.NewReaderSize(g, 64<<10)
	case bytes.HasPrefix(head, []byte{0xfd, '7', 'z', 'X'}), bytes.HasPrefix(head, []byte("BZh")):
		return nil, nil, inputErrorf("xz and bzip2 input is not supported; decompress it first or use zstd")
	}
	return br, closeFn, nil
}

// zstdErr prefixes decompression errors.
type zstdErr struct{ d *zstd.Decoder }

func (z *zstdErr) Read(p []byte) (int, error) {
	n, err := z.d.Read(p)
	if err != nil && err != io.EOF {
		err = inputErrorf("zstd: %v", err)
	}
	return n, err
}

// sniff guesses the format from the first bytes of the input.
func sniff(head []byte) (Format, error) {
	if bytes.IndexByte(head, 0) >= 0 {
		return "", inputErrorf("binary data, not perf script text")
	}
	t := bytes.TrimLeft(head, " \t\r\n")
	if len(t) == 0 {
		return FormatPerf, nil
	}
	if t[0] == '{' {
		return FormatCPUProfile, nil
	}
	// perf script has indented frame lines; folded stacks have none and end
	// each line with a count.
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // maybe cut
	}
	folded, seen := true, 0
	for _, l := range lines {
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if isSpace(l[0]) {
			return FormatPerf, nil
		}
		if _, _, ok := parseFoldedLine(strings.TrimSuffix(string(l), "\r")); !ok {
			folded = false
		}
		seen++
		if seen > 200 {
			break
		}
	}
	if folded && seen > 0 {
		return FormatFolded, nil
	}
	return FormatPerf, nil
}

// parseFoldedLine matches flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/.
func parseFoldedLine(l string) (string, float64, bool) {
	i := len(l)
	for i > 0 && (isDigit(l[i-1]) || l[i-1] == '.') {
		i--
	}
	num := l[i:]
	// the number must start with a digit and have at most one dot
	for len(num) > 0 && num[0] == '.' {
		i++
		num = num[1:]
	}
	if len(num) == 0 || strings.Count(num, ".") > 1 || i == 0 || !isSpace(l[i-1]) {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return "", 0, false
	}
	return l[:i-1], v, true
}

// readFolded reads folded stacks ("a;b;c 12"), or the two-column output of
// difffolded.pl ("a;b;c 10 12").
func readFolded(r io.Reader) (*Profile, error) {
	p := &Profile{Unit: "samples"}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	index := map[string]int{}
	n := 0
	for sc.Scan() {
		n++
		// A CRLF line ends at its \r; a \r inside the line belongs to the
		// stack, as in flamegraph.pl, even before a second count.
		l := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		stack, v, ok := parseFoldedLine(l)
		if !ok {
			return nil, inputErrorf("line %d: not a folded stack (\"frame;frame;... count\"): %q", n, cut(l, 80))
		}
		var before float64
		if s2, v1, ok := parseFoldedLine(stack); ok {
			p.Diff = true
			stack, before = s2, v1
		}
		i, ok := index[stack]
		if !ok {
			i = len(p.Stacks)
			index[stack] = i
			p.Stacks = append(p.Stacks, PStack{Frames: strings.Split(stack, ";")})
		}
		p.Stacks[i].Value += v
		p.Stacks[i].Before += before
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	sort.Slice(p.Stacks, func(i, j int) bool {
		return strings.Join(p.Stacks[i].Frames, ";") < strings.Join(p.Stacks[j].Frames, ";")
	})
	return p, nil
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// profileFromFold converts folded perf samples.
func profileFromFold(res *FoldResult, opt FoldOptions) *Profile {
	p := &Profile{Event: res.Event, NSamples: res.Samples, Modules: res.Modules}
	p.Unit = unitFor(res.Event, opt.Samples)
	if opt.Ordered {
		p.Ordered = true
		split := make([][]string, len(res.Stacks))
		for i, s := range res.Stacks {
			split[i] = strings.Split(s.Frames, ";")
		}
		// one stack per sample; consecutive identical samples merge
		for k, i := range res.Order {
			v := res.OrderW[k]
			if n := len(p.Stacks); n > 0 && sameFrames(p.Stacks[n-1].Frames, split[i]) {
				p.Stacks[n-1].Value += v
				p.Stacks[n-1].Samples++
				continue
			}
			p.Stacks = append(p.Stacks, PStack{Frames: split[i], Value: v, Samples: 1})
		}
		return p
	}
	p.Stacks = make([]PStack, len(res.Stacks))
	for i, s := range res.Stacks {
		p.Stacks[i] = PStack{Frames: strings.Split(s.Frames, ";"), Value: s.Weight.float64(), Samples: s.Samples}
	}
	return p
}

func sameFrames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// unitFor names the unit of perf weights: sample periods are nanoseconds
// for the software clock events and event counts otherwise.
func unitFor(event string, samples bool) string {
	if samples {
		return "samples"
	}
	base := event
	if i := strings.IndexByte(base, ':'); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "cpu-clock", "task-clock":
		return "ns"
	case "":
		return "samples"
	}
	return base
}
