package flame

import (
	"sort"
	"strings"
)

// node is a frame of the merged call tree.
type node struct {
	name     string
	kind     Kind
	depth    int
	x        float64 // start, in weight units
	value    float64 // total weight (AFTER in a diff)
	self     float64
	delta    float64 // diff: self weight AFTER - BEFORE
	children []*node
	index    map[string]*node
}

// buildTree merges the stacks of p. Unless ordered (flame chart), siblings are
// sorted by name; in a flame chart only consecutive equal frames merge.
func buildTree(p *Profile, reverse bool) *node {
	root := &node{name: "all", index: map[string]*node{}}
	frames := []string(nil)
	for _, s := range p.Stacks {
		frames = append(frames[:0], s.Frames...)
		if reverse {
			for i, j := 0, len(frames)-1; i < j; i, j = i+1, j-1 {
				frames[i], frames[j] = frames[j], frames[i]
			}
		}
		cur := root
		cur.value += s.Value
		for _, f := range frames {
			var c *node
			if p.Ordered {
				if n := len(cur.children); n > 0 && cur.children[n-1].name == f {
					c = cur.children[n-1]
				}
			} else {
				c = cur.index[f]
			}
			if c == nil {
				c = &node{name: f, depth: cur.depth + 1}
				if !p.Ordered {
					c.index = map[string]*node{}
					cur.index[f] = c
				}
				cur.children = append(cur.children, c)
			}
			c.value += s.Value
			cur = c
		}
		cur.self += s.Value
		if p.Diff {
			cur.delta += s.Value - s.Before
		}
	}
	var walk func(n *node, x float64)
	walk = func(n *node, x float64) {
		n.index = nil
		if !p.Ordered {
			sort.Slice(n.children, func(i, j int) bool { return n.children[i].name < n.children[j].name })
		}
		n.x = x
		if k, ok := p.Kinds[n.name]; ok {
			n.kind = k
		} else {
			n.kind = classify(n.name, n.depth)
		}
		if n.depth == 0 {
			n.kind = KindProcess
		}
		for _, c := range n.children {
			walk(c, x)
			x += c.value
		}
	}
	walk(root, 0)
	return root
}

// stripJS removes V8 tier markers and :line:col positions from JS frame
// names, so that a diff survives code edits and tier changes:
// "JS:*fib /app.js:12:13" becomes "JS:fib /app.js".
func stripJS(name string) string {
	ann := ""
	if s := stripAnnotation(name); s != name {
		ann = name[len(s):]
		name = s
	}
	if _, ok := jsTier(name); ok {
		i := strings.IndexByte(name, ':')
		if strings.ContainsRune("*+^~", rune(name[i+1])) {
			name = name[:i+1] + name[i+2:]
		}
	} else if !strings.Contains(name, ".js:") && !strings.Contains(name, ".mjs:") &&
		!strings.Contains(name, ".cjs:") && !strings.Contains(name, "node:") {
		return name + ann
	}
	// trailing :line:col or :line
	for k := 0; k < 2; k++ {
		i := strings.LastIndexByte(name, ':')
		if i < 0 || i == len(name)-1 {
			break
		}
		digits := true
		for _, c := range name[i+1:] {
			if c < '0' || c > '9' {
				digits = false
				break
			}
		}
		if !digits {
			break
		}
		name = name[:i]
	}
	return name + ann
}
