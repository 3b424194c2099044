// Package pager sends output longer than the screen through a pager, as git
// does: $NDB_PAGER, else $PAGER, else "less -FRX". Output that fits the
// screen is printed as is, without starting a process.
package pager

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/term"
)

// DefaultCommand is the pager when neither NDB_PAGER nor PAGER is set:
// -F quits when the text fits one screen, -R passes colours, -X leaves the
// text on the screen.
const DefaultCommand = "less -FRX"

// Command returns the pager command line from the environment: NDB_PAGER,
// then PAGER, then DefaultCommand. It returns "" when paging is off (the
// variable is set to "" or "cat").
func Command(lookup func(string) (string, bool)) string {
	cmd, ok := lookup("NDB_PAGER")
	if !ok {
		cmd, ok = lookup("PAGER")
	}
	if !ok {
		cmd = DefaultCommand
	}
	if cmd == "cat" {
		return ""
	}
	return cmd
}

// ErrQuit is the cause given to the cancel function when the pager exits
// before all output was written (the user pressed q): the work producing
// the output can stop quietly.
var ErrQuit = errors.New("pager quit")

// Pager starts pagers on one terminal.
type Pager struct {
	Command string   // run with sh -c
	Term    *os.File // the terminal the output goes to (stdout)
	Rows    int      // the screen height (default: asked of Term); output that fills it is paged
	Cols    int      // the screen width, to count wrapped lines
	// OnStart and OnClose, when set, run when a pager starts and when it
	// is gone (to stop drawing progress over it meanwhile).
	OnStart, OnClose func()
}

// Begin returns a writer for one run of output (a command line, or a whole
// -e run). cancel is called with ErrQuit when the pager exits early.
// Close the writer at the end of the output.
func (p *Pager) Begin(cancel func(error)) *Writer {
	rows, cols := p.Rows, p.Cols
	if rows <= 0 && p.Term != nil {
		if w, h, err := term.GetSize(int(p.Term.Fd())); err == nil {
			rows, cols = h, w
		}
	}
	if rows <= 0 {
		rows = 24
	}
	if cols <= 0 {
		cols = 80
	}
	return &Writer{p: p, rows: rows - 1, cols: cols, cancel: cancel} // a row for the prompt
}

// Writer holds output back until it fills the screen; then it starts the
// pager and streams into it.
type Writer struct {
	p          *Pager
	rows, cols int
	cancel     func(error)

	mu      sync.Mutex
	buf     bytes.Buffer
	lines   int // screen lines written so far
	col     int // width of the unfinished line
	proc    *exec.Cmd
	pipe    io.WriteCloser
	direct  bool // the pager could not start: write through
	quit    bool // the pager exited early: discard
	started bool
}

// Write holds p, or passes it to the pager once one runs.
func (w *Writer) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.quit:
		return len(b), nil
	case w.started:
		return w.toPager(b)
	case w.direct:
		return w.p.Term.Write(b)
	}
	w.buf.Write(b)
	w.count(b)
	if w.lines > w.rows {
		w.start()
	}
	return len(b), nil
}

// count adds the screen lines b takes, wrapping at the width.
func (w *Writer) count(b []byte) {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case r == '\n':
			w.lines++
			w.col = 0
		case r == '\033': // an escape sequence takes no room: count it short
		default:
			w.col++
			if w.col > w.cols {
				w.lines++
				w.col = 1
			}
		}
	}
}

// start runs the pager and hands it what was held back. When the pager
// cannot start, the output goes to the terminal.
func (w *Writer) start() {
	if !runnable(w.p.Command) {
		w.direct = true
		w.p.Term.Write(w.buf.Bytes())
		w.buf.Reset()
		return
	}
	cmd := exec.Command("sh", "-c", w.p.Command)
	cmd.Stdout, cmd.Stderr = w.p.Term, os.Stderr
	cmd.Env = os.Environ()
	if _, ok := os.LookupEnv("LESS"); !ok {
		cmd.Env = append(cmd.Env, "LESS=FRX")
	}
	pipe, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		w.direct = true
		w.p.Term.Write(w.buf.Bytes())
		w.buf.Reset()
		return
	}
	if w.p.OnStart != nil {
		w.p.OnStart()
	}
	w.proc, w.pipe, w.started = cmd, pipe, true
	w.toPager(w.buf.Bytes())
	w.buf.Reset()
}

// runnable reports whether the pager's program exists, so that a
// misspelt $PAGER prints the output instead of losing it.
func runnable(command string) bool {
	f := strings.Fields(command)
	if len(f) == 0 {
		return false
	}
	if strings.Contains(f[0], "=") { // VAR=value pager: let the shell judge
		return true
	}
	_, err := exec.LookPath(f[0])
	return err == nil
}

func (w *Writer) toPager(b []byte) (int, error) {
	if _, err := w.pipe.Write(b); err != nil {
		w.quit = true
		if w.cancel != nil {
			w.cancel(ErrQuit)
		}
	}
	return len(b), nil
}

// Messages returns a writer for errors and notes (stderr) that keeps them
// in order with the output: into the pager once one runs, else straight to
// errw after the output held so far.
func (w *Writer) Messages(errw io.Writer) io.Writer { return messages{w, errw} }

type messages struct {
	w    *Writer
	errw io.Writer
}

func (m messages) Write(b []byte) (int, error) {
	w := m.w
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.quit:
		return len(b), nil
	case w.started:
		return w.toPager(b)
	}
	if w.buf.Len() > 0 {
		w.p.Term.Write(w.buf.Bytes())
		w.buf.Reset()
	}
	w.count(b) // the message takes screen lines too
	return m.errw.Write(b)
}

// Close ends the output: it prints what was held back, or closes the
// pager's input and waits for the user to leave it.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		w.started = false
		w.pipe.Close()
		err := w.proc.Wait()
		if w.p.OnClose != nil {
			w.p.OnClose()
		}
		return err
	}
	if w.buf.Len() > 0 {
		_, err := w.p.Term.Write(w.buf.Bytes())
		w.buf.Reset()
		return err
	}
	return nil
}
