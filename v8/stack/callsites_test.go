package stack_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/crash"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/stack"
)

// TestCallSitesOnWrongValues: call sites read from what is not a call-site
// array, and call sites whose fields are not what they should be, give an
// error or a line, never a panic; the real ones of crash.js give V8's ten
// frames (Error.stackTraceLimit).
func TestCallSitesOnWrongValues(t *testing.T) {
	for _, name := range testcores.Crash {
		t.Run(name, func(t *testing.T) {
			w := stack.NewWalker(testcores.Open(t, name))
			th := w.Proc.SignalThread()
			r := crash.Decide(crash.Input{Proc: w.Proc, Walker: w, Thread: th, SignalName: "SIGTRAP",
				Stack: w.WalkThread(context.Background(), th, stack.WalkOptions{})})
			if r.Error == nil {
				t.Fatalf("no error in %+v", r)
			}
			a, err := strconv.ParseUint(strings.TrimPrefix(r.Error.Address, "0x"), 16, 64)
			if err != nil {
				t.Fatal(err)
			}
			errVal := object.Value(a)
			es, err := w.ErrorStack(errVal)
			if err != nil || es.CallSites == 0 {
				t.Fatalf("error stack %+v, %v", es, err)
			}
			sites, err := w.CallSites(es.CallSites)
			if err != nil || len(sites) != 10 {
				t.Fatalf("%d call sites, %v; want 10", len(sites), err)
			}
			for _, v := range []object.Value{0, 2, errVal, es.CallSites + 8, es.CallSites - 8, object.Value(^uint64(0))} {
				if got, err := w.CallSites(v); err == nil {
					_ = w.FormatCallSites("X", got)
				}
			}
			values := []object.Value{0, 2, 1 << 33, errVal, es.CallSites, sites[0].Function, sites[0].Code, object.Value(^uint64(0))}
			for _, v := range values {
				for _, off := range []int{-1, 0, 1 << 30} {
					for _, bad := range []object.CallSite{
						{Code: v, Receiver: sites[0].Receiver, Function: sites[0].Function, Offset: off},
						{Code: sites[0].Code, Receiver: v, Function: sites[0].Function, Offset: off},
						{Code: sites[0].Code, Receiver: sites[0].Receiver, Function: v, Offset: off, Async: true},
						{Function: v, Offset: off, PositionComputed: true, Constructor: true},
					} {
						if line := w.CallSiteLine(bad); line == "" {
							t.Errorf("empty line for %+v", bad)
						}
					}
				}
			}
		})
	}
}

// BenchmarkFormatCallSites: reading and formatting the ten call sites of
// crash.js's error (Node 26).
func BenchmarkFormatCallSites(b *testing.B) {
	w := stack.NewWalker(testcores.Open(b, "crash-26.10.0"))
	th := w.Proc.SignalThread()
	r := crash.Decide(crash.Input{Proc: w.Proc, Walker: w, Thread: th, SignalName: "SIGTRAP",
		Stack: w.WalkThread(context.Background(), th, stack.WalkOptions{})})
	a, err := strconv.ParseUint(strings.TrimPrefix(r.Error.Address, "0x"), 16, 64)
	if err != nil {
		b.Fatal(err)
	}
	es, err := w.ErrorStack(object.Value(a))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		sites, err := w.CallSites(es.CallSites)
		if err != nil {
			b.Fatal(err)
		}
		_ = w.FormatCallSites("Error: boom", sites)
	}
}
