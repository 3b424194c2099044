package workshop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
)

// RunSession runs an interactive ndb (argv, in dir, with env) on a
// pseudo-terminal, as a learner would: it waits for each prompt, types the
// next dcmd and finally Ctrl-D, and returns the screen: the banner, each
// prompt with the dcmd after it (the terminal's echo) and the output.
// TERM=dumb keeps the line editor to plain prompts, NO_COLOR=1 to plain
// text. The session is bounded by timeout.
func RunSession(argv []string, dir string, env []string, dcmds []string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(env, "TERM=dumb", "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		return "", err
	}
	defer tty.Close()
	var screen lockedScreen
	readDone := make(chan struct{})
	go func() {
		io.Copy(&screen, tty) // ends with EIO when the process has gone
		close(readDone)
	}()
	waitPrompt := func() error {
		for !strings.HasSuffix(screen.String(), Prompt) {
			select {
			case <-ctx.Done():
				return fmt.Errorf("no prompt within %v; the screen:\n%s", timeout, screen.String())
			case <-readDone:
				return fmt.Errorf("ndb ended before its prompt; the screen:\n%s", screen.String())
			case <-time.After(10 * time.Millisecond):
			}
		}
		return nil
	}
	for _, dcmd := range dcmds {
		if err := waitPrompt(); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return "", err
		}
		before := screen.Len()
		if _, err := io.WriteString(tty, dcmd+"\n"); err != nil {
			return "", err
		}
		// The terminal echoes the line ("\r\n" ending) before ndb answers:
		// wait for it, so that the prompt just answered is not taken for
		// the next one.
		for screen.Len() < before+len(dcmd)+2 {
			select {
			case <-ctx.Done():
				return "", fmt.Errorf("%s: no echo within %v", dcmd, timeout)
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	if err := waitPrompt(); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return "", err
	}
	io.WriteString(tty, "\x04")
	werr := cmd.Wait()
	select {
	case <-readDone:
	case <-time.After(2 * time.Second):
	}
	out := strings.ReplaceAll(screen.String(), "\r\n", "\n")
	// The last prompt, answered by Ctrl-D, and the newline ndb prints then.
	out = strings.TrimSuffix(strings.TrimSuffix(out, "\n"), Prompt)
	if werr != nil && !errors.As(werr, new(*exec.ExitError)) {
		return out, werr
	}
	return out, nil
}

// lockedScreen collects what the terminal shows, for the reading goroutine
// and the typist.
type lockedScreen struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *lockedScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *lockedScreen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *lockedScreen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Len()
}
