package repl

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/ndb-debugger/ndb/commands"
)

// Runner executes command lines against one session.
type Runner struct {
	S      *commands.Session
	Out    io.Writer // dcmd output
	Err    io.Writer // errors and warnings
	JSON   bool
	Color  bool
	Failed int // how many commands failed
}

// ErrQuit is returned by Exec for $q / ::quit.
var ErrQuit = fmt.Errorf("quit")

// Exec runs one command line. Errors are reported on r.Err as
// "ndb: <dcmd>: <reason>" and counted; ErrQuit ends the session.
func (r *Runner) Exec(ctx context.Context, text string) error {
	line, err := Parse(text)
	if err != nil {
		r.fail("", err)
		return nil
	}
	if line.Quit {
		return ErrQuit
	}
	if len(line.Stages) == 0 {
		return nil
	}
	out := r.Out
	var shellBuf *bytes.Buffer
	if line.Shell != "" {
		shellBuf = &bytes.Buffer{}
		out = shellBuf
	}
	r.runPipeline(ctx, line.Stages, out)
	if shellBuf != nil {
		cmd := exec.CommandContext(ctx, "sh", "-c", line.Shell)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = shellBuf, r.Out, r.Err
		if err := cmd.Run(); err != nil {
			r.fail("!", fmt.Errorf("%s: %v", line.Shell, err))
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
	fmt.Fprintf(r.Err, "ndb: %s: %v\n", name, err)
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
			r.fail(st.Name, fmt.Errorf("unknown dcmd (::dcmds lists them)"))
			return
		}
		last := i == len(stages)-1
		var buf bytes.Buffer
		var next []uint64
		for _, in := range inputs {
			if ctx.Err() != nil {
				r.fail(st.Name, fmt.Errorf("interrupted"))
				return
			}
			inv, err := commands.NewInvocation(ctx, r.S, c, st.Args)
			if err != nil {
				r.fail(st.Name, err)
				return
			}
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
			if err := inv.Run(); err != nil {
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

// RunScript reads commands line by line (no prompt, no echo, no colour)
// until EOF or $q.
func (r *Runner) RunScript(ctx context.Context, in io.Reader) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if r.Exec(ctx, sc.Text()) == ErrQuit {
			return
		}
	}
}

// RunFile runs the commands of a file.
func (r *Runner) RunFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r.RunScript(ctx, f)
	return nil
}
