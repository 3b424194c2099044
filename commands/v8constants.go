package commands

import "strings"

func init() {
	Register(&Command{
		Name:     "v8constants",
		Synopsis: "::v8constants [PATTERN]",
		Summary:  "every V8/Node postmortem constant, its value and where it came from",
		Help: `Prints every v8dbg_* and nodedbg_* constant of the node binary with its value
and source: "binary" (initialised data of the executable), "core" (memory of the
process: set at start-up), "binary-bss" (zero, page not in the core), or
"fallback" (ndb's per-V8-version table, for what the metadata lacks; the text
shows its reason in parentheses). With PATTERN, only names containing it.`,
		JSON:   "One object per constant.",
		Record: constantRecord{},
		Run: func(inv *Invocation) error {
			pat := ""
			if len(inv.Args) > 0 {
				pat = inv.Args[0]
			}
			for _, c := range inv.Session.Meta.All() {
				if pat != "" && !strings.Contains(c.Name, pat) {
					continue
				}
				if inv.JSON {
					if err := inv.Emit(constantRecord{Name: c.Name, Source: c.Source, Reason: c.Reason, Value: c.Value}); err != nil {
						return err
					}
					continue
				}
				source := c.Source
				if c.Reason != "" {
					source += " (" + c.Reason + ")"
				}
				inv.Printf("%-80s %8d  %s\n", c.Name, c.Value, source)
			}
			return nil
		},
	})
}

type constantRecord struct {
	Name   string `json:"name" doc:"the symbol, or fallback:KEY for an entry of ndb's table"`
	Source string `json:"source" doc:"binary, core, binary-bss or fallback"`
	Reason string `json:"reason,omitempty" doc:"for a fallback: the layout it encodes"`
	Value  int64  `json:"value" doc:"the constant's value"`
}
