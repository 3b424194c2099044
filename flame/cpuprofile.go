package flame

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Limits of a .cpuprofile, far above what Node writes (V8 keeps at most
// 255 frames per sample), so that a hostile file is refused with a line
// instead of taking memory out of proportion.
const (
	maxProfileNodes   = 1 << 21 // call-tree nodes
	maxProfileSamples = 1 << 25 // samples (33 h at Node's 1 ms default interval)
	maxProfileDepth   = 1 << 12 // frames in one stack
	maxProfileFrames  = 1 << 24 // frames in all the stacks together
)

// cpuNode is a node of the call tree of Node's --cpu-prof output (the
// DevTools Profiler.Profile).
type cpuNode struct {
	id           int64
	functionName string
	url          string
	line, column int64
	hitCount     int64
	children     []int64
}

// cpuProfile is the part of a .cpuprofile that a flame graph uses.
type cpuProfile struct {
	nodes              []cpuNode
	startTime, endTime int64
	samples            []int64 // node ids, one per sample
	timeDeltas         []int64 // µs since the previous sample
}

// decodeCPUProfile streams a .cpuprofile, keeping only the fields it uses
// and checking the limits before it grows anything.
func decodeCPUProfile(r io.Reader) (*cpuProfile, error) {
	s := newJSONStream(r)
	cp := &cpuProfile{}
	if err := s.delim('{'); err != nil {
		return nil, err
	}
	children := 0
	for {
		key, ok, err := s.objectKey()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch key {
		case "nodes":
			cp.nodes, children = cp.nodes[:0], 0 // a repeated key replaces the value
			err = s.array(func() error {
				if len(cp.nodes) >= maxProfileNodes {
					return s.errorf("more than %d nodes", maxProfileNodes)
				}
				n, err := s.node(&children)
				cp.nodes = append(cp.nodes, n)
				return err
			})
		case "startTime":
			cp.startTime, err = s.int()
		case "endTime":
			cp.endTime, err = s.int()
		case "samples":
			cp.samples, err = s.ints(cp.samples[:0], maxProfileSamples, "samples")
		case "timeDeltas":
			cp.timeDeltas, err = s.ints(cp.timeDeltas[:0], maxProfileSamples, "timeDeltas")
		default:
			err = s.skip()
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %v", key, err)
		}
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return cp, nil
}

// array calls each for every element of an array; null, as for
// encoding/json, is no elements.
func (s *jsonStream) array(each func() error) error {
	t, err := s.token()
	if err != nil || t == nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '[' {
		return s.errorf("want \"[\", got %s", describeToken(t))
	}
	for s.more() {
		if err := each(); err != nil {
			return err
		}
	}
	return s.delim(']')
}

// ints reads an array of integers, at most limit of them.
func (s *jsonStream) ints(out []int64, limit int, what string) ([]int64, error) {
	err := s.array(func() error {
		if len(out) >= limit {
			return s.errorf("more than %d %s", limit, what)
		}
		v, err := s.int()
		out = append(out, v)
		return err
	})
	return out, err
}

// jsonNode is a call-tree node as the file has it. A node is small (a
// frame and its callees), so it is decoded whole, which is much faster
// than token by token; the stream's value limit bounds its size.
type jsonNode struct {
	ID        int64 `json:"id"`
	CallFrame struct {
		FunctionName string `json:"functionName"`
		URL          string `json:"url"`
		LineNumber   int64  `json:"lineNumber"`
		ColumnNumber int64  `json:"columnNumber"`
	} `json:"callFrame"`
	HitCount int64   `json:"hitCount"`
	Children []int64 `json:"children"`
}

// node reads one call-tree node; children counts the child ids of all
// nodes, which cannot exceed the number of nodes in a tree.
func (s *jsonStream) node(children *int) (cpuNode, error) {
	var jn jsonNode
	if err := s.decode(&jn); err != nil {
		return cpuNode{}, err
	}
	if *children += len(jn.Children); *children > maxProfileNodes {
		return cpuNode{}, s.errorf("more than %d children", maxProfileNodes)
	}
	cf := jn.CallFrame
	return cpuNode{id: jn.ID, functionName: cf.FunctionName, url: cf.URL, line: cf.LineNumber,
		column: cf.ColumnNumber, hitCount: jn.HitCount, children: jn.Children}, nil
}

// readCPUProfile converts a .cpuprofile. Frames are named
// "function url:line:column" with 1-based lines and columns (the file's are
// 0-based); (garbage collector), (program) and (idle) stay as they are.
// Weights are microseconds (each sample lasts until the next one), or
// sample counts with samples.
func readCPUProfile(r io.Reader, samples bool) (*Profile, error) {
	cp, err := decodeCPUProfile(r)
	if err != nil {
		return nil, fmt.Errorf("not a .cpuprofile (JSON): %v", err)
	}
	return cp.profile(samples)
}

// profile converts a decoded .cpuprofile.
func (cp *cpuProfile) profile(samples bool) (*Profile, error) {
	if len(cp.nodes) == 0 {
		return nil, fmt.Errorf("not a .cpuprofile: no \"nodes\"")
	}
	parent, idx, err := cp.tree()
	if err != nil {
		return nil, err
	}
	p := &Profile{Unit: "µs", Kinds: map[string]Kind{}, Source: "Node.js .cpuprofile"}
	if samples {
		p.Unit = "samples"
	}
	names := make([]string, len(cp.nodes))
	for i := range cp.nodes {
		name, kind := cp.nodes[i].frameName()
		names[i] = name
		p.Kinds[name] = kind
	}
	weights, counts, err := cp.weights(idx, samples)
	if err != nil {
		return nil, err
	}
	if len(cp.samples) > 0 {
		p.NSamples = len(cp.samples)
	} else {
		p.Unit = "samples"
		for _, c := range counts {
			p.NSamples += int(c)
		}
	}
	keys := make([]int, 0, len(weights))
	for j := range weights {
		keys = append(keys, j)
	}
	sort.Ints(keys)
	merged := map[string]int{}
	frames := 0
	for _, j := range keys {
		fr, err := stackOf(j, parent, names)
		if err != nil {
			return nil, err
		}
		if frames += len(fr); frames > maxProfileFrames {
			return nil, fmt.Errorf(".cpuprofile: more than %d frames in all", maxProfileFrames)
		}
		if len(fr) == 0 || weights[j] == 0 {
			continue
		}
		k := strings.Join(fr, ";")
		if i, ok := merged[k]; ok {
			p.Stacks[i].Value += weights[j]
			p.Stacks[i].Samples += counts[j]
			continue
		}
		merged[k] = len(p.Stacks)
		p.Stacks = append(p.Stacks, PStack{Frames: fr, Value: weights[j], Samples: counts[j]})
	}
	sort.Slice(p.Stacks, func(a, b int) bool {
		return strings.Join(p.Stacks[a].Frames, ";") < strings.Join(p.Stacks[b].Frames, ";")
	})
	return p, nil
}

// tree returns the parent index of each node (-1 for a root) and the index
// of each node id.
func (cp *cpuProfile) tree() ([]int, map[int64]int, error) {
	idx := make(map[int64]int, len(cp.nodes))
	for i, n := range cp.nodes {
		if _, dup := idx[n.id]; dup {
			return nil, nil, fmt.Errorf(".cpuprofile: node id %d appears twice", n.id)
		}
		idx[n.id] = i
	}
	parent := make([]int, len(cp.nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i, n := range cp.nodes {
		for _, c := range n.children {
			j, ok := idx[c]
			if !ok {
				return nil, nil, fmt.Errorf(".cpuprofile: node %d has unknown child %d", n.id, c)
			}
			if parent[j] >= 0 || j == i {
				return nil, nil, fmt.Errorf(".cpuprofile: node %d has two parents", c)
			}
			parent[j] = i
		}
	}
	return parent, idx, nil
}

// frameName names a node's frame and gives its kind.
func (n *cpuNode) frameName() (string, Kind) {
	name := n.functionName
	switch {
	case name == "(garbage collector)":
		return name, KindGC
	case strings.HasPrefix(name, "(") && strings.HasSuffix(name, ")") && n.url == "":
		return name, KindNative
	case name == "":
		name = "(anonymous)"
	}
	if n.url == "" {
		return name, KindNative
	}
	return name + " " + n.url + ":" + strconv.FormatInt(n.line+1, 10) + ":" + strconv.FormatInt(n.column+1, 10), KindJS
}

// weights sums the weight and the sample count of each node: the time
// until the next sample in µs (or 1 with samples); without samples, the
// nodes' hit counts.
func (cp *cpuProfile) weights(idx map[int64]int, samples bool) (map[int]float64, map[int]int64, error) {
	weights := make(map[int]float64)
	counts := make(map[int]int64)
	if len(cp.samples) == 0 {
		for j, n := range cp.nodes {
			if n.hitCount > 0 {
				weights[j] += float64(n.hitCount)
				counts[j] += n.hitCount
			}
		}
		return weights, counts, nil
	}
	// sample i is taken at startTime plus the deltas up to i, and lasts
	// until the next one (the last one until endTime)
	next := cp.startTime
	if len(cp.timeDeltas) > 0 {
		next += cp.timeDeltas[0]
	}
	for i, id := range cp.samples {
		j, ok := idx[id]
		if !ok {
			return nil, nil, fmt.Errorf(".cpuprofile: sample %d names unknown node %d", i, id)
		}
		t := next
		next = cp.endTime
		if i+1 < len(cp.samples) {
			next = t
			if i+1 < len(cp.timeDeltas) {
				next = t + cp.timeDeltas[i+1]
			}
		}
		w := 1.0
		if !samples {
			w = float64(max(0, next-t))
		}
		weights[j] += w
		counts[j]++
	}
	return weights, counts, nil
}

// stackOf returns the frames from the root to node i; the "(root)" node
// is left out.
func stackOf(i int, parent []int, names []string) ([]string, error) {
	var fr []string
	for j := i; j >= 0; j = parent[j] {
		if parent[j] < 0 && names[j] == "(root)" {
			break
		}
		if len(fr) >= maxProfileDepth {
			return nil, fmt.Errorf(".cpuprofile: a stack deeper than %d frames (or a cycle in the node tree)", maxProfileDepth)
		}
		fr = append(fr, names[j])
	}
	for a, b := 0, len(fr)-1; a < b; a, b = a+1, b-1 {
		fr[a], fr[b] = fr[b], fr[a]
	}
	return fr, nil
}
