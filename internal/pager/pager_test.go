package pager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, DefaultCommand},
		{map[string]string{"PAGER": "more"}, "more"},
		{map[string]string{"PAGER": "more", "NDB_PAGER": "most"}, "most"},
		{map[string]string{"PAGER": "more", "NDB_PAGER": ""}, ""},
		{map[string]string{"PAGER": "cat"}, ""},
		{map[string]string{"PAGER": ""}, ""},
	} {
		got := Command(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
		if got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}

// screen is a file standing for the terminal, 5 rows of 20 columns.
func screen(t *testing.T, command string) (*Pager, *os.File) {
	f, err := os.Create(filepath.Join(t.TempDir(), "screen"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &Pager{Command: command, Term: f, Rows: 5, Cols: 20}, f
}

func shown(t *testing.T, f *os.File) string {
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lines(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	return b.String()
}

func TestShortOutputIsNotPaged(t *testing.T) {
	p, f := screen(t, `sed "s/^/P:/"`)
	started := false
	p.OnStart = func() { started = true }
	w := p.Begin(nil)
	fmt.Fprint(w, lines(3))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := shown(t, f); got != lines(3) || started {
		t.Errorf("screen %q, pager started %v", got, started)
	}
}

func TestLongOutputIsPaged(t *testing.T) {
	p, f := screen(t, `sed "s/^/P:/"`)
	var events []string
	p.OnStart = func() { events = append(events, "start") }
	p.OnClose = func() { events = append(events, "close") }
	w := p.Begin(nil)
	fmt.Fprint(w, lines(10))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll("\n"+lines(10), "\nline", "\nP:line")[1:]
	if got := shown(t, f); got != want {
		t.Errorf("screen %q, want %q", got, want)
	}
	if strings.Join(events, ",") != "start,close" {
		t.Errorf("events %v", events)
	}
}

func TestWrappedLinesCount(t *testing.T) {
	p, f := screen(t, `sed "s/^/P:/"`)
	w := p.Begin(nil)
	fmt.Fprintln(w, strings.Repeat("x", 100)) // 5 screen lines of 20 columns
	w.Close()
	if got := shown(t, f); !strings.HasPrefix(got, "P:x") {
		t.Errorf("screen %q", got)
	}
}

func TestMessagesKeepTheirPlace(t *testing.T) {
	p, f := screen(t, `sed "s/^/P:/"`)
	w := p.Begin(nil)
	msgs := w.Messages(f)
	fmt.Fprint(w, "a\nb\n")
	fmt.Fprint(msgs, "E\n")
	fmt.Fprint(w, "c\n")
	w.Close()
	if got := shown(t, f); got != "a\nb\nE\nc\n" {
		t.Errorf("screen %q", got)
	}

	p, f = screen(t, `sed "s/^/P:/"`)
	w = p.Begin(nil)
	msgs = w.Messages(f)
	fmt.Fprint(w, lines(6))
	fmt.Fprint(msgs, "E\n")
	w.Close()
	if got := shown(t, f); !strings.HasSuffix(got, "P:line 6\nP:E\n") {
		t.Errorf("a message while paging did not go through the pager: %q", got)
	}
}

// TestPagerQuitCancels: when the user leaves the pager, the writer says so
// once through cancel and swallows the rest.
func TestPagerQuitCancels(t *testing.T) {
	p, f := screen(t, `head -n 1`)
	var causes []error
	w := p.Begin(func(err error) { causes = append(causes, err) })
	big := lines(100000) // more than a pipe holds: head has left before the end
	for i := 0; i < 10; i++ {
		if _, err := fmt.Fprint(w, big); err != nil {
			t.Fatalf("write after the pager quit: %v", err)
		}
	}
	w.Close()
	if len(causes) != 1 || !errors.Is(causes[0], ErrQuit) {
		t.Errorf("cancel causes %v", causes)
	}
	if got := shown(t, f); got != "line 1\n" {
		t.Errorf("screen %q", got)
	}
}

func TestMissingPagerPrints(t *testing.T) {
	p, f := screen(t, "no-such-pager-program -R")
	w := p.Begin(nil)
	fmt.Fprint(w, lines(10))
	w.Close()
	if got := shown(t, f); got != lines(10) {
		t.Errorf("screen %q", got)
	}
}
