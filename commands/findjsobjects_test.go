package commands

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestFindJSObjectsNames: on names.js cores of every line, -c finds a
// subclass (AdminSession, 23 live instances), Buffers and closures by
// function name (a class too: -k object keeps the instances), -p finds the closures given an own __id, the default
// census ends with the unreachable total (the fixture's 100 NamesGarbage
// objects at least, but the few a stale word keeps), and -r gives every
// group a retained size: the anonymous class's instances keep nothing but
// themselves, the AdminSessions also their own user strings.
func TestFindJSObjectsNames(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "names.js", []string{"--jitless"}, nil)
			s := openSession(t, c)
			lines := func(out string) []string { return strings.Fields(out) }
			one := func(args ...string) uint64 {
				t.Helper()
				l := lines(runDcmd(t, s, false, "findjsobjects", 0, args...))
				if len(l) != 1 {
					t.Fatalf("::findjsobjects %v: %q, want one representative", args, l)
				}
				return parseHex(t, l[0])
			}
			admin := one("-k", "object", "-c", "AdminSession") // -c alone finds the class (a closure) too
			if n := len(lines(runDcmd(t, s, false, "findjsobjects", admin))); n != 23 {
				t.Errorf("AdminSession: %d live instances, want 23", n)
			}
			fn := one("-c", "onConfigChanged")
			if n := len(lines(runDcmd(t, s, false, "findjsobjects", fn))); n != 3 {
				t.Errorf("onConfigChanged: %d closures, want 3", n)
			}
			if p := one("-p", "__id"); p != fn {
				t.Errorf("-p __id: %#x, want the onConfigChanged closures %#x", p, fn)
			}
			if l := lines(runDcmd(t, s, false, "findjsobjects", 0, "-c", "Buffer")); len(l) == 0 {
				t.Errorf("-c Buffer finds nothing")
			}
			recs := strings.Split(strings.TrimSpace(runDcmd(t, s, true, "findjsobjects", 0)), "\n")
			var un censusUnreachable
			if err := json.Unmarshal([]byte(recs[len(recs)-1]), &un); err != nil || un.UnreachableObjects < 90 {
				t.Errorf("last record %q (%v): want at least 90 unreachable objects", recs[len(recs)-1], err)
			}
			byName := map[string]censusGroup{}
			for _, r := range strings.Split(strings.TrimSpace(runDcmd(t, s, true, "findjsobjects", 0, "-r")), "\n") {
				var g censusGroup
				if err := json.Unmarshal([]byte(r), &g); err != nil {
					t.Fatal(err)
				}
				if g.Constructor == "" {
					continue // the unreachable total
				}
				if g.RetainedBytes == nil {
					t.Fatalf("-r: no retained size in %s", r)
				}
				byName[g.Constructor+":"+strings.Join(g.Properties, ",")] = g
			}
			if a := byName["Object:anonMark"]; a.Count != 13 || *a.RetainedBytes != a.ShallowBytes {
				t.Errorf("anonymous class: %d objects, retained %d, shallow %d; want 13, retained = shallow", a.Count, *a.RetainedBytes, a.ShallowBytes)
			}
			if a := byName["AdminSession:id,user,level"]; a.Count != 23 || *a.RetainedBytes <= a.ShallowBytes {
				t.Errorf("AdminSession: %d objects, retained %d, shallow %d; want 23, retained > shallow", a.Count, *a.RetainedBytes, a.ShallowBytes)
			}
		})
	}
}
