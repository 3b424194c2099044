package flame

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// cpuProfile is Node's --cpu-prof output (the DevTools Profiler.Profile).
type cpuProfile struct {
	Nodes []struct {
		ID        int `json:"id"`
		CallFrame struct {
			FunctionName string `json:"functionName"`
			ScriptID     string `json:"scriptId"`
			URL          string `json:"url"`
			LineNumber   int    `json:"lineNumber"`
			ColumnNumber int    `json:"columnNumber"`
		} `json:"callFrame"`
		HitCount int   `json:"hitCount"`
		Children []int `json:"children"`
	} `json:"nodes"`
	StartTime  int64   `json:"startTime"`
	EndTime    int64   `json:"endTime"`
	Samples    []int   `json:"samples"`
	TimeDeltas []int64 `json:"timeDeltas"`
}

// readCPUProfile converts a .cpuprofile. Frames are named
// "function url:line:column" with 1-based lines and columns (the file's are
// 0-based); (garbage collector), (program) and (idle) stay as they are.
// Weights are microseconds (each sample lasts until the next one), or
// sample counts with samples.
func readCPUProfile(r io.Reader, samples bool) (*Profile, error) {
	var cp cpuProfile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&cp); err != nil {
		return nil, fmt.Errorf("not a .cpuprofile (JSON): %v", err)
	}
	if len(cp.Nodes) == 0 {
		return nil, fmt.Errorf("not a .cpuprofile: no \"nodes\"")
	}
	idx := make(map[int]int, len(cp.Nodes))
	for i, n := range cp.Nodes {
		if _, dup := idx[n.ID]; dup {
			return nil, fmt.Errorf(".cpuprofile: node id %d appears twice", n.ID)
		}
		idx[n.ID] = i
	}
	parent := make([]int, len(cp.Nodes))
	for i := range parent {
		parent[i] = -1
	}
	for i, n := range cp.Nodes {
		for _, c := range n.Children {
			j, ok := idx[c]
			if !ok {
				return nil, fmt.Errorf(".cpuprofile: node %d has unknown child %d", n.ID, c)
			}
			if parent[j] >= 0 {
				return nil, fmt.Errorf(".cpuprofile: node %d has two parents", c)
			}
			parent[j] = i
		}
	}
	p := &Profile{Unit: "µs", Kinds: map[string]Kind{}, Source: "Node.js .cpuprofile"}
	if samples {
		p.Unit = "samples"
	}
	names := make([]string, len(cp.Nodes))
	for i, n := range cp.Nodes {
		cf := n.CallFrame
		name := cf.FunctionName
		kind := KindJS
		switch {
		case name == "(garbage collector)":
			kind = KindGC
		case strings.HasPrefix(name, "(") && strings.HasSuffix(name, ")") && cf.URL == "":
			kind = KindNative
		case cf.URL == "":
			if name == "" {
				name = "(anonymous)"
			}
			kind = KindNative
		default:
			if name == "" {
				name = "(anonymous)"
			}
			name += " " + cf.URL + ":" + strconv.Itoa(cf.LineNumber+1) + ":" + strconv.Itoa(cf.ColumnNumber+1)
		}
		names[i] = name
		p.Kinds[name] = kind
	}
	stackOf := func(i int) ([]string, error) {
		var fr []string
		for j, n := i, 0; j >= 0; j, n = parent[j], n+1 {
			if n > len(cp.Nodes) {
				return nil, fmt.Errorf(".cpuprofile: cycle in the node tree")
			}
			if parent[j] < 0 && names[j] == "(root)" {
				break
			}
			fr = append(fr, names[j])
		}
		for a, b := 0, len(fr)-1; a < b; a, b = a+1, b-1 {
			fr[a], fr[b] = fr[b], fr[a]
		}
		return fr, nil
	}
	weights := make(map[int]float64)
	counts := make(map[int]int64)
	if len(cp.Samples) > 0 {
		p.NSamples = len(cp.Samples)
		t := cp.StartTime
		times := make([]int64, len(cp.Samples))
		for i := range cp.Samples {
			if i < len(cp.TimeDeltas) {
				t += cp.TimeDeltas[i]
			}
			times[i] = t
		}
		for i, id := range cp.Samples {
			j, ok := idx[id]
			if !ok {
				return nil, fmt.Errorf(".cpuprofile: sample %d names unknown node %d", i, id)
			}
			w := 1.0
			if !samples {
				next := cp.EndTime
				if i+1 < len(times) {
					next = times[i+1]
				}
				w = float64(max(0, next-times[i]))
			}
			weights[j] += w
			counts[j]++
		}
	} else {
		for j, n := range cp.Nodes {
			if n.HitCount > 0 {
				weights[j] += float64(n.HitCount)
				counts[j] += int64(n.HitCount)
				p.NSamples += n.HitCount
			}
		}
		p.Unit = "samples"
	}
	keys := make([]int, 0, len(weights))
	for j := range weights {
		keys = append(keys, j)
	}
	sort.Ints(keys)
	merged := map[string]int{}
	for _, j := range keys {
		fr, err := stackOf(j)
		if err != nil {
			return nil, err
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
