package commands

import (
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// HeapOf returns the session's V8 heap reader, made once per session.
func HeapOf(inv *Invocation) (*object.Heap, error) {
	v, err := inv.Session.Cached("v8heap", func() (any, error) { return object.NewHeap(inv.Session.Proc, inv.Session.Meta) })
	if err != nil {
		return nil, err
	}
	return v.(*object.Heap), nil
}

// WalkerOf returns the session's stack walker, made once per session.
func WalkerOf(inv *Invocation) (*stack.Walker, error) {
	v, err := inv.Session.Cached("v8stack", func() (any, error) {
		h, err := HeapOf(inv)
		if err != nil {
			return nil, err
		}
		return stack.NewWalker(h), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*stack.Walker), nil
}
