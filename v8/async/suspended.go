package async

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// SuspendedChain is one chain of suspended work: an innermost suspended
// async function or generator and its awaiters, innermost first, and the
// promise the innermost one waits on.
type SuspendedChain struct {
	Frames  []Frame
	Awaits  Value  // the pending promise the innermost frame waits on (0: none, e.g. at a yield)
	End     string // why the chain stopped early
	Handler Value  // then/catch groups: the handler function
}

// Outer is the outermost object of the chain: its outermost async function
// or generator object (the handler's promise for then groups).
func (c *SuspendedChain) Outer() Value {
	for i := len(c.Frames) - 1; i >= 0; i-- {
		if c.Frames[i].Generator != 0 {
			return c.Frames[i].Generator
		}
	}
	return c.Awaits
}

// Group is chains alike: the same functions at the same await sites (or
// the same then/catch handler), with their count.
type Group struct {
	Kind   ReactionKind // ReactAwait for chains of async functions; ReactThen or ReactCatch for handlers
	Text   string       // "handleRequest (/app.js:18:10) awaiting query (/app.js:13:3) awaiting <Promise pending>"
	Chains []SuspendedChain
}

// Count is the number of chains in the group.
func (g *Group) Count() int { return len(g.Chains) }

// Suspended groups the suspended async functions and generators among
// generators, and the handlers pending on the promises among promises (the
// census's objects of those types), largest group first. It reads each
// promise's reactions once and each chain once.
func (r *Reader) Suspended(ctx context.Context, generators, promises []Value) ([]*Group, error) {
	awaits := map[Value]Value{} // suspended generator → the promise it awaits
	byKey := map[string]*Group{}
	add := func(kind ReactionKind, text string, ch SuspendedChain) {
		key := string(kind) + "\x00" + text
		g := byKey[key]
		if g == nil {
			g = &Group{Kind: kind, Text: text}
			byKey[key] = g
		}
		g.Chains = append(g.Chains, ch)
	}
	for i, p := range promises {
		if i%4096 == 0 && ctx != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rs, _ := r.Reactions(p)
		for _, rc := range rs {
			switch rc.Kind {
			case ReactAwait:
				awaits[rc.Frame.Generator] = p
			case ReactThen, ReactCatch:
				fn := rc.Fulfill
				if rc.Kind == ReactCatch {
					fn = rc.Reject
				}
				if text, ok := r.handlerText(fn); ok {
					add(rc.Kind, fmt.Sprintf("%s %s pending on <Promise pending>", rc.Kind, text), SuspendedChain{Awaits: p, Handler: fn})
				}
			}
		}
	}
	var suspended []Value
	owned := map[Value]bool{} // promises a suspended generator will settle
	for _, g := range generators {
		if ok, _ := r.IsGenerator(g); !ok {
			continue // the census groups some objects by constructor and properties alone
		}
		if c, err := r.Continuation(g); err != nil || c < 0 {
			continue
		}
		suspended = append(suspended, g)
		if p, err := r.SettledBy(g); err == nil && p != 0 {
			owned[p] = true
		}
	}
	for i, g := range suspended {
		if i%1024 == 0 && ctx != nil && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		p, awaiting := awaits[g]
		if awaiting && owned[p] {
			continue // not innermost: the chain of the function it awaits shows it
		}
		ch := SuspendedChain{Awaits: p, Frames: []Frame{r.describeCached(g)}}
		up := r.FromGenerator(g)
		ch.Frames = append(ch.Frames, up.Frames...)
		ch.End = up.End
		add(ReactAwait, chainText(&ch), ch)
	}
	out := make([]*Group, 0, len(byKey))
	for _, g := range byKey {
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count() != out[j].Count() {
			return out[i].Count() > out[j].Count()
		}
		return out[i].Text < out[j].Text
	})
	return out, nil
}

// chainText is a chain outermost first: "handleRequest (/app.js:18:10)
// awaiting query (/app.js:13:3) awaiting <Promise pending>".
func chainText(ch *SuspendedChain) string {
	var parts []string
	for i := len(ch.Frames) - 1; i >= 0; i-- {
		f := &ch.Frames[i]
		parts = append(parts, strings.TrimPrefix(f.Text(), "async "))
	}
	switch {
	case ch.Awaits != 0:
		parts = append(parts, "<Promise pending>")
	default:
		parts = append(parts, "<not awaiting a promise>")
	}
	s := strings.Join(parts, " awaiting ")
	if ch.End != "" {
		s += " (chain ends: " + ch.End + ")"
	}
	return s
}

// handlerText is a user handler's name and location, "onReady
// (/app.js:31:20)"; ok false for builtins and non-functions.
func (r *Reader) handlerText(fn Value) (string, bool) {
	fi, err := r.h.Function(fn)
	if err != nil || fi.Bound || fi.ScriptName == "" {
		return "", false
	}
	return fi.DisplayName() + " (" + fi.Location() + ")", true
}
