package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// childEnv makes the test binary run ndb itself (see TestMain).
const childEnv = "NDB_TEST_RUN_NDB"

// hangGuard only stops a test that would wait forever; no assertion
// depends on it.
const hangGuard = 60 * time.Second

func bundled(t *testing.T, name string) string {
	p, err := filepath.Abs(filepath.Join("../../testdata/cores", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ndbCmd makes a command that runs ndb with args, a home of its own (the
// prompt writes ~/.ndb_history) and env added.
func ndbCmd(t *testing.T, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"=1", "HOME="+t.TempDir(), "TERM=xterm", "NO_COLOR=1",
		"NDB_PAGER=", "NDB_PROGRESS_DELAY=1h")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// terminal is ndb running on a pseudo-terminal of 24 rows.
type terminal struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	seen bytes.Buffer
	done chan struct{}
}

func startOnTerminal(t *testing.T, cmd *exec.Cmd) *terminal {
	t.Helper()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 120})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	term := &terminal{t: t, cmd: cmd, tty: tty, done: make(chan struct{})}
	go func() {
		defer close(term.done)
		buf := make([]byte, 4096)
		for {
			n, err := tty.Read(buf)
			term.mu.Lock()
			term.seen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		tty.Close()
	})
	return term
}

// screen is everything ndb wrote so far.
func (term *terminal) screen() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.seen.String()
}

// expect waits until the output holds want after the first from bytes.
func (term *terminal) expect(from int, want string) int {
	term.t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		s := term.screen()
		if i := strings.Index(s[min(from, len(s)):], want); i >= 0 {
			return from + i + len(want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	term.t.Fatalf("no %q on the terminal; it shows:\n%s", want, term.screen()[min(from, len(term.screen())):])
	return 0
}

func (term *terminal) send(s string) {
	if _, err := io.WriteString(term.tty, s); err != nil {
		term.t.Fatal(err)
	}
}

// wait waits for ndb to exit and returns everything it wrote.
func (term *terminal) wait() string {
	term.t.Helper()
	select {
	case <-term.done:
	case <-time.After(hangGuard):
		term.t.Fatalf("ndb did not exit; the terminal shows:\n%s", term.screen())
	}
	term.cmd.Wait()
	return term.screen()
}

// TestPromptCompletion: Tab completes a dcmd name at the prompt.
func TestPromptCompletion(t *testing.T) {
	term := startOnTerminal(t, ndbCmd(t, nil, bundled(t, "crash-22.23.3.ndb")))
	at := term.expect(0, "ndb> ")
	term.send("::jsst\t")
	at = term.expect(at, "::jsstack ")
	term.send("-n\r")
	at = term.expect(at, "js:      validate (")
	at = term.expect(at, "ndb> ")
	term.send("::findjsobjects -\t\t") // the second Tab lists the options
	term.expect(at, "-k")
	term.send("\x15$q\r") // Ctrl-U clears the line
	if out := term.wait(); strings.Contains(out, "unknown dcmd") {
		t.Errorf("a completed name failed:\n%s", out)
	}
}

// TestPromptDidYouMean: a mistyped dcmd gets the nearest name.
func TestPromptDidYouMean(t *testing.T) {
	term := startOnTerminal(t, ndbCmd(t, nil, bundled(t, "crash-22.23.3.ndb")))
	at := term.expect(0, "ndb> ")
	term.send("::jsstak\r")
	at = term.expect(at, `ndb: unknown dcmd "jsstak"; did you mean ::jsstack?`)
	term.expect(at, "ndb> ")
	term.send("$q\r")
	term.wait()
}

const markPager = `NDB_PAGER=sed "s/^/paged| /"`

// TestPagerOnTerminal: at the prompt and with -e, output longer than the
// screen goes through the pager; short output and --no-pager do not.
func TestPagerOnTerminal(t *testing.T) {
	core := bundled(t, "crash-22.23.3.ndb")
	term := startOnTerminal(t, ndbCmd(t, []string{markPager}, core))
	at := term.expect(0, "ndb> ")
	term.send("::v8constants\r")
	at = term.expect(at, "paged| ")
	at = term.expect(at, "ndb> ")
	term.send("::status\r")
	at = term.expect(at, "signal thread:")
	term.expect(at, "ndb> ")
	term.send("$q\r")
	out := term.wait()
	if strings.Contains(out, "paged| node version:") || strings.Contains(out, "paged| signal") {
		t.Errorf("a short output was paged:\n%s", out)
	}

	out = startOnTerminal(t, ndbCmd(t, []string{markPager}, "-e", "::v8constants", core)).wait()
	if !strings.Contains(out, "paged| ") {
		t.Errorf("-e on a terminal was not paged:\n%.2000s", out)
	}
	out = startOnTerminal(t, ndbCmd(t, []string{markPager}, "--no-pager", "-e", "::v8constants", core)).wait()
	if strings.Contains(out, "paged| ") || !strings.Contains(out, "v8dbg_") {
		t.Errorf("--no-pager was paged:\n%.2000s", out)
	}
}

// TestPagerQuit: leaving the pager early stops the run quietly: no error,
// exit status 0, the commands after it not run.
func TestPagerQuit(t *testing.T) {
	core := bundled(t, "crash-22.23.3.ndb")
	term := startOnTerminal(t, ndbCmd(t, []string{"NDB_PAGER=head -n 2"},
		"-e", "::v8constants", "-e", "::v8constants", "-e", "::status", core))
	out := term.wait()
	if strings.Contains(out, "ndb:") || strings.Contains(out, "node version") || strings.Count(strings.TrimSpace(out), "\n") != 1 {
		t.Errorf("after quitting the pager:\n%s", out)
	}
	if rc := term.cmd.ProcessState.ExitCode(); rc != 0 {
		t.Errorf("exit status %d", rc)
	}
}

// TestPagerOffWithoutTerminal: output into a pipe is never paged.
func TestPagerOffWithoutTerminal(t *testing.T) {
	cmd := ndbCmd(t, []string{markPager}, "-e", "::v8constants", bundled(t, "crash-22.23.3.ndb"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("paged| ")) || !bytes.Contains(out, []byte("v8dbg_")) {
		t.Errorf("piped output was paged:\n%.2000s", out)
	}
}

// TestProgressOnlyOnTerminal: the census and the reference graph show
// progress on a terminal, at the prompt and with -e; never into pipes or
// with --json. NDB_PROGRESS_DELAY=0 shows it however short the work.
func TestProgressOnlyOnTerminal(t *testing.T) {
	core := bundled(t, "leak-20.20.2.ndb")
	now := []string{"NDB_PROGRESS_DELAY=0"}

	out := startOnTerminal(t, ndbCmd(t, now, "-e", "::findjsobjects -v", core)).wait()
	for _, want := range []string{"heap census", "reference graph", "findjsobjects: heap objects"} {
		if !strings.Contains(out, want) {
			t.Errorf("-e on a terminal: no %q in\n%s", want, out)
		}
	}

	term := startOnTerminal(t, ndbCmd(t, now, core))
	at := term.expect(0, "ndb> ")
	term.send("::findjsobjects -v\r")
	at = term.expect(at, "heap census")
	at = term.expect(at, "reference graph")
	term.expect(at, "ndb> ")
	term.send("$q\r")
	term.wait()

	out = startOnTerminal(t, ndbCmd(t, now, "--json", "-e", "::findjsobjects -v", core)).wait()
	if strings.Contains(out, "heap census") || !strings.Contains(out, `"garbage_objects"`) {
		t.Errorf("--json on a terminal showed progress:\n%s", out)
	}

	cmd := ndbCmd(t, now, "-e", "::findjsobjects -v", core)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatal(err, stderr.String())
	}
	if stderr.Len() != 0 || !strings.Contains(stdout.String(), "findjsobjects: heap objects") {
		t.Errorf("pipes: stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
