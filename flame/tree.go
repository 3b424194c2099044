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

// stripJS makes the name of a frame the same across runs of a program, so
// that a diff lines up the same function: it removes V8 tier markers and the
// older code-kind prefixes ("JS:*fib", "LazyCompile:~fib" become "JS:fib"),
// :line:col positions (they move with edits), +0x offsets, the pid of a
// perf map ("[perf-1234.map]" becomes "[perf-map]") and raw addresses of
// unknown symbols ("[perf-1234.map <7f12…>]"): "JS:*fib /app.js:12:13"
// becomes "JS:fib /app.js".
func stripJS(name string) string {
	ann := ""
	if s := stripAnnotation(name); s != name {
		ann = name[len(s):]
		name = s
	}
	if strings.HasPrefix(name, "[") && strings.HasSuffix(name, "]") {
		return stripUnknown(name) + ann
	}
	if _, ok := jsTier(name); ok {
		i := strings.IndexByte(name, ':')
		rest := name[i+1:]
		if rest != "" && strings.ContainsRune("*+^~", rune(rest[0])) {
			rest = rest[1:]
		}
		name = "JS:" + rest
	} else if !strings.Contains(name, ".js:") && !strings.Contains(name, ".mjs:") &&
		!strings.Contains(name, ".cjs:") && !strings.Contains(name, "node:") {
		return name + ann
	}
	if i := strings.LastIndex(name, "+0x"); i > 0 && isHex(name[i+3:]) {
		name = name[:i]
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

// stripUnknown removes what changes from run to run in the name of an
// unknown symbol: "[perf-1234.map <7f12ab>]" becomes "[perf-map]".
func stripUnknown(name string) string {
	in := name[1 : len(name)-1]
	if i := strings.LastIndex(in, " <"); i >= 0 && strings.HasSuffix(in, ">") && isHex(in[i+2:len(in)-1]) {
		in = in[:i]
	}
	if rest, ok := strings.CutPrefix(in, "perf-"); ok {
		if pid, ok := strings.CutSuffix(rest, ".map"); ok && pid != "" && strings.Trim(pid, "0123456789") == "" {
			in = "perf-map"
		}
	}
	return "[" + in + "]"
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
