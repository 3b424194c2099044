// Package livecore writes an ELF core of a live Linux x86-64 process, as the kernel writes one on
// a crash, with ptrace and /proc and no debugger. The process is stopped only while its
// registers and memory are copied, and always resumed, whatever fails.
package livecore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Options tune a snapshot.
type Options struct {
	// BufferBytes bounds the memory copied into ndb while the process is stopped, to be written
	// after it resumes; what does not fit is written while it is stopped. 0 means the process's
	// resident memory, up to half of the machine's available memory; a negative value writes
	// everything while stopped.
	BufferBytes int64
	// AnyProgram snapshots processes that do not run node too.
	AnyProgram bool
	// Overwrite replaces an existing regular file at the output path.
	Overwrite bool
	// StopTheWorld copies all the memory while the process is stopped, with no pre-copy.
	StopTheWorld bool
}

// Result describes a snapshot written.
type Result struct {
	Path    string
	Pid     int
	Threads int
	Method  string        // "pre-copy", or "stop-the-world" and why
	Prepare time.Duration // before the stop: checks, the pre-copy or faulting in the copy buffer
	Paused  time.Duration // how long the process was stopped
	Total   time.Duration // Prepare, Paused, then writing what was kept in the buffer
	Memory  int64         // bytes of memory in the core, read from the process
	Reused  int64         // of which bytes pre-copied and unchanged: not read while stopped
	Size    int64         // length of the core file (holes included)
}

// Methods of copying the memory, as Result.Method says.
const (
	MethodPreCopy      = "pre-copy"
	MethodStopTheWorld = "stop-the-world"
)

// whileStopped, when set (by tests), runs while every thread is stopped.
var whileStopped func()

// errInterrupted is returned when the context ends during a snapshot.
var errInterrupted = errors.New("interrupted")

// Snapshot writes a core of the live process pid to path. The file appears under its final
// name, mode 0600, only when complete. When ctx ends (say, on SIGINT), the process is resumed
// and no file is left. Errors wrapping ErrTarget come from the process (missing, not Node, not
// traceable) and say what to do.
func Snapshot(ctx context.Context, pid int, path string, opts Options) (*Result, error) {
	start := time.Now()
	if err := check(pid, opts.AnyProgram); err != nil {
		return nil, err
	}
	mem, err := os.Open(fmt.Sprintf("/proc/%d/mem", pid))
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, permissionError(pid)
		}
		return nil, targetf("cannot read the memory of pid %d: %v", pid, err)
	}
	defer mem.Close()
	pmf, err := os.Open(fmt.Sprintf("/proc/%d/pagemap", pid))
	if err != nil {
		return nil, targetf("cannot read the page map of pid %d: %v", pid, err)
	}
	defer pmf.Close()
	out, commit, discard, err := createTemp(path, opts.Overwrite)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			discard()
		}
	}()
	cancelled := func() bool { return ctx.Err() != nil }
	pm := &pagemap{f: pmf}
	c, pre, method, err := copyWhileRunning(pid, mem, out, pm, opts, cancelled)
	if err != nil {
		return nil, err
	}
	defer c.free()
	prepare := time.Since(start)
	var lay *layout
	var nthreads int
	var paused time.Duration
	err = onLockedThread(func() error {
		var err error
		lay, nthreads, paused, err = copyStopped(pid, c, pm, pre, cancelled)
		return err
	})
	if err != nil {
		return nil, explain(pid, err)
	}
	if err := lay.writeHeaders(out); err != nil {
		return nil, err
	}
	if err := c.flush(cancelled); err != nil {
		return nil, explain(pid, err)
	}
	if err := out.Truncate(lay.size); err != nil {
		return nil, err
	}
	if err := commit(); err != nil {
		return nil, err
	}
	committed = true
	return &Result{Path: path, Pid: pid, Threads: nthreads, Method: method, Prepare: prepare, Paused: paused,
		Total: time.Since(start), Memory: c.memory, Reused: c.reused, Size: lay.size}, nil
}

// copyWhileRunning maps the copy buffer and, unless the kernel cannot track soft-dirty bits or
// opts say not to, pre-copies the process's memory into it. method says which way the memory is
// copied, and why not by pre-copy; pre is nil then.
func copyWhileRunning(pid int, mem, out *os.File, pm *pagemap, opts Options, cancelled func() bool) (c *copier, pre *preCopied, method string, err error) {
	method = MethodPreCopy
	if opts.StopTheWorld {
		method = MethodStopTheWorld + " (asked for)"
	} else if err := softDirtyProbe(); err != nil && staleOverride == nil {
		method = MethodStopTheWorld + ": no pre-copy, " + err.Error()
	}
	c, err = newCopier(mem, out, bufferBudget(pid, opts.BufferBytes), method != MethodPreCopy)
	if err != nil {
		return nil, nil, "", err
	}
	if method != MethodPreCopy {
		return c, nil, method, nil
	}
	pre, err = preCopy(pid, c, pm, cancelled)
	switch {
	case errors.Is(err, errInterrupted) || errors.Is(err, errGone):
		c.free()
		return nil, nil, "", explain(pid, err)
	case err != nil:
		pre, method = nil, MethodStopTheWorld+": no pre-copy, "+err.Error()
	}
	c.populateRest()
	return c, pre, method, nil
}

// onLockedThread runs fn on a goroutine locked to its OS thread, as ptrace requires of every
// call about a tracee. The thread is never unlocked: it ends with the goroutine, and the kernel
// detaches whatever a dying tracer still traces.
func onLockedThread(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		done <- fn()
	}()
	return <-done
}

// copyStopped stops every thread, reads the registers, the process's state and its memory (what
// pre holds of it only where changed; pre may be nil), and resumes it on every path. It returns
// the core's layout and how long the process was stopped.
func copyStopped(pid int, c *copier, pm *pagemap, pre *preCopied, cancelled func() bool) (lay *layout, nthreads int, paused time.Duration, err error) {
	if cancelled() {
		return nil, 0, 0, errInterrupted
	}
	stopStart := time.Now()
	st, err := stopAll(pid, stopStart.Add(5*time.Second))
	if err != nil {
		return nil, 0, 0, err
	}
	resumed := false
	resume := func() {
		if !resumed {
			st.resume()
			paused = time.Since(stopStart)
			resumed = true
		}
	}
	defer resume()

	if whileStopped != nil {
		whileStopped()
	}
	threads, err := threadStates(pid, st)
	if err != nil {
		return nil, 0, 0, err
	}
	proc, err := readProcess(pid)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("the process %w during the snapshot", errGone)
	}
	mf, err := os.Open(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("the process %w during the snapshot", errGone)
	}
	maps, err := parseMaps(mf)
	mf.Close()
	if err != nil {
		return nil, 0, 0, err
	}
	var stale func(uint64) bool
	if pre != nil {
		stale = isStale
	}
	plans := make([]plan, 0, len(maps))
	for _, m := range maps {
		p, err := planMapping(m, pm, c.mem, stale)
		if err != nil {
			return nil, 0, 0, err
		}
		plans = append(plans, p)
	}
	lay, err = newLayout(buildNotes(proc, threads, maps), plans)
	if err != nil {
		return nil, 0, 0, err
	}
	for _, p := range lay.plans {
		for _, r := range p.runs {
			off := p.offset + int64(r.start-p.m.start)
			if pre != nil && preCopyable(p.m) {
				err = c.copyRunAfter(pre, p.stale, r, off, cancelled)
			} else {
				err = c.copyRun(r, off, cancelled)
			}
			if err != nil {
				return nil, 0, 0, err
			}
		}
	}
	resume()
	return lay, len(threads), paused, nil
}

// threadStates reads what the notes need of each stopped thread, the thread group leader first
// as in the kernel's cores. Threads that exited meanwhile are left out.
func threadStates(pid int, st *stopped) ([]threadState, error) {
	ts := slices.Clone(st.threads)
	slices.SortFunc(ts, func(a, b *thread) int {
		if (a.tid == pid) != (b.tid == pid) {
			if a.tid == pid {
				return -1
			}
			return 1
		}
		return a.tid - b.tid
	})
	var out []threadState
	for _, t := range ts {
		regs, fp, xs, err := t.registers()
		if err == unix.ESRCH {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading the registers of thread %d: %v", t.tid, err)
		}
		dir := fmt.Sprintf("/proc/%d/task/%d/", pid, t.tid)
		tst, err1 := readStat(dir + "stat")
		tstatus, err2 := readStatus(dir + "status")
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, threadState{tid: t.tid, regs: regs, fp: fp, xstate: xs, stat: tst, status: tstatus})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the process %w during the snapshot", errGone)
	}
	return out, nil
}

// explain turns ptrace's refusals into what to do.
func explain(pid int, err error) error {
	var se *seizeError
	switch {
	case errors.As(err, &se) && (se.err == unix.EPERM || se.err == unix.EACCES):
		if status, e := readStatus(fmt.Sprintf("/proc/%d/status", pid)); e == nil && status.tracerPid != 0 {
			return targetf("pid %d is already traced by pid %d (%s): detach that debugger first", pid,
				status.tracerPid, commOf(status.tracerPid))
		}
		return permissionError(pid)
	case errors.Is(err, errInterrupted):
		return fmt.Errorf("interrupted: pid %d resumed, no core written", pid)
	case errors.Is(err, errGone):
		return targetf("pid %d exited during the snapshot: no core written", pid)
	}
	return err
}

// bufferBudget is how many bytes of memory to keep in ndb while the process is stopped.
func bufferBudget(pid int, want int64) int64 {
	if want < 0 {
		return 0
	}
	if want == 0 {
		// The resident anonymous and shared memory is about what the core will hold.
		rss := statusKB(fmt.Sprintf("/proc/%d/status", pid), "RssAnon") + statusKB(fmt.Sprintf("/proc/%d/status", pid), "RssShmem")
		want = rss + rss/8 + 64<<20
	}
	if avail := statusKB("/proc/meminfo", "MemAvailable"); avail > 0 {
		want = min(want, avail/2)
	}
	return want &^ (pageSize - 1)
}

// statusKB reads a "Key: N kB" line of a /proc file, in bytes; 0 when absent.
func statusKB(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == key {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
