package testnode

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Live is a running fixture that waits at a "SNAP <name>" line, as Snapshots' fixtures do, for
// tests that snapshot a live process themselves. Nothing is cached.
type Live struct {
	Pid     int
	Exe     string
	Version string
	Script  string // the fixture as it runs
	Name    string // the name of the SNAP line it waits at; "" once it printed no more

	cmd    *exec.Cmd
	cancel context.CancelFunc
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	stdout strings.Builder
	stderr lockedBuffer
}

// StartLive runs testdata/fixtures/<fixture> with node <version> in a temporary directory and
// waits for its first SNAP line. The process is killed when the test ends, if still running.
func StartLive(tb testing.TB, version, fixture string, nodeFlags, args []string) *Live {
	tb.Helper()
	exe, err := Fetch(version)
	if err != nil {
		fail(tb, err)
	}
	src, err := fixturePath(fixture)
	if err != nil {
		tb.Fatal(err)
	}
	code, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	l := &Live{Exe: exe, Version: version, Script: filepath.Join(dir, filepath.Base(src))}
	if err := os.WriteFile(l.Script, code, 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	l.cancel = cancel
	argv := append(append(append([]string{}, nodeFlags...), l.Script), args...)
	l.cmd = exec.CommandContext(ctx, exe, argv...)
	l.cmd.Dir = dir
	l.cmd.Env = nodeEnv()
	l.cmd.Stderr = &l.stderr
	if l.stdin, err = l.cmd.StdinPipe(); err != nil {
		tb.Fatal(err)
	}
	out, err := l.cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := l.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	l.Pid = l.cmd.Process.Pid
	l.lines = bufio.NewScanner(out)
	tb.Cleanup(l.kill)
	if !l.waitSnap() {
		tb.Fatalf("testnode: %s printed no SNAP line; stderr: %s", fixture, lastLines(l.stderr.String(), 5))
	}
	return l
}

// waitSnap reads the fixture's stdout up to its next SNAP line.
func (l *Live) waitSnap() bool {
	l.Name = ""
	for l.lines.Scan() {
		line := l.lines.Text()
		l.stdout.WriteString(line + "\n")
		if name, ok := strings.CutPrefix(line, "SNAP "); ok {
			l.Name = name
			return true
		}
	}
	return false
}

// Next lets the fixture go on to its next SNAP line; false when it printed none.
func (l *Live) Next() bool {
	if _, err := io.WriteString(l.stdin, "\n"); err != nil {
		return false
	}
	return l.waitSnap()
}

// Stdout is what the fixture printed so far.
func (l *Live) Stdout() string { return l.stdout.String() }

// Stderr is what the fixture printed on stderr so far.
func (l *Live) Stderr() string { return l.stderr.String() }

// Finish lets the fixture run to its end and returns the rest of its stdout and its exit error.
func (l *Live) Finish() (string, error) {
	before := l.stdout.Len()
	l.stdin.Close()
	for l.lines.Scan() {
		l.stdout.WriteString(l.lines.Text() + "\n")
	}
	err := l.cmd.Wait()
	l.cancel()
	return l.stdout.String()[before:], err
}

func (l *Live) kill() {
	if l.cmd.ProcessState == nil {
		l.cmd.Process.Signal(syscall.SIGKILL)
		l.cmd.Wait()
	}
	l.cancel()
}

// Gcore writes a core of the live process pid to path with gdb's gcore, punching holes into
// its runs of zeros as Snapshots does.
func Gcore(tb testing.TB, pid int, path string) {
	tb.Helper()
	gcore, err := exec.LookPath("gcore")
	if err != nil {
		fail(tb, unavailable("gcore (from gdb) is not installed"))
	}
	prefix := strings.TrimSuffix(path, ".core") + ".gcore"
	out, err := exec.Command(gcore, "-o", prefix, fmt.Sprint(pid)).CombinedOutput()
	if err == nil {
		err = os.Rename(fmt.Sprintf("%s.%d", prefix, pid), path)
	}
	if err != nil {
		tb.Fatalf("testnode: gcore %d: %v: %s", pid, err, lastLines(string(out), 5))
	}
	digHoles(path)
}
