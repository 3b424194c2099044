package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a terminal stand-in that the bar and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestShortWorkShowsNothing(t *testing.T) {
	var out syncBuffer
	task := NewTerminal(&out, time.Hour).Start("heap census")
	task.Update(10, 100)
	task.Done()
	task.Done()
	if out.String() != "" {
		t.Errorf("shown %q", out.String())
	}
}

func TestLongWorkShowsABarAndErasesIt(t *testing.T) {
	var out syncBuffer
	term := NewTerminal(&out, 0) // no delay: as if the work had run long
	task := term.Start("heap census")
	task.Update(640, 1280)
	task.(*termTask).draw() // as the next redraw would
	task.Done()
	s := out.String()
	if !strings.Contains(s, "\rheap census  50% |███████████████               | 640/1280 [") {
		t.Errorf("no bar in %q", s)
	}
	if !strings.HasSuffix(s, "\r\033[K") {
		t.Errorf("the line was not erased at the end: %q", s)
	}
}

func TestUnknownSizeShowsASpinner(t *testing.T) {
	var out syncBuffer
	task := NewTerminal(&out, 0).Start("reference graph")
	task.Done()
	s := out.String()
	if !strings.HasPrefix(s, "\r⠋ reference graph [") || !strings.HasSuffix(s, "\r\033[K") || strings.Contains(s, "%") {
		t.Errorf("spinner %q", s)
	}
}

func TestLinesNeverWrap(t *testing.T) {
	if got := fit(strings.Repeat("é", 100), 80); got != strings.Repeat("é", 79) {
		t.Errorf("fit = %q", got)
	}
	if got := fit("short", 80); got != "short" {
		t.Errorf("fit = %q", got)
	}
}

func TestMuted(t *testing.T) {
	var out syncBuffer
	term := NewTerminal(&out, 0)
	term.Mute(true)
	task := term.Start("heap census")
	task.Update(1, 2)
	task.Done()
	if out.String() != "" {
		t.Errorf("muted, shown %q", out.String())
	}
}

func TestConcurrentUpdates(t *testing.T) {
	var out syncBuffer
	task := NewTerminal(&out, 0).Start("heap census")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int64(0); i < 1000; i++ {
				task.Update(i, 1000)
			}
		}()
	}
	wg.Wait()
	task.Done()
}

func TestDiscard(t *testing.T) {
	Start(nil, "x").Update(1, 2)
	Start(nil, "x").Done()
	Start(Discard, "x").Done()
}
