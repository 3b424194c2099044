package flame

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// FoldResult is the outcome of folding perf script text.
type FoldResult struct {
	Stacks  []Stack   // sorted bytewise by Frames
	Order   []int     // with FoldOptions.Ordered: index into Stacks of each sample, in input order
	OrderW  []float64 // and its weight
	Event   string    // the event kept ("" when headers carry none)
	Samples int       // samples folded
	Headers int       // sample header lines seen
	Lines   int       // lines read

	BadLines     int    // lines that are neither headers nor frames
	FirstBad     int    // line number of the first such line
	FirstBadText string // its text (cut)
	OpenAt       int    // >0: the input ends inside the sample whose last line is this

	// Modules maps each frame name to the module (DSO) of the perf script
	// frame lines it came from; only with FoldOptions.Modules.
	Modules map[string]string
}

// Total is the sum of the weights.
func (r *FoldResult) Total() weight {
	var t weight
	for _, s := range r.Stacks {
		t.add(s.Weight)
	}
	return t
}

const (
	chunkSize    = 1 << 20
	maxChunkSize = 64 << 20
)

// errNoBlankLine is returned when a long stretch of input has no blank line,
// which perf script output with call chains always has.
var errNoBlankLine = errors.New("no blank line in 64 MiB of input: not perf script output with call chains (perf record -g)")

type chunkJob struct {
	seq    int
	buf    *[]byte
	data   []byte
	filter []byte
}

type chunkDiag struct {
	lines, bad, firstBad, openAt, samples, headers int
	firstBadTxt                                    string
	event                                          []byte
}

// Fold reads perf script text from r and folds it like stackcollapse-perf.pl.
// It streams: memory use is bounded by a few chunks plus the distinct stacks.
func Fold(r io.Reader, opt FoldOptions) (*FoldResult, error) {
	workers := runtime.GOMAXPROCS(0)
	if opt.Ordered || workers < 1 {
		workers = 1
	}
	filter := []byte(opt.EventFilter)
	filterKnown := len(filter) > 0

	pool := make(chan *[]byte, workers+2)
	allocated := 0
	getBuf := func() *[]byte {
		select {
		case b := <-pool:
			return b
		default:
		}
		if allocated < workers+2 {
			allocated++
			b := make([]byte, 64<<10) // grows to chunkSize on big inputs
			return &b
		}
		return <-pool
	}
	jobs := make(chan chunkJob, workers)
	var mu sync.Mutex
	var diags []chunkDiag
	folders := make([]*chunkFolder, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		c := newChunkFolder(&opt)
		folders[w] = c
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				c.filter = append(c.filter[:0], j.filter...)
				c.eventSeen = nil
				c.resetDiag()
				c.fold(j.data)
				d := chunkDiag{lines: c.lines, bad: c.badLines, firstBad: c.firstBad,
					openAt: c.openAt, samples: c.samples, headers: c.headers,
					firstBadTxt: c.firstBadTxt}
				if c.eventSeen != nil {
					d.event = append([]byte(nil), c.eventSeen...)
				}
				// A chunk ends after a blank line, so no sample stays open,
				// except in the last chunk.
				c.open = false
				c.scratch, c.groups, c.nframes = c.scratch[:0], c.groups[:0], 0
				pool <- j.buf
				mu.Lock()
				for len(diags) <= j.seq {
					diags = append(diags, chunkDiag{})
				}
				diags[j.seq] = d
				mu.Unlock()
			}
		}()
	}

	var readErr error
	seq := 0
	cur := getBuf()
	n := 0
	eof := false
	for !eof {
		buf := *cur
		if n == len(buf) {
			if len(buf) >= maxChunkSize {
				readErr = errNoBlankLine
				break
			}
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:n])
			*cur = nb
			buf = nb
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			eof = true
		} else if err != nil {
			readErr = err
			break
		}
		if !eof && (n < len(buf) || len(buf) < chunkSize) {
			continue // read more, growing small buffers
		}
		split := n
		if !eof {
			i := bytes.LastIndex(buf[:n], []byte("\n\n"))
			if i < 0 {
				continue // grow
			}
			split = i + 2
		}
		next := getBuf()
		if len(*next) < n-split {
			*next = make([]byte, max(len(buf), 2*(n-split)))
		}
		rest := copy(*next, buf[split:n])
		if !filterKnown {
			if ev, ok := firstEvent(buf[:split]); ok {
				filter = ev
				filterKnown = true
			}
		}
		jobs <- chunkJob{seq: seq, buf: cur, data: buf[:split], filter: filter}
		seq++
		cur, n = next, rest
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}

	res := &FoldResult{}
	lineBase := 0
	for _, d := range diags {
		res.Samples += d.samples
		res.Headers += d.headers
		if d.bad > 0 {
			if res.BadLines == 0 {
				res.FirstBad = lineBase + d.firstBad
				res.FirstBadText = d.firstBadTxt
			}
			res.BadLines += d.bad
		}
		if d.openAt > 0 {
			res.OpenAt = lineBase + d.openAt
		}
		if res.Event == "" && d.event != nil {
			res.Event = string(d.event)
		}
		lineBase += d.lines
	}
	res.Lines = lineBase
	if len(filter) > 0 {
		res.Event = string(filter)
	}
	res.Stacks = mergeFolders(folders)
	res.Modules = mergeModules(folders)
	if opt.Ordered {
		c := folders[0]
		pos := make(map[string]int, len(res.Stacks))
		for i, s := range res.Stacks {
			pos[s.Frames] = i
		}
		res.Order = make([]int, len(c.order))
		for i, k := range c.order {
			res.Order[i] = pos[c.keys[k]]
		}
		res.OrderW = c.orderW
	}
	return res, nil
}

// firstEvent finds the event of the first header that names one, as the
// default event filter of stackcollapse-perf.pl.
func firstEvent(data []byte) ([]byte, bool) {
	var h header
	for len(data) > 0 {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		if len(line) == 0 || line[0] == '#' || isSpace(line[0]) {
			continue
		}
		if parseHeader(line, &h) && h.hasEvent {
			return append([]byte(nil), h.event...), true
		}
	}
	return nil, false
}

// WriteFolded writes stacks as "frames weight" lines.
func WriteFolded(w io.Writer, stacks []Stack) error {
	var b []byte
	for _, s := range stacks {
		b = append(b, s.Frames...)
		b = append(b, ' ')
		b = s.Weight.appendTo(b)
		b = append(b, '\n')
		if len(b) > 64<<10 {
			if _, err := w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := w.Write(b)
	return err
}

func (r *FoldResult) describeBad() string {
	return fmt.Sprintf("line %d: %q", r.FirstBad, r.FirstBadText)
}
