// Package repl reads ndb's mdb-style command lines, runs their pipelines
// and renders the results, interactively or as a script.
package repl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Stage is one dcmd of a pipeline.
type Stage struct {
	Addr    uint64
	HasAddr bool
	Name    string
	Args    []string
}

// Line is a parsed command line.
type Line struct {
	Stages []Stage
	Shell  string // text after '!', run with sh -c on the output
	Quit   bool
}

// ParseError is a command line ndb cannot read. Dcmd names the dcmd of the
// stage at fault (or the one before it), so the error can be reported as
// "ndb: DCMD: reason"; it is empty when the line names none.
type ParseError struct {
	Dcmd string
	Err  error
}

func (e *ParseError) Error() string { return e.Err.Error() }
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads one command line. Empty lines and comments (#) give an empty
// Line. Errors are *ParseError.
func Parse(s string) (Line, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "#") || strings.HasPrefix(s, "//") {
		return Line{}, nil
	}
	if s == "$q" || s == "::quit" || s == "::q" || s == "quit" {
		return Line{Quit: true}, nil
	}
	var l Line
	body, shell, hasShell := cutUnquoted(s, '!')
	parts := splitUnquoted(body, '|')
	if hasShell {
		l.Shell = strings.TrimSpace(shell)
		if l.Shell == "" {
			return Line{}, &ParseError{stageName(parts[len(parts)-1]), fmt.Errorf("'!' needs a shell command after it")}
		}
		if strings.TrimSpace(body) == "" {
			return Line{}, &ParseError{"", fmt.Errorf("'!' pipes a dcmd's output: put a dcmd before it")}
		}
	}
	for i, part := range parts {
		st, err := parseStage(strings.TrimSpace(part))
		if err != nil {
			return Line{}, &ParseError{nearestName(parts, i), err}
		}
		l.Stages = append(l.Stages, st)
	}
	return l, nil
}

// nearestName names the dcmd of stage i for an error, or of the stage
// before it (an empty stage after '|'), or after it.
func nearestName(parts []string, i int) string {
	if n := stageName(parts[i]); n != "" {
		return n
	}
	for j := i - 1; j >= 0; j-- {
		if n := stageName(parts[j]); n != "" {
			return n
		}
	}
	for j := i + 1; j < len(parts); j++ {
		if n := stageName(parts[j]); n != "" {
			return n
		}
	}
	return ""
}

// stageName finds the dcmd name of a stage that may not parse: the word
// after "::", or the first word.
func stageName(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	name := f[0]
	if i := strings.Index(name, "::"); i >= 0 {
		name = name[i+2:]
		if name == "" && len(f) > 1 {
			name = f[1]
		}
	} else if len(f) > 1 && strings.HasPrefix(f[1], "::") {
		name = f[1][2:]
	}
	return strings.Trim(name, `"'`)
}

// maxEcho is how much of a name or argument an error message repeats.
const maxEcho = 64

// Clip shortens s for an error message: a name or argument of a megabyte
// is not echoed in full.
func Clip(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	cut := maxEcho
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func parseStage(s string) (Stage, error) {
	if s == "" {
		return Stage{}, fmt.Errorf("empty pipeline stage")
	}
	var st Stage
	words, err := splitWords(s)
	if err != nil {
		return Stage{}, err
	}
	head := words[0]
	if i := strings.Index(head, "::"); i >= 0 {
		if i > 0 {
			a, err := ParseAddr(head[:i])
			if err != nil {
				return Stage{}, err
			}
			st.Addr, st.HasAddr = a, true
		}
		st.Name = head[i+2:]
		if st.Name == "" && len(words) > 1 { // "ADDR:: dcmd"
			st.Name, words = words[1], words[1:]
		}
	} else if len(words) > 1 && strings.HasPrefix(words[1], "::") && isAddr(head) { // "ADDR ::dcmd"
		a, _ := ParseAddr(head)
		st.Addr, st.HasAddr = a, true
		st.Name, words = words[1][2:], words[1:]
	} else {
		st.Name = head
	}
	if st.Name == "" {
		return Stage{}, fmt.Errorf("missing dcmd name in %q", Clip(s))
	}
	if len(words) > 1 {
		st.Args = words[1:]
	}
	return st, nil
}

func isAddr(s string) bool { _, err := ParseAddr(s); return err == nil }

// ParseAddr reads a hex address, with or without 0x.
func ParseAddr(s string) (uint64, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(t, 16, 64)
	if err != nil || t == "" {
		return 0, fmt.Errorf("bad address %q (want hex, 0x optional)", Clip(s))
	}
	return v, nil
}

// cutUnquoted splits at the first sep outside quotes.
func cutUnquoted(s string, sep byte) (string, string, bool) {
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == sep:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func splitUnquoted(s string, sep byte) []string {
	var parts []string
	for {
		a, b, ok := cutUnquoted(s, sep)
		parts = append(parts, a)
		if !ok {
			return parts
		}
		s = b
	}
}

// splitWords splits on spaces, honouring single and double quotes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	in, q := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
			} else if c == '\\' && q == '"' && i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '"' || c == '\'':
			q, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if q != 0 {
		return nil, fmt.Errorf("unterminated quote")
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}
