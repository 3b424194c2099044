package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// DefaultDelay is how long work runs before its progress shows: shorter
// work would only flicker.
const DefaultDelay = 500 * time.Millisecond

// redraw is how often a shown task is drawn again (the spinner turns, the
// elapsed time counts).
const redraw = 100 * time.Millisecond

// Terminal shows a progress bar on a terminal (stderr) for work that runs
// longer than its delay, and erases it when the work ends. The front end
// creates one only when stderr and stdout are terminals and the output is
// not JSON: progress never goes into a pipe or a file.
type Terminal struct {
	w     io.Writer
	delay time.Duration
	muted atomic.Bool
}

// NewTerminal reports on w (a terminal) after delay.
func NewTerminal(w io.Writer, delay time.Duration) *Terminal {
	return &Terminal{w: w, delay: delay}
}

// Mute stops showing progress (true) or allows it again (false): a pager
// that owns the screen must not be drawn over.
func (t *Terminal) Mute(on bool) { t.muted.Store(on) }

// Start begins a task; nothing shows until it has run for the delay.
func (t *Terminal) Start(what string) Task {
	tk := &termTask{t: t, what: what, start: time.Now(), stop: make(chan struct{}), stopped: make(chan struct{})}
	if t.delay <= 0 {
		tk.draw()
	}
	go tk.loop()
	return tk
}

type termTask struct {
	t           *Terminal
	what        string
	start       time.Time
	done, total atomic.Int64

	stop, stopped chan struct{}
	once          sync.Once

	mu    sync.Mutex // draws
	shown bool       // a line is on the screen
	frame int        // of the spinner
}

// loop draws the task after the delay, then again every redraw, until
// Done.
func (tk *termTask) loop() {
	defer close(tk.stopped)
	if tk.t.delay > 0 {
		wait := time.NewTimer(tk.t.delay)
		select {
		case <-tk.stop:
			wait.Stop()
			return
		case <-wait.C:
		}
		tk.draw()
	}
	tick := time.NewTicker(redraw)
	defer tick.Stop()
	for {
		select {
		case <-tk.stop:
			return
		case <-tick.C:
			tk.draw()
		}
	}
}

func (tk *termTask) Update(done, total int64) {
	tk.done.Store(done)
	tk.total.Store(total)
}

func (tk *termTask) Done() {
	tk.once.Do(func() {
		close(tk.stop)
		<-tk.stopped
		tk.mu.Lock()
		defer tk.mu.Unlock()
		tk.erase()
	})
}

var spinner = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

// draw writes the task's line over the previous one.
func (tk *termTask) draw() {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.t.muted.Load() {
		tk.erase()
		return
	}
	elapsed := time.Since(tk.start).Truncate(time.Second)
	done, total := tk.done.Load(), tk.total.Load()
	var line string
	if total > 0 {
		done = min(max(done, 0), total)
		const width = 30
		filled := int(done * width / total)
		line = fmt.Sprintf("%s %3d%% |%s%s| %d/%d [%s]", tk.what, done*100/total,
			strings.Repeat("█", filled), strings.Repeat(" ", width-filled), done, total, elapsed)
	} else {
		line = fmt.Sprintf("%c %s [%s]", spinner[tk.frame%len(spinner)], tk.what, elapsed)
		tk.frame++
	}
	fmt.Fprintf(tk.t.w, "\r%s\033[K", fit(line, columns(tk.t.w)))
	tk.shown = true
}

// erase clears the line drawn last.
func (tk *termTask) erase() {
	if tk.shown {
		fmt.Fprint(tk.t.w, "\r\033[K")
		tk.shown = false
	}
}

// columns is the terminal's width, or 80.
func columns(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 0 {
			return c
		}
	}
	return 80
}

// fit cuts line to one column less than the width, so that it never wraps.
func fit(line string, cols int) string {
	if utf8.RuneCountInString(line) < cols {
		return line
	}
	r := []rune(line)
	return string(r[:max(cols-1, 0)])
}
