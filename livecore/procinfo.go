package livecore

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// stat is what NT_PRSTATUS and NT_PRPSINFO take from /proc/PID/stat (proc(5)).
type stat struct {
	comm                         string
	state                        string
	ppid, pgrp, sid              int
	flags                        uint64
	utime, stime, cutime, cstime uint64 // clock ticks
	nice                         int
}

func readStat(path string) (stat, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return stat{}, err
	}
	// The command name sits in parentheses and may itself hold spaces and parentheses.
	open, close := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return stat{}, fmt.Errorf("%s: unexpected format", path)
	}
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 17 {
		return stat{}, fmt.Errorf("%s: unexpected format", path)
	}
	num := func(i int) uint64 { v, _ := strconv.ParseInt(f[i], 10, 64); return uint64(v) }
	// f[0] is field 3 of proc(5).
	return stat{
		comm: string(b[open+1 : close]), state: f[0],
		ppid: int(num(1)), pgrp: int(num(2)), sid: int(num(3)), flags: num(6),
		utime: num(11), stime: num(12), cutime: num(13), cstime: num(14),
		nice: int(int64(num(16))),
	}, nil
}

// status holds the fields of /proc/PID/status that ndb uses.
type status struct {
	uid, gid       int // real ids
	tracerPid      int
	sigPnd, sigBlk uint64
}

func readStatus(path string) (status, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return status{}, err
	}
	var s status
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		switch k {
		case "Uid":
			s.uid, _ = strconv.Atoi(f[0])
		case "Gid":
			s.gid, _ = strconv.Atoi(f[0])
		case "TracerPid":
			s.tracerPid, _ = strconv.Atoi(f[0])
		case "SigPnd":
			s.sigPnd, _ = strconv.ParseUint(f[0], 16, 64)
		case "SigBlk":
			s.sigBlk, _ = strconv.ParseUint(f[0], 16, 64)
		}
	}
	return s, nil
}

// process is what the notes say about the whole process.
type process struct {
	pid     int
	stat    stat
	status  status
	cmdline []byte // NUL-separated
	auxv    []byte
}

func readProcess(pid int) (*process, error) {
	dir := fmt.Sprintf("/proc/%d/", pid)
	p := &process{pid: pid}
	var err error
	if p.stat, err = readStat(dir + "stat"); err != nil {
		return nil, err
	}
	if p.status, err = readStatus(dir + "status"); err != nil {
		return nil, err
	}
	if p.cmdline, err = os.ReadFile(dir + "cmdline"); err != nil {
		return nil, err
	}
	if p.auxv, err = os.ReadFile(dir + "auxv"); err != nil {
		return nil, err
	}
	return p, nil
}
