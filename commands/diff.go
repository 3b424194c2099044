package commands

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/heap"
)

func init() {
	Register(&Command{
		Name:     "diff",
		Synopsis: "::diff [-am] OTHER_CORE",
		Summary:  "compare this core's heap census with another core of the same program",
		Opts:     "am",
		Addr:     AddrNone,
		Help: `Compares the heap census of this core (the new one) with OTHER_CORE (the old
one: an earlier core of the same program, opened with the same executable).
Groups match by kind, constructor and ordered property names; objects
unreachable from any root (garbage) are left out of both. One line per group
whose count or size changed, largest growth first:
  OLD NEW DELTA BYTES_DELTA ADDR CONSTRUCTOR: PROPS
ADDR is one live object of the group in this core, for the next command
(ADDR::jsroots, ADDR::jsretained); "-" when the group is gone. -a prints
unchanged groups too; -m includes V8-internal kinds. A warning says when the
two cores come from different executables or processes: groups then match
by name only. The same as "ndb diff OLD NEW" from the shell.`,
		JSON:   "One object per group.",
		Record: diffRecord{},
		Run: func(inv *Invocation) error {
			if len(inv.Args) != 1 {
				return fmt.Errorf("usage: %s", inv.Cmd.Synopsis)
			}
			old, err := OpenSession(inv.Args[0], elfcore.Options{Exe: inv.Session.Proc.ExePath})
			if err != nil {
				return err
			}
			defer old.Proc.Close()
			for _, w := range DiffWarnings(old, inv.Session) {
				fmt.Fprintf(inv.Warn, "ndb: diff: warning: %s\n", w)
			}
			rows, err := DiffSessions(inv.Ctx, old, inv.Session, inv.Flag('a'))
			if err != nil {
				return err
			}
			return WriteDiff(inv.Out, rows, inv.JSON, inv.Flag('m'))
		},
	})
}

// liveCensus is a session's census without garbage.
func liveCensus(ctx context.Context, s *Session) (*heap.Census, error) {
	inv := &Invocation{Ctx: ctx, Session: s, Warn: io.Discard, Out: io.Discard}
	c, err := CensusOf(inv)
	if err != nil {
		return nil, err
	}
	g, err := GraphOf(inv)
	if err != nil {
		return nil, err
	}
	return c.WithoutGarbage(g), nil
}

// DiffSessions compares the live heap censuses of two cores.
func DiffSessions(ctx context.Context, old, new *Session, all bool) ([]heap.DiffRow, error) {
	oc, err := liveCensus(ctx, old)
	if err != nil {
		return nil, fmt.Errorf("old core: %v", err)
	}
	nc, err := liveCensus(ctx, new)
	if err != nil {
		return nil, fmt.Errorf("new core: %v", err)
	}
	return heap.Diff(oc, nc, all), nil
}

// DiffWarnings says what makes two cores a doubtful pair to compare: a
// different executable (its build-id) or a different process (its pid).
func DiffWarnings(old, new *Session) []string {
	var out []string
	o, n := old.Proc, new.Proc
	if o.CoreBuildID != "" && n.CoreBuildID != "" && o.CoreBuildID != n.CoreBuildID {
		out = append(out, fmt.Sprintf("the cores come from different executables (build-id %s, then %s): groups match by name only", o.CoreBuildID, n.CoreBuildID))
	}
	if o.Info.PID != 0 && n.Info.PID != 0 && o.Info.PID != n.Info.PID {
		out = append(out, fmt.Sprintf("the cores come from different processes (pid %d, then %d): the difference is between two runs, not growth of one", o.Info.PID, n.Info.PID))
	}
	return out
}

// WriteDiff prints diff rows as ::diff does.
func WriteDiff(w io.Writer, rows []heap.DiffRow, asJSON, internal bool) error {
	inv := &Invocation{Out: w}
	if !asJSON {
		fmt.Fprintf(w, "%8s %8s %8s %12s %-14s %s\n", "OLD", "NEW", "DELTA", "BYTES_DELTA", "ADDR", "CONSTRUCTOR: PROPS")
	}
	for _, r := range rows {
		if r.Kind == heap.KindInternal && !internal {
			continue
		}
		props := r.Props
		if props == nil {
			props = []string{}
		}
		if asJSON {
			rec := diffRecord{BytesDelta: r.BytesDelta, Constructor: r.Constructor, Delta: r.Delta,
				Kind: r.Kind.String(), New: r.New, Old: r.Old, Properties: props}
			if r.Rep != 0 {
				rec.Representative = Hex(r.Rep | 1)
			}
			if err := inv.Emit(rec); err != nil {
				return err
			}
			continue
		}
		line := r.Label
		if len(props) > 0 {
			line += ": " + strings.Join(props, ", ")
		}
		addr := "-"
		if r.Rep != 0 {
			addr = fmt.Sprintf("%x", r.Rep|1)
		}
		fmt.Fprintf(w, "%8d %8d %+8d %+12d %-14s %s\n", r.Old, r.New, r.Delta, r.BytesDelta, addr, Truncate(line, 200))
	}
	return nil
}

type diffRecord struct {
	BytesDelta  int64    `json:"bytes_delta" doc:"the change of the group's shallow bytes"`
	Constructor string   `json:"constructor" doc:"the group's constructor"`
	Delta       int      `json:"delta" doc:"new minus old"`
	Kind        string   `json:"kind" doc:"the group's kind, as ::findjsobjects -k takes it"`
	New         int      `json:"new" doc:"objects of the group in this core"`
	Old         int      `json:"old" doc:"objects of the group in OTHER_CORE"`
	Properties  []string `json:"properties" doc:"the group's ordered property names"`

	Representative string `json:"representative,omitempty" doc:"one live object of the group in this core (absent when the group is gone)"`
}
