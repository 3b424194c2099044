package flame

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const recordUsage = `usage: ndb flame record [options] [--] COMMAND [ARGS...]
       ndb flame record [options] --pid PID [--duration SECONDS]

Records CPU samples with perf record -g, runs perf script and writes the
flame graph, in one step. A command runs with NODE_OPTIONS carrying
--perf-basic-prof --interpreted-frames-native-stack, which name JavaScript
frames; a process attached to by --pid must have been started with them.

Recording:
  --pid PID, -p PID  attach to a running process instead of running a command
  --duration S       with --pid: seconds to record (default 10; Ctrl-C stops early)
  --freq HZ, -F HZ   samples per second (default 99)
  --event EV, -e EV  perf event (default cpu-clock, which works in VMs too)
  --perf-data FILE   keep perf record's data in FILE
Output:
  -o FILE            write to FILE (default flame.svg); --force replaces a file
  ...and every option of ndb flame for the graph (--format, --title, --width…)
`

// recording is what `ndb flame record` records.
type recording struct {
	pid      int
	duration float64
	freq     int
	event    string
	perfData string
	command  []string
}

// describe names what was recorded, for the subtitle.
func (r *recording) describe() string {
	if r.pid > 0 {
		return fmt.Sprintf("pid %d for %gs", r.pid, r.duration)
	}
	return cut(strings.Join(r.command, " "), 100)
}

// record runs `ndb flame record` with the arguments after "record".
func (c *cli) record(args []string) int {
	c.prefix = "ndb flame record"
	c.rec = &recording{}
	if err := c.parseRecord(args); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(c.stdout, recordUsage)
			return 0
		}
		fmt.Fprintf(c.stderr, "%s: %v (see ndb flame record --help)\n", c.prefix, err)
		return 2
	}
	if len(c.rec.command) > 0 {
		if _, err := exec.LookPath(c.rec.command[0]); err != nil {
			fmt.Fprintf(c.stderr, "%s: %s: command not found\n", c.prefix, cut(c.rec.command[0], 200))
			return 2
		}
	}
	for _, path := range []string{c.out, c.rec.perfData} {
		if path != "" && path != "-" {
			if err := checkOutputPath(path, nil, c.force); err != nil {
				fmt.Fprintf(c.stderr, "%s: %v\n", c.prefix, err)
				return 2
			}
		}
	}
	if err := c.runRecord(); err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.prefix, err)
		return 1
	}
	return 0
}

func (c *cli) parseRecord(args []string) error {
	r := c.rec
	fs := c.flagSet("ndb flame record")
	fs.IntVar(&r.pid, "pid", 0, "")
	fs.IntVar(&r.pid, "p", 0, "")
	fs.Float64Var(&r.duration, "duration", 0, "")
	fs.IntVar(&r.freq, "freq", 99, "")
	fs.IntVar(&r.freq, "F", 99, "")
	fs.StringVar(&r.event, "event", "cpu-clock", "")
	fs.StringVar(&r.event, "e", "cpu-clock", "")
	fs.StringVar(&r.perfData, "perf-data", "", "")
	// the command starts at "--" or at the first argument that is not an
	// option: what follows it is the command's own
	if err := fs.Parse(args); err != nil {
		return err
	}
	r.command = fs.Args()
	if err := c.check(fs); err != nil {
		return err
	}
	switch {
	case c.diff:
		return errors.New("--diff compares two inputs; record each and run ndb flame --diff")
	case r.pid < 0:
		return fmt.Errorf("--pid %d: want a process id", r.pid)
	case r.pid > 0 && len(r.command) > 0:
		return errors.New("either a command or --pid, not both")
	case r.pid == 0 && len(r.command) == 0:
		return errors.New("nothing to record: give a command (ndb flame record -- node app.js) or --pid PID")
	case r.pid == 0 && r.duration != 0:
		return errors.New("--duration needs --pid; a command is recorded until it exits")
	case r.duration < 0 || r.duration > 86400:
		return fmt.Errorf("--duration %g: want 0 to 86400 seconds", r.duration)
	case r.freq < 1 || r.freq > 100000:
		return fmt.Errorf("--freq %d: want 1 to 100000", r.freq)
	case r.event == "" || strings.ContainsAny(r.event, " \t\n"):
		return fmt.Errorf("--event %q: want a perf event name", r.event)
	}
	if r.pid > 0 && r.duration == 0 {
		r.duration = 10
	}
	if c.out == "" {
		c.out = "flame.svg"
	}
	return nil
}

// runRecord records, converts and writes the graph.
func (c *cli) runRecord() error {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return errors.New("perf is not installed (Debian: apt-get install linux-perf; Ubuntu: apt-get install linux-tools-generic)")
	}
	tmp, err := os.MkdirTemp("", "ndb-flame-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	r := c.rec
	if err := probePerf(perf, r.event, tmp); err != nil {
		return err
	}
	if r.pid > 0 {
		if err := c.checkTarget(r.pid); err != nil {
			return err
		}
	}
	data := r.perfData
	if data == "" {
		data = filepath.Join(tmp, "perf.data")
	}
	start := time.Now()
	if err := c.perfRecord(perf, data); err != nil {
		return err
	}
	script := filepath.Join(tmp, "perf.script")
	if err := perfScript(perf, data, script); err != nil {
		return err
	}
	p, err := c.load(script, c.format == "folded")
	if errors.Is(err, ErrEmpty) {
		return errors.New("perf recorded no samples (did the command run long enough? try a higher --freq)")
	}
	if err != nil {
		return err
	}
	p.Source = r.describe()
	if r.pid == 0 {
		removeLeftovers(script, start)
	}
	if err := c.writeProfile(p); err != nil {
		return err
	}
	if c.out != "-" {
		fmt.Fprintf(c.stderr, "%s: wrote %s (%s samples)\n", c.prefix, c.out, commas(float64(p.NSamples)))
	}
	return nil
}

// perfRecordArgs are the arguments of perf record.
func (r *recording) perfRecordArgs(data string) []string {
	args := []string{"record", "-g", "-q", "-F", strconv.Itoa(r.freq), "-e", r.event, "-o", data}
	if r.pid > 0 {
		return append(args, "-p", strconv.Itoa(r.pid), "--", "sleep", strconv.FormatFloat(r.duration, 'f', -1, 64))
	}
	return append(append(args, "--"), r.command...)
}

// perfRecord runs perf record. A command's output goes where ndb's goes.
// Ctrl-C reaches perf and the command (they share the terminal's process
// group); ndb keeps going, to draw what was recorded.
func (c *cli) perfRecord(perf, data string) error {
	r := c.rec
	cmd := exec.Command(perf, r.perfRecordArgs(data)...)
	var tail tailBuffer
	cmd.Stderr = &tail
	if r.pid == 0 {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, c.stdout, io.MultiWriter(c.stderr, &tail)
		cmd.Env = withNodeFlags(os.Environ())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	defer signal.Stop(sig)
	runErr := cmd.Run()
	// perf exits with the command's status: a command that failed still
	// leaves a recording worth drawing
	if st, err := os.Stat(data); err != nil || st.Size() == 0 {
		if runErr == nil {
			runErr = errors.New("no data")
		}
		return perfFailure("perf record", runErr, tail.String())
	}
	var ee *exec.ExitError
	if errors.As(runErr, &ee) && r.pid == 0 {
		c.warnf("the command exited with status %d", ee.ExitCode())
	}
	return nil
}

// withNodeFlags adds the flags that name JavaScript frames to NODE_OPTIONS,
// which reaches node however the command starts it (npm, a shell script).
func withNodeFlags(env []string) []string {
	opts := ""
	out := env[:0:0]
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok {
			opts = v
			continue
		}
		out = append(out, kv)
	}
	for _, f := range []string{flagPerfBasicProf, flagInterpreterNat} {
		if !hasFlag(strings.Fields(opts), f) {
			opts = strings.TrimSpace(opts + " " + f)
		}
	}
	return append(out, "NODE_OPTIONS="+opts)
}

func hasFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.ReplaceAll(a, "_", "-") == flag {
			return true
		}
	}
	return false
}

// checkTarget checks that the process exists and warns, naming them, when
// it is node started without the flags that name JavaScript frames.
func (c *cli) checkTarget(pid int) error {
	proc := "/proc/" + strconv.Itoa(pid)
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return fmt.Errorf("--pid %d: no such process", pid)
	}
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	comm, _ := os.ReadFile(proc + "/comm")
	if !strings.Contains(filepath.Base(args[0]), "node") && !strings.Contains(string(comm), "node") {
		return nil
	}
	// the environment is readable for one's own processes (and by root)
	if env, err := os.ReadFile(proc + "/environ"); err == nil {
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "NODE_OPTIONS="); ok {
				args = append(args, strings.Fields(v)...)
			}
		}
	}
	var missing []string
	for _, f := range []string{flagPerfBasicProf, flagInterpreterNat} {
		if !hasFlag(args, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		m := strings.Join(missing, " ")
		c.warnf("process %d was started without %s, so its JavaScript frames will be unnamed; start it as node %s %s … (or with NODE_OPTIONS=\"%s %s\")",
			pid, m, flagPerfBasicProf, flagInterpreterNat, flagPerfBasicProf, flagInterpreterNat)
	}
	return nil
}

// probePerf checks that perf may record the event here, by recording
// `true`: a refusal then gets one clear line, before the command runs.
func probePerf(perf, event, tmp string) error {
	cmd := exec.Command(perf, "record", "-q", "-g", "-e", event, "-o", filepath.Join(tmp, "probe.data"), "--", "true")
	var tail tailBuffer
	cmd.Stdout, cmd.Stderr = &tail, &tail
	if err := cmd.Run(); err != nil {
		return perfFailure("perf record", err, tail.String())
	}
	return nil
}

// perfScript runs perf script on data into the file out.
func perfScript(perf, data, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	// +pid: headers say "comm pid/tid", so that the perf maps of the
	// recorded processes can be found
	cmd := exec.Command(perf, "script", "-F", "+pid", "-i", data)
	var tail tailBuffer
	cmd.Stdout, cmd.Stderr = f, &tail
	if err := cmd.Run(); err != nil {
		return perfFailure("perf script", err, tail.String())
	}
	return f.Close()
}

// removeLeftovers removes what the node flags made the processes of a
// recorded command write, once they have exited and perf script has read
// it: the /tmp/perf-PID.map files, and the isolate-*-PID-v8.log files that
// --perf-basic-prof makes V8 write into the working directory (which
// NODE_OPTIONS cannot turn off). Logs older than the recording stay.
func removeLeftovers(script string, start time.Time) {
	for _, pid := range recordedPids(script) {
		if syscall.Kill(pid, 0) != syscall.ESRCH {
			continue // still running: it may still write them
		}
		removeRegular("/tmp/perf-"+strconv.Itoa(pid)+".map", time.Time{})
		logs, _ := filepath.Glob("isolate-0x*-" + strconv.Itoa(pid) + "-v8.log")
		for _, l := range logs {
			removeRegular(l, start)
		}
	}
}

// recordedPids are the process ids in perf script text run with -F +pid,
// whose headers say "comm pid/tid".
func recordedPids(script string) []int {
	f, err := os.Open(script)
	if err != nil {
		return nil
	}
	defer f.Close()
	seen := map[int]bool{}
	var pids []int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var h header
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || isSpace(line[0]) || line[0] == '#' || !parseHeader(line, &h) || !h.hasTID {
			continue
		}
		if pid, err := strconv.Atoi(string(h.pid)); err == nil && pid > 0 && !seen[pid] {
			seen[pid] = true
			pids = append(pids, pid)
		}
	}
	return pids
}

// removeRegular removes path if it is a regular file modified at or after
// since.
func removeRegular(path string, since time.Time) {
	if st, err := os.Lstat(path); err == nil && st.Mode().IsRegular() && !st.ModTime().Before(since) {
		os.Remove(path)
	}
}

// perfFailure turns perf's complaint into one line: why perf may not
// record here, and what would let it.
func perfFailure(what string, err error, stderr string) error {
	low := strings.ToLower(stderr)
	switch {
	case strings.Contains(low, "perf_event_paranoid"), strings.Contains(low, "permission denied"),
		strings.Contains(low, "no permission"), strings.Contains(low, "not permitted"),
		strings.Contains(low, "access to performance monitoring"):
		level := "unknown"
		if b, err := os.ReadFile("/proc/sys/kernel/perf_event_paranoid"); err == nil {
			level = strings.TrimSpace(string(b))
		}
		if os.Geteuid() == 0 {
			return fmt.Errorf("%s: not permitted to open perf events, even as root (kernel.perf_event_paranoid=%s); a container needs perf_event_open allowed (docker run --cap-add PERFMON or a seccomp profile that allows it)", what, level)
		}
		return fmt.Errorf("%s: not permitted to open perf events (kernel.perf_event_paranoid=%s): run as root or with CAP_PERFMON, or lower the setting (sudo sysctl kernel.perf_event_paranoid=1)", what, level)
	case strings.Contains(low, "perf not found for kernel"), strings.Contains(low, "not found for kernel"):
		return fmt.Errorf("%s: perf is not installed for this kernel: %s", what, lastLine(stderr))
	}
	if l := lastLine(stderr); l != "" {
		return fmt.Errorf("%s: %v: %s", what, err, l)
	}
	return fmt.Errorf("%s: %v", what, err)
}

// lastLine is the last line of s that says something, cut to a line's
// length.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return cut(l, 200)
		}
	}
	return ""
}

// tailBuffer keeps the last 64 KiB written to it: perf's diagnostics, not
// a command's unbounded output.
type tailBuffer struct{ b []byte }

const tailMax = 64 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > tailMax {
		p = p[len(p)-tailMax:]
	}
	t.b = append(t.b, p...)
	if len(t.b) > tailMax {
		t.b = append(t.b[:0], t.b[len(t.b)-tailMax:]...)
	}
	return n, nil
}

func (t *tailBuffer) String() string { return string(bytes.ToValidUTF8(t.b, []byte("?"))) }
