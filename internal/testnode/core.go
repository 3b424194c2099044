package testnode

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTimeout bounds one run of a fixture (including writing its core).
const runTimeout = 5 * time.Minute

// MakeCore runs testdata/fixtures/<fixture> with node <version>, the given node flags and script
// args, lets it abort (process.abort(), or an uncaught exception under
// --abort-on-uncaught-exception) and returns its core. The core comes from the kernel when
// core_pattern allows it and from gdb otherwise (see Core.Method). Results are cached.
func MakeCore(tb testing.TB, version, fixture string, nodeFlags, args []string) *Core {
	tb.Helper()
	c, err := Make(version, fixture, nodeFlags, args)
	if err != nil {
		fail(tb, err)
	}
	if !c.Cached {
		tb.Logf("testnode: made %s core of %s on node %s: %s", c.Method, fixture, version, c.Path)
	}
	return c
}

// Make is MakeCore for programs: it returns an error instead of stopping a test.
func Make(version, fixture string, nodeFlags, args []string) (*Core, error) {
	cores, err := cached("core", version, fixture, nodeFlags, args, makeCore)
	if err != nil {
		return nil, err
	}
	return cores[0], nil
}

// StopCore runs testdata/fixtures/<fixture> under gdb, stops it the first time it reaches
// breakpoint (a function of node or of a library, e.g. "uv__signal_handler") and writes a core of
// the live process there: for states no crash leaves, such as a thread inside a signal handler.
// Signals pass to the process without stopping it. Results are cached; Core.Method is "gdb".
func StopCore(tb testing.TB, version, fixture, breakpoint string, nodeFlags, args []string) *Core {
	tb.Helper()
	cores, err := cached("stop:"+breakpoint, version, fixture, nodeFlags, args, func(r *run) ([]*Core, error) {
		c, err := gdbCoreAt(r, breakpoint)
		if err != nil {
			return nil, err
		}
		return []*Core{c}, nil
	})
	if err != nil {
		fail(tb, err)
	}
	if !cores[0].Cached {
		tb.Logf("testnode: made a core of %s on node %s stopped at %s: %s", fixture, version, breakpoint, cores[0].Path)
	}
	return cores[0]
}

// run describes one fixture run in its cache directory.
type run struct {
	dir       string // the cache directory of this key; also the working directory
	exe       string
	version   string
	script    string // the fixture copied into dir
	nodeFlags []string
	args      []string
}

func (r *run) argv() []string {
	return append(append(append([]string{r.exe}, r.nodeFlags...), r.script), r.args...)
}

// cached returns the cores stored under the key of its arguments, or makes them with mk under an
// exclusive lock. A directory counts as done only once its meta.json exists (written last,
// atomically), so a crashed or concurrent run is never mistaken for a finished one.
func cached(kind, version, fixture string, nodeFlags, args []string, mk func(*run) ([]*Core, error)) ([]*Core, error) {
	exe, err := Fetch(version)
	if err != nil {
		return nil, err
	}
	src, err := fixturePath(fixture)
	if err != nil {
		return nil, err
	}
	code, err := os.ReadFile(src)
	if err != nil {
		return nil, fmt.Errorf("fixture: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(src), filepath.Ext(src))
	name := fmt.Sprintf("%s-%s-%s", base, version, cacheKey(kind, version, code, nodeFlags, args))
	root := filepath.Join(CacheDir(), "cores")
	dir := filepath.Join(root, name)

	if cores, err := loadMeta(dir, exe); err == nil {
		return cores, nil
	}
	unlock, err := lockFile(filepath.Join(root, name+".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	if cores, err := loadMeta(dir, exe); err == nil {
		return cores, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r := &run{dir: dir, exe: exe, version: version, script: filepath.Join(dir, filepath.Base(src)),
		nodeFlags: nodeFlags, args: args}
	if err := os.WriteFile(r.script, code, 0o644); err != nil {
		return nil, err
	}
	cores, err := mk(r)
	if err != nil {
		return nil, fmt.Errorf("%s on node %s: %w", fixture, version, err)
	}
	for _, c := range cores {
		c.Exe, c.Version, c.Script = exe, version, r.script
	}
	if err := saveMeta(dir, cores); err != nil {
		return nil, err
	}
	return cores, nil
}

func loadMeta(dir, exe string) ([]*Core, error) {
	b, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, err
	}
	var cores []*Core
	if err := json.Unmarshal(b, &cores); err != nil {
		return nil, err
	}
	if len(cores) == 0 {
		return nil, errors.New("no cores in meta.json")
	}
	for _, c := range cores {
		// Paths are stored relative to dir so that a moved cache still works.
		c.Path = filepath.Join(dir, c.Path)
		c.Script = filepath.Join(dir, c.Script)
		c.Exe = exe
		c.Cached = true
		if _, err := os.Stat(c.Path); err != nil {
			return nil, err
		}
	}
	return cores, nil
}

func saveMeta(dir string, cores []*Core) error {
	rel := make([]Core, len(cores))
	for i, c := range cores {
		rel[i] = *c
		rel[i].Path = filepath.Base(c.Path)
		rel[i].Script = filepath.Base(c.Script)
		rel[i].Exe = ""
	}
	b, err := json.MarshalIndent(rel, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "meta.json.tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "meta.json"))
}

// makeCore tries the kernel first, then gdb; $NDB_CORE_METHOD ("kernel" or "gdb") forces one.
func makeCore(r *run) ([]*Core, error) {
	switch m := os.Getenv("NDB_CORE_METHOD"); m {
	case "", "kernel", "gdb":
	default:
		return nil, fmt.Errorf("NDB_CORE_METHOD=%q: want kernel or gdb", m)
	}
	if os.Getenv("NDB_CORE_METHOD") == "kernel" {
		c, err := kernelCore(r)
		if err != nil {
			return nil, err
		}
		return []*Core{c}, nil
	}
	if why := kernelCoreProblem(); why == "" && os.Getenv("NDB_CORE_METHOD") == "" {
		c, err := kernelCore(r)
		if err == nil {
			return []*Core{c}, nil
		}
		if !errors.Is(err, errNoKernelCore) {
			return nil, err
		}
	}
	c, err := gdbCore(r)
	if err != nil {
		return nil, err
	}
	return []*Core{c}, nil
}

const corePatternFile = "/proc/sys/kernel/core_pattern"

// kernelCoreProblem says why the kernel will not write a core into the working directory, or "".
// In CI (CI=true) as root it sets core_pattern to "core" first if it can; it never changes the
// setting otherwise.
func kernelCoreProblem() string {
	b, err := os.ReadFile(corePatternFile)
	if err != nil {
		return "cannot read core_pattern"
	}
	pattern := strings.TrimSpace(string(b))
	ok := !strings.HasPrefix(pattern, "|") && !strings.Contains(pattern, "/")
	if !ok && inCI() && os.Geteuid() == 0 {
		if os.WriteFile(corePatternFile, []byte("core"), 0o644) == nil {
			return ""
		}
	}
	if !ok {
		return fmt.Sprintf("core_pattern is %q", pattern)
	}
	return ""
}

var errNoKernelCore = errors.New("the kernel wrote no core")

// nodeEnv is the small fixed environment fixtures run in, so that the user's NODE_OPTIONS and the
// like do not change the cores.
func nodeEnv() []string {
	home, _ := os.UserHomeDir()
	return []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + home,
		"LANG=C",
		"SHELL=/bin/sh",
		"DEBUGINFOD_URLS=",
		"NODE_DISABLE_COLORS=1",
	}
}

// kernelCore runs the fixture under `ulimit -c unlimited` and picks up the core the kernel wrote
// into the working directory.
func kernelCore(r *run) (*Core, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	const script = `ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"; exec "$@"`
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, "sh"}, r.argv()...)...)
	cmd.Dir = r.dir
	cmd.Env = nodeEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err := writeOutputs(r.dir, "", stdout.String(), stderr.String()); err != nil {
		return nil, err
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return nil, fmt.Errorf("the fixture did not abort (err %v); stderr: %s", err, lastLines(stderr.String(), 5))
	}
	ws, _ := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() {
		return nil, fmt.Errorf("the fixture exited with status %d instead of aborting; stderr: %s",
			ws.ExitStatus(), lastLines(stderr.String(), 5))
	}
	path, err := findCore(r.dir)
	if err != nil {
		return nil, err
	}
	return &Core{Path: path, Pid: cmd.Process.Pid, Stdout: stdout.String(), Stderr: stderr.String(), Method: "kernel"}, nil
}

// findCore finds the ELF core file the kernel left in dir and renames it to dir/core.
func findCore(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if !isELFCore(p) {
			continue
		}
		final := filepath.Join(dir, "core")
		if p != final {
			if err := os.Rename(p, final); err != nil {
				return "", err
			}
		}
		return final, nil
	}
	return "", errNoKernelCore
}

func isELFCore(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Type == elf.ET_CORE
}

var gdbPid = regexp.MustCompile(`\(process (\d+)\)`)

// gdbCore runs the fixture under gdb and writes a core with generate-core-file when it stops on
// the fatal signal.
func gdbCore(r *run) (*Core, error) { return gdbCoreAt(r, "") }

// gdbCoreAt is gdbCore, or with a breakpoint, writes the core when the process first reaches it.
func gdbCoreAt(r *run, breakpoint string) (*Core, error) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		return nil, unavailable("the kernel cannot write cores here (%s) and gdb is not installed", kernelCoreProblemOr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	core := filepath.Join(r.dir, "core")
	argv := r.argv()
	var quoted []string
	for _, a := range argv[1:] {
		quoted = append(quoted, shellQuote(a))
	}
	// The inferior's output goes to files through the shell gdb starts it with, apart from gdb's.
	setArgs := strings.Join(quoted, " ") + " </dev/null >stdout 2>stderr"
	gdbArgs := []string{"-nx", "-q", "-batch",
		"-ex", "set pagination off",
		"-ex", "set startup-with-shell on",
		"-ex", "handle SIGPIPE nostop noprint pass"}
	if breakpoint != "" {
		gdbArgs = append(gdbArgs, "-ex", "handle all nostop noprint pass", "-ex", "break "+breakpoint)
	}
	gdbArgs = append(gdbArgs,
		"-ex", "set args "+setArgs,
		"-ex", "run",
		"-ex", "info inferiors",
		"-ex", "generate-core-file "+core,
		"-ex", "kill",
		argv[0])
	cmd := exec.CommandContext(ctx, gdb, gdbArgs...)
	cmd.Dir = r.dir
	cmd.Env = nodeEnv()
	out, err := cmd.CombinedOutput()
	stdout, _ := os.ReadFile(filepath.Join(r.dir, "stdout"))
	stderr, _ := os.ReadFile(filepath.Join(r.dir, "stderr"))
	if !isELFCore(core) {
		return nil, fmt.Errorf("gdb made no core (err %v): %s; stderr: %s", err, lastLines(string(out), 5),
			lastLines(string(stderr), 5))
	}
	if breakpoint != "" && !bytes.Contains(out, []byte("Breakpoint 1, ")) {
		return nil, fmt.Errorf("the fixture never reached %s: %s", breakpoint, lastLines(string(out), 5))
	}
	digHoles(core)
	c := &Core{Path: core, Stdout: string(stdout), Stderr: string(stderr), Method: "gdb"}
	if m := gdbPid.FindSubmatch(out); m != nil {
		c.Pid, _ = strconv.Atoi(string(m[1]))
	}
	return c, nil
}

func kernelCoreProblemOr() string {
	if why := kernelCoreProblem(); why != "" {
		return why
	}
	return "no core appeared"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// writeOutputs keeps what the process printed next to its core, for humans.
func writeOutputs(dir, prefix, stdout, stderr string) error {
	if err := os.WriteFile(filepath.Join(dir, prefix+"stdout"), []byte(stdout), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, prefix+"stderr"), []byte(stderr), 0o644)
}
