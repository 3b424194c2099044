package stack

import (
	"fmt"
	"sort"
	"strings"
)

// RoleKind is what a thread does in a Node process.
type RoleKind string

const (
	RoleMain       RoleKind = "main"       // the main JavaScript thread
	RoleWorker     RoleKind = "worker"     // a worker_threads Worker
	RoleThreadpool RoleKind = "threadpool" // libuv's threadpool (fs, dns, crypto, zlib work)
	RolePlatform   RoleKind = "platform"   // V8 platform worker (GC, compiler tasks)
	RoleScheduler  RoleKind = "scheduler"  // the V8 platform's delayed-task scheduler
	RoleInspector  RoleKind = "inspector"  // the inspector's I/O thread
	RoleNode       RoleKind = "node"       // another thread node started
	RoleOther      RoleKind = "other"      // a thread of a library or native addon
	RoleUnknown    RoleKind = "unknown"    // its stack did not reach its start routine
)

// Role is a thread's role, inferred from the start routine among its
// outermost native frames.
type Role struct {
	Kind RoleKind
	// N numbers workers (1, 2, ... in thread id order).
	N int
	// Isolate is the isolate of a JavaScript thread (main or worker) as
	// V8's thread-local current isolate holds it; 0 when unknown.
	Isolate uint64
	// Start is the function the thread was started in, as the frames name
	// it ("node::worker::Worker::StartThread(void*)::{lambda(void*)#1}::_FUN(void*)").
	Start string
}

// String is the role as ::threads prints it.
func (r Role) String() string {
	switch r.Kind {
	case RoleMain:
		return "main JavaScript thread" + r.isolateText()
	case RoleWorker:
		return fmt.Sprintf("worker %d", r.N) + r.isolateText()
	case RoleThreadpool:
		return "libuv threadpool"
	case RolePlatform:
		return "V8 platform worker"
	case RoleScheduler:
		return "V8 delayed-task scheduler"
	case RoleInspector:
		return "inspector I/O"
	case RoleNode:
		return "node thread (" + shortFunc(r.Start) + ")"
	case RoleOther:
		if r.Start != "" {
			return "other (" + shortFunc(r.Start) + ")"
		}
		return "other"
	}
	return "unknown"
}

// startRoutines maps a function among a thread's outermost frames to the
// role it gives, first match from the outermost frame inwards. The names
// are node's and libuv's (src/node_platform.cc, src/node_worker.cc,
// src/inspector_agent.cc, deps/uv/src/threadpool.c).
var startRoutines = []struct {
	prefix string
	kind   RoleKind
}{
	{"node::worker::Worker::StartThread", RoleWorker},
	{"node::(anonymous namespace)::PlatformWorkerThread", RolePlatform},
	{"node::WorkerThreadsTaskRunner::DelayedTaskScheduler", RoleScheduler},
	{"node::inspector::", RoleInspector},
	{"worker", RoleThreadpool}, // libuv's threadpool thread function is "worker"
	{"node::Start(", RoleMain},
	{"main", RoleMain},
}

// frameFunc is the function name of a native frame's symbol
// ("node`uv_run+0x2f4" → "uv_run"), and its module.
func frameFunc(sym string) (module, fn string) {
	module, fn, ok := strings.Cut(sym, "`")
	if !ok {
		return "", ""
	}
	if i := strings.LastIndex(fn, "+0x"); i >= 0 {
		fn = fn[:i]
	}
	return module, fn
}

// shortFunc drops a demangled name's parameter list.
func shortFunc(fn string) string {
	if i := strings.Index(fn, "("); i > 0 && !strings.HasPrefix(fn[i:], "(anonymous") {
		return fn[:i]
	}
	return fn
}

// ThreadRole infers the role of one thread from its walked stack.
func ThreadRole(st *Stack) Role {
	hasJS := false
	for _, f := range st.Frames {
		if f.Kind == KindJS {
			hasJS = true
		}
	}
	var firstNode string
	for i := len(st.Frames) - 1; i >= 0; i-- {
		f := st.Frames[i]
		if f.Kind != KindNative {
			break
		}
		mod, fn := frameFunc(f.Symbol)
		if fn == "" {
			continue
		}
		for _, r := range startRoutines {
			if fn == r.prefix || strings.HasPrefix(fn, r.prefix) && r.prefix != "worker" && r.prefix != "main" {
				return Role{Kind: r.kind, Start: fn}
			}
		}
		if firstNode == "" && mod == "node" && fn != "_start" {
			firstNode = fn
		}
	}
	switch {
	case st.End != "" && hasJS:
		return Role{Kind: RoleUnknown}
	case firstNode != "":
		return Role{Kind: RoleNode, Start: firstNode}
	case st.End != "":
		return Role{Kind: RoleUnknown}
	}
	return Role{Kind: RoleOther}
}

// ThreadRoles infers the roles of all threads (stacks by thread, in the
// core's order), numbering workers by thread id.
func ThreadRoles(stacks []*Stack) []Role {
	roles := make([]Role, len(stacks))
	var workers []int
	for i, st := range stacks {
		roles[i] = ThreadRole(st)
		if roles[i].Kind == RoleWorker {
			workers = append(workers, i)
		}
	}
	sort.Slice(workers, func(a, b int) bool { return stacks[workers[a]].TID < stacks[workers[b]].TID })
	for n, i := range workers {
		roles[i].N = n + 1
	}
	return roles
}

func (r Role) isolateText() string {
	if r.Isolate == 0 {
		return ""
	}
	return fmt.Sprintf(" (isolate %#x)", r.Isolate)
}
