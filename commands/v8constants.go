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
"fallback" (ndb's per-V8-version table, for what the metadata lacks). With
PATTERN, only names containing it.`,
		JSON: `One object per constant: {"name", "value", "source"}.`,
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
					if err := inv.JSONLine(map[string]any{"name": c.Name, "value": c.Value, "source": c.Source}); err != nil {
						return err
					}
					continue
				}
				inv.Printf("%-80s %8d  %s\n", c.Name, c.Value, c.Source)
			}
			return nil
		},
	})
}
