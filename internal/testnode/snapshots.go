package testnode

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Snapshots runs a long-lived fixture and takes successive cores of it with gcore. The fixture
// prints a line "SNAP <name>" on stdout when it wants a core; the helper then runs gcore on its pid
// and writes "\n" to the fixture's stdin to let it go on. The fixture should exit by itself after
// its last snapshot (it gets EOF on stdin when it prints no more SNAP lines). Returns the cores in
// order; they are cached like MakeCore's.
func Snapshots(tb testing.TB, version, fixture string, nodeFlags, args []string) []*Core {
	tb.Helper()
	cores, err := MakeSnapshots(version, fixture, nodeFlags, args)
	if err != nil {
		fail(tb, err)
	}
	if !cores[0].Cached {
		tb.Logf("testnode: took %d gcore snapshots of %s on node %s", len(cores), fixture, version)
	}
	return cores
}

// MakeSnapshots is Snapshots for programs: it returns an error instead of stopping a test.
func MakeSnapshots(version, fixture string, nodeFlags, args []string) ([]*Core, error) {
	return cached("snapshots", version, fixture, nodeFlags, args, snapshots)
}

var snapName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func snapshots(r *run) ([]*Core, error) {
	gcore, err := exec.LookPath("gcore")
	if err != nil {
		return nil, unavailable("gcore (from gdb) is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	argv := r.argv()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = r.dir
	cmd.Env = nodeEnv()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	pid := cmd.Process.Pid

	var cores []*Core
	var stdout strings.Builder
	sc := bufio.NewScanner(stdoutPipe)
	for sc.Scan() {
		line := sc.Text()
		stdout.WriteString(line + "\n")
		name, ok := strings.CutPrefix(line, "SNAP ")
		if !ok {
			continue
		}
		if !snapName.MatchString(name) {
			err = fmt.Errorf("bad snapshot name %q", name)
			break
		}
		prefix := filepath.Join(r.dir, name)
		out, gerr := exec.CommandContext(ctx, gcore, "-o", prefix, fmt.Sprint(pid)).CombinedOutput()
		path := prefix + ".core"
		if gerr == nil {
			gerr = os.Rename(fmt.Sprintf("%s.%d", prefix, pid), path)
		}
		if gerr == nil {
			digHoles(path)
		}
		if gerr != nil {
			err = fmt.Errorf("gcore %s: %v: %s", name, gerr, lastLines(string(out), 5))
			break
		}
		cores = append(cores, &Core{Path: path, Name: name, Pid: pid, Stdout: stdout.String(),
			Stderr: stderr.String(), Method: "gcore"})
		if _, werr := io.WriteString(stdin, "\n"); werr != nil {
			err = fmt.Errorf("writing to the fixture's stdin: %v", werr)
			break
		}
	}
	stdin.Close()
	if err != nil {
		cmd.Process.Kill()
	}
	io.Copy(io.Discard, stdoutPipe)
	werr := cmd.Wait()
	if err := writeOutputs(r.dir, "", stdout.String(), stderr.String()); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if werr != nil {
		return nil, fmt.Errorf("the fixture failed: %v; stderr: %s", werr, lastLines(stderr.String(), 5))
	}
	if len(cores) == 0 {
		return nil, fmt.Errorf("the fixture printed no SNAP line; stderr: %s", lastLines(stderr.String(), 5))
	}
	return cores, nil
}

// lockedBuffer is a bytes.Buffer safe for the copying goroutine of exec and for readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
