package commands

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/internal/progress"
)

// CensusOf returns the session's heap census, computed once, with its
// progress reported to inv.Progress; Ctrl-C cancels it (nothing is cached
// then).
func CensusOf(inv *Invocation) (*heap.Census, error) {
	h, err := HeapOf(inv)
	if err != nil {
		return nil, err
	}
	v, err := inv.Session.Cached("heap-census", func() (any, error) {
		task := progress.Start(inv.Progress, "heap census")
		c, err := heap.Build(inv.Ctx, h, heap.Options{Progress: func(done, total int) {
			task.Update(int64(done), int64(total))
		}})
		task.Done()
		if err != nil {
			if inv.Ctx.Err() != nil {
				return nil, fmt.Errorf("heap census interrupted")
			}
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*heap.Census), nil
}

// GraphOf returns the session's reverse-reference index and reachability,
// built once.
func GraphOf(inv *Invocation) (*heap.Graph, error) {
	c, err := CensusOf(inv)
	if err != nil {
		return nil, err
	}
	v, err := inv.Session.Cached("heap-graph", func() (any, error) {
		task := progress.Start(inv.Progress, "reference graph")
		defer task.Done()
		return heap.BuildGraph(inv.Ctx, c, 0)
	})
	if err != nil {
		return nil, err
	}
	return v.(*heap.Graph), nil
}

func init() {
	Register(&Command{
		Name:     "findjsobjects",
		Synopsis: "[ADDR]::findjsobjects [-lmsv] [-c CONSTRUCTOR | -p PROP | -k KIND]",
		Summary:  "heap census: JavaScript objects grouped by constructor and properties",
		Opts:     "lmsvc:p:k:",
		Addr:     AddrOptional,
		Help: `Enumerates every object of the V8 heap (walking the heap pages; see
docs/heap.md) and groups them by kind, constructor and ordered property names.
Closures are grouped by function name, strings together, arrays under "Array".
The census is computed once per session.

Without options it prints one line per group, smallest counts first:
  OBJECT #OBJECTS #PROPS BYTES CONSTRUCTOR: PROPS
where OBJECT is a representative instance and BYTES the total shallow size.

  -s       sort by total shallow size instead of count
  -m       include V8-internal kinds (maps, fixed arrays, code...)
  -c NAME  print the representatives of the groups with constructor NAME
           (closures named NAME: -k closure -c NAME)
  -p PROP  print the representatives of the groups that have property PROP
  -k KIND  groups of one kind: object, array, closure, string, internal,
           dict (dictionary-mode properties), fast (fast-mode properties)
  -l       list the constructors, one per line, with their counts
  -v       statistics of the census (pages, objects, skipped bytes, time)
           and the objects no root reaches (garbage); this builds the
           reference graph of ::findjsrefs (once per session)

ADDR::findjsobjects prints every instance of the group of the object at ADDR
(any member), one address per line, so
  ::findjsobjects -c Foo | ::findjsobjects | ::jsprint
prints every Foo.`,
		JSON: `Summary: one object per group {"representative", "count", "constructor",
"kind", "properties", "shallow_bytes"}. Listings: {"addr"}. -v: one object of
statistics, with "garbage_objects", "garbage_bytes" and "roots".`,
		Run: runFindJSObjects,
	})
}

func runFindJSObjects(inv *Invocation) error {
	c, err := CensusOf(inv)
	if err != nil {
		return err
	}
	nsel := 0
	for _, o := range []byte("cpk") {
		if _, ok := inv.Opt(o); ok {
			nsel++
		}
	}
	if _, ok := inv.Opt('c'); ok && inv.Flag('k') {
		nsel-- // -k closure -c NAME: closures of one name
	}
	if nsel > 1 {
		return fmt.Errorf("-c, -p and -k are mutually exclusive")
	}
	if inv.HasAddr {
		g := c.GroupOf(inv.Addr &^ 7)
		if g == nil {
			return fmt.Errorf("%#x is not a JavaScript object the census found", inv.Addr)
		}
		for _, a := range c.Instances(g) {
			if err := inv.Cancelled(); err != nil {
				return err
			}
			if inv.JSON {
				if err := inv.JSONLine(map[string]any{"addr": Hex(a | 1)}); err != nil {
					return err
				}
				continue
			}
			inv.Printf("%x\n", a|1)
		}
		return nil
	}
	if inv.Flag('v') {
		return printCensusStats(inv, c)
	}
	groups := selectGroups(inv, c)
	if inv.Flag('l') {
		counts := map[string]int{}
		for _, g := range groups {
			counts[g.Label()] += g.Count
		}
		var names []string
		for n := range counts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if inv.JSON {
				if err := inv.JSONLine(map[string]any{"constructor": n, "count": counts[n]}); err != nil {
					return err
				}
				continue
			}
			inv.Printf("%8d %s\n", counts[n], n)
		}
		return nil
	}
	if nsel == 1 {
		for _, g := range groups {
			if inv.JSON {
				if err := inv.JSONLine(groupJSON(g)); err != nil {
					return err
				}
				continue
			}
			inv.Printf("%x\n", g.Rep|1)
		}
		return nil
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if inv.Flag('s') {
			return a.Bytes < b.Bytes
		}
		if a.Count != b.Count {
			return a.Count < b.Count
		}
		return len(a.Props) < len(b.Props)
	})
	if inv.JSON {
		for _, g := range groups {
			if err := inv.JSONLine(groupJSON(g)); err != nil {
				return err
			}
		}
		return nil
	}
	if !inv.Piped {
		inv.Printf("%16s %8s %6s %10s %s\n", "OBJECT", "#OBJECTS", "#PROPS", "BYTES", "CONSTRUCTOR: PROPS")
	}
	for _, g := range groups {
		line := g.Label()
		if len(g.Props) > 0 {
			line += ": " + strings.Join(g.Props, ", ")
		}
		inv.Printf("%16x %8d %6d %10d %s\n", g.Rep|1, g.Count, len(g.Props), g.Bytes, Truncate(line, 200))
	}
	return nil
}

func groupJSON(g *heap.Group) map[string]any {
	props := g.Props
	if props == nil {
		props = []string{}
	}
	return map[string]any{"representative": Hex(g.Rep | 1), "count": g.Count, "constructor": g.Constructor,
		"kind": g.Kind.String(), "properties": props, "shallow_bytes": g.Bytes}
}

func selectGroups(inv *Invocation, c *heap.Census) []*heap.Group {
	ctor, byCtor := inv.Opt('c')
	prop, byProp := inv.Opt('p')
	kind, byKind := inv.Opt('k')
	var out []*heap.Group
	for _, g := range c.Groups {
		if g.Kind == heap.KindInternal && !inv.Flag('m') && !(byKind && kind == "internal") {
			continue
		}
		if byCtor && (g.Constructor != ctor || g.Kind == heap.KindFunction && !(byKind && kind == "closure")) {
			continue
		}
		if byProp && !contains(g.Props, prop) || byKind && !kindMatches(c, g, kind) {
			continue
		}
		out = append(out, g)
	}
	return out
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func kindMatches(c *heap.Census, g *heap.Group, k string) bool {
	switch k {
	case "dict", "fast":
		if g.Kind != heap.KindObject || g.Count == 0 {
			return false
		}
		mi := c.MapOf(g.Rep)
		return mi != nil && mi.Dict == (k == "dict")
	}
	return g.Kind.String() == k
}

func printCensusStats(inv *Invocation, c *heap.Census) error {
	s := c.Stats
	g, err := GraphOf(inv)
	if err != nil {
		return err
	}
	if inv.JSON {
		return inv.JSONLine(map[string]any{"pages": s.Pages, "pages_by": s.PagesBy, "large_pages": s.LargePages,
			"code_pages": s.CodePages, "objects": s.Objects, "bytes": s.Bytes, "maps": s.Maps,
			"js_objects": s.JSObjects, "closures": s.Closures, "strings": s.Strings, "internal": s.InternalObjs,
			"skipped_bytes": s.Skipped, "truncated_bytes": s.Truncated, "groups": len(c.Groups),
			"seconds": s.Elapsed.Seconds(), "workers": s.Workers,
			"garbage_objects": g.Garbage, "garbage_bytes": g.GarbageBytes, "roots": g.NumRoots})
	}
	inv.Printf("findjsobjects: elapsed time (seconds) => %.3f (%d workers)\n", s.Elapsed.Seconds(), s.Workers)
	inv.Printf("findjsobjects: heap pages => %d (%v; %d large, %d code pages not walked)\n", s.Pages, s.PagesBy, s.LargePages, s.CodePages)
	inv.Printf("findjsobjects: heap objects => %d (%s)\n", s.Objects, humanBytes(s.Bytes))
	inv.Printf("findjsobjects: maps => %d\n", s.Maps)
	inv.Printf("findjsobjects: JavaScript objects => %d\n", s.JSObjects)
	inv.Printf("findjsobjects: closures => %d\n", s.Closures)
	inv.Printf("findjsobjects: strings => %d\n", s.Strings)
	inv.Printf("findjsobjects: internal objects => %d\n", s.InternalObjs)
	inv.Printf("findjsobjects: groups => %d\n", len(c.Groups))
	inv.Printf("findjsobjects: unreachable (garbage) => %d objects (%s); %d roots: %s\n", g.Garbage, humanBytes(g.GarbageBytes),
		g.NumRoots, strings.Join(g.RootKinds, ", "))
	inv.Printf("findjsobjects: skipped (unparsable) => %s in %d places\n", humanBytes(s.Skipped), len(c.Skips))
	if s.Truncated > 0 {
		inv.Printf("findjsobjects: missing from the core => %s\n", humanBytes(s.Truncated))
	}
	for i, sk := range c.Skips {
		if i == 10 {
			inv.Printf("  ... %d more\n", len(c.Skips)-10)
			break
		}
		inv.Printf("  skipped %s at %#x: %s\n", humanBytes(sk.Bytes), sk.Addr, sk.Reason)
	}
	return nil
}

func humanBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
