// Package crash decides why a Node process died from what its core holds:
// the signal, the native calls left on the crashing thread's stack, its
// JavaScript frames and the objects and strings they point at.
package crash

// Kind is the class of a death.
type Kind string

const (
	UncaughtException  Kind = "uncaught-exception"
	UnhandledRejection Kind = "unhandled-rejection"
	FatalError         Kind = "fatal-error"
	Abort              Kind = "abort"
	Signal             Kind = "signal"
	Snapshot           Kind = "snapshot"
)

// MaxJSFrames bounds Reason.JSFrames (a stack overflow has thousands).
const MaxJSFrames = 64

// Reason is why the process died (or, for a snapshot, that it did not).
type Reason struct {
	Kind Kind   `json:"kind"`
	Text string `json:"text"` // one line
	// Signal is the signal that ended the process ("" for a snapshot),
	// Thread the thread that got it.
	Signal string `json:"signal,omitempty"`
	Thread int    `json:"thread,omitempty"`
	// Via is the native function on the crashing thread's stack that
	// decided the kind ("node::errors::TriggerUncaughtException").
	Via string `json:"via,omitempty"`

	// JSFrames are the crashing thread's JavaScript frames at death,
	// innermost first, as "name (file:line:column)" (at most
	// MaxJSFrames; ::jsstack has them all).
	JSFrames      []string `json:"js_frames,omitempty"`
	JSFramesTotal int      `json:"js_frames_total,omitempty"` // all of them, when more than JSFrames

	Error   *ErrorObject  `json:"error,omitempty"`   // uncaught-exception, unhandled-rejection
	Promise string        `json:"promise,omitempty"` // unhandled-rejection: the rejected promise's address
	Fatal   *FatalMessage `json:"fatal,omitempty"`   // fatal-error
	Heap    []SpaceUsage  `json:"heap_spaces,omitempty"`
	Assert  *Assertion    `json:"assertion,omitempty"` // abort by a failed CHECK
	Fault   *Fault        `json:"fault,omitempty"`     // signal
	Notes   []string      `json:"notes,omitempty"`     // what could not be known, and why
}

// ErrorObject is the thrown (or rejected) value.
type ErrorObject struct {
	Address     string `json:"address"`
	Constructor string `json:"constructor"`
	Message     string `json:"message,omitempty"`
	// Stack is the error's stack as Node prints it ("Error: msg\n    at f
	// (file:1:2)"), when the error holds it as a string.
	Stack string `json:"stack,omitempty"`
}

// FatalMessage is the message V8 or Node printed after "FATAL ERROR: ".
type FatalMessage struct {
	Message string `json:"message"`
	// From says where it was found: the function whose argument it is and
	// the stack slot that holds the pointer.
	From string `json:"from"`
}

// SpaceUsage is one heap space's size at the time of death.
type SpaceUsage struct {
	Space     string `json:"space"`
	Used      uint64 `json:"used"`
	Committed uint64 `json:"committed"`
}

// Assertion is a failed Node CHECK (node::Assert's AssertionInfo).
type Assertion struct {
	FileLine string `json:"file_line"`
	Message  string `json:"message"`
	Function string `json:"function"`
}

// Fault is where a fatal signal hit.
type Fault struct {
	Addr        string `json:"addr,omitempty"`    // si_addr, for a fault the kernel raised
	SentBy      int    `json:"sent_by,omitempty"` // the sender's pid, for a signal sent with kill()
	NativeFrame string `json:"native_frame,omitempty"`
}

func (k Kind) String() string { return string(k) }
