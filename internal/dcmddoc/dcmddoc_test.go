package dcmddoc

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/internal/testcores"
)

// TestGeneratedDocs fails when README.md's dcmd table or docs/dcmds.md
// differ from what the dcmd table generates (run go generate
// ./internal/dcmddoc), as Delve's TestGeneratedDoc does.
func TestGeneratedDocs(t *testing.T) {
	cmds := commands.All()
	readme, err := os.ReadFile(testcores.Path(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpdateREADME(readme, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readme, want) {
		t.Errorf("README.md's dcmd table is out of date: run go generate ./internal/dcmddoc")
	}
	ref, err := os.ReadFile(testcores.Path(t, "docs", "dcmds.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ref, Reference(cmds)) {
		t.Errorf("docs/dcmds.md is out of date: run go generate ./internal/dcmddoc")
	}
}

// TestReferenceNamesEveryOption checks the reference against the registry
// itself: every dcmd has a section, and every option of its getopt spec
// appears in its synopsis (the README table shows only synopses).
func TestReferenceNamesEveryOption(t *testing.T) {
	ref := string(Reference(commands.All()))
	for _, c := range commands.All() {
		if !strings.Contains(ref, "\n## "+c.Name+"\n") {
			t.Errorf("docs/dcmds.md has no section for %s", c.Name)
		}
		shown := synopsisFlags(c.Synopsis)
		for _, o := range Options(c) {
			if !strings.ContainsRune(shown, rune(o[1])) {
				t.Errorf("%s: option %s is not in the synopsis %q", c.Name, o[:2], c.Synopsis)
			}
		}
		for _, f := range shown {
			if !strings.ContainsRune(c.Opts, f) {
				t.Errorf("%s: the synopsis %q shows -%c, which the dcmd does not take", c.Name, c.Synopsis, f)
			}
		}
	}
}

// synopsisFlags returns the option letters a synopsis shows, alone
// ("-c NAME") or grouped ("[-lmsv]").
func synopsisFlags(synopsis string) string {
	var out strings.Builder
	for _, w := range strings.Fields(synopsis) {
		w = strings.Trim(w, "[]|")
		if len(w) < 2 || w[0] != '-' {
			continue
		}
		for _, r := range w[1:] {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				out.WriteRune(r)
			}
		}
	}
	return out.String()
}

// TestOptions reads value names from the synopsis.
func TestOptions(t *testing.T) {
	c := &commands.Command{Synopsis: "ADDR::jsprint [-a] [-d DEPTH] [-N LEN] [MEMBER]", Opts: "ad:N:x:"}
	got := strings.Join(Options(c), ",")
	if want := "-a,-d DEPTH,-N LEN,-x VALUE"; got != want {
		t.Errorf("Options = %q, want %q", got, want)
	}
}

func TestUpdateREADMEWithoutMarkers(t *testing.T) {
	if _, err := UpdateREADME([]byte("# no table\n"), nil); err == nil {
		t.Error("a README without the markers was accepted")
	}
}
