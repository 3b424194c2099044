package heap

import (
	"fmt"
	"sort"

	"github.com/ndb-debugger/ndb/v8/object"
)

// Ref is one JavaScript-level holder of an object and how it holds it.
type Ref struct {
	Holder      uint64 // untagged address
	Constructor string
	Via         Edge
	Depth       int // 1: direct; more: through V8-internal objects
}

// jsLevel: objects a user knows (not V8 internals or strings).
func jsLevel(k Kind) bool { return k == KindObject || k == KindArray || k == KindFunction }

// Index returns the object index of addr (tagged or not).
func (g *Graph) Index(addr uint64) (uint32, bool) { return g.C.ObjectAt(addr &^ 7) }

// Name describes an object for paths: its constructor, or function name.
func (g *Graph) Name(i uint32) string {
	a := g.C.Addr(i)
	mi := g.C.MapOf(a)
	if mi == nil {
		return "?"
	}
	switch mi.Kind {
	case KindFunction:
		n := g.C.FunctionName(a)
		if n == "" {
			n = "<anonymous>"
		}
		return "function " + n
	case KindString:
		return "(string)"
	case KindInternal:
		return mi.Ctor
	}
	return mi.Ctor
}

// via says how the JS-level object at index i holds target (a tagged
// value), looking through its properties, elements, Map/Set entries and
// closure context; ok is false when it does not.
func (g *Graph) via(h *object.Heap, i uint32, target uint64) (e Edge, ok bool) {
	a := object.Value(g.C.Addr(i) | 1)
	t := object.Value(target)
	if props, err := h.Properties(a); err == nil {
		for _, p := range props {
			switch {
			case p.Value == t && !p.Native:
				return Edge{EdgeProperty, p.Name}, true
			case p.Accessor && p.Getter == t:
				return Edge{EdgeGetter, p.Name}, true
			case p.Accessor && p.Setter == t:
				return Edge{EdgeSetter, p.Name}, true
			}
		}
	}
	if els, err := h.Elements(a, -1, -1); err == nil {
		for _, e := range els.Elements {
			if !e.IsDouble && !e.Hole && e.Value == t {
				return Edge{EdgeElement, fmt.Sprint(e.Index)}, true
			}
		}
	}
	if v, found, ok := collectionVia(h, a, t); ok {
		if found {
			return v, true
		}
	} else if keys, vals, _, err := h.CollectionEntries(a, 1<<20); err == nil {
		for k := range keys {
			if vals != nil && k < len(vals) && vals[k] == t {
				return Edge{EdgeMapEntry, g.keyText(h, keys[k])}, true
			}
			if keys[k] == t {
				if vals == nil || vals[k] == 0 {
					return Edge{Kind: EdgeSetEntry}, true
				}
				return Edge{Kind: EdgeMapKey}, true
			}
		}
	}
	if g.C.Kind(i) == KindFunction {
		if fi, err := h.Function(a); err == nil && fi.Context != 0 {
			if vars, _, err := h.ContextVariables(fi.Context); err == nil {
				for _, v := range vars {
					if v.Value == t {
						return Edge{EdgeContext, v.Name}, true
					}
				}
			}
		}
	}
	return Edge{}, false
}

func (g *Graph) keyText(h *object.Heap, k object.Value) string { return keyText(h, k) }

func keyText(h *object.Heap, k object.Value) string {
	if h.IsSmi(k) {
		return fmt.Sprint(h.SmiValue(k))
	}
	if s, _, err := h.ReadString(k, 80); err == nil {
		return object.QuoteString(s)
	}
	return fmt.Sprintf("%#x", uint64(k))
}

// FindRefs returns the JavaScript-level holders of the object at addr,
// looking through V8-internal objects (property arrays, element stores,
// hash tables, contexts) up to depth levels. Holders that no root reaches
// are left out unless garbage is true.
func (g *Graph) FindRefs(h *object.Heap, addr uint64, depth int, garbage bool) ([]Ref, error) {
	ti, ok := g.Index(addr)
	if !ok {
		return nil, fmt.Errorf("%#x is not the address of an object the census found", addr)
	}
	target := g.C.Addr(ti) | 1
	var out []Ref
	seen := map[uint32]bool{ti: true}
	frontier := []uint32{ti}
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var next []uint32
		for _, x := range frontier {
			for _, hi := range g.Holders(x) {
				if seen[hi] || (!garbage && !g.IsLive(hi)) {
					continue
				}
				seen[hi] = true
				if jsLevel(g.C.Kind(hi)) {
					if v, ok := g.via(h, hi, target); ok {
						out = append(out, Ref{Holder: g.C.Addr(hi), Constructor: g.Name(hi), Via: v, Depth: d})
					} else if d == 1 {
						out = append(out, Ref{Holder: g.C.Addr(hi), Constructor: g.Name(hi), Via: Edge{Kind: EdgeInternalField}, Depth: d})
					}
					continue
				}
				if g.C.Kind(hi) == KindInternal {
					next = append(next, hi)
				}
			}
		}
		frontier = next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Holder < out[j].Holder })
	return out, nil
}

// Step is one hop of a retaining path.
type Step struct {
	Addr        uint64 // untagged
	Constructor string
	Via         Edge // how the previous step holds this one (zero for the root)
}

// Path is a retaining path from a root to an object.
type Path struct {
	Root  RootKind
	Steps []Step
}

// Roots returns the shortest retaining paths (at most max) from a root to
// the object at addr, preferring global objects: it searches backwards
// through the reverse-reference index, first for a global object, then for
// any root. Each step is a JavaScript-level object; V8-internal objects in
// between (property arrays, hash tables, contexts, property cells) are
// folded into the step's "via".
func (g *Graph) RootPaths(h *object.Heap, addr uint64, max int) ([]Path, error) {
	ti, ok := g.Index(addr)
	if !ok {
		return nil, fmt.Errorf("%#x is not the address of an object the census found", addr)
	}
	if !g.IsLive(ti) {
		return nil, fmt.Errorf("%#x is not reachable from any root (garbage)", addr)
	}
	for _, want := range []func(RootKind) bool{
		func(k RootKind) bool { return k == RootGlobal },
		func(k RootKind) bool { return k != RootNone },
	} {
		paths := g.searchRoots(h, ti, want, max)
		if len(paths) > 0 {
			return paths, nil
		}
	}
	return nil, nil
}

func (g *Graph) searchRoots(h *object.Heap, ti uint32, want func(RootKind) bool, max int) []Path {
	// Breadth-first from the target over the holders; child[x] is the
	// object x holds on the way to the target.
	child := map[uint32]uint32{ti: ti}
	frontier := []uint32{ti}
	var found []uint32
	for len(frontier) > 0 && len(found) == 0 {
		var next []uint32
		for _, x := range frontier {
			if want(g.Root(x)) {
				found = append(found, x)
				continue
			}
			for _, hi := range g.Holders(x) {
				if _, ok := child[hi]; ok || !g.IsLive(hi) {
					continue
				}
				child[hi] = x
				next = append(next, hi)
			}
		}
		if len(found) > 0 {
			break
		}
		frontier = next
	}
	var paths []Path
	for _, r := range found {
		if len(paths) == max {
			break
		}
		chain := []uint32{r}
		for x := r; x != ti; {
			x = child[x]
			chain = append(chain, x)
		}
		paths = append(paths, g.namePath(h, g.Root(r), chain))
	}
	return paths
}

// namePath folds a raw chain of objects into JS-level steps.
func (g *Graph) namePath(h *object.Heap, root RootKind, chain []uint32) Path {
	p := Path{Root: root}
	last := -1
	for k, x := range chain {
		if k != 0 && k != len(chain)-1 && !jsLevel(g.C.Kind(x)) {
			continue
		}
		st := Step{Addr: g.C.Addr(x), Constructor: g.Name(x)}
		if last >= 0 {
			v, ok := g.via(h, chain[last], g.C.Addr(x)|1)
			if !ok {
				v = Edge{Kind: EdgeInternal}
			}
			st.Via = v
		}
		p.Steps = append(p.Steps, st)
		last = k
	}
	return p
}

// collectionVia is how a JSMap or JSSet holds t, read in place from its
// table (CollectionEntries would copy a table of millions of entries for
// each query): the same answers, in insertion order, over the same first
// 2^20 live entries. found says t is there; ok is false when the metadata
// lacks the layout.
func collectionVia(h *object.Heap, a, t object.Value) (via Edge, found, ok bool) {
	l := h.Layout
	typ, err := h.InstanceType(a)
	if err != nil {
		return Edge{}, false, true
	}
	mapType, setType := l.Types.JSMap, l.Types.JSSet
	if mapType < 0 || setType < 0 {
		return Edge{}, false, false
	}
	isMap := typ == mapType
	if !isMap && typ != setType {
		return Edge{}, false, true
	}
	tableOff, dataOff := l.JSCollection.Table, l.FixedArray.Data
	start, esize := l.HashTable.OrderedStart, l.HashTable.OrderedSetEntrySize
	if isMap {
		esize = l.HashTable.OrderedMapEntrySize
	}
	if tableOff < 0 || dataOff < 0 || start < 3 || esize < 1 {
		return Edge{}, false, false
	}
	table, err := h.Word(a, tableOff)
	if err != nil {
		return Edge{}, false, true
	}
	n, err := h.FixedArrayLength(table)
	if err != nil || n < int(start) {
		return Edge{}, false, true
	}
	b, err := h.Proc.Slice(h.Untag(table)+uint64(dataOff), uint64(n)*8)
	if err != nil {
		return Edge{}, false, true
	}
	slot := func(i int) object.Value { return object.Value(le.Uint64(b[8*i:])) }
	for i := 0; i < int(start); i++ {
		if w := slot(i); !h.IsSmi(w) || h.SmiValue(w) < 0 {
			return Edge{}, false, true
		}
	}
	nof, nod, nb := int(h.SmiValue(slot(0))), int(h.SmiValue(slot(1))), int(h.SmiValue(slot(2)))
	used := nof + nod
	first := int(start) + nb
	if first+used*int(esize) > n {
		return Edge{}, false, true
	}
	live := 0
	for i := 0; i < used && live < 1<<20; i++ {
		e := first + i*int(esize)
		k := slot(e)
		if h.OddballOf(k) == object.TheHole {
			continue
		}
		live++
		var v object.Value
		if isMap {
			v = slot(e + 1)
			if v == t {
				return Edge{EdgeMapEntry, keyText(h, k)}, true, true
			}
		}
		if k == t {
			if !isMap || v == 0 {
				return Edge{Kind: EdgeSetEntry}, true, true
			}
			return Edge{Kind: EdgeMapKey}, true, true
		}
	}
	return Edge{}, false, true
}
