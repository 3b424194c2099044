package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/peterh/liner"

	"github.com/ndb-debugger/ndb/commands"
)

// Line editing uses peterh/liner rather than chzyer/readline: chzyer is
// unmaintained and its fork ergochat/readline hangs on a terminal that does
// not answer its cursor query; liner handles history, Tab completion and
// Ctrl-C, and costs least (see docs/design.md).

var errStyle = lipgloss.NewStyle().Foreground(lipgloss.Color("#d75f5f")).Bold(true)

// colorErr writes errors in colour when the terminal allows it.
type colorErr struct{ w io.Writer }

func (c colorErr) Write(b []byte) (int, error) {
	s := strings.TrimRight(string(b), "\n")
	if _, err := fmt.Fprintln(c.w, errStyle.Render(s)); err != nil {
		return 0, err
	}
	return len(b), nil
}

// RunInteractive runs the prompt loop on a terminal: history in
// ~/.ndb_history, Tab completion, Ctrl-C clears the line or cancels the
// running dcmd, Ctrl-D or $q leaves.
func (r *Runner) RunInteractive() error {
	ln := liner.NewLiner()
	defer ln.Close()
	ln.SetCtrlCAborts(true)
	ln.SetTabCompletionStyle(liner.TabPrints)
	ln.SetWordCompleter(complete)
	hist := ""
	if home, err := os.UserHomeDir(); err == nil {
		hist = filepath.Join(home, ".ndb_history")
		if f, err := os.Open(hist); err == nil {
			ln.ReadHistory(f)
			f.Close()
		}
	}
	if r.Color {
		r.Err = colorErr{r.Err}
	}
	defer func() {
		if hist == "" {
			return
		}
		if f, err := os.OpenFile(hist, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
			ln.WriteHistory(f)
			f.Close()
		}
	}()
	for {
		text, err := ln.Prompt("ndb> ")
		if errors.Is(err, liner.ErrPromptAborted) {
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			fmt.Fprintln(r.Out)
			return nil
		}
		if strings.TrimSpace(text) != "" {
			ln.AppendHistory(text)
		}
		if r.execInterruptible(text) == ErrQuit {
			return nil
		}
	}
}

// execInterruptible runs a line with Ctrl-C bound to cancelling it, its
// output through the pager when there is one.
func (r *Runner) execInterruptible(text string) error {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sig:
			cancel(nil)
		case <-done:
		}
	}()
	if r.Pager != nil {
		out, errw := r.Out, r.Err
		pw := r.Pager.Begin(cancel)
		r.Out, r.Err = pw, pw.Messages(errw)
		defer func() {
			pw.Close()
			r.Out, r.Err = out, errw
		}()
	}
	return r.Exec(ctx, text)
}

// complete offers dcmd names, and a dcmd's options after its name.
func complete(line string, pos int) (string, []string, string) {
	head, tail := line[:pos], line[pos:]
	start := strings.LastIndexAny(head, " |") + 1
	word := head[start:]
	var cands []string
	if strings.HasPrefix(word, "-") {
		stage := head[strings.LastIndex(head, "|")+1:]
		f := strings.Fields(stage)
		if len(f) > 0 {
			name := f[0]
			if i := strings.Index(name, "::"); i >= 0 {
				name = name[i+2:]
			}
			if c := commands.Lookup(name); c != nil {
				for _, o := range c.Opts {
					if o != ':' {
						cands = append(cands, "-"+string(o))
					}
				}
			}
		}
		return head[:start], filter(cands, word), tail
	}
	prefix, bare := "", word
	if i := strings.Index(word, "::"); i >= 0 {
		prefix, bare = word[:i+2], word[i+2:]
	}
	for _, n := range commands.Names() {
		if strings.HasPrefix(n, bare) {
			cands = append(cands, prefix+n+" ")
		}
	}
	return head[:start], cands, tail
}

func filter(c []string, p string) []string {
	var out []string
	for _, s := range c {
		if strings.HasPrefix(s, p) {
			out = append(out, s+" ")
		}
	}
	return out
}
