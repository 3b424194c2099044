package repl

import (
	"fmt"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/ndb-debugger/ndb/commands"
)

// unknownDcmd is the error for a name no dcmd has, with the nearest names
// when one is a likely typo.
func unknownDcmd(name string) error {
	if s := suggest(name, commands.Names()); len(s) > 0 {
		return fmt.Errorf("unknown dcmd %q; did you mean ::%s?", Clip(name), strings.Join(s, " or ::"))
	}
	return fmt.Errorf("unknown dcmd %q (::dcmds lists them)", Clip(name))
}

// suggest returns the names nearest to a mistyped one: those at the
// smallest edit distance, if it is small for the name's length (one edit
// up to five letters, two beyond), else the one name it begins.
func suggest(name string, names []string) []string {
	if name == "" || len(name) > maxEcho { // a long name is no typo; don't spend time on it
		return nil
	}
	limit := 1
	if len(name) > 5 {
		limit = 2
	}
	best, out := limit+1, []string(nil)
	for _, n := range names {
		d := levenshtein.ComputeDistance(name, n)
		switch {
		case d > limit:
		case d < best:
			best, out = d, []string{n}
		case d == best:
			out = append(out, n)
		}
	}
	if len(out) > 0 && len(out) <= 3 {
		return out
	}
	var prefixed []string
	for _, n := range names {
		if len(name) >= 3 && strings.HasPrefix(n, name) {
			prefixed = append(prefixed, n)
		}
	}
	if len(prefixed) == 1 {
		return prefixed
	}
	return nil
}
