// Package heapsnapshot writes V8's heap snapshot JSON format, the one
// v8.writeHeapSnapshot writes and Chrome DevTools' Memory tab and memlab
// read. It knows the format only: nodes, edges, the strings table and
// locations; what the nodes are is the caller's (see graph.go for ndb's
// object graph).
//
// The JSON is streamed: nodes, edges and strings go to temporary files as
// they come, and Finish puts them together behind the header (which holds
// the counts V8 writes first). Memory holds one hash per distinct string,
// not the JSON.
package heapsnapshot

// NodeType is a node's type, as V8's HeapEntry::Type numbers them.
type NodeType int

const (
	NodeHidden NodeType = iota
	NodeArray
	NodeString
	NodeObject
	NodeCode
	NodeClosure
	NodeRegExp
	NodeNumber
	NodeNative
	NodeSynthetic
	NodeConsString
	NodeSlicedString
	NodeSymbol
	NodeBigInt
	NodeObjectShape
)

// nodeTypeNames are the names snapshot.meta.node_types lists, in V8's order.
var nodeTypeNames = []string{"hidden", "array", "string", "object", "code", "closure", "regexp", "number",
	"native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape"}

func (t NodeType) String() string {
	if t >= 0 && int(t) < len(nodeTypeNames) {
		return nodeTypeNames[t]
	}
	return "?"
}

// EdgeType is an edge's type, as V8's HeapGraphEdge::Type numbers them.
type EdgeType int

const (
	EdgeContext  EdgeType = iota // a context variable, by name
	EdgeElement                  // an array element, by index
	EdgeProperty                 // a named property
	EdgeInternal                 // a V8-internal field, by name
	EdgeHidden                   // a V8-internal slot, by index
	EdgeShortcut                 // a path shortened by V8 (the root's user roots)
	EdgeWeak                     // a weak reference, by index
)

var edgeTypeNames = []string{"context", "element", "property", "internal", "hidden", "shortcut", "weak"}

func (t EdgeType) String() string {
	if t >= 0 && int(t) < len(edgeTypeNames) {
		return edgeTypeNames[t]
	}
	return "?"
}

// indexed reports whether an edge of this type is named by a number
// (name_or_index holds the index) rather than a string.
func (t EdgeType) indexed() bool { return t == EdgeElement || t == EdgeHidden || t == EdgeWeak }

// Node is one node. Its edges follow it (see Writer.Node).
type Node struct {
	Type     NodeType
	Name     string
	ID       uint64 // unique; V8 gives objects odd ids and synthetic roots small ones
	SelfSize uint64
}

// Edge is one edge of the node it follows. Element, hidden and weak edges
// are named by Index, the others by Name.
type Edge struct {
	Type  EdgeType
	Name  string
	Index uint64
	To    uint32 // the target's node ordinal (its position among the nodes)
}

// nodeFields and edgeFields are the per-node and per-edge fields, in order.
var (
	nodeFields = []string{"type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"}
	edgeFields = []string{"type", "name_or_index", "to_node"}
)
