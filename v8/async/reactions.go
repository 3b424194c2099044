package async

import "fmt"

// ReactionKind says who waits on a promise through one reaction.
type ReactionKind string

const (
	ReactAwait      ReactionKind = "await"      // an async function or generator suspended at an await
	ReactCombinator ReactionKind = "combinator" // Promise.all, allSettled or any
	ReactThen       ReactionKind = "then"       // a then handler (with or without a rejection handler)
	ReactCatch      ReactionKind = "catch"      // a rejection handler alone
	ReactChain      ReactionKind = "chain"      // no handler of its own: it settles another promise
)

// Reaction is one reaction of a pending promise: who waits on it.
type Reaction struct {
	Kind    ReactionKind
	Addr    Value  // the PromiseReaction
	Frame   *Frame // await and combinator reactions: the waiter, as an async frame
	Fulfill Value  // the then handler (a JSFunction), 0 when none
	Reject  Value  // the rejection handler, 0 when none
	Next    Value  // the promise this reaction settles, 0 when none
}

// MaxReactions bounds the reactions read from one promise: no real
// program has more waiting on a single promise.
const MaxReactions = 100000

// Reactions lists the reactions of a pending promise, in the order they
// were added (V8 keeps them newest first). A settled promise has none.
// note says why the list stopped early (a cycle, a bad object, the bound).
func (r *Reader) Reactions(p Value) (out []Reaction, note string) {
	h, l := r.h, r.h.Layout
	st, v, err := h.Promise(p)
	if err != nil {
		return nil, err.Error()
	}
	if st != 0 {
		return nil, ""
	}
	seen := map[Value]bool{}
	for r.isType(v, l.Types.PromiseReaction) {
		if seen[v] {
			note = fmt.Sprintf("cycle in the reaction list at %#x", uint64(v))
			break
		}
		if len(out) >= MaxReactions {
			note = fmt.Sprintf("more than %d reactions; the rest are not shown", MaxReactions)
			break
		}
		seen[v] = true
		out = append(out, r.reaction(v))
		if v, err = h.Word(v, l.PromiseReaction.Next); err != nil {
			note = err.Error()
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, note
}

// reaction classifies one PromiseReaction.
func (r *Reader) reaction(v Value) Reaction {
	h, l := r.h, r.h.Layout
	rc := Reaction{Addr: v, Kind: ReactChain}
	fulfill, _ := h.Word(v, l.PromiseReaction.FulfillHandler)
	reject, _ := h.Word(v, l.PromiseReaction.RejectHandler)
	poc, _ := h.Word(v, l.PromiseReaction.PromiseOrCapability)
	rc.Next = r.promiseOf(poc)
	if g := r.AwaitGenerator(fulfill); g != 0 {
		f := r.Describe(g)
		rc.Kind, rc.Frame = ReactAwait, &f
		rc.Next, _ = r.SettledBy(g)
		return rc
	}
	if f, next, ok := r.combinator(fulfill, reject); ok {
		rc.Kind, rc.Frame, rc.Next = ReactCombinator, f, next
		return rc
	}
	if h.IsFunction(fulfill) {
		rc.Fulfill = fulfill
	}
	if h.IsFunction(reject) {
		rc.Reject = reject
	}
	if next := r.defaultResolvePromise(fulfill); next != 0 {
		rc.Fulfill, rc.Reject, rc.Next = 0, 0, next // a promise resolved with this one
		return rc
	}
	switch {
	case rc.Fulfill != 0:
		rc.Kind = ReactThen
	case rc.Reject != 0:
		rc.Kind = ReactCatch
	}
	return rc
}
