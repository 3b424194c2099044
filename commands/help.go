package commands

import (
	"fmt"
	"strings"
)

func init() {
	Register(&Command{
		Name:     "help",
		Synopsis: "::help [DCMD]",
		Summary:  "how to use ndb, or one dcmd",
		Help: `Without an argument: the grammar and the list of dcmds. With a dcmd name: its
synopsis, description and --json output.`,
		Run: runHelp,
	})
	Register(&Command{
		Name:     "dcmds",
		Synopsis: "::dcmds",
		Summary:  "list every dcmd with its synopsis",
		Help:     "Lists every dcmd with its synopsis and summary.",
		JSON:     "One object per dcmd.",
		Record:   dcmdRecord{},
		Run: func(inv *Invocation) error {
			for _, c := range All() {
				if inv.JSON {
					if err := inv.Emit(dcmdRecord{Name: c.Name, Summary: c.Summary, Synopsis: c.Synopsis}); err != nil {
						return err
					}
					continue
				}
				inv.Printf("%-50s %s\n", c.Synopsis, c.Summary)
			}
			return nil
		},
	})
}

type dcmdRecord struct {
	Name     string `json:"name" doc:"the dcmd's name"`
	Summary  string `json:"summary" doc:"what it does, in one line"`
	Synopsis string `json:"synopsis" doc:"how it is called"`
}

const grammar = `ndb reads commands in mdb's grammar:
  ::dcmd [args]            run a dcmd
  ADDR::dcmd [args]        run it on an address (hex, 0x optional)
  dcmd [args]              the bare form
  A | B                    each address A prints becomes the ADDR of one run of B
  ... ! shell command      pipe the text output through sh -c (in scripts too;
                           ndb --no-shell refuses it)
  $q, ::quit, Ctrl-D       leave
`

func runHelp(inv *Invocation) error {
	if len(inv.Args) == 0 {
		inv.Printf("%s\ndcmds:\n", grammar)
		for _, c := range All() {
			inv.Printf("  %-16s %s\n", c.Name, c.Summary)
		}
		inv.Printf("\n::help DCMD tells more.\n")
		return nil
	}
	name := strings.TrimPrefix(inv.Args[0], "::")
	c := Lookup(name)
	if c == nil {
		return fmt.Errorf("no dcmd %q (::dcmds lists them)", name)
	}
	inv.Printf("NAME\n  %s - %s\n\nSYNOPSIS\n  %s\n\nDESCRIPTION\n%s\n", c.Name, c.Summary, c.Synopsis, indent(c.Help))
	if len(c.Aliases) > 0 {
		inv.Printf("\nALIASES\n  %s\n", strings.Join(c.Aliases, ", "))
	}
	if c.JSON != "" || c.Record != nil {
		inv.Printf("\nJSON (--json)\n%s\n", indent(JSONHelp(c)))
	}
	return nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}
