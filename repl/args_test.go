package repl

import (
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/commands"
)

func TestArgBounds(t *testing.T) {
	for _, tc := range []struct {
		synopsis string
		lo, hi   int
	}{
		{"::status", 0, 0},
		{"::jsstack [-avn] [-t TID|all] [-f FUNCTION]", 0, 0},
		{"[ADDR]::findjsobjects [-lmsv] [-c CONSTRUCTOR | -p PROP | -k KIND]", 0, 0},
		{"ADDR::jsprint [-a] [-d DEPTH] [-N LEN] [MEMBER]", 0, 1},
		{"::diff [-am] OTHER_CORE", 1, 1},
		{"::help [DCMD]", 0, 1},
		{"::t [A] B [C...]", 1, anyCount},
		{"::t [ [X] ]", 0, 1},
	} {
		lo, hi := argBounds(tc.synopsis)
		if lo != tc.lo || hi != tc.hi {
			t.Errorf("%s: %d..%d, want %d..%d", tc.synopsis, lo, hi, tc.lo, tc.hi)
		}
	}
}

// TestDcmdsTakeWhatTheirSynopsisShows: every dcmd whose synopsis shows no
// argument refuses one, and the arguments are not echoed.
func TestDcmdsTakeWhatTheirSynopsisShows(t *testing.T) {
	big := strings.Repeat("A", 1<<20)
	for _, c := range commands.All() {
		lo, hi := argBounds(c.Synopsis)
		if hi == anyCount {
			continue
		}
		args := make([]string, hi+1)
		for i := range args {
			args[i] = big
		}
		err := checkArgCount(c.Synopsis, len(args))
		if err == nil || strings.Contains(err.Error(), "AAAA") || !strings.Contains(err.Error(), c.Synopsis) {
			t.Errorf("%s with %d arguments: %v", c.Name, len(args), err)
		}
		if err := checkArgCount(c.Synopsis, lo); err != nil {
			t.Errorf("%s with %d arguments: %v", c.Name, lo, err)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"jsstack", "jsframe", "jsprint", "status", "threads", "dump", "dis", "dcmds"}
	for _, tc := range []struct {
		typed string
		want  string
	}{
		{"jsstak", "jsstack"},
		{"jstack", "jsstack"},
		{"stauts", "status"},
		{"jsprnit", "jsprint"},
		{"dup", "dump"},
		{"dsi", ""}, // two edits on three letters: no guess
		{"thr", "threads"},
		{"nosuch", ""},
		{strings.Repeat("x", 1<<20), ""},
	} {
		if got := strings.Join(suggest(tc.typed, names), ","); got != tc.want {
			t.Errorf("suggest(%.20q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := Clip("short"); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
	long := strings.Repeat("é", 100) // two bytes a rune: the cut must not split one
	got := Clip(long)
	if len(got) > maxEcho+len("…") || !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") {
		t.Errorf("Clip = %q", got)
	}
	if strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("Clip split a rune: %q", got)
	}
}
