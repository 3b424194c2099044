// Package workshop holds the hands-on labs of docs/workshop and the code that
// keeps their transcripts true: every ```console block of a page is a
// transcript that the tests run and compare with what ndb really prints
// (transcript_test.go), and that `go test ./docs/workshop -update` rewrites
// from ndb's real output.
//
// A transcript is a sequence of steps. A line "$ CMD" starts a shell step;
// the lines after it, up to the next "$ " line, are what CMD prints
// (stdout and stderr together). A step "$ ndb TARGET" whose output has lines
// "ndb> DCMD" is an interactive session: the output is the whole screen, the
// banner, each prompt with the command typed after it, and what it printed.
package workshop

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// Prompt is ndb's interactive prompt.
const Prompt = "ndb> "

// Step is one command of a transcript and what it printed.
type Step struct {
	Cmd    string // after "$ "
	Output string // the lines after the command, each ending in "\n"
	Line   int    // 1-based line of the command in the page
}

// Session returns the dcmds typed at the prompt when the step is an
// interactive ndb session, else nil.
func (s Step) Session() []string {
	f := strings.Fields(s.Cmd)
	if len(f) < 2 || f[0] != "ndb" || !strings.HasPrefix(s.Output, Prompt) && !strings.Contains(s.Output, "\n"+Prompt) {
		return nil
	}
	var dcmds []string
	for _, line := range strings.SplitAfter(s.Output, "\n") {
		if cmd, ok := strings.CutPrefix(line, Prompt); ok {
			dcmds = append(dcmds, strings.TrimSuffix(cmd, "\n"))
		}
	}
	return dcmds
}

// Block is one transcript (a ```console fenced block) of a page.
type Block struct {
	Line  int // 1-based line of the opening fence
	Steps []Step
	first int // 0-based index of the first line inside the fence
	last  int // 0-based index of the closing fence
}

var fence = regexp.MustCompile("^(```+|~~~+)\\s*(\\S*)")

// Parse returns the transcripts of a Markdown page.
func Parse(page []byte) ([]Block, error) {
	lines := splitLines(page)
	var blocks []Block
	for i := 0; i < len(lines); i++ {
		m := fence.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), m[1]) {
			end++
		}
		if end == len(lines) {
			return nil, fmt.Errorf("line %d: unclosed code block", i+1)
		}
		if m[2] == "console" {
			b := Block{Line: i + 1, first: i + 1, last: end}
			for j := i + 1; j < end; j++ {
				if cmd, ok := strings.CutPrefix(lines[j], "$ "); ok {
					b.Steps = append(b.Steps, Step{Cmd: cmd, Line: j + 1})
					continue
				}
				if len(b.Steps) == 0 {
					return nil, fmt.Errorf("line %d: a console block must start with a \"$ \" command", j+1)
				}
				b.Steps[len(b.Steps)-1].Output += lines[j] + "\n"
			}
			if len(b.Steps) == 0 {
				return nil, fmt.Errorf("line %d: an empty console block", i+1)
			}
			blocks = append(blocks, b)
		}
		i = end
	}
	return blocks, nil
}

// Rewrite returns the page with the outputs of its transcripts replaced by
// those of blocks (from Parse of the same page, with new outputs).
func Rewrite(page []byte, blocks []Block) []byte {
	lines := splitLines(page)
	var out bytes.Buffer
	next := 0
	for _, b := range blocks {
		for _, l := range lines[next:b.first] {
			out.WriteString(l + "\n")
		}
		for _, s := range b.Steps {
			out.WriteString("$ " + s.Cmd + "\n")
			out.WriteString(s.Output)
		}
		next = b.last
	}
	for _, l := range lines[next:] {
		out.WriteString(l + "\n")
	}
	if !bytes.HasSuffix(page, []byte("\n")) {
		return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
	}
	return out.Bytes()
}

func splitLines(b []byte) []string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// Clean makes real output fit a page: "\r\n" becomes "\n", trailing spaces
// go, and the text ends with one "\n" (or is empty).
func Clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")
	if s == "" {
		return ""
	}
	return s + "\n"
}

// What varies between two makings of the same lab data, and so is matched
// by pattern: addresses (0x-prefixed, or bare hex of 9 to 16 digits with a
// letter), the cache directory that testnode names after a hash, and the
// perf map of a pid.
var (
	varying   = regexp.MustCompile(`0x[0-9a-f]+|\b[0-9a-f]{9,16}\b|-[0-9a-f]{16}/|/tmp/perf-[0-9]+\.map`)
	hexLetter = regexp.MustCompile(`[a-f]`)
)

// linePattern turns a line of a page into a regular expression that
// matches it with its varying parts replaced by any value of their kind.
func linePattern(want string) *regexp.Regexp {
	var re strings.Builder
	re.WriteString("^")
	last := 0
	for _, m := range varying.FindAllStringIndex(want, -1) {
		tok := want[m[0]:m[1]]
		re.WriteString(regexp.QuoteMeta(want[last:m[0]]))
		switch {
		case strings.HasPrefix(tok, "0x"):
			re.WriteString(`0x[0-9a-f]+`)
		case strings.HasPrefix(tok, "-"):
			re.WriteString(`-[0-9a-f]{16}/`)
		case strings.HasPrefix(tok, "/tmp/perf-"):
			re.WriteString(`/tmp/perf-[0-9]+\.map`)
		case hexLetter.MatchString(tok):
			re.WriteString(`[0-9a-f]{9,16}`)
		default: // a decimal number: exact
			re.WriteString(regexp.QuoteMeta(tok))
		}
		last = m[1]
	}
	re.WriteString(regexp.QuoteMeta(want[last:]))
	re.WriteString("$")
	return regexp.MustCompile(re.String())
}

// Mismatch compares the output a page shows with the real one (both
// cleaned). It returns "" when they match, else the first difference.
func Mismatch(want, got string) string {
	w := strings.Split(strings.TrimSuffix(Clean(want), "\n"), "\n")
	g := strings.Split(strings.TrimSuffix(Clean(got), "\n"), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("line %d: the page shows %q, ndb printed no more", i+1, w[i])
		case i >= len(w):
			return fmt.Sprintf("line %d: ndb printed %q, the page shows no more", i+1, g[i])
		case w[i] != g[i] && !linePattern(w[i]).MatchString(g[i]):
			return fmt.Sprintf("line %d:\n  page: %s\n  real: %s", i+1, w[i], g[i])
		}
	}
	return ""
}

var typedAddress = regexp.MustCompile(`\b(0x)?[0-9a-f]{9,16}\b`)

// UnseenAddresses returns the addresses typed in the steps of a page's
// transcripts that no earlier output of the page shows: a learner could
// not have found them, and after the lab data is made again they are
// stale.
func UnseenAddresses(blocks []Block) []string {
	var seen strings.Builder
	var bad []string
	typed := func(line int, cmd string) {
		for _, a := range typedAddress.FindAllString(cmd, -1) {
			if !hexLetter.MatchString(a) && !strings.HasPrefix(a, "0x") {
				continue
			}
			if !strings.Contains(seen.String(), strings.TrimPrefix(a, "0x")) {
				bad = append(bad, fmt.Sprintf("line %d: %s", line, a))
			}
		}
	}
	for _, b := range blocks {
		for _, s := range b.Steps {
			typed(s.Line, s.Cmd)
			session := s.Session() != nil
			for i, line := range strings.SplitAfter(s.Output, "\n") {
				if cmd, ok := strings.CutPrefix(line, Prompt); ok && session {
					typed(s.Line+1+i, cmd)
				}
				seen.WriteString(line)
			}
		}
	}
	return bad
}
