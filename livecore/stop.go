package livecore

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// thread is one stopped thread of the target.
type thread struct {
	tid      int
	reinject int // a signal that arrived as it stopped, delivered again on detach
}

// stopped holds every thread of a process in a ptrace stop. All its methods must run on the
// one OS thread that stopped them (ptrace requires it).
type stopped struct {
	pid     int
	threads []*thread // in the order seized
	seized  map[int]*thread
}

// errGone marks a thread or process that exited while it was being stopped or read.
var errGone = errors.New("exited")

// stopAll seizes and interrupts every thread of pid. Threads may start or exit meanwhile: it
// lists /proc/PID/task again until a listing finds no thread it has not stopped. On error it has
// already let go of the threads it stopped.
func stopAll(pid int, deadline time.Time) (s *stopped, err error) {
	s = &stopped{pid: pid, seized: map[int]*thread{}}
	defer func() {
		if err != nil {
			s.resume()
		}
	}()
	for round := 0; ; round++ {
		tids, err := listTasks(pid)
		if err != nil {
			if len(s.threads) == 0 {
				return nil, err
			}
			return nil, fmt.Errorf("pid %d: %w", pid, errGone)
		}
		var fresh []*thread
		for _, tid := range tids {
			if s.seized[tid] != nil {
				continue
			}
			if err := unix.PtraceSeize(tid); err != nil {
				if err == unix.ESRCH {
					continue // exited since the listing
				}
				return nil, &seizeError{tid: tid, err: err}
			}
			t := &thread{tid: tid}
			s.seized[tid] = t
			fresh = append(fresh, t)
		}
		if len(fresh) == 0 {
			if len(s.threads) == 0 {
				return nil, fmt.Errorf("pid %d: %w", pid, errGone)
			}
			return s, nil
		}
		for _, t := range fresh {
			if err := unix.PtraceInterrupt(t.tid); err != nil && err != unix.ESRCH {
				return nil, fmt.Errorf("interrupting thread %d: %v", t.tid, err)
			}
		}
		for _, t := range fresh {
			alive, err := waitStop(t, deadline)
			if err != nil {
				return nil, err
			}
			if alive {
				s.threads = append(s.threads, t)
			} else {
				delete(s.seized, t.tid)
			}
		}
		if round > 1000 {
			return nil, fmt.Errorf("pid %d keeps starting threads; try again", pid)
		}
	}
}

type seizeError struct {
	tid int
	err error
}

func (e *seizeError) Error() string { return fmt.Sprintf("ptrace(PTRACE_SEIZE, %d): %v", e.tid, e.err) }

// waitStop waits until t reports its stop, or its exit (alive false). A thread that exits leaves
// no zombie to wait for when it is a thread group leader with live threads, so it polls, and
// gives up at the deadline (a thread in an uninterruptible sleep, say, on a hung file system).
func waitStop(t *thread, deadline time.Time) (alive bool, err error) {
	pause := 20 * time.Microsecond
	for {
		var ws unix.WaitStatus
		wpid, err := unix.Wait4(t.tid, &ws, unix.WALL|unix.WNOHANG, nil)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ECHILD:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("waiting for thread %d: %v", t.tid, err)
		case wpid == t.tid && (ws.Exited() || ws.Signaled()):
			return false, nil
		case wpid == t.tid && ws.Stopped():
			// PTRACE_EVENT_STOP is our interrupt or a group stop: nothing to give back. A
			// signal-delivery stop holds a signal the thread must still get.
			if ws.TrapCause() != unix.PTRACE_EVENT_STOP {
				t.reinject = int(ws.StopSignal())
			}
			return true, nil
		}
		if zombie(t.tid) {
			return false, nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("thread %d did not stop (state %s); is it blocked in the kernel?", t.tid, taskState(t.tid))
		}
		time.Sleep(pause)
		pause = min(pause*2, time.Millisecond)
	}
}

// resume detaches from every stopped thread, giving back the signals that arrived as they
// stopped. Threads that exited meanwhile are skipped.
func (s *stopped) resume() {
	for _, t := range s.seized {
		// An exited thread is nothing to resume: errors are of no use here.
		unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_DETACH, uintptr(t.tid), 0, uintptr(t.reinject), 0, 0)
	}
	s.seized, s.threads = nil, nil
}

// registers reads the general, x87/SSE and XSAVE registers of t.
func (t *thread) registers() (regs unix.PtraceRegs, fp []byte, xstate []byte, err error) {
	if err = unix.PtraceGetRegs(t.tid, &regs); err != nil {
		return regs, nil, nil, err
	}
	fp = make([]byte, 512) // struct user_i387_struct
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETFPREGS, uintptr(t.tid), 0,
		uintptr(unsafe.Pointer(&fp[0])), 0, 0); e != 0 {
		return regs, nil, nil, e
	}
	xs := make([]byte, 16<<10)
	iov := unix.Iovec{Base: &xs[0], Len: uint64(len(xs))}
	if _, _, e := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(t.tid), unix.NT_X86_XSTATE,
		uintptr(unsafe.Pointer(&iov)), 0, 0); e == 0 {
		xstate = xs[:iov.Len]
	}
	return regs, fp, xstate, nil
}

func listTasks(pid int) ([]int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil, err
	}
	var tids []int
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	slices.Sort(tids)
	return tids, nil
}

func taskState(tid int) string {
	st, err := readStat(fmt.Sprintf("/proc/%d/stat", tid))
	if err != nil {
		return "gone"
	}
	return st.state
}

func zombie(tid int) bool {
	s := taskState(tid)
	return s == "Z" || s == "X" || s == "gone"
}
