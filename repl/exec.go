package repl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/memlimit"
	"github.com/ndb-debugger/ndb/internal/pager"
	"github.com/ndb-debugger/ndb/internal/progress"
)

// Runner executes command lines against one session.
type Runner struct {
	S   *commands.Session
	Out io.Writer // dcmd output
	Err io.Writer // errors and warnings
	// JSON makes dcmds print JSON lines; with Envelope each line is
	// wrapped with the dcmd that printed it (for runs of several commands).
	JSON     bool
	Envelope bool
	Color    bool
	// NoShell refuses "! shell" (for scripts from someone else).
	NoShell bool
	// Progress shows long work (a census) on a terminal; nil shows nothing.
	Progress progress.Reporter
	// Pager pages the output of each command line at the prompt; nil
	// pages nothing.
	Pager  *pager.Pager
	Failed int // how many commands failed

	lines int // command lines read (not blank, not comments), numbered in the JSON envelope
}

// ErrQuit is returned by Exec for $q / ::quit.
var ErrQuit = fmt.Errorf("quit")

// Exec runs one command line. Errors are reported on r.Err as
// "ndb: <dcmd>: <reason>" and counted; ErrQuit ends the session.
func (r *Runner) Exec(ctx context.Context, text string) error {
	line, err := Parse(text)
	if err != nil {
		r.lines++
		var pe *ParseError
		if errors.As(err, &pe) {
			r.fail(pe.Dcmd, err)
		} else {
			r.fail("", err)
		}
		return nil
	}
	if line.Quit {
		return ErrQuit
	}
	if len(line.Stages) == 0 {
		return nil
	}
	r.lines++
	if line.Shell != "" && r.NoShell {
		r.fail("!", fmt.Errorf("shell commands are disabled (--no-shell)"))
		return nil
	}
	out := r.Out
	var shellBuf *bytes.Buffer
	if line.Shell != "" {
		shellBuf = &bytes.Buffer{}
		out = shellBuf
	}
	if r.JSON && r.Envelope {
		env := newEnvelope(out, r.lines, line.Stages[len(line.Stages)-1].Name)
		defer env.flush()
		out = env
	}
	r.runPipeline(ctx, line.Stages, out)
	if shellBuf != nil {
		if out, ok := out.(*envelope); ok {
			out.flush()
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", line.Shell)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = shellBuf, r.Out, r.Err
		if err := cmd.Run(); err != nil && !quietStop(ctx) {
			r.fail("!", fmt.Errorf("%s: %v", Clip(line.Shell), err))
		}
	}
	return nil
}

func (r *Runner) fail(name string, err error) {
	r.Failed++
	if name == "" {
		fmt.Fprintf(r.Err, "ndb: %v\n", err)
		return
	}
	fmt.Fprintf(r.Err, "ndb: %s: %v\n", Clip(name), err)
}

// quietStop reports that the work was stopped because nobody reads its
// output any more (the pager was quit): not a failure.
func quietStop(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), pager.ErrQuit)
}

// runPipeline runs the stages: every address the left stage prints (the
// first word of each output line, in hex) becomes the address of one run
// of the next stage, as in mdb.
func (r *Runner) runPipeline(ctx context.Context, stages []Stage, out io.Writer) {
	type input struct {
		addr    uint64
		hasAddr bool
	}
	inputs := []input{{stages[0].Addr, stages[0].HasAddr}}
	for i, st := range stages {
		c := commands.Lookup(st.Name)
		if c == nil {
			r.fail("", unknownDcmd(st.Name))
			return
		}
		last := i == len(stages)-1
		var buf bytes.Buffer
		var next []uint64
		for _, in := range inputs {
			if ctx.Err() != nil {
				if !quietStop(ctx) {
					r.fail(st.Name, fmt.Errorf("interrupted"))
				}
				return
			}
			inv, err := commands.NewInvocation(ctx, r.S, c, st.Args)
			if err != nil {
				r.fail(st.Name, fmt.Errorf("%v; usage: %s", err, c.Synopsis))
				return
			}
			if err := checkArgCount(c.Synopsis, len(inv.Args)); err != nil {
				r.fail(st.Name, err)
				return
			}
			inv.Progress = r.Progress
			inv.Addr, inv.HasAddr = in.addr, in.hasAddr
			if i > 0 && st.HasAddr { // an explicit address on a later stage wins
				inv.Addr, inv.HasAddr = st.Addr, true
			}
			inv.Warn = r.Err
			inv.Color = r.Color && last
			if last {
				inv.Out, inv.JSON = out, r.JSON
			} else {
				buf.Reset()
				inv.Out, inv.Piped = &buf, true
			}
			done := memlimit.Running(st.Name)
			err = inv.Run()
			done()
			if err != nil {
				if quietStop(ctx) {
					return
				}
				if ctx.Err() != nil {
					err = fmt.Errorf("interrupted")
				}
				r.fail(st.Name, err)
				if ctx.Err() != nil {
					return
				}
				continue
			}
			if !last {
				next = append(next, addrsOf(buf.Bytes())...)
			}
		}
		if last {
			return
		}
		inputs = nil
		for _, a := range next {
			inputs = append(inputs, input{a, true})
		}
		if len(inputs) == 0 {
			return
		}
	}
}

// addrsOf reads the first word of each line as a hex address.
func addrsOf(b []byte) []uint64 {
	var out []uint64
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if a, err := ParseAddr(strings.TrimSuffix(f[0], ":")); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// MaxLine is the longest script line ndb reads: a longer one is not a
// command, and the script stops there with an error.
const MaxLine = 1 << 20

// RunScript reads commands line by line (no prompt, no echo, no colour)
// until EOF, $q or ctx's end. name says where the script comes from in errors
// ("stdin", a file name). A line longer than MaxLine or a read error stops
// the script with one line on r.Err and counts as a failure.
func (r *Runner) RunScript(ctx context.Context, in io.Reader, name string) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), MaxLine)
	n := 0
	for sc.Scan() {
		n++
		if ctx.Err() != nil || r.Exec(ctx, sc.Text()) == ErrQuit {
			return // interrupted, or the pager was quit: the rest is not run
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		r.fail("script "+name, fmt.Errorf("line %d is longer than 1 MiB; the script stops there", n+1))
	case err != nil:
		r.fail("script "+name, fmt.Errorf("read after line %d: %v", n, err))
	}
}

// OpenScript opens a script file for RunScript. It refuses anything but a
// regular file (a directory, a FIFO, a device such as /dev/zero) without
// blocking on it.
func OpenScript(path string) (*os.File, error) {
	return elfcore.OpenRegular(path)
}
