// Package progress reports the progress of long work (a heap census, a
// reference graph, a pack) to a person watching a terminal. The work calls
// a Reporter; whether and how anything is shown is the front end's choice.
package progress

// Reporter starts the report of one piece of work.
type Reporter interface {
	// Start begins reporting work described by what ("heap census").
	Start(what string) Task
}

// Task is the report of one piece of work. Its methods are safe for
// concurrent use: workers may call Update from several goroutines.
type Task interface {
	// Update says how far the work is: done of total units (pages,
	// bytes). total <= 0 means the size is unknown.
	Update(done, total int64)
	// Done ends the report and removes what it showed. Calling it twice
	// is harmless.
	Done()
}

// Discard is a Reporter that shows nothing.
var Discard Reporter = discard{}

type discard struct{}

func (discard) Start(string) Task { return discardTask{} }

type discardTask struct{}

func (discardTask) Update(int64, int64) {}
func (discardTask) Done()               {}

// Start begins a task on r, or on Discard when r is nil, so callers need
// not check.
func Start(r Reporter, what string) Task {
	if r == nil {
		return discardTask{}
	}
	return r.Start(what)
}
