package commands

import (
	"fmt"
	"strings"
	"sync"
)

// StatusField is one line of ::status: a label for text, a key for JSON.
type StatusField struct {
	Label string
	Key   string
	Text  string
	Value any
}

// StatusSection adds fields to ::status (e.g. the crash summary from the
// stack walker). It returns nothing when it has nothing to say.
type StatusSection func(inv *Invocation) []StatusField

var (
	sectionsMu sync.Mutex
	sections   []StatusSection
)

// RegisterStatusSection adds a section to ::status.
func RegisterStatusSection(s StatusSection) {
	sectionsMu.Lock()
	defer sectionsMu.Unlock()
	sections = append(sections, s)
}

func init() {
	Register(&Command{
		Name:     "status",
		Synopsis: "::status",
		Summary:  "what the core is: process, versions, signal, threads, files",
		Help: `Summarises the core: pid and command line, node and V8 versions, the signal
that ended the process and the thread that got it, thread count, the core and
executable paths, and whether the executable's build-id matches the core.

reason: why the process died, one line "KIND: TEXT" with details indented
below. KIND is one of:
  uncaught-exception   an explicit throw or an error V8 raised (TypeError,
                       SyntaxError, RangeError...): constructor, message,
                       address, and the error's stack when it holds one
  unhandled-rejection  a rejected promise nothing handled (Node aborts in
                       processPromiseRejections): the promise, its reason and
                       the reason's stack with its "at async" lines
  fatal-error          V8's or Node's FATAL ERROR message (e.g. "Reached heap
                       limit Allocation failed - JavaScript heap out of
                       memory"), read from the char* the fatal-error handler
                       left on the crashing thread's stack; for an out-of-
                       memory death, each heap space's used and committed
                       bytes
  abort                process.abort(), or a failed Node CHECK (file:line,
                       function, assertion text from node::Assert's
                       AssertionInfo)
  signal               SIGSEGV, SIGBUS, SIGILL or SIGFPE: fault address
                       (si_addr), the faulting native frame, the JS frames
  snapshot             no fatal signal: a core of a live process (gcore)
The kind is decided from the return addresses left on the crashing thread's
stack (node::errors::TriggerUncaughtException, v8::internal::Isolate::Throw,
node::OOMErrorHandler, node::Assert, ...) and its JavaScript frames; the
thrown value is the innermost Error (or rejected promise) on that stack.`,
		JSON: `One object: {"pid", "command", "node_version" (as process.version prints it),
"v8_version", "signal" ("SIGABRT", "none"), "signal_number", "snapshot" (true when no
signal: a core of a live process), "signal_thread", "fault_addr"
(for SIGSEGV and the like), "threads" (count), "core", "executable", "build_id",
"build_id_match", "warnings", "reason"} plus the crash summary fields when known.
"reason": {"kind", "text", "signal", "thread", "via" (the native function that
decided the kind), "js_frames" (the crashing thread's JavaScript frames,
innermost first, at most 64), "js_frames_total" (when there are more), "error": {"address", "constructor", "message", "stack"},
"promise", "fatal": {"message", "from"}, "heap_spaces" (out of memory: [{"space",
"used", "committed"}], see docs/design.md), "assertion": {"file_line", "message",
"function"}, "fault": {"addr", "sent_by", "native_frame", "js_frames"},
"notes"}; absent fields are unknown or do not apply.`,
		Run: runStatus,
	})
}

func runStatus(inv *Invocation) error {
	p := inv.Session.Proc
	sig := p.Signal()
	cmdline := p.Info.Args
	if argv := p.Argv(); len(argv) > 0 {
		cmdline = strings.Join(argv, " ")
	}
	fields := []StatusField{
		{"pid", "pid", fmt.Sprint(p.Info.PID), p.Info.PID},
		{"command", "command", cmdline, cmdline},
		{"node version", "node_version", orUnknown(p.NodeVersion), p.NodeVersion},
		{"V8 version", "v8_version", orUnknown(p.V8Version), p.V8Version},
		{"signal", "signal", signalText(sig), SignalName(sig)},
		{"", "signal_number", "", sig},
		{"", "snapshot", "", sig == 0},
	}
	if p.Sig != nil && p.Sig.Addr != 0 {
		fields = append(fields, StatusField{"fault address", "fault_addr", Hex(p.Sig.Addr), Hex(p.Sig.Addr)})
	}
	if t := p.SignalThread(); t != nil {
		fields = append(fields, StatusField{"signal thread", "signal_thread", fmt.Sprint(t.TID), t.TID})
	}
	fields = append(fields,
		StatusField{"threads", "threads", fmt.Sprint(len(p.Threads)), len(p.Threads)},
		StatusField{"core", "core", p.CorePath, p.CorePath},
		StatusField{"executable", "executable", p.ExePath, p.ExePath},
		StatusField{"build-id", "build_id", p.CoreBuildID + " (" + p.BuildIDStatus + ")", p.CoreBuildID},
		StatusField{"", "build_id_match", "", p.BuildIDStatus == "match"},
	)
	sectionsMu.Lock()
	secs := append([]StatusSection(nil), sections...)
	sectionsMu.Unlock()
	for _, s := range secs {
		fields = append(fields, s(inv)...)
	}
	if inv.JSON {
		obj := map[string]any{}
		for _, f := range fields {
			if f.Key != "" {
				obj[f.Key] = f.Value
			}
		}
		obj["warnings"] = append([]string{}, p.Warnings...)
		return inv.JSONLine(obj)
	}
	var rows [][]string
	for _, f := range fields {
		if f.Label != "" {
			rows = append(rows, []string{f.Label + ":", f.Text})
		}
	}
	for _, w := range p.Warnings {
		rows = append(rows, []string{"warning:", w})
	}
	_, err := fmt.Fprint(inv.Out, Columns(rows))
	return err
}

// signalText says "none" with why: a core without a signal is a snapshot
// of a live process (ndb gcore, gdb's gcore).
func signalText(sig int) string {
	if sig == 0 {
		return "none (snapshot of a live process)"
	}
	return SignalName(sig)
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "unknown"
	}
	return s
}
