// Package commands holds ndb's dcmds, one file each, registered in one
// table. Adding a dcmd is adding a file that calls Register from init.
package commands

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/progress"
	"github.com/ndb-debugger/ndb/target"
	"github.com/ndb-debugger/ndb/v8/layout"
)

// AddrMode says whether a dcmd takes an address (ADDR::dcmd).
type AddrMode int

const (
	AddrNone     AddrMode = iota // ::dcmd only
	AddrOptional                 // either form
	AddrRequired                 // ADDR::dcmd only
)

// Command is one dcmd.
type Command struct {
	Name     string
	Aliases  []string
	Synopsis string // e.g. "ADDR::jsprint [-a] [-d DEPTH] [MEMBER]"
	Summary  string // one line for ::dcmds
	Help     string // the body of ::help NAME
	JSON     string // what --json prints, for ::help
	// Record is a zero value of the --json record type; ::help lists its
	// fields from the type (see record.go).
	Record any
	// Opts is a getopt spec: letters are boolean flags, a letter followed
	// by ':' takes a value ("avd:N:").
	Opts string
	Addr AddrMode
	Run  func(inv *Invocation) error
}

var (
	tableMu sync.RWMutex
	table   = map[string]*Command{}
)

// Register adds a dcmd to the table; it panics on a duplicate name, which
// is a programming error found by any test.
func Register(c *Command) {
	tableMu.Lock()
	defer tableMu.Unlock()
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		if _, dup := table[n]; dup {
			panic("dcmd registered twice: " + n)
		}
		table[n] = c
	}
}

// Lookup finds a dcmd by name or alias.
func Lookup(name string) *Command {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return table[name]
}

// All returns every dcmd once, sorted by name.
func All() []*Command {
	tableMu.RLock()
	defer tableMu.RUnlock()
	seen := map[*Command]bool{}
	var out []*Command
	for _, c := range table {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns every dcmd name and alias (for completion).
func Names() []string {
	tableMu.RLock()
	defer tableMu.RUnlock()
	var out []string
	for n := range table {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Session is what every dcmd works on: one opened core (or bundle).
type Session struct {
	Proc *elfcore.Process
	Meta *layout.Metadata

	mu    sync.Mutex
	cache map[string]any
}

// NewSession makes a session for an opened process.
func NewSession(p *elfcore.Process, m *layout.Metadata) *Session {
	return &Session{Proc: p, Meta: m, cache: map[string]any{}}
}

// OpenSession opens a core or a bundle (see target.Open) into a session.
func OpenSession(path string, opts elfcore.Options) (*Session, error) {
	t, err := target.Open(path, opts)
	if err != nil {
		return nil, err
	}
	return NewSession(t.Proc, t.Meta), nil
}

// Cached returns the value stored under key, computing it once with make.
// A failed or cancelled computation is not stored.
func (s *Session) Cached(key string, make func() (any, error)) (any, error) {
	s.mu.Lock()
	if v, ok := s.cache[key]; ok {
		s.mu.Unlock()
		return v, nil
	}
	s.mu.Unlock()
	v, err := make()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[key] = v
	s.mu.Unlock()
	return v, nil
}

// Invocation is one run of a dcmd.
type Invocation struct {
	Ctx     context.Context
	Session *Session
	Cmd     *Command
	Addr    uint64
	HasAddr bool
	Args    []string // positional arguments after the options
	Out     io.Writer
	Warn    io.Writer // notes and warnings (stderr)
	JSON    bool      // print JSON lines
	Piped   bool      // output feeds another dcmd: print addresses first
	Color   bool      // stdout is a colour terminal
	// Progress shows long work to a person at a terminal; nil shows
	// nothing. Start tasks with progress.Start(inv.Progress, ...).
	Progress progress.Reporter

	flags map[byte]string
}

// Flag reports whether a boolean option was given.
func (inv *Invocation) Flag(c byte) bool { _, ok := inv.flags[c]; return ok }

// Opt returns an option's value and whether it was given.
func (inv *Invocation) Opt(c byte) (string, bool) { v, ok := inv.flags[c]; return v, ok }

// IntOpt returns an integer option's value, or def when absent. Every
// numeric option is a count, depth or size: a negative one is refused.
func (inv *Invocation) IntOpt(c byte, def int) (int, error) {
	v, ok := inv.flags[c]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 0, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("option -%c wants a number from 0 to %d, not %q", c, math.MaxInt32, Truncate(v, 64))
	}
	return int(n), nil
}

// Printf writes to the dcmd's output.
func (inv *Invocation) Printf(format string, args ...any) { fmt.Fprintf(inv.Out, format, args...) }

// Cancelled returns the context's error when the user pressed Ctrl-C.
func (inv *Invocation) Cancelled() error { return inv.Ctx.Err() }

// ParseArgs splits args into options (per the getopt spec) and positional
// arguments. Options come first; "--" ends them.
func ParseArgs(spec string, args []string) (map[byte]string, []string, error) {
	flags := map[byte]string{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a) {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				return nil, nil, fmt.Errorf("unknown option -%c", c)
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				if j+1 < len(a) {
					flags[c] = a[j+1:]
				} else if i+1 < len(args) {
					i++
					flags[c] = args[i]
				} else {
					return nil, nil, fmt.Errorf("option -%c needs a value", c)
				}
				break
			}
			flags[c] = ""
		}
	}
	return flags, args[i:], nil
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// NewInvocation prepares a run of c with parsed options.
func NewInvocation(ctx context.Context, s *Session, c *Command, args []string) (*Invocation, error) {
	flags, rest, err := ParseArgs(c.Opts, args)
	if err != nil {
		return nil, err
	}
	return &Invocation{Ctx: ctx, Session: s, Cmd: c, Args: rest, flags: flags, Out: io.Discard, Warn: io.Discard}, nil
}

// Run runs the dcmd, turning a panic into an internal error of that dcmd so
// the session goes on.
func (inv *Invocation) Run() (err error) {
	c := inv.Cmd
	switch {
	case c.Addr == AddrRequired && !inv.HasAddr:
		return fmt.Errorf("needs an address: %s", c.Synopsis)
	case c.Addr == AddrNone && inv.HasAddr:
		return fmt.Errorf("takes no address: %s", c.Synopsis)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report): %v", r)
		}
	}()
	return c.Run(inv)
}

// Inputs are the files the session reads (the core or bundle and the
// executable): outputs never replace them.
func (s *Session) Inputs() []string {
	var in []string
	for _, p := range []string{s.Proc.CorePath, s.Proc.ExePath} {
		if p != "" {
			in = append(in, p)
		}
	}
	return in
}
