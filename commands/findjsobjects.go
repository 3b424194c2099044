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

// LiveCensusOf returns the census restricted to the objects a root
// reaches (the default of ::findjsobjects), computed once per session.
func LiveCensusOf(inv *Invocation) (*heap.Census, *heap.Graph, error) {
	g, err := GraphOf(inv)
	if err != nil {
		return nil, nil, err
	}
	v, err := inv.Session.Cached("heap-census-live", func() (any, error) { return g.C.WithoutGarbage(g), nil })
	if err != nil {
		return nil, nil, err
	}
	return v.(*heap.Census), g, nil
}

func init() {
	Register(&Command{
		Name:     "findjsobjects",
		Synopsis: "[ADDR]::findjsobjects [-almrsv] [-c NAME | -p PROP | -k KIND]",
		Summary:  "heap census: JavaScript objects grouped by constructor and properties",
		Opts:     "almrsvc:p:k:",
		Addr:     AddrOptional,
		Help: `Enumerates every object of the V8 heap (walking the heap pages; see
docs/heap.md) and groups them by kind, constructor and ordered property names.
Constructors are named as V8's heap snapshot (Chrome DevTools) names them:
subclasses by their own class (AdminSession, not Session), Node's Buffers
Buffer. Closures are grouped by function name and own properties (f.__id = 1
makes its own group), strings together. The census is computed once per
session.

By default only live objects are counted: those a root reaches (this builds
the reference graph of ::findjsrefs once per session). A last line gives the
total of the unreachable objects (garbage), which -a counts too; every
representative is a live object.

Without options it prints one line per group, smallest counts first:
  OBJECT #OBJECTS #PROPS BYTES [RETAINED] CONSTRUCTOR: PROPS
where OBJECT is a representative instance and BYTES the total shallow size.

  -a       all objects, reachable or not: no reference graph (the fast census)
  -r       a RETAINED column: the bytes the group keeps alive, the union of
           what its objects dominate, nothing counted twice (builds the
           dominator tree of ::jsretained once per session)
  -s       sort by total shallow size (by retained size with -r)
  -m       include V8-internal kinds (maps, fixed arrays, code...)
  -c NAME  print the representatives of the groups named NAME: objects by
           constructor, closures by function name
  -p PROP  print the representatives of the groups that have own property
           PROP (objects, and functions given that property)
  -k KIND  groups of one kind: object, array, closure, string, internal,
           dict (dictionary-mode properties), fast (fast-mode properties)
  -l       list the constructors, one per line, with their counts
  -v       statistics of the census (pages, objects, skipped bytes, time)
           and the objects no root reaches (garbage)

ADDR::findjsobjects prints every instance of the group of the object at ADDR
(any member; live ones only unless -a), one address per line, so
  ::findjsobjects -c Foo | ::findjsobjects | ::jsprint
prints every Foo.`,
		JSON: `The census: one record per group, then, unless -a, one record of what no
root reaches. Listings: one address per record. -l: one record per
constructor. -v: one record of statistics.`,
		Record: Alternatives{
			{When: "a group of the census", Record: censusGroup{}},
			{When: "the census's last record (what no root reaches; not with -a)", Record: censusUnreachable{}},
			{When: "a listing (-c, -p, ADDR::findjsobjects)", Record: addrRecord{}},
			{When: "-l", Record: constructorCount{}},
			{When: "-v", Record: censusStats{}},
		},
		Run: runFindJSObjects,
	})
}

// censusGroup is one line of the census in JSON.
type censusGroup struct {
	Representative string   `json:"representative" doc:"one object of the group (live unless -a)"`
	Count          int      `json:"count" doc:"objects in the group"`
	Constructor    string   `json:"constructor" doc:"the constructor name, as V8's heap snapshot names it"`
	Kind           string   `json:"kind" doc:"object, array, closure, string or internal"`
	Properties     []string `json:"properties" doc:"the group's ordered property names"`
	ShallowBytes   uint64   `json:"shallow_bytes" doc:"the group's total shallow size"`
	RetainedBytes  *uint64  `json:"retained_bytes,omitempty" doc:"with -r: what the group keeps alive, nothing counted twice"`
}

// censusUnreachable is the last record of a live census in JSON.
type censusUnreachable struct {
	UnreachableObjects int    `json:"unreachable_objects" doc:"objects no root reaches, left out of the groups"`
	UnreachableBytes   uint64 `json:"unreachable_bytes" doc:"their total shallow size"`
}

// addrRecord is the record of a listing of addresses.
type addrRecord struct {
	Addr string `json:"addr" doc:"an address"`
}

type constructorCount struct {
	Constructor string `json:"constructor" doc:"a constructor name"`
	Count       int    `json:"count" doc:"its objects"`
}

// censusStats is the record of -v: how the census went (fields in the
// order of their JSON names, as the record has always printed them).
type censusStats struct {
	Bytes          uint64         `json:"bytes" doc:"their total size"`
	Closures       int            `json:"closures" doc:"closures"`
	CodePages      int            `json:"code_pages" doc:"code pages, not walked"`
	GarbageBytes   uint64         `json:"garbage_bytes" doc:"their total size"`
	GarbageObjects int            `json:"garbage_objects" doc:"objects no root reaches"`
	Groups         int            `json:"groups" doc:"groups of the census"`
	Internal       int            `json:"internal" doc:"V8-internal objects"`
	JSObjects      int            `json:"js_objects" doc:"JavaScript objects"`
	LargePages     int            `json:"large_pages" doc:"pages of one large object"`
	Maps           int            `json:"maps" doc:"maps"`
	Objects        int            `json:"objects" doc:"heap objects"`
	Pages          int            `json:"pages" doc:"heap pages walked"`
	PagesBy        map[string]int `json:"pages_by" doc:"how each page's area was found"`
	Roots          int            `json:"roots" doc:"roots the reachability started from"`
	Seconds        float64        `json:"seconds" doc:"time the census took"`
	SkippedBytes   uint64         `json:"skipped_bytes" doc:"bytes of heap areas that could not be parsed"`
	Strings        int            `json:"strings" doc:"strings"`
	TruncatedBytes uint64         `json:"truncated_bytes" doc:"bytes of heap areas the core does not hold"`
	Workers        int            `json:"workers" doc:"workers that walked the pages"`
}

func runFindJSObjects(inv *Invocation) error {
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
	if inv.Flag('a') && inv.Flag('r') {
		return fmt.Errorf("-a and -r are exclusive: retained sizes are those of live objects")
	}
	all, err := CensusOf(inv)
	if err != nil {
		return err
	}
	if inv.Flag('v') {
		return printCensusStats(inv, all)
	}
	c, g := all, (*heap.Graph)(nil)
	if !inv.Flag('a') {
		if c, g, err = LiveCensusOf(inv); err != nil {
			return err
		}
	}
	if inv.HasAddr {
		return printInstances(inv, all, g)
	}
	groups := selectGroups(inv, c)
	if inv.Flag('l') {
		return printConstructorCounts(inv, groups)
	}
	if nsel == 1 {
		for _, gr := range groups {
			if inv.JSON {
				if err := inv.JSONLine(newCensusGroup(gr, nil)); err != nil {
					return err
				}
				continue
			}
			inv.Printf("%x\n", gr.Rep|1)
		}
		return nil
	}
	var retained map[string]uint64
	if inv.Flag('r') {
		if retained, err = groupsRetained(inv); err != nil {
			return err
		}
	}
	sortGroups(inv, groups, retained)
	if inv.JSON {
		for _, gr := range groups {
			if err := inv.JSONLine(newCensusGroup(gr, retained)); err != nil {
				return err
			}
		}
		if g != nil {
			return inv.JSONLine(censusUnreachable{UnreachableObjects: g.Garbage, UnreachableBytes: g.GarbageBytes})
		}
		return nil
	}
	if !inv.Piped {
		if retained != nil {
			inv.Printf("%16s %8s %6s %10s %10s %s\n", "OBJECT", "#OBJECTS", "#PROPS", "BYTES", "RETAINED", "CONSTRUCTOR: PROPS")
		} else {
			inv.Printf("%16s %8s %6s %10s %s\n", "OBJECT", "#OBJECTS", "#PROPS", "BYTES", "CONSTRUCTOR: PROPS")
		}
	}
	for _, gr := range groups {
		line := gr.Label()
		if len(gr.Props) > 0 {
			line += ": " + strings.Join(gr.Props, ", ")
		}
		if retained != nil {
			inv.Printf("%16x %8d %6d %10d %10d %s\n", gr.Rep|1, gr.Count, len(gr.Props), gr.Bytes, retained[gr.Key], Truncate(line, 200))
			continue
		}
		inv.Printf("%16x %8d %6d %10d %s\n", gr.Rep|1, gr.Count, len(gr.Props), gr.Bytes, Truncate(line, 200))
	}
	if g != nil && !inv.Piped {
		inv.Printf("unreachable (garbage, not counted above): %d objects (%s); -a counts them\n", g.Garbage, humanBytes(g.GarbageBytes))
	}
	return nil
}

// groupsRetained is the retained size of every group, by group key.
func groupsRetained(inv *Invocation) (map[string]uint64, error) {
	_, d, err := DominatorsOf(inv)
	if err != nil {
		return nil, err
	}
	v, err := inv.Session.Cached("heap-groups-retained", func() (any, error) {
		by, err := d.GroupsRetained(inv.Ctx)
		if err != nil {
			return nil, err
		}
		out := make(map[string]uint64, len(by))
		for gr, r := range by {
			out[gr.Key] = r
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]uint64), nil
}

func sortGroups(inv *Invocation, groups []*heap.Group, retained map[string]uint64) {
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if inv.Flag('s') {
			if retained != nil {
				return retained[a.Key] < retained[b.Key]
			}
			return a.Bytes < b.Bytes
		}
		if a.Count != b.Count {
			return a.Count < b.Count
		}
		return len(a.Props) < len(b.Props)
	})
}

// printInstances lists the instances of the group of the object at the
// address: the live ones when g is given.
func printInstances(inv *Invocation, c *heap.Census, g *heap.Graph) error {
	gr := c.GroupOf(inv.Addr &^ 7)
	if gr == nil {
		return fmt.Errorf("%#x is not a JavaScript object the census found", inv.Addr)
	}
	for _, a := range c.Instances(gr) {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		if g != nil {
			if i, ok := c.ObjectAt(a); !ok || !g.IsLive(i) {
				continue
			}
		}
		if inv.JSON {
			if err := inv.JSONLine(addrRecord{Hex(a | 1)}); err != nil {
				return err
			}
			continue
		}
		inv.Printf("%x\n", a|1)
	}
	return nil
}

func printConstructorCounts(inv *Invocation, groups []*heap.Group) error {
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
			if err := inv.JSONLine(constructorCount{n, counts[n]}); err != nil {
				return err
			}
			continue
		}
		inv.Printf("%8d %s\n", counts[n], n)
	}
	return nil
}

func newCensusGroup(g *heap.Group, retained map[string]uint64) censusGroup {
	props := g.Props
	if props == nil {
		props = []string{}
	}
	out := censusGroup{Representative: Hex(g.Rep | 1), Count: g.Count, Constructor: g.Constructor,
		Kind: g.Kind.String(), Properties: props, ShallowBytes: g.Bytes}
	if retained != nil {
		r := retained[g.Key]
		out.RetainedBytes = &r
	}
	return out
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
		if byCtor && g.Constructor != ctor {
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
		return inv.JSONLine(censusStats{Pages: s.Pages, PagesBy: s.PagesBy, LargePages: s.LargePages,
			CodePages: s.CodePages, Objects: s.Objects, Bytes: s.Bytes, Maps: s.Maps,
			JSObjects: s.JSObjects, Closures: s.Closures, Strings: s.Strings, Internal: s.InternalObjs,
			SkippedBytes: s.Skipped, TruncatedBytes: s.Truncated, Groups: len(c.Groups),
			Seconds: s.Elapsed.Seconds(), Workers: s.Workers,
			GarbageObjects: g.Garbage, GarbageBytes: g.GarbageBytes, Roots: g.NumRoots})
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
