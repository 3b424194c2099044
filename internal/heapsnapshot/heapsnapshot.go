// Package heapsnapshot reads V8's .heapsnapshot files for the tests: the
// oracle that ndb's heap answers are compared with. It keeps each node's
// type, name and self size and each edge's type, name and target, and
// computes dominators and retained sizes over the edges as DevTools does:
// weak edges do not retain, nor do shortcut edges except from the
// synthetic root (node 0).
package heapsnapshot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/ndb-debugger/ndb/dominator"
)

// Snapshot is a heap snapshot as a graph. Nodes are numbered in file order.
type Snapshot struct {
	Types, Names []string // per node
	Self         []uint64 // per node
	EdgeStart    []uint32 // per node, into the edge arrays; one entry more
	EdgeType     []string
	EdgeName     []string // property name, or element or hidden index as text
	EdgeTo       []uint32
	Tree         *dominator.Tree
	Retained     []uint64
}

type file struct {
	Snapshot struct {
		Meta struct {
			NodeFields []string `json:"node_fields"`
			NodeTypes  []any    `json:"node_types"`
			EdgeFields []string `json:"edge_fields"`
			EdgeTypes  []any    `json:"edge_types"`
		} `json:"meta"`
	} `json:"snapshot"`
	Nodes   []int64  `json:"nodes"`
	Edges   []int64  `json:"edges"`
	Strings []string `json:"strings"`
}

// Read parses a snapshot file and computes its dominator tree.
func Read(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	meta := f.Snapshot.Meta
	nf, ef := len(meta.NodeFields), len(meta.EdgeFields)
	var missing error
	idx := func(fs []string, n string) int {
		i := slices.Index(fs, n)
		if i < 0 {
			missing = fmt.Errorf("heap snapshot has no field %q", n)
		}
		return i
	}
	nType, nName, nSelf, nEdges := idx(meta.NodeFields, "type"), idx(meta.NodeFields, "name"), idx(meta.NodeFields, "self_size"), idx(meta.NodeFields, "edge_count")
	eType, eName, eTo := idx(meta.EdgeFields, "type"), idx(meta.EdgeFields, "name_or_index"), idx(meta.EdgeFields, "to_node")
	if missing != nil {
		return nil, missing
	}
	ntypes, ok1 := meta.NodeTypes[0].([]any)
	etypes, ok2 := meta.EdgeTypes[0].([]any)
	if !ok1 || !ok2 || nf == 0 || ef == 0 {
		return nil, fmt.Errorf("heap snapshot: unexpected meta")
	}
	n := len(f.Nodes) / nf
	s := &Snapshot{Types: make([]string, n), Names: make([]string, n), Self: make([]uint64, n), EdgeStart: make([]uint32, n+1)}
	succ := &dominator.CSR{Start: make([]uint32, n+1)}
	e := 0
	for i := 0; i < n; i++ {
		s.Types[i] = ntypes[f.Nodes[i*nf+nType]].(string)
		s.Names[i] = f.Strings[f.Nodes[i*nf+nName]]
		s.Self[i] = uint64(f.Nodes[i*nf+nSelf])
		s.EdgeStart[i] = uint32(len(s.EdgeTo))
		for k := 0; k < int(f.Nodes[i*nf+nEdges]); k, e = k+1, e+1 {
			typ := etypes[f.Edges[e*ef+eType]].(string)
			name := f.Edges[e*ef+eName]
			to := uint32(f.Edges[e*ef+eTo] / int64(nf))
			text := strconv.FormatInt(name, 10)
			if typ != "element" && typ != "hidden" {
				text = f.Strings[name]
			}
			s.EdgeType = append(s.EdgeType, typ)
			s.EdgeName = append(s.EdgeName, text)
			s.EdgeTo = append(s.EdgeTo, to)
			if typ == "weak" || (typ == "shortcut" && i != 0) {
				continue
			}
			succ.Edges = append(succ.Edges, to)
		}
		succ.Start[i+1] = uint32(len(succ.Edges))
	}
	s.EdgeStart[n] = uint32(len(s.EdgeTo))
	if err := succ.Validate(); err != nil {
		return nil, err
	}
	s.Tree, err = dominator.Compute(context.Background(), succ, dominator.Transpose(succ, 2), []uint32{0})
	if err != nil {
		return nil, err
	}
	s.Retained = s.Tree.Retained(func(v uint32) uint64 { return s.Self[v] })
	return s, nil
}

// Node returns the only node of this type and name.
func (s *Snapshot) Node(typ, name string) (uint32, error) {
	found := -1
	for i := range s.Types {
		if s.Types[i] == typ && s.Names[i] == name {
			if found >= 0 {
				return 0, fmt.Errorf("heap snapshot: two %s nodes %q", typ, name)
			}
			found = i
		}
	}
	if found < 0 {
		return 0, fmt.Errorf("heap snapshot: no %s node %q", typ, name)
	}
	return uint32(found), nil
}

// Edge follows the edge of this type and name from node v.
func (s *Snapshot) Edge(v uint32, typ, name string) (uint32, error) {
	for k := s.EdgeStart[v]; k < s.EdgeStart[v+1]; k++ {
		if s.EdgeType[k] == typ && s.EdgeName[k] == name {
			return s.EdgeTo[k], nil
		}
	}
	return 0, fmt.Errorf("heap snapshot: node %d (%s %q) has no %s edge %q", v, s.Types[v], s.Names[v], typ, name)
}

// Dominated returns the nodes x dominates, itself included.
func (s *Snapshot) Dominated(x uint32) map[uint32]bool {
	in := map[uint32]bool{x: true}
	root := s.Tree.Root()
	for _, v := range s.Tree.Order {
		if d := s.Tree.Idom[v]; d != root && in[d] {
			in[v] = true
		}
	}
	return in
}

// MapOwned is the self size of the maps node x dominates and of what they
// hold within x's set (descriptor arrays, prototype-user lists). ndb's
// graph has no edge from an object to its map (every object would have
// one): a map only x's objects use, held otherwise only weakly (by a
// transition tree), is garbage for ndb and retained by x for V8.
func (s *Snapshot) MapOwned(x uint32) uint64 {
	in := s.Dominated(x)
	seen := map[uint32]bool{}
	var queue []uint32
	for v := range in {
		if s.Names[v] == "system / Map" {
			seen[v] = true
			queue = append(queue, v)
		}
	}
	var n uint64
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		n += s.Self[v]
		for k := s.EdgeStart[v]; k < s.EdgeStart[v+1]; k++ {
			if to := s.EdgeTo[k]; s.EdgeType[k] != "weak" && in[to] && !seen[to] && to != x {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	return n
}
