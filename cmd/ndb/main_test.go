package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ndb-debugger/ndb/internal/memlimit"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" { // ndb itself, started by a test (under a pseudo-terminal)
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	if os.Getenv(asNDB) == "1" { // the test binary run as ndb (hostile_test.go)
		memlimit.Start(os.Stderr, 1)
		code := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		writePeakRSS(os.Getenv(peakRSSFile))
		os.Exit(code)
	}
	testscript.Main(m, map[string]func(){
		"ndb": func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

var (
	coresOnce sync.Once
	coreEnv   []string
	coreErr   error
)

// scriptCores makes the real cores the transcripts use, once per test run.
func scriptCores(t *testing.T) []string {
	coresOnce.Do(func() {
		c20, err := testnode.Make("20.20.2", "abort.js", nil, nil)
		if err != nil {
			coreErr = err
			return
		}
		c18, err := testnode.Make("18.20.8", "abort.js", nil, nil)
		if err != nil {
			coreErr = err
			return
		}
		crash, err := testnode.Make("22.23.3", "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
		if err != nil {
			coreErr = err
			return
		}
		dir, err := os.MkdirTemp("", "ndb-script")
		if err != nil {
			coreErr = err
			return
		}
		nonNode, err := gcoreOf(dir, "sleep", "60")
		if err != nil {
			coreErr = err
			return
		}
		coreEnv = []string{"CORE20=" + c20.Path, "EXE20=" + c20.Exe, "PID20=" + strconv.Itoa(c20.Pid),
			"CORE18=" + c18.Path, "EXE18=" + c18.Exe, "CRASH22=" + crash.Path, "NONNODE=" + nonNode}
	})
	if coreErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(coreErr)
		}
		t.Skip(coreErr)
	}
	return coreEnv
}

// gcoreOf dumps a running non-Node process with gdb's gcore.
func gcoreOf(dir string, argv ...string) (string, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(100 * time.Millisecond)
	prefix := filepath.Join(dir, "nonnode")
	out, err := exec.Command("gcore", "-o", prefix, strconv.Itoa(cmd.Process.Pid)).CombinedOutput()
	if err != nil {
		return "", &gcoreError{string(out), err}
	}
	return prefix + "." + strconv.Itoa(cmd.Process.Pid), nil
}

type gcoreError struct {
	out string
	err error
}

func (e *gcoreError) Error() string {
	return "gcore: " + e.err.Error() + ": " + strings.TrimSpace(e.out)
}

// TestScripts runs the REPL transcripts in testdata/script.
func TestScripts(t *testing.T) {
	env := scriptCores(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Vars = append(e.Vars, env...)
			return nil
		},
	})
}

// TestCLI runs the transcripts in testdata/cli on the example bundles in
// testdata/cores: the command line, its errors and exit codes.
func TestCLI(t *testing.T) {
	cores, err := filepath.Abs("../../testdata/cores")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/cli",
		Setup: func(e *testscript.Env) error {
			e.Vars = append(e.Vars, "CORES="+cores, "NDB_PAGER=", "PAGER=")
			return nil
		},
	})
}
