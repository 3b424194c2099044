package heapsnapshot

import (
	"context"
	"strings"

	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/v8/object"
)

// Options choose what FromGraph puts in the snapshot.
type Options struct {
	// All keeps the objects no root reaches; V8 leaves them out.
	All bool
	// Progress hears how many heap pages are written.
	Progress func(done, total int)
}

// Extra is what ndb adds to the snapshot header (snapshot.ndb): what is
// missing from it and why.
type Extra struct {
	Producer     string `json:"producer"`
	DamagedAreas int    `json:"damaged_areas"` // heap page areas skipped: unparsable or missing from the core
	SkippedBytes uint64 `json:"skipped_bytes"`
	Unreachable  int    `json:"unreachable_left_out"` // objects no root reaches, not written (without All)
}

// The synthetic nodes, first in the file as in V8's.
const (
	ordRoot = iota
	ordGCRoots
	ordStackRoots
	ordGlobalHandles
	numSynthetic
)

const none = ^uint32(0)

// mapper turns ndb's object graph into nodes and edges.
type mapper struct {
	g    *heap.Graph
	c    *heap.Census
	h    *object.Heap
	ord  []uint32 // node ordinal per object, none when left out
	seen []uint32 // targets given a named edge by the current object
	es   []Edge

	shared, context int64 // JSFunction field offsets (-1 unknown)
	regexp          int
	firstCtx        int
	lastCtx         int
}

// FromGraph writes g's objects and references to w: V8's synthetic roots,
// then one node per object (live ones unless opt.All), each with its
// edges named as V8 names them where ndb can read the name (properties,
// elements, context variables, the map and a JS object's property and
// element stores); other references are hidden edges by word index.
func FromGraph(ctx context.Context, g *heap.Graph, w *Writer, opt Options) (Extra, error) {
	c := g.C
	l := c.Heap().Layout
	m := &mapper{g: g, c: c, h: c.Heap(), shared: l.JSFunction.Shared, context: l.JSFunction.Context,
		regexp: l.Types.JSRegExp, firstCtx: l.Types.FirstContext, lastCtx: l.Types.LastContext}
	n := c.NumObjects()
	m.ord = make([]uint32, n)
	next := uint32(numSynthetic)
	ex := Extra{Producer: "ndb", DamagedAreas: len(c.Skips), SkippedBytes: c.Stats.Skipped + c.Stats.Truncated}
	var globals, stack, native []uint32
	for i := uint32(0); int(i) < n; i++ {
		if !opt.All && !g.IsLive(i) {
			m.ord[i] = none
			ex.Unreachable++
			continue
		}
		m.ord[i] = next
		next++
		switch g.Root(i) {
		case heap.RootGlobal:
			globals = append(globals, i)
		case heap.RootStack:
			stack = append(stack, i)
		case heap.RootNative:
			native = append(native, i)
		}
	}
	m.writeRoots(w, globals, stack, native)
	err := c.ForEachObject(ctx, opt.Progress, func(i uint32, slots []heap.Slot) error {
		if m.ord[i] == none {
			return nil
		}
		w.Node(m.node(i), m.edges(i, slots))
		return nil
	})
	return ex, err
}

func (m *mapper) writeRoots(w *Writer, globals, stack, native []uint32) {
	es := []Edge{{Type: EdgeElement, Index: 1, To: ordGCRoots}}
	for _, i := range globals {
		es = append(es, Edge{Type: EdgeShortcut, Name: "global", To: m.ord[i]})
	}
	w.Node(Node{Type: NodeSynthetic, ID: 1}, es)
	w.Node(Node{Type: NodeSynthetic, Name: "(GC roots)", ID: 3}, []Edge{
		{Type: EdgeElement, Index: 1, To: ordStackRoots},
		{Type: EdgeElement, Index: 2, To: ordGlobalHandles},
	})
	sub := func(objs []uint32) []Edge {
		es := make([]Edge, len(objs))
		for k, i := range objs {
			es[k] = Edge{Type: EdgeElement, Index: uint64(k + 1), To: m.ord[i]}
		}
		return es
	}
	w.Node(Node{Type: NodeSynthetic, Name: "(Stack roots)", ID: 5}, sub(stack))
	w.Node(Node{Type: NodeSynthetic, Name: "(Global handles)", ID: 7}, sub(native))
}

// node names and types object i as V8's HeapSnapshotGenerator does.
func (m *mapper) node(i uint32) Node {
	n := Node{ID: 2*uint64(m.ord[i]) + 1, SelfSize: uint64(m.c.Size(i))}
	a := m.c.Addr(i)
	v := object.Value(a | 1)
	t := m.c.Type(i)
	switch m.c.Kind(i) {
	case heap.KindString:
		n.Type = NodeString
		if sh, err := m.h.StringShape(v); err == nil {
			switch sh.Rep {
			case object.RepCons:
				n.Type = NodeConsString
			case object.RepSliced:
				n.Type = NodeSlicedString
			}
		}
		n.Name, _, _ = m.h.ReadString(v, MaxNameLength)
	case heap.KindFunction:
		n.Type, n.Name = NodeClosure, m.c.FunctionName(a)
	case heap.KindObject, heap.KindArray:
		n.Type, n.Name = NodeObject, m.g.Name(i)
		if t == m.regexp {
			n.Type = NodeRegExp
		}
	default:
		n.Type, n.Name = m.internal(t)
	}
	return n
}

// internal types and names a V8-internal object.
func (m *mapper) internal(t int) (NodeType, string) {
	tn := strings.TrimSuffix(m.h.Meta().TypeName(t), "_TYPE")
	name := camel(tn)
	switch {
	case t >= m.firstCtx && t <= m.lastCtx:
		if tn == "NATIVE_CONTEXT" {
			return NodeHidden, "system / NativeContext"
		}
		return NodeObject, "system / Context"
	}
	switch tn {
	case "MAP", "DESCRIPTOR_ARRAY", "STRONG_DESCRIPTOR_ARRAY":
		return NodeObjectShape, "system / " + name
	case "HEAP_NUMBER":
		return NodeNumber, "heap number"
	case "BIGINT":
		return NodeBigInt, "bigint"
	case "SYMBOL":
		return NodeSymbol, "symbol"
	case "CODE", "BYTECODE_ARRAY", "SHARED_FUNCTION_INFO", "SCRIPT", "INSTRUCTION_STREAM":
		return NodeCode, "system / " + name
	case "FIXED_ARRAY", "FIXED_DOUBLE_ARRAY", "BYTE_ARRAY", "WEAK_FIXED_ARRAY", "PROPERTY_ARRAY", "TRUSTED_FIXED_ARRAY":
		return NodeArray, "(" + name + ")"
	}
	if name == "" {
		name = "Object"
	}
	return NodeHidden, "system / " + name
}

// camel turns FIXED_ARRAY into FixedArray.
func camel(s string) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.ToLower(s), "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// edges are object i's references: named ones first, then the rest of its
// slots.
func (m *mapper) edges(i uint32, slots []heap.Slot) []Edge {
	m.es, m.seen = m.es[:0], m.seen[:0]
	v := object.Value(m.c.Addr(i) | 1)
	kind := m.c.Kind(i)
	t := m.c.Type(i)
	switch {
	case kind == heap.KindObject || kind == heap.KindArray || kind == heap.KindFunction:
		m.namedEdges(v)
	case t >= m.firstCtx && t <= m.lastCtx:
		if vars, _, err := m.h.ContextVariables(v); err == nil {
			for _, cv := range vars {
				m.add(Edge{Type: EdgeContext, Name: cv.Name}, cv.Value)
			}
		}
	}
	named := len(m.es)
	for _, s := range slots {
		to := m.ord[s.To]
		if to == none || m.covered(s.To, named) {
			continue
		}
		e := Edge{Type: EdgeHidden, Index: uint64(s.Word), To: to}
		if name := m.slotName(kind, s.Word); name != "" {
			e = Edge{Type: EdgeInternal, Name: name, To: to}
		}
		m.es = append(m.es, e)
	}
	return m.es
}

// namedEdges adds a JS object's properties and elements.
func (m *mapper) namedEdges(v object.Value) {
	if props, err := m.h.Properties(v); err == nil {
		for _, p := range props {
			if !p.Native && !p.Accessor {
				m.add(Edge{Type: EdgeProperty, Name: p.Name}, p.Value)
			}
		}
	}
	if els, err := m.h.Elements(v, -1, -1); err == nil {
		for _, e := range els.Elements {
			if !e.IsDouble && !e.Hole {
				m.add(Edge{Type: EdgeElement, Index: uint64(e.Index)}, e.Value)
			}
		}
	}
}

// add appends edge e to the object val when val is a node.
func (m *mapper) add(e Edge, val object.Value) {
	if !m.h.IsHeapObject(val) {
		return
	}
	j, ok := m.c.ObjectAt(uint64(val) &^ 7)
	if !ok || m.ord[j] == none {
		return
	}
	e.To = m.ord[j]
	m.es = append(m.es, e)
	m.seen = append(m.seen, j)
}

// covered reports whether a named edge already leads to object j (V8 does
// not repeat a field it has named).
func (m *mapper) covered(j uint32, named int) bool {
	if named > 64 {
		// Big objects: a linear search per slot would be quadratic.
		return false
	}
	for _, s := range m.seen {
		if s == j {
			return true
		}
	}
	return false
}

// slotName names the fields V8's snapshot names internal edges for.
func (m *mapper) slotName(kind heap.Kind, word uint32) string {
	switch {
	case word == 0:
		return "map"
	case kind == heap.KindObject || kind == heap.KindArray || kind == heap.KindFunction:
		switch {
		case word == 1:
			return "properties"
		case word == 2 && kind != heap.KindFunction:
			return "elements"
		case kind == heap.KindFunction && int64(word)*8 == m.shared:
			return "shared"
		case kind == heap.KindFunction && int64(word)*8 == m.context:
			return "context"
		}
	}
	return ""
}
