package commands

import "github.com/ndb-debugger/ndb/v8layout"

// HeapOf returns the session's V8 heap reader, made once per session.
func HeapOf(inv *Invocation) (*v8layout.Heap, error) {
	v, err := inv.S.Cached("v8heap", func() (any, error) { return v8layout.NewHeap(inv.S.Proc, inv.S.Meta) })
	if err != nil {
		return nil, err
	}
	return v.(*v8layout.Heap), nil
}
