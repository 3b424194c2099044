package repl

import (
	"fmt"
	"strings"
)

// anyCount stands for "[ARG...]": no upper bound.
const anyCount = -1

// argBounds reads from a dcmd's synopsis how many positional arguments it
// takes, so that the synopsis is the contract: "[MEMBER]" is 0 or 1,
// "OTHER_CORE" exactly 1, "[ARG...]" any number; bracketed groups that
// start with '-' are options.
func argBounds(synopsis string) (lo, hi int) {
	rest := synopsis
	if i := strings.Index(rest, "::"); i >= 0 {
		rest = rest[i+2:]
	}
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = ""
	}
	for _, g := range topLevelGroups(rest) {
		optional := strings.HasPrefix(g, "[")
		body := strings.TrimSpace(strings.Trim(g, "[]"))
		if strings.HasPrefix(body, "-") || body == "" {
			continue
		}
		if !optional {
			lo++
		}
		if hi == anyCount || strings.HasSuffix(body, "...") {
			hi = anyCount
		} else {
			hi++
		}
	}
	return lo, hi
}

// topLevelGroups splits "[-a] [-d N] NAME [X...]" into bracketed groups and
// bare words.
func topLevelGroups(s string) []string {
	var out []string
	depth, start := 0, -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[':
			if depth == 0 {
				start = i
			}
			depth++
		case c == ']' && depth > 0:
			depth--
			if depth == 0 {
				out = append(out, s[start:i+1])
				start = -1
			}
		case depth == 0 && c == ' ':
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
		case depth == 0 && start < 0:
			start = i
		}
	}
	if start >= 0 && depth == 0 {
		out = append(out, s[start:])
	}
	return out
}

// checkArgCount rejects more or fewer positional arguments than the
// synopsis shows. The arguments themselves are not echoed: they may be
// large.
func checkArgCount(synopsis string, n int) error {
	lo, hi := argBounds(synopsis)
	switch {
	case hi != anyCount && n > hi && hi == 0:
		return fmt.Errorf("takes no arguments, got %d: %s", n, synopsis)
	case hi != anyCount && n > hi:
		return fmt.Errorf("takes at most %d argument%s, got %d: %s", hi, plural(hi), n, synopsis)
	case n < lo:
		return fmt.Errorf("needs %d argument%s, got %d: %s", lo, plural(lo), n, synopsis)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
