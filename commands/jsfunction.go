package commands

import (
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsfunction",
		Synopsis: "ADDR::jsfunction",
		Summary:  "name and definition site of the function at ADDR",
		Addr:     AddrRequired,
		Help: `For a JSFunction: its name, script, line and column of its definition and its
source range:

  function: add
  defined at /app/values.js line 27 column 1
  source range: 617-656

For a bound function: the target, this and the bound arguments.`,
		JSON: `{"addr", "name", "inferredName", "script", "line", "column", "start", "end",
"sfi", "context"}; bound functions: {"addr", "name", "bound": true, "target",
"this", "args": [...]} (addresses).`,
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			fi, err := h.Function(object.Value(inv.Addr))
			if err != nil {
				return err
			}
			if fi.Bound {
				args := make([]string, len(fi.BoundArgs))
				for i, a := range fi.BoundArgs {
					args[i] = Hex(uint64(a))
				}
				if inv.JSON {
					return inv.JSONLine(map[string]any{"addr": Hex(inv.Addr), "name": fi.Name, "bound": true,
						"target": Hex(uint64(fi.BoundTarget)), "this": Hex(uint64(fi.BoundThis)), "args": args})
				}
				inv.Printf("bound function that wraps: %s (%s)\n", Hex(uint64(fi.BoundTarget)), value.Summary(h, fi.BoundTarget))
				inv.Printf("with \"this\" = %s (%s)\n", Hex(uint64(fi.BoundThis)), value.Summary(h, fi.BoundThis))
				for i, a := range fi.BoundArgs {
					inv.Printf("arg%d  = %s (%s)\n", i, Hex(uint64(a)), value.Summary(h, a))
				}
				return nil
			}
			if inv.JSON {
				return inv.JSONLine(map[string]any{"addr": Hex(inv.Addr), "name": fi.Name, "inferredName": fi.InferredName,
					"script": fi.ScriptName, "line": fi.Line, "column": fi.Column, "start": fi.Start, "end": fi.End,
					"sfi": Hex(uint64(fi.SFI)), "context": Hex(uint64(fi.Context))})
			}
			name := fi.DisplayName()
			if fi.Name == "" && fi.InferredName != "" {
				name = "<anonymous> (as " + fi.InferredName + ")"
			}
			inv.Printf("function: %s\n", name)
			switch {
			case fi.ScriptName == "":
				inv.Printf("defined in native code\n")
			case fi.Line > 0:
				inv.Printf("defined at %s line %d column %d\n", fi.ScriptName, fi.Line, fi.Column)
			default:
				inv.Printf("defined in %s\n", fi.ScriptName)
			}
			if fi.Start >= 0 {
				inv.Printf("source range: %d-%d\n", fi.Start, fi.End)
			}
			return nil
		},
	})
}
