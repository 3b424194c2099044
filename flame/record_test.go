package flame

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// recordNode is the Node.js line the recording tests run.
const recordNode = "20.20.2"

// needPerf returns perf's path when this machine lets it record. Without
// perf the test skips, except with CI=true, where perf belongs on the
// machine (Debian: linux-perf). A machine that does not permit perf
// (perf_event_paranoid, a container) cannot run these tests at all: they
// skip and say why, under CI too.
func needPerf(t *testing.T) string {
	t.Helper()
	perf, err := exec.LookPath("perf")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("perf is not installed (Debian: apt-get install linux-perf)")
		}
		t.Skip("perf is not installed (Debian: apt-get install linux-perf)")
	}
	if err := probePerf(perf, "cpu-clock", t.TempDir()); err != nil {
		t.Skipf("this machine does not let perf record, so ndb flame record cannot be tested here: %v", err)
	}
	return perf
}

// appFunctions are the names of the functions app.js declares: the oracle
// for the names of JavaScript frames, which come from node's perf map.
func appFunctions(t *testing.T) map[string]bool {
	src := mustRead(t, "app.js")
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(?:async\s+)?function\s*\*?\s*(\w+)\s*\(`).FindAllSubmatch(src, -1) {
		names[string(m[1])] = true
	}
	if len(names) < 5 {
		t.Fatalf("found only %v in app.js", names)
	}
	return names
}

// perfScriptText is perf script's text of a recording, from perf itself.
func perfScriptText(t *testing.T, perf, data string, fields ...string) string {
	args := []string{"script", "-i", data}
	if len(fields) > 0 {
		args = append(args, "-F", strings.Join(fields, ","))
	}
	out, err := exec.Command(perf, args...).Output()
	if err != nil {
		t.Fatalf("perf script: %v", err)
	}
	return string(out)
}

var jsFrameRE = regexp.MustCompile(`<title>JS:[~^+*]?(\w+) [^<]*app\.js:\d+:\d+ \(`)

// ndb flame record runs node with the flags that name JavaScript frames,
// and writes the graph of what perf recorded.
func TestRecordCommand(t *testing.T) {
	perf := needPerf(t)
	node := testnode.Binary(t, recordNode)
	fns := appFunctions(t)
	dir := t.TempDir()
	out, data := filepath.Join(dir, "flame.svg"), filepath.Join(dir, "perf.data")
	app := filepath.Join(dir, "app.js")
	os.WriteFile(app, mustRead(t, "app.js"), 0o644)
	// node runs where ndb runs, and V8 writes its log there
	work := t.TempDir()
	t.Chdir(work)
	r := run(t, nil, "record", "-o", out, "--perf-data", data, "--", node, app, "1")
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	// the command's output comes through
	if !strings.Contains(r.stdout, "loops=") {
		t.Errorf("app.js output %q", r.stdout)
	}
	// as many samples as perf script lists (one line per sample with -F comm,pid)
	n := strings.Count(strings.TrimSpace(perfScriptText(t, perf, data, "comm", "pid")), "\n") + 1
	if want := "ndb flame record: wrote " + out + " (" + commas(float64(n)) + " samples)\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	svg, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte(commas(float64(n))+" samples")) {
		t.Errorf("the subtitle does not say %d samples", n)
	}
	// JavaScript frames are named after app.js's functions
	named := 0
	for _, m := range jsFrameRE.FindAllSubmatch(svg, -1) {
		if !fns[string(m[1])] {
			t.Errorf("frame of %q, which app.js does not declare", m[1])
		}
		named++
	}
	if named == 0 {
		t.Error("no JavaScript frame is named after a function of app.js")
	}
	// V8's logs are gone, and node's perf maps once perf script has read them
	if ents, _ := os.ReadDir(work); len(ents) != 0 {
		t.Errorf("left %v in the working directory", ents)
	}
	for _, pid := range strings.Fields(perfScriptText(t, perf, data, "pid")) {
		if _, err := os.Stat("/tmp/perf-" + pid + ".map"); err == nil {
			t.Errorf("/tmp/perf-%s.map is left behind", pid)
			os.Remove("/tmp/perf-" + pid + ".map")
		}
	}
	// perf's own text agrees that the interpreted frames are named: fewer
	// shared trampolines than frames from the perf map
	text := perfScriptText(t, perf, data)
	tramp, mapped := strings.Count(text, "Builtins_InterpreterEntryTrampoline"), strings.Count(text, ".map)")
	if tramp >= mapped {
		t.Errorf("perf script has %d trampoline frames and %d perf-map frames", tramp, mapped)
	}
}

// Attached to a process, ndb flame record names the node flags it was
// started without, and the graph's warning agrees with perf's own text.
func TestRecordAttach(t *testing.T) {
	perf := needPerf(t)
	node := testnode.Binary(t, recordNode)
	dir := t.TempDir()
	app := filepath.Join(dir, "app.js")
	os.WriteFile(app, mustRead(t, "app.js"), 0o644)
	for _, c := range []struct {
		name  string
		flags []string
		warn  bool
	}{
		{"without flags", nil, true},
		{"with flags", []string{flagPerfBasicProf, flagInterpreterNat}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(node, append(c.flags, app, "20")...)
			cmd.Dir = t.TempDir() // for V8's log
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				cmd.Process.Kill()
				cmd.Wait()
				os.Remove("/tmp/perf-" + strconv.Itoa(cmd.Process.Pid) + ".map")
			}()
			out, data := filepath.Join(t.TempDir(), "flame.svg"), filepath.Join(t.TempDir(), "perf.data")
			r := run(t, nil, "record", "--pid", strconv.Itoa(cmd.Process.Pid), "--duration", "2", "-o", out, "--perf-data", data)
			if r.status != 0 {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			startedWithout := "process " + strconv.Itoa(cmd.Process.Pid) + " was started without --perf-basic-prof --interpreted-frames-native-stack"
			unnamed := "record with node --perf-basic-prof --interpreted-frames-native-stack to name them"
			if got := strings.Contains(r.stderr, startedWithout) && strings.Contains(r.stderr, unnamed); got != c.warn {
				t.Errorf("warnings %v, want %v: %s", got, c.warn, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != map[bool]int{true: 3, false: 1}[c.warn] {
				t.Errorf("stderr %q", r.stderr)
			}
			// perf's own text: trampolines outnumber named frames exactly when warned
			text := perfScriptText(t, perf, data)
			tramp, named := strings.Count(text, "Builtins_InterpreterEntryTrampoline"), strings.Count(text, " JS:")
			if (tramp > named) != c.warn {
				t.Errorf("perf script has %d trampoline frames and %d named JS frames; warned %v", tramp, named, c.warn)
			}
		})
	}
}

// Failures to record are one line: perf missing, perf not permitted, and
// bad usage (status 2, before anything runs).
func TestRecordErrors(t *testing.T) {
	one := func(name string, r runResult, status int, contains string) {
		t.Helper()
		if r.status != status || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ndb flame record: ") || !strings.Contains(r.stderr, contains) {
			t.Errorf("%s: status %d, stderr %q; want %d and one line with %q", name, r.status, r.stderr, status, contains)
		}
	}
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.svg")
	os.WriteFile(exists, []byte("keep"), 0o644)
	one("nothing", run(t, nil, "record"), 2, "nothing to record")
	one("both", run(t, nil, "record", "--pid", "1", "--", "true"), 2, "not both")
	one("duration", run(t, nil, "record", "--duration", "3", "--", "true"), 2, "--duration needs --pid")
	one("diff", run(t, nil, "record", "--diff", "--", "true"), 2, "--diff")
	one("exists", run(t, nil, "record", "-o", exists, "--", "true"), 2, "exists; use --force")
	one("device", run(t, nil, "record", "-o", "/dev/null", "--", "true"), 2, "not a regular file")
	if b, _ := os.ReadFile(exists); string(b) != "keep" {
		t.Error("an existing output was replaced")
	}
	one("no process", run(t, nil, "record", "--pid", "999999999", "-o", filepath.Join(dir, "x.svg")), 1, "no such process")
	one("no command", run(t, nil, "record", "-o", filepath.Join(dir, "x.svg"), "--", "no-such-command-here"), 2, "no-such-command-here: command not found")

	t.Run("command fails", func(t *testing.T) {
		needPerf(t)
		// a command that fails after some work still gets its graph
		out := filepath.Join(t.TempDir(), "flame.svg")
		r := run(t, nil, "record", "-F", "999", "-o", out, "--", "sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; exit 3")
		if r.status != 0 || !strings.HasPrefix(r.stderr, "ndb flame record: warning: the command exited with status 3\nndb flame record: wrote "+out) {
			t.Errorf("status %d, stderr %q", r.status, r.stderr)
		}
		if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte("<title>sh (")) {
			t.Errorf("no graph of sh: %v", err)
		}
	})

	t.Run("perf missing", func(t *testing.T) {
		truePath, err := exec.LookPath("true")
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", t.TempDir())
		one("perf missing", run(t, nil, "record", "-o", filepath.Join(dir, "y.svg"), "--", truePath), 1, "perf is not installed")
	})

	t.Run("not permitted", func(t *testing.T) {
		needPerf(t)
		if os.Geteuid() != 0 {
			t.Skip("needs root, to run ndb as another user that may not profile pid 1")
		}
		// the test binary, as nobody, attaches to pid 1 (root's)
		exe := copyForNobody(t)
		out := t.TempDir()
		os.Chmod(out, 0o777)
		os.Chmod(filepath.Dir(out), 0o755)
		cmd := exec.Command(exe, "record", "--pid", "1", "--duration", "0.2", "-o", filepath.Join(out, "flame.svg"))
		cmd.Env = append(os.Environ(), "NDB_FLAME_MAIN=1")
		cmd.Dir = out
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		status := 0
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
		}
		// pid 1 may not be node: no warning about its flags then
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		r := runResult{status: status, stderr: lines[len(lines)-1] + "\n"}
		one("not permitted", r, 1, "not permitted to open perf events (kernel.perf_event_paranoid=")
		if ents, _ := os.ReadDir(out); len(ents) != 0 {
			t.Errorf("left %v", ents)
		}
	})
}

// copyForNobody copies the test binary where user nobody may run it.
func copyForNobody(t *testing.T) string {
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		os.Chmod(d, 0o755)
	}
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	exe := filepath.Join(dir, "flame.test")
	dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return exe
}
