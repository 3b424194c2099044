package livecore

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrTarget is wrapped by errors that come from the target process (missing, not Node, not
// traceable) rather than from ndb or the disk. Their text says what to do.
var ErrTarget = errors.New("target")

type targetError struct{ msg string }

func (e *targetError) Error() string { return e.msg }
func (e *targetError) Unwrap() error { return ErrTarget }

func targetf(format string, args ...any) error {
	return &targetError{fmt.Sprintf(format, args...)}
}

// check tells, before anything is stopped, whether pid can be snapshotted: it exists, is not
// a zombie, runs node, and no debugger traces it.
func check(pid int, allowNonNode bool) error {
	if pid <= 0 {
		return targetf("%d is not a process id", pid)
	}
	st, err := readStat(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return targetf("no process with pid %d", pid)
	}
	if st.state == "Z" || st.state == "X" {
		return targetf("pid %d has exited (it is a zombie): there is no memory to snapshot", pid)
	}
	if status, err := readStatus(fmt.Sprintf("/proc/%d/status", pid)); err == nil && status.tracerPid != 0 {
		return targetf("pid %d is already traced by pid %d (%s): detach that debugger first", pid,
			status.tracerPid, commOf(status.tracerPid))
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return permissionError(pid)
		}
		return targetf("pid %d has no executable to read (a kernel thread?): %v", pid, err)
	}
	if !allowNonNode {
		if ok, err := isNode(pid); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return permissionError(pid)
			}
			return targetf("cannot read the executable of pid %d (%s): %v", pid, exe, err)
		} else if !ok {
			return targetf("pid %d runs %s, which is not Node.js (no V8 postmortem metadata): ndb snapshots node processes", pid, exe)
		}
	}
	return nil
}

// isNode tells whether the process's executable carries V8's postmortem metadata (v8dbg_*
// symbols), which every official node build has and ndb needs.
func isNode(pid int) (bool, error) {
	f, err := elf.Open(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return false, nil
		}
		return false, err
	}
	defer f.Close()
	symtab := f.Section(".symtab")
	if symtab == nil || int(symtab.Link) >= len(f.Sections) {
		return false, nil
	}
	strtab := f.Sections[symtab.Link]
	if strtab.Size > 1<<30 {
		return false, nil
	}
	names, err := strtab.Data()
	if err != nil {
		return false, nil
	}
	return bytes.Contains(names, []byte("v8dbg_")), nil
}

// permissionError explains why ptrace or /proc refused and what to do.
func permissionError(pid int) error {
	if scope, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil {
		s := strings.TrimSpace(string(scope))
		switch s {
		case "1", "2":
			if os.Geteuid() != 0 {
				return targetf("cannot trace pid %d: kernel.yama.ptrace_scope is %s; run ndb as root (or with CAP_SYS_PTRACE), or set it to 0 with sysctl", pid, s)
			}
		case "3":
			return targetf("cannot trace pid %d: kernel.yama.ptrace_scope is 3, which forbids ptrace until reboot; use a kernel core instead (kill -ABRT with ulimit -c unlimited)", pid)
		}
	}
	if st, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
		if sys, ok := st.Sys().(*unix.Stat_t); ok && int(sys.Uid) != os.Geteuid() {
			return targetf("cannot trace pid %d, which belongs to uid %d: run ndb as that user or as root", pid, sys.Uid)
		}
	}
	return targetf("cannot trace pid %d: permission denied (it may be setuid or not dumpable); run ndb as root", pid)
}

func commOf(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
