package progress

import (
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DefaultDelay is how long work runs before its progress shows: shorter
// work would only flicker.
const DefaultDelay = 500 * time.Millisecond

// Terminal shows a progress bar on a terminal (stderr) for work that runs
// longer than Delay, and erases it when the work ends. The front end
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
// that owns the screen must not be drawn over. A bar already shown is
// erased when its task ends.
func (t *Terminal) Mute(on bool) { t.muted.Store(on) }

// Start begins a task; nothing shows until it has run for the delay.
func (t *Terminal) Start(what string) Task {
	tk := &termTask{t: t, what: what}
	if t.delay <= 0 {
		tk.show()
	} else {
		tk.timer = time.AfterFunc(t.delay, tk.show)
	}
	return tk
}

type termTask struct {
	t           *Terminal
	what        string
	timer       *time.Timer
	done, total atomic.Int64

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	spinner bool // bar is a spinner: the size was unknown when it showed
	ended   bool
}

// show draws the bar once the delay has passed: a bar when the size of
// the work is known, a spinner with the elapsed time otherwise.
func (tk *termTask) show() {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.ended || tk.t.muted.Load() {
		return
	}
	total := tk.total.Load()
	tk.bar = tk.newBar(total)
	if d := tk.done.Load(); d > 0 && total > 0 {
		tk.bar.Set64(d)
	} else {
		tk.bar.RenderBlank()
	}
}

func (tk *termTask) newBar(total int64) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(tk.t.w),
		progressbar.OptionSetDescription(tk.what),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	}
	tk.spinner = total <= 0
	if tk.spinner {
		return progressbar.NewOptions64(-1, opts...)
	}
	opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
	return progressbar.NewOptions64(total, opts...)
}

func (tk *termTask) Update(done, total int64) {
	tk.done.Store(done)
	tk.total.Store(total)
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.bar == nil || tk.ended || tk.t.muted.Load() {
		return
	}
	switch {
	case tk.spinner && total > 0: // the size is known now: a bar instead
		tk.bar.Finish()
		tk.bar = tk.newBar(total)
	case !tk.spinner && tk.bar.GetMax64() != total && total > 0:
		tk.bar.ChangeMax64(total)
	}
	if !tk.spinner {
		tk.bar.Set64(done)
	}
}

func (tk *termTask) Done() {
	if tk.timer != nil {
		tk.timer.Stop()
	}
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if tk.ended {
		return
	}
	tk.ended = true
	if tk.bar != nil {
		tk.bar.Finish() // with OptionClearOnFinish this erases the line
	}
}
