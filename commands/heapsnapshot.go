package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/heapsnapshot"
	"github.com/ndb-debugger/ndb/internal/progress"
)

// SnapshotResult is what ::heapsnapshot reports, for JSON.
type SnapshotResult struct {
	Path         string `json:"path"`
	Nodes        uint64 `json:"nodes"`
	Edges        uint64 `json:"edges"`
	Unreachable  int    `json:"unreachable_left_out"`
	DamagedAreas int    `json:"damaged_areas"`
}

// WriteHeapSnapshot writes the session's heap to path in V8's
// .heapsnapshot format. The path is checked before any work (inputs are
// the files the session was opened from, never overwritten); the file is
// written with mode 0600 under a temporary name and renamed when
// complete.
func WriteHeapSnapshot(inv *Invocation, path string, inputs []string, all, force bool) (*SnapshotResult, error) {
	out, err := heapsnapshot.Create(path, inputs, force)
	if err != nil {
		return nil, err
	}
	return WriteHeapSnapshotTo(inv, out, all, force)
}

// WriteHeapSnapshotTo is WriteHeapSnapshot to an output already created
// (ndb heapsnapshot creates it before opening the core).
func WriteHeapSnapshotTo(inv *Invocation, out *heapsnapshot.Output, all, force bool) (*SnapshotResult, error) {
	defer out.Abort()
	path := out.Path()
	g, err := GraphOf(inv)
	if err != nil {
		return nil, err
	}
	if n := len(g.C.Skips); n > 0 {
		fmt.Fprintf(inv.Warn, "ndb: heapsnapshot: warning: %d heap areas skipped (%d bytes unparsable or missing from the core; ::findjsobjects -v lists them); the snapshot's header counts them\n",
			n, g.C.Stats.Skipped+g.C.Stats.Truncated)
	}
	w, err := heapsnapshot.NewWriter(out.Dir())
	if err != nil {
		return nil, err
	}
	defer w.Close()
	task := progress.Start(inv.Progress, "heap snapshot")
	ex, err := heapsnapshot.FromGraph(inv.Ctx, g, w, heapsnapshot.Options{All: all, Progress: func(done, total int) {
		task.Update(int64(done), int64(total))
	}})
	task.Done()
	if err != nil {
		return nil, err
	}
	if err := w.Finish(out, ex); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := out.Commit(force); err != nil {
		return nil, err
	}
	nodes, edges := w.Counts()
	return &SnapshotResult{Path: path, Nodes: nodes, Edges: edges, Unreachable: ex.Unreachable, DamagedAreas: ex.DamagedAreas}, nil
}

// Print reports a written snapshot as one line, or a JSON record.
func (r *SnapshotResult) Print(inv *Invocation) error {
	if inv.JSON {
		return inv.JSONLine(r)
	}
	inv.Printf("wrote %s: %d nodes, %d edges", r.Path, r.Nodes, r.Edges)
	if r.Unreachable > 0 {
		inv.Printf(" (%d unreachable objects left out; -a keeps them)", r.Unreachable)
	}
	inv.Printf("\n")
	return nil
}

func init() {
	Register(&Command{
		Name:     "heapsnapshot",
		Synopsis: "::heapsnapshot [-af] FILE",
		Summary:  "write the heap as a V8 .heapsnapshot for Chrome DevTools and memlab",
		Opts:     "af",
		Help: `Writes the heap to FILE in V8's heap snapshot format (what
v8.writeHeapSnapshot writes): open it in Chrome DevTools (Memory tab, Load)
or memlab. Nodes are the objects with V8's types and names, edges their
references with V8's kinds (property, element, context, internal, hidden),
under V8's synthetic roots: (GC roots) with (Stack roots) and (Global
handles), and the global objects. Objects no root reaches are left out
unless -a. FILE must not exist unless -f; it is written with mode 0600 (it
holds the process's memory) under a temporary name, renamed when complete.
See docs/heap.md.`,
		JSON: `{"path", "nodes", "edges", "unreachable_left_out", "damaged_areas"}`,
		Run: func(inv *Invocation) error {
			if len(inv.Args) != 1 {
				return fmt.Errorf("wants one FILE")
			}
			r, err := WriteHeapSnapshot(inv, inv.Args[0], inv.Session.Inputs(), inv.Flag('a'), inv.Flag('f'))
			if err != nil {
				return err
			}
			return r.Print(inv)
		},
	})
}
