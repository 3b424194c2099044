package testnode

import (
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestBinaryRuns(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			exe := Binary(t, v)
			out, err := exec.Command(exe, "--version").Output()
			if err != nil {
				t.Fatalf("%s --version: %v", exe, err)
			}
			if got := strings.TrimSpace(string(out)); got != "v"+v {
				t.Fatalf("%s --version = %q, want v%s", exe, got, v)
			}
		})
	}
}

// checkCore checks what every core of an aborted node must have and logs its figures.
func checkCore(t *testing.T, c *Core, signals ...syscall.Signal) coreInfo {
	t.Helper()
	info := readCoreInfo(t, c.Path, c.Exe)
	t.Logf("%s %s: method %s, %d MB (%d MB on disk), %d threads, signal %d, %d NT_FILE mappings of node",
		c.Version, c.Name, c.Method, info.size>>20, info.diskBytes>>20, info.threads, info.siginfo, len(info.exeMappings))
	switch c.Method {
	case "kernel", "gdb", "gcore":
	default:
		t.Errorf("method %q", c.Method)
	}
	if c.Pid <= 0 {
		t.Errorf("pid %d", c.Pid)
	}
	if info.threads < 2 {
		t.Errorf("%d threads, want node's main thread and its helpers", info.threads)
	}
	if len(info.exeMappings) == 0 {
		t.Errorf("no NT_FILE mapping names %s", c.Exe)
	}
	if c.Method == "gcore" {
		return info
	}
	ok := false
	for _, s := range signals {
		ok = ok || info.siginfo == int(s)
	}
	if !ok || len(info.cursig) == 0 || info.cursig[0] != info.siginfo {
		t.Errorf("signal %d (first thread's pr_cursig %v), want one of %v on the first thread", info.siginfo, info.cursig, signals)
	}
	return info
}

func TestMakeCoreAbort(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			c := MakeCore(t, v, "abort.js", nil, nil)
			checkCore(t, c, syscall.SIGABRT)
			if !strings.Contains(c.Stdout, "node v"+v) {
				t.Errorf("stdout %q does not name node v%s", c.Stdout, v)
			}
			again := MakeCore(t, v, "abort.js", nil, nil)
			if !again.Cached || again.Path != c.Path || again.Stdout != c.Stdout {
				t.Errorf("second MakeCore: cached %v path %s, want the cached %s", again.Cached, again.Path, c.Path)
			}
		})
	}
}

// crashFrames are lines of Node's own trace of crash.js, innermost first.
var crashFrames = []string{
	"Uncaught Error: boom: order 42",
	"validate (",
	"Array.forEach (<anonymous>)",
	"OrderProcessor.check (",
	"OrderProcessor.process (",
	"new Pipeline (",
	"run (",
	"main (",
	"Timeout._onTimeout (",
	"listOnTimeout (node:internal/timers",
}

func TestMakeCoreCrash(t *testing.T) {
	for _, v := range Versions {
		for _, warm := range []bool{false, true} {
			var args []string
			name := v
			if warm {
				args, name = []string{"--warm"}, v+"/warm"
			}
			t.Run(name, func(t *testing.T) {
				c := MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, args)
				// V8 ends an uncaught exception with a trap instruction, not abort(3).
				checkCore(t, c, syscall.SIGTRAP, syscall.SIGILL, syscall.SIGABRT)
				rest := c.Stderr
				for _, f := range crashFrames {
					i := strings.Index(rest, f)
					if i < 0 {
						t.Fatalf("stderr lacks %q after the frames before it:\n%s", f, c.Stderr)
					}
					rest = rest[i:]
				}
				if !strings.Contains(c.Stderr, c.Script+":") {
					t.Errorf("stderr does not name the script %s", c.Script)
				}
			})
		}
	}
}

func TestGDBCore(t *testing.T) {
	if _, err := exec.LookPath("gdb"); err != nil {
		fail(t, unavailable("gdb is not installed"))
	}
	t.Setenv("NDB_CORE_METHOD", "gdb")
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			c := MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
			if c.Method != "gdb" {
				t.Fatalf("method %s, want gdb", c.Method)
			}
			info := checkCore(t, c, syscall.SIGTRAP, syscall.SIGILL, syscall.SIGABRT)
			if !info.gdbTdesc {
				t.Errorf("no NT_GDB_TDESC note in a gdb core")
			}
			if !strings.Contains(c.Stderr, "Uncaught Error: boom: order 42") {
				t.Errorf("stderr: %s", c.Stderr)
			}
		})
	}
}

func TestSnapshots(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			cores := Snapshots(t, v, "grow.js", []string{"--expose-gc"}, nil)
			want := []string{"step1", "step2", "step3"}
			if len(cores) != len(want) {
				t.Fatalf("%d cores, want %d", len(cores), len(want))
			}
			for i, c := range cores {
				if c.Name != want[i] || c.Method != "gcore" {
					t.Errorf("core %d: name %q method %q, want %q gcore", i, c.Name, c.Method, want[i])
				}
				if !strings.HasSuffix(c.Stdout, "SNAP "+want[i]+"\n") {
					t.Errorf("core %d: stdout does not end with its SNAP line: %q", i, c.Stdout)
				}
				if i > 0 && c.Pid != cores[0].Pid {
					t.Errorf("core %d: pid %d, want %d", i, c.Pid, cores[0].Pid)
				}
				checkCore(t, c)
			}
		})
	}
}

func TestCacheKey(t *testing.T) {
	base := cacheKey("core", "22.23.3", []byte("x"), []string{"--a"}, []string{"b"})
	for name, k := range map[string]string{
		"kind":    cacheKey("snapshots", "22.23.3", []byte("x"), []string{"--a"}, []string{"b"}),
		"version": cacheKey("core", "24.21.0", []byte("x"), []string{"--a"}, []string{"b"}),
		"fixture": cacheKey("core", "22.23.3", []byte("y"), []string{"--a"}, []string{"b"}),
		"flags":   cacheKey("core", "22.23.3", []byte("x"), nil, []string{"--a", "b"}),
		"args":    cacheKey("core", "22.23.3", []byte("x"), []string{"--a"}, nil),
	} {
		if k == base {
			t.Errorf("changing the %s does not change the key", name)
		}
	}
	if again := cacheKey("core", "22.23.3", []byte("x"), []string{"--a"}, []string{"b"}); again != base {
		t.Errorf("key not stable: %s then %s", base, again)
	}
}
