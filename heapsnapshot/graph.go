package heapsnapshot

import (
	"context"
	"runtime"
	"strings"
	"sync"

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
	out  sink
	seen []uint32 // targets given a named edge by the current object (up to maxSeen)
	lost bool     // more named edges than maxSeen

	dataWord uint32 // the first element word of a FixedArray

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
	m := &mapper{g: g, c: c, h: c.Heap(), out: w, dataWord: uint32(l.FixedArray.Data / 8), shared: l.JSFunction.Shared, context: l.JSFunction.Context,
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
	return ex, m.writeObjects(ctx, w, opt.Progress)
}

// sink takes a node's edges, then the node.
type sink interface {
	Edge(e Edge)
	EndNode(n Node)
}

// pageNodes is one page's nodes and edges, made by a worker for the
// writer, which takes the pages in order.
type pageNodes struct {
	nodes []Node
	nedge []int
	edges []Edge
	ready chan struct{}
}

func (pn *pageNodes) Edge(e Edge) { pn.edges = append(pn.edges, e) }

func (pn *pageNodes) EndNode(n Node) {
	pn.nodes = append(pn.nodes, n)
	pn.nedge = append(pn.nedge, len(pn.edges))
}

// writeTo hands the page to the writer.
func (pn *pageNodes) writeTo(w *Writer) {
	e := 0
	for k, n := range pn.nodes {
		for ; e < pn.nedge[k]; e++ {
			w.Edge(pn.edges[e])
		}
		w.EndNode(n)
	}
}

// writeObjects maps the pages on all CPUs, a few pages ahead of the
// writer, which writes them in order. A large page (one object, maybe of
// millions of references) is mapped by the writer itself, straight to
// the file.
func (m *mapper) writeObjects(ctx context.Context, w *Writer, progress func(done, total int)) error {
	sc := m.c.NewPageScanner()
	defer sc.Close()
	workers := max(1, runtime.GOMAXPROCS(0))
	n := m.c.NumPages()
	queue := make(chan *pageNodes, 2*workers)
	sem := make(chan struct{}, workers)
	stop := make(chan struct{})
	// On an early return: stop the feeder, then wait for the workers.
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(queue)
		for p := 0; p < n; p++ {
			pn := &pageNodes{ready: make(chan struct{})}
			if sc.Large(p) {
				close(pn.ready) // nodes == nil: the writer maps it
			} else {
				select {
				case sem <- struct{}{}:
				case <-stop:
					return
				}
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					defer func() { <-sem; close(pn.ready) }()
					var buf []byte
					wm := m.worker(pn)
					sc.Scan(p, &buf, wm.object)
				}(p)
			}
			select {
			case queue <- pn:
			case <-stop:
				return
			}
		}
	}()
	p := 0
	var buf []byte
	for pn := range queue {
		<-pn.ready
		if err := ctx.Err(); err != nil {
			return err
		}
		if sc.Large(p) {
			sc.Scan(p, &buf, m.worker(w).object)
		} else {
			pn.writeTo(w)
		}
		p++
		if progress != nil {
			progress(p, n)
		}
	}
	return nil
}

// worker is a copy of m writing to out.
func (m *mapper) worker(out sink) *mapper {
	wm := *m
	wm.out, wm.seen, wm.lost = out, nil, false
	return &wm
}

// object maps object i.
func (m *mapper) object(i uint32, slots []heap.Slot) {
	if m.ord[i] == none {
		return
	}
	n := m.node(i)
	m.edges(i, n.Type, slots)
	m.out.EndNode(n)
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
		// The census's group name: V8's, object by object where an own
		// Symbol.toStringTag may rename one.
		n.Type, n.Name = NodeObject, m.g.Name(i)
		if gr := m.c.GroupOf(a); gr != nil {
			n.Name = gr.Constructor
		}
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

// maxSeen bounds the named targets remembered per object, against which
// its raw slots are checked: beyond it, slots are written even when a
// named edge leads to the same object (a search per slot would be
// quadratic).
const maxSeen = 64

// maxFlatElements is the most elements written as element edges of the
// JS object itself, as V8 does; a bigger store has them as its own element
// edges, so that no object's edges are held in memory at once.
const maxFlatElements = 4096

// edges writes object i's references: named ones first, then the rest of
// its slots.
func (m *mapper) edges(i uint32, typ NodeType, slots []heap.Slot) {
	m.seen, m.lost = m.seen[:0], false
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
	for _, s := range slots {
		to := m.ord[s.To]
		if to == none || m.covered(s.To) {
			continue
		}
		e := Edge{Type: EdgeHidden, Index: uint64(s.Word), To: to}
		if name := m.slotName(kind, s.Word); name != "" {
			e = Edge{Type: EdgeInternal, Name: name, To: to}
		} else if typ == NodeArray && s.Word >= m.dataWord {
			e = Edge{Type: EdgeElement, Index: uint64(s.Word - m.dataWord), To: to}
		}
		m.out.Edge(e)
	}
}

// namedEdges writes a JS object's properties and elements.
func (m *mapper) namedEdges(v object.Value) {
	if props, err := m.h.Properties(v); err == nil {
		for _, p := range props {
			if !p.Native && !p.Accessor {
				m.add(Edge{Type: EdgeProperty, Name: p.Name}, p.Value)
			}
		}
	}
	if els, err := m.h.Elements(v, -1, maxFlatElements); err == nil && !els.Truncated {
		for _, e := range els.Elements {
			if !e.IsDouble && !e.Hole {
				m.add(Edge{Type: EdgeElement, Index: uint64(e.Index)}, e.Value)
			}
		}
	}
}

// add writes edge e to the object val when val is a node.
func (m *mapper) add(e Edge, val object.Value) {
	if !m.h.IsHeapObject(val) {
		return
	}
	j, ok := m.c.ObjectAt(uint64(val) &^ 7)
	if !ok || m.ord[j] == none {
		return
	}
	e.To = m.ord[j]
	m.out.Edge(e)
	if len(m.seen) < maxSeen {
		m.seen = append(m.seen, j)
	} else {
		m.lost = true
	}
}

// covered reports whether a named edge already leads to object j (V8 does
// not repeat a field it has named).
func (m *mapper) covered(j uint32) bool {
	if m.lost {
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
